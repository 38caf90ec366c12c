//! Ethernet frames for the frame peer, built here from the RFCs and nothing
//! of the kernel's (so a misreading there cannot hide in both): requests
//! the peer sends, the exact replies the guest must send back, and bad
//! input the guest must drop and count.
//!
//! The guest's replies, byte for byte (the contract the kernel follows):
//! - ARP reply: exactly 42 bytes. Ethernet dst = the requester's MAC, src =
//!   the guest's, type 0x0806; htype 1, ptype 0x0800, hlen 6, plen 4, op 2,
//!   sender = (guest MAC, guest IP), target = (requester MAC, requester IP).
//! - ICMP echo reply: Ethernet dst = the requester's MAC, src = the
//!   guest's, type 0x0800; a 20-byte IPv4 header 0x45, TOS 0, total length
//!   20 + the ICMP length, identification 0, flags and fragment offset 0,
//!   TTL 64, protocol 1, a correct header checksum, src = the guest's IP,
//!   dst = the requester's; ICMP type 0 code 0 with a correct checksum,
//!   identifier, sequence number and payload unchanged.
//! - No padding after either, whatever padding the request had.

use std::fmt;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::str::FromStr;

pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;
pub const ETHERNET_HEADER: usize = 14;
/// The shortest frame on a wire (without the FCS): shorter ones are padded.
pub const MIN_FRAME: usize = 60;
/// The longest frame for a 1500-byte MTU (without the FCS).
pub const MAX_FRAME: usize = 1514;
pub const IPV4_HEADER: usize = 20;
pub const PROTO_ICMP: u8 = 1;
pub const ARP_FRAME: usize = 42;
const ICMP_ECHO_REPLY: u8 = 0;
const ICMP_ECHO_REQUEST: u8 = 8;
const ICMP_HEADER: usize = 8;
/// IPv4 flags: don't fragment, more fragments.
const DF: u16 = 0x4000;
const MF: u16 = 0x2000;

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    pub const BROADCAST: Mac = Mac([0xff; 6]);
    pub const ZERO: Mac = Mac([0; 6]);
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Mac {
    type Err = String;

    fn from_str(text: &str) -> Result<Mac, String> {
        let bad = || format!("`{text}` is not a MAC address (aa:bb:cc:dd:ee:ff)");
        let mut mac = [0u8; 6];
        let mut parts = text.split(':');
        for byte in &mut mac {
            let part = parts.next().filter(|p| p.len() == 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Mac(mac))
    }
}

/// A station on the link: its MAC and its IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    pub mac: Mac,
    pub ip: Ipv4Addr,
}

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 =
        data.chunks(2).map(|pair| u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub fn ethernet(dst: Mac, src: Mac, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(ETHERNET_HEADER + payload.len());
    frame.extend_from_slice(&dst.0);
    frame.extend_from_slice(&src.0);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// `frame` padded with zeros to the 60 bytes of the shortest frame, as an
/// Ethernet link delivers short frames (QEMU's dgram backend pads nothing,
/// so the peer chooses).
pub fn padded(mut frame: Vec<u8>) -> Vec<u8> {
    if frame.len() < MIN_FRAME {
        frame.resize(MIN_FRAME, 0);
    }
    frame
}

fn arp(op: u16, dst: Mac, sender: Host, target_mac: Mac, target_ip: Ipv4Addr) -> Vec<u8> {
    let mut body = Vec::with_capacity(28);
    body.extend_from_slice(&1u16.to_be_bytes()); // htype: Ethernet
    body.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes()); // ptype
    body.extend_from_slice(&[6, 4]); // hlen, plen
    body.extend_from_slice(&op.to_be_bytes());
    body.extend_from_slice(&sender.mac.0);
    body.extend_from_slice(&sender.ip.octets());
    body.extend_from_slice(&target_mac.0);
    body.extend_from_slice(&target_ip.octets());
    ethernet(dst, sender.mac, ETHERTYPE_ARP, &body)
}

/// "Who has `target`? Tell `from`", broadcast (42 bytes, unpadded).
pub fn arp_request(from: Host, target: Ipv4Addr) -> Vec<u8> {
    arp(1, Mac::BROADCAST, from, Mac::ZERO, target)
}

/// The reply the guest must send to [`arp_request`]`(requester, guest.ip)`.
pub fn arp_reply(guest: Host, requester: Host) -> Vec<u8> {
    arp(2, requester.mac, guest, requester.mac, requester.ip)
}

/// The IPv4 header fields a frame varies.
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Fields {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub protocol: u8,
    pub ttl: u8,
    pub identification: u16,
    /// Flags (top 3 bits) and fragment offset in 8-byte units.
    pub flags_fragment: u16,
}

impl Ipv4Fields {
    fn echo(src: Ipv4Addr, dst: Ipv4Addr, identification: u16) -> Ipv4Fields {
        Ipv4Fields { src, dst, protocol: PROTO_ICMP, ttl: 64, identification, flags_fragment: DF }
    }
}

/// A 20-byte IPv4 header (correct checksum) and `payload`.
pub fn ipv4_packet(fields: &Ipv4Fields, payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(IPV4_HEADER + payload.len()).expect("an IPv4 packet holds at most 65535 bytes");
    let mut packet = Vec::with_capacity(usize::from(total));
    packet.extend_from_slice(&[0x45, 0]);
    packet.extend_from_slice(&total.to_be_bytes());
    packet.extend_from_slice(&fields.identification.to_be_bytes());
    packet.extend_from_slice(&fields.flags_fragment.to_be_bytes());
    packet.extend_from_slice(&[fields.ttl, fields.protocol, 0, 0]);
    packet.extend_from_slice(&fields.src.octets());
    packet.extend_from_slice(&fields.dst.octets());
    let sum = checksum(&packet[..IPV4_HEADER]);
    packet[10..12].copy_from_slice(&sum.to_be_bytes());
    packet.extend_from_slice(payload);
    packet
}

/// An ICMP echo's identifier, sequence number and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Echo {
    pub id: u16,
    pub seq: u16,
    pub payload: Vec<u8>,
}

