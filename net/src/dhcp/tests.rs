use super::*;
use crate::checksum::{checksum_with, internet_checksum, pseudo_header_sum};

const CLIENT_MAC: MacAddr = MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
const SLIRP_MAC: MacAddr = MacAddr([0x52, 0x55, 0x0a, 0x00, 0x02, 0x02]);
const XID: u32 = 0x3903_f326;
const SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
const CLIENT: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
const DNS: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);

/// The options of a frame we sent, in order.
fn options_of(frame: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut opts = Vec::new();
    let mut at = MESSAGE_AT + OPTIONS_AT;
    while frame[at] != OPT_END {
        let (code, len) = (frame[at], usize::from(frame[at + 1]));
        opts.push((code, frame[at + 2..at + 2 + len].to_vec()));
        at += 2 + len;
    }
    opts
}

/// A reply built the way QEMU's slirp (bootp.c) builds one: to the
/// broadcast address, from 10.0.2.2:67, the full 548-byte message with
/// message type, server id, netmask, router, DNS and lease time.
fn slirp_reply(xid: u32, chaddr: MacAddr, message_type: u8) -> Vec<u8> {
    let mut m = vec![0u8; MESSAGE_LEN];
    m[..4].copy_from_slice(&[OP_BOOTREPLY, HTYPE_ETHERNET, 6, 0]);
    m[XID_AT..XID_AT + 4].copy_from_slice(&xid.to_be_bytes());
    if message_type != DHCPNAK {
        m[YIADDR_AT..YIADDR_AT + 4].copy_from_slice(&CLIENT.octets());
        m[20..24].copy_from_slice(&SERVER.octets()); // siaddr
    }
    m[CHADDR_AT..CHADDR_AT + 6].copy_from_slice(&chaddr.0);
    m[COOKIE_AT..COOKIE_AT + 4].copy_from_slice(&MAGIC_COOKIE);
    let mut opts = vec![OPT_MESSAGE_TYPE, 1, message_type, OPT_SERVER_ID, 4, 10, 0, 2, 2];
    if message_type != DHCPNAK {
        opts.extend_from_slice(&[OPT_SUBNET_MASK, 4, 255, 255, 255, 0]);
        opts.extend_from_slice(&[OPT_ROUTER, 4, 10, 0, 2, 2]);
        opts.extend_from_slice(&[OPT_DNS, 4, 10, 0, 2, 3]);
        opts.extend_from_slice(&[OPT_LEASE_TIME, 4, 0x00, 0x01, 0x51, 0x80]); // 86400 s
    }
    opts.push(OPT_END);
    m[OPTIONS_AT..OPTIONS_AT + opts.len()].copy_from_slice(&opts);
    udp_frame(&m)
}

fn udp_frame(message: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; MESSAGE_AT + message.len()];
    f[MESSAGE_AT..].copy_from_slice(message);
    udp::write_header(&mut f[34..], (SERVER, SERVER_PORT), (Ipv4Addr::BROADCAST, CLIENT_PORT), message.len()).unwrap();
    let ip = Ipv4Header {
        src: SERVER,
        dst: Ipv4Addr::BROADCAST,
        protocol: ipv4::PROTO_UDP,
        ttl: 64,
        identification: 1,
        payload_len: 8 + message.len(),
    };
    ip.write(&mut f[14..]).unwrap();
    ethernet::write_header(&mut f, MacAddr::BROADCAST, SLIRP_MAC, ethernet::ETHERTYPE_IPV4).unwrap();
    f
}

fn client() -> DhcpClient {
    DhcpClient::new(CLIENT_MAC, XID)
}

/// A client that sent its DISCOVER and got slirp's OFFER.
fn requesting() -> DhcpClient {
    let mut c = client();
    let mut out = [0u8; FRAME_LEN];
    c.discover(&mut out);
    assert!(matches!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPOFFER), &mut out), DhcpEvent::Send(_)));
    c
}

const SLIRP_LEASE: Lease = Lease {
    addr: CLIENT,
    netmask: Ipv4Addr::new(255, 255, 255, 0),
    router: Some(SERVER),
    dns: [Some(DNS), None],
    server: SERVER,
    lease_secs: 86400,
};

