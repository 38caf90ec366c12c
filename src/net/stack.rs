//! One TCP/IP stack per CPU: a smoltcp interface in IP medium and the
//! socket set of the sockets homed on that CPU, behind that CPU's own lock.
//! Ringo owns what smoltcp would otherwise own globally: Ethernet and ARP
//! (see [`super::neighbor`]), ephemeral ports, the flow table and the
//! accept backlog.
//!
//! A stack's packets reach it through channels: each flow's own (the
//! receive interrupt queues a flow's packets there) and the stack's default
//! channel (SYNs for its listeners, packets of unknown flows). Protocol
//! work runs in [`Stack::run`], in the context of the thread that reads,
//! writes or polls a socket (it feeds smoltcp the default channel, then
//! that socket's flow channel, one packet at a time), or from the timer
//! tick of the stack's CPU for retransmissions and for closed sockets
//! still finishing their handshake. smoltcp scans its socket set per
//! packet; the set holds only this CPU's sockets.

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_net::channel::Channel;
use ringo_net::flow::{FlowKey, Transport};
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, SocketHandle, SocketSet};
use smoltcp::phy::{ChecksumCapabilities, Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

use super::frames::{FRAME_BYTES, Frame};
use super::{counters, flows};
use crate::arch::percpu::MAX_CPUS;
use crate::sync::Mutex;

/// A flow's channel: deep enough for a window of full segments between
/// two reads at TCG speed.
pub const FLOW_CHANNEL: usize = 256;
const DEFAULT_CHANNEL: usize = 512;
/// Socket buffers, well above the MTU (and above 64 KiB, so smoltcp uses
/// window scaling).
pub const TCP_RX_BUFFER: usize = 128 * 1024;
pub const TCP_TX_BUFFER: usize = 128 * 1024;
/// Packets one `run` feeds smoltcp before it lets the caller go on.
const INGRESS_BUDGET: usize = 256;
/// Listening sockets kept ready for SYNs (each takes one SYN; Ringo adds
/// another before the next packet, up to the backlog).
const SPARE_LISTENERS: usize = 1;

pub fn now() -> Instant {
    Instant::from_micros(crate::time::monotonic_ns() as i64 / 1000)
}

/// A flow homed on a stack: its channel and who to wake.
pub struct Flow {
    pub channel: Channel<Frame>,
    /// Who to wake when a packet arrives and the reader asked: the
    /// socket's wait key (the listener's until accept() made the socket).
    pub key: AtomicU64,
    /// The CPU whose stack holds the flow's socket: where an overflowing
    /// packet goes (that stack's default channel).
    pub home: usize,
}

impl Flow {
    pub fn new(key: u64, home: usize) -> Arc<Flow> {
        Arc::new(Flow { channel: Channel::new(FLOW_CHANNEL), key: AtomicU64::new(key), home })
    }

    pub fn wake_key(&self) -> u64 {
        self.key.load(Ordering::Acquire)
    }
}

/// What the accept path keeps for one listening socket.
pub struct Backlog {
    pub port: u16,
    pub backlog: usize,
    /// Sockets in LISTEN, waiting for a SYN.
    spare: Vec<SocketHandle>,
    /// Handshakes in progress (their flows registered).
    embryonic: Vec<(SocketHandle, Arc<Flow>, FlowKey)>,
    /// Established, waiting for accept().
    pub ready: VecDeque<(SocketHandle, Arc<Flow>, FlowKey)>,
    /// The key the accepted sockets will wait on is made by accept(); until
    /// then their packets wake this (the listener's) key.
    listener_key: u64,
    pub configure: fn(&mut tcp::Socket<'static>),
}

pub struct Inner {
    pub iface: Interface,
    pub sockets: SocketSet<'static>,
    /// Listening sockets by id.
    pub backlogs: Vec<Option<Backlog>>,
    /// Sockets the application closed, still sending or acknowledging
    /// their FIN: polled until smoltcp has closed them.
    orphans: Vec<(SocketHandle, Arc<Flow>, FlowKey)>,
}

pub struct Stack {
    pub cpu: usize,
    inner: Mutex<Inner>,
    pub default: Channel<Frame>,
    /// Listeners on this stack wait on this key.
    pub key: u64,
    /// When smoltcp next needs a poll (µs of the monotonic clock; 0:
    /// nothing pending).
    next_poll_us: AtomicU64,
}

static STACKS: spin::Once<Vec<Stack>> = spin::Once::new();

/// The packet sources of one `run`: the default channel, then the
/// caller's flow, then orphans'.
struct ChannelDevice<'a> {
    /// The stack's default channel first, then flow channels.
    sources: &'a [&'a Channel<Frame>],
    /// Listening ports whose backlog is full: their SYNs are dropped here,
    /// as Linux drops them (the client retries), not reset by smoltcp.
    full_ports: &'a [u16],
    /// A packet of a known flow found on the default channel (its own
    /// channel was full when it came): that channel's older packets go
    /// first, then this one, so the flow's order is kept.
    detour: Option<(Arc<Flow>, Frame)>,
}