impl Echo {
    /// An echo with `len` bytes of payload in a pattern that depends on
    /// `id` and `seq`, so that a reply with another echo's bytes shows.
    pub fn new(id: u16, seq: u16, len: usize) -> Echo {
        let salt = id.wrapping_mul(31).wrapping_add(seq) as u8;
        Echo { id, seq, payload: (0..len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(salt)).collect() }
    }

    fn icmp(&self, icmp_type: u8) -> Vec<u8> {
        let mut icmp = Vec::with_capacity(ICMP_HEADER + self.payload.len());
        icmp.extend_from_slice(&[icmp_type, 0, 0, 0]);
        icmp.extend_from_slice(&self.id.to_be_bytes());
        icmp.extend_from_slice(&self.seq.to_be_bytes());
        icmp.extend_from_slice(&self.payload);
        let sum = checksum(&icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        icmp
    }
}

/// An echo request from `from` to `to` (IPv4 identification from the
/// echo, DF set, TTL 64), unpadded.
pub fn echo_request(from: Host, to: Host, echo: &Echo) -> Vec<u8> {
    let fields = Ipv4Fields::echo(from.ip, to.ip, echo.id ^ echo.seq.rotate_left(8) ^ 0x5a5a);
    ethernet(to.mac, from.mac, ETHERTYPE_IPV4, &ipv4_packet(&fields, &echo.icmp(ICMP_ECHO_REQUEST)))
}

/// The reply the guest must send to [`echo_request`]`(requester, guest, echo)`.
pub fn echo_reply(guest: Host, requester: Host, echo: &Echo) -> Vec<u8> {
    let fields = Ipv4Fields { identification: 0, flags_fragment: 0, ..Ipv4Fields::echo(guest.ip, requester.ip, 0) };
    ethernet(requester.mac, guest.mac, ETHERTYPE_IPV4, &ipv4_packet(&fields, &echo.icmp(ICMP_ECHO_REPLY)))
}

fn ethertype(frame: &[u8]) -> Option<u16> {
    frame.get(12..14).map(|t| u16::from_be_bytes([t[0], t[1]]))
}

/// Whether `frame` is an ARP reply whose sender is `sender_ip` (what
/// [`FramePeer::exchange`](super::frame_peer::FramePeer::exchange) waits
/// for; [`arp_reply`] is what it must then be exactly).
pub fn is_arp_reply_from(frame: &[u8], sender_ip: Ipv4Addr) -> bool {
    ethertype(frame) == Some(ETHERTYPE_ARP)
        && frame.get(20..22) == Some(&[0, 2][..])
        && frame.get(28..32) == Some(&sender_ip.octets()[..])
}

/// The ICMP message in an IPv4 frame, whatever its header length.
fn icmp_of(frame: &[u8]) -> Option<&[u8]> {
    if ethertype(frame) != Some(ETHERTYPE_IPV4) {
        return None;
    }
    let ip = frame.get(ETHERNET_HEADER..)?;
    let header = usize::from(ip.first()? & 0x0f) * 4;
    (ip.get(9) == Some(&PROTO_ICMP)).then(|| ip.get(header..)).flatten()
}

/// The identifier and sequence number of an ICMP echo reply in `frame`.
pub fn echo_reply_ids(frame: &[u8]) -> Option<(u16, u16)> {
    let icmp = icmp_of(frame)?;
    (icmp.len() >= ICMP_HEADER && icmp[0] == ICMP_ECHO_REPLY)
        .then(|| (u16::from_be_bytes([icmp[4], icmp[5]]), u16::from_be_bytes([icmp[6], icmp[7]])))
}

/// Whether `frame` is an ICMP echo reply to `echo` (same identifier and
/// sequence number); [`echo_reply`] is what it must then be exactly.
pub fn is_echo_reply_to(frame: &[u8], echo: &Echo) -> bool {
    echo_reply_ids(frame) == Some((echo.id, echo.seq))
}

/// One line saying what `frame` looks like, for failure messages.
pub fn describe(frame: &[u8]) -> String {
    let Some(kind) = ethertype(frame) else {
        return format!("{} bytes, shorter than an Ethernet header", frame.len());
    };
    let macs = format!("{} -> {}", Mac(frame[6..12].try_into().unwrap()), Mac(frame[0..6].try_into().unwrap()));
    match kind {
        ETHERTYPE_ARP if frame.len() >= ARP_FRAME => {
            let ip = |at: usize| Ipv4Addr::new(frame[at], frame[at + 1], frame[at + 2], frame[at + 3]);
            let op = u16::from_be_bytes([frame[20], frame[21]]);
            format!("{} bytes, ARP op {op} {macs}, sender {} target {}", frame.len(), ip(28), ip(38))
        }
        ETHERTYPE_IPV4 if frame.len() >= ETHERNET_HEADER + IPV4_HEADER => {
            let ip = &frame[ETHERNET_HEADER..];
            let addr = |at: usize| Ipv4Addr::new(ip[at], ip[at + 1], ip[at + 2], ip[at + 3]);
            let mut text = format!(
                "{} bytes, IPv4 {macs}, {} -> {} protocol {} total length {}",
                frame.len(),
                addr(12),
                addr(16),
                ip[9],
                u16::from_be_bytes([ip[2], ip[3]])
            );
            if let Some(icmp) = icmp_of(frame).filter(|icmp| icmp.len() >= ICMP_HEADER) {
                let id = u16::from_be_bytes([icmp[4], icmp[5]]);
                let seq = u16::from_be_bytes([icmp[6], icmp[7]]);
                let _ = write!(text, ", ICMP type {} code {} id {id:#06x} seq {seq}", icmp[0], icmp[1]);
            }
            text
        }
        other => format!("{} bytes, ethertype {other:#06x} {macs}", frame.len()),
    }
}

/// `bytes` as offset, 16 hex bytes a line.
pub fn hexdump(bytes: &[u8]) -> String {
    let mut text = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(text, "{:04x}:", i * 16);
        for byte in line {
            let _ = write!(text, " {byte:02x}");
        }
        text.push('\n');
    }
    text
}