#[test]
fn discover_is_a_broadcast_from_0_0_0_0_port_68_to_port_67() {
    let mut c = client();
    let mut out = [0u8; 1514];
    assert_eq!(c.discover(&mut out), FRAME_LEN);
    assert_eq!(FRAME_LEN, 590);
    assert_eq!(c.state(), DhcpState::Selecting);
    let f = &out[..FRAME_LEN];

    assert_eq!(&f[..14], &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x00]);
    let ip = Ipv4Packet::parse(&f[14..]).unwrap();
    assert_eq!(
        (ip.src(), ip.dst(), ip.protocol(), ip.total_len()),
        (Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST, 17, 576)
    );
    let datagram = UdpDatagram::parse_verified(ip.payload(), ip.src(), ip.dst()).unwrap();
    assert_eq!((datagram.src_port(), datagram.dst_port(), datagram.len()), (68, 67, 556));
    assert_ne!(datagram.checksum(), 0);

    let m = datagram.payload();
    assert_eq!(&m[..4], &[1, 1, 6, 0]);
    assert_eq!(&m[4..8], &XID.to_be_bytes());
    assert_eq!(&m[8..28], &[0; 20], "secs, flags, ciaddr, yiaddr, siaddr, giaddr");
    assert_eq!(&m[28..34], &CLIENT_MAC.0);
    assert_eq!(&m[236..240], &[99, 130, 83, 99]);
    assert_eq!(options_of(f), vec![(53, vec![1]), (55, vec![1, 3, 6, 12, 51])]);
}

#[test]
fn an_offer_is_answered_with_a_request_for_the_offered_address_to_the_offering_server() {
    let mut c = client();
    let mut out = [0u8; FRAME_LEN];
    c.discover(&mut out);
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPOFFER), &mut out), DhcpEvent::Send(FRAME_LEN));
    assert_eq!(c.state(), DhcpState::Requesting);

    let ip = Ipv4Packet::parse(&out[14..]).unwrap();
    assert_eq!((ip.src(), ip.dst()), (Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST));
    assert!(UdpDatagram::parse_verified(ip.payload(), ip.src(), ip.dst()).is_ok());
    assert_eq!(&out[MESSAGE_AT + XID_AT..MESSAGE_AT + XID_AT + 4], &XID.to_be_bytes());
    assert_eq!(
        options_of(&out),
        vec![(53, vec![3]), (50, vec![10, 0, 2, 15]), (54, vec![10, 0, 2, 2]), (55, vec![1, 3, 6, 12, 51])]
    );
}

#[test]
fn a_full_exchange_with_slirp_binds_its_lease() {
    let mut c = requesting();
    let mut out = [0u8; FRAME_LEN];
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPACK), &mut out), DhcpEvent::Bound(SLIRP_LEASE));
    assert_eq!(c.state(), DhcpState::Bound);
    assert_eq!(c.lease(), Some(SLIRP_LEASE));
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPACK), &mut out), DhcpEvent::Ignored, "already bound");
}

#[test]
fn a_nak_sends_the_client_back_to_init() {
    let mut c = requesting();
    let mut out = [0u8; FRAME_LEN];
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPNAK), &mut out), DhcpEvent::Nak);
    assert_eq!(c.state(), DhcpState::Init);
    assert_eq!(c.retransmit(&mut out), 0);
    assert_eq!(c.discover(&mut out), FRAME_LEN);
}

#[test]
fn retransmit_resends_the_current_message_unchanged() {
    let mut c = client();
    let mut first = [0u8; FRAME_LEN];
    let mut again = [0u8; FRAME_LEN];
    assert_eq!(c.retransmit(&mut again), 0, "nothing sent yet");
    c.discover(&mut first);
    assert_eq!(c.retransmit(&mut again), FRAME_LEN);
    assert_eq!(first, again);

    c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPOFFER), &mut first);
    assert_eq!(c.retransmit(&mut again), FRAME_LEN);
    assert_eq!(first, again);

    c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPACK), &mut first);
    assert_eq!(c.retransmit(&mut again), 0);
}

