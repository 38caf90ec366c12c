//! TCP and UDP by hand over the [`FramePeer`]: segments and datagrams
//! built here from RFC 9293 and RFC 768 (nothing of the kernel's), a
//! minimal TCP client (handshake, in-order data with ACKs and resends,
//! FIN) that plays one end of a real connection to a guest server, and
//! the malformed input the guest must survive while that connection
//! keeps working.
//!
//! The client is deliberately simple: no window scaling, no SACK, no
//! timestamps, one MSS of [`SEND_CHUNK`] bytes; it takes only in-order
//! data and ACKs everything it sees, so the guest's retransmissions
//! repair any loss.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use super::frame_peer::FramePeer;
use super::frames::{self, ETHERNET_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV4, Host, Ipv4Fields};

pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const TCP_HEADER: usize = 20;
pub const UDP_HEADER: usize = 8;

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// The IPv4 flags field's don't-fragment and more-fragments bits.
pub const DF: u16 = 0x4000;
pub const MF: u16 = 0x2000;

/// The most payload the client puts in one segment.
pub const SEND_CHUNK: usize = 1000;
/// How often unacknowledged data (or a SYN or FIN) is sent again.
const RESEND: Duration = Duration::from_millis(300);
/// The window the client offers (no scaling).
const WINDOW: u16 = 65535;

/// The sum (RFC 1071) of `bytes` behind the IPv4 pseudo-header.
pub fn transport_checksum(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, bytes: &[u8]) -> u16 {
    let mut data = Vec::with_capacity(12 + bytes.len());
    data.extend_from_slice(&src.octets());
    data.extend_from_slice(&dst.octets());
    data.extend_from_slice(&[0, protocol]);
    data.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    data.extend_from_slice(bytes);
    frames::checksum(&data)
}

/// An IPv4 frame from `from` to `to` carrying `payload` of `protocol`.
pub fn ip_frame(
    from: Host,
    to: Host,
    protocol: u8,
    identification: u16,
    flags_fragment: u16,
    payload: &[u8],
) -> Vec<u8> {
    let fields = Ipv4Fields { src: from.ip, dst: to.ip, protocol, ttl: 64, identification, flags_fragment };
    frames::ethernet(to.mac, from.mac, ETHERTYPE_IPV4, &frames::ipv4_packet(&fields, payload))
}

/// One TCP segment's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

impl Segment {
    /// The TCP header and payload, the checksum correct for `src` to `dst`.
    pub fn bytes(&self, src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
        assert!(self.options.len().is_multiple_of(4) && self.options.len() <= 40, "options pad to 4, at most 40");
        let offset = (TCP_HEADER + self.options.len()) / 4;
        let mut b = Vec::with_capacity(offset * 4 + self.payload.len());
        b.extend_from_slice(&self.src_port.to_be_bytes());
        b.extend_from_slice(&self.dst_port.to_be_bytes());
        b.extend_from_slice(&self.seq.to_be_bytes());
        b.extend_from_slice(&self.ack.to_be_bytes());
        b.extend_from_slice(&[(offset as u8) << 4, self.flags]);
        b.extend_from_slice(&self.window.to_be_bytes());
        b.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
        b.extend_from_slice(&self.options);
        b.extend_from_slice(&self.payload);
        let sum = transport_checksum(src, dst, PROTO_TCP, &b);
        b[16..18].copy_from_slice(&sum.to_be_bytes());
        b
    }

    /// The segment in a frame from `from` to `to` (DF set).
    pub fn frame(&self, from: Host, to: Host) -> Vec<u8> {
        ip_frame(from, to, PROTO_TCP, self.seq as u16, DF, &self.bytes(from.ip, to.ip))
    }

    /// The TCP segment in `frame` from `src` to `dst`, if it is one and
    /// its checksum is right.
    pub fn parse(frame: &[u8], src: Ipv4Addr, dst: Ipv4Addr) -> Option<Segment> {
        let tcp = ipv4_payload(frame, PROTO_TCP, src, dst)?;
        let offset = usize::from(tcp.get(12)? >> 4) * 4;
        if offset < TCP_HEADER || offset > tcp.len() || transport_checksum(src, dst, PROTO_TCP, tcp) != 0 {
            return None;
        }
        let be16 = |i: usize| u16::from_be_bytes([tcp[i], tcp[i + 1]]);
        let be32 = |i: usize| u32::from_be_bytes([tcp[i], tcp[i + 1], tcp[i + 2], tcp[i + 3]]);
        Some(Segment {
            src_port: be16(0),
            dst_port: be16(2),
            seq: be32(4),
            ack: be32(8),
            flags: tcp[13],
            window: be16(14),
            options: tcp[TCP_HEADER..offset].to_vec(),
            payload: tcp[offset..].to_vec(),
        })
    }

