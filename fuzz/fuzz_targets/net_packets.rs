//! The network's wire formats one by one (ringo_net::wire: Ethernet, ARP,
//! IPv4, ICMP, UDP, TCP), the Internet checksum, and the DHCP client fed a
//! sequence of server replies. The first byte picks the parser; the rest
//! is its input.
//!
//! Invariants: what a view parses, the crate's writer writes back to bytes
//! the view parses the same way (ARP, IPv4, ICMP echo, UDP, Ethernet); the
//! view's slices add up to its bytes; a checksum does not depend on where
//! its input is split; a completed partial checksum verifies; every DHCP
//! message the client sends is a well-formed UDP broadcast, and a lease it
//! binds has a unicast address and a contiguous netmask.
#![no_main]

use core::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use ringo_fuzz::{fix_ipv4_checksums, udp_frame};
use ringo_net::MacAddr;
use ringo_net::checksum::{checksum_with, complete_partial_checksum, fold, internet_checksum, sum};
use ringo_net::config::is_contiguous;
use ringo_net::dhcp::{self, DhcpClient, DhcpEvent, DhcpState};
use ringo_net::tcp::TcpSegment;
use ringo_net::transport_check;
use ringo_net::wire::arp::ArpPacket;
use ringo_net::wire::ethernet::{self, EthernetFrame};
use ringo_net::wire::icmp::{self, IcmpPacket};
use ringo_net::wire::ipv4::{self, Ipv4Header, Ipv4Packet};
use ringo_net::wire::udp::{self, UdpDatagram};

