//! The neighbour table (IPv4 to Ethernet), shared by every CPU's stack:
//! learned from ARP and from the senders of frames on our subnet. Small
//! and written rarely; each stack keeps its last next hop in a one-entry
//! cache, so a flow's transmit path reads it only when the hop changes.

use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_net::mac::MacAddr;

use crate::sync::Mutex;

const ENTRIES: usize = 32;

struct Table {
    entries: [(Ipv4Addr, MacAddr); ENTRIES],
    used: usize,
    next_victim: usize,
}

static TABLE: Mutex<Table> =
    Mutex::new(Table { entries: [(Ipv4Addr::UNSPECIFIED, MacAddr([0; 6])); ENTRIES], used: 0, next_victim: 0 });

/// Bumped on every change, so that per-CPU caches notice.
static GENERATION: AtomicU64 = AtomicU64::new(1);

pub fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

pub fn lookup(ip: Ipv4Addr) -> Option<MacAddr> {
    crate::arch::without_interrupts(|| {
        let t = TABLE.lock();
        t.entries[..t.used].iter().find(|(a, _)| *a == ip).map(|(_, m)| *m)
    })
}

pub fn learn(ip: Ipv4Addr, mac: MacAddr) {
    if ip.is_unspecified() || ip.is_broadcast() || mac.is_multicast() {
        return;
    }
    crate::arch::without_interrupts(|| {
        let mut t = TABLE.lock();
        let used = t.used;
        if let Some(e) = t.entries[..used].iter_mut().find(|(a, _)| *a == ip) {
            if e.1 != mac {
                e.1 = mac;
                GENERATION.fetch_add(1, Ordering::AcqRel);
            }
            return;
        }
        let slot = if t.used < ENTRIES {
            t.used += 1;
            t.used - 1
        } else {
            t.next_victim = (t.next_victim + 1) % ENTRIES;
            t.next_victim
        };
        t.entries[slot] = (ip, mac);
        GENERATION.fetch_add(1, Ordering::AcqRel);
    })
}