/// Where `got` first differs from `expected`, with both frames dumped;
/// `None` when they are the same bytes.
pub fn difference(got: &[u8], expected: &[u8]) -> Option<String> {
    if got == expected {
        return None;
    }
    let at = got.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(got.len().min(expected.len()));
    Some(format!(
        "differs from byte {at} ({at:#x}) on\n  got:      {}\n  expected: {}\n-- got --\n{}-- expected --\n{}",
        describe(got),
        describe(expected),
        hexdump(got),
        hexdump(expected)
    ))
}

/// The kinds of bad input, each with the `/proc/ringo_net` counter that
/// must count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BadKind {
    /// Shorter than an Ethernet header.
    Runt,
    /// Longer than [`MAX_FRAME`].
    Oversized,
    /// An IPv4 header that cannot be read: IHL below 5, a total length
    /// beyond the frame, a header cut short, version 6 under the IPv4
    /// ethertype.
    BadHeader,
    /// A wrong IPv4 header or ICMP checksum.
    BadChecksum,
    /// An IPv4 fragment (not reassembled).
    Fragment,
}

impl BadKind {
    pub const ALL: [BadKind; 5] =
        [BadKind::Runt, BadKind::Oversized, BadKind::BadHeader, BadKind::BadChecksum, BadKind::Fragment];

