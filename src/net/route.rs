//! Packets between the wire and the stacks. Outbound: loopback and our
//! own address go straight back to [`dispatch`]; the rest get an Ethernet
//! header for the next hop (the destination on our subnet, else the
//! gateway) and leave on this CPU's transmit queue. Inbound: [`dispatch`]
//! is the classifier of the net channels, run in the receive interrupt:
//! header fields to a flow key, the flow's channel (or a listener's
//! stack), a copy into a pool buffer, a wake-up only for a reader that
//! asked.

use core::net::Ipv4Addr;
use core::sync::atomic::Ordering;

use ringo_net::channel::Channel;
use ringo_net::flow::{Class, classify_ipv4};
use ringo_net::mac::MacAddr;
use ringo_net::wire::{arp, ethernet};

use super::flows::{self, Target};
use super::frames::Frame;
use super::{counters, neighbor, stack};
use crate::arch::percpu::MAX_CPUS;
use crate::sync::Mutex;

/// Each CPU's last next hop: (neighbour table generation, hop, MAC).
static HOP_CACHE: [Mutex<(u64, Ipv4Addr, MacAddr)>; MAX_CPUS] =
    [const { Mutex::new((0, Ipv4Addr::UNSPECIFIED, MacAddr([0; 6]))) }; MAX_CPUS];

fn dst_of(packet: &[u8]) -> Option<Ipv4Addr> {
    let b: [u8; 4] = packet.get(16..20)?.try_into().ok()?;
    Some(Ipv4Addr::from(b))
}

fn next_hop_mac(hop: Ipv4Addr) -> Option<MacAddr> {
    let cpu = crate::arch::percpu::current_index().min(MAX_CPUS - 1);
    let generation = neighbor::generation();
    {
        let c = HOP_CACHE[cpu].lock();
        if c.0 == generation && c.1 == hop {
            return Some(c.2);
        }
    }
    let mac = neighbor::lookup(hop)?;
    *HOP_CACHE[cpu].lock() = (generation, hop, mac);
    Some(mac)
}

/// Sends an IPv4 packet smoltcp built (interrupts are off: called under a
/// stack's lock).
pub fn send_ip(packet: &[u8]) {
    let Some(dst) = dst_of(packet) else { return };
    let Some(iface) = super::interfaces().next() else {
        if dst.is_loopback() {
            dispatch(packet, true);
        }
        return;
    };
    let (addr, mask, gateway) = iface.addresses();
    if dst.is_loopback() || Some(dst) == addr {
        dispatch(packet, true);
        return;
    }
    let on_link = match (addr, mask) {
        (Some(a), Some(m)) => u32::from(a) & u32::from(m) == u32::from(dst) & u32::from(m),
        _ => true,
    };
    let hop = if on_link || dst.is_broadcast() { dst } else { gateway.unwrap_or(dst) };
    let mac = if dst.is_broadcast() { Some(MacAddr::BROADCAST) } else { next_hop_mac(hop) };
    let Some(mac) = mac else {
        // TCP retransmits once the answer is in the table.
        counters::this_cpu().no_neighbor.fetch_add(1, Ordering::Relaxed);
        request(iface, hop, addr);
        return;
    };
    iface.transmit(&mut |buf| {
        let Ok(h) = ethernet::write_header(buf, mac, iface.mac, ethernet::ETHERTYPE_IPV4) else { return 0 };
        let Some(room) = buf.get_mut(h..h + packet.len()) else { return 0 };
        room.copy_from_slice(packet);
        h + packet.len()
    });
}

/// An ARP request for `ip`.
pub fn request(iface: &super::Interface, ip: Ipv4Addr, from: Option<Ipv4Addr>) {
    let Some(from) = from else { return };
    let packet = arp::ArpPacket::new(arp::OP_REQUEST, (iface.mac, from), (MacAddr([0; 6]), ip));
    iface.transmit(&mut |buf| {
        let Ok(h) = ethernet::write_header(buf, MacAddr::BROADCAST, iface.mac, ethernet::ETHERTYPE_ARP) else {
            return 0;
        };
        match buf.get_mut(h..).map(|b| packet.write(b)) {
            Some(Ok(n)) => h + n,
            _ => 0,
        }
    });
}

/// Queues a copy of `packet`; Err(frame) when the channel is full.
fn push_frame(channel: &Channel<Frame>, frame: Frame, key: u64) -> Result<(), Frame> {
    let c = counters::this_cpu();
    let outcome = channel.push(frame)?;
    c.queued.fetch_add(1, Ordering::Relaxed);
    if outcome.wake {
        c.wakeups.fetch_add(1, Ordering::Relaxed);
        ringo_fs::readiness::wake(key);
    }
    Ok(())
}

fn push(channel: &Channel<Frame>, packet: &[u8], verified: bool, key: u64) {
    let c = counters::this_cpu();
    let Some(frame) = Frame::copy_of(packet, verified) else {
        c.channel_drops.fetch_add(1, Ordering::Relaxed);
        return;
    };
    if push_frame(channel, frame, key).is_err() {
        // TCP retransmits; counted where it can be seen.
        c.channel_drops.fetch_add(1, Ordering::Relaxed);
    }
}

/// A packet for a known flow: its channel, or when that is full the slow
/// path, the default channel of the flow's stack, whose processing drains
/// the flow's channel before it (order kept). Dropped, and counted, only
/// when both are full.
fn push_flow(flow: &super::stack::Flow, packet: &[u8], verified: bool) {
    let c = counters::this_cpu();
    let Some(frame) = Frame::copy_of(packet, verified) else {
        c.channel_drops.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let Err(frame) = push_frame(&flow.channel, frame, flow.wake_key()) else { return };
    c.overflows.fetch_add(1, Ordering::Relaxed);
    let Some(s) = stack::stack(flow.home) else { return };
    if push_frame(&s.default, frame, s.key).is_err() {
        c.channel_drops.fetch_add(1, Ordering::Relaxed);
    }
    // The reader processes its full channel, and so the slow path too.
    ringo_fs::readiness::wake(flow.wake_key());
}

fn to_stack_default(s: &stack::Stack, packet: &[u8], verified: bool) {
    push(&s.default, packet, verified, s.key);
}

/// An IPv4 packet for this host (from the wire or looped back);
/// `verified`: its transport checksum is known good.
pub fn dispatch(packet: &[u8], verified: bool) {
    counters::this_cpu().classified.fetch_add(1, Ordering::Relaxed);
    let key = match classify_ipv4(packet) {
        Class::Flow(k) | Class::Control(k) => Some(k),
        _ => None,
    };
    if let Some(k) = key {
        if let Some(flow) = flows::flow(&k) {
            push_flow(&flow, packet, verified);
            return;
        }
        match flows::listener(&k) {
            Some(Target::Stack(cpu)) => {
                if let Some(s) = stack::stack(cpu) {
                    to_stack_default(s, packet, verified);
                }
                return;
            }
            Some(Target::Flow(flow)) => {
                push_flow(&flow, packet, verified);
                return;
            }
            None => {}
        }
    }
    // Unknown flows (smoltcp answers them with a reset), ICMP, the rest.
    if let Some(s) = stack::this_stack() {
        to_stack_default(s, packet, verified);
    }
}
