//! UDP headers (RFC 768).

use core::net::Ipv4Addr;

use super::{WireError, be16, need, put};
use crate::checksum::{checksum_with, pseudo_header_sum};
use crate::wire::ipv4::PROTO_UDP;

pub const HEADER_LEN: usize = 8;

#[derive(Clone, Copy, Debug)]
pub struct UdpDatagram<'a> {
    src_port: u16,
    dst_port: u16,
    checksum: u16,
    /// Header and payload, cut to the length field.
    whole: &'a [u8],
    payload: &'a [u8],
}

impl<'a> UdpDatagram<'a> {
    /// Checks the length field against `bytes` (the IPv4 payload); the
    /// checksum needs the addresses, see [`parse_verified`](Self::parse_verified).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        let src_port = be16(bytes, 0)?;
        let dst_port = be16(bytes, 2)?;
        let length = usize::from(be16(bytes, 4)?);
        let checksum = be16(bytes, 6)?;
        if length < HEADER_LEN || length > bytes.len() {
            return Err(WireError::BadLength);
        }
        let whole = bytes.get(..length).ok_or(WireError::BadLength)?;
        let payload = whole.get(HEADER_LEN..).ok_or(WireError::BadLength)?;
        Ok(UdpDatagram { src_port, dst_port, checksum, whole, payload })
    }

    /// [`parse`](Self::parse), then the checksum when the sender set one.
    pub fn parse_verified(bytes: &'a [u8], src: Ipv4Addr, dst: Ipv4Addr) -> Result<Self, WireError> {
        let datagram = Self::parse(bytes)?;
        if datagram.checksum_ok(src, dst) { Ok(datagram) } else { Err(WireError::BadChecksum) }
    }

    /// True when right, or when absent (a zero field: the sender computed none).
    pub fn checksum_ok(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        // The length fits 16 bits: parse took it from a 16-bit field.
        let len = u16::try_from(self.whole.len()).unwrap_or(u16::MAX);
        self.checksum == 0 || checksum_with(pseudo_header_sum(src, dst, PROTO_UDP, len), &[self.whole]) == 0
    }

    pub fn src_port(&self) -> u16 {
        self.src_port
    }

    pub fn dst_port(&self) -> u16 {
        self.dst_port
    }

    pub fn checksum(&self) -> u16 {
        self.checksum
    }

    /// The length field: header plus payload.
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

/// Writes the 8-byte header, checksum included, in front of a payload the
/// caller already placed at `out[8..8 + payload_len]` (so that it is built in
/// place, never copied); returns the header length.
pub fn write_header(
    out: &mut [u8],
    (src, src_port): (Ipv4Addr, u16),
    (dst, dst_port): (Ipv4Addr, u16),
    payload_len: usize,
) -> Result<usize, WireError> {
    let len = HEADER_LEN.checked_add(payload_len).ok_or(WireError::BadLength)?;
    let len16 = u16::try_from(len).map_err(|_| WireError::BadLength)?;
    need(out, len)?;
    put(out, 0, &src_port.to_be_bytes())?;
    put(out, 2, &dst_port.to_be_bytes())?;
    put(out, 4, &len16.to_be_bytes())?;
    put(out, 6, &[0, 0])?;
    let datagram = out.get(..len).ok_or(WireError::Truncated)?;
    let mut csum = checksum_with(pseudo_header_sum(src, dst, PROTO_UDP, len16), &[datagram]);
    // Zero would mean "no checksum"; 0xffff is the same value in one's complement.
    if csum == 0 {
        csum = 0xffff;
    }
    put(out, 6, &csum.to_be_bytes())?;
    Ok(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
    const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

    fn datagram(payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; HEADER_LEN + payload.len()];
        out[HEADER_LEN..].copy_from_slice(payload);
        write_header(&mut out, (CLIENT, 1234), (SERVER, 53), payload.len()).unwrap();
        out
    }

    #[test]
    fn writes_ports_length_and_a_checksum_over_the_pseudo_header() {
        let bytes = datagram(b"hi!");
        assert_eq!(&bytes[..6], &[0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b]);
        assert_eq!(checksum_with(pseudo_header_sum(CLIENT, SERVER, 17, 11), &[&bytes]), 0);
    }

    #[test]
    fn parses_and_verifies_what_it_writes() {
        let bytes = datagram(b"hello");
        let d = UdpDatagram::parse_verified(&bytes, CLIENT, SERVER).unwrap();
        assert_eq!((d.src_port(), d.dst_port(), d.len()), (1234, 53, 13));
        assert_eq!(d.payload(), b"hello");
    }

    #[test]
    fn a_wrong_checksum_or_wrong_addresses_fail_verification() {
        let mut bytes = datagram(b"hello");
        assert_eq!(
            UdpDatagram::parse_verified(&bytes, CLIENT, Ipv4Addr::new(10, 0, 2, 3)).unwrap_err(),
            WireError::BadChecksum
        );
        bytes[9] ^= 1;
        assert_eq!(UdpDatagram::parse_verified(&bytes, CLIENT, SERVER).unwrap_err(), WireError::BadChecksum);
    }

    #[test]
    fn a_zero_checksum_means_none_was_computed() {
        let mut bytes = datagram(b"hello");
        bytes[6..8].fill(0);
        bytes[9] ^= 1;
        assert!(UdpDatagram::parse_verified(&bytes, CLIENT, SERVER).is_ok());
    }

    #[test]
    fn bytes_past_the_length_field_are_not_payload() {
        let mut bytes = datagram(b"hello");
        bytes.extend_from_slice(&[0xee; 6]);
        assert_eq!(UdpDatagram::parse_verified(&bytes, CLIENT, SERVER).unwrap().payload(), b"hello");
    }

    #[test]
    fn a_length_below_the_header_or_past_the_bytes_is_a_bad_length() {
        for length in [0u16, 7, 14] {
            let mut bytes = datagram(b"hello");
            bytes[4..6].copy_from_slice(&length.to_be_bytes());
            assert_eq!(UdpDatagram::parse(&bytes).unwrap_err(), WireError::BadLength, "length {length}");
        }
    }

    #[test]
    fn fewer_than_8_bytes_are_truncated() {
        let bytes = datagram(b"");
        for len in 0..8 {
            assert_eq!(UdpDatagram::parse(&bytes[..len]).unwrap_err(), WireError::Truncated);
        }
    }

    #[test]
    fn the_writer_needs_room_for_header_and_payload() {
        assert_eq!(write_header(&mut [0u8; 12], (CLIENT, 1), (SERVER, 2), 5), Err(WireError::Truncated));
        assert_eq!(write_header(&mut [0u8; 8], (CLIENT, 1), (SERVER, 2), 65528), Err(WireError::BadLength));
    }
}