    /// The `/proc/ringo_net` counter of this kind of drop.
    pub fn counter(self) -> &'static str {
        match self {
            BadKind::Runt => "drop_runt",
            BadKind::Oversized => "drop_oversized",
            BadKind::BadHeader => "drop_bad_header",
            BadKind::BadChecksum => "drop_bad_checksum",
            BadKind::Fragment => "drop_fragment",
        }
    }
}

/// One bad frame, what is wrong with it, and the echo it was made from
/// (when it was), whose reply must never come.
#[derive(Debug, Clone)]
pub struct BadFrame {
    pub kind: BadKind,
    pub what: String,
    pub bytes: Vec<u8>,
    pub echo: Option<Echo>,
}

/// The first `len` bytes of a valid echo request from `peer` to `guest`
/// (any length: 0 gives an empty frame).
pub fn runt(peer: Host, guest: Host, len: usize) -> Vec<u8> {
    let mut frame = echo_request(peer, guest, &Echo::new(0xb000, 0, 32));
    frame.truncate(len);
    frame
}

/// A well-formed echo request from `peer` to `guest` whose frame is `len`
/// bytes long (at least 42).
pub fn echo_request_of_length(peer: Host, guest: Host, echo_id: u16, len: usize) -> (Echo, Vec<u8>) {
    let overhead = ETHERNET_HEADER + IPV4_HEADER + ICMP_HEADER;
    let echo = Echo::new(echo_id, 1, len.checked_sub(overhead).expect("a frame of at least 42 bytes"));
    let frame = echo_request(peer, guest, &echo);
    (echo, frame)
}

/// The runt lengths that can reach a guest. A frame of 0 bytes cannot:
/// QEMU's dgram backend takes an empty datagram for the end of the
/// connection and stops reading (net/dgram.c), and a tap never delivers one.
pub const RUNT_LENGTHS: [usize; 2] = [1, 13];
pub const OVERSIZED_LENGTHS: [usize; 3] = [1515, 4000, 9000];