    /// The sequence space it takes: its payload, and one each for SYN and FIN.
    pub fn len(&self) -> u32 {
        self.payload.len() as u32 + u32::from(self.flags & SYN != 0) + u32::from(self.flags & FIN != 0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The payload of an IPv4 packet in `frame` of `protocol` from `src` to
/// `dst`, cut to its total length (the frame may be padded).
fn ipv4_payload(frame: &[u8], protocol: u8, src: Ipv4Addr, dst: Ipv4Addr) -> Option<&[u8]> {
    if frame.get(12..14)? != ETHERTYPE_IPV4.to_be_bytes() {
        return None;
    }
    let ip = frame.get(ETHERNET_HEADER..)?;
    let ihl = usize::from(ip.first()? & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
    if ip[0] >> 4 != 4 || ihl < 20 || total < ihl || total > ip.len() || ip[9] != protocol {
        return None;
    }
    if ip[12..16] != src.octets() || ip[16..20] != dst.octets() {
        return None;
    }
    Some(&ip[ihl..total])
}

/// A UDP datagram (header and payload) with a correct checksum.
pub fn udp_bytes(src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16), payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(UDP_HEADER + payload.len());
    b.extend_from_slice(&src.1.to_be_bytes());
    b.extend_from_slice(&dst.1.to_be_bytes());
    b.extend_from_slice(&((UDP_HEADER + payload.len()) as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(payload);
    let sum = match transport_checksum(src.0, dst.0, PROTO_UDP, &b) {
        0 => 0xffff,
        s => s,
    };
    b[6..8].copy_from_slice(&sum.to_be_bytes());
    b
}

/// The payload and source port of a UDP datagram in `frame` from `src` to
/// `dst` at `dst_port`.
pub fn parse_udp(frame: &[u8], src: Ipv4Addr, dst: Ipv4Addr, dst_port: u16) -> Option<(u16, Vec<u8>)> {
    let udp = ipv4_payload(frame, PROTO_UDP, src, dst)?;
    let len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    if len < UDP_HEADER || len > udp.len() || u16::from_be_bytes([udp[2], udp[3]]) != dst_port {
        return None;
    }
    Some((u16::from_be_bytes([udp[0], udp[1]]), udp[UDP_HEADER..len].to_vec()))
}

/// The asker, when `frame` is an ARP request for `ip`.
pub fn is_arp_request_for(frame: &[u8], ip: Ipv4Addr) -> Option<Host> {
    let is = frame.get(12..14)? == ETHERTYPE_ARP.to_be_bytes()
        && frame.get(20..22)? == [0, 1]
        && frame.get(38..42)? == ip.octets();
    let mac: [u8; 6] = frame.get(22..28)?.try_into().ok()?;
    let sender: [u8; 4] = frame.get(28..32)?.try_into().ok()?;
    is.then_some(Host { mac: frames::Mac(mac), ip: Ipv4Addr::from(sender) })
}

/// `a` comes after `b` in sequence space.
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// One end of a TCP connection to the guest, played by the test.
pub struct TcpClient<'a> {
    peer: &'a FramePeer,
    pub me: Host,
    pub guest: Host,
    pub port: u16,
    pub guest_port: u16,
    /// The next sequence number the client sends, and the first it has
    /// not had acknowledged.
    snd_nxt: u32,
    snd_una: u32,
    /// The next sequence number expected from the guest.
    rcv_nxt: u32,
    received: Vec<u8>,
    guest_fin: bool,
    /// Segments for this connection seen, and of those with RST.
    pub segments_seen: usize,
    pub resets_seen: usize,
}

impl<'a> TcpClient<'a> {
    /// The three-way handshake from `me`:`port` to `guest`:`guest_port`,
    /// the SYN sent again every [`RESEND`] until the SYN-ACK comes.
    pub fn connect(
        peer: &'a FramePeer,
        me: Host,
        guest: Host,
        port: u16,
        guest_port: u16,
        isn: u32,
        timeout: Duration,
    ) -> Result<TcpClient<'a>, String> {
        let mut c = TcpClient {
            peer,
            me,
            guest,
            port,
            guest_port,
            snd_nxt: isn,
            snd_una: isn,
            rcv_nxt: 0,
            received: Vec::new(),
            guest_fin: false,
            segments_seen: 0,
            resets_seen: 0,
        };
        // MSS option (kind 2, length 4).
        let mss = (SEND_CHUNK as u16).to_be_bytes();
        let syn = Segment { options: vec![2, 4, mss[0], mss[1]], ..c.template(SYN, isn, 0, &[]) };
        let deadline = Instant::now() + timeout;
        let synack = c.until(deadline, &syn.frame(me, guest), |s| {
            s.flags & (SYN | ACK) == SYN | ACK && s.ack == isn.wrapping_add(1)
        })?;
        let Some(synack) = synack else {
            return Err(format!("no SYN-ACK from {}:{guest_port} within {timeout:?}", guest.ip));
        };
        c.snd_nxt = isn.wrapping_add(1);
        c.snd_una = c.snd_nxt;
        c.rcv_nxt = synack.seq.wrapping_add(1);
        c.send_segment(ACK, &[])?;
        Ok(c)
    }

    /// A segment of this connection with the given fields.
    pub fn template(&self, flags: u8, seq: u32, ack: u32, payload: &[u8]) -> Segment {
        Segment {
            src_port: self.port,
            dst_port: self.guest_port,
            seq,
            ack,
            flags,
            window: WINDOW,
            options: Vec::new(),
            payload: payload.to_vec(),
        }
    }

    /// The next sequence number the client would send.
    pub fn snd_nxt(&self) -> u32 {
        self.snd_nxt
    }

    /// The next sequence number the client expects.
    pub fn rcv_nxt(&self) -> u32 {
        self.rcv_nxt
    }

    fn send_segment(&self, flags: u8, payload: &[u8]) -> Result<(), String> {
        let s = self.template(flags, self.snd_nxt, self.rcv_nxt, payload);
        self.send_frame(&s.frame(self.me, self.guest))
    }

    /// Sends a frame to the guest as it is.
    pub fn send_frame(&self, frame: &[u8]) -> Result<(), String> {
        self.peer.send(frame).map_err(|e| format!("sending a frame of {} bytes: {e}", frame.len()))
    }

    /// Takes one frame from the guest: answers ARP for the client's
    /// address, takes in-order data (ACKing it, and re-ACKing anything
    /// else with data), notes ACKs; returns this connection's segment.
    fn take(&mut self, frame: &[u8]) -> Result<Option<Segment>, String> {
        if let Some(asker) = is_arp_request_for(frame, self.me.ip) {
            self.send_frame(&frames::arp_reply(self.me, asker))?;
            return Ok(None);
        }
        let Some(s) = Segment::parse(frame, self.guest.ip, self.me.ip) else { return Ok(None) };
        if s.src_port != self.guest_port || s.dst_port != self.port {
            return Ok(None);
        }
        self.segments_seen += 1;
        if s.flags & RST != 0 {
            self.resets_seen += 1;
            return Ok(Some(s));
        }
        if s.flags & ACK != 0 && after(s.ack, self.snd_una) && !after(s.ack, self.snd_nxt) {
            self.snd_una = s.ack;
        }
        if self.rcv_nxt != 0 && s.flags & SYN == 0 && !s.is_empty() {
            if s.seq == self.rcv_nxt {
                self.received.extend_from_slice(&s.payload);
                self.rcv_nxt = self.rcv_nxt.wrapping_add(s.payload.len() as u32);
                if s.flags & FIN != 0 {
                    self.guest_fin = true;
                    self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
                }
            }
            self.send_segment(ACK, &[])?;
        }
        Ok(Some(s))
    }

    /// Sends `frame` every [`RESEND`] until a segment for which `done`
    /// holds arrives or `deadline` passes (`Ok(None)`).
    fn until(
        &mut self,
        deadline: Instant,
        frame: &[u8],
        mut done: impl FnMut(&Segment) -> bool,
    ) -> Result<Option<Segment>, String> {
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            // The guest may not be listening yet: resending is what this is for.
            let _ = self.peer.send(frame);
            let resend = (now + RESEND).min(deadline);
            while let Some(left) = resend.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
                let Some(got) = self.peer.recv_timeout(left) else { break };
                if let Some(s) = self.take(&got)?
                    && done(&s)
                {
                    return Ok(Some(s));
                }
            }
        }
    }

    /// Takes every frame for `quiet` after the last (at most `limit`).
    pub fn pump(&mut self, quiet: Duration, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let Some(frame) = self.peer.recv_timeout(quiet) else { break };
            self.take(&frame)?;
        }
        Ok(())
    }

