//! Socket system calls: AF_INET stream and datagram sockets over
//! [`crate::net::socket`]. Addresses are checked and copied at the
//! boundary; a call that must wait sleeps on the socket's key, checking
//! its user ranges first, and is interrupted by signals with SA_RESTART
//! semantics.

use alloc::sync::Arc;
use core::net::Ipv4Addr;
use core::sync::atomic::Ordering;

use ringo_fs::fdtable::OpenFile;
use ringo_fs::readiness::PollEvents;
use ringo_fs::vfs::{Inode, OpenFlags};
use ringo_uapi::fs::{O_NONBLOCK, O_RDWR};
use ringo_uapi::net::*;
use ringo_uapi::{Errno, SysResult};

use super::{Fd, UserAddr, file, install};
use crate::files::{UserDst, UserSrc};
use crate::net::socket::{Proto, Socket};

mod unix;

/// Linux's bounds for socket(2): families, types, inet protocols.
const NPROTO: i32 = 46;
const SOCK_MAX: u32 = 11;
const IPPROTO_MAX: i32 = 263;

/// The socket behind `fd`: ENOTSOCK for other files.
fn socket_of(fd: Fd) -> Result<(Arc<OpenFile>, Arc<Socket>), Errno> {
    let f = file(fd)?;
    let s = Socket::of(f.inode()).ok_or(Errno::ENOTSOCK)?;
    Ok((f, s))
}

/// Waits while `op` says EAGAIN on a blocking socket, for `want` (or an
/// error or hang-up) on the socket's key.
fn blocking<T>(
    f: &OpenFile,
    s: &Socket,
    nonblock: bool,
    want: PollEvents,
    mut op: impl FnMut() -> Result<T, Errno>,
) -> Result<T, Errno> {
    // SO_RCVTIMEO / SO_SNDTIMEO: the whole call waits at most that long,
    // then says EAGAIN as Linux does.
    let o = s.options();
    let timeout = if want.contains(PollEvents::OUT) { o.sndtimeo_ns } else { o.rcvtimeo_ns };
    let deadline = (timeout > 0).then(|| crate::time::monotonic_ns().saturating_add(timeout));
    let mut retry: Option<crate::sched::Retry> = None;
    loop {
        match op() {
            Err(Errno::EAGAIN) if !nonblock && !f.flags().nonblock() => {
                let Some(key) = s.wait_key() else { return Err(Errno::EAGAIN) };
                let retry = retry.get_or_insert_with(|| crate::sched::Retry::new(key));
                let ready = || s.poll().intersects(want | PollEvents::ERR | PollEvents::HUP);
                match retry.wait(deadline, ready) {
                    Ok(()) => {}
                    Err(crate::sched::Interrupted::Timeout) => return Err(Errno::EAGAIN),
                    // A socket with a timeout is not restarted (signal(7)).
                    Err(crate::sched::Interrupted::Signal) if deadline.is_some() => return Err(Errno::EINTR),
                    Err(crate::sched::Interrupted::Signal) => return Err(crate::sched::restartable_eintr()),
                }
            }
            r => return r,
        }
    }
}

/// The longest address a call copies in (Linux's sockaddr_storage).
const SOCKADDR_MAX: usize = 128;

/// Copies a user `sockaddr` of `len` bytes in, as Linux's
/// move_addr_to_kernel: a length past [`SOCKADDR_MAX`] is EINVAL before
/// the copy, a bad pointer EFAULT; nothing is copied for 0.
fn copy_addr(addr: UserAddr, len: u32) -> Result<[u8; SOCKADDR_MAX], Errno> {
    let mut b = [0u8; SOCKADDR_MAX];
    if len as usize > SOCKADDR_MAX {
        return Err(Errno::EINVAL);
    }
    addr.read_bytes(&mut b[..len as usize])?;
    Ok(b)
}

