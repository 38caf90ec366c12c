//! AF_UNIX sockets as files: stream, datagram and seqpacket sockets over
//! ringo_fs::unix's queues, with the names they bind (a socket inode made
//! in the file system for a path, a kernel table for abstract names), the
//! connections a listener queues, and SCM_RIGHTS moving open files from
//! one process's descriptor table to another's.
//!
//! Waiting: every socket has one wait key, the one poll, epoll and
//! blocked calls sleep on. Whatever may change a socket's readiness wakes
//! its key: both keys of a connection after any transfer on it, a
//! listener's after a connect, a receiver's after a datagram comes, and
//! the keys of senders that found a receiver (or a listener's backlog)
//! full once it drains. The operations here never sleep themselves except
//! in [`UnixSocket::send`], [`UnixSocket::recv`], [`UnixSocket::connect`]
//! and [`UnixSocket::accept`] when asked to block.
//!
//! Locks: a socket's `inner`, then a name table or a connection's pair;
//! never two sockets' `inner` at once. What a queue held (open files that
//! may be sockets) is dropped only after every lock is let go, since
//! dropping a socket locks its own state.

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ringo_fs::fdtable::OpenFile;
use ringo_fs::readiness::{PollEvents, new_wait_key, wake};
use ringo_fs::unix::stream::{RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK};
use ringo_fs::unix::{AddrKind, Backlog, Datagram, DgramQueue, NameTable, Pair, UnixAddr};
use ringo_fs::vfs::{Creation, Inode, InodeKind, NewKind, NodeId, OpenFlags, ReadBuf, WriteBuf};
use ringo_uapi::Errno;
use ringo_uapi::net::{AF_UNIX, SockaddrUn};
use ringo_uapi::tty::FIONREAD;

use crate::sync::Mutex;

/// What SCM_RIGHTS carries: the open files, shared with the sender's
/// descriptors until the receiver installs them.
pub type Rights = Vec<Arc<OpenFile>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Stream,
    Dgram,
    Seqpacket,
}

impl Kind {
    fn connected(self) -> bool {
        self != Kind::Dgram
    }
}

/// Which table a bound socket's name is in.
enum Binding {
    Path(NodeId),
    Abstract(UnixAddr),
}

/// One connection: its two queues and the keys of its two sockets.
struct Link {
    pair: Mutex<Pair<Rights>>,
    keys: [u64; 2],
}

impl Link {
    fn wake_both(&self) {
        wake(self.keys[0]);
        wake(self.keys[1]);
    }
}

enum State {
    Idle,
    Listening(Backlog<Arc<UnixSocket>>),
    Connected { link: Arc<Link>, side: usize, peer_name: UnixAddr },
}

struct Inner {
    /// What getsockname reports (an accepted socket shows its listener's).
    name: Option<UnixAddr>,
    /// The table entry this socket owns, removed when it closes.
    binding: Option<Binding>,
    state: State,
    /// Datagram sockets: what has arrived, the connected peer (if any) and
    /// this socket's own shutdown bits.
    inbox: DgramQueue<UnixAddr, Rights>,
    peer: Option<Weak<UnixSocket>>,
    shut: u8,
    /// Keys of senders (or connecting sockets) that found this socket's
    /// inbox (or backlog) full: woken once it drains.
    blocked: Vec<u64>,
}

pub struct UnixSocket {
    ino: u64,
    key: u64,
    pub kind: Kind,
    me: Weak<UnixSocket>,
    /// False for a connection still in its listener's backlog: if it is
    /// dropped there, the connecting side sees ECONNRESET.
    accepted: AtomicBool,
    /// The pid that created it (SO_PEERCRED's pid on the other end).
    pub pid: AtomicU32,
    inner: Mutex<Inner>,
}

static PATHS: Mutex<NameTable<NodeId, Weak<UnixSocket>>> = Mutex::new(NameTable::new());
static ABSTRACT: Mutex<NameTable<UnixAddr, Weak<UnixSocket>>> = Mutex::new(NameTable::new());

fn current_pid() -> u32 {
    crate::process::current_ref().map_or(0, |p| p.tgid)
}

impl UnixSocket {
    pub fn new(kind: Kind) -> Arc<UnixSocket> {
        Self::with_state(kind, State::Idle, None)
    }