    /// Sends `data` in chunks of [`SEND_CHUNK`], each resent until acknowledged.
    pub fn send(&mut self, data: &[u8], timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        for chunk in data.chunks(SEND_CHUNK) {
            let seg = self.template(PSH | ACK, self.snd_nxt, self.rcv_nxt, chunk);
            let end = self.snd_nxt.wrapping_add(chunk.len() as u32);
            self.snd_nxt = end;
            let frame = seg.frame(self.me, self.guest);
            if self.until(deadline, &frame, |s| s.flags & ACK != 0 && !after(end, s.ack))?.is_none() {
                return Err(format!("{} bytes at seq {} not acknowledged within {timeout:?}", chunk.len(), seg.seq));
            }
        }
        Ok(())
    }

    /// Waits until `expected.len()` bytes have come and checks they are
    /// `expected`; they are then taken.
    pub fn expect_data(&mut self, expected: &[u8], timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while self.received.len() < expected.len() {
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else { break };
            if let Some(frame) = self.peer.recv_timeout(left) {
                self.take(&frame)?;
            }
        }
        let got: Vec<u8> = self.received.drain(..self.received.len().min(expected.len())).collect();
        if got != expected {
            let at = got.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(got.len().min(expected.len()));
            return Err(format!(
                "received {} of {} bytes, first difference at {at}: {:?} instead of {:?}",
                got.len(),
                expected.len(),
                String::from_utf8_lossy(&got[at.min(got.len())..got.len().min(at + 32)]),
                String::from_utf8_lossy(&expected[at..expected.len().min(at + 32)]),
            ));
        }
        Ok(())
    }

