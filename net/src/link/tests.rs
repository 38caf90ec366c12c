use super::*;
use crate::checksum::internet_checksum;
use crate::wire::ipv4::tests::fix_checksum;

const OUR_MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const PEER_MAC: MacAddr = MacAddr([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
const OUR_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
const PEER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);

const CFG: LinkConfig = LinkConfig { mac: OUR_MAC, ip: Some(OUR_IP) };
const UNCONFIGURED: LinkConfig = LinkConfig { mac: OUR_MAC, ip: None };

fn frame(dst: MacAddr, ethertype: u16, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&PEER_MAC.0);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(body);
    f
}

fn arp_body(op: u16, target_ip: Ipv4Addr) -> Vec<u8> {
    let mut b = vec![0, 1, 8, 0, 6, 4];
    b.extend_from_slice(&op.to_be_bytes());
    b.extend_from_slice(&PEER_MAC.0);
    b.extend_from_slice(&PEER_IP.octets());
    b.extend_from_slice(&[0; 6]);
    b.extend_from_slice(&target_ip.octets());
    b
}

fn arp_request(target_ip: Ipv4Addr) -> Vec<u8> {
    frame(MacAddr::BROADCAST, ethernet::ETHERTYPE_ARP, &arp_body(arp::OP_REQUEST, target_ip))
}

fn ipv4_packet(dst: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; 20 + payload.len()];
    let header =
        Ipv4Header { src: PEER_IP, dst, protocol, ttl: 63, identification: 0x4242, payload_len: payload.len() };
    header.write(&mut p).unwrap();
    p[20..].copy_from_slice(payload);
    p
}

fn echo_request(payload: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 8 + payload.len()];
    icmp::write_echo(&mut m, icmp::TYPE_ECHO_REQUEST, 0xbeef, 7, payload).unwrap();
    m
}

fn ping(dst: Ipv4Addr, payload: &[u8]) -> Vec<u8> {
    frame(OUR_MAC, ethernet::ETHERTYPE_IPV4, &ipv4_packet(dst, ipv4::PROTO_ICMP, &echo_request(payload)))
}

fn handle(cfg: &LinkConfig, frame: &[u8]) -> (Verdict, Vec<u8>) {
    let mut out = vec![0u8; MAX_FRAME];
    let verdict = handle_frame(cfg, frame, ChecksumState::Unverified, &mut out);
    if let Verdict::Reply(len) = verdict {
        out.truncate(len);
    }
    (verdict, out)
}

#[test]
fn frames_shorter_than_an_ethernet_header_are_runts() {
    for len in 0..MIN_FRAME {
        assert_eq!(handle(&CFG, &vec![0xff; len]).0, Verdict::Drop(Runt));
    }
}

#[test]
fn frames_longer_than_1514_bytes_are_oversized() {
    let mut f = ping(OUR_IP, &[]);
    f.resize(1515, 0);
    assert_eq!(handle(&CFG, &f).0, Verdict::Drop(Oversized));
    f.truncate(1514);
    assert!(matches!(handle(&CFG, &f).0, Verdict::Reply(_)), "1514 bytes (padding after the packet) is fine");
}

#[test]
fn unicast_frames_for_another_mac_are_not_for_us_whatever_they_carry() {
    let other = MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x57]);
    assert_eq!(handle(&CFG, &frame(other, ethernet::ETHERTYPE_ARP, &arp_body(1, OUR_IP))).0, Verdict::Drop(NotForUs));
    assert_eq!(handle(&CFG, &frame(other, 0x8100, &[0; 30])).0, Verdict::Drop(NotForUs));
    assert_eq!(handle(&CFG, &frame(other, ethernet::ETHERTYPE_IPV6, &[0; 40])).0, Verdict::Drop(NotForUs));
}

#[test]
fn an_arp_request_for_our_ip_gets_an_exact_42_byte_reply() {
    let (verdict, out) = handle(&CFG, &arp_request(OUR_IP));
    assert_eq!(verdict, Verdict::Reply(42));
    let expected: [u8; 42] = [
        0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, // to the requester
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, // from us
        0x08, 0x06, // ARP
        0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02, // Ethernet/IPv4, reply
        0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0, 2, 15, // sender: us
        0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 10, 0, 2, 2, // target: the requester
    ];
    assert_eq!(out, expected);
}

