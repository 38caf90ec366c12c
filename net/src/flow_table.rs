//! The channel table: from a flow key to whatever the kernel keeps per flow
//! (a handle on its [`Channel`](crate::channel::Channel) and its reader),
//! and the listener table for packets no flow claims.
//!
//! [`FlowTable`] is the receive interrupt's per-packet lookup, so it has no
//! global lock: a fixed array of buckets, each behind its own spin lock,
//! chosen by a keyed hash ([`FlowHasher`]) that a remote sender cannot aim
//! at one bucket. The number of buckets is fixed at creation, so there is
//! no rehash to stop the world; a lookup holds one bucket's lock for a walk
//! of a short list and a `V::clone` (an `Arc` increment, typically).
//! OSv reads its table under RCU; a spin lock per bucket is the simpler
//! thing with the same property that established flows on different CPUs
//! (almost always in different buckets) never touch the same lock.
//!
//! The interrupt takes these locks. Code outside the interrupt that holds
//! one (insert, remove, a lookup from thread context) must run with
//! interrupts disabled on its CPU, or the interrupt could spin forever on a
//! lock its own CPU holds. The critical sections are a few list
//! operations. [`FlowTable::try_get`] is there for an interrupt handler
//! that prefers to send the frame the slow way rather than spin.
//!
//! [`ListenTable`] is looked up for SYNs and for UDP datagrams to a socket
//! that is bound but not connected, which for a UDP server is every packet;
//! its buckets are read-write locks, so CPUs looking up the same port do
//! not serialise. Several listeners may share a port (SO_REUSEPORT); one
//! is chosen by the flow's hash, so that all of a flow's packets reach the
//! same listener.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use spin::{Mutex, RwLock};

use crate::flow::{FlowKey, Transport};
use crate::flow_hash::FlowHasher;

/// The most buckets a [`FlowTable`] will allocate: 2^20 buckets of an empty
/// `Vec` and a lock are 32 MiB, far past any flow count Ringo aims at.
pub const MAX_BUCKETS: usize = 1 << 20;

/// [`FlowTable::try_get`] found the bucket locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Busy;

/// One bucket: the flows whose hash picks it, in no particular order.
type Bucket<V> = Mutex<Vec<(FlowKey, V)>>;

pub struct FlowTable<V: Clone> {
    buckets: Box<[Bucket<V>]>,
    /// `buckets.len() - 1`; the length is a power of two.
    mask: usize,
    hasher: FlowHasher,
    len: AtomicUsize,
}

impl<V: Clone> FlowTable<V> {
    /// `buckets` is rounded up to a power of two (so that the bucket is the
    /// hash's low bits), at least 1 and at most [`MAX_BUCKETS`].
    pub fn new(buckets: usize, hasher: FlowHasher) -> Self {
        let count = buckets.clamp(1, MAX_BUCKETS).next_power_of_two();
        FlowTable {
            buckets: (0..count).map(|_| Mutex::new(Vec::new())).collect(),
            mask: count - 1,
            hasher,
            len: AtomicUsize::new(0),
        }
    }

    /// The flow's hash under this table's secret: pass it to
    /// [`get_hashed`](Self::get_hashed) and [`ListenTable::lookup`] to hash
    /// a packet once.
    pub fn hash(&self, key: &FlowKey) -> u64 {
        self.hasher.hash(key)
    }

    pub fn hasher(&self) -> &FlowHasher {
        &self.hasher
    }

    pub fn bucket_count(&self) -> usize {
        self.buckets.len()
    }

    /// Which bucket `key` lives in (for statistics and tests).
    pub fn bucket_of(&self, key: &FlowKey) -> usize {
        self.index(self.hash(key))
    }

    fn index(&self, hash: u64) -> usize {
        // Truncating to usize keeps the low bits, which are all the mask uses.
        (hash as usize) & self.mask
    }

    fn bucket(&self, hash: u64) -> &Bucket<V> {
        // The mask keeps the index inside the slice; `get` makes that a
        // fact the compiler checks rather than a promise. The fallback is
        // unreachable and harmless (bucket 0 exists: there is at least one).
        let index = self.index(hash);
        match self.buckets.get(index) {
            Some(bucket) => bucket,
            None => &self.buckets[0],
        }
    }

