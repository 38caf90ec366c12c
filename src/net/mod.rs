//! The network as the kernel runs it: the interfaces the drivers register,
//! their addresses (`ip=`), what happens to a received frame, and the
//! per-CPU counters behind /proc/net/dev and /proc/ringo_net. The wire
//! formats and decisions are ringo_net's; this module owns the state.
//!
//! Until TCP/IP lands, a received frame is answered here, on the CPU
//! whose queue received it: ARP for our address and ICMP echo. The reply
//! goes out on that CPU's transmit queue.

mod counters;
pub mod flows;
pub mod frames;
pub mod ifreq;
pub mod neighbor;
pub mod procfs;
pub mod route;
mod setup;
pub mod socket;
pub mod sockfs;
pub mod stack;
pub mod unix;

use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicU32, Ordering};

use ringo_net::link::{self, ChecksumState, DropReason, LinkConfig, Verdict};
use ringo_net::mac::MacAddr;

pub use counters::{proc_net_dev, proc_ringo_net};
pub use setup::configure;

/// What the network layer needs of a driver.
pub trait NetDevice: Sync {
    /// Sends the frame `fill` writes (returning its length) on transmit
    /// queue `queue` (taken modulo the device's queue count). False if it
    /// was dropped (ring full).
    fn transmit(&self, queue: usize, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool;
    /// Receives what has arrived without waiting for an interrupt (DHCP at
    /// boot, before interrupts run).
    fn poll(&self);
}

pub struct Interface {
    pub name: &'static str,
    pub mac: MacAddr,
    device: &'static dyn NetDevice,
    /// Our IPv4 address, netmask and gateway as integers, 0 for none:
    /// read on every frame, so atomics rather than a lock.
    ip: AtomicU32,
    mask: AtomicU32,
    gateway: AtomicU32,
}

/// The one interface (eth0) until there is a need for more.
static ETH0: spin::Once<Interface> = spin::Once::new();

/// Registers a driver's device as the next interface; None if Ringo has
/// no room for another.
pub fn register(mac: MacAddr, device: &'static dyn NetDevice) -> Option<&'static Interface> {
    if ETH0.is_completed() {
        return None;
    }
    Some(ETH0.call_once(|| Interface {
        name: "eth0",
        mac,
        device,
        ip: AtomicU32::new(0),
        mask: AtomicU32::new(0),
        gateway: AtomicU32::new(0),
    }))
}

pub fn interfaces() -> impl Iterator<Item = &'static Interface> {
    ETH0.get().into_iter()
}

impl Interface {
    pub fn link(&self) -> LinkConfig {
        let ip = self.ip.load(Ordering::Acquire);
        LinkConfig { mac: self.mac, ip: (ip != 0).then(|| Ipv4Addr::from(ip)) }
    }

    /// Address, netmask, gateway (each None when unset).
    pub fn addresses(&self) -> (Option<Ipv4Addr>, Option<Ipv4Addr>, Option<Ipv4Addr>) {
        let get = |a: &AtomicU32| match a.load(Ordering::Acquire) {
            0 => None,
            v => Some(Ipv4Addr::from(v)),
        };
        (get(&self.ip), get(&self.mask), get(&self.gateway))
    }

    /// Sets the address (and the stacks' routes); asks the gateway's MAC
    /// at once, so the first packet to it need not wait for ARP.
    pub fn set_address(&self, ip: Option<Ipv4Addr>, mask: Ipv4Addr, gateway: Option<Ipv4Addr>) {
        self.ip.store(ip.map_or(0, u32::from), Ordering::Release);
        self.mask.store(u32::from(mask), Ordering::Release);
        self.gateway.store(gateway.map_or(0, u32::from), Ordering::Release);
        if let Some(a) = ip {
            stack::set_address(a, u32::from(mask).leading_ones() as u8, gateway);
            if let Some(gw) = gateway {
                route::request(self, gw, Some(a));
            }
        }
    }