    /// Bytes received and not yet taken by [`TcpClient::expect_data`].
    pub fn unread(&self) -> &[u8] {
        &self.received
    }

    /// Sends FIN (resent until acknowledged) and waits for the guest's,
    /// which it acknowledges.
    pub fn close(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let fin = self.template(FIN | ACK, self.snd_nxt, self.rcv_nxt, &[]);
        let end = self.snd_nxt.wrapping_add(1);
        self.snd_nxt = end;
        let frame = fin.frame(self.me, self.guest);
        if self.until(deadline, &frame, |s| s.flags & ACK != 0 && !after(end, s.ack))?.is_none() {
            return Err(format!("our FIN was not acknowledged within {timeout:?}"));
        }
        while !self.guest_fin {
            let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) else {
                return Err(format!("no FIN from the guest within {timeout:?}"));
            };
            if let Some(frame) = self.peer.recv_timeout(left) {
                self.take(&frame)?;
            }
        }
        Ok(())
    }
}

/// A bad frame and what is wrong with it.
#[derive(Debug, Clone)]
pub struct BadInput {
    pub what: String,
    pub bytes: Vec<u8>,
    /// A wrong transport checksum (the guest must count it so).
    pub bad_checksum: bool,
    /// An IPv4 fragment.
    pub fragment: bool,
}

/// What the malformed segments carry: were one taken for data, the echo
/// server would send it back, and the connection's echo would show it.
pub const EVIL: &[u8] = b"EVIL";