/// A user `sockaddr` of `len` bytes as an IPv4 address and port: copied,
/// then its length and family judged as inet's bind and connect do.
fn read_addr(addr: UserAddr, len: u32) -> Result<(Ipv4Addr, u16), Errno> {
    let b = copy_addr(addr, len)?;
    if (len as usize) < SockaddrIn::SIZE {
        return Err(Errno::EINVAL);
    }
    if u16::from_ne_bytes([b[0], b[1]]) != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    let sa = SockaddrIn::from_bytes(&b[..SockaddrIn::SIZE]).ok_or(Errno::EINVAL)?;
    Ok((sa.addr(), sa.port()))
}

/// Writes an address to a user `sockaddr` whose room is in `*lenptr`, and
/// the full length back to `*lenptr`, as Linux's move_addr_to_user does
/// (truncating; no room, nothing written but the length).
fn write_addr(addr: UserAddr, lenptr: UserAddr, value: (Ipv4Addr, u16)) -> Result<(), Errno> {
    let room: u32 = lenptr.read()?;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let bytes = SockaddrIn::new(value.0, value.1).to_bytes();
    let n = (room as usize).min(bytes.len());
    if n > 0 {
        addr.write_bytes(&bytes[..n])?;
    }
    lenptr.write(&(SockaddrIn::SIZE as u32))
}

pub fn socket(domain: i32, ty: u32, protocol: i32) -> SysResult {
    let kind = ty & SOCK_TYPE_MASK;
    if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    // Linux's order: the family's range, the type's, then inet's protocol range.
    if !(0..NPROTO).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if kind >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    if domain as u16 == AF_UNIX {
        return unix::socket(ty, protocol);
    }
    let node = match (domain as u16, kind) {
        (AF_INET, _) if !(0..IPPROTO_MAX).contains(&protocol) => return Err(Errno::EINVAL),
        (AF_INET, SOCK_STREAM) if protocol == 0 || protocol == IPPROTO_TCP => Socket::tcp(),
        (AF_INET, SOCK_DGRAM) if protocol == 0 || protocol == IPPROTO_UDP => Socket::udp(),
        (AF_INET, SOCK_STREAM | SOCK_DGRAM) => return Err(Errno::EPROTONOSUPPORT),
        (AF_INET, _) => return Err(Errno::ESOCKTNOSUPPORT),
        // IPv6 and AF_UNIX are not there yet: Go falls back to IPv4.
        _ => return Err(Errno::EAFNOSUPPORT),
    };
    let flags = O_RDWR | if ty & SOCK_NONBLOCK != 0 { O_NONBLOCK } else { 0 };
    let f = OpenFile::new(node, OpenFlags(flags), alloc::vec::Vec::from(&b"socket:"[..]))?;
    install(f, ty & SOCK_CLOEXEC != 0)
}

pub fn socketpair(domain: i32, _ty: u32, _protocol: i32, sv: UserAddr) -> SysResult {
    if domain as u16 == AF_UNIX {
        return unix::socketpair(_ty, _protocol, sv);
    }
    if sv.is_null() {
        return Err(Errno::EFAULT);
    }
    // AF_UNIX is not there yet.
    let _ = domain;
    Err(Errno::EAFNOSUPPORT)
}

pub fn bind(fd: Fd, addr: UserAddr, len: u32) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::bind(&u, addr, len);
    }
    let (_, s) = socket_of(fd)?;
    let (ip, port) = read_addr(addr, len)?;
    match &s.proto {
        Proto::Tcp(t) => t.bind(&s, ip, port)?,
        Proto::Udp(u) => u.bind(&s, ip, port)?,
    }
    Ok(0)
}

pub fn listen(fd: Fd, backlog: i32) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::listen(&u, backlog);
    }
    let (_, s) = socket_of(fd)?;
    match &s.proto {
        // As Linux: a negative backlog is taken unsigned, so the most.
        Proto::Tcp(t) => t.listen(&s, (backlog as u32).min(SOMAXCONN) as i32)?,
        Proto::Udp(_) => return Err(Errno::EOPNOTSUPP),
    }
    Ok(0)
}

