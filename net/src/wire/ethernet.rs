//! Ethernet II framing as virtio-net delivers it: a 14-byte header, no
//! preamble, no FCS, and no VLAN tags (we never ask the device to keep them).

use super::{WireError, be16, mac_at, need, put};
use crate::mac::MacAddr;

pub const HEADER_LEN: usize = 14;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERTYPE_IPV6: u16 = 0x86dd;

/// 802.1Q, 802.1ad and the pre-standard QinQ tag: the real ethertype is
/// further in, which we do not look for.
const VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];

#[derive(Clone, Copy, Debug)]
pub struct EthernetFrame<'a> {
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
    payload: &'a [u8],
}

impl<'a> EthernetFrame<'a> {
    pub fn parse(bytes: &'a [u8]) -> Result<Self, WireError> {
        let payload = bytes.get(HEADER_LEN..).ok_or(WireError::Truncated)?;
        let ethertype = be16(bytes, 12)?;
        if VLAN_TAGS.contains(&ethertype) {
            return Err(WireError::Unsupported);
        }
        Ok(EthernetFrame { dst: mac_at(bytes, 0)?, src: mac_at(bytes, 6)?, ethertype, payload })
    }

    pub fn dst(&self) -> MacAddr {
        self.dst
    }

    pub fn src(&self) -> MacAddr {
        self.src
    }

    /// Values below 0x0600 are 802.3 lengths rather than types; callers
    /// treat them like any other type they do not know.
    pub fn ethertype(&self) -> u16 {
        self.ethertype
    }

    /// Everything after the header, including any padding the sender added
    /// to reach the 60-byte minimum: the inner protocol's length field says
    /// where its data ends.
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// The destination address alone, readable even in frames `parse` refuses,
/// so that a frame for someone else counts as such whatever it carries.
pub fn destination(bytes: &[u8]) -> Option<MacAddr> {
    mac_at(bytes, 0).ok()
}

/// Writes a header into `out[..14]`; returns its length.
pub fn write_header(out: &mut [u8], dst: MacAddr, src: MacAddr, ethertype: u16) -> Result<usize, WireError> {
    need(out, HEADER_LEN)?;
    put(out, 0, &dst.0)?;
    put(out, 6, &src.0)?;
    put(out, 12, &ethertype.to_be_bytes())?;
    Ok(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DST: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    const SRC: MacAddr = MacAddr([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);

    #[test]
    fn parses_addresses_type_and_payload() {
        let bytes = [0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0, 2, 2, 0x08, 0x06, 0xde, 0xad];
        let frame = EthernetFrame::parse(&bytes).unwrap();
        assert_eq!(frame.dst(), DST);
        assert_eq!(frame.src(), SRC);
        assert_eq!(frame.ethertype(), ETHERTYPE_ARP);
        assert_eq!(frame.payload(), &[0xde, 0xad]);
    }

    #[test]
    fn a_bare_header_has_an_empty_payload() {
        let mut bytes = [0u8; 14];
        write_header(&mut bytes, DST, SRC, ETHERTYPE_IPV4).unwrap();
        assert_eq!(EthernetFrame::parse(&bytes).unwrap().payload(), &[] as &[u8]);
    }

    #[test]
    fn fewer_than_14_bytes_are_truncated() {
        for len in 0..14 {
            assert_eq!(EthernetFrame::parse(&[0u8; 14][..len]).unwrap_err(), WireError::Truncated);
        }
    }

    #[test]
    fn vlan_tagged_frames_are_unsupported() {
        let mut bytes = [0u8; 18];
        for tag in VLAN_TAGS {
            bytes[12..14].copy_from_slice(&tag.to_be_bytes());
            assert_eq!(EthernetFrame::parse(&bytes).unwrap_err(), WireError::Unsupported);
        }
    }

    #[test]
    fn the_destination_is_readable_from_any_six_bytes() {
        assert_eq!(destination(&DST.0), Some(DST));
        assert_eq!(destination(&[1, 2, 3]), None);
    }

    #[test]
    fn writes_dst_src_and_type_in_network_order() {
        let mut out = [0xeeu8; 16];
        assert_eq!(write_header(&mut out, DST, SRC, ETHERTYPE_IPV6), Ok(14));
        assert_eq!(out, [0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0, 2, 2, 0x86, 0xdd, 0xee, 0xee]);
        assert_eq!(write_header(&mut out[..13], DST, SRC, ETHERTYPE_IPV6), Err(WireError::Truncated));
    }
}
