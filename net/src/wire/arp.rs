//! ARP (RFC 826) for IPv4 over Ethernet, the only combination we resolve.

use core::net::Ipv4Addr;

use super::{WireError, be16, ipv4_at, mac_at, need, put, u8_at};
use crate::mac::MacAddr;

/// An Ethernet/IPv4 ARP packet; Ethernet senders pad it to 46 bytes, and
/// the padding is ignored.
pub const PACKET_LEN: usize = 28;

pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;

const HTYPE_ETHERNET: u16 = 1;
const PTYPE_IPV4: u16 = 0x0800;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpPacket {
    op: u16,
    sender_mac: MacAddr,
    sender_ip: Ipv4Addr,
    target_mac: MacAddr,
    target_ip: Ipv4Addr,
}

impl ArpPacket {
    /// Refuses anything but Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6,
    /// plen 4) as `Unsupported`; the opcode is not checked.
    pub fn parse(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() < PACKET_LEN {
            return Err(WireError::Truncated);
        }
        let htype = be16(bytes, 0)?;
        let ptype = be16(bytes, 2)?;
        let hlen = u8_at(bytes, 4)?;
        let plen = u8_at(bytes, 5)?;
        if htype != HTYPE_ETHERNET || ptype != PTYPE_IPV4 || hlen != 6 || plen != 4 {
            return Err(WireError::Unsupported);
        }
        Ok(ArpPacket {
            op: be16(bytes, 6)?,
            sender_mac: mac_at(bytes, 8)?,
            sender_ip: ipv4_at(bytes, 14)?,
            target_mac: mac_at(bytes, 18)?,
            target_ip: ipv4_at(bytes, 24)?,
        })
    }

    pub fn new(op: u16, sender: (MacAddr, Ipv4Addr), target: (MacAddr, Ipv4Addr)) -> Self {
        ArpPacket { op, sender_mac: sender.0, sender_ip: sender.1, target_mac: target.0, target_ip: target.1 }
    }

    pub fn op(&self) -> u16 {
        self.op
    }

    pub fn sender_mac(&self) -> MacAddr {
        self.sender_mac
    }

    pub fn sender_ip(&self) -> Ipv4Addr {
        self.sender_ip
    }

    pub fn target_mac(&self) -> MacAddr {
        self.target_mac
    }

    pub fn target_ip(&self) -> Ipv4Addr {
        self.target_ip
    }

    /// Writes the 28-byte packet into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WireError> {
        need(out, PACKET_LEN)?;
        put(out, 0, &HTYPE_ETHERNET.to_be_bytes())?;
        put(out, 2, &PTYPE_IPV4.to_be_bytes())?;
        put(out, 4, &[6, 4])?;
        put(out, 6, &self.op.to_be_bytes())?;
        put(out, 8, &self.sender_mac.0)?;
        put(out, 14, &self.sender_ip.octets())?;
        put(out, 18, &self.target_mac.0)?;
        put(out, 24, &self.target_ip.octets())?;
        Ok(PACKET_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Who has 10.0.2.15? Tell 10.0.2.2", as slirp asks it.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 10, 0, 2, 2, 0, 0, 0, 0, 0,
        0, 10, 0, 2, 15,
    ];

    #[test]
    fn parses_a_request() {
        let p = ArpPacket::parse(&REQUEST).unwrap();
        assert_eq!(p.op(), OP_REQUEST);
        assert_eq!(p.sender_mac(), MacAddr([0x52, 0x55, 0x0a, 0, 2, 2]));
        assert_eq!(p.sender_ip(), Ipv4Addr::new(10, 0, 2, 2));
        assert_eq!(p.target_mac(), MacAddr([0; 6]));
        assert_eq!(p.target_ip(), Ipv4Addr::new(10, 0, 2, 15));
    }

    #[test]
    fn trailing_padding_is_ignored() {
        let mut padded = [0u8; 46];
        padded[..28].copy_from_slice(&REQUEST);
        assert_eq!(ArpPacket::parse(&padded), ArpPacket::parse(&REQUEST));
    }

    #[test]
    fn short_packets_are_truncated() {
        assert_eq!(ArpPacket::parse(&REQUEST[..27]), Err(WireError::Truncated));
        assert_eq!(ArpPacket::parse(&[]), Err(WireError::Truncated));
    }

    #[test]
    fn other_hardware_or_protocol_types_and_sizes_are_unsupported() {
        for (at, value) in [(1, 6u8), (2, 0x86), (4, 8), (5, 16)] {
            let mut p = REQUEST;
            p[at] = value;
            assert_eq!(ArpPacket::parse(&p), Err(WireError::Unsupported), "byte {at} = {value}");
        }
    }

    #[test]
    fn writing_then_parsing_gives_the_same_packet() {
        let p = ArpPacket::parse(&REQUEST).unwrap();
        let mut out = [0u8; 30];
        assert_eq!(p.write(&mut out), Ok(28));
        assert_eq!(out[..28], REQUEST);
        assert_eq!(p.write(&mut out[..27]), Err(WireError::Truncated));
    }
}