/// Malformed and misplaced TCP for `c`'s connection (each would put
/// [`EVIL`] into the stream if taken): bad data offsets, headers cut short,
/// wrong checksums, out-of-window data, acknowledgements of data never
/// sent, resets out of the window, and overlapping fragments.
pub fn bad_tcp(c: &TcpClient) -> Vec<BadInput> {
    let (me, guest) = (c.me, c.guest);
    let (seq, ack) = (c.snd_nxt(), c.rcv_nxt());
    let mut bad = Vec::new();
    let mut push = |what: String, bytes: Vec<u8>, bad_checksum: bool, fragment: bool| {
        bad.push(BadInput { what, bytes, bad_checksum, fragment })
    };
    let data = c.template(PSH | ACK, seq, ack, EVIL);
    let tcp = data.bytes(me.ip, guest.ip);
    let frame_of = |tcp: &[u8]| ip_frame(me, guest, PROTO_TCP, 0x7cb0, DF, tcp);
    // The data offset is byte 12's high nibble; the checksum recomputed.
    let with_offset = |offset: u8| {
        let mut t = tcp.clone();
        t[12] = offset << 4;
        t[16..18].fill(0);
        let sum = transport_checksum(me.ip, guest.ip, PROTO_TCP, &t);
        t[16..18].copy_from_slice(&sum.to_be_bytes());
        t
    };
    for offset in [0, 1, 4] {
        push(format!("TCP data offset {offset} (below 5)"), frame_of(&with_offset(offset)), false, false);
    }
    for offset in [6, 15] {
        push(
            format!("TCP data offset {offset} past the segment's 24 bytes"),
            frame_of(&with_offset(offset)),
            false,
            false,
        );
    }
    for len in [0, 1, 10, 19] {
        push(format!("a TCP header cut to {len} bytes"), frame_of(&tcp[..len]), false, false);
    }
    let mut wrong = tcp.clone();
    wrong[16] ^= 0x5a;
    push("a wrong TCP checksum".into(), frame_of(&wrong), true, false);
    let mut changed = tcp.clone();
    *changed.last_mut().expect("a payload") ^= 0x20;
    push("a TCP payload byte changed after the checksum".into(), frame_of(&changed), true, false);

    for (what, s) in [
        ("data a gigabyte past the window", seq.wrapping_add(0x4000_0000)),
        ("data half the sequence space away", seq.wrapping_add(0x8000_0000)),
        ("data 64 KiB before the window (old)", seq.wrapping_sub(0x1_0000)),
    ] {
        let seg = c.template(PSH | ACK, s, ack, EVIL);
        push(what.into(), seg.frame(me, guest), false, false);
    }
    let unsent = c.template(PSH | ACK, seq, ack.wrapping_add(0x1000_0000), EVIL);
    push("data acknowledging 256 MiB never sent".into(), unsent.frame(me, guest), false, false);
    for (what, s) in [
        ("RST one before the window", seq.wrapping_sub(1)),
        ("RST a gigabyte past the window", seq.wrapping_add(0x4000_0000)),
        ("RST half the sequence space away", seq.wrapping_add(0x8000_0000)),
    ] {
        push(what.into(), c.template(RST, s, 0, &[]).frame(me, guest), false, false);
        push(format!("{what}, with ACK"), c.template(RST | ACK, s, ack, &[]).frame(me, guest), false, false);
    }

    // The data segment split in two IPv4 fragments that overlap: the
    // second starts 8 bytes into the first's 24 (teardrop's shape), and a
    // fragment reaching past 65535 bytes (ping of death's).
    let whole = c.template(PSH | ACK, seq, ack, b"EVIL EVIL EVIL EVIL ").bytes(me.ip, guest.ip);
    let frag = |flags_fragment: u16, bytes: &[u8]| ip_frame(me, guest, PROTO_TCP, 0x7cb1, flags_fragment, bytes);
    push("the first of two overlapping TCP fragments".into(), frag(MF, &whole[..24]), false, true);
    push("the second, at offset 16 of the first's 24".into(), frag(2, &whole[16..]), false, true);
    push("a TCP fragment inside the first".into(), frag(MF | 1, &whole[8..16]), false, true);
    push("a fragment reaching past 65535 bytes".into(), frag(0x1ffd, &whole), false, true);
    bad
}

/// Malformed UDP to `port` (each would be echoed if taken): lengths
/// beyond the packet and below the header, headers cut short, wrong
/// checksums, overlapping fragments.
pub fn bad_udp(me: Host, guest: Host, src_port: u16, port: u16) -> Vec<BadInput> {
    let mut bad = Vec::new();
    let mut push = |what: String, bytes: Vec<u8>, bad_checksum: bool, fragment: bool| {
        bad.push(BadInput { what, bytes, bad_checksum, fragment })
    };
    let udp = udp_bytes((me.ip, src_port), (guest.ip, port), b"EVIL datagram");
    let frame_of = |udp: &[u8]| ip_frame(me, guest, PROTO_UDP, 0x7cb2, DF, udp);
    // The length field recomputed into a correct checksum.
    let with_length = |len: u16| {
        let mut u = udp.clone();
        u[4..6].copy_from_slice(&len.to_be_bytes());
        u[6..8].fill(0);
        let sum = transport_checksum(me.ip, guest.ip, PROTO_UDP, &u);
        u[6..8].copy_from_slice(&sum.to_be_bytes());
        u
    };
    let full = udp.len() as u16;
    for len in [0, 7, full + 1, 0xffff] {
        push(format!("UDP length {len} in a {full}-byte datagram"), frame_of(&with_length(len)), false, false);
    }
    for len in [0, 4, 7] {
        push(format!("a UDP header cut to {len} bytes"), frame_of(&udp[..len]), false, false);
    }
    let mut wrong = udp.clone();
    wrong[6] ^= 0x5a;
    push("a wrong UDP checksum".into(), frame_of(&wrong), true, false);
    let mut changed = udp.clone();
    *changed.last_mut().expect("a payload") ^= 0x20;
    push("a UDP payload byte changed after the checksum".into(), frame_of(&changed), true, false);

    let frag = |flags_fragment: u16, bytes: &[u8]| ip_frame(me, guest, PROTO_UDP, 0x7cb3, flags_fragment, bytes);
    push("the first of two overlapping UDP fragments".into(), frag(MF, &udp[..16]), false, true);
    push("the second, at offset 8 of the first's 16".into(), frag(1, &udp[8..]), false, true);
    bad
}