    fn with_state(kind: Kind, state: State, name: Option<UnixAddr>) -> Arc<UnixSocket> {
        Arc::new_cyclic(|me| UnixSocket {
            ino: crate::net::sockfs::new_ino(),
            key: new_wait_key(),
            kind,
            me: me.clone(),
            accepted: AtomicBool::new(true),
            pid: AtomicU32::new(current_pid()),
            inner: Mutex::new(Inner {
                name,
                binding: None,
                state,
                inbox: DgramQueue::new(),
                peer: None,
                shut: 0,
                blocked: Vec::new(),
            }),
        })
    }

    /// socketpair(2): two sockets connected to each other.
    pub fn pair(kind: Kind) -> (Arc<UnixSocket>, Arc<UnixSocket>) {
        let a = Self::new(kind);
        let b = Self::new(kind);
        if kind.connected() {
            let link = Arc::new(Link { pair: Mutex::new(Pair::new(kind == Kind::Seqpacket)), keys: [a.key, b.key] });
            a.inner.lock().state = State::Connected { link: link.clone(), side: 0, peer_name: UnixAddr::UNNAMED };
            b.inner.lock().state = State::Connected { link, side: 1, peer_name: UnixAddr::UNNAMED };
        } else {
            a.inner.lock().peer = Some(Arc::downgrade(&b));
            b.inner.lock().peer = Some(Arc::downgrade(&a));
        }
        (a, b)
    }

    pub fn of(node: &Arc<dyn Inode>) -> Option<Arc<UnixSocket>> {
        let any: Arc<dyn Any + Send + Sync> = node.clone();
        any.downcast::<UnixSocket>().ok()
    }

    fn weak(&self) -> Weak<UnixSocket> {
        self.me.clone()
    }

    /// bind(2) with the user's address bytes.
    pub fn bind(&self, sa: &[u8]) -> Result<(), Errno> {
        let mut inner = self.inner.lock();
        if inner.binding.is_some() || inner.name.is_some() {
            return Err(Errno::EINVAL);
        }
        // Just the family: autobind to a free abstract name.
        let (name, binding) = if sa.len() == SockaddrUn::PATH_OFFSET && sa[..2] == AF_UNIX.to_ne_bytes() {
            static SEED: AtomicU32 = AtomicU32::new(0);
            let mut names = ABSTRACT.lock();
            let name = names.free_auto_name(SEED.fetch_add(1, Ordering::Relaxed))?;
            names.bind(name, self.weak())?;
            (name, Binding::Abstract(name))
        } else {
            let name = UnixAddr::parse(sa)?;
            match name.kind() {
                AddrKind::Unnamed => return Err(Errno::EINVAL),
                AddrKind::Abstract(_) => {
                    ABSTRACT.lock().bind(name, self.weak())?;
                    (name, Binding::Abstract(name))
                }
                AddrKind::Path(path) => {
                    let umask = crate::process::current_ref().map_or(0o022, |p| p.umask.load(Ordering::Relaxed));
                    let create = Creation::new(0o777 & !umask, 0, 0);
                    let node = crate::files::with_ctx(|ctx| ctx.mknod(path, NewKind::Socket, create))
                        .map_err(|e| if e == Errno::EEXIST { Errno::EADDRINUSE } else { e })?;
                    let id = node.node_id();
                    PATHS.lock().bind(id, self.weak())?;
                    (name, Binding::Path(id))
                }
            }
        };
        inner.name = Some(name);
        inner.binding = Some(binding);
        Ok(())
    }