/// Every bad input, addressed from `peer` to `guest` so that, were it
/// taken for good, the guest would answer it: runts, oversized frames,
/// unreadable IPv4 headers (each with an otherwise correct checksum, so
/// that only the named defect is there), wrong IPv4 and ICMP checksums,
/// and fragments. Each echo has its own identifier (0xb0nn).
pub fn bad_frames(peer: Host, guest: Host) -> Vec<BadFrame> {
    let mut bad = Vec::new();
    let mut next_id = 0xb001u16;
    let mut echo = |len: usize| {
        let e = Echo::new(next_id, 1, len);
        next_id += 1;
        let frame = echo_request(peer, guest, &e);
        (e, frame)
    };
    let mut push =
        |kind, what: String, bytes: Vec<u8>, echo: Option<Echo>| bad.push(BadFrame { kind, what, bytes, echo });
    let ip = ETHERNET_HEADER;
    // The IPv4 header checksum recomputed over 20 bytes after an edit.
    let fix_ip_checksum = |frame: &mut Vec<u8>| {
        frame[ip + 10..ip + 12].fill(0);
        let sum = checksum(&frame[ip..ip + IPV4_HEADER]);
        frame[ip + 10..ip + 12].copy_from_slice(&sum.to_be_bytes());
    };

    for len in RUNT_LENGTHS {
        push(BadKind::Runt, format!("a runt of {len} bytes"), runt(peer, guest, len), None);
    }
    for len in OVERSIZED_LENGTHS {
        let overhead = ETHERNET_HEADER + IPV4_HEADER + ICMP_HEADER;
        let (e, frame) = echo(len - overhead);
        debug_assert_eq!(frame.len(), len);
        push(BadKind::Oversized, format!("a well-formed echo request in a frame of {len} bytes"), frame, Some(e));
    }

    let (e, mut frame) = echo(16);
    frame[ip] = 0x44;
    fix_ip_checksum(&mut frame);
    push(BadKind::BadHeader, "IPv4 IHL 4 (a 16-byte header)".into(), frame, Some(e));

    let (e, mut frame) = echo(16);
    frame[ip] = 0x4f;
    fix_ip_checksum(&mut frame);
    push(BadKind::BadHeader, "IPv4 IHL 15 (60 bytes) in a 44-byte packet".into(), frame, Some(e));

    let (e, mut frame) = echo(16);
    let beyond = (frame.len() - ip + 100) as u16;
    frame[ip + 2..ip + 4].copy_from_slice(&beyond.to_be_bytes());
    fix_ip_checksum(&mut frame);
    push(BadKind::BadHeader, format!("IPv4 total length {beyond}, beyond the frame"), frame, Some(e));

    let (e, mut frame) = echo(16);
    frame[ip + 2..ip + 4].copy_from_slice(&12u16.to_be_bytes());
    fix_ip_checksum(&mut frame);
    push(BadKind::BadHeader, "IPv4 total length 12, shorter than its header".into(), frame, Some(e));

    let (e, mut frame) = echo(16);
    frame[ip] = 0x65;
    fix_ip_checksum(&mut frame);
    push(BadKind::BadHeader, "version 6 under the IPv4 ethertype".into(), frame, Some(e));

    let (_, mut frame) = echo(16);
    frame.truncate(ip + 10);
    push(BadKind::BadHeader, "an IPv4 header cut after 10 bytes".into(), frame, None);

    let (e, mut frame) = echo(24);
    frame[ip + 10] ^= 0x5a;
    push(BadKind::BadChecksum, "a wrong IPv4 header checksum".into(), frame, Some(e));

    let (e, mut frame) = echo(24);
    let icmp = ip + IPV4_HEADER;
    frame[icmp + 2] ^= 0x5a;
    push(BadKind::BadChecksum, "a wrong ICMP checksum".into(), frame, Some(e));

    let (e, mut frame) = echo(24);
    let last = frame.len() - 1;
    frame[last] ^= 0xff;
    push(BadKind::BadChecksum, "an ICMP payload byte changed after the checksum".into(), frame, Some(e));

    // A 64-byte ICMP echo split in two: its first 32 bytes with MF set,
    // then the other 32 at offset 32 (4 units). Neither is answered.
    let (e, whole) = echo(56);
    let icmp_bytes = &whole[ip + IPV4_HEADER..];
    let fields = |flags_fragment| Ipv4Fields { flags_fragment, ..Ipv4Fields::echo(peer.ip, guest.ip, e.id) };
    let first = ipv4_packet(&fields(MF), &icmp_bytes[..32]);
    let rest = ipv4_packet(&fields(4), &icmp_bytes[32..]);
    push(
        BadKind::Fragment,
        "the first fragment of an echo request (MF, offset 0)".into(),
        ethernet(guest.mac, peer.mac, ETHERTYPE_IPV4, &first),
        Some(e.clone()),
    );
    push(
        BadKind::Fragment,
        "the last fragment of an echo request (offset 32)".into(),
        ethernet(guest.mac, peer.mac, ETHERTYPE_IPV4, &rest),
        Some(e),
    );
    bad
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: Host = Host { mac: Mac([0x02, 0, 0, 0, 0, 0x01]), ip: Ipv4Addr::new(10, 0, 9, 1) };
    const GUEST: Host = Host { mac: Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]), ip: Ipv4Addr::new(10, 0, 9, 2) };

    fn hex(text: &str) -> Vec<u8> {
        let digits: String = text.split_whitespace().collect();
        (0..digits.len()).step_by(2).map(|i| u8::from_str_radix(&digits[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn macs_parse_and_print() {
        assert_eq!("52:54:00:12:34:56".parse(), Ok(GUEST.mac));
        assert_eq!(GUEST.mac.to_string(), "52:54:00:12:34:56");
        for bad in
            ["", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5g", "525400123456", "5:54:00:12:34:56"]
        {
            assert!(bad.parse::<Mac>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn checksum_matches_rfc_1071_examples() {
        // RFC 1071 section 3: the sum of these words is 0xddf2.
        assert_eq!(checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), !0xddf2);
        // A header with its checksum in place sums to zero.
        let header = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
        assert_eq!(checksum(&header), 0);
        // An odd length is padded with a zero byte.
        assert_eq!(checksum(&[0xab]), !0xab00);
    }

    #[test]
    fn arp_request_and_reply_bytes() {
        let request = arp_request(PEER, GUEST.ip);
        assert_eq!(
            request,
            hex("ffffffffffff 020000000001 0806  0001 0800 06 04 0001  020000000001 0a000901  000000000000 0a000902")
        );
        let reply = arp_reply(GUEST, PEER);
        assert_eq!(reply.len(), ARP_FRAME);
        assert_eq!(
            reply,
            hex("020000000001 525400123456 0806  0001 0800 06 04 0002  525400123456 0a000902  020000000001 0a000901")
        );
        assert!(is_arp_reply_from(&reply, GUEST.ip));
        assert!(!is_arp_reply_from(&reply, PEER.ip));
        assert!(!is_arp_reply_from(&request, PEER.ip), "a request is not a reply");
        assert_eq!(padded(request.clone()).len(), MIN_FRAME);
        assert_eq!(&padded(request.clone())[..ARP_FRAME], &request[..]);
    }

    #[test]
    fn echo_reply_bytes() {
        let echo = Echo { id: 0x1234, seq: 7, payload: b"abcd".to_vec() };
        let reply = echo_reply(GUEST, PEER, &echo);
        // Total length 20 + 12; id 0, no flags, TTL 64, protocol 1.
        let ip = hex("4500 0020 0000 0000 4001 0000 0a000902 0a000901");
        let mut ip_fixed = ip.clone();
        ip_fixed[10..12].copy_from_slice(&checksum(&ip).to_be_bytes());
        let mut icmp = hex("00 00 0000 1234 0007 61626364");
        let sum = checksum(&icmp);
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        let expected = [hex("020000000001 525400123456 0800"), ip_fixed, icmp].concat();
        assert_eq!(reply, expected);
        assert_eq!(reply.len(), 14 + 20 + 12, "no padding");
        assert_eq!(checksum(&reply[14..34]), 0);
        assert_eq!(checksum(&reply[34..]), 0);
        assert!(is_echo_reply_to(&reply, &echo));
        assert!(!is_echo_reply_to(&reply, &Echo { seq: 8, ..echo.clone() }));
        assert_eq!(echo_reply_ids(&reply), Some((0x1234, 7)));
    }

    #[test]
    fn echo_requests_are_well_formed() {
        for len in [0, 56, 1400, 1472] {
            let echo = Echo::new(0x4242, 3, len);
            let frame = echo_request(PEER, GUEST, &echo);
            assert_eq!(frame.len(), 42 + len);
            assert_eq!(&frame[0..6], &GUEST.mac.0);
            assert_eq!(&frame[6..12], &PEER.mac.0);
            assert_eq!(u16::from_be_bytes([frame[16], frame[17]]) as usize, 28 + len, "total length");
            assert_eq!(frame[22], 64, "TTL");
            assert_eq!(checksum(&frame[14..34]), 0, "IPv4 checksum");
            assert_eq!(checksum(&frame[34..]), 0, "ICMP checksum");
            assert_eq!(frame[34], 8, "echo request");
            assert_eq!(echo_reply_ids(&frame), None, "not a reply");
        }
        assert_eq!(echo_request(PEER, GUEST, &Echo::new(1, 1, 1472)).len(), MAX_FRAME);
        assert_ne!(Echo::new(1, 2, 8).payload, Echo::new(1, 3, 8).payload);
    }

    #[test]
    fn bad_frames_have_the_one_defect_they_name() {
        let bad = bad_frames(PEER, GUEST);
        for kind in BadKind::ALL {
            assert!(bad.iter().any(|b| b.kind == kind), "no {kind:?} frame");
        }
        let mut ids: Vec<u16> = bad.iter().filter_map(|b| b.echo.as_ref().map(|e| e.id)).collect();
        let fragments = 2;
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all - (fragments - 1), "one echo id per frame (the fragments share theirs)");
        for b in &bad {
            let frame = &b.bytes;
            match b.kind {
                BadKind::Runt => assert!(frame.len() < ETHERNET_HEADER && !frame.is_empty(), "{}", b.what),
                BadKind::Oversized => {
                    assert!(frame.len() > MAX_FRAME, "{}", b.what);
                    assert_eq!(checksum(&frame[14..34]), 0);
                    assert_eq!(checksum(&frame[34..]), 0);
                    assert_eq!(u16::from_be_bytes([frame[16], frame[17]]) as usize, frame.len() - 14);
                }
                BadKind::BadHeader if frame.len() >= 34 => {
                    assert_eq!(checksum(&frame[14..34]), 0, "{}: only the named defect", b.what)
                }
                BadKind::BadHeader => assert!(frame.len() < 34, "{}", b.what),
                BadKind::BadChecksum => {
                    let ip_ok = checksum(&frame[14..34]) == 0;
                    let icmp_ok = checksum(&frame[34..]) == 0;
                    assert!(ip_ok != icmp_ok, "{}: exactly one checksum is wrong", b.what);
                }
                BadKind::Fragment => {
                    assert_eq!(checksum(&frame[14..34]), 0, "{}", b.what);
                    let flags_fragment = u16::from_be_bytes([frame[20], frame[21]]);
                    assert!(flags_fragment & MF != 0 || flags_fragment & 0x1fff != 0, "{}", b.what);
                }
            }
        }
        let sizes: Vec<usize> = bad.iter().filter(|b| b.kind == BadKind::Oversized).map(|b| b.bytes.len()).collect();
        assert_eq!(sizes, OVERSIZED_LENGTHS);
        assert_eq!(runt(PEER, GUEST, 0), Vec::<u8>::new());
    }

    #[test]
    fn descriptions_and_differences() {
        let echo = Echo::new(0x10, 2, 4);
        let reply = echo_reply(GUEST, PEER, &echo);
        assert_eq!(
            describe(&reply),
            "46 bytes, IPv4 52:54:00:12:34:56 -> 02:00:00:00:00:01, 10.0.9.2 -> 10.0.9.1 protocol 1 total length 32, \
             ICMP type 0 code 0 id 0x0010 seq 2"
        );
        assert_eq!(
            describe(&arp_request(PEER, GUEST.ip)),
            "42 bytes, ARP op 1 02:00:00:00:00:01 -> ff:ff:ff:ff:ff:ff, sender 10.0.9.1 target 10.0.9.2"
        );
        assert_eq!(describe(&[1, 2, 3]), "3 bytes, shorter than an Ethernet header");
        assert_eq!(difference(&reply, &reply), None);
        let mut changed = reply.clone();
        changed[22] = 63;
        assert!(difference(&changed, &reply).unwrap().starts_with("differs from byte 22 (0x16)"));
        let longer = padded(reply.clone());
        assert!(difference(&longer, &reply).unwrap().starts_with("differs from byte 46"));
        assert_eq!(hexdump(&[0, 1, 2]), "0000: 00 01 02\n");
    }
}
