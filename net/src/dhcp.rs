//! A DHCPv4 client (RFC 2131, options from RFC 2132) for boot-time address
//! configuration: DISCOVER, take the first OFFER, REQUEST it, BOUND on ACK.
//! It speaks whole Ethernet frames, because it runs before the interface
//! has an address: everything it sends goes from 0.0.0.0:68 to
//! 255.255.255.255:67 in an Ethernet broadcast.
//!
//! It keeps no clock: the caller retransmits on its own timer (RFC 2131
//! suggests 4 s doubling to 64 s) and renews before `lease_secs` runs out.
//! Replies are matched by xid and client hardware address; everything else
//! (other clients' traffic, garbage, a second OFFER) is ignored.

use alloc::string::String;
use core::net::Ipv4Addr;

use crate::config::{classful_netmask, is_contiguous};
use crate::mac::MacAddr;
use crate::wire::ethernet::{self, EthernetFrame};
use crate::wire::ipv4::{self, Ipv4Header, Ipv4Packet};
use crate::wire::udp::{self, UdpDatagram};
use crate::wire::{WireError, array, be32, ipv4_at, mac_at, put, u8_at};

pub const CLIENT_PORT: u16 = 68;
pub const SERVER_PORT: u16 = 67;

const OP_BOOTREQUEST: u8 = 1;
const OP_BOOTREPLY: u8 = 2;
const HTYPE_ETHERNET: u8 = 1;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];

// Offsets in the BOOTP message (RFC 2131 figure 1).
const XID_AT: usize = 4;
const YIADDR_AT: usize = 16;
const CHADDR_AT: usize = 28;
const COOKIE_AT: usize = 236;
const OPTIONS_AT: usize = 240;
/// The fixed fields plus a 312-byte options area (cookie included): the
/// size RFC 2131 requires clients to accept, and the one Linux sends. slirp
/// ignores any request shorter than its `struct bootp_t`, which has it.
const MESSAGE_LEN: usize = COOKIE_AT + 312;
const MESSAGE_AT: usize = ethernet::HEADER_LEN + ipv4::MIN_HEADER_LEN + udp::HEADER_LEN;
/// Every frame the client sends is this long; `out` must hold it.
pub const FRAME_LEN: usize = MESSAGE_AT + MESSAGE_LEN;

const OPT_PAD: u8 = 0;
const OPT_SUBNET_MASK: u8 = 1;
const OPT_ROUTER: u8 = 3;
const OPT_DNS: u8 = 6;
const OPT_HOSTNAME: u8 = 12;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_LEASE_TIME: u8 = 51;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_PARAMETER_LIST: u8 = 55;
const OPT_END: u8 = 255;

const DHCPDISCOVER: u8 = 1;
const DHCPOFFER: u8 = 2;
const DHCPREQUEST: u8 = 3;
const DHCPACK: u8 = 5;
const DHCPNAK: u8 = 6;

/// What we ask servers for (option 55).
const WANTED: [u8; 5] = [OPT_SUBNET_MASK, OPT_ROUTER, OPT_DNS, OPT_HOSTNAME, OPT_LEASE_TIME];

