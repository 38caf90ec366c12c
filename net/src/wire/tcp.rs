//! TCP headers (RFC 9293): a read-only view, enough for the flow classifier
//! (ports and flags) and for tests; segments themselves are built and
//! interpreted by the TCP layer above.
//!
//! Like the other views, `parse` checks every length its accessors rely on:
//! the data offset must cover the fixed header and fit the bytes given.
//! It does not verify the checksum, which needs the IPv4 addresses and the
//! whole segment; [`TcpSegment::checksum_ok`] does that for whoever wants it.

use core::net::Ipv4Addr;

use crate::checksum::{checksum_with, pseudo_header_sum};
use crate::wire::ipv4::PROTO_TCP;
use crate::wire::{WireError, be16, be32, u8_at};

/// The header without options.
pub const MIN_HEADER_LEN: usize = 20;
/// A data offset of 15 words, the most four bits can say.
pub const MAX_HEADER_LEN: usize = 60;

pub const FLAG_FIN: u8 = 0x01;
pub const FLAG_SYN: u8 = 0x02;
pub const FLAG_RST: u8 = 0x04;
pub const FLAG_PSH: u8 = 0x08;
pub const FLAG_ACK: u8 = 0x10;
pub const FLAG_URG: u8 = 0x20;
pub const FLAG_ECE: u8 = 0x40;
pub const FLAG_CWR: u8 = 0x80;

#[derive(Clone, Copy, Debug)]
pub struct TcpSegment<'a> {
    src_port: u16,
    dst_port: u16,
    seq: u32,
    ack: u32,
    header_len: usize,
    flags: u8,
    window: u16,
    checksum: u16,
    urgent: u16,
    /// The whole segment as given (the IPv4 payload), for the checksum.
    whole: &'a [u8],
    options: &'a [u8],
    payload: &'a [u8],
}

