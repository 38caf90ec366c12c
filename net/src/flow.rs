//! The receive interrupt's classifier: which flow a frame belongs to, read
//! from header fields alone, so that the interrupt can push the frame into
//! that flow's [`Channel`](crate::channel::Channel) and leave the protocol
//! work to the flow's reader (Van Jacobson's net channels, as in OSv).
//!
//! It is meant to be cheap and it is deliberately not a validator: no
//! checksum is verified (the stack does that later, on the reader's CPU,
//! where the bytes are about to be touched anyway), only the lengths needed
//! to find the ports without reading past the bytes. A corrupt packet that
//! still looks like a flow's goes to that flow and is dropped by its reader.
//! Every input, however short or wrong, gets a class; nothing panics.
//!
//! Only what a channel can take without changing any state takes the fast
//! path: TCP without SYN, FIN or RST (OSv commit 2f2d7a97, "don't allow
//! state-changing packets in net channels", because connection setup and
//! teardown touch the listener and the table), and UDP. Fragments cannot be
//! matched to a flow by the first fragment's ports, so they go the slow way.

use core::net::Ipv4Addr;

use crate::wire::ethernet::{self, EthernetFrame};
use crate::wire::ipv4::{MIN_HEADER_LEN, PROTO_TCP, PROTO_UDP};
use crate::wire::udp::UdpDatagram;
use crate::wire::{be16, ipv4_at, u8_at};

use crate::tcp::TcpSegment;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Transport {
    Tcp,
    Udp,
}

/// A flow seen from this host: `local` is the packet's destination and
/// `remote` its source, so that a received packet and the socket that will
/// read it name the same key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FlowKey {
    pub transport: Transport,
    pub local: (Ipv4Addr, u16),
    pub remote: (Ipv4Addr, u16),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Class {
    /// A TCP segment without SYN/FIN/RST, or a UDP datagram, not fragmented:
    /// may go to its flow's channel.
    Flow(FlowKey),
    /// TCP with SYN, FIN or RST (state changes go through the slow path, as
    /// OSv learned), with the key.
    Control(FlowKey),
    Arp,
    /// ICMP, fragments, other IP protocols, unparseable IPv4.
    OtherIpv4,
    NotIpv4,
}

impl Class {
    /// The flow key of `Flow` and `Control`.
    pub fn key(&self) -> Option<FlowKey> {
        match self {
            Class::Flow(key) | Class::Control(key) => Some(*key),
            _ => None,
        }
    }
}

const FLAG_MORE_FRAGMENTS: u16 = 0x2000;
const FRAGMENT_OFFSET_MASK: u16 = 0x1fff;

/// Classifies an Ethernet frame (as virtio-net delivers it: no FCS).
///
/// A frame that cannot hold an Ethernet header, or carries a VLAN tag (we
/// never ask the device to keep them), or another ethertype, is `NotIpv4`;
/// an IPv4 ethertype with bytes that are not an IPv4 header is `OtherIpv4`.
pub fn classify_ethernet(frame: &[u8]) -> Class {
    let Ok(frame) = EthernetFrame::parse(frame) else {
        return Class::NotIpv4;
    };
    match frame.ethertype() {
        ethernet::ETHERTYPE_ARP => Class::Arp,
        ethernet::ETHERTYPE_IPV4 => match classify_ipv4(frame.payload()) {
            // The link layer said IPv4: a wrong version is broken IPv4.
            Class::NotIpv4 => Class::OtherIpv4,
            class => class,
        },
        _ => Class::NotIpv4,
    }
}

/// Classifies an IPv4 packet without a link header (loopback, or a device
/// with the IP medium). An empty packet, or one whose version nibble is not
/// 4, is `NotIpv4`; any other header that does not hold together is
/// `OtherIpv4`, for the slow path to count and drop.
pub fn classify_ipv4(packet: &[u8]) -> Class {
    match u8_at(packet, 0) {
        Ok(version_ihl) if version_ihl >> 4 == 4 => {
            classify_ipv4_header(packet, version_ihl).unwrap_or(Class::OtherIpv4)
        }
        _ => Class::NotIpv4,
    }
}