/// `count` SYNs to `guest`:`port` from `me` at ports and sequence numbers
/// of a fixed pseudo-random sequence (never `skip_port`).
pub fn syn_flood(me: Host, guest: Host, port: u16, count: usize, skip_port: u16) -> Vec<Vec<u8>> {
    let mut x: u32 = 0x9e37_79b9;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    (0..count)
        .map(|_| {
            let mut src_port = 1024 + (next() % 64_000) as u16;
            if src_port == skip_port {
                src_port += 1;
            }
            let seg = Segment {
                src_port,
                dst_port: port,
                seq: next(),
                ack: 0,
                flags: SYN,
                window: WINDOW,
                options: Vec::new(),
                payload: Vec::new(),
            };
            seg.frame(me, guest)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::frames::Mac;

    const ME: Host = Host { mac: Mac([0x02, 0, 0, 0, 0, 0x01]), ip: Ipv4Addr::new(10, 0, 9, 1) };
    const GUEST: Host = Host { mac: Mac([0x52, 0x54, 0, 0x12, 0x34, 0x56]), ip: Ipv4Addr::new(10, 0, 9, 2) };

    #[test]
    fn a_segment_parses_back_and_sums_to_zero() {
        let seg = Segment {
            src_port: 40000,
            dst_port: 7000,
            seq: 0xdead_beef,
            ack: 7,
            flags: PSH | ACK,
            window: 512,
            options: vec![2, 4, 5, 0xb4],
            payload: b"hello".to_vec(),
        };
        let frame = seg.frame(ME, GUEST);
        assert_eq!(frame.len(), ETHERNET_HEADER + 20 + 24 + 5);
        assert_eq!(transport_checksum(ME.ip, GUEST.ip, PROTO_TCP, &frame[34..]), 0);
        assert_eq!(Segment::parse(&frame, ME.ip, GUEST.ip), Some(seg.clone()));
        assert_eq!(Segment::parse(&frame, GUEST.ip, ME.ip), None, "other addresses");
        let mut bad = frame.clone();
        bad[60] ^= 1;
        assert_eq!(Segment::parse(&bad, ME.ip, GUEST.ip), None, "a wrong checksum");
        assert_eq!(seg.len(), 5);
    }

    #[test]
    fn a_datagram_parses_back() {
        let udp = udp_bytes((ME.ip, 5000), (GUEST.ip, 7001), b"ping");
        assert_eq!(transport_checksum(ME.ip, GUEST.ip, PROTO_UDP, &udp), 0);
        let frame = ip_frame(ME, GUEST, PROTO_UDP, 1, DF, &udp);
        assert_eq!(parse_udp(&frame, ME.ip, GUEST.ip, 7001), Some((5000, b"ping".to_vec())));
        assert_eq!(parse_udp(&frame, ME.ip, GUEST.ip, 7002), None);
    }

    #[test]
    fn sequence_numbers_compare_across_the_wrap() {
        assert!(after(1, 0) && after(5, u32::MAX) && !after(u32::MAX, 5) && !after(3, 3));
    }

    #[test]
    fn the_flood_never_uses_the_real_port() {
        let flood = syn_flood(ME, GUEST, 7000, 2000, 40000);
        assert_eq!(flood.len(), 2000);
        let ports: Vec<u16> = flood.iter().map(|f| Segment::parse(f, ME.ip, GUEST.ip).unwrap().src_port).collect();
        assert!(!ports.contains(&40000));
        assert!(ports.iter().collect::<std::collections::HashSet<_>>().len() > 1900, "mostly distinct");
    }
}
