//! Where a received packet goes: the flow table (established TCP flows
//! and connected sockets, to their channel), the listen table (TCP
//! listeners, to their stack's default channel; bound UDP sockets, to
//! their channel), both keyed with a secret hash, and the ephemeral ports.
//! Lookups take one bucket's lock, never a global one.

use alloc::sync::Arc;

use ringo_net::flow::{FlowKey, Transport};
use ringo_net::flow_hash::FlowHasher;
use ringo_net::flow_table::{FlowTable, ListenTable, ListenerId};
use ringo_net::ports::Ports;

use super::stack::Flow;
use crate::sync::Mutex;

/// Where a listen-table entry sends packets.
#[derive(Clone)]
pub enum Target {
    /// A TCP listener: the default channel of its stack.
    Stack(usize),
    /// A bound UDP socket: its own channel.
    Flow(Arc<Flow>),
}

struct Tables {
    flows: FlowTable<Arc<Flow>>,
    listeners: ListenTable<Target>,
    hasher: FlowHasher,
}

static TABLES: spin::Once<Tables> = spin::Once::new();
static PORTS: Mutex<Option<Ports>> = Mutex::new(None);

const BUCKETS: usize = 1024;

pub fn init() {
    TABLES.call_once(|| {
        let mut key = [0u8; 16];
        crate::random::fill(&mut key);
        let mut key2 = [0u8; 16];
        crate::random::fill(&mut key2);
        Tables {
            flows: FlowTable::new(BUCKETS, FlowHasher::new(key)),
            listeners: ListenTable::new(),
            hasher: FlowHasher::new(key2),
        }
    });
    *PORTS.lock() = Some(Ports::new());
}

// The tables' bucket locks are also taken by the receive interrupt: every
// use from a thread runs with interrupts off, so that the interrupt never
// spins on a lock its own CPU holds.
use crate::arch::without_interrupts;

pub fn register(key: FlowKey, flow: Arc<Flow>) -> bool {
    without_interrupts(|| TABLES.get().is_some_and(|t| t.flows.insert(key, flow).is_ok()))
}

pub fn unregister(key: &FlowKey) {
    without_interrupts(|| {
        if let Some(t) = TABLES.get() {
            t.flows.remove(key);
        }
    })
}

pub fn flow(key: &FlowKey) -> Option<Arc<Flow>> {
    without_interrupts(|| TABLES.get()?.flows.get(key))
}

/// The listener or bound socket for a packet of `key` that is no known flow.
pub fn listener(key: &FlowKey) -> Option<Target> {
    without_interrupts(|| {
        let t = TABLES.get()?;
        t.listeners.lookup(key.transport, key.local.0, key.local.1, t.hasher.hash(key))
    })
}

pub fn listen(
    transport: Transport,
    addr: Option<core::net::Ipv4Addr>,
    port: u16,
    target: Target,
) -> Option<ListenerId> {
    without_interrupts(|| Some(TABLES.get()?.listeners.insert(transport, addr, port, target)))
}

pub fn unlisten(id: ListenerId) {
    without_interrupts(|| {
        if let Some(t) = TABLES.get() {
            t.listeners.remove(id);
        }
    })
}

pub fn alloc_port(transport: Transport) -> Option<u16> {
    crate::arch::without_interrupts(|| PORTS.lock().as_mut()?.alloc(transport))
}

pub fn reserve_port(transport: Transport, port: u16) -> bool {
    crate::arch::without_interrupts(|| PORTS.lock().as_mut().is_some_and(|p| p.reserve(transport, port)))
}

pub fn release_port(transport: Transport, port: u16) {
    crate::arch::without_interrupts(|| {
        if let Some(p) = PORTS.lock().as_mut() {
            p.release(transport, port)
        }
    })
}
