//! One received frame down the virtio-net receive path, as the driver
//! takes it: the virtio header (ringo_net::virtio_hdr) and its checksum
//! offload, the net-channel classifier (flow), the link layer's verdict
//! (link::handle_frame, with its ARP and ping replies) and the transport
//! check (transport_check::verify).
//!
//! Input: one byte of settings (bit 0: the interface has its address,
//! bit 1: a 12-byte rather than 10-byte header, bit 2: fix the frame's
//! IPv4 and TCP/UDP/ICMP checksums first), the header, the frame.
//!
//! Invariants: the header writes back as read; a completed partial
//! checksum verifies; the classifier and the validating parsers agree on a
//! packet they both accept (its flow key is its addresses and ports); the
//! link layer delivers only what the classifier calls IPv4 and answers
//! only what it calls ARP or IPv4; a reply is no longer than its request,
//! goes back to the sender and is itself well-formed (checksums included).
#![no_main]

use core::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use ringo_net::MacAddr;
use ringo_net::checksum::checksum_with;
use ringo_net::flow::{self, Class, Transport};
use ringo_net::link::{self, LinkConfig, MAX_FRAME, Verdict};
use ringo_net::tcp::TcpSegment;
use ringo_net::transport_check;
use ringo_net::virtio_hdr::{self, F_NEEDS_CSUM, LEGACY_LEN, MODERN_LEN, VirtioNetHdr};
use ringo_net::wire::arp::{self, ArpPacket};
use ringo_net::wire::ethernet::{self, EthernetFrame};
use ringo_net::wire::icmp::{self, IcmpPacket};
use ringo_net::wire::ipv4::{self, Ipv4Packet};
use ringo_net::wire::udp::UdpDatagram;

const OUR_MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const OUR_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);

/// (transport, local, remote): a flow key's fields.
type Key = (Transport, (Ipv4Addr, u16), (Ipv4Addr, u16));

/// The flow key the validating parsers see in `packet`, if they accept it.
fn validated_key(packet: &[u8]) -> Option<Key> {
    transport_check::verify(packet).ok()?;
    let ip = Ipv4Packet::parse(packet).expect("verify accepted a packet parse refuses");
    let ports = match ip.protocol() {
        ipv4::PROTO_TCP => TcpSegment::parse(ip.payload()).map(|s| (Transport::Tcp, s.src_port(), s.dst_port())).ok(),
        ipv4::PROTO_UDP => UdpDatagram::parse(ip.payload()).map(|d| (Transport::Udp, d.src_port(), d.dst_port())).ok(),
        _ => return None,
    };
    let (transport, src_port, dst_port) = ports.expect("verify accepted a transport header parse refuses");
    Some((transport, (ip.dst(), dst_port), (ip.src(), src_port)))
}

fn check_reply(request: &[u8], reply: &[u8]) {
    assert!(reply.len() <= request.len(), "a {}-byte reply to a {}-byte request", reply.len(), request.len());
    let req = EthernetFrame::parse(request).expect("a reply to a frame that does not parse");
    let eth = EthernetFrame::parse(reply).expect("our reply does not parse");
    assert_eq!(eth.src(), OUR_MAC);
    match eth.ethertype() {
        ethernet::ETHERTYPE_ARP => {
            // To the hardware address the request names, as Linux's arp_process.
            let asked = ArpPacket::parse(req.payload()).expect("an ARP reply to something else");
            assert_eq!(eth.dst(), asked.sender_mac());
            let a = ArpPacket::parse(eth.payload()).expect("our ARP reply does not parse");
            assert_eq!((a.op(), a.sender_ip(), a.sender_mac()), (arp::OP_REPLY, OUR_IP, OUR_MAC));
            assert_eq!((a.target_mac(), a.target_ip()), (asked.sender_mac(), asked.sender_ip()));
        }
        ethernet::ETHERTYPE_IPV4 => {
            assert_eq!(eth.dst(), req.src());
            let ip = Ipv4Packet::parse(eth.payload()).expect("our IPv4 reply does not parse");
            assert_eq!((ip.src(), ip.protocol()), (OUR_IP, ipv4::PROTO_ICMP));
            let echo = IcmpPacket::parse(ip.payload()).expect("our echo reply does not parse");
            assert!(echo.checksum_ok() && echo.icmp_type() == icmp::TYPE_ECHO_REPLY);
        }
        other => panic!("a reply of ethertype {other:#x}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&settings, rest)) = data.split_first() else { return };
    let cfg = LinkConfig { mac: OUR_MAC, ip: (settings & 1 != 0).then_some(OUR_IP) };
    let hdr_len = if settings & 2 != 0 { MODERN_LEN } else { LEGACY_LEN };
    let Some(hdr) = VirtioNetHdr::read(rest, hdr_len) else { return };
    let mut back = [0u8; MODERN_LEN];
    assert_eq!(hdr.write(&mut back, hdr_len), hdr_len);
    assert_eq!(&back[..hdr_len], &rest[..hdr_len], "the virtio header does not write back as read");

    let mut frame = rest[hdr_len..].to_vec();
    if settings & 4 != 0 {
        ringo_fuzz::fix_checksums(&mut frame);
    }
    let field = usize::from(hdr.csum_start) + usize::from(hdr.csum_offset);
    let partial = frame.get(field..field + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let Ok(csum) = virtio_hdr::rx_checksum_state(&hdr, &mut frame) else { return };
    if hdr.flags & F_NEEDS_CSUM != 0 && hdr.csum_offset % 2 == 0 {
        let partial = partial.expect("a checksum completed outside the frame");
        let covered = &frame[usize::from(hdr.csum_start)..];
        assert_eq!(checksum_with(u32::from(partial), &[covered]), 0, "the completed checksum does not verify");
    }

    let class = flow::classify_ethernet(&frame);
    if let Ok(eth) = EthernetFrame::parse(&frame)
        && eth.ethertype() == ethernet::ETHERTYPE_IPV4
        && let Some((transport, local, remote)) = validated_key(eth.payload())
    {
        let key = class.key().expect("the classifier has no key for a valid TCP/UDP packet");
        assert_eq!((key.transport, key.local, key.remote), (transport, local, remote));
    }

    let mut out = [0u8; MAX_FRAME];
    let verdict = link::handle_frame(&cfg, &frame, csum, &mut out);
    match verdict {
        Verdict::Deliver(_) => {
            assert!(!matches!(class, Class::NotIpv4 | Class::Arp), "delivered a frame classified {class:?}")
        }
        Verdict::Reply(n) => {
            assert!(!matches!(class, Class::NotIpv4), "answered a frame classified {class:?}");
            check_reply(&frame, &out[..n]);
        }
        Verdict::Consumed => assert!(!matches!(class, Class::NotIpv4)),
        Verdict::Drop(reason) => {
            let _ = (reason.name(), reason.index());
        }
    }
    if let Some((ip, mac)) = link::arp_sender(&frame) {
        assert_eq!(class, Class::Arp);
        assert!(!mac.is_multicast(), "learned {ip} at a group address");
    }
});