pub fn accept4(fd: Fd, addr: UserAddr, lenptr: UserAddr, flags: u32) -> SysResult {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if let Some((f, u)) = unix::of(fd)? {
        return unix::accept4(&f, &u, addr, lenptr, flags);
    }
    let (f, s) = socket_of(fd)?;
    let Proto::Tcp(t) = &s.proto else { return Err(Errno::EOPNOTSUPP) };
    if !t.is_listening() {
        return Err(Errno::EINVAL);
    }
    // The address is written after the wait: check where it goes first.
    if !addr.is_null() {
        let _: u32 = lenptr.read()?;
    }
    let new = blocking(&f, &s, false, PollEvents::IN, || t.accept(&s))?;
    let peer = new.peer();
    let oflags = O_RDWR | if flags & SOCK_NONBLOCK != 0 { O_NONBLOCK } else { 0 };
    let nf = OpenFile::new(new, OpenFlags(oflags), alloc::vec::Vec::from(&b"socket:"[..]))?;
    if let Some(p) = peer
        && !addr.is_null()
    {
        write_addr(addr, lenptr, p)?;
    }
    install(nf, flags & SOCK_CLOEXEC != 0)
}

pub fn accept(fd: Fd, addr: UserAddr, lenptr: UserAddr) -> SysResult {
    accept4(fd, addr, lenptr, 0)
}

pub fn connect(fd: Fd, addr: UserAddr, len: u32) -> SysResult {
    if let Some((f, u)) = unix::of(fd)? {
        return unix::connect(&f, &u, addr, len);
    }
    let (f, s) = socket_of(fd)?;
    let (ip, port) = read_addr(addr, len)?;
    match &s.proto {
        Proto::Udp(u) => u.connect(&s, ip, port).map(|()| 0),
        Proto::Tcp(t) => match t.connect(&s, ip, port) {
            Err(Errno::EINPROGRESS) if !f.flags().nonblock() => {
                let key = s.key;
                let ready = || s.poll().intersects(PollEvents::OUT | PollEvents::ERR | PollEvents::HUP);
                if crate::sched::wait_until(&[key], None, ready).is_err() {
                    return Err(Errno::EINTR);
                }
                match s.take_error() {
                    0 if s.poll().contains(PollEvents::OUT) => Ok(0),
                    0 => Err(Errno::ECONNREFUSED),
                    e => Err(Errno::from_code(e as i32).unwrap_or(Errno::ECONNREFUSED)),
                }
            }
            r => r.map(|()| 0),
        },
    }
}

pub fn getsockname(fd: Fd, addr: UserAddr, lenptr: UserAddr) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::getsockname(&u, addr, lenptr);
    }
    let (_, s) = socket_of(fd)?;
    write_addr(addr, lenptr, s.local().unwrap_or((Ipv4Addr::UNSPECIFIED, 0)))?;
    Ok(0)
}

pub fn getpeername(fd: Fd, addr: UserAddr, lenptr: UserAddr) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::getpeername(&u, addr, lenptr);
    }
    let (_, s) = socket_of(fd)?;
    // ENOTCONN before the pointers are looked at, as Linux.
    let peer = s.peer().ok_or(Errno::ENOTCONN)?;
    write_addr(addr, lenptr, peer)?;
    Ok(0)
}

pub fn sendto(fd: Fd, buf: UserAddr, len: usize, flags: u32, addr: UserAddr, alen: u32) -> SysResult {
    if let Some((f, u)) = unix::of(fd)? {
        return unix::sendto(&f, &u, buf, len, flags, addr, alen);
    }
    let (f, s) = socket_of(fd)?;
    // TCP copies the address in and ignores it; UDP judges it.
    let to = match &s.proto {
        _ if addr.is_null() => None,
        Proto::Tcp(_) => copy_addr(addr, alen).map(|_| None)?,
        Proto::Udp(_) => Some(read_addr(addr, alen)?),
    };
    let nonblock = flags & MSG_DONTWAIT != 0;
    let len = len.min(super::fs::MAX_RW);
    // Checked before any wait; a fresh copy per attempt.
    let src = UserSrc::new(buf, len)?;
    let r = match &s.proto {
        Proto::Udp(u) => blocking(&f, &s, nonblock, PollEvents::OUT, || u.send(&s, &mut { src }, to)),
        Proto::Tcp(_) => blocking(&f, &s, nonblock, PollEvents::OUT, || f.write(&mut { src })),
    };
    if r == Err(Errno::EPIPE) && flags & MSG_NOSIGNAL == 0 {
        crate::signals::sigpipe(&crate::process::current());
    }
    r
}