#[test]
fn replies_to_another_transaction_or_client_are_ignored() {
    let mut out = [0u8; FRAME_LEN];
    let mut c = client();
    c.discover(&mut out);
    assert_eq!(c.handle(&slirp_reply(XID + 1, CLIENT_MAC, DHCPOFFER), &mut out), DhcpEvent::Ignored);
    assert_eq!(c.handle(&slirp_reply(XID, SLIRP_MAC, DHCPOFFER), &mut out), DhcpEvent::Ignored);
    let mut request = slirp_reply(XID, CLIENT_MAC, DHCPOFFER);
    request[MESSAGE_AT] = OP_BOOTREQUEST;
    let fixed = udp_frame(&request[MESSAGE_AT..]);
    assert_eq!(c.handle(&fixed, &mut out), DhcpEvent::Ignored, "op must be BOOTREPLY");
    assert_eq!(c.state(), DhcpState::Selecting);
}

#[test]
fn messages_out_of_turn_are_ignored() {
    let mut out = [0u8; FRAME_LEN];
    let mut c = client();
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPOFFER), &mut out), DhcpEvent::Ignored, "no DISCOVER sent");
    c.discover(&mut out);
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPACK), &mut out), DhcpEvent::Ignored);
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPNAK), &mut out), DhcpEvent::Ignored);
    let mut c = requesting();
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPOFFER), &mut out), DhcpEvent::Ignored, "a second offer");
}

#[test]
fn an_ack_from_a_server_we_did_not_choose_is_ignored() {
    let mut c = requesting();
    let mut out = [0u8; FRAME_LEN];
    let mut ack = slirp_reply(XID, CLIENT_MAC, DHCPACK);
    let at = MESSAGE_AT + OPTIONS_AT + 3 + 2;
    ack[at..at + 4].copy_from_slice(&[10, 0, 2, 9]);
    let ack = udp_frame(&ack[MESSAGE_AT..]);
    assert_eq!(c.handle(&ack, &mut out), DhcpEvent::Ignored);
    assert_eq!(c.state(), DhcpState::Requesting);
}

#[test]
fn an_ack_without_mask_or_lease_time_gets_the_classful_mask_and_an_infinite_lease() {
    let mut c = requesting();
    let mut out = [0u8; FRAME_LEN];
    let mut m = slirp_reply(XID, CLIENT_MAC, DHCPACK)[MESSAGE_AT..].to_vec();
    m[OPTIONS_AT..].fill(0);
    m[OPTIONS_AT..OPTIONS_AT + 10].copy_from_slice(&[OPT_MESSAGE_TYPE, 1, DHCPACK, OPT_PAD, OPT_DNS, 8, 1, 1, 1, 1]);
    m[OPTIONS_AT + 10..OPTIONS_AT + 15].copy_from_slice(&[9, 9, 9, 9, OPT_END]);
    let lease = Lease {
        netmask: Ipv4Addr::new(255, 0, 0, 0),
        router: None,
        dns: [Some(Ipv4Addr::new(1, 1, 1, 1)), Some(Ipv4Addr::new(9, 9, 9, 9))],
        lease_secs: u32::MAX,
        ..SLIRP_LEASE
    };
    assert_eq!(c.handle(&udp_frame(&m), &mut out), DhcpEvent::Bound(lease));
}

#[test]
fn malformed_options_discard_the_message() {
    let mut out = [0u8; FRAME_LEN];
    let base = slirp_reply(XID, CLIENT_MAC, DHCPOFFER)[MESSAGE_AT..].to_vec();
    let cases: [&[u8]; 4] = [
        &[OPT_MESSAGE_TYPE, 2, DHCPOFFER, 0],                // wrong length
        &[OPT_MESSAGE_TYPE, 1, DHCPOFFER, OPT_ROUTER, 3, 1], // router not 4 bytes
        &[OPT_SERVER_ID, 4, 10, 0, 2, 2],                    // no message type
        &[OPT_MESSAGE_TYPE, 1, DHCPOFFER],                   // no server id
    ];
    for opts in cases {
        let mut m = base.clone();
        m[OPTIONS_AT..].fill(0);
        m[OPTIONS_AT..OPTIONS_AT + opts.len()].copy_from_slice(opts);
        let mut c = client();
        c.discover(&mut out);
        assert_eq!(c.handle(&udp_frame(&m), &mut out), DhcpEvent::Ignored, "{opts:?}");
    }
    // An option running past the end of the message.
    let mut m = base[..OPTIONS_AT].to_vec();
    m.extend_from_slice(&[OPT_MESSAGE_TYPE, 1, DHCPOFFER, OPT_SERVER_ID, 4, 10, 0]);
    let mut c = client();
    c.discover(&mut out);
    assert_eq!(c.handle(&udp_frame(&m), &mut out), DhcpEvent::Ignored);
}

