//! IPv4 headers (RFC 791). Parsing verifies the header checksum always:
//! the devices we drive only vouch for TCP/UDP checksums, and a corrupt
//! header makes every other field meaningless.

use core::net::Ipv4Addr;

use super::{WireError, be16, ipv4_at, need, put, u8_at};
use crate::checksum::internet_checksum;

/// The header without options; also the only size we write.
pub const MIN_HEADER_LEN: usize = 20;

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;

/// The TTL of packets we originate, Linux's default (net.ipv4.ip_default_ttl).
pub const DEFAULT_TTL: u8 = 64;

const FLAG_DONT_FRAGMENT: u16 = 0x4000;
const FLAG_MORE_FRAGMENTS: u16 = 0x2000;
const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

#[derive(Clone, Copy, Debug)]
pub struct Ipv4Packet<'a> {
    header_len: usize,
    tos: u8,
    total_len: u16,
    identification: u16,
    flags_fragment: u16,
    ttl: u8,
    protocol: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    options: &'a [u8],
    payload: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    /// Parses a whole, unfragmented packet; a fragment is `Fragment`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        let packet = Self::parse_allowing_fragments(bytes)?;
        if packet.is_fragment() { Err(WireError::Fragment) } else { Ok(packet) }
    }

    /// Like [`parse`](Self::parse) but returns fragments too, for callers
    /// that want to know where a fragment was going before dropping it.
    pub fn parse_allowing_fragments(bytes: &'a [u8]) -> Result<Self, WireError> {
        let version_ihl = u8_at(bytes, 0)?;
        if bytes.len() < MIN_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if version_ihl >> 4 != 4 {
            return Err(WireError::BadVersion);
        }
        let header_len = usize::from(version_ihl & 0x0f) * 4;
        if header_len < MIN_HEADER_LEN {
            return Err(WireError::BadHeaderLength);
        }
        let header = bytes.get(..header_len).ok_or(WireError::Truncated)?;
        let total_len = be16(bytes, 2)?;
        if usize::from(total_len) < header_len || usize::from(total_len) > bytes.len() {
            return Err(WireError::BadLength);
        }
        if internet_checksum(&[header]) != 0 {
            return Err(WireError::BadChecksum);
        }
        Ok(Ipv4Packet {
            header_len,
            tos: u8_at(bytes, 1)?,
            total_len,
            identification: be16(bytes, 4)?,
            flags_fragment: be16(bytes, 6)?,
            ttl: u8_at(bytes, 8)?,
            protocol: u8_at(bytes, 9)?,
            src: ipv4_at(bytes, 12)?,
            dst: ipv4_at(bytes, 16)?,
            options: header.get(MIN_HEADER_LEN..).ok_or(WireError::Truncated)?,
            // Bytes past total_len are link-layer padding, not payload.
            payload: bytes.get(header_len..usize::from(total_len)).ok_or(WireError::BadLength)?,
        })
    }

    pub fn header_len(&self) -> usize {
        self.header_len
    }

    pub fn tos(&self) -> u8 {
        self.tos
    }

    pub fn total_len(&self) -> u16 {
        self.total_len
    }

    pub fn identification(&self) -> u16 {
        self.identification
    }

    pub fn dont_fragment(&self) -> bool {
        self.flags_fragment & FLAG_DONT_FRAGMENT != 0
    }

    pub fn more_fragments(&self) -> bool {
        self.flags_fragment & FLAG_MORE_FRAGMENTS != 0
    }

    /// In bytes (the field counts units of 8).
    pub fn fragment_offset(&self) -> usize {
        usize::from(self.flags_fragment & FRAGMENT_OFFSET_MASK) * 8
    }

    pub fn is_fragment(&self) -> bool {
        self.more_fragments() || self.fragment_offset() != 0
    }

    pub fn ttl(&self) -> u8 {
        self.ttl
    }

    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    pub fn src(&self) -> Ipv4Addr {
        self.src
    }

    pub fn dst(&self) -> Ipv4Addr {
        self.dst
    }

    pub fn options(&self) -> &'a [u8] {
        self.options
    }

    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// What a header we originate says; the rest is fixed: no options, TOS 0,