    /// Sends a frame on this CPU's queue.
    pub fn transmit(&self, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> bool {
        let cpu = crate::arch::percpu::current_index();
        let mut len = 0;
        let sent = crate::arch::without_interrupts(|| {
            self.device.transmit(cpu, &mut |buf| {
                len = fill(buf);
                len
            })
        });
        let c = counters::this_cpu();
        if sent {
            c.tx_frames.fetch_add(1, Ordering::Relaxed);
            c.tx_bytes.fetch_add(len as u64, Ordering::Relaxed);
        } else {
            c.tx_dropped.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }

    pub fn poll(&self) {
        crate::arch::without_interrupts(|| self.device.poll());
    }
}

/// A frame the driver received on this CPU. Runs in the receive
/// interrupt (or a boot-time poll): it must not block or allocate.
pub fn receive(iface: &Interface, frame: &[u8], csum: ChecksumState) {
    let c = counters::this_cpu();
    c.rx_frames.fetch_add(1, Ordering::Relaxed);
    c.rx_bytes.fetch_add(frame.len() as u64, Ordering::Relaxed);
    if frame.first().is_some_and(|b| b & 1 != 0) {
        c.rx_multicast.fetch_add(1, Ordering::Relaxed);
    }
    if setup::dhcp_in_progress() && setup::dhcp_frame(iface, frame) {
        return;
    }
    let cfg = iface.link();
    if let Some((ip, mac)) = link::arp_sender(frame) {
        neighbor::learn(ip, mac);
    }
    let mut reply = [0u8; link::MAX_FRAME];
    match link::handle_frame(&cfg, frame, csum, &mut reply) {
        Verdict::Reply(len) => {
            let reply = &reply[..len];
            iface.transmit(&mut |buf| {
                let n = reply.len().min(buf.len());
                buf[..n].copy_from_slice(&reply[..n]);
                n
            });
        }
        Verdict::Consumed => {}
        Verdict::Deliver(_) => deliver_ip(iface, frame, csum == ChecksumState::Verified),
        Verdict::Drop(reason) => drop_frame(reason),
    }
}

/// A frame the driver could not even hand on (spanning slots, bad
/// header from the device).
pub fn drop_frame(reason: DropReason) {
    counters::this_cpu().drops[reason.index()].fetch_add(1, Ordering::Relaxed);
}

/// An IPv4 packet for us, off the wire: learn its sender if on our subnet,
/// trim the Ethernet header and padding, hand it to the classifier.
fn deliver_ip(iface: &Interface, frame: &[u8], verified: bool) {
    use ringo_net::wire::ethernet::HEADER_LEN;
    let Some(packet) = frame.get(HEADER_LEN..) else { return };
    let total = packet.get(2..4).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
    let Some(packet) = packet.get(..total) else { return };
    if let (Some(src), Some(mac), (Some(addr), Some(mask), _)) = (
        packet.get(12..16).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(Ipv4Addr::from),
        ringo_net::wire::ethernet::EthernetFrame::parse(frame).ok().map(|e| e.src()),
        iface.addresses(),
    ) && u32::from(src) & u32::from(mask) == u32::from(addr) & u32::from(mask)
    {
        neighbor::learn(src, mac);
    }
    route::dispatch(packet, verified);
}

/// Brings up the TCP/IP stacks (one per CPU), with or without a card:
/// loopback needs them too.
pub fn start(cpus: usize) {
    frames::init();
    flows::init();
    stack::init(cpus);
}

/// Every CPU's tick: its stack's timers.
pub fn tick() {
    if let Some(s) = stack::this_stack() {
        s.tick();
    }
}

/// Before the machine powers off: up to a second for closed sockets to
/// send what they still hold (the last answer of a server that exits).
pub fn flush_before_poweroff() {
    let deadline = crate::time::monotonic_ns() + 1_000_000_000;
    while stack::stacks().iter().any(|s| s.has_unsent()) && crate::time::monotonic_ns() < deadline {
        for s in stack::stacks() {
            s.run(None, |_| ());
        }
        crate::arch::cpu::enable_interrupts_and_halt();
    }
}
