//! Network counters, one block per CPU: each CPU counts what it received
//! and sent in its own cache lines, and readers sum the blocks.

use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_net::link::DropReason;
use ringo_net::stats::IfCounters;

use crate::arch::percpu::{self, MAX_CPUS};

#[repr(align(64))]
pub struct CpuCounters {
    pub rx_frames: AtomicU64,
    pub rx_bytes: AtomicU64,
    pub rx_multicast: AtomicU64,
    pub tx_frames: AtomicU64,
    pub tx_bytes: AtomicU64,
    pub tx_dropped: AtomicU64,
    pub drops: [AtomicU64; DropReason::ALL.len()],
    /// IPv4 packets the classifier looked at (wire and loopback).
    pub classified: AtomicU64,
    /// Of those, queued to a channel (a flow's or a stack's default).
    pub queued: AtomicU64,
    /// Dropped: channel full, or no buffer in the pool.
    pub channel_drops: AtomicU64,
    /// Packets whose flow channel was full, sent the slow way (the stack's
    /// default channel, drained after the flow's).
    pub overflows: AtomicU64,
    /// Readers woken because they had asked.
    pub wakeups: AtomicU64,
    /// Packets smoltcp processed on this CPU (TCP/UDP segments and the rest).
    pub segments: AtomicU64,
    /// Packets not sent: no MAC for the next hop yet (an ARP request went).
    pub no_neighbor: AtomicU64,
    /// SYNs dropped because the listener's backlog was full.
    pub backlog_drops: AtomicU64,
}

static COUNTERS: [CpuCounters; MAX_CPUS] = [const {
    CpuCounters {
        rx_frames: AtomicU64::new(0),
        rx_bytes: AtomicU64::new(0),
        rx_multicast: AtomicU64::new(0),
        tx_frames: AtomicU64::new(0),
        tx_bytes: AtomicU64::new(0),
        tx_dropped: AtomicU64::new(0),
        drops: [const { AtomicU64::new(0) }; DropReason::ALL.len()],
        classified: AtomicU64::new(0),
        queued: AtomicU64::new(0),
        channel_drops: AtomicU64::new(0),
        overflows: AtomicU64::new(0),
        wakeups: AtomicU64::new(0),
        segments: AtomicU64::new(0),
        no_neighbor: AtomicU64::new(0),
        backlog_drops: AtomicU64::new(0),
    }
}; MAX_CPUS];

pub fn this_cpu() -> &'static CpuCounters {
    &COUNTERS[percpu::current_index().min(MAX_CPUS - 1)]
}

fn cpus() -> usize {
    percpu::count().clamp(1, MAX_CPUS)
}

/// Linux's counters for eth0, summed over CPUs. Frames the kernel dropped
/// as malformed count as receive errors, the rest of its drops (not for
/// us, nothing listening) as dropped.
fn interface_counters() -> IfCounters {
    let mut total = IfCounters::default();
    for c in &COUNTERS[..cpus()] {
        let drop = |r: DropReason| c.drops[r.index()].load(Ordering::Relaxed);
        let errors = [DropReason::Runt, DropReason::Oversized, DropReason::BadHeader, DropReason::BadChecksum];
        let errs: u64 = errors.iter().map(|&r| drop(r)).sum();
        let all: u64 = DropReason::ALL.iter().map(|&r| drop(r)).sum();
        total.add(&IfCounters {
            rx_bytes: c.rx_bytes.load(Ordering::Relaxed),
            rx_packets: c.rx_frames.load(Ordering::Relaxed),
            rx_errs: errs,
            rx_drop: all - errs,
            rx_multicast: c.rx_multicast.load(Ordering::Relaxed),
            tx_bytes: c.tx_bytes.load(Ordering::Relaxed),
            tx_packets: c.tx_frames.load(Ordering::Relaxed),
            tx_drop: c.tx_dropped.load(Ordering::Relaxed),
            ..IfCounters::default()
        });
    }
    total
}

/// /proc/net/dev, as busybox ifconfig reads it.
pub fn proc_net_dev() -> String {
    let ifaces: alloc::vec::Vec<(&str, IfCounters)> =
        super::interfaces().map(|i| (i.name, interface_counters())).collect();
    ringo_net::stats::proc_net_dev(&ifaces)
}

/// /proc/ringo_net: where the network's work happened, one column per CPU.
pub fn proc_ringo_net() -> String {
    let n = cpus();
    let mut out = String::new();
    let _ = write!(out, "{:<20}", "");
    for i in 0..n {
        let _ = write!(out, " {:>12}", alloc::format!("cpu{i}"));
    }
    out.push('\n');
    let mut row = |name: &str, get: &dyn Fn(&CpuCounters) -> u64| {
        let _ = write!(out, "{name:<20}");
        for c in &COUNTERS[..n] {
            let _ = write!(out, " {:>12}", get(c));
        }
        out.push('\n');
    };
    row("rx_frames", &|c| c.rx_frames.load(Ordering::Relaxed));
    row("rx_bytes", &|c| c.rx_bytes.load(Ordering::Relaxed));
    row("tx_frames", &|c| c.tx_frames.load(Ordering::Relaxed));
    row("tx_bytes", &|c| c.tx_bytes.load(Ordering::Relaxed));
    row("tx_dropped", &|c| c.tx_dropped.load(Ordering::Relaxed));
    row("classified", &|c| c.classified.load(Ordering::Relaxed));
    row("queued", &|c| c.queued.load(Ordering::Relaxed));
    row("channel_drops", &|c| c.channel_drops.load(Ordering::Relaxed));
    row("overflows", &|c| c.overflows.load(Ordering::Relaxed));
    row("wakeups", &|c| c.wakeups.load(Ordering::Relaxed));
    row("segments", &|c| c.segments.load(Ordering::Relaxed));
    row("no_neighbor", &|c| c.no_neighbor.load(Ordering::Relaxed));
    row("backlog_drops", &|c| c.backlog_drops.load(Ordering::Relaxed));
    for r in DropReason::ALL {
        let name = alloc::format!("drop_{}", r.name());
        row(&name, &|c| c.drops[r.index()].load(Ordering::Relaxed));
    }
    out
}