/// no fragmentation flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Header {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub ttl: u8,
    pub identification: u16,
    /// Bytes that follow the header.
    pub payload_len: usize,
}

impl Ipv4Header {
    /// Writes the 20-byte header, checksum included, into `out`; returns its
    /// length. A payload that would not fit the 16-bit total length is
    /// `BadLength`.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WireError> {
        need(out, MIN_HEADER_LEN)?;
        let total_len = self
            .payload_len
            .checked_add(MIN_HEADER_LEN)
            .and_then(|t| u16::try_from(t).ok())
            .ok_or(WireError::BadLength)?;
        put(out, 0, &[0x45, 0])?;
        put(out, 2, &total_len.to_be_bytes())?;
        put(out, 4, &self.identification.to_be_bytes())?;
        put(out, 6, &[0, 0, self.ttl, self.protocol, 0, 0])?;
        put(out, 12, &self.src.octets())?;
        put(out, 16, &self.dst.octets())?;
        let header = out.get(..MIN_HEADER_LEN).ok_or(WireError::Truncated)?;
        let csum = internet_checksum(&[header]);
        put(out, 10, &csum.to_be_bytes())?;
        Ok(MIN_HEADER_LEN)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A packet with a valid checksum, built by our writer.
    pub(crate) fn packet(protocol: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; MIN_HEADER_LEN + payload.len()];
        let header = Ipv4Header {
            src: Ipv4Addr::new(10, 0, 2, 2),
            dst: Ipv4Addr::new(10, 0, 2, 15),
            protocol,
            ttl: 64,
            identification: 0x1234,
            payload_len: payload.len(),
        };
        header.write(&mut out).unwrap();
        out[MIN_HEADER_LEN..].copy_from_slice(payload);
        out
    }

    /// Rewrites the header checksum after a test changed a field.
    pub(crate) fn fix_checksum(bytes: &mut [u8]) {
        let hl = usize::from(bytes[0] & 0x0f) * 4;
        bytes[10..12].fill(0);
        let csum = internet_checksum(&[&bytes[..hl]]);
        bytes[10..12].copy_from_slice(&csum.to_be_bytes());
    }

    #[test]
    fn the_writer_produces_the_documented_header() {
        let bytes = packet(PROTO_UDP, b"abcd");
        assert_eq!(&bytes[..10], &[0x45, 0, 0, 24, 0x12, 0x34, 0, 0, 64, 17]);
        assert_eq!(internet_checksum(&[&bytes[..20]]), 0);
        assert_eq!(&bytes[12..], &[10, 0, 2, 2, 10, 0, 2, 15, b'a', b'b', b'c', b'd']);
    }

    #[test]
    fn parses_every_field() {
        let bytes = packet(PROTO_UDP, b"abcd");
        let p = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(p.header_len(), 20);
        assert_eq!(p.tos(), 0);
        assert_eq!(p.total_len(), 24);
        assert_eq!(p.identification(), 0x1234);
        assert!(!p.dont_fragment());
        assert_eq!(p.ttl(), 64);
        assert_eq!(p.protocol(), PROTO_UDP);
        assert_eq!(p.src(), Ipv4Addr::new(10, 0, 2, 2));
        assert_eq!(p.dst(), Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(p.options(), &[] as &[u8]);
        assert_eq!(p.payload(), b"abcd");
    }

    #[test]
    fn link_padding_after_total_length_is_not_payload() {
        let mut bytes = packet(PROTO_ICMP, b"xy");
        bytes.extend_from_slice(&[0; 24]);
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap().payload(), b"xy");
    }

    #[test]
    fn options_are_skipped() {
        let mut bytes = packet(PROTO_UDP, b"data");
        // IHL 6: insert a 4-byte option (NOP NOP NOP EOL) after the fixed header.
        bytes.splice(20..20, [1, 1, 1, 0]);
        bytes[0] = 0x46;
        bytes[2..4].copy_from_slice(&28u16.to_be_bytes());
        fix_checksum(&mut bytes);
        let p = Ipv4Packet::parse(&bytes).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.options(), &[1, 1, 1, 0]);
        assert_eq!(p.payload(), b"data");
    }

    #[test]
    fn short_input_is_truncated() {
        let bytes = packet(PROTO_UDP, b"");
        for len in 0..20 {
            assert_eq!(Ipv4Packet::parse(&bytes[..len]).unwrap_err(), WireError::Truncated, "{len} bytes");
        }
    }

    #[test]
    fn a_version_other_than_4_is_bad_version() {
        let mut bytes = packet(PROTO_UDP, b"");
        bytes[0] = 0x65;
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap_err(), WireError::BadVersion);
    }

    #[test]
    fn an_ihl_below_5_is_a_bad_header_length() {
        let mut bytes = packet(PROTO_UDP, b"");
        bytes[0] = 0x44;
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap_err(), WireError::BadHeaderLength);
    }

    #[test]
    fn an_ihl_past_the_buffer_is_truncated() {
        let mut bytes = packet(PROTO_UDP, b"");
        bytes[0] = 0x4f;
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap_err(), WireError::Truncated);
    }

    #[test]
    fn a_total_length_outside_header_and_buffer_is_a_bad_length() {
        for total in [19u16, 25, 0xffff] {
            let mut bytes = packet(PROTO_UDP, b"abcd");
            bytes[2..4].copy_from_slice(&total.to_be_bytes());
            fix_checksum(&mut bytes);
            assert_eq!(Ipv4Packet::parse(&bytes).unwrap_err(), WireError::BadLength, "total {total}");
        }
    }

    #[test]
    fn a_wrong_header_checksum_is_reported_as_such() {
        let mut bytes = packet(PROTO_UDP, b"abcd");
        bytes[8] = 63;
        assert_eq!(Ipv4Packet::parse(&bytes).unwrap_err(), WireError::BadChecksum);
    }

    #[test]
    fn more_fragments_or_an_offset_makes_a_fragment() {
        for flags in [0x2000u16, 0x0001, 0x4001, 0x3fff] {
            let mut bytes = packet(PROTO_UDP, b"abcd");
            bytes[6..8].copy_from_slice(&flags.to_be_bytes());
            fix_checksum(&mut bytes);
            assert_eq!(Ipv4Packet::parse(&bytes).unwrap_err(), WireError::Fragment, "flags {flags:#x}");
            assert!(Ipv4Packet::parse_allowing_fragments(&bytes).unwrap().is_fragment());
        }
    }

    #[test]
    fn dont_fragment_alone_is_not_a_fragment() {
        let mut bytes = packet(PROTO_UDP, b"abcd");
        bytes[6..8].copy_from_slice(&0x4000u16.to_be_bytes());
        fix_checksum(&mut bytes);
        let p = Ipv4Packet::parse(&bytes).unwrap();
        assert!(p.dont_fragment());
        assert_eq!(p.fragment_offset(), 0);
    }

    #[test]
    fn the_writer_refuses_a_small_buffer_or_a_huge_payload() {
        let header = Ipv4Header {
            src: Ipv4Addr::UNSPECIFIED,
            dst: Ipv4Addr::BROADCAST,
            protocol: PROTO_UDP,
            ttl: 64,
            identification: 0,
            payload_len: 65516,
        };
        assert_eq!(header.write(&mut [0u8; 19]), Err(WireError::Truncated));
        assert_eq!(header.write(&mut [0u8; 20]), Err(WireError::BadLength));
        assert_eq!(Ipv4Header { payload_len: 65515, ..header }.write(&mut [0u8; 20]), Ok(20));
    }
}