    /// Adds a flow; `Err(v)` if the key is present already (a flow has one
    /// channel; the caller decides what a duplicate means).
    pub fn insert(&self, key: FlowKey, v: V) -> Result<(), V> {
        let mut bucket = self.bucket(self.hash(&key)).lock();
        if bucket.iter().any(|(k, _)| *k == key) {
            return Err(v);
        }
        bucket.push((key, v));
        // The count is statistics: nothing is ordered by it.
        self.len.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub fn remove(&self, key: &FlowKey) -> Option<V> {
        let mut bucket = self.bucket(self.hash(key)).lock();
        let at = bucket.iter().position(|(k, _)| k == key)?;
        let (_, v) = bucket.swap_remove(at);
        self.len.fetch_sub(1, Ordering::Relaxed);
        Some(v)
    }

    pub fn get(&self, key: &FlowKey) -> Option<V> {
        self.get_hashed(key, self.hash(key))
    }

    /// [`get`](Self::get) with the hash already computed by
    /// [`hash`](Self::hash); a hash from elsewhere finds nothing (or the
    /// wrong bucket's nothing), never a wrong flow: the key is compared.
    pub fn get_hashed(&self, key: &FlowKey, hash: u64) -> Option<V> {
        let bucket = self.bucket(hash).lock();
        find(&bucket, key)
    }

    /// Like [`get_hashed`](Self::get_hashed) but does not wait for a bucket
    /// that another CPU (or this one, interrupted) holds.
    pub fn try_get(&self, key: &FlowKey, hash: u64) -> Result<Option<V>, Busy> {
        let bucket = self.bucket(hash).try_lock().ok_or(Busy)?;
        Ok(find(&bucket, key))
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of flows in the fullest bucket: a long one means a bad
    /// hash, or too few buckets for the flows.
    pub fn longest_bucket(&self) -> usize {
        self.buckets.iter().map(|b| b.lock().len()).max().unwrap_or(0)
    }
}

fn find<V: Clone>(bucket: &[(FlowKey, V)], key: &FlowKey) -> Option<V> {
    bucket.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

/// Names one listener for [`ListenTable::remove`]; it also says where the
/// entry lives, so removal goes straight to its bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId {
    pub transport: Transport,
    pub port: u16,
    serial: u64,
}

struct Listener<V> {
    transport: Transport,
    port: u16,
    /// None is INADDR_ANY.
    addr: Option<Ipv4Addr>,
    serial: u64,
    value: V,
}

impl<V> Listener<V> {
    fn on(&self, transport: Transport, port: u16) -> bool {
        self.transport == transport && self.port == port
    }
}

/// Buckets of the listener table, indexed by the port: listening ports are
/// ours, so an attacker cannot crowd a bucket, and the table is small.
const LISTEN_BUCKETS: usize = 64;

pub struct ListenTable<V: Clone> {
    buckets: Box<[RwLock<Vec<Listener<V>>>]>,
    next_serial: AtomicU64,
    len: AtomicUsize,
}

impl<V: Clone> Default for ListenTable<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Clone> ListenTable<V> {
    pub fn new() -> Self {
        ListenTable {
            buckets: (0..LISTEN_BUCKETS).map(|_| RwLock::new(Vec::new())).collect(),
            next_serial: AtomicU64::new(0),
            len: AtomicUsize::new(0),
        }
    }

    fn bucket(&self, transport: Transport, port: u16) -> &RwLock<Vec<Listener<V>>> {
        // TCP and UDP on one port fall in neighbouring buckets.
        let index = (usize::from(port) * 2 + transport as usize) % LISTEN_BUCKETS;
        match self.buckets.get(index) {
            Some(bucket) => bucket,
            None => &self.buckets[0],
        }
    }

    /// Adds a listener on `port`, at `addr` or on every address (None).
    /// Several may share a port and address (SO_REUSEPORT): whether that is
    /// allowed is the socket layer's decision, made before (see
    /// [`count`](Self::count)); this table just spreads flows over them.
    pub fn insert(&self, transport: Transport, addr: Option<Ipv4Addr>, port: u16, v: V) -> ListenerId {
        // Unique for 2^64 insertions; Relaxed: it only has to be unique.
        let serial = self.next_serial.fetch_add(1, Ordering::Relaxed);
        let mut bucket = self.bucket(transport, port).write();
        bucket.push(Listener { transport, port, addr, serial, value: v });
        self.len.fetch_add(1, Ordering::Relaxed);
        ListenerId { transport, port, serial }
    }

    pub fn remove(&self, id: ListenerId) -> Option<V> {
        let mut bucket = self.bucket(id.transport, id.port).write();
        let at = bucket.iter().position(|l| l.serial == id.serial && l.on(id.transport, id.port))?;
        // `remove`, not `swap_remove`: the order of the others is what the
        // hash indexes, and keeping it keeps their flows where they were
        // as far as possible.
        let listener = bucket.remove(at);
        self.len.fetch_sub(1, Ordering::Relaxed);
        Some(listener.value)
    }

    /// The listener for a packet to `addr:port`, chosen by `flow_hash`
    /// ([`FlowTable::hash`] of the packet's key) among the listeners bound
    /// to exactly `addr`, or if there are none, among the wildcard ones.
    /// The same hash gives the same listener while the set is unchanged.
    pub fn lookup(&self, transport: Transport, addr: Ipv4Addr, port: u16, flow_hash: u64) -> Option<V> {
        let bucket = self.bucket(transport, port).read();
        let on_port = || bucket.iter().filter(|l| l.on(transport, port));
        // The candidates: those bound to exactly `addr` if there are any,
        // else the wildcard ones.
        let exact = on_port().any(|l| l.addr == Some(addr));
        let wanted = if exact { Some(addr) } else { None };
        let candidates = on_port().filter(|l| l.addr == wanted).count();
        let nth = scale(flow_hash, candidates)?;
        on_port().filter(|l| l.addr == wanted).nth(nth).map(|l| l.value.clone())
    }

    /// How many listeners are bound to exactly this address (None: the
    /// wildcard) and port: for the socket layer's bind conflict checks.
    pub fn count(&self, transport: Transport, addr: Option<Ipv4Addr>, port: u16) -> usize {
        let bucket = self.bucket(transport, port).read();
        bucket.iter().filter(|l| l.on(transport, port) && l.addr == addr).count()
    }

    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Maps a hash onto 0..n (None when n is 0) by its high 32 bits, as Linux's
/// `reciprocal_scale` does for SO_REUSEPORT: no division, no modulo bias
/// worth the name, and independent of the low bits that chose the flow
/// table's bucket.
fn scale(hash: u64, n: usize) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let n = u64::try_from(n).ok()?;
    usize::try_from(((hash >> 32) * n) >> 32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const US: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);
    const OTHER_US: Ipv4Addr = Ipv4Addr::new(10, 0, 3, 15);

    fn hasher(seed: u8) -> FlowHasher {
        FlowHasher::new(core::array::from_fn(|i| seed ^ (i as u8).wrapping_mul(29)))
    }

    /// Flows an attacker could send: one remote address, consecutive ports.
    fn flow(remote_port: u16) -> FlowKey {
        FlowKey { transport: Transport::Tcp, local: (US, 80), remote: (Ipv4Addr::new(192, 0, 2, 1), remote_port) }
    }

    #[test]
    fn the_bucket_count_is_rounded_up_to_a_power_of_two() {
        assert_eq!(FlowTable::<u32>::new(0, hasher(1)).bucket_count(), 1);
        assert_eq!(FlowTable::<u32>::new(1, hasher(1)).bucket_count(), 1);
        assert_eq!(FlowTable::<u32>::new(100, hasher(1)).bucket_count(), 128);
        assert_eq!(FlowTable::<u32>::new(256, hasher(1)).bucket_count(), 256);
        assert_eq!(FlowTable::<u32>::new(usize::MAX, hasher(1)).mask, MAX_BUCKETS - 1);
    }

    #[test]
    fn inserted_flows_are_found_and_removed_flows_are_not() {
        let table = FlowTable::new(16, hasher(1));
        for port in 0..100 {
            table.insert(flow(port), u32::from(port)).unwrap();
        }
        assert_eq!(table.len(), 100);
        for port in 0..100 {
            assert_eq!(table.get(&flow(port)), Some(u32::from(port)));
        }
        assert_eq!(table.get(&flow(100)), None);
        assert_eq!(table.remove(&flow(42)), Some(42));
        assert_eq!(table.remove(&flow(42)), None);
        assert_eq!(table.get(&flow(42)), None);
        assert_eq!(table.get(&flow(43)), Some(43));
        assert_eq!(table.len(), 99);
    }

    #[test]
    fn a_duplicate_key_is_refused_and_the_first_value_kept() {
        let table = FlowTable::new(16, hasher(1));
        assert_eq!(table.insert(flow(1), "first"), Ok(()));
        assert_eq!(table.insert(flow(1), "second"), Err("second"));
        assert_eq!(table.get(&flow(1)), Some("first"));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn the_same_ports_over_udp_are_another_flow() {
        let table = FlowTable::new(16, hasher(1));
        table.insert(flow(1), 't').unwrap();
        let udp = FlowKey { transport: Transport::Udp, ..flow(1) };
        assert_eq!(table.get(&udp), None);
        table.insert(udp, 'u').unwrap();
        assert_eq!((table.get(&flow(1)), table.get(&udp)), (Some('t'), Some('u')));
    }

    #[test]
    fn get_hashed_and_try_get_agree_with_get() {
        let table = FlowTable::new(64, hasher(1));
        table.insert(flow(7), 7).unwrap();
        let hash = table.hash(&flow(7));
        assert_eq!(table.get_hashed(&flow(7), hash), Some(7));
        assert_eq!(table.try_get(&flow(7), hash), Ok(Some(7)));
        assert_eq!(table.try_get(&flow(8), table.hash(&flow(8))), Ok(None));
    }

    #[test]
    fn try_get_reports_a_held_bucket_instead_of_spinning() {
        let table = FlowTable::new(64, hasher(1));
        table.insert(flow(7), 7).unwrap();
        let hash = table.hash(&flow(7));
        let _held = table.bucket(hash).lock();
        assert_eq!(table.try_get(&flow(7), hash), Err(Busy));
    }

    #[test]
    fn many_flows_from_consecutive_ports_spread_over_all_buckets() {
        let table = FlowTable::new(256, hasher(1));
        for port in 10_000..10_000 + 4096 {
            table.insert(flow(port), ()).unwrap();
        }
        let mut per_bucket = vec![0usize; table.bucket_count()];
        for port in 10_000..10_000 + 4096 {
            per_bucket[table.bucket_of(&flow(port))] += 1;
        }
        // 16 per bucket on average; a uniform hash leaves none empty and
        // none near a list walk of 40.
        assert!(per_bucket.iter().all(|&n| n > 0), "an empty bucket");
        assert!(table.longest_bucket() < 40, "longest bucket {}", table.longest_bucket());
    }

    #[test]
    fn without_the_secret_the_bucket_of_a_flow_cannot_be_predicted() {
        // What an attacker learns from one secret says nothing about
        // another: the same flows land in unrelated buckets.
        let a = FlowTable::<()>::new(256, hasher(1));
        let b = FlowTable::<()>::new(256, hasher(2));
        let same = (0..1000).filter(|&p| a.bucket_of(&flow(p)) == b.bucket_of(&flow(p))).count();
        // About 1000/256 by chance.
        assert!(same < 20, "{same} of 1000 flows in the same bucket under both secrets");
    }

    #[test]
    fn lookups_on_several_threads_see_every_flow() {
        let table = Arc::new(FlowTable::new(64, hasher(3)));
        for port in 0..512 {
            table.insert(flow(port), port).unwrap();
        }
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let table = Arc::clone(&table);
                std::thread::spawn(move || (0..512).all(|port| table.get(&flow(port)) == Some(port)))
            })
            .collect();
        // Meanwhile flows come and go elsewhere in the table.
        for port in 1000..1500 {
            table.insert(flow(port), port).unwrap();
            if port > 1000 {
                assert_eq!(table.remove(&flow(port - 1)), Some(port - 1));
            }
        }
        assert!(readers.into_iter().all(|r| r.join().unwrap()));
    }

    #[test]
    fn a_listener_on_any_address_takes_packets_for_every_address() {
        let listeners = ListenTable::new();
        listeners.insert(Transport::Tcp, None, 80, "web");
        assert_eq!(listeners.lookup(Transport::Tcp, US, 80, 0), Some("web"));
        assert_eq!(listeners.lookup(Transport::Tcp, OTHER_US, 80, u64::MAX), Some("web"));
        assert_eq!(listeners.lookup(Transport::Tcp, US, 81, 0), None);
        assert_eq!(listeners.lookup(Transport::Udp, US, 80, 0), None);
    }

    #[test]
    fn a_listener_on_an_exact_address_wins_over_the_wildcard() {
        let listeners = ListenTable::new();
        listeners.insert(Transport::Udp, None, 53, "any");
        listeners.insert(Transport::Udp, Some(US), 53, "exact");
        for hash in [0, 1 << 63, u64::MAX] {
            assert_eq!(listeners.lookup(Transport::Udp, US, 53, hash), Some("exact"));
            assert_eq!(listeners.lookup(Transport::Udp, OTHER_US, 53, hash), Some("any"));
        }
    }

    #[test]
    fn a_listener_on_another_address_does_not_match() {
        let listeners = ListenTable::new();
        listeners.insert(Transport::Tcp, Some(OTHER_US), 80, ());
        assert_eq!(listeners.lookup(Transport::Tcp, US, 80, 0), None);
    }

    #[test]
    fn ports_that_share_a_bucket_do_not_see_each_others_listeners() {
        let listeners = ListenTable::new();
        let port = 80u16;
        let same_bucket = port + u16::try_from(LISTEN_BUCKETS / 2).unwrap();
        listeners.insert(Transport::Tcp, None, port, 'a');
        listeners.insert(Transport::Tcp, None, same_bucket, 'b');
        assert_eq!(listeners.lookup(Transport::Tcp, US, port, 0), Some('a'));
        assert_eq!(listeners.lookup(Transport::Tcp, US, same_bucket, 0), Some('b'));
    }

    #[test]
    fn reuseport_spreads_1000_flows_over_4_listeners_evenly_and_stably() {
        let table = FlowTable::<()>::new(256, hasher(5));
        let listeners = ListenTable::new();
        for i in 0..4usize {
            listeners.insert(Transport::Tcp, None, 80, i);
        }
        let mut counts = [0usize; 4];
        for port in 0..1000 {
            let hash = table.hash(&flow(port));
            let chosen = listeners.lookup(Transport::Tcp, US, 80, hash).unwrap();
            counts[chosen] += 1;
            // Every packet of the flow reaches the same listener.
            for _ in 0..3 {
                assert_eq!(listeners.lookup(Transport::Tcp, US, 80, hash), Some(chosen));
            }
        }
        // 250 each on average; binomial sd ~14.
        assert!(counts.iter().all(|&n| (190..=310).contains(&n)), "{counts:?}");
    }

    #[test]
    fn removing_a_listener_leaves_the_others_and_only_it() {
        let listeners = ListenTable::new();
        let a = listeners.insert(Transport::Tcp, None, 80, 'a');
        let b = listeners.insert(Transport::Tcp, None, 80, 'b');
        assert_eq!(listeners.len(), 2);
        assert_eq!(listeners.count(Transport::Tcp, None, 80), 2);
        assert_eq!(listeners.remove(a), Some('a'));
        assert_eq!(listeners.remove(a), None);
        for hash in [0, 1 << 63, u64::MAX] {
            assert_eq!(listeners.lookup(Transport::Tcp, US, 80, hash), Some('b'));
        }
        assert_eq!(listeners.remove(b), Some('b'));
        assert!(listeners.is_empty());
        assert_eq!(listeners.lookup(Transport::Tcp, US, 80, 0), None);
    }

    #[test]
    fn count_tells_exact_and_wildcard_bindings_apart() {
        let listeners = ListenTable::new();
        listeners.insert(Transport::Udp, Some(US), 53, ());
        assert_eq!(listeners.count(Transport::Udp, Some(US), 53), 1);
        assert_eq!(listeners.count(Transport::Udp, None, 53), 0);
        assert_eq!(listeners.count(Transport::Tcp, Some(US), 53), 0);
    }

    #[test]
    fn scale_maps_onto_the_whole_range_and_never_past_it() {
        assert_eq!(scale(u64::MAX, 0), None);
        assert_eq!(scale(0, 4), Some(0));
        assert_eq!(scale(u64::MAX, 4), Some(3));
        assert_eq!(scale(1 << 63, 4), Some(2));
        assert_eq!(scale(u64::MAX, 1), Some(0));
    }
}
