//! TCP sockets over the home stack's smoltcp sockets. User memory is
//! never touched under a stack's lock: data moves through a bounce
//! buffer on the kernel stack, copied to or from the user outside it.

use alloc::sync::Arc;
use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicBool, Ordering};

use ringo_fs::readiness::PollEvents;
use ringo_fs::vfs::{ReadBuf, WriteBuf};
use ringo_net::flow::{FlowKey, Transport};
use ringo_net::flow_table::ListenerId;
use ringo_uapi::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::wire::{IpAddress, IpEndpoint};

use super::{Options, Socket};
use crate::net::flows::{self, Target};
use crate::net::stack::{self, Flow, new_tcp_socket};
use crate::sync::Mutex;

/// What one read or write moves at most under the stack's lock.
const BOUNCE: usize = 16 * 1024;
/// Memory bounds the backlog: each queued connection holds its buffers.
const MAX_BACKLOG: usize = 128;

struct Conn {
    cpu: usize,
    handle: SocketHandle,
    flow: Arc<Flow>,
    key: FlowKey,
    /// The local port came from the ephemeral range (released on close).
    ephemeral: bool,
    /// Reached ESTABLISHED once: a later CLOSED is a reset or an orderly
    /// end, an early one a refused connection.
    established: AtomicBool,
}

enum State {
    Fresh { bound: Option<(Ipv4Addr, u16)> },
    Listening { cpu: usize, backlog: usize, listener: Option<ListenerId>, addr: Ipv4Addr, port: u16 },
    Connected(Conn),
    Closed,
}

pub struct TcpSocket {
    state: Mutex<State>,
}

fn v4(a: IpAddress) -> Ipv4Addr {
    match a {
        IpAddress::Ipv4(v) => v,
    }
}

fn endpoint(e: IpEndpoint) -> (Ipv4Addr, u16) {
    (v4(e.addr), e.port)
}