const CLIENT_MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const SERVER_MAC: MacAddr = MacAddr([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
const XID: u32 = 0x3903_f326;
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

fn arp(data: &[u8]) {
    let Ok(p) = ArpPacket::parse(data) else { return };
    let mut out = [0u8; 28];
    assert_eq!(p.write(&mut out), Ok(28));
    assert_eq!(ArpPacket::parse(&out), Ok(p));
    assert_eq!(out[..], data[..28]);
}

fn ipv4(data: &[u8]) {
    let mut packet = data.to_vec();
    fix_ipv4_checksums(&mut packet);
    for bytes in [data, &packet[..]] {
        let Ok(p) = Ipv4Packet::parse_allowing_fragments(bytes) else { continue };
        assert!((20..=60).contains(&p.header_len()));
        assert_eq!(p.options().len(), p.header_len() - ipv4::MIN_HEADER_LEN);
        assert_eq!(p.header_len() + p.payload().len(), usize::from(p.total_len()));
        assert_eq!(Ipv4Packet::parse(bytes).is_ok(), !p.is_fragment());
        let _ = (p.tos(), p.identification(), p.dont_fragment(), p.more_fragments(), p.fragment_offset(), p.ttl());
        let header = Ipv4Header {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            ttl: p.ttl(),
            identification: p.identification(),
            payload_len: p.payload().len(),
        };
        let mut out = vec![0u8; ipv4::MIN_HEADER_LEN + p.payload().len()];
        assert_eq!(header.write(&mut out), Ok(ipv4::MIN_HEADER_LEN));
        out[ipv4::MIN_HEADER_LEN..].copy_from_slice(p.payload());
        let q = Ipv4Packet::parse(&out).expect("our own IPv4 header does not parse");
        assert_eq!((q.src(), q.dst(), q.protocol(), q.ttl()), (p.src(), p.dst(), p.protocol(), p.ttl()));
        assert_eq!((q.identification(), q.payload()), (p.identification(), p.payload()));
        let _ = transport_check::verify(bytes);
    }
}

fn icmp(data: &[u8]) {
    let Ok(p) = IcmpPacket::parse(data) else { return };
    assert_eq!(p.len(), data.len());
    assert_eq!(p.payload().len() + icmp::HEADER_LEN, data.len());
    let _ = (p.code(), p.checksum(), p.checksum_ok(), p.is_empty());
    let mut out = vec![0u8; data.len()];
    let n = icmp::write_echo(&mut out, icmp::TYPE_ECHO_REPLY, p.identifier(), p.sequence(), p.payload());
    assert_eq!(n, Ok(data.len()));
    let q = IcmpPacket::parse(&out).expect("our echo reply does not parse");
    assert!(q.checksum_ok() && q.icmp_type() == icmp::TYPE_ECHO_REPLY);
    assert_eq!((q.identifier(), q.sequence(), q.payload()), (p.identifier(), p.sequence(), p.payload()));
}

fn udp(data: &[u8]) {
    let (src, dst) = (Ipv4Addr::new(10, 0, 2, 2), Ipv4Addr::new(10, 0, 2, 15));
    let Ok(d) = UdpDatagram::parse(data) else { return };
    assert_eq!(d.len(), d.payload().len() + udp::HEADER_LEN);
    assert!(d.len() <= data.len());
    let _ = (d.checksum(), d.checksum_ok(src, dst), d.is_empty());
    let mut out = vec![0u8; d.len()];
    out[udp::HEADER_LEN..].copy_from_slice(d.payload());
    assert_eq!(udp::write_header(&mut out, (src, d.src_port()), (dst, d.dst_port()), d.payload().len()), Ok(8));
    let e = UdpDatagram::parse_verified(&out, src, dst).expect("our own UDP header does not verify");
    assert_eq!((e.src_port(), e.dst_port(), e.payload()), (d.src_port(), d.dst_port(), d.payload()));
}

fn tcp(data: &[u8]) {
    let Ok(s) = TcpSegment::parse(data) else { return };
    assert!((20..=60).contains(&s.header_len()));
    assert_eq!(s.options().len() + 20, s.header_len());
    assert_eq!(s.header_len() + s.payload().len(), data.len());
    assert_eq!(s.changes_state(), s.syn() || s.fin() || s.rst());
    let _ = (s.seq(), s.ack_number(), s.flags(), s.psh(), s.ack(), s.window(), s.checksum(), s.urgent_pointer());
    let _ = s.checksum_ok(Ipv4Addr::new(10, 0, 2, 2), Ipv4Addr::new(10, 0, 2, 15));
}

fn ethernet(data: &[u8]) {
    let Ok(f) = EthernetFrame::parse(data) else { return };
    assert_eq!(ethernet::destination(data), Some(f.dst()));
    let mut out = data.to_vec();
    out[..14].fill(0);
    assert_eq!(ethernet::write_header(&mut out, f.dst(), f.src(), f.ethertype()), Ok(14));
    assert_eq!(out, data);
}

fn checksum(data: &[u8]) {
    let Some((&cut, rest)) = data.split_first() else { return };
    let cut = usize::from(cut).min(rest.len());
    let (a, b) = rest.split_at(cut);
    assert_eq!(fold(sum(0, &[a, b])), fold(sum(0, &[rest])), "the sum depends on where the bytes are split");
    assert_eq!(internet_checksum(&[a, b]), internet_checksum(&[rest]));
    if rest.len() >= 4 {
        let start = usize::from(rest[0]) % rest.len();
        let offset = usize::from(rest[1]) & !1;
        let mut frame = rest.to_vec();
        let field = start + offset;
        let partial = frame.get(field..field + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        if complete_partial_checksum(&mut frame, start, offset).is_ok() {
            let partial = partial.expect("completed a checksum outside the frame");
            assert_eq!(checksum_with(u32::from(partial), &[&frame[start..]]), 0);
        }
    }
}

/// `data`: the client's hostname length and bytes, then replies, each a
/// 2-byte length and a flag byte (bit 0: raw frame; else a DHCP message
/// the target wraps in a correct UDP broadcast from the server).
fn dhcp(data: &[u8]) {
    let Some((&name_len, rest)) = data.split_first() else { return };
    let (name, mut rest) = rest.split_at(usize::from(name_len).min(rest.len()));
    let mut client = DhcpClient::new(CLIENT_MAC, XID).with_hostname(&String::from_utf8_lossy(name));
    let mut out = vec![0u8; dhcp::FRAME_LEN];
    assert_eq!(client.discover(&mut out), dhcp::FRAME_LEN);
    check_sent(&out);
    while rest.len() >= 3 {
        let len = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let flags = rest[2];
        let (message, after) = rest[3..].split_at(len.min(rest.len() - 3));
        rest = after;
        let frame = if flags & 1 != 0 {
            message.to_vec()
        } else {
            let to = if flags & 2 != 0 { CLIENT_MAC } else { MacAddr::BROADCAST };
            let Some(f) = udp_frame(
                (to, SERVER_MAC),
                (SERVER, dhcp::SERVER_PORT),
                (Ipv4Addr::BROADCAST, dhcp::CLIENT_PORT),
                message,
            ) else {
                continue;
            };
            f
        };
        match client.handle(&frame, &mut out) {
            DhcpEvent::Send(n) => {
                assert_eq!(n, dhcp::FRAME_LEN);
                assert_eq!(client.state(), DhcpState::Requesting);
                check_sent(&out[..n]);
            }
            DhcpEvent::Bound(lease) => {
                assert_eq!(client.lease(), Some(lease));
                assert!(is_contiguous(lease.netmask), "bound with netmask {}", lease.netmask);
                let a = lease.addr;
                assert!(!a.is_unspecified() && !a.is_broadcast() && !a.is_multicast(), "bound to {a}");
            }
            DhcpEvent::Nak => assert_eq!(client.state(), DhcpState::Init),
            DhcpEvent::Ignored => {}
        }
        if flags & 4 != 0 {
            let n = client.retransmit(&mut out);
            if n != 0 {
                check_sent(&out[..n]);
            }
        }
    }
}

fn check_sent(frame: &[u8]) {
    let eth = EthernetFrame::parse(frame).expect("a DHCP frame that does not parse");
    assert_eq!((eth.dst(), eth.src(), eth.ethertype()), (MacAddr::BROADCAST, CLIENT_MAC, ethernet::ETHERTYPE_IPV4));
    assert_eq!(transport_check::verify(eth.payload()), Ok(()), "a DHCP frame with a bad header or checksum");
    let ip = Ipv4Packet::parse(eth.payload()).unwrap();
    let d = UdpDatagram::parse(ip.payload()).unwrap();
    assert_eq!((ip.dst(), d.src_port(), d.dst_port()), (Ipv4Addr::BROADCAST, dhcp::CLIENT_PORT, dhcp::SERVER_PORT));
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    match which % 8 {
        0 => arp(rest),
        1 => ipv4(rest),
        2 => icmp(rest),
        3 => udp(rest),
        4 => tcp(rest),
        5 => ethernet(rest),
        6 => checksum(rest),
        _ => dhcp(rest),
    }
});
