//! What the device layer does with a received frame before TCP/IP sees it:
//! filter by address, answer ARP requests and pings for our address, and
//! say which protocol a packet for us carries. Nothing here keeps state.
//!
//! Rules that Linux also follows: echo requests sent to the broadcast
//! address are ignored (net.ipv4.icmp_echo_ignore_broadcasts=1), TCP is
//! never accepted on a broadcast address, and we never reply to a group
//! or unspecified source (a reply there would be a storm, or go nowhere).

use core::net::Ipv4Addr;

use crate::mac::MacAddr;
use crate::wire::WireError;
use crate::wire::arp::{self, ArpPacket};
use crate::wire::ethernet::{self, EthernetFrame};
use crate::wire::icmp::{self, IcmpPacket};
use crate::wire::ipv4::{self, Ipv4Header, Ipv4Packet};
use DropReason::*;

/// The Ethernet header: a frame that cannot hold one is a runt. Ethernet's
/// own 60-byte minimum is not enforced: virtio devices deliver short frames
/// unpadded, and the inner headers' length checks catch what is missing.
pub const MIN_FRAME: usize = ethernet::HEADER_LEN;
/// A 1500-byte MTU plus the Ethernet header; virtio frames carry no FCS.
pub const MAX_FRAME: usize = 1514;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    pub mac: MacAddr,
    /// None until configured (by `ip=` or DHCP): then no ARP or IPv4 is
    /// answered or delivered.
    pub ip: Option<Ipv4Addr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChecksumState {
    Unverified,
    /// The device said DATA_VALID, or the frame came from the host with
    /// NEEDS_CSUM and we completed the checksum ourselves.
    Verified,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
    OtherIp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A reply frame of that many bytes was written to `out`.
    Reply(usize),
    /// For us, and nothing to send (an ARP reply, a broadcast ping).
    Consumed,
    /// An IPv4 packet for us, for the TCP/IP layer.
    Deliver(Protocol),
    Drop(DropReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    Runt,
    /// Longer than MAX_FRAME, or a reply that would not fit the caller's
    /// `out` buffer (never the case when `out` holds MAX_FRAME bytes: a
    /// reply is never longer than its request).
    Oversized,
    NotForUs,
    /// A header that is malformed, or a source we must not answer.
    BadHeader,
    BadChecksum,
    Fragment,
    Unsupported,
}

impl DropReason {
    pub const ALL: [DropReason; 7] = [
        DropReason::Runt,
        DropReason::Oversized,
        DropReason::NotForUs,
        DropReason::BadHeader,
        DropReason::BadChecksum,
        DropReason::Fragment,
        DropReason::Unsupported,
    ];

    /// The position in [`ALL`](Self::ALL), for an array of counters.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            DropReason::Runt => "runt",
            DropReason::Oversized => "oversized",
            DropReason::NotForUs => "not_for_us",
            DropReason::BadHeader => "bad_header",
            DropReason::BadChecksum => "bad_checksum",
            DropReason::Fragment => "fragment",
            DropReason::Unsupported => "unsupported",
        }
    }
}

/// Decides what to do with one received frame (without its virtio header),
/// writing any reply to `out`. The checks run outside in: size, destination
/// MAC, ethertype, then the protocol's own header, so the reason a frame is
/// dropped is the first thing wrong with it.
pub fn handle_frame(cfg: &LinkConfig, frame: &[u8], csum: ChecksumState, out: &mut [u8]) -> Verdict {
    if frame.len() < MIN_FRAME {
        return Verdict::Drop(Runt);
    }
    if frame.len() > MAX_FRAME {
        return Verdict::Drop(Oversized);
    }
    // Address filtering comes first so that a frame for another host counts
    // as NotForUs whatever it carries.
    match ethernet::destination(frame) {
        Some(dst) if dst == cfg.mac || dst.is_multicast() => {}
        _ => return Verdict::Drop(NotForUs),
    }
    let eth = match EthernetFrame::parse(frame) {
        Ok(eth) => eth,
        Err(WireError::Truncated) => return Verdict::Drop(Runt),
        Err(_) => return Verdict::Drop(Unsupported),
    };
    match eth.ethertype() {
        ethernet::ETHERTYPE_ARP => handle_arp(cfg, &eth, out),
        ethernet::ETHERTYPE_IPV4 => handle_ipv4(cfg, &eth, csum, out),
        _ => Verdict::Drop(Unsupported),
    }
}

/// The sender's address pair of a well-formed ARP request or reply, for the
/// neighbour table (RFC 826 learns from both).
pub fn arp_sender(frame: &[u8]) -> Option<(Ipv4Addr, MacAddr)> {
    let eth = EthernetFrame::parse(frame).ok()?;
    if eth.ethertype() != ethernet::ETHERTYPE_ARP {
        return None;
    }
    let packet = ArpPacket::parse(eth.payload()).ok()?;
    match packet.op() {
        arp::OP_REQUEST | arp::OP_REPLY if is_unicast_mac(packet.sender_mac()) => {
            Some((packet.sender_ip(), packet.sender_mac()))
        }
        _ => None,
    }
}