#[test]
fn a_bad_udp_checksum_discards_the_reply() {
    let mut c = client();
    let mut out = [0u8; FRAME_LEN];
    c.discover(&mut out);
    let mut offer = slirp_reply(XID, CLIENT_MAC, DHCPOFFER);
    *offer.last_mut().unwrap() ^= 1;
    assert_eq!(c.handle(&offer, &mut out), DhcpEvent::Ignored);
}

#[test]
fn an_out_buffer_too_small_writes_nothing_and_keeps_the_state() {
    let mut c = client();
    let mut small = [0u8; FRAME_LEN - 1];
    assert_eq!(c.discover(&mut small), 0);
    assert_eq!(c.handle(&slirp_reply(XID, CLIENT_MAC, DHCPOFFER), &mut small), DhcpEvent::Ignored);
    assert_eq!(c.state(), DhcpState::Selecting);
}

#[test]
fn a_hostname_is_sent_as_option_12() {
    let mut c = client().with_hostname("ringo");
    let mut out = [0u8; FRAME_LEN];
    c.discover(&mut out);
    assert!(options_of(&out).contains(&(12, b"ringo".to_vec())));
}

#[test]
fn frames_we_build_check_out_at_every_layer() {
    let mut out = [0u8; FRAME_LEN];
    client().discover(&mut out);
    assert_eq!(internet_checksum(&[&out[14..34]]), 0);
    let udp_len = (FRAME_LEN - 34) as u16;
    assert_eq!(
        checksum_with(pseudo_header_sum(Ipv4Addr::UNSPECIFIED, Ipv4Addr::BROADCAST, 17, udp_len), &[&out[34..]]),
        0
    );
}

/// xorshift64*, reproducible.
fn rng(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_f491_4f6c_dd1d)
}

#[test]
fn garbage_is_ignored_and_never_panics() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = vec![0u8; FRAME_LEN];
    let offer = slirp_reply(XID, CLIENT_MAC, DHCPOFFER);
    let ack = slirp_reply(XID, CLIENT_MAC, DHCPACK);
    for round in 0..5_000 {
        let mut c = if round % 2 == 0 { client() } else { requesting() };
        c.discover(&mut out);
        if round % 2 == 1 {
            c.handle(&offer, &mut out);
        }
        let random_len = (rng(&mut state) % 700) as usize;
        let random: Vec<u8> = (0..random_len).map(|_| rng(&mut state) as u8).collect();
        assert_eq!(c.handle(&random, &mut out), DhcpEvent::Ignored);
        // A valid reply with its message bytes corrupted and the checksums
        // fixed up, so the corruption reaches the BOOTP parser.
        let base = if round % 2 == 0 { &offer } else { &ack };
        let mut m = base[MESSAGE_AT..].to_vec();
        for _ in 0..1 + rng(&mut state) % 8 {
            let at = OPTIONS_AT + (rng(&mut state) % 40) as usize;
            m[at] = rng(&mut state) as u8;
        }
        let cut = MESSAGE_AT.min(m.len()) + (rng(&mut state) % (m.len() as u64)) as usize;
        m.truncate(cut.min(m.len()));
        let _ = c.handle(&udp_frame(&m), &mut out);
        let len = (rng(&mut state) % (base.len() as u64)) as usize;
        let _ = c.handle(&base[..len], &mut out);
    }
}
