//! The 36-byte header every System Description Table starts with.

use super::TableError;
use crate::bytes::{array, u8_at, u32_at};

pub const HEADER_LEN: usize = 36;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SdtHeader {
    pub signature: [u8; 4],
    pub length: u32,
    pub revision: u8,
    pub oem_id: [u8; 6],
}

/// The table's length as its header declares it, so that the kernel can map
/// the header first and then the whole table.
pub fn declared_length(header: &[u8]) -> Option<u32> {
    u32_at(header, 4)
}

/// Checks the header, that the declared length fits in `table` and the
/// checksum over that length. Bytes beyond the declared length (a mapping
/// rounded up to a page) are ignored.
pub fn parse_header(table: &[u8]) -> Result<SdtHeader, TableError> {
    let signature = array(table, 0).ok_or(TableError::Truncated)?;
    let length = declared_length(table).ok_or(TableError::Truncated)?;
    let revision = u8_at(table, 8).ok_or(TableError::Truncated)?;
    let oem_id = array(table, 10).ok_or(TableError::Truncated)?;
    if table.len() < HEADER_LEN {
        return Err(TableError::Truncated);
    }
    let len = usize::try_from(length).map_err(|_| TableError::Truncated)?;
    if len < HEADER_LEN {
        return Err(TableError::Malformed);
    }
    let whole = table.get(..len).ok_or(TableError::Truncated)?;
    if whole.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) != 0 {
        return Err(TableError::BadChecksum);
    }
    Ok(SdtHeader { signature, length, revision, oem_id })
}

/// [`parse_header`], and the signature must be `signature`.
pub fn parse_expecting(table: &[u8], signature: &[u8; 4]) -> Result<SdtHeader, TableError> {
    // The signature is checked first: a wrong table is a caller's mistake
    // worth telling apart from a damaged one.
    if table.get(..4).is_some_and(|s| s != signature) {
        return Err(TableError::BadSignature);
    }
    parse_header(table)
}

/// What follows the header, up to the declared length (clamped to `table`;
/// empty when there is no complete header). Validate with [`parse_header`].
pub fn body(table: &[u8]) -> &[u8] {
    let end = declared_length(table).and_then(|l| usize::try_from(l).ok()).unwrap_or(0).min(table.len());
    table.get(HEADER_LEN..end).unwrap_or(&[])
}

/// A table with a correct checksum around `body`, for tests.
#[cfg(test)]
pub(crate) fn build(signature: &[u8; 4], revision: u8, body: &[u8]) -> alloc::vec::Vec<u8> {
    let mut t = alloc::vec::Vec::new();
    t.extend_from_slice(signature);
    t.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_le_bytes());
    t.push(revision);
    t.push(0); // checksum, fixed below
    t.extend_from_slice(b"RINGO ");
    t.extend_from_slice(b"TESTTABL");
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(b"RNGO");
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(body);
    let sum = t.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    t[9] = 0u8.wrapping_sub(sum);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_header_is_read() {
        let t = build(b"APIC", 3, &[1, 2, 3]);
        let h = parse_header(&t).unwrap();
        assert_eq!(h, SdtHeader { signature: *b"APIC", length: 39, revision: 3, oem_id: *b"RINGO " });
        assert_eq!(body(&t), &[1, 2, 3]);
    }

    #[test]
    fn bytes_after_the_declared_length_are_ignored() {
        let mut t = build(b"APIC", 3, &[1, 2, 3]);
        t.extend_from_slice(&[0xAA; 100]);
        assert!(parse_header(&t).is_ok());
        assert_eq!(body(&t), &[1, 2, 3]);
    }

    #[test]
    fn a_flipped_byte_fails_the_checksum() {
        let mut t = build(b"APIC", 3, &[1, 2, 3]);
        t[37] ^= 0x10;
        assert_eq!(parse_header(&t), Err(TableError::BadChecksum));
    }

    #[test]
    fn a_length_beyond_the_slice_is_truncated() {
        let t = build(b"APIC", 3, &[1, 2, 3]);
        assert_eq!(parse_header(&t[..38]), Err(TableError::Truncated));
        assert_eq!(parse_header(&t[..20]), Err(TableError::Truncated));
        assert_eq!(parse_header(&[]), Err(TableError::Truncated));
        assert_eq!(body(&t[..20]), &[] as &[u8]);
    }

    #[test]
    fn a_length_shorter_than_the_header_is_malformed() {
        let mut t = build(b"APIC", 3, &[]);
        t[4] = 10;
        assert_eq!(parse_header(&t), Err(TableError::Malformed));
        assert_eq!(body(&t), &[] as &[u8]);
    }

    #[test]
    fn the_wrong_signature_is_reported_as_such() {
        let t = build(b"FACP", 3, &[]);
        assert_eq!(parse_expecting(&t, b"APIC"), Err(TableError::BadSignature));
        assert!(parse_expecting(&t, b"FACP").is_ok());
    }
}
