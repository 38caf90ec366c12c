//! ICMP messages (RFC 792), of which we answer only echo requests.

use super::{WireError, array, be16, need, put, u8_at};
use crate::checksum::internet_checksum;

/// Type, code, checksum and the four "rest of header" bytes every ICMP
/// message has.
pub const HEADER_LEN: usize = 8;

pub const TYPE_ECHO_REPLY: u8 = 0;
pub const TYPE_ECHO_REQUEST: u8 = 8;

#[derive(Clone, Copy, Debug)]
pub struct IcmpPacket<'a> {
    icmp_type: u8,
    code: u8,
    checksum: u16,
    rest_of_header: [u8; 4],
    payload: &'a [u8],
    whole: &'a [u8],
}

impl<'a> IcmpPacket<'a> {
    /// `bytes` is the whole IPv4 payload: the checksum covers all of it.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        Ok(IcmpPacket {
            icmp_type: u8_at(bytes, 0)?,
            code: u8_at(bytes, 1)?,
            checksum: be16(bytes, 2)?,
            rest_of_header: array(bytes, 4)?,
            payload: bytes.get(HEADER_LEN..).ok_or(WireError::Truncated)?,
            whole: bytes,
        })
    }

    pub fn icmp_type(&self) -> u8 {
        self.icmp_type
    }

    pub fn code(&self) -> u8 {
        self.code
    }

    pub fn checksum(&self) -> u16 {
        self.checksum
    }

    pub fn checksum_ok(&self) -> bool {
        internet_checksum(&[self.whole]) == 0
    }

    pub fn is_echo_request(&self) -> bool {
        self.icmp_type == TYPE_ECHO_REQUEST && self.code == 0
    }

    /// The echo identifier (meaningful in echo messages only).
    pub fn identifier(&self) -> u16 {
        let [a, b, _, _] = self.rest_of_header;
        u16::from_be_bytes([a, b])
    }

    /// The echo sequence number (meaningful in echo messages only).
    pub fn sequence(&self) -> u16 {
        let [_, _, a, b] = self.rest_of_header;
        u16::from_be_bytes([a, b])
    }

    /// The message length: header plus payload.
    pub fn len(&self) -> usize {
        self.whole.len()
    }

    pub fn is_empty(&self) -> bool {
        self.whole.is_empty()
    }

    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// Writes an echo message (request or reply, by `icmp_type`) with its
/// checksum into `out`; returns its length.
pub fn write_echo(
    out: &mut [u8],
    icmp_type: u8,
    identifier: u16,
    sequence: u16,
    payload: &[u8],
) -> Result<usize, WireError> {
    let len = HEADER_LEN.checked_add(payload.len()).ok_or(WireError::Truncated)?;
    need(out, len)?;
    put(out, 0, &[icmp_type, 0, 0, 0])?;
    put(out, 4, &identifier.to_be_bytes())?;
    put(out, 6, &sequence.to_be_bytes())?;
    put(out, HEADER_LEN, payload)?;
    let csum = internet_checksum(&[out.get(..len).ok_or(WireError::Truncated)?]);
    put(out, 2, &csum.to_be_bytes())?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_echo_request_with_a_valid_checksum() {
        let mut out = [0u8; 12];
        assert_eq!(write_echo(&mut out, TYPE_ECHO_REQUEST, 0x0102, 0x0304, b"ping"), Ok(12));
        assert_eq!(&out[..2], &[8, 0]);
        assert_eq!(&out[4..], &[1, 2, 3, 4, b'p', b'i', b'n', b'g']);
        assert_eq!(internet_checksum(&[&out]), 0);
    }

    #[test]
    fn parses_what_it_writes() {
        let mut out = [0u8; 13];
        let len = write_echo(&mut out, TYPE_ECHO_REPLY, 7, 9, b"odd!!").unwrap();
        let msg = IcmpPacket::parse(&out[..len]).unwrap();
        assert_eq!((msg.icmp_type(), msg.code()), (TYPE_ECHO_REPLY, 0));
        assert_eq!((msg.identifier(), msg.sequence()), (7, 9));
        assert_eq!(msg.payload(), b"odd!!");
        assert_eq!(msg.len(), 13);
        assert!(msg.checksum_ok());
        assert!(!msg.is_echo_request());
    }

    #[test]
    fn a_flipped_bit_fails_the_checksum() {
        let mut out = [0u8; 12];
        write_echo(&mut out, TYPE_ECHO_REQUEST, 1, 1, b"ping").unwrap();
        out[9] ^= 0x10;
        assert!(!IcmpPacket::parse(&out).unwrap().checksum_ok());
    }

    #[test]
    fn fewer_than_8_bytes_are_truncated() {
        for len in 0..8 {
            assert_eq!(IcmpPacket::parse(&[8u8; 8][..len]).unwrap_err(), WireError::Truncated);
        }
    }

    #[test]
    fn the_writer_refuses_a_buffer_too_small_for_the_payload() {
        assert_eq!(write_echo(&mut [0u8; 11], TYPE_ECHO_REPLY, 0, 0, b"ping"), Err(WireError::Truncated));
    }
}