fn handle_arp(cfg: &LinkConfig, eth: &EthernetFrame<'_>, out: &mut [u8]) -> Verdict {
    let Some(our_ip) = cfg.ip else { return Verdict::Drop(NotForUs) };
    // Non-Ethernet/IPv4 ARP counts as malformed too: on an Ethernet link
    // nothing legitimate sends it.
    let Ok(request) = ArpPacket::parse(eth.payload()) else { return Verdict::Drop(BadHeader) };
    match request.op() {
        arp::OP_REPLY => Verdict::Consumed,
        arp::OP_REQUEST if request.target_ip() != our_ip => Verdict::Drop(NotForUs),
        arp::OP_REQUEST => {
            if !is_unicast_mac(request.sender_mac()) {
                return Verdict::Drop(BadHeader);
            }
            let reply = ArpPacket::new(arp::OP_REPLY, (cfg.mac, our_ip), (request.sender_mac(), request.sender_ip()));
            write_frame(out, request.sender_mac(), cfg.mac, ethernet::ETHERTYPE_ARP, |body| reply.write(body))
        }
        _ => Verdict::Drop(Unsupported),
    }
}

fn handle_ipv4(cfg: &LinkConfig, eth: &EthernetFrame<'_>, csum: ChecksumState, out: &mut [u8]) -> Verdict {
    let Some(our_ip) = cfg.ip else { return Verdict::Drop(NotForUs) };
    let packet = match Ipv4Packet::parse_allowing_fragments(eth.payload()) {
        Ok(packet) => packet,
        Err(WireError::BadChecksum) => return Verdict::Drop(BadChecksum),
        Err(_) => return Verdict::Drop(BadHeader),
    };
    let broadcast = packet.dst() == Ipv4Addr::BROADCAST;
    if packet.dst() != our_ip && !broadcast {
        return Verdict::Drop(NotForUs);
    }
    if packet.is_fragment() {
        return Verdict::Drop(Fragment);
    }
    match packet.protocol() {
        ipv4::PROTO_TCP if broadcast => Verdict::Drop(NotForUs),
        ipv4::PROTO_TCP => Verdict::Deliver(Protocol::Tcp),
        ipv4::PROTO_UDP => Verdict::Deliver(Protocol::Udp),
        ipv4::PROTO_ICMP => handle_icmp(cfg, our_ip, eth, &packet, broadcast, csum, out),
        _ => Verdict::Deliver(Protocol::OtherIp),
    }
}

fn handle_icmp(
    cfg: &LinkConfig,
    our_ip: Ipv4Addr,
    eth: &EthernetFrame<'_>,
    packet: &Ipv4Packet<'_>,
    broadcast: bool,
    csum: ChecksumState,
    out: &mut [u8],
) -> Verdict {
    let Ok(request) = IcmpPacket::parse(packet.payload()) else { return Verdict::Drop(BadHeader) };
    if !request.is_echo_request() {
        return Verdict::Deliver(Protocol::OtherIp);
    }
    if csum == ChecksumState::Unverified && !request.checksum_ok() {
        return Verdict::Drop(BadChecksum);
    }
    if broadcast {
        return Verdict::Consumed;
    }
    if !is_unicast_mac(eth.src()) || !is_unicast_ip(packet.src()) {
        return Verdict::Drop(BadHeader);
    }
    let header = Ipv4Header {
        src: our_ip,
        dst: packet.src(),
        protocol: ipv4::PROTO_ICMP,
        ttl: ipv4::DEFAULT_TTL,
        identification: 0,
        payload_len: request.len(),
    };
    write_frame(out, eth.src(), cfg.mac, ethernet::ETHERTYPE_IPV4, |body| {
        let icmp_out = body.get_mut(ipv4::MIN_HEADER_LEN..).ok_or(WireError::Truncated)?;
        let icmp_len = icmp::write_echo(
            icmp_out,
            icmp::TYPE_ECHO_REPLY,
            request.identifier(),
            request.sequence(),
            request.payload(),
        )?;
        Ok(header.write(body)? + icmp_len)
    })
}

/// Writes an Ethernet header and the body `write_body` puts after it. A body
/// that does not fit `out` drops the reply as Oversized.
fn write_frame(
    out: &mut [u8],
    dst: MacAddr,
    src: MacAddr,
    ethertype: u16,
    write_body: impl FnOnce(&mut [u8]) -> Result<usize, WireError>,
) -> Verdict {
    let written = ethernet::write_header(out, dst, src, ethertype).and_then(|header_len| {
        let body = out.get_mut(header_len..).ok_or(WireError::Truncated)?;
        Ok(header_len + write_body(body)?)
    });
    match written {
        Ok(len) => Verdict::Reply(len),
        Err(_) => Verdict::Drop(Oversized),
    }
}

fn is_unicast_mac(mac: MacAddr) -> bool {
    !mac.is_multicast() && mac != MacAddr([0; 6])
}

fn is_unicast_ip(ip: Ipv4Addr) -> bool {
    !ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast()
}

#[cfg(test)]
mod tests;