    /// listen(2): `backlog` already clamped to somaxconn.
    pub fn listen(&self, backlog: usize) -> Result<(), Errno> {
        if !self.kind.connected() {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut inner = self.inner.lock();
        if inner.name.is_none() {
            return Err(Errno::EINVAL);
        }
        match &mut inner.state {
            State::Listening(b) => b.set_max(backlog),
            State::Idle => inner.state = State::Listening(Backlog::new(backlog)),
            State::Connected { .. } => return Err(Errno::EINVAL),
        }
        drop(inner);
        wake(self.key);
        Ok(())
    }

    pub fn is_listening(&self) -> bool {
        matches!(self.inner.lock().state, State::Listening(_))
    }

    /// The socket bound to `name` with this socket's type.
    fn lookup(&self, name: &UnixAddr) -> Result<Arc<UnixSocket>, Errno> {
        let found = match name.kind() {
            AddrKind::Unnamed => return Err(Errno::EINVAL),
            AddrKind::Abstract(_) => {
                let s = ABSTRACT.lock().get(name).and_then(Weak::upgrade).ok_or(Errno::ECONNREFUSED)?;
                // Abstract names are looked up by type: another type's is not there.
                if s.kind != self.kind {
                    return Err(Errno::ECONNREFUSED);
                }
                s
            }
            AddrKind::Path(path) => {
                let node = crate::files::with_ctx(|ctx| ctx.resolve(path, true))?;
                if node.kind() != InodeKind::Socket {
                    return Err(Errno::ECONNREFUSED);
                }
                let id = node.node_id();
                let s = PATHS.lock().get(&id).and_then(Weak::upgrade).ok_or(Errno::ECONNREFUSED)?;
                if s.kind != self.kind {
                    return Err(Errno::EPROTOTYPE);
                }
                s
            }
        };
        Ok(found)
    }

    /// connect(2). Datagram sockets just remember the peer (AF_UNSPEC
    /// forgets it); stream sockets queue a new connection at the listener,
    /// waiting for room in its backlog unless `nonblock`.
    pub fn connect(&self, sa: &[u8], nonblock: bool) -> Result<(), Errno> {
        if !self.kind.connected() {
            if sa.len() >= 2 && u16::from_ne_bytes([sa[0], sa[1]]) == ringo_uapi::net::AF_UNSPEC {
                self.inner.lock().peer = None;
                return Ok(());
            }
            let name = UnixAddr::parse(sa)?;
            let target = self.lookup(&name)?;
            self.inner.lock().peer = Some(Arc::downgrade(&target));
            return Ok(());
        }
        let name = UnixAddr::parse(sa)?;
        if name.is_empty() {
            return Err(Errno::EINVAL);
        }
        match self.inner.lock().state {
            State::Connected { .. } => return Err(Errno::EISCONN),
            State::Listening(_) => return Err(Errno::EINVAL),
            State::Idle => {}
        }
        loop {
            let listener = self.lookup(&name)?;
            match self.try_connect(&listener, name)? {
                true => return Ok(()),
                false if nonblock => return Err(Errno::EAGAIN),
                false => {
                    let ready = || {
                        let l = listener.inner.lock();
                        !matches!(&l.state, State::Listening(b) if b.is_full())
                    };
                    wait(self.key, ready)?;
                }
            }
        }
    }

    /// One attempt: true when connected, false when the backlog is full
    /// (this socket's key is then registered for the listener's accept).
    fn try_connect(&self, listener: &Arc<UnixSocket>, name: UnixAddr) -> Result<bool, Errno> {
        let my_name = self.inner.lock().name.unwrap_or(UnixAddr::UNNAMED);
        let mut l = listener.inner.lock();
        let listener_name = l.name.unwrap_or(name);
        let State::Listening(backlog) = &mut l.state else { return Err(Errno::ECONNREFUSED) };
        if backlog.is_full() {
            if !l.blocked.contains(&self.key) {
                l.blocked.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                l.blocked.push(self.key);
            }
            return Ok(false);
        }
        // A second socket's lock under the listener's, but a fresh one that
        // nothing else can reach yet.
        let server = Self::with_state(self.kind, State::Idle, Some(listener_name));
        server.accepted.store(false, Ordering::Relaxed);
        server.pid.store(listener.pid.load(Ordering::Relaxed), Ordering::Relaxed);
        let link =
            Arc::new(Link { pair: Mutex::new(Pair::new(self.kind == Kind::Seqpacket)), keys: [self.key, server.key] });
        server.inner.lock().state = State::Connected { link: link.clone(), side: 1, peer_name: my_name };
        if let Err((e, server)) = backlog.push(server) {
            drop(l);
            drop(server);
            return Err(e);
        }
        drop(l);
        wake(listener.key);
        let mut me = self.inner.lock();
        if !matches!(me.state, State::Idle) {
            // Another thread connected this socket meanwhile: this
            // connection's server side will see it reset.
            drop(me);
            link.pair.lock().close(0, false);
            link.wake_both();
            return Err(Errno::EISCONN);
        }
        me.state = State::Connected { link, side: 0, peer_name: listener_name };
        Ok(true)
    }

    /// accept(2): the oldest queued connection, waiting for one unless
    /// `nonblock`.
    pub fn accept(&self, nonblock: bool) -> Result<Arc<UnixSocket>, Errno> {
        loop {
            let mut inner = self.inner.lock();
            let State::Listening(backlog) = &mut inner.state else { return Err(Errno::EINVAL) };
            if let Some(s) = backlog.pop() {
                let blocked = core::mem::take(&mut inner.blocked);
                drop(inner);
                for k in blocked {
                    wake(k);
                }
                s.accepted.store(true, Ordering::Relaxed);
                return Ok(s);
            }
            drop(inner);
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            wait(self.key, || self.poll().intersects(PollEvents::IN))?;
        }
    }

    /// getsockname(2).
    pub fn local_name(&self) -> UnixAddr {
        self.inner.lock().name.unwrap_or(UnixAddr::UNNAMED)
    }

    /// getpeername(2): ENOTCONN unless connected.
    pub fn peer_name(&self) -> Result<UnixAddr, Errno> {
        let inner = self.inner.lock();
        match &inner.state {
            State::Connected { peer_name, .. } => Ok(*peer_name),
            _ => {
                let peer = inner.peer.as_ref().and_then(Weak::upgrade).ok_or(Errno::ENOTCONN)?;
                drop(inner);
                Ok(peer.local_name())
            }
        }
    }

    /// The connection and this socket's side of it.
    fn link(&self) -> Option<(Arc<Link>, usize, UnixAddr)> {
        match &self.inner.lock().state {
            State::Connected { link, side, peer_name } => Some((link.clone(), *side, *peer_name)),
            _ => None,
        }
    }

    /// Sends `src` (to `to` for an unconnected datagram socket) with
    /// `rights`. A blocking stream send goes on until all is sent, as on
    /// Linux; what was sent is returned if it stops early.
    pub fn send(
        &self,
        src: &mut dyn ReadBuf,
        to: Option<&[u8]>,
        rights: Option<Rights>,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        if self.kind == Kind::Dgram {
            return self.send_datagram(src, to, rights, nonblock);
        }
        let Some((link, side, _)) = self.link() else {
            return Err(if to.is_some() { Errno::EOPNOTSUPP } else { Errno::ENOTCONN });
        };
        if to.is_some() {
            return Err(Errno::EISCONN);
        }
        let mut rights = rights;
        let mut total = 0usize;
        loop {
            let r = link.pair.lock().send(side, src, &mut rights);
            match r {
                Ok(n) => {
                    if n > 0 {
                        link.wake_both();
                    }
                    total += n;
                    if src.is_empty() || nonblock || n == 0 {
                        return Ok(total);
                    }
                }
                Err(Errno::EAGAIN) if !nonblock => {
                    if let Err(e) = wait(self.key, || link.pair.lock().can_send(side)) {
                        return if total > 0 { Ok(total) } else { Err(e) };
                    }
                }
                Err(e) if total > 0 && e != Errno::EFAULT => return Ok(total),
                Err(e) => return Err(e),
            }
        }
    }

    fn send_datagram(
        &self,
        src: &mut dyn ReadBuf,
        to: Option<&[u8]>,
        rights: Option<Rights>,
        nonblock: bool,
    ) -> Result<usize, Errno> {
        let target = match to {
            Some(sa) => self.lookup(&UnixAddr::parse(sa)?)?,
            None => {
                let mut inner = self.inner.lock();
                match inner.peer.as_ref().map(Weak::upgrade) {
                    None => return Err(Errno::ENOTCONN),
                    Some(None) => {
                        // The peer closed: refused once, then unconnected.
                        inner.peer = None;
                        return Err(Errno::ECONNREFUSED);
                    }
                    Some(Some(t)) => t,
                }
            }
        };
        let (from, shut) = {
            let inner = self.inner.lock();
            (inner.name.unwrap_or(UnixAddr::UNNAMED), inner.shut)
        };
        if shut & SEND_SHUTDOWN != 0 {
            return Err(Errno::EPIPE);
        }
        let mut d = Datagram::read(src, from, rights)?;
        let len = d.data.len();
        loop {
            let refused = {
                let mut t = target.inner.lock();
                if t.shut & RCV_SHUTDOWN != 0 {
                    return Err(Errno::EPIPE);
                }
                let from_peer = t.peer.as_ref().is_some_and(|p| p.ptr_eq(&self.me));
                match t.inbox.push(d, from_peer) {
                    Ok(()) => None,
                    Err((Errno::EAGAIN, back)) => {
                        if !t.blocked.contains(&self.key) && t.blocked.try_reserve(1).is_ok() {
                            t.blocked.push(self.key);
                        }
                        Some((from_peer, back))
                    }
                    Err((e, back)) => {
                        drop(t);
                        drop(back);
                        return Err(e);
                    }
                }
            };
            match refused {
                None => {
                    wake(target.key);
                    return Ok(len);
                }
                Some((_, back)) if nonblock => {
                    drop(back);
                    return Err(Errno::EAGAIN);
                }
                Some((from_peer, back)) => {
                    d = back;
                    wait(self.key, || !target.inner.lock().inbox.is_full_for(len, from_peer))?;
                }
            }
        }
    }

    /// Receives into `dst`: the bytes, a record's or datagram's full
    /// length, the descriptors that came with them, and the sender's name
    /// (None when it has none: recvfrom then reports length 0).
    pub fn recv(&self, dst: &mut dyn WriteBuf, peek: bool, nonblock: bool) -> Result<Received, Errno> {
        loop {
            match self.try_recv(dst, peek) {
                Err(Errno::EAGAIN) if !nonblock => {
                    wait(self.key, || self.poll().intersects(PollEvents::IN | PollEvents::ERR | PollEvents::HUP))?
                }
                r => return r,
            }
        }
    }

    fn try_recv(&self, dst: &mut dyn WriteBuf, peek: bool) -> Result<Received, Errno> {
        if self.kind == Kind::Dgram {
            return self.recv_datagram(dst, peek);
        }
        let (link, side, peer_name) = self.link().ok_or(Errno::EINVAL)?;
        let r = link.pair.lock().recv(side, dst, peek)?;
        if r.len > 0 && !peek {
            link.wake_both();
        }
        let from = (!peer_name.is_empty()).then_some(peer_name);
        Ok(Received { len: r.len, full_len: r.full_len, rights: r.rights, from })
    }

    fn recv_datagram(&self, dst: &mut dyn WriteBuf, peek: bool) -> Result<Received, Errno> {
        let mut inner = self.inner.lock();
        if peek {
            let Some(d) = inner.inbox.front() else {
                return if inner.shut & RCV_SHUTDOWN != 0 { Ok(Received::default()) } else { Err(Errno::EAGAIN) };
            };
            let len = dst.write(&d.data)?;
            let r = Received {
                len,
                full_len: d.data.len(),
                rights: d.rights.clone(),
                from: (!d.from.is_empty()).then_some(d.from),
            };
            return Ok(r);
        }
        let Some(d) = inner.inbox.pop() else {
            return if inner.shut & RCV_SHUTDOWN != 0 { Ok(Received::default()) } else { Err(Errno::EAGAIN) };
        };
        let blocked = core::mem::take(&mut inner.blocked);
        drop(inner);
        for k in blocked {
            wake(k);
        }
        // Taken off the queue first: a fault in the copy loses the
        // datagram, as on Linux.
        let len = dst.write(&d.data)?;
        Ok(Received { len, full_len: d.data.len(), rights: d.rights, from: (!d.from.is_empty()).then_some(d.from) })
    }

    /// shutdown(2): `how` is SHUT_RD, SHUT_WR or SHUT_RDWR (checked).
    pub fn shutdown(&self, how: i32) {
        let mode = (how + 1) as u8 & SHUTDOWN_MASK;
        match self.link() {
            Some((link, side, _)) => {
                link.pair.lock().shutdown(side, mode);
                link.wake_both();
            }
            None => {
                self.inner.lock().shut |= mode;
                wake(self.key);
            }
        }
    }

    /// FIONREAD: bytes queued (stream), the next message's size (datagram).
    pub fn pending(&self) -> usize {
        if let Some((link, side, _)) = self.link() {
            return link.pair.lock().pending(side);
        }
        self.inner.lock().inbox.next_len()
    }
}

/// What [`UnixSocket::recv`] got.
#[derive(Default)]
pub struct Received {
    pub len: usize,
    pub full_len: usize,
    pub rights: Option<Rights>,
    pub from: Option<UnixAddr>,
}

/// Sleeps on `key` until `ready` (EINTR on a signal, restartable).
fn wait(key: u64, ready: impl FnMut() -> bool) -> Result<(), Errno> {
    crate::sched::wait_until(&[key], None, ready).map_err(|_| crate::sched::restartable_eintr())
}

impl Inode for UnixSocket {
    crate::net::sockfs::socket_inode_identity!();