/// The part of [`classify_ipv4`] after the version; `None` is a header that
/// does not hold together.
fn classify_ipv4_header(packet: &[u8], version_ihl: u8) -> Option<Class> {
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    if header_len < MIN_HEADER_LEN || header_len > packet.len() {
        return None;
    }
    let total_len = usize::from(be16(packet, 2).ok()?);
    // Bytes past total_len are link padding; a total_len past the bytes is
    // a truncated packet whose ports may be fine but whose data is not.
    let payload = packet.get(header_len..total_len)?;
    let flags_fragment = be16(packet, 6).ok()?;
    if flags_fragment & (FLAG_MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK) != 0 {
        return Some(Class::OtherIpv4);
    }
    let protocol = u8_at(packet, 9).ok()?;
    let src = ipv4_at(packet, 12).ok()?;
    let dst = ipv4_at(packet, 16).ok()?;
    match protocol {
        PROTO_TCP => {
            let segment = TcpSegment::parse(payload).ok()?;
            let key = FlowKey {
                transport: Transport::Tcp,
                local: (dst, segment.dst_port()),
                remote: (src, segment.src_port()),
            };
            Some(if segment.changes_state() { Class::Control(key) } else { Class::Flow(key) })
        }
        PROTO_UDP => {
            let datagram = UdpDatagram::parse(payload).ok()?;
            Some(Class::Flow(FlowKey {
                transport: Transport::Udp,
                local: (dst, datagram.dst_port()),
                remote: (src, datagram.src_port()),
            }))
        }
        _ => Some(Class::OtherIpv4),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mac::MacAddr;
    use crate::tcp::{FLAG_ACK, FLAG_FIN, FLAG_PSH, FLAG_RST, FLAG_SYN};
    use crate::wire::ipv4::tests::{fix_checksum, packet};
    use crate::wire::ipv4::{Ipv4Header, PROTO_ICMP};
    use crate::wire::{arp, udp};

    // wire::ipv4::tests::packet sends from 10.0.2.2 to 10.0.2.15.
    const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
    const US: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
    const MAC_US: MacAddr = MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]);
    const MAC_PEER: MacAddr = MacAddr([0x52, 0x55, 0x0a, 0, 2, 2]);

    fn tcp_packet(flags: u8, payload: &[u8]) -> Vec<u8> {
        packet(PROTO_TCP, &crate::tcp::tests::segment(flags, payload))
    }

    fn udp_packet(payload: &[u8]) -> Vec<u8> {
        let mut datagram = vec![0u8; udp::HEADER_LEN + payload.len()];
        datagram[udp::HEADER_LEN..].copy_from_slice(payload);
        udp::write_header(&mut datagram, (PEER, 5353), (US, 11211), payload.len()).unwrap();
        packet(PROTO_UDP, &datagram)
    }

    fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0u8; ethernet::HEADER_LEN];
        ethernet::write_header(&mut frame, MAC_US, MAC_PEER, ethertype).unwrap();
        frame.extend_from_slice(payload);
        frame
    }

    fn tcp_key() -> FlowKey {
        FlowKey { transport: Transport::Tcp, local: (US, 80), remote: (PEER, 40000) }
    }

    #[test]
    fn an_established_tcp_segment_is_a_flow_keyed_from_our_side() {
        for flags in [FLAG_ACK, FLAG_ACK | FLAG_PSH, 0] {
            assert_eq!(classify_ipv4(&tcp_packet(flags, b"data")), Class::Flow(tcp_key()), "flags {flags:#x}");
        }
    }

    #[test]
    fn syn_fin_or_rst_is_control_with_the_same_key() {
        for flags in [FLAG_SYN, FLAG_SYN | FLAG_ACK, FLAG_FIN | FLAG_ACK, FLAG_RST, FLAG_RST | FLAG_ACK] {
            assert_eq!(classify_ipv4(&tcp_packet(flags, b"")), Class::Control(tcp_key()), "flags {flags:#x}");
        }
    }

    #[test]
    fn a_udp_datagram_is_a_flow() {
        let key = FlowKey { transport: Transport::Udp, local: (US, 11211), remote: (PEER, 5353) };
        assert_eq!(classify_ipv4(&udp_packet(b"get k\r\n")), Class::Flow(key));
        assert_eq!(Class::Flow(key).key(), Some(key));
    }

    #[test]
    fn the_ethernet_classifier_looks_through_the_header() {
        assert_eq!(
            classify_ethernet(&ethernet(ethernet::ETHERTYPE_IPV4, &tcp_packet(FLAG_ACK, b"x"))),
            Class::Flow(tcp_key())
        );
        assert_eq!(
            classify_ethernet(&ethernet(ethernet::ETHERTYPE_IPV4, &tcp_packet(FLAG_SYN, b""))),
            Class::Control(tcp_key())
        );
    }

    #[test]
    fn arp_is_arp_whatever_its_body() {
        assert_eq!(classify_ethernet(&ethernet(ethernet::ETHERTYPE_ARP, &[0; arp::PACKET_LEN])), Class::Arp);
        assert_eq!(classify_ethernet(&ethernet(ethernet::ETHERTYPE_ARP, &[])), Class::Arp);
    }

    #[test]
    fn other_ethertypes_runts_and_vlan_tags_are_not_ipv4() {
        assert_eq!(classify_ethernet(&ethernet(ethernet::ETHERTYPE_IPV6, &[0x60; 40])), Class::NotIpv4);
        assert_eq!(classify_ethernet(&ethernet(0x8100, &tcp_packet(FLAG_ACK, b""))), Class::NotIpv4);
        assert_eq!(classify_ethernet(&[0u8; 13]), Class::NotIpv4);
        assert_eq!(classify_ethernet(&[]), Class::NotIpv4);
    }

    #[test]
    fn icmp_and_other_protocols_are_other_ipv4() {
        assert_eq!(classify_ipv4(&packet(PROTO_ICMP, &[8, 0, 0, 0, 0, 0, 0, 0])), Class::OtherIpv4);
        assert_eq!(classify_ipv4(&packet(47, &[0; 8])), Class::OtherIpv4);
    }

    #[test]
    fn fragments_are_other_ipv4_even_the_first_one() {
        for flags in [0x2000u16, 0x0001, 0x2001, 0x6000] {
            let mut bytes = tcp_packet(FLAG_ACK, b"data");
            bytes[6..8].copy_from_slice(&flags.to_be_bytes());
            fix_checksum(&mut bytes);
            assert_eq!(classify_ipv4(&bytes), Class::OtherIpv4, "flags {flags:#x}");
        }
    }

    #[test]
    fn dont_fragment_alone_is_still_a_flow() {
        let mut bytes = tcp_packet(FLAG_ACK, b"data");
        bytes[6..8].copy_from_slice(&0x4000u16.to_be_bytes());
        assert_eq!(classify_ipv4(&bytes), Class::Flow(tcp_key()));
    }

    #[test]
    fn checksums_are_not_verified_here() {
        let mut bytes = tcp_packet(FLAG_ACK, b"data");
        bytes[10] ^= 0xff; // IPv4 header checksum
        bytes[20 + 16] ^= 0xff; // TCP checksum
        assert_eq!(classify_ipv4(&bytes), Class::Flow(tcp_key()));
    }

    #[test]
    fn ip_options_are_skipped_to_find_the_ports() {
        let mut bytes = tcp_packet(FLAG_ACK, b"data");
        bytes.splice(20..20, [1, 1, 1, 0]);
        bytes[0] = 0x46;
        let total = u16::try_from(bytes.len()).unwrap();
        bytes[2..4].copy_from_slice(&total.to_be_bytes());
        assert_eq!(classify_ipv4(&bytes), Class::Flow(tcp_key()));
    }

    #[test]
    fn link_padding_after_the_total_length_is_ignored() {
        let mut bytes = udp_packet(b"");
        bytes.extend_from_slice(&[0; 18]);
        assert!(matches!(classify_ipv4(&bytes), Class::Flow(_)));
    }

    #[test]
    fn a_wrong_version_is_not_ipv4_alone_and_broken_ipv4_behind_an_ipv4_ethertype() {
        let mut bytes = tcp_packet(FLAG_ACK, b"");
        bytes[0] = 0x65;
        assert_eq!(classify_ipv4(&bytes), Class::NotIpv4);
        assert_eq!(classify_ipv4(&[]), Class::NotIpv4);
        assert_eq!(classify_ethernet(&ethernet(ethernet::ETHERTYPE_IPV4, &bytes)), Class::OtherIpv4);
        assert_eq!(classify_ethernet(&ethernet(ethernet::ETHERTYPE_IPV4, &[])), Class::OtherIpv4);
    }

    #[test]
    fn bad_lengths_are_other_ipv4() {
        let good = tcp_packet(FLAG_ACK, b"data");
        let mut short_ihl = good.clone();
        short_ihl[0] = 0x44;
        let mut long_ihl = good.clone();
        long_ihl[0] = 0x4f;
        let mut total_past_end = good.clone();
        total_past_end[2..4].copy_from_slice(&1000u16.to_be_bytes());
        let mut total_inside_header = good.clone();
        total_inside_header[2..4].copy_from_slice(&19u16.to_be_bytes());
        let mut tcp_offset_past_end = good.clone();
        tcp_offset_past_end[20 + 12] = 0xf0;
        let mut udp_length_past_end = udp_packet(b"abc");
        udp_length_past_end[20 + 4..20 + 6].copy_from_slice(&100u16.to_be_bytes());
        let tcp_too_short = packet(PROTO_TCP, &[0; 19]);
        for (what, bytes) in [
            ("IHL below 5", short_ihl),
            ("IHL past the bytes", long_ihl),
            ("total length past the bytes", total_past_end),
            ("total length inside the header", total_inside_header),
            ("TCP data offset past the bytes", tcp_offset_past_end),
            ("UDP length past the bytes", udp_length_past_end),
            ("TCP shorter than its header", tcp_too_short),
        ] {
            assert_eq!(classify_ipv4(&bytes), Class::OtherIpv4, "{what}");
        }
    }

    #[test]
    fn every_prefix_of_every_kind_of_frame_gets_a_class_without_panicking() {
        let frames = [
            ethernet(ethernet::ETHERTYPE_IPV4, &tcp_packet(FLAG_ACK, b"payload")),
            ethernet(ethernet::ETHERTYPE_IPV4, &udp_packet(b"payload")),
            ethernet(ethernet::ETHERTYPE_ARP, &[0; arp::PACKET_LEN]),
        ];
        for frame in &frames {
            for len in 0..=frame.len() {
                let _ = classify_ethernet(&frame[..len]);
                let _ = classify_ipv4(frame.get(ethernet::HEADER_LEN..len).unwrap_or(&[]));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_get_a_class_without_panicking() {
        // A small xorshift: deterministic, no dependency.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let header =
            Ipv4Header { src: PEER, dst: US, protocol: PROTO_TCP, ttl: 64, identification: 0, payload_len: 40 };
        for _ in 0..20_000 {
            let len = usize::try_from(next() % 80).unwrap();
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            // Half the time, a plausible IPv4 header in front so that the
            // transport parsers see random bytes too.
            if next() % 2 == 0 && bytes.len() >= 20 {
                header.write(&mut bytes[..20]).ok();
                bytes[9] = if next() % 2 == 0 { PROTO_TCP } else { PROTO_UDP };
                let total = u16::try_from(bytes.len()).unwrap();
                bytes[2..4].copy_from_slice(&total.to_be_bytes());
            }
            let _ = classify_ipv4(&bytes);
            let _ = classify_ethernet(&bytes);
        }
    }
}
