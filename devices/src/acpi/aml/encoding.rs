//! The pieces of AML's byte encoding the device walker needs: package
//! lengths, name strings and constant data objects.

use alloc::vec::Vec;

use crate::bytes::{u8_at, u16_at, u32_at, u64_at};

/// A four-character name such as `_SB_` or `PCI0`.
pub type NameSeg = [u8; 4];

/// A name as written in AML: `\` (root) or a number of `^` (parent) prefixes,
/// then zero or more segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameString {
    pub root: bool,
    pub up: usize,
    pub segs: Vec<NameSeg>,
}

const ROOT_CHAR: u8 = b'\\';
const PARENT_PREFIX: u8 = b'^';
const NULL_NAME: u8 = 0x00;
const DUAL_NAME_PREFIX: u8 = 0x2E;
const MULTI_NAME_PREFIX: u8 = 0x2F;

impl NameString {
    /// The absolute path this name declares when written in `scope`. A
    /// relative name is declared in the current scope (the upward search
    /// applies to references only); `^` beyond the root is an error.
    pub fn resolve(&self, scope: &[NameSeg]) -> Option<Vec<NameSeg>> {
        let base = if self.root { &[][..] } else { scope.get(..scope.len().checked_sub(self.up)?)? };
        let mut path = Vec::with_capacity(base.len() + self.segs.len());
        path.extend_from_slice(base);
        path.extend_from_slice(&self.segs);
        Some(path)
    }
}

/// Reads a NameString at the start of `b`, returning it and its length.
pub fn name_string(b: &[u8]) -> Option<(NameString, usize)> {
    let mut at = 0;
    let mut root = false;
    let mut up = 0;
    if u8_at(b, 0)? == ROOT_CHAR {
        root = true;
        at = 1;
    } else {
        while u8_at(b, at)? == PARENT_PREFIX {
            up += 1;
            at += 1;
        }
    }
    let (count, first) = match u8_at(b, at)? {
        NULL_NAME => (0, at + 1),
        DUAL_NAME_PREFIX => (2, at + 1),
        MULTI_NAME_PREFIX => (usize::from(u8_at(b, at + 1)?), at + 2),
        _ => (1, at),
    };
    let segs = (0..count).map(|i| name_seg(b, first + 4 * i)).collect::<Option<Vec<_>>>()?;
    Some((NameString { root, up, segs }, first + 4 * count))
}

fn name_seg(b: &[u8], at: usize) -> Option<NameSeg> {
    let seg: NameSeg = crate::bytes::array(b, at)?;
    let lead_ok = seg[0].is_ascii_uppercase() || seg[0] == b'_';
    let rest_ok = seg[1..].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
    (lead_ok && rest_ok).then_some(seg)
}

/// Reads the PkgLength at `at` in `b`. Returns the package's contents (after
/// the PkgLength bytes, up to the package end) and the offset of its end in
/// `b`. A package that claims to extend past `b` is rejected.
pub fn package(b: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let lead = u8_at(b, at)?;
    let follow = usize::from(lead >> 6);
    let len = if follow == 0 {
        usize::from(lead & 0x3F)
    } else {
        // With following bytes, bits 5:4 of the lead byte must be zero.
        if lead & 0x30 != 0 {
            return None;
        }
        let mut len = usize::from(lead & 0x0F);
        for i in 0..follow {
            len |= usize::from(u8_at(b, at + 1 + i)?) << (4 + 8 * i);
        }
        len
    };
    let header = 1 + follow;
    if len < header {
        return None;
    }
    let end = at.checked_add(len)?;
    Some((b.get(at + header..end)?, end))
}