    fn read_at(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        let r = self.try_recv(buf, false)?;
        // read(2) has nowhere to put descriptors: they are closed.
        drop(r.rights);
        Ok(r.len)
    }

    fn write_at(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        self.send(buf, None, None, true)
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        match cmd {
            FIONREAD => {
                let n = i32::try_from(self.pending()).unwrap_or(i32::MAX);
                if !crate::arch::uaccess::copy_to_user(arg as u64, &n.to_ne_bytes()) {
                    return Err(Errno::EFAULT);
                }
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self) -> PollEvents {
        let inner = self.inner.lock();
        match &inner.state {
            State::Connected { link, side, .. } => link.pair.lock().poll(*side),
            // A listener is readable with a connection to accept, never writable.
            State::Listening(b) => {
                if b.is_empty() {
                    PollEvents::empty()
                } else {
                    PollEvents::READABLE
                }
            }
            // Not connected: a stream socket is hung up (and writable, as
            // Linux says, so a writer learns ENOTCONN).
            State::Idle if self.kind.connected() => {
                let mut ev = PollEvents::HUP | PollEvents::WRITABLE | PollEvents::WRBAND;
                if inner.shut & RCV_SHUTDOWN != 0 {
                    ev |= PollEvents::READABLE | PollEvents::from_bits(ringo_uapi::events::EPOLLRDHUP);
                }
                ev
            }
            State::Idle => {
                let mut ev = PollEvents::empty();
                if inner.shut & RCV_SHUTDOWN != 0 {
                    ev |= PollEvents::READABLE | PollEvents::from_bits(ringo_uapi::events::EPOLLRDHUP);
                }
                if inner.shut == SHUTDOWN_MASK {
                    ev |= PollEvents::HUP;
                }
                if !inner.inbox.is_empty() {
                    ev |= PollEvents::READABLE;
                }
                let peer = inner.peer.as_ref().and_then(Weak::upgrade);
                drop(inner);
                // Not writable while the connected peer's queue is full
                // for us; it wakes this key when it drains.
                let full = peer.is_some_and(|p| {
                    let mut pi = p.inner.lock();
                    let ours = pi.peer.as_ref().is_some_and(|q| q.ptr_eq(&self.me));
                    let full = !ours && pi.inbox.is_full_for(0, false);
                    if full && !pi.blocked.contains(&self.key) && pi.blocked.try_reserve(1).is_ok() {
                        pi.blocked.push(self.key);
                    }
                    full
                });
                if !full {
                    ev |= PollEvents::WRITABLE | PollEvents::WRBAND;
                }
                ev
            }
        }
    }

    fn wait_key(&self) -> Option<u64> {
        Some(self.key)
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        match inner.binding.take() {
            Some(Binding::Path(id)) => drop(PATHS.lock().unbind(&id)),
            Some(Binding::Abstract(name)) => drop(ABSTRACT.lock().unbind(&name)),
            None => {}
        }
        let embryo = !self.accepted.load(Ordering::Relaxed);
        match core::mem::replace(&mut inner.state, State::Idle) {
            State::Connected { link, side, .. } => {
                let left = link.pair.lock().close(side, embryo);
                link.wake_both();
                drop(left);
            }
            // Connections never accepted are dropped (their Drop resets them).
            State::Listening(mut b) => drop(b.take_all()),
            State::Idle => {}
        }
        let left = inner.inbox.take_all();
        for k in core::mem::take(&mut inner.blocked) {
            wake(k);
        }
        drop(left);
    }
}

/// The open files behind the descriptors an SCM_RIGHTS message names
/// (EBADF for one that is not open).
pub fn rights_from_fds(fds: &[i32]) -> Result<Rights, Errno> {
    let p = crate::process::current();
    let table = p.files.lock();
    let mut out = Vec::new();
    out.try_reserve_exact(fds.len()).map_err(|_| Errno::ENOMEM)?;
    for &fd in fds {
        out.push(table.table.get(fd).map_err(|_| Errno::EBADF)?);
    }
    Ok(out)
}

/// Installs received files as new descriptors, at most `max` of them (the
/// rest are closed, as Linux does when the control buffer is short).
/// Returns the descriptors made; stops early when the table is full.
pub fn install_rights(rights: Rights, max: usize, cloexec: bool) -> Vec<i32> {
    let p = crate::process::current();
    let mut fds = Vec::new();
    let mut rest = rights.into_iter();
    if fds.try_reserve_exact(rest.len().min(max)).is_ok() {
        let mut files = p.files.lock();
        for f in rest.by_ref().take(max) {
            match files.table.insert(f, cloexec) {
                Ok(fd) => fds.push(fd),
                Err(_) => break,
            }
        }
    }
    // Closed only now, with the table unlocked: a file may be a socket
    // whose last close does work of its own.
    drop(rest);
    fds
}
