//! /proc/net/tcp and /proc/net/udp in Linux's format (net/ipv4/tcp_ipv4.c
//! and udp.c): one row per socket of every stack. Reading them scans the
//! stacks' socket sets; nothing on a packet path does.

use alloc::string::String;
use core::fmt::Write;

use smoltcp::socket::{Socket, tcp};
use smoltcp::wire::IpAddress;

use super::stack;

/// Linux pads every line to 149 characters (TMPSZ - 1 for TCP, 127 for UDP).
const TCP_WIDTH: usize = 149;
const UDP_WIDTH: usize = 127;

/// An address as Linux prints it: the network-order word in hex, as the
/// host (little-endian) reads it.
fn hex_addr(a: Option<IpAddress>) -> u32 {
    match a {
        Some(IpAddress::Ipv4(v)) => u32::from_ne_bytes(v.octets()),
        None => 0,
    }
}

fn linux_state(s: tcp::State) -> u8 {
    match s {
        tcp::State::Established => 1,
        tcp::State::SynSent => 2,
        tcp::State::SynReceived => 3,
        tcp::State::FinWait1 => 4,
        tcp::State::FinWait2 => 5,
        tcp::State::TimeWait => 6,
        tcp::State::Closed => 7,
        tcp::State::CloseWait => 8,
        tcp::State::LastAck => 9,
        tcp::State::Listen => 10,
        tcp::State::Closing => 11,
    }
}

fn padded(out: &mut String, line: &str, width: usize) {
    let _ = writeln!(out, "{line:<width$}");
}

pub fn tcp() -> String {
    let mut out = String::new();
    padded(
        &mut out,
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
        TCP_WIDTH,
    );
    let mut n = 0;
    for s in stack::stacks() {
        s.locked(|inner| {
            for (_, sock) in inner.sockets.iter() {
                let Socket::Tcp(t) = sock else { continue };
                let (la, lp) = match (t.local_endpoint(), t.listen_endpoint()) {
                    (Some(e), _) => (hex_addr(Some(e.addr)), e.port),
                    (None, l) => (hex_addr(l.addr), l.port),
                };
                let (ra, rp) = t.remote_endpoint().map_or((0, 0), |e| (hex_addr(Some(e.addr)), e.port));
                let line = alloc::format!(
                    "{n:4}: {la:08X}:{lp:04X} {ra:08X}:{rp:04X} {:02X} {:08X}:{:08X} 00:00000000 00000000     0        0 0 1 0000000000000000 100 0 0 10 0",
                    linux_state(t.state()),
                    t.send_queue(),
                    t.recv_queue()
                );
                padded(&mut out, &line, TCP_WIDTH);
                n += 1;
            }
        });
    }
    out
}

pub fn udp() -> String {
    let mut out = String::new();
    padded(
        &mut out,
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
        UDP_WIDTH,
    );
    let mut n = 0;
    for s in stack::stacks() {
        s.locked(|inner| {
            for (_, sock) in inner.sockets.iter() {
                let Socket::Udp(u) = sock else { continue };
                let e = u.endpoint();
                let line = alloc::format!(
                    "{n:5}: {:08X}:{:04X} 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 0 2 0000000000000000 0",
                    hex_addr(e.addr),
                    e.port
                );
                padded(&mut out, &line, UDP_WIDTH);
                n += 1;
            }
        });
    }
    out
}