impl<'a> TcpSegment<'a> {
    /// `bytes` is the IPv4 payload: TCP has no length field of its own, so
    /// everything after the header is data.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        if bytes.len() < MIN_HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let header_len = usize::from(u8_at(bytes, 12)? >> 4) * 4;
        if header_len < MIN_HEADER_LEN {
            return Err(WireError::BadHeaderLength);
        }
        let header = bytes.get(..header_len).ok_or(WireError::Truncated)?;
        Ok(TcpSegment {
            src_port: be16(bytes, 0)?,
            dst_port: be16(bytes, 2)?,
            seq: be32(bytes, 4)?,
            ack: be32(bytes, 8)?,
            header_len,
            // The low bit of byte 12 is the retired NS (ECN nonce) bit,
            // which RFC 8311 made reserved again: only byte 13 matters.
            flags: u8_at(bytes, 13)?,
            window: be16(bytes, 14)?,
            checksum: be16(bytes, 16)?,
            urgent: be16(bytes, 18)?,
            whole: bytes,
            options: header.get(MIN_HEADER_LEN..).ok_or(WireError::Truncated)?,
            payload: bytes.get(header_len..).ok_or(WireError::Truncated)?,
        })
    }

    /// True when the checksum over the pseudo-header and the whole segment
    /// is right. TCP's checksum is mandatory: zero is not "none" as in UDP.
    pub fn checksum_ok(&self, src: Ipv4Addr, dst: Ipv4Addr) -> bool {
        // An IPv4 payload is shorter than 64 KiB; a longer slice cannot be
        // a segment we received, so it fails.
        match u16::try_from(self.whole.len()) {
            Ok(len) => checksum_with(pseudo_header_sum(src, dst, PROTO_TCP, len), &[self.whole]) == 0,
            Err(_) => false,
        }
    }

    pub fn src_port(&self) -> u16 {
        self.src_port
    }

    pub fn dst_port(&self) -> u16 {
        self.dst_port
    }

    pub fn seq(&self) -> u32 {
        self.seq
    }

    pub fn ack_number(&self) -> u32 {
        self.ack
    }

    /// The data offset in bytes (the field counts 32-bit words).
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The eight flag bits, CWR (0x80) down to FIN (0x01).
    pub fn flags(&self) -> u8 {
        self.flags
    }

    pub fn fin(&self) -> bool {
        self.flags & FLAG_FIN != 0
    }

    pub fn syn(&self) -> bool {
        self.flags & FLAG_SYN != 0
    }

    pub fn rst(&self) -> bool {
        self.flags & FLAG_RST != 0
    }

    pub fn psh(&self) -> bool {
        self.flags & FLAG_PSH != 0
    }

    pub fn ack(&self) -> bool {
        self.flags & FLAG_ACK != 0
    }

    /// SYN, FIN or RST: a segment that changes the connection's state.
    pub fn changes_state(&self) -> bool {
        self.flags & (FLAG_SYN | FLAG_FIN | FLAG_RST) != 0
    }

    /// Unscaled, as on the wire.
    pub fn window(&self) -> u16 {
        self.window
    }

    pub fn checksum(&self) -> u16 {
        self.checksum
    }

    pub fn urgent_pointer(&self) -> u16 {
        self.urgent
    }

    pub fn options(&self) -> &'a [u8] {
        self.options
    }

    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::checksum::checksum_with;

    pub(crate) const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
    pub(crate) const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);

    /// A segment from CLIENT:40000 to SERVER:80 with the given flags, a
    /// 20-byte header and a correct checksum.
    pub(crate) fn segment(flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; MIN_HEADER_LEN];
        out[0..2].copy_from_slice(&40000u16.to_be_bytes());
        out[2..4].copy_from_slice(&80u16.to_be_bytes());
        out[4..8].copy_from_slice(&0x0102_0304u32.to_be_bytes());
        out[8..12].copy_from_slice(&0x0a0b_0c0du32.to_be_bytes());
        out[12] = 5 << 4;
        out[13] = flags;
        out[14..16].copy_from_slice(&64240u16.to_be_bytes());
        out[18..20].copy_from_slice(&7u16.to_be_bytes());
        out.extend_from_slice(payload);
        let len = u16::try_from(out.len()).unwrap();
        let csum = checksum_with(pseudo_header_sum(CLIENT, SERVER, PROTO_TCP, len), &[&out]);
        out[16..18].copy_from_slice(&csum.to_be_bytes());
        out
    }

    #[test]
    fn parses_every_field() {
        let bytes = segment(FLAG_ACK | FLAG_PSH, b"GET /");
        let s = TcpSegment::parse(&bytes).unwrap();
        assert_eq!((s.src_port(), s.dst_port()), (40000, 80));
        assert_eq!((s.seq(), s.ack_number()), (0x0102_0304, 0x0a0b_0c0d));
        assert_eq!(s.header_len(), 20);
        assert_eq!(s.flags(), 0x18);
        assert!(s.ack() && s.psh() && !s.syn() && !s.fin() && !s.rst());
        assert!(!s.changes_state());
        assert_eq!(s.window(), 64240);
        assert_eq!(s.urgent_pointer(), 7);
        assert_eq!(s.options(), &[] as &[u8]);
        assert_eq!(s.payload(), b"GET /");
        assert!(s.checksum_ok(CLIENT, SERVER));
    }

    #[test]
    fn syn_fin_and_rst_each_change_state() {
        for flag in [FLAG_SYN, FLAG_FIN, FLAG_RST, FLAG_SYN | FLAG_ACK, FLAG_FIN | FLAG_ACK] {
            let bytes = segment(flag, b"");
            assert!(TcpSegment::parse(&bytes).unwrap().changes_state(), "flags {flag:#x}");
        }
        for flag in [0, FLAG_ACK, FLAG_PSH | FLAG_ACK, FLAG_URG, FLAG_ECE | FLAG_CWR | FLAG_ACK] {
            let bytes = segment(flag, b"");
            assert!(!TcpSegment::parse(&bytes).unwrap().changes_state(), "flags {flag:#x}");
        }
    }

    #[test]
    fn the_data_offset_separates_options_from_payload() {
        let mut bytes = segment(FLAG_SYN, b"");
        // Options MSS 1460 and four EOL bytes of padding, then one byte of data.
        bytes.extend_from_slice(&[2, 4, 0x05, 0xb4, 0, 0, 0, 0, b'x']);
        bytes[12] = 7 << 4;
        let s = TcpSegment::parse(&bytes).unwrap();
        assert_eq!(s.header_len(), 28);
        assert_eq!(s.options(), &[2, 4, 0x05, 0xb4, 0, 0, 0, 0]);
        assert_eq!(s.payload(), b"x");
    }

    #[test]
    fn fewer_than_20_bytes_are_truncated() {
        let bytes = segment(FLAG_ACK, b"");
        for len in 0..MIN_HEADER_LEN {
            assert_eq!(TcpSegment::parse(&bytes[..len]).unwrap_err(), WireError::Truncated, "{len} bytes");
        }
    }

    #[test]
    fn a_data_offset_below_5_is_a_bad_header_length() {
        for offset in 0..5u8 {
            let mut bytes = segment(FLAG_ACK, b"abcdefgh");
            bytes[12] = offset << 4;
            assert_eq!(TcpSegment::parse(&bytes).unwrap_err(), WireError::BadHeaderLength);
        }
    }

    #[test]
    fn a_data_offset_past_the_bytes_is_truncated() {
        let mut bytes = segment(FLAG_ACK, b"abc");
        bytes[12] = 6 << 4;
        assert_eq!(TcpSegment::parse(&bytes).unwrap_err(), WireError::Truncated);
        bytes[12] = 15 << 4;
        assert_eq!(TcpSegment::parse(&bytes).unwrap_err(), WireError::Truncated);
    }

    #[test]
    fn a_changed_byte_or_wrong_addresses_fail_the_checksum() {
        let mut bytes = segment(FLAG_ACK, b"hello");
        assert!(!TcpSegment::parse(&bytes).unwrap().checksum_ok(CLIENT, Ipv4Addr::new(10, 0, 2, 16)));
        bytes[21] ^= 1;
        assert!(!TcpSegment::parse(&bytes).unwrap().checksum_ok(CLIENT, SERVER));
    }

    #[test]
    fn a_zero_checksum_is_not_exempt_as_in_udp() {
        let mut bytes = segment(FLAG_ACK, b"hello");
        bytes[16..18].fill(0);
        assert!(!TcpSegment::parse(&bytes).unwrap().checksum_ok(CLIENT, SERVER));
    }
}