impl<'a> ChannelDevice<'a> {
    fn new(sources: &'a [&'a Channel<Frame>], full_ports: &'a [u16]) -> Self {
        ChannelDevice { sources, full_ports, detour: None }
    }

    fn next_packet(&mut self) -> Option<Frame> {
        if let Some((flow, _)) = &self.detour {
            if let Some(f) = flow.channel.pop() {
                return Some(f);
            }
            return self.detour.take().map(|(_, held)| held);
        }
        let (from_default, f) = self.sources.iter().enumerate().find_map(|(i, c)| c.pop().map(|f| (i == 0, f)))?;
        if from_default
            && let Some(key) = ringo_net::flow::classify_ipv4(f.bytes()).key()
            && let Some(flow) = flows::flow(&key)
            && !flow.channel.is_empty()
        {
            let first = flow.channel.pop();
            self.detour = Some((flow, f));
            return first.or_else(|| self.detour.take().map(|(_, held)| held));
        }
        Some(f)
    }
}

/// A TCP SYN (without ACK) to one of `ports`.
fn is_syn_to(packet: &[u8], ports: &[u16]) -> bool {
    if ports.is_empty() || packet.len() < 20 || packet[9] != 6 {
        return false;
    }
    let ihl = (packet[0] & 0xf) as usize * 4;
    let (Some(port), Some(&flags)) = (packet.get(ihl + 2..ihl + 4), packet.get(ihl + 13)) else { return false };
    flags & 0x12 == 0x02 && ports.contains(&u16::from_be_bytes([port[0], port[1]]))
}

struct Rx(Frame);
struct Tx;

impl RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        counters::this_cpu().segments.fetch_add(1, Ordering::Relaxed);
        f(self.0.bytes())
    }
}

impl TxToken for Tx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = [0u8; FRAME_BYTES];
        let len = len.min(FRAME_BYTES);
        let r = f(&mut buf[..len]);
        super::route::send_ip(&buf[..len]);
        r
    }
}

impl Device for ChannelDevice<'_> {
    type RxToken<'a>
        = Rx
    where
        Self: 'a;
    type TxToken<'a>
        = Tx
    where
        Self: 'a;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Rx, Tx)> {
        loop {
            let f = self.next_packet()?;
            if is_syn_to(f.bytes(), self.full_ports) {
                counters::this_cpu().backlog_drops.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            // smoltcp would drop these silently; here they are counted.
            if !f.verified
                && let Err(reason) = ringo_net::transport_check::verify(f.bytes())
            {
                crate::net::drop_frame(reason);
                continue;
            }
            return Some((Rx(f), Tx));
        }
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Tx> {
        Some(Tx)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        // A burst is bounded by the transmit ring (256 slots).
        caps.max_burst_size = Some(crate::drivers::virtio::QUEUE_SIZE / 2);
        // Computed on transmit; on receive checked before smoltcp sees the
        // packet (counted drops), or vouched for by the device.
        let tx_only = smoltcp::phy::Checksum::Tx;
        caps.checksum = ChecksumCapabilities::ignored();
        caps.checksum.ipv4 = tx_only;
        caps.checksum.tcp = tx_only;
        caps.checksum.udp = tx_only;
        caps.checksum.icmpv4 = tx_only;
        caps
    }
}