pub fn recvfrom(fd: Fd, buf: UserAddr, len: usize, flags: u32, addr: UserAddr, lenptr: UserAddr) -> SysResult {
    if let Some((f, u)) = unix::of(fd)? {
        return unix::recvfrom(&f, &u, buf, len, flags, addr, lenptr);
    }
    let (f, s) = socket_of(fd)?;
    if !addr.is_null() {
        let _: u32 = lenptr.read()?;
    }
    let nonblock = flags & MSG_DONTWAIT != 0;
    let peek = flags & MSG_PEEK != 0;
    let len = len.min(super::fs::MAX_RW);
    let dst = UserDst::new(buf, len)?;
    match &s.proto {
        Proto::Udp(u) => {
            let (n, from) = blocking(&f, &s, nonblock, PollEvents::IN, || u.recv(&s, &mut { dst }, peek))?;
            if !addr.is_null() {
                write_addr(addr, lenptr, from)?;
            }
            Ok(n)
        }
        Proto::Tcp(t) => blocking(&f, &s, nonblock, PollEvents::IN, || t.recv(&s, &mut { dst }, peek)),
    }
}

/// sendmsg/recvmsg move one iovec at a time; ancillary data is not
/// supported on AF_INET (controllen is answered with 0).
fn iovecs(msg: &Msghdr) -> Result<alloc::vec::Vec<(u64, usize)>, Errno> {
    if msg.iovlen > 1024 {
        return Err(Errno::EMSGSIZE);
    }
    let mut v = alloc::vec::Vec::new();
    for i in 0..msg.iovlen {
        let at = UserAddr(msg.iov).offset(i * 16);
        let base: u64 = at.read()?;
        let len: u64 = at.offset(8).read()?;
        v.push((base, len as usize));
    }
    Ok(v)
}

/// A message's name length as Linux's copy_msghdr_from_user takes it:
/// 0 without a name, negative EINVAL, clamped to [`SOCKADDR_MAX`].
fn name_len(m: &Msghdr) -> Result<u32, Errno> {
    match m.namelen as i32 {
        _ if m.name == 0 => Ok(0),
        n if n < 0 => Err(Errno::EINVAL),
        n => Ok((n as u32).min(SOCKADDR_MAX as u32)),
    }
}