#[test]
fn a_padded_arp_request_gets_an_unpadded_reply() {
    let mut f = arp_request(OUR_IP);
    f.resize(60, 0);
    assert_eq!(handle(&CFG, &f).0, Verdict::Reply(42));
}

#[test]
fn an_arp_request_for_another_ip_is_not_for_us() {
    assert_eq!(handle(&CFG, &arp_request(Ipv4Addr::new(10, 0, 2, 16))).0, Verdict::Drop(NotForUs));
}

#[test]
fn an_arp_reply_is_consumed_and_its_sender_learnt() {
    let f = frame(OUR_MAC, ethernet::ETHERTYPE_ARP, &arp_body(arp::OP_REPLY, OUR_IP));
    assert_eq!(handle(&CFG, &f).0, Verdict::Consumed);
    assert_eq!(arp_sender(&f), Some((PEER_IP, PEER_MAC)));
    assert_eq!(arp_sender(&arp_request(OUR_IP)), Some((PEER_IP, PEER_MAC)));
    assert_eq!(arp_sender(&ping(OUR_IP, b"")), None);
}

#[test]
fn malformed_arp_is_a_bad_header() {
    let mut truncated = arp_request(OUR_IP);
    truncated.truncate(14 + 27);
    assert_eq!(handle(&CFG, &truncated).0, Verdict::Drop(BadHeader));
    let mut bad_hlen = arp_request(OUR_IP);
    bad_hlen[14 + 4] = 5;
    assert_eq!(handle(&CFG, &bad_hlen).0, Verdict::Drop(BadHeader));
    let mut group_sender = arp_request(OUR_IP);
    group_sender[14 + 8] = 0x01;
    assert_eq!(handle(&CFG, &group_sender).0, Verdict::Drop(BadHeader));
}

#[test]
fn an_arp_opcode_other_than_request_or_reply_is_unsupported() {
    let f = frame(MacAddr::BROADCAST, ethernet::ETHERTYPE_ARP, &arp_body(3, OUR_IP));
    assert_eq!(handle(&CFG, &f).0, Verdict::Drop(Unsupported));
}

#[test]
fn without_an_ip_address_neither_arp_nor_ipv4_is_answered() {
    assert_eq!(handle(&UNCONFIGURED, &arp_request(OUR_IP)).0, Verdict::Drop(NotForUs));
    assert_eq!(handle(&UNCONFIGURED, &ping(OUR_IP, b"x")).0, Verdict::Drop(NotForUs));
    let dhcp_offer = frame(MacAddr::BROADCAST, 0x0800, &ipv4_packet(Ipv4Addr::BROADCAST, 17, &[0; 8]));
    assert_eq!(handle(&UNCONFIGURED, &dhcp_offer).0, Verdict::Drop(NotForUs));
}

#[test]
fn an_echo_request_gets_an_echo_reply_with_the_same_identifier_sequence_and_payload() {
    let payload: Vec<u8> = (0..56).collect();
    let (verdict, out) = handle(&CFG, &ping(OUR_IP, &payload));
    assert_eq!(verdict, Verdict::Reply(14 + 20 + 8 + 56));

    assert_eq!(&out[..14], &[0x52, 0x55, 0x0a, 0, 2, 2, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x00]);
    let ip = &out[14..34];
    assert_eq!(&ip[..10], &[0x45, 0, 0, 84, 0, 0, 0, 0, 64, 1]);
    assert_eq!(&ip[12..], &[10, 0, 2, 15, 10, 0, 2, 2]);
    assert_eq!(internet_checksum(&[ip]), 0);
    let icmp = &out[34..];
    assert_eq!(&icmp[..2], &[0, 0]);
    assert_eq!(&icmp[4..8], &[0xbe, 0xef, 0, 7]);
    assert_eq!(&icmp[8..], &payload[..]);
    assert_eq!(internet_checksum(&[icmp]), 0);
}