fn seed(cpu: usize) -> u64 {
    let mut b = [0u8; 8];
    crate::random::fill(&mut b);
    u64::from_ne_bytes(b) ^ cpu as u64
}

/// Creates one stack per online CPU (after the CPUs are up).
pub fn init(cpus: usize) {
    STACKS.call_once(|| {
        (0..cpus.clamp(1, MAX_CPUS))
            .map(|cpu| {
                let mut cfg = Config::new(HardwareAddress::Ip);
                cfg.random_seed = seed(cpu);
                let mut dev = ChannelDevice::new(&[], &[]);
                let mut iface = Interface::new(cfg, &mut dev, now());
                iface.update_ip_addrs(|a| {
                    let _ = a.push(IpCidr::new(IpAddress::v4(127, 0, 0, 1), 8));
                });
                Stack {
                    cpu,
                    inner: Mutex::new(Inner {
                        iface,
                        sockets: SocketSet::new(Vec::new()),
                        backlogs: Vec::new(),
                        orphans: Vec::new(),
                    }),
                    default: Channel::new(DEFAULT_CHANNEL),
                    key: ringo_fs::readiness::new_wait_key(),
                    next_poll_us: AtomicU64::new(0),
                }
            })
            .collect()
    });
}

pub fn stacks() -> &'static [Stack] {
    STACKS.get().map_or(&[], |s| s.as_slice())
}

/// The stack of CPU `cpu` (the first one if there is no such CPU).
pub fn stack(cpu: usize) -> Option<&'static Stack> {
    let all = stacks();
    all.get(cpu).or_else(|| all.first())
}

/// The stack of the CPU this runs on.
pub fn this_stack() -> Option<&'static Stack> {
    stack(crate::arch::percpu::current_index())
}

/// Gives every stack the interface's address, netmask and gateway.
pub fn set_address(addr: core::net::Ipv4Addr, prefix: u8, gateway: Option<core::net::Ipv4Addr>) {
    for s in stacks() {
        s.locked(|inner| {
            inner.iface.update_ip_addrs(|a| {
                a.retain(|c| c.address() == IpAddress::v4(127, 0, 0, 1));
                let _ = a.push(IpCidr::new(IpAddress::Ipv4(addr), prefix));
            });
            if let Some(gw) = gateway {
                let _ = inner.iface.routes_mut().add_default_ipv4_route(gw);
            }
        });
    }
}