/// The constant data objects a `Name` can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data<'a> {
    Integer(u64),
    /// Without its terminating NUL.
    String(&'a [u8]),
    Buffer(&'a [u8]),
    /// Understood well enough to skip (packages), not to use.
    Other,
}

const ZERO_OP: u8 = 0x00;
const ONE_OP: u8 = 0x01;
const ONES_OP: u8 = 0xFF;
const BYTE_PREFIX: u8 = 0x0A;
const WORD_PREFIX: u8 = 0x0B;
const DWORD_PREFIX: u8 = 0x0C;
const STRING_PREFIX: u8 = 0x0D;
const QWORD_PREFIX: u8 = 0x0E;
const BUFFER_OP: u8 = 0x11;
const PACKAGE_OP: u8 = 0x12;
const VAR_PACKAGE_OP: u8 = 0x13;

/// Reads a data object at `at`, returning it and the offset after it.
pub fn data_object(b: &[u8], at: usize) -> Option<(Data<'_>, usize)> {
    let op = u8_at(b, at)?;
    if let Some(int) = integer(b, at) {
        return Some(int);
    }
    match op {
        STRING_PREFIX => {
            let rest = b.get(at + 1..)?;
            let nul = rest.iter().position(|c| *c == 0)?;
            Some((Data::String(&rest[..nul]), at + 1 + nul + 1))
        }
        BUFFER_OP => {
            let (contents, end) = package(b, at + 1)?;
            let (Data::Integer(size), used) = integer(contents, 0)? else { return None };
            let bytes = contents.get(used..)?;
            let len = usize::try_from(size).unwrap_or(usize::MAX).min(bytes.len());
            Some((Data::Buffer(&bytes[..len]), end))
        }
        PACKAGE_OP | VAR_PACKAGE_OP => Some((Data::Other, package(b, at + 1)?.1)),
        _ => None,
    }
}

/// An integer constant (the only TermArgs this reader evaluates).
pub fn integer(b: &[u8], at: usize) -> Option<(Data<'_>, usize)> {
    let (value, len) = match u8_at(b, at)? {
        ZERO_OP => (0, 1),
        ONE_OP => (1, 1),
        ONES_OP => (u64::MAX, 1),
        BYTE_PREFIX => (u64::from(u8_at(b, at + 1)?), 2),
        WORD_PREFIX => (u64::from(u16_at(b, at + 1)?), 3),
        DWORD_PREFIX => (u64::from(u32_at(b, at + 1)?), 5),
        QWORD_PREFIX => (u64_at(b, at + 1)?, 9),
        _ => return None,
    };
    Some((Data::Integer(value), at + len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn a_one_byte_pkg_length_covers_itself() {
        let b = [0x04, 0xAA, 0xBB, 0xCC, 0xDD];
        assert_eq!(package(&b, 0), Some((&b[1..4], 4)));
    }

    #[test]
    fn a_multi_byte_pkg_length_uses_the_low_nibble_then_whole_bytes() {
        // 0x4N: one following byte; length = N | next << 4 = 0x2 | 0x01 << 4 = 18.
        let mut b = vec![0x42, 0x01];
        b.extend_from_slice(&[0; 16]);
        assert_eq!(package(&b, 0).map(|(c, end)| (c.len(), end)), Some((16, 18)));
    }

    #[test]
    fn a_pkg_length_past_the_end_or_shorter_than_itself_is_rejected() {
        assert_eq!(package(&[0x10, 0, 0], 0), None);
        assert_eq!(package(&[0x40, 0x00], 0), None);
        assert_eq!(package(&[0x00], 0), None);
        // Bits 5:4 must be clear when following bytes exist.
        assert_eq!(package(&[0x72, 0, 0, 0], 0), None);
    }

    #[test]
    fn name_strings_resolve_root_parent_dual_and_multi_prefixes() {
        let scope = [*b"_SB_", *b"PCI0"];
        let (n, len) = name_string(b"\\_SB_").unwrap();
        assert_eq!((n.resolve(&scope).unwrap(), len), (vec![*b"_SB_"], 5));
        let (n, len) = name_string(b"^^GPE0").unwrap();
        assert_eq!((n.resolve(&scope).unwrap(), len), (vec![*b"GPE0"], 6));
        let (n, len) = name_string(b"\\\x2E_SB_PCI0").unwrap();
        assert_eq!((n.resolve(&[]).unwrap(), len), (vec![*b"_SB_", *b"PCI0"], 10));
        let (n, len) = name_string(b"\x2F\x03_SB_PCI0S08_").unwrap();
        assert_eq!((n.resolve(&[]).unwrap(), len), (vec![*b"_SB_", *b"PCI0", *b"S08_"], 14));
        let (n, _) = name_string(b"VR23").unwrap();
        assert_eq!(n.resolve(&scope).unwrap(), vec![*b"_SB_", *b"PCI0", *b"VR23"]);
    }

    #[test]
    fn a_parent_prefix_above_the_root_does_not_resolve() {
        let (n, _) = name_string(b"^^^X___").unwrap();
        assert_eq!(n.resolve(&[*b"_SB_"]), None);
    }

    #[test]
    fn name_segments_with_invalid_characters_are_rejected() {
        assert_eq!(name_string(b"1ABC"), None);
        assert_eq!(name_string(b"AB-C"), None);
        assert_eq!(name_string(b"\x2F\x05ABCD"), None);
        assert_eq!(name_string(b"^^^^"), None);
    }

    #[test]
    fn data_objects_decode_integers_strings_and_buffers() {
        assert_eq!(data_object(&[0x0A, 0x17], 0), Some((Data::Integer(23), 2)));
        assert_eq!(data_object(&[0x0B, 0x34, 0x12], 0), Some((Data::Integer(0x1234), 3)));
        assert_eq!(data_object(&[0xFF], 0), Some((Data::Integer(u64::MAX), 1)));
        assert_eq!(data_object(b"\x0DLNRO0005\0", 0), Some((Data::String(b"LNRO0005"), 10)));
        assert_eq!(data_object(&[0x11, 0x05, 0x0A, 0x02, 0x79, 0x00], 0), Some((Data::Buffer(&[0x79, 0x00]), 6)));
        assert_eq!(data_object(&[0x12, 0x03, 0x01, 0x00], 0), Some((Data::Other, 4)));
    }

    #[test]
    fn unterminated_strings_and_unknown_objects_are_rejected() {
        assert_eq!(data_object(b"\x0DLNRO", 0), None);
        assert_eq!(data_object(&[0x70], 0), None);
        assert_eq!(data_object(&[0x0C, 1, 2], 0), None);
    }
}