#[test]
fn request_ip_options_are_not_copied_into_the_reply() {
    let mut packet = ipv4_packet(OUR_IP, ipv4::PROTO_ICMP, &echo_request(b"opts"));
    packet.splice(20..20, [0x94, 0x04, 0, 0]); // Router Alert
    packet[0] = 0x46;
    packet[2..4].copy_from_slice(&36u16.to_be_bytes());
    fix_checksum(&mut packet);
    let (verdict, out) = handle(&CFG, &frame(OUR_MAC, 0x0800, &packet));
    assert_eq!(verdict, Verdict::Reply(14 + 20 + 12));
    assert_eq!(out[14], 0x45);
    assert_eq!(&out[42..], b"opts");
}

#[test]
fn an_echo_request_with_a_wrong_checksum_is_dropped_unless_the_device_verified_it() {
    let mut f = ping(OUR_IP, b"abcd");
    *f.last_mut().unwrap() ^= 0xff;
    assert_eq!(handle(&CFG, &f).0, Verdict::Drop(BadChecksum));
    let mut out = [0u8; MAX_FRAME];
    assert_eq!(handle_frame(&CFG, &f, ChecksumState::Verified, &mut out), Verdict::Reply(46));
}

#[test]
fn a_wrong_ip_header_checksum_is_dropped_even_when_the_device_verified_the_frame() {
    let mut f = ping(OUR_IP, b"abcd");
    f[14 + 8] = 1; // TTL changed, checksum not
    let mut out = [0u8; MAX_FRAME];
    assert_eq!(handle_frame(&CFG, &f, ChecksumState::Verified, &mut out), Verdict::Drop(BadChecksum));
}

#[test]
fn a_reply_that_does_not_fit_out_is_dropped_as_oversized() {
    let f = ping(OUR_IP, b"abcd");
    let mut out = [0u8; 45];
    assert_eq!(handle_frame(&CFG, &f, ChecksumState::Unverified, &mut out), Verdict::Drop(Oversized));
    let mut out = [0u8; 41];
    assert_eq!(handle_frame(&CFG, &arp_request(OUR_IP), ChecksumState::Unverified, &mut out), Verdict::Drop(Oversized));
}

#[test]
fn ipv4_for_another_address_is_not_for_us() {
    assert_eq!(handle(&CFG, &ping(Ipv4Addr::new(10, 0, 2, 16), b"")).0, Verdict::Drop(NotForUs));
    let udp = frame(OUR_MAC, 0x0800, &ipv4_packet(Ipv4Addr::new(10, 0, 2, 255), 17, &[0; 8]));
    assert_eq!(handle(&CFG, &udp).0, Verdict::Drop(NotForUs), "subnet broadcast is not known");
}

#[test]
fn tcp_udp_and_other_protocols_for_us_are_delivered() {
    let tcp = frame(OUR_MAC, 0x0800, &ipv4_packet(OUR_IP, ipv4::PROTO_TCP, &[0; 20]));
    assert_eq!(handle(&CFG, &tcp).0, Verdict::Deliver(Protocol::Tcp));
    let udp = frame(OUR_MAC, 0x0800, &ipv4_packet(OUR_IP, ipv4::PROTO_UDP, &[0; 8]));
    assert_eq!(handle(&CFG, &udp).0, Verdict::Deliver(Protocol::Udp));
    let gre = frame(OUR_MAC, 0x0800, &ipv4_packet(OUR_IP, 47, &[0; 4]));
    assert_eq!(handle(&CFG, &gre).0, Verdict::Deliver(Protocol::OtherIp));
    let mut reply = vec![0u8; 8];
    icmp::write_echo(&mut reply, icmp::TYPE_ECHO_REPLY, 1, 1, b"").unwrap();
    let echo_reply = frame(OUR_MAC, 0x0800, &ipv4_packet(OUR_IP, ipv4::PROTO_ICMP, &reply));
    assert_eq!(handle(&CFG, &echo_reply).0, Verdict::Deliver(Protocol::OtherIp));
}

#[test]
fn limited_broadcast_delivers_udp_ignores_pings_and_refuses_tcp() {
    let to_all =
        |proto, payload: &[u8]| frame(MacAddr::BROADCAST, 0x0800, &ipv4_packet(Ipv4Addr::BROADCAST, proto, payload));
    assert_eq!(handle(&CFG, &to_all(ipv4::PROTO_UDP, &[0; 8])).0, Verdict::Deliver(Protocol::Udp));
    assert_eq!(handle(&CFG, &to_all(ipv4::PROTO_ICMP, &echo_request(b""))).0, Verdict::Consumed);
    assert_eq!(handle(&CFG, &to_all(ipv4::PROTO_TCP, &[0; 20])).0, Verdict::Drop(NotForUs));
}