impl Stack {
    /// Runs `f` on the locked stack, interrupts off, without protocol work.
    pub fn locked<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        crate::arch::without_interrupts(|| f(&mut self.inner.lock()))
    }

    /// Protocol work, then `f`, then the packets `f` caused: the default
    /// channel and `flow`'s channel are fed to smoltcp first, so that `f`
    /// sees every packet that had arrived.
    pub fn run<R>(&self, flow: Option<&Flow>, f: impl FnOnce(&mut Inner) -> R) -> R {
        crate::arch::without_interrupts(|| {
            let mut inner = self.inner.lock();
            let extra = inner.background_flows();
            // The common case (no handshake or closing socket pending)
            // takes no allocation: the sources fit on the stack.
            let pair = [Some(&self.default), flow.map(|fl| &fl.channel)];
            let few: ([&Channel<Frame>; 2], usize) = match pair {
                [Some(d), Some(c)] => ([d, c], 2),
                _ => ([&self.default, &self.default], 1),
            };
            let many: Vec<&Channel<Frame>>;
            let sources: &[&Channel<Frame>] = if extra.is_empty() {
                &few.0[..few.1]
            } else {
                many = few.0[..few.1].iter().copied().chain(extra.iter().map(|o| &o.channel)).collect();
                &many
            };
            self.ingress(&mut inner, sources);
            let r = f(&mut inner);
            self.egress(&mut inner, sources);
            r
        })
    }

    fn ingress(&self, inner: &mut Inner, sources: &[&Channel<Frame>]) {
        let t = now();
        for _ in 0..INGRESS_BUDGET {
            self.serve_backlogs(inner);
            let full = inner.full_ports();
            let mut dev = ChannelDevice::new(sources, &full);
            let Inner { iface, sockets, .. } = inner;
            if iface.poll_ingress_single(t, &mut dev, sockets) == PollIngressSingleResult::None {
                break;
            }
        }
        self.serve_backlogs(inner);
    }

    fn egress(&self, inner: &mut Inner, sources: &[&Channel<Frame>]) {
        let mut dev = ChannelDevice::new(sources, &[]);
        let t = now();
        {
            let Inner { iface, sockets, .. } = inner;
            iface.poll_maintenance(t);
            let _ = iface.poll_egress(t, &mut dev, sockets);
        }
        self.serve_backlogs(inner);
        self.reap_orphans(inner);
        let next = {
            let Inner { iface, sockets, .. } = inner;
            iface.poll_at(t, sockets)
        };
        self.next_poll_us.store(next.map_or(0, |i| i.total_micros().max(1) as u64), Ordering::Relaxed);
    }

    /// Whether a closed socket still has data or its FIN to send.
    pub fn has_unsent(&self) -> bool {
        self.locked(|inner| {
            let Inner { sockets, orphans, .. } = inner;
            orphans.iter().any(|(h, _, _)| {
                let t = sockets.get::<tcp::Socket>(*h);
                t.send_queue() > 0
                    || matches!(t.state(), tcp::State::FinWait1 | tcp::State::LastAck | tcp::State::Closing)
            })
        })
    }

    /// From this CPU's timer tick: retransmissions, keep-alives, TIME-WAIT,
    /// and packets nobody is reading. Never waits for the lock (the tick
    /// may have interrupted its holder on this CPU).
    pub fn tick(&self) {
        let due = self.next_poll_us.load(Ordering::Relaxed);
        let now_us = now().total_micros() as u64;
        let pending = !self.default.is_empty();
        if !pending && (due == 0 || due > now_us) && self.inner.try_lock().is_none_or(|g| g.background_is_idle()) {
            return;
        }
        let Some(mut inner) = self.inner.try_lock() else { return };
        let extra = inner.background_flows();
        let mut sources: Vec<&Channel<Frame>> = Vec::with_capacity(1 + extra.len());
        sources.push(&self.default);
        for o in &extra {
            sources.push(&o.channel);
        }
        self.ingress(&mut inner, &sources);
        self.egress(&mut inner, &sources);
    }

    /// Keeps a LISTEN socket ready for the next SYN, moves sockets that got
    /// one to the handshake list (registering their flow, so the rest of
    /// their packets reach them directly), and finished handshakes to the
    /// accept queue. Wakes the listeners when the queue grew.
    fn serve_backlogs(&self, inner: &mut Inner) {
        let mut grew = false;
        let Inner { iface, sockets, backlogs, .. } = inner;
        for b in backlogs.iter_mut().flatten() {
            let mut i = 0;
            while i < b.spare.len() {
                let h = b.spare[i];
                let s = sockets.get::<tcp::Socket>(h);
                if s.state() == tcp::State::Listen {
                    i += 1;
                    continue;
                }
                b.spare.swap_remove(i);
                match (s.local_endpoint(), s.remote_endpoint()) {
                    (Some(l), Some(r)) => {
                        let key = flow_key(l, r);
                        let flow = Flow::new(b.listener_key, self.cpu);
                        // Its handshake's last ACK must wake the listener.
                        flow.channel.arm();
                        if flows::register(key, flow.clone()) {
                            b.embryonic.push((h, flow, key));
                        } else {
                            sockets.remove(h);
                        }
                    }
                    _ => {
                        sockets.remove(h);
                    }
                }
            }
            let mut i = 0;
            while i < b.embryonic.len() {
                let h = b.embryonic[i].0;
                match sockets.get::<tcp::Socket>(h).state() {
                    tcp::State::SynReceived => i += 1,
                    tcp::State::Established | tcp::State::CloseWait => {
                        b.ready.push_back(b.embryonic.swap_remove(i));
                        grew = true;
                    }
                    _ => {
                        let (h, _, key) = b.embryonic.swap_remove(i);
                        flows::unregister(&key);
                        sockets.remove(h);
                    }
                }
            }
            while b.spare.len() < SPARE_LISTENERS && b.spare.len() + b.embryonic.len() + b.ready.len() < b.backlog {
                let mut s = new_tcp_socket();
                (b.configure)(&mut s);
                if s.listen(b.port).is_err() {
                    break;
                }
                b.spare.push(sockets.add(s));
            }
        }
        let _ = iface;
        if grew {
            ringo_fs::readiness::wake(self.key);
        }
    }

    fn reap_orphans(&self, inner: &mut Inner) {
        let Inner { sockets, orphans, .. } = inner;
        orphans.retain(|(h, _, key)| {
            let closed = sockets.get::<tcp::Socket>(*h).state() == tcp::State::Closed;
            if closed {
                flows::unregister(key);
                sockets.remove(*h);
            }
            !closed
        });
    }
}