pub fn sendmsg(fd: Fd, msg: UserAddr, flags: u32) -> SysResult {
    if let Some((f, u)) = unix::of(fd)? {
        return unix::sendmsg(&f, &u, msg, flags);
    }
    socket_of(fd)?;
    let m: Msghdr = msg.read()?;
    let namelen = name_len(&m)?;
    let mut total = 0usize;
    for (base, len) in iovecs(&m)? {
        if len == 0 {
            continue;
        }
        match sendto(fd, UserAddr(base), len, flags, UserAddr(m.name), namelen) {
            Ok(n) => {
                total += n;
                if n < len {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total)
}

pub fn recvmsg(fd: Fd, msg: UserAddr, flags: u32) -> SysResult {
    if let Some((f, u)) = unix::of(fd)? {
        return unix::recvmsg(&f, &u, msg, flags);
    }
    let (f, s) = socket_of(fd)?;
    let mut m: Msghdr = msg.read()?;
    let vecs = iovecs(&m)?;
    let mut total = 0usize;
    let nonblock = flags & MSG_DONTWAIT != 0;
    let peek = flags & MSG_PEEK != 0;
    if let Some(&(base, len)) = vecs.iter().find(|(_, l)| *l > 0) {
        let dst = UserDst::new(UserAddr(base), len)?;
        match &s.proto {
            Proto::Udp(u) => {
                let (n, from) = blocking(&f, &s, nonblock, PollEvents::IN, || u.recv(&s, &mut { dst }, peek))?;
                total = n;
                if m.name != 0 {
                    let bytes = SockaddrIn::new(from.0, from.1).to_bytes();
                    let room = (m.namelen as usize).min(bytes.len());
                    UserAddr(m.name).write_bytes(&bytes[..room])?;
                    m.namelen = SockaddrIn::SIZE as u32;
                }
            }
            Proto::Tcp(t) => {
                total = blocking(&f, &s, nonblock, PollEvents::IN, || t.recv(&s, &mut { dst }, peek))?;
            }
        }
    }
    m.controllen = 0;
    m.flags = 0;
    msg.write(&m)?;
    Ok(total)
}

pub fn shutdown(fd: Fd, how: i32) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::shutdown(&u, how);
    }
    let (_, s) = socket_of(fd)?;
    if !(SHUT_RD..=SHUT_RDWR).contains(&how) {
        return Err(Errno::EINVAL);
    }
    match &s.proto {
        Proto::Tcp(t) => t.shutdown(how)?,
        Proto::Udp(_) if s.peer().is_none() => return Err(Errno::ENOTCONN),
        Proto::Udp(_) => {}
    }
    if how != SHUT_WR {
        s.shut_rd.store(true, Ordering::Relaxed);
    }
    Ok(0)
}

fn read_int(val: UserAddr, len: u32) -> Result<i32, Errno> {
    if (len as usize) < 4 {
        return Err(Errno::EINVAL);
    }
    val.read()
}

/// An IP-level option: an int, or a single byte (none: 0), as Linux's
/// do_ip_setsockopt takes them.
fn read_ip_int(val: UserAddr, len: u32) -> Result<i32, Errno> {
    match len {
        0 => Ok(0),
        1..=3 => val.read::<u8>().map(i32::from),
        _ => val.read(),
    }
}

pub fn setsockopt(fd: Fd, level: i32, name: i32, val: UserAddr, len: u32) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::setsockopt(&u, level, name, val, len);
    }
    let (_, s) = socket_of(fd)?;
    if (len as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    match (level, name) {
        (SOL_SOCKET, SO_LINGER) => {
            if (len as usize) < 8 {
                return Err(Errno::EINVAL);
            }
            let l: [i32; 2] = val.read()?;
            s.set_options(|o| o.linger = (l[0], l[1]));
        }
        (SOL_SOCKET, SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD) => {
            if (len as usize) < 16 {
                return Err(Errno::EINVAL);
            }
            let tv: [i64; 2] = val.read()?;
            if tv[1] < 0 || tv[1] >= 1_000_000 {
                return Err(Errno::EDOM);
            }
            let ns = (tv[0].max(0) as u64).saturating_mul(1_000_000_000).saturating_add(tv[1] as u64 * 1000);
            s.set_options(|o| if name == SO_RCVTIMEO_OLD { o.rcvtimeo_ns = ns } else { o.sndtimeo_ns = ns });
        }
        (SOL_SOCKET, _) => {
            let v = read_int(val, len)?;
            let on = v != 0;
            match name {
                SO_REUSEADDR => s.set_options(|o| o.reuse_addr = on),
                SO_REUSEPORT => s.set_options(|o| o.reuse_port = on),
                SO_KEEPALIVE => s.set_options(|o| o.keepalive = on),
                SO_BROADCAST => s.set_options(|o| o.broadcast = on),
                SO_RCVBUF => s.set_options(|o| o.rcvbuf = v.max(0) as u32),
                SO_SNDBUF => s.set_options(|o| o.sndbuf = v.max(0) as u32),
                SO_DEBUG | SO_DONTROUTE | SO_OOBINLINE | SO_RCVLOWAT | SO_SNDLOWAT => {}
                _ => return Err(Errno::ENOPROTOOPT),
            }
        }
        (IPPROTO_TCP, _) => {
            if !matches!(s.proto, Proto::Tcp(_)) {
                return Err(Errno::ENOPROTOOPT);
            }
            let v = read_int(val, len)?;
            match name {
                TCP_NODELAY => s.set_options(|o| o.nodelay = v != 0),
                TCP_CORK => s.set_options(|o| o.cork = v != 0),
                TCP_KEEPIDLE | TCP_KEEPINTVL | TCP_KEEPCNT if !(1..=32767).contains(&v) => return Err(Errno::EINVAL),
                TCP_KEEPIDLE => s.set_options(|o| o.keepidle = v as u32),
                TCP_KEEPINTVL => s.set_options(|o| o.keepintvl = v as u32),
                TCP_KEEPCNT => s.set_options(|o| o.keepcnt = v as u32),
                TCP_DEFER_ACCEPT | TCP_QUICKACK | TCP_USER_TIMEOUT | TCP_FASTOPEN | TCP_MAXSEG => {}
                _ => return Err(Errno::ENOPROTOOPT),
            }
        }
        (IPPROTO_IP, IP_TOS) => {
            let v = read_ip_int(val, len)?;
            s.set_options(|o| o.tos = v as u32 & 0xff);
        }
        (IPPROTO_IP, IP_TTL) => {
            read_ip_int(val, len)?;
        }
        (IPPROTO_IPV6, _) => return Err(Errno::ENOPROTOOPT),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

pub fn getsockopt(fd: Fd, level: i32, name: i32, val: UserAddr, lenptr: UserAddr) -> SysResult {
    if let Some((_, u)) = unix::of(fd)? {
        return unix::getsockopt(&u, level, name, val, lenptr);
    }
    let (_, s) = socket_of(fd)?;
    let room: u32 = lenptr.read()?;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let o = s.options();
    let tcp = matches!(s.proto, Proto::Tcp(_));
    // A level the protocol does not know goes to IP, which says EOPNOTSUPP.
    let own = if tcp { IPPROTO_TCP } else { IPPROTO_UDP };
    if level != SOL_SOCKET && level != IPPROTO_IP && level != own {
        return Err(Errno::EOPNOTSUPP);
    }
    let int: i32 = match (level, name) {
        (SOL_SOCKET, SO_TYPE) => (if tcp { SOCK_STREAM } else { SOCK_DGRAM }) as i32,
        (SOL_SOCKET, SO_ERROR) => s.take_error() as i32,
        (SOL_SOCKET, SO_REUSEADDR) => o.reuse_addr as i32,
        (SOL_SOCKET, SO_REUSEPORT) => o.reuse_port as i32,
        (SOL_SOCKET, SO_KEEPALIVE) => o.keepalive as i32,
        (SOL_SOCKET, SO_BROADCAST) => o.broadcast as i32,
        (SOL_SOCKET, SO_ACCEPTCONN) => matches!(&s.proto, Proto::Tcp(t) if t.is_listening()) as i32,
        (SOL_SOCKET, SO_DOMAIN) => AF_INET as i32,
        (SOL_SOCKET, SO_PROTOCOL) => {
            if tcp {
                IPPROTO_TCP
            } else {
                IPPROTO_UDP
            }
        }
        // What the buffers really hold (Linux reports double the set value).
        (SOL_SOCKET, SO_RCVBUF) => crate::net::stack::TCP_RX_BUFFER as i32,
        (SOL_SOCKET, SO_SNDBUF) => crate::net::stack::TCP_TX_BUFFER as i32,
        (IPPROTO_TCP, TCP_NODELAY) if tcp => o.nodelay as i32,
        (IPPROTO_TCP, TCP_CORK) if tcp => o.cork as i32,
        (IPPROTO_TCP, TCP_KEEPIDLE) if tcp => {
            if o.keepidle == 0 {
                7200
            } else {
                o.keepidle as i32
            }
        }
        (IPPROTO_TCP, TCP_KEEPINTVL) if tcp => {
            if o.keepintvl == 0 {
                75
            } else {
                o.keepintvl as i32
            }
        }
        (IPPROTO_TCP, TCP_KEEPCNT) if tcp => {
            if o.keepcnt == 0 {
                9
            } else {
                o.keepcnt as i32
            }
        }
        (IPPROTO_TCP, TCP_MAXSEG) if tcp => 1460,
        (IPPROTO_IP, IP_TOS) => o.tos as i32,
        (IPPROTO_IP, IP_TTL) => 64,
        (SOL_SOCKET, SO_LINGER) => {
            let bytes = [o.linger.0.to_ne_bytes(), o.linger.1.to_ne_bytes()].concat();
            let n = (room as usize).min(8);
            val.write_bytes(&bytes[..n])?;
            lenptr.write(&(n as u32))?;
            return Ok(0);
        }
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let n = (room as usize).min(4);
    if n > 0 {
        val.write_bytes(&int.to_ne_bytes()[..n])?;
    }
    lenptr.write(&(n as u32))?;
    Ok(0)
}

/// The socket ioctls (FIONREAD; FIONBIO is the generic one).
pub fn ioctl(node: &Arc<dyn Inode>, cmd: u32, arg: UserAddr) -> Option<SysResult> {
    let s = Socket::of(node)?;
    Some(match cmd {
        ringo_uapi::tty::FIONREAD => arg.write(&(s.pending() as i32)).map(|()| 0),
        _ => {
            let read = |at: u64, out: &mut [u8]| UserAddr(at).read_bytes(out);
            let write = |at: u64, data: &[u8]| UserAddr(at).write_bytes(data);
            return crate::net::ifreq::ioctl(cmd, &read, &write, arg.0);
        }
    })
}

/// Most messages one sendmmsg/recvmmsg moves (Linux's UIO_MAXIOV).
const MMSG_MAX: u32 = 1024;
const MMSGHDR_SIZE: u64 = core::mem::size_of::<Mmsghdr>() as u64;

/// Each message through sendmsg; the count sent, or the first error if
/// none was.
pub fn sendmmsg(fd: Fd, msgvec: UserAddr, vlen: u32, flags: u32) -> SysResult {
    socket_of(fd)?;
    let mut sent = 0usize;
    for i in 0..vlen.min(MMSG_MAX) as u64 {
        let at = msgvec.offset(i * MMSGHDR_SIZE);
        match sendmsg(fd, at, flags) {
            Ok(n) => {
                at.offset(core::mem::offset_of!(Mmsghdr, len) as u64).write(&(n as u32))?;
                sent += 1;
            }
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(sent)
}

/// Each message through recvmsg; after the first, MSG_WAITFORONE turns
/// the rest non-blocking. The timeout is read (EFAULT/EINVAL as Linux) but,
/// as Linux documents, only checked between messages: here a blocking call
/// waits for the first only.
pub fn recvmmsg(fd: Fd, msgvec: UserAddr, vlen: u32, flags: u32, timeout: UserAddr) -> SysResult {
    socket_of(fd)?;
    if !timeout.is_null() {
        let ts: [i64; 2] = timeout.read()?;
        if ts[0] < 0 || !(0..1_000_000_000).contains(&ts[1]) {
            return Err(Errno::EINVAL);
        }
    }
    let mut got = 0usize;
    for i in 0..vlen.min(MMSG_MAX) as u64 {
        let at = msgvec.offset(i * MMSGHDR_SIZE);
        let f = if got > 0 && flags & MSG_WAITFORONE != 0 { flags | MSG_DONTWAIT } else { flags };
        match recvmsg(fd, at, f & !MSG_WAITFORONE) {
            Ok(n) => {
                at.offset(core::mem::offset_of!(Mmsghdr, len) as u64).write(&(n as u32))?;
                got += 1;
            }
            Err(e) if got == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(got)
}