#[test]
fn an_echo_request_from_a_group_or_unspecified_source_is_not_answered() {
    let mut from_group_mac = ping(OUR_IP, b"");
    from_group_mac[6] = 0x01;
    assert_eq!(handle(&CFG, &from_group_mac).0, Verdict::Drop(BadHeader));
    let mut from_nobody = ping(OUR_IP, b"");
    from_nobody[14 + 12..14 + 16].fill(0);
    fix_checksum(&mut from_nobody[14..]);
    assert_eq!(handle(&CFG, &from_nobody).0, Verdict::Drop(BadHeader));
}

#[test]
fn fragments_for_us_are_dropped_as_fragments() {
    let mut f = ping(OUR_IP, b"abcd");
    f[14 + 6] = 0x20; // more fragments
    fix_checksum(&mut f[14..]);
    assert_eq!(handle(&CFG, &f).0, Verdict::Drop(Fragment));
    let mut elsewhere = ping(Ipv4Addr::new(10, 0, 2, 99), b"abcd");
    elsewhere[14 + 7] = 0x10; // offset 128
    fix_checksum(&mut elsewhere[14..]);
    assert_eq!(handle(&CFG, &elsewhere).0, Verdict::Drop(NotForUs));
}

#[test]
fn malformed_ipv4_and_icmp_are_bad_headers() {
    let mut truncated = ping(OUR_IP, b"abcd");
    truncated.truncate(14 + 19);
    assert_eq!(handle(&CFG, &truncated).0, Verdict::Drop(BadHeader));
    let mut ipv6_in_v4 = ping(OUR_IP, b"abcd");
    ipv6_in_v4[14] = 0x65;
    assert_eq!(handle(&CFG, &ipv6_in_v4).0, Verdict::Drop(BadHeader));
    let short_icmp = frame(OUR_MAC, 0x0800, &ipv4_packet(OUR_IP, ipv4::PROTO_ICMP, &[8, 0, 0, 0]));
    assert_eq!(handle(&CFG, &short_icmp).0, Verdict::Drop(BadHeader));
}

#[test]
fn ipv6_vlan_and_unknown_ethertypes_are_unsupported() {
    for ethertype in [ethernet::ETHERTYPE_IPV6, 0x8100, 0x88a8, 0x88cc, 0x0042] {
        assert_eq!(handle(&CFG, &frame(OUR_MAC, ethertype, &[0; 46])).0, Verdict::Drop(Unsupported), "{ethertype:#x}");
    }
}

#[test]
fn drop_reasons_have_distinct_indexes_and_snake_case_names() {
    for (i, reason) in DropReason::ALL.iter().enumerate() {
        assert_eq!(reason.index(), i);
    }
    let names: Vec<&str> = DropReason::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(names, ["runt", "oversized", "not_for_us", "bad_header", "bad_checksum", "fragment", "unsupported"]);
}

/// xorshift64*: enough to shake the parsers, and reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn never_panics_on_any_input_and_every_reply_fits_out() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let seeds = [arp_request(OUR_IP), ping(OUR_IP, &[0x55; 64]), ping(Ipv4Addr::BROADCAST, b"")];
    for round in 0..20_000 {
        let mut f = if round % 4 == 0 {
            (0..rng.below(120)).map(|_| rng.next() as u8).collect()
        } else {
            seeds[round % seeds.len()].clone()
        };
        for _ in 0..rng.below(4) {
            if f.is_empty() {
                break;
            }
            let at = rng.below(f.len());
            f[at] = rng.next() as u8;
        }
        if rng.below(3) == 0 {
            let len = rng.below(f.len() + 1);
            f.truncate(len);
        }
        let mut out = vec![0u8; rng.below(MAX_FRAME + 1)];
        for csum in [ChecksumState::Unverified, ChecksumState::Verified] {
            if let Verdict::Reply(len) = handle_frame(&CFG, &f, csum, &mut out) {
                assert!(len <= out.len() && len <= f.len().max(42));
            }
        }
        let _ = arp_sender(&f);
    }
}