impl Inner {
    /// Flows no reader drains: handshakes in progress (their ACK completes
    /// them) and closed sockets finishing. Every run feeds them too.
    fn background_flows(&self) -> Vec<Arc<Flow>> {
        let mut v: Vec<Arc<Flow>> = self.orphans.iter().map(|(_, f, _)| f.clone()).collect();
        for b in self.backlogs.iter().flatten() {
            for (_, f, _) in &b.embryonic {
                f.channel.arm();
                v.push(f.clone());
            }
        }
        v
    }

    fn full_ports(&self) -> Vec<u16> {
        self.backlogs.iter().flatten().filter(|b| b.spare.is_empty()).map(|b| b.port).collect()
    }

    fn background_is_idle(&self) -> bool {
        self.orphans.iter().all(|(_, f, _)| f.channel.is_empty())
            && self.backlogs.iter().flatten().all(|b| b.embryonic.iter().all(|(_, f, _)| f.channel.is_empty()))
    }

    /// A new listener's backlog; its id.
    pub fn add_backlog(
        &mut self,
        port: u16,
        backlog: usize,
        listener_key: u64,
        configure: fn(&mut tcp::Socket<'static>),
    ) -> usize {
        let b = Backlog {
            port,
            backlog: backlog.max(1),
            spare: Vec::new(),
            embryonic: Vec::new(),
            ready: VecDeque::new(),
            listener_key,
            configure,
        };
        match self.backlogs.iter().position(Option::is_none) {
            Some(i) => {
                self.backlogs[i] = Some(b);
                i
            }
            None => {
                self.backlogs.push(Some(b));
                self.backlogs.len() - 1
            }
        }
    }

    /// Closes a listener: its queued and embryonic connections are reset.
    pub fn remove_backlog(&mut self, id: usize) {
        let Some(Some(b)) = self.backlogs.get_mut(id).map(Option::take) else { return };
        for h in b.spare {
            self.sockets.remove(h);
        }
        // Reset, and reaped (after the RST went out) like closed sockets.
        for (h, flow, key) in b.embryonic.into_iter().chain(b.ready) {
            self.sockets.get_mut::<tcp::Socket>(h).abort();
            self.orphans.push((h, flow, key));
        }
    }

    /// The application closed `h`: smoltcp finishes the close (FIN, the
    /// peer's FIN, TIME-WAIT) while the stack keeps polling it.
    pub fn orphan(&mut self, h: SocketHandle, flow: Arc<Flow>, key: FlowKey) {
        self.sockets.get_mut::<tcp::Socket>(h).close();
        self.orphans.push((h, flow, key));
    }
}

pub fn new_tcp_socket() -> tcp::Socket<'static> {
    let rx = tcp::SocketBuffer::new(alloc::vec![0u8; TCP_RX_BUFFER]);
    let tx = tcp::SocketBuffer::new(alloc::vec![0u8; TCP_TX_BUFFER]);
    let mut s = tcp::Socket::new(rx, tx);
    s.set_congestion_control(tcp::CongestionControl::Reno);
    s.set_ack_delay(None);
    s
}

pub fn flow_key(local: smoltcp::wire::IpEndpoint, remote: smoltcp::wire::IpEndpoint) -> FlowKey {
    let v4 = |a: IpAddress| match a {
        IpAddress::Ipv4(v) => v,
    };
    FlowKey { transport: Transport::Tcp, local: (v4(local.addr), local.port), remote: (v4(remote.addr), remote.port) }
}