/// RFC 2131's "infinity", used when an ACK names no lease time.
const INFINITE_LEASE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lease {
    pub addr: Ipv4Addr,
    pub netmask: Ipv4Addr,
    pub router: Option<Ipv4Addr>,
    pub dns: [Option<Ipv4Addr>; 2],
    pub server: Ipv4Addr,
    pub lease_secs: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhcpEvent {
    Ignored,
    /// A REQUEST of that many bytes was written to `out`.
    Send(usize),
    Bound(Lease),
    /// The server refused our REQUEST; start again with `discover`.
    Nak,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DhcpState {
    Init,
    Selecting,
    Requesting,
    Bound,
}

#[derive(Clone, Copy, Debug)]
enum State {
    Init,
    Selecting,
    Requesting { addr: Ipv4Addr, server: Ipv4Addr },
    Bound(Lease),
}

#[derive(Clone, Debug)]
pub struct DhcpClient {
    mac: MacAddr,
    xid: u32,
    hostname: Option<String>,
    state: State,
}

/// The fields of a server's reply that the client acts on.
#[derive(Default)]
struct Reply {
    message_type: Option<u8>,
    yiaddr: Option<Ipv4Addr>,
    server_id: Option<Ipv4Addr>,
    netmask: Option<Ipv4Addr>,
    router: Option<Ipv4Addr>,
    dns: [Option<Ipv4Addr>; 2],
    lease_secs: Option<u32>,
}

impl DhcpClient {
    /// `xid` should be random, so that our replies are told from those of
    /// other clients booting at the same moment.
    pub fn new(mac: MacAddr, xid: u32) -> Self {
        DhcpClient { mac, xid, hostname: None, state: State::Init }
    }

    /// Sends `name` (option 12) in our messages, so that the server can
    /// register it; names longer than an option can hold (255 bytes) are
    /// not sent.
    pub fn with_hostname(mut self, name: &str) -> Self {
        self.hostname = (!name.is_empty() && name.len() <= 255).then(|| String::from(name));
        self
    }

    pub fn state(&self) -> DhcpState {
        match self.state {
            State::Init => DhcpState::Init,
            State::Selecting => DhcpState::Selecting,
            State::Requesting { .. } => DhcpState::Requesting,
            State::Bound(_) => DhcpState::Bound,
        }
    }

    pub fn lease(&self) -> Option<Lease> {
        match self.state {
            State::Bound(lease) => Some(lease),
            _ => None,
        }
    }

    /// Writes a DISCOVER and starts (or restarts) selecting; returns its
    /// length, or 0 when `out` is shorter than [`FRAME_LEN`].
    pub fn discover(&mut self, out: &mut [u8]) -> usize {
        self.state = State::Selecting;
        self.write_message(out, DHCPDISCOVER, None)
    }

    /// Writes the message of the current state again (DISCOVER while
    /// selecting, REQUEST while requesting); 0 when there is none.
    pub fn retransmit(&mut self, out: &mut [u8]) -> usize {
        match self.state {
            State::Selecting => self.write_message(out, DHCPDISCOVER, None),
            State::Requesting { addr, server } => self.write_message(out, DHCPREQUEST, Some((addr, server))),
            State::Init | State::Bound(_) => 0,
        }
    }

    /// Takes any received frame; only replies to our transaction matter.
    pub fn handle(&mut self, frame: &[u8], out: &mut [u8]) -> DhcpEvent {
        let Some(reply) = self.parse_reply(frame) else { return DhcpEvent::Ignored };
        match (self.state, reply.message_type) {
            (State::Selecting, Some(DHCPOFFER)) => {
                let (Some(addr), Some(server)) = (reply.yiaddr.filter(|a| is_unicast(*a)), reply.server_id) else {
                    return DhcpEvent::Ignored;
                };
                match self.write_message(out, DHCPREQUEST, Some((addr, server))) {
                    0 => DhcpEvent::Ignored,
                    len => {
                        self.state = State::Requesting { addr, server };
                        DhcpEvent::Send(len)
                    }
                }
            }
            (State::Requesting { server, .. }, Some(DHCPACK)) if reply.server_id.is_none_or(|s| s == server) => {
                match lease_from(&reply, server) {
                    Some(lease) => {
                        self.state = State::Bound(lease);
                        DhcpEvent::Bound(lease)
                    }
                    None => DhcpEvent::Ignored,
                }
            }
            (State::Requesting { server, .. }, Some(DHCPNAK)) if reply.server_id.is_none_or(|s| s == server) => {
                self.state = State::Init;
                DhcpEvent::Nak
            }
            _ => DhcpEvent::Ignored,
        }
    }

    /// `request` is the (address, server) pair a REQUEST asks for.
    fn write_message(&self, out: &mut [u8], message_type: u8, request: Option<(Ipv4Addr, Ipv4Addr)>) -> usize {
        let Some(frame) = out.get_mut(..FRAME_LEN) else { return 0 };
        frame.fill(0);
        match self.fill_frame(frame, message_type, request) {
            Ok(()) => FRAME_LEN,
            Err(_) => 0,
        }
    }

    fn fill_frame(
        &self,
        frame: &mut [u8],
        message_type: u8,
        request: Option<(Ipv4Addr, Ipv4Addr)>,
    ) -> Result<(), WireError> {
        let message = frame.get_mut(MESSAGE_AT..).ok_or(WireError::Truncated)?;
        put(message, 0, &[OP_BOOTREQUEST, HTYPE_ETHERNET, 6, 0])?;
        put(message, XID_AT, &self.xid.to_be_bytes())?;
        put(message, CHADDR_AT, &self.mac.0)?;
        put(message, COOKIE_AT, &MAGIC_COOKIE)?;

        let mut options = OptionWriter { buf: message, at: OPTIONS_AT };
        options.push(OPT_MESSAGE_TYPE, &[message_type])?;
        if let Some((addr, server)) = request {
            options.push(OPT_REQUESTED_IP, &addr.octets())?;
            options.push(OPT_SERVER_ID, &server.octets())?;
        }
        if let Some(name) = &self.hostname {
            options.push(OPT_HOSTNAME, name.as_bytes())?;
        }
        options.push(OPT_PARAMETER_LIST, &WANTED)?;
        put(options.buf, options.at, &[OPT_END])?;

        let from = (Ipv4Addr::UNSPECIFIED, CLIENT_PORT);
        let to = (Ipv4Addr::BROADCAST, SERVER_PORT);
        let udp_at = MESSAGE_AT - udp::HEADER_LEN;
        udp::write_header(frame.get_mut(udp_at..).ok_or(WireError::Truncated)?, from, to, MESSAGE_LEN)?;
        let ip = Ipv4Header {
            src: from.0,
            dst: to.0,
            protocol: ipv4::PROTO_UDP,
            ttl: ipv4::DEFAULT_TTL,
            identification: 0,
            payload_len: udp::HEADER_LEN + MESSAGE_LEN,
        };
        ip.write(frame.get_mut(ethernet::HEADER_LEN..).ok_or(WireError::Truncated)?)?;
        ethernet::write_header(frame, MacAddr::BROADCAST, self.mac, ethernet::ETHERTYPE_IPV4)?;
        Ok(())
    }

    /// The reply in `frame` if it is a well-formed BOOTREPLY to our
    /// transaction. Any malformed option discards the whole message: if one
    /// length is wrong, the rest cannot be trusted.
    fn parse_reply(&self, frame: &[u8]) -> Option<Reply> {
        let eth = EthernetFrame::parse(frame).ok()?;
        if eth.ethertype() != ethernet::ETHERTYPE_IPV4 || (eth.dst() != self.mac && !eth.dst().is_broadcast()) {
            return None;
        }
        let ip = Ipv4Packet::parse(eth.payload()).ok()?;
        if ip.protocol() != ipv4::PROTO_UDP {
            return None;
        }
        let datagram = UdpDatagram::parse_verified(ip.payload(), ip.src(), ip.dst()).ok()?;
        if datagram.src_port() != SERVER_PORT || datagram.dst_port() != CLIENT_PORT {
            return None;
        }
        let m = datagram.payload();
        let header_ok = u8_at(m, 0).ok()? == OP_BOOTREPLY
            && u8_at(m, 1).ok()? == HTYPE_ETHERNET
            && u8_at(m, 2).ok()? == 6
            && be32(m, XID_AT).ok()? == self.xid
            && mac_at(m, CHADDR_AT).ok()? == self.mac
            && array::<4>(m, COOKIE_AT).ok()? == MAGIC_COOKIE;
        if !header_ok {
            return None;
        }
        let mut reply = Reply { yiaddr: Some(ipv4_at(m, YIADDR_AT).ok()?), ..Reply::default() };
        let mut rest = m.get(OPTIONS_AT..)?;
        while let Some((&code, after_code)) = rest.split_first() {
            match code {
                OPT_PAD => {
                    rest = after_code;
                    continue;
                }
                OPT_END => break,
                _ => {}
            }
            let (&len, after_len) = after_code.split_first()?;
            let (value, after_value) = after_len.split_at_checked(usize::from(len))?;
            rest = after_value;
            match code {
                OPT_MESSAGE_TYPE => reply.message_type = Some(*exactly::<1>(value)?.first()?),
                OPT_SERVER_ID => reply.server_id = Some(Ipv4Addr::from(*exactly::<4>(value)?)),
                OPT_SUBNET_MASK => reply.netmask = Some(Ipv4Addr::from(*exactly::<4>(value)?)),
                OPT_LEASE_TIME => reply.lease_secs = Some(u32::from_be_bytes(*exactly::<4>(value)?)),
                OPT_ROUTER => reply.router = addresses(value)?.next(),
                OPT_DNS => {
                    let mut servers = addresses(value)?;
                    reply.dns = [servers.next(), servers.next()];
                }
                _ => {}
            }
        }
        Some(reply)
    }
}

fn lease_from(ack: &Reply, chosen_server: Ipv4Addr) -> Option<Lease> {
    let addr = ack.yiaddr.filter(|a| is_unicast(*a))?;
    let netmask = match ack.netmask {
        Some(mask) if is_contiguous(mask) => mask,
        Some(_) => return None,
        None => classful_netmask(addr)?,
    };
    Some(Lease {
        addr,
        netmask,
        router: ack.router,
        dns: ack.dns,
        server: ack.server_id.unwrap_or(chosen_server),
        lease_secs: ack.lease_secs.unwrap_or(INFINITE_LEASE),
    })
}

fn exactly<const N: usize>(value: &[u8]) -> Option<&[u8; N]> {
    value.try_into().ok()
}

/// A list of addresses (routers, DNS servers): one or more, four bytes each.
fn addresses(value: &[u8]) -> Option<impl Iterator<Item = Ipv4Addr> + '_> {
    let (addrs, rest) = value.as_chunks::<4>();
    (!addrs.is_empty() && rest.is_empty()).then(|| addrs.iter().map(|a| Ipv4Addr::from(*a)))
}

fn is_unicast(addr: Ipv4Addr) -> bool {
    !addr.is_unspecified() && !addr.is_broadcast() && !addr.is_multicast()
}

/// Appends options to a message; an option that would not fit leaves room
/// for nothing else, and fails.
struct OptionWriter<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl OptionWriter<'_> {
    fn push(&mut self, code: u8, value: &[u8]) -> Result<(), WireError> {
        let len = u8::try_from(value.len()).map_err(|_| WireError::BadLength)?;
        put(self.buf, self.at, &[code, len])?;
        put(self.buf, self.at + 2, value)?;
        self.at += 2 + value.len();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