fn configure_accepted(_s: &mut tcp::Socket<'static>) {}

fn apply(s: &mut tcp::Socket<'static>, o: &Options) {
    s.set_nagle_enabled(!o.nodelay);
    let idle = if o.keepidle == 0 { 15 } else { o.keepidle };
    s.set_keep_alive(o.keepalive.then(|| smoltcp::time::Duration::from_secs(idle as u64)));
}

/// The address a new connection to `dst` leaves from.
fn source_for(dst: Ipv4Addr) -> Result<Ipv4Addr, Errno> {
    if dst.is_loopback() {
        return Ok(Ipv4Addr::LOCALHOST);
    }
    crate::net::interfaces().next().and_then(|i| i.addresses().0).ok_or(Errno::ENETUNREACH)
}

impl TcpSocket {
    pub fn new() -> TcpSocket {
        TcpSocket { state: Mutex::new(State::Fresh { bound: None }) }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock())
    }

    pub fn bind(&self, sock: &Socket, addr: Ipv4Addr, port: u16) -> Result<(), Errno> {
        self.with_state(|st| {
            let State::Fresh { bound } = st else { return Err(Errno::EINVAL) };
            if bound.is_some() {
                return Err(Errno::EINVAL);
            }
            check_local(addr)?;
            let port = if port == 0 {
                flows::alloc_port(Transport::Tcp).ok_or(Errno::EADDRINUSE)?
            } else {
                let o = sock.options();
                if !(flows::reserve_port(Transport::Tcp, port) || o.reuse_addr || o.reuse_port) {
                    return Err(Errno::EADDRINUSE);
                }
                port
            };
            *bound = Some((addr, port));
            Ok(())
        })
    }

    pub fn listen(&self, _sock: &Socket, backlog: i32) -> Result<(), Errno> {
        self.with_state(|st| {
            let (addr, port) = match st {
                State::Fresh { bound: Some(b) } => *b,
                State::Fresh { bound: None } => {
                    (Ipv4Addr::UNSPECIFIED, flows::alloc_port(Transport::Tcp).ok_or(Errno::EADDRINUSE)?)
                }
                State::Listening { .. } => return Ok(()),
                _ => return Err(Errno::EINVAL),
            };
            let s = stack::this_stack().ok_or(Errno::ENETDOWN)?;
            let backlog = (backlog.max(1) as usize).min(MAX_BACKLOG);
            let id = s.run(None, |inner| inner.add_backlog(port, backlog, s.key, configure_accepted));
            // Create the first LISTEN socket now, not at the first SYN.
            s.run(None, |_| ());
            let only = (!addr.is_unspecified()).then_some(addr);
            let listener = flows::listen(Transport::Tcp, only, port, Target::Stack(s.cpu));
            *st = State::Listening { cpu: s.cpu, backlog: id, listener, addr, port };
            Ok(())
        })
    }

    /// A connection from the accept queue, as a new socket.
    pub fn accept(&self, sock: &Socket) -> Result<Arc<Socket>, Errno> {
        let (cpu, backlog) = self.with_state(|st| match st {
            State::Listening { cpu, backlog, .. } => Ok((*cpu, *backlog)),
            _ => Err(Errno::EINVAL),
        })?;
        let s = stack::stack(cpu).ok_or(Errno::ENETDOWN)?;
        for _ in 0..2 {
            let got = s.run(None, |inner| inner.backlogs.get_mut(backlog)?.as_mut()?.ready.pop_front());
            if let Some((handle, flow, key)) = got {
                let new = Socket::tcp();
                flow.key.store(new.key, Ordering::Release);
                if let super::Proto::Tcp(t) = &new.proto {
                    *t.state.lock() = State::Connected(Conn {
                        cpu,
                        handle,
                        flow,
                        key,
                        ephemeral: false,
                        established: AtomicBool::new(true),
                    });
                }
                new.set_options(|o| *o = sock.options());
                return Ok(new);
            }
            s.default.arm();
            if s.default.is_empty() {
                break;
            }
        }
        Err(Errno::EAGAIN)
    }

    /// Starts a connection; the caller waits for it (EINPROGRESS).
    pub fn connect(&self, sock: &Socket, addr: Ipv4Addr, port: u16) -> Result<(), Errno> {
        self.with_state(|st| {
            let bound = match st {
                State::Fresh { bound } => *bound,
                State::Connected(c) => {
                    return Err(if c.established.load(Ordering::Relaxed) { Errno::EISCONN } else { Errno::EALREADY });
                }
                _ => return Err(Errno::EINVAL),
            };
            if addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast() || port == 0 {
                return Err(if port == 0 { Errno::ECONNREFUSED } else { Errno::ENETUNREACH });
            }
            let s = stack::this_stack().ok_or(Errno::ENETDOWN)?;
            let src = match bound {
                Some((a, _)) if !a.is_unspecified() => a,
                _ => source_for(addr)?,
            };
            let (lport, ephemeral) = match bound {
                Some((_, p)) => (p, false),
                None => (flows::alloc_port(Transport::Tcp).ok_or(Errno::EADDRNOTAVAIL)?, true),
            };
            let key = FlowKey { transport: Transport::Tcp, local: (src, lport), remote: (addr, port) };
            let flow = Flow::new(sock.key, s.cpu);
            if !flows::register(key, flow.clone()) {
                return Err(Errno::EADDRINUSE);
            }
            let opts = sock.options();
            let handle = s.run(Some(&flow), |inner| {
                let mut t = new_tcp_socket();
                apply(&mut t, &opts);
                let cx = inner.iface.context();
                t.connect(cx, (IpAddress::Ipv4(addr), port), (IpAddress::Ipv4(src), lport))
                    .map(|()| inner.sockets.add(t))
            });
            match handle {
                Ok(handle) => {
                    *st = State::Connected(Conn {
                        cpu: s.cpu,
                        handle,
                        flow,
                        key,
                        ephemeral,
                        established: AtomicBool::new(false),
                    });
                    Err(Errno::EINPROGRESS)
                }
                Err(_) => {
                    flows::unregister(&key);
                    Err(Errno::EADDRNOTAVAIL)
                }
            }
        })
    }

    /// Data is taken from the socket only once it reached `buf`: a read
    /// that faults leaves it for the next (as Linux). The copy runs under
    /// the socket's own lock, not the stack's, so readers stay in order.
    pub fn recv(&self, _sock: &Socket, buf: &mut dyn WriteBuf, peek: bool) -> Result<usize, Errno> {
        let mut bounce = [0u8; BOUNCE];
        let want = buf.len().min(BOUNCE);
        if want == 0 {
            return Ok(0);
        }
        self.with_state(|st| {
            let State::Connected(c) = st else { return Err(Errno::ENOTCONN) };
            let s = stack::stack(c.cpu).ok_or(Errno::ENETDOWN)?;
            for _ in 0..2 {
                let r = s.run(Some(&c.flow), |inner| {
                    let t = inner.sockets.get_mut::<tcp::Socket>(c.handle);
                    if t.state() == tcp::State::Established {
                        c.established.store(true, Ordering::Relaxed);
                    }
                    if t.can_recv() {
                        return Some(t.peek_slice(&mut bounce[..want]).map_err(|_| Errno::ECONNRESET));
                    }
                    if !t.may_recv() && !matches!(t.state(), tcp::State::SynSent | tcp::State::SynReceived) {
                        let refused = t.state() == tcp::State::Closed && !c.established.load(Ordering::Relaxed);
                        return Some(if refused { Err(Errno::ECONNREFUSED) } else { Ok(0) });
                    }
                    None
                });
                if let Some(r) = r {
                    let got = r?;
                    let n = buf.write(&bounce[..got])?;
                    if !peek && n > 0 {
                        s.run(Some(&c.flow), |inner| {
                            inner.sockets.get_mut::<tcp::Socket>(c.handle).recv_slice(&mut bounce[..n])
                        })
                        .map_err(|_| Errno::ECONNRESET)?;
                    }
                    return Ok(n);
                }
                c.flow.channel.arm();
                if c.flow.channel.is_empty() {
                    break;
                }
            }
            Err(Errno::EAGAIN)
        })
    }

    pub fn send(&self, sock: &Socket, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
        let mut bounce = [0u8; BOUNCE];
        let n = buf.len().min(BOUNCE);
        if n == 0 {
            return Ok(0);
        }
        let n = buf.read(&mut bounce[..n])?;
        let _ = sock;
        self.with_state(|st| {
            let State::Connected(c) = st else { return Err(Errno::EPIPE) };
            let s = stack::stack(c.cpu).ok_or(Errno::ENETDOWN)?;
            for _ in 0..2 {
                let r = s.run(Some(&c.flow), |inner| {
                    let t = inner.sockets.get_mut::<tcp::Socket>(c.handle);
                    if !t.may_send() && !matches!(t.state(), tcp::State::SynSent | tcp::State::SynReceived) {
                        return Some(Err(Errno::EPIPE));
                    }
                    match t.send_slice(&bounce[..n]) {
                        Ok(0) | Err(_) => None,
                        Ok(m) => Some(Ok(m)),
                    }
                });
                if let Some(r) = r {
                    return r;
                }
                c.flow.channel.arm();
                if c.flow.channel.is_empty() {
                    break;
                }
            }
            Err(Errno::EAGAIN)
        })
    }

    pub fn poll(&self, sock: &Socket) -> PollEvents {
        self.with_state(|st| match st {
            State::Fresh { .. } => PollEvents::OUT | PollEvents::HUP,
            State::Closed => PollEvents::HUP,
            State::Listening { cpu, backlog, .. } => {
                let Some(s) = stack::stack(*cpu) else { return PollEvents::empty() };
                for _ in 0..2 {
                    let ready = s.run(None, |inner| {
                        inner.backlogs.get(*backlog).and_then(|b| b.as_ref()).is_some_and(|b| !b.ready.is_empty())
                    });
                    if ready {
                        return PollEvents::READABLE;
                    }
                    s.default.arm();
                    if s.default.is_empty() {
                        break;
                    }
                }
                PollEvents::empty()
            }
            State::Connected(c) => {
                let Some(s) = stack::stack(c.cpu) else { return PollEvents::empty() };
                let mut ev = PollEvents::empty();
                for _ in 0..2 {
                    ev = s.run(Some(&c.flow), |inner| {
                        let t = inner.sockets.get::<tcp::Socket>(c.handle);
                        let state = t.state();
                        if state == tcp::State::Established {
                            c.established.store(true, Ordering::Relaxed);
                        }
                        let mut ev = PollEvents::empty();
                        let connecting = matches!(state, tcp::State::SynSent | tcp::State::SynReceived);
                        if t.can_recv() || (!t.may_recv() && !connecting) {
                            ev |= PollEvents::READABLE;
                        }
                        if !t.may_recv() && !connecting {
                            ev |= PollEvents::from_bits(ringo_uapi::events::EPOLLRDHUP);
                        }
                        if t.can_send() {
                            ev |= PollEvents::WRITABLE;
                        }
                        if state == tcp::State::Closed {
                            ev |= PollEvents::HUP;
                            if !c.established.load(Ordering::Relaxed) {
                                sock.error.store(Errno::ECONNREFUSED as u32, Ordering::Release);
                                ev |= PollEvents::ERR;
                            }
                        }
                        ev
                    });
                    if ev.contains(PollEvents::IN) && ev.contains(PollEvents::OUT) || ev.contains(PollEvents::HUP) {
                        return ev;
                    }
                    c.flow.channel.arm();
                    if c.flow.channel.is_empty() {
                        break;
                    }
                }
                ev
            }
        })
    }

    pub fn wait_key(&self, sock: &Socket) -> u64 {
        self.with_state(|st| match st {
            State::Listening { cpu, .. } => stack::stack(*cpu).map_or(sock.key, |s| s.key),
            _ => sock.key,
        })
    }

    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        use ringo_uapi::net::{SHUT_RD, SHUT_RDWR, SHUT_WR};
        self.with_state(|st| {
            let State::Connected(c) = st else { return Err(Errno::ENOTCONN) };
            if how == SHUT_WR || how == SHUT_RDWR {
                let s = stack::stack(c.cpu).ok_or(Errno::ENETDOWN)?;
                s.run(Some(&c.flow), |inner| inner.sockets.get_mut::<tcp::Socket>(c.handle).close());
            }
            let _ = SHUT_RD;
            Ok(())
        })
    }

    pub fn close(&self) {
        let old = core::mem::replace(&mut *self.state.lock(), State::Closed);
        match old {
            State::Connected(c) => {
                if let Some(s) = stack::stack(c.cpu) {
                    s.run(None, |inner| inner.orphan(c.handle, c.flow.clone(), c.key));
                }
                if c.ephemeral {
                    flows::release_port(Transport::Tcp, c.key.local.1);
                }
            }
            State::Listening { cpu, backlog, listener, port, .. } => {
                if let Some(l) = listener {
                    flows::unlisten(l);
                }
                if let Some(s) = stack::stack(cpu) {
                    s.run(None, |inner| inner.remove_backlog(backlog));
                }
                flows::release_port(Transport::Tcp, port);
            }
            State::Fresh { bound: Some((_, port)) } => flows::release_port(Transport::Tcp, port),
            _ => {}
        }
    }

    pub fn local(&self) -> Option<(Ipv4Addr, u16)> {
        self.with_state(|st| match st {
            State::Fresh { bound } => Some(bound.unwrap_or((Ipv4Addr::UNSPECIFIED, 0))),
            State::Listening { addr, port, .. } => Some((*addr, *port)),
            State::Connected(c) => Some(c.key.local),
            State::Closed => None,
        })
    }

    pub fn peer(&self) -> Option<(Ipv4Addr, u16)> {
        self.with_state(|st| match st {
            State::Connected(c) => {
                let s = stack::stack(c.cpu)?;
                let remote = s.locked(|inner| inner.sockets.get::<tcp::Socket>(c.handle).remote_endpoint());
                remote.map(endpoint).or(Some(c.key.remote))
            }
            _ => None,
        })
    }

    pub fn pending(&self) -> usize {
        self.with_state(|st| match st {
            State::Connected(c) => stack::stack(c.cpu)
                .map_or(0, |s| s.run(Some(&c.flow), |inner| inner.sockets.get::<tcp::Socket>(c.handle).recv_queue())),
            _ => 0,
        })
    }

    pub fn is_listening(&self) -> bool {
        self.with_state(|st| matches!(st, State::Listening { .. }))
    }

    pub fn apply_options(&self, o: &Options) {
        self.with_state(|st| {
            if let State::Connected(c) = st
                && let Some(s) = stack::stack(c.cpu)
            {
                s.locked(|inner| apply(inner.sockets.get_mut::<tcp::Socket>(c.handle), o));
            }
        })
    }
}

impl Default for TcpSocket {
    fn default() -> Self {
        Self::new()
    }
}

/// A local address a socket may bind: any, loopback, or ours.
pub fn check_local(addr: Ipv4Addr) -> Result<(), Errno> {
    if addr.is_unspecified() || addr.is_loopback() {
        return Ok(());
    }
    match crate::net::interfaces().next().and_then(|i| i.addresses().0) {
        Some(a) if a == addr => Ok(()),
        _ => Err(Errno::EADDRNOTAVAIL),
    }
}
