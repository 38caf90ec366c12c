//! The AF_UNIX side of the socket calls: the branches `super` takes for a
//! descriptor that is a [`UnixSocket`] or a socket(2) asking for AF_UNIX.
//! Addresses and control messages are copied in and out here, with the
//! order of checks Linux has (move_addr_to_kernel, ___sys_sendmsg); the
//! socket does the rest.

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_fs::fdtable::OpenFile;
use ringo_fs::unix::{SNDBUF, UnixAddr, cmsg};
use ringo_fs::vfs::{OpenFlags, ReadBuf, WriteBuf};
use ringo_uapi::fs::{O_NONBLOCK, O_RDWR};
use ringo_uapi::net::*;
use ringo_uapi::{Errno, SysResult};

use super::super::{Fd, UserAddr, file, install};
use crate::arch::uaccess;
use crate::net::unix::{Kind, UnixSocket, install_rights, rights_from_fds};

/// sockaddr_storage: the most of an address the kernel copies in.
const SOCKADDR_MAX: usize = 128;
/// The most control data sendmsg takes (Linux's optmem_max bounds it too).
const CONTROL_MAX: usize = 64 * 1024;

/// A descriptor's open file and the AF_UNIX socket it is.
pub type Opened = (Arc<OpenFile>, Arc<UnixSocket>);

/// The AF_UNIX socket behind `fd`, if it is one.
pub fn of(fd: Fd) -> Result<Option<Opened>, Errno> {
    let f = file(fd)?;
    Ok(UnixSocket::of(f.inode()).map(|u| (f, u)))
}

/// A user address as move_addr_to_kernel copies it: None for a null
/// pointer or a zero length, EINVAL above sockaddr_storage.
fn read_sockaddr(addr: UserAddr, len: u32) -> Result<Option<([u8; SOCKADDR_MAX], usize)>, Errno> {
    let len = len as usize;
    if len > SOCKADDR_MAX {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(None);
    }
    let mut b = [0u8; SOCKADDR_MAX];
    addr.read_bytes(&mut b[..len])?;
    Ok(Some((b, len)))
}

/// move_addr_to_user: as much of `a` as the room in `*lenptr` holds, and
/// its full length back in `*lenptr`.
fn write_sockaddr(addr: UserAddr, lenptr: UserAddr, a: Option<&UnixAddr>) -> Result<(), Errno> {
    let room: u32 = lenptr.read()?;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let bytes = a.map_or(&[][..], |a| a.as_bytes());
    let n = (room as usize).min(bytes.len());
    if n > 0 {
        addr.write_bytes(&bytes[..n])?;
    }
    lenptr.write(&(bytes.len() as u32))
}

fn open_file(s: Arc<UnixSocket>, nonblock: bool) -> Result<Arc<OpenFile>, Errno> {
    let flags = O_RDWR | if nonblock { O_NONBLOCK } else { 0 };
    OpenFile::new(s, OpenFlags(flags), Vec::from(&b"socket:"[..]))
}

fn kind(ty: u32, protocol: i32) -> Result<Kind, Errno> {
    if protocol != 0 && protocol != AF_UNIX as i32 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    match ty & SOCK_TYPE_MASK {
        SOCK_STREAM => Ok(Kind::Stream),
        // SOCK_RAW is taken as SOCK_DGRAM, as Linux does.
        SOCK_DGRAM | SOCK_RAW => Ok(Kind::Dgram),
        SOCK_SEQPACKET => Ok(Kind::Seqpacket),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// socket(AF_UNIX, ...): `ty`'s flags are already checked.
pub fn socket(ty: u32, protocol: i32) -> SysResult {
    let s = UnixSocket::new(kind(ty, protocol)?);
    install(open_file(s, ty & SOCK_NONBLOCK != 0)?, ty & SOCK_CLOEXEC != 0)
}

pub fn socketpair(ty: u32, protocol: i32, sv: UserAddr) -> SysResult {
    if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (a, b) = UnixSocket::pair(kind(ty, protocol)?);
    let nonblock = ty & SOCK_NONBLOCK != 0;
    let (fa, fb) = (open_file(a, nonblock)?, open_file(b, nonblock)?);
    let cloexec = ty & SOCK_CLOEXEC != 0;
    let p = crate::process::current();
    let (da, db) = {
        let mut files = p.files.lock();
        let da = files.table.insert(fa, cloexec)?;
        match files.table.insert(fb, cloexec) {
            Ok(db) => (da, db),
            Err(e) => {
                let undone = files.table.close(da);
                drop(files);
                drop(undone);
                return Err(e);
            }
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&da.to_ne_bytes());
    out[4..].copy_from_slice(&db.to_ne_bytes());
    if let Err(e) = sv.write_bytes(&out) {
        let undone = {
            let mut files = p.files.lock();
            (files.table.close(da), files.table.close(db))
        };
        drop(undone);
        return Err(e);
    }
    Ok(0)
}

pub fn bind(u: &UnixSocket, addr: UserAddr, len: u32) -> SysResult {
    let Some((b, n)) = read_sockaddr(addr, len)? else { return Err(Errno::EINVAL) };
    u.bind(&b[..n])?;
    Ok(0)
}

pub fn listen(u: &UnixSocket, backlog: i32) -> SysResult {
    // As __sys_listen: a negative or too large backlog is somaxconn.
    let n = if backlog < 0 || backlog as u32 > SOMAXCONN { SOMAXCONN } else { backlog as u32 };
    u.listen(n as usize)?;
    Ok(0)
}

pub fn connect(f: &OpenFile, u: &UnixSocket, addr: UserAddr, len: u32) -> SysResult {
    let Some((b, n)) = read_sockaddr(addr, len)? else { return Err(Errno::EINVAL) };
    u.connect(&b[..n], f.flags().nonblock())?;
    Ok(0)
}

pub fn accept4(f: &OpenFile, u: &UnixSocket, addr: UserAddr, lenptr: UserAddr, flags: u32) -> SysResult {
    if u.kind == Kind::Dgram {
        return Err(Errno::EOPNOTSUPP);
    }
    if !u.is_listening() {
        return Err(Errno::EINVAL);
    }
    // The address goes out after the wait: check where first.
    if !addr.is_null() {
        let _: u32 = lenptr.read()?;
    }
    let new = u.accept(f.flags().nonblock())?;
    let peer = new.peer_name().unwrap_or(UnixAddr::UNNAMED);
    let nf = open_file(new, flags & SOCK_NONBLOCK != 0)?;
    if !addr.is_null() {
        write_sockaddr(addr, lenptr, Some(&peer))?;
    }
    install(nf, flags & SOCK_CLOEXEC != 0)
}

pub fn getsockname(u: &UnixSocket, addr: UserAddr, lenptr: UserAddr) -> SysResult {
    write_sockaddr(addr, lenptr, Some(&u.local_name()))?;
    Ok(0)
}

pub fn getpeername(u: &UnixSocket, addr: UserAddr, lenptr: UserAddr) -> SysResult {
    let peer = u.peer_name()?;
    write_sockaddr(addr, lenptr, Some(&peer))?;
    Ok(0)
}

/// EPIPE on a connection raises SIGPIPE unless MSG_NOSIGNAL (datagram
/// sockets never do).
fn sent(u: &UnixSocket, r: Result<usize, Errno>, flags: u32) -> SysResult {
    if r == Err(Errno::EPIPE) && u.kind != Kind::Dgram && flags & MSG_NOSIGNAL == 0 {
        crate::signals::sigpipe(&crate::process::current());
    }
    r
}

fn nonblocking(f: &OpenFile, flags: u32) -> bool {
    flags & MSG_DONTWAIT != 0 || f.flags().nonblock()
}

pub fn sendto(
    f: &OpenFile,
    u: &UnixSocket,
    buf: UserAddr,
    len: usize,
    flags: u32,
    addr: UserAddr,
    alen: u32,
) -> SysResult {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let to = if addr.is_null() { None } else { read_sockaddr(addr, alen)? };
    let to = to.as_ref().map(|(b, n)| &b[..*n]);
    let len = len.min(super::super::fs::MAX_RW);
    let mut src = Iov::one(buf.0, len)?;
    sent(u, u.send(&mut src, to, None, nonblocking(f, flags)), flags)
}

pub fn recvfrom(
    f: &OpenFile,
    u: &UnixSocket,
    buf: UserAddr,
    len: usize,
    flags: u32,
    addr: UserAddr,
    lenptr: UserAddr,
) -> SysResult {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if !addr.is_null() {
        let _: u32 = lenptr.read()?;
    }
    let len = len.min(super::super::fs::MAX_RW);
    let mut dst = Iov::one(buf.0, len)?;
    let r = u.recv(&mut dst, flags & MSG_PEEK != 0, nonblocking(f, flags))?;
    // recvfrom has nowhere to put descriptors: they are closed.
    drop(r.rights);
    if !addr.is_null() {
        write_sockaddr(addr, lenptr, r.from.as_ref())?;
    }
    Ok(if flags & MSG_TRUNC != 0 && u.kind != Kind::Stream { r.full_len } else { r.len })
}

/// A msghdr's iovecs as one buffer (EMSGSIZE above UIO_MAXIOV, EINVAL
/// for a negative length, the total capped at MAX_RW_COUNT).
fn iov_of(m: &Msghdr) -> Result<Iov, Errno> {
    let mut segs = Vec::new();
    let mut left = 0usize;
    for (base, len) in super::iovecs(m)? {
        if (len as isize) < 0 {
            return Err(Errno::EINVAL);
        }
        let len = len.min(super::super::fs::MAX_RW - left);
        UserAddr(base).check_range(len)?;
        if len > 0 {
            segs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            segs.push((base, len));
            left += len;
        }
    }
    Ok(Iov { segs, at: 0, left })
}

pub fn sendmsg(f: &OpenFile, u: &UnixSocket, msg: UserAddr, flags: u32) -> SysResult {
    let m: Msghdr = msg.read()?;
    let mut src = iov_of(&m)?;
    if m.controllen > i32::MAX as u64 || m.controllen as usize > CONTROL_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut rights = None;
    if m.controllen > 0 {
        let mut control = Vec::new();
        control.try_reserve_exact(m.controllen as usize).map_err(|_| Errno::ENOMEM)?;
        control.resize(m.controllen as usize, 0);
        UserAddr(m.control).read_bytes(&mut control)?;
        let c = cmsg::parse(&control)?;
        if !c.rights.is_empty() {
            rights = Some(rights_from_fds(&c.rights)?);
        }
    }
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let to = if m.name == 0 { None } else { read_sockaddr(UserAddr(m.name), m.namelen)? };
    let to = to.as_ref().map(|(b, n)| &b[..*n]);
    sent(u, u.send(&mut src, to, rights, nonblocking(f, flags)), flags)
}

pub fn recvmsg(f: &OpenFile, u: &UnixSocket, msg: UserAddr, flags: u32) -> SysResult {
    let mut m: Msghdr = msg.read()?;
    let mut dst = iov_of(&m)?;
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let r = u.recv(&mut dst, flags & MSG_PEEK != 0, nonblocking(f, flags))?;
    let mut out_flags = flags & MSG_CMSG_CLOEXEC;
    if r.full_len > r.len {
        out_flags |= MSG_TRUNC;
    }
    if m.name != 0 {
        let a = r.from.as_ref().map_or(&[][..], |a| a.as_bytes());
        let n = (m.namelen as usize).min(a.len());
        if (m.namelen as i32) < 0 {
            return Err(Errno::EINVAL);
        }
        if n > 0 {
            UserAddr(m.name).write_bytes(&a[..n])?;
        }
        m.namelen = a.len() as u32;
    }
    let room = if m.control == 0 { 0 } else { m.controllen.min(i32::MAX as u64) as usize };
    let mut used = 0;
    if let Some(rights) = r.rights {
        let sent = rights.len();
        let fds = install_rights(rights, cmsg::max_fds(room), flags & MSG_CMSG_CLOEXEC != 0);
        let reply = cmsg::rights_reply(&fds, sent, room)?;
        if !reply.bytes.is_empty() {
            UserAddr(m.control).write_bytes(&reply.bytes)?;
        }
        used = reply.used;
        if reply.truncated {
            out_flags |= MSG_CTRUNC;
        }
    }
    m.controllen = used as u64;
    m.flags = out_flags;
    msg.write(&m)?;
    Ok(if flags & MSG_TRUNC != 0 && u.kind != Kind::Stream { r.full_len } else { r.len })
}

pub fn shutdown(u: &UnixSocket, how: i32) -> SysResult {
    if !(SHUT_RD..=SHUT_RDWR).contains(&how) {
        return Err(Errno::EINVAL);
    }
    u.shutdown(how);
    Ok(0)
}

pub fn setsockopt(_u: &UnixSocket, level: i32, name: i32, val: UserAddr, len: u32) -> SysResult {
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    match name {
        SO_SNDBUF | SO_RCVBUF | SO_PASSCRED | SO_REUSEADDR | SO_REUSEPORT | SO_KEEPALIVE | SO_BROADCAST | SO_DEBUG
        | SO_DONTROUTE | SO_OOBINLINE | SO_RCVLOWAT | SO_SNDLOWAT => {
            if (len as usize) < 4 {
                return Err(Errno::EINVAL);
            }
            let _: i32 = val.read()?;
            Ok(0)
        }
        SO_LINGER | SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD => {
            let need = if name == SO_LINGER { 8 } else { 16 };
            if (len as usize) < need {
                return Err(Errno::EINVAL);
            }
            Ok(0)
        }
        _ => Err(Errno::ENOPROTOOPT),
    }
}

pub fn getsockopt(u: &UnixSocket, level: i32, name: i32, val: UserAddr, lenptr: UserAddr) -> SysResult {
    let room: u32 = lenptr.read()?;
    if (room as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let int: i32 = match name {
        SO_TYPE => match u.kind {
            Kind::Stream => SOCK_STREAM as i32,
            Kind::Dgram => SOCK_DGRAM as i32,
            Kind::Seqpacket => SOCK_SEQPACKET as i32,
        },
        SO_DOMAIN => AF_UNIX as i32,
        SO_PROTOCOL | SO_ERROR | SO_PASSCRED | SO_REUSEADDR | SO_KEEPALIVE | SO_BROADCAST => 0,
        SO_ACCEPTCONN => u.is_listening() as i32,
        SO_SNDBUF | SO_RCVBUF => SNDBUF as i32,
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let n = (room as usize).min(4);
    val.write_bytes(&int.to_ne_bytes()[..n])?;
    lenptr.write(&(n as u32))?;
    Ok(0)
}

/// User memory in pieces (a msghdr's iovecs) as one source or sink.
struct Iov {
    segs: Vec<(u64, usize)>,
    at: usize,
    left: usize,
}

impl Iov {
    /// One user range (EFAULT if it is not in user space).
    fn one(addr: u64, len: usize) -> Result<Iov, Errno> {
        UserAddr(addr).check_range(len)?;
        let mut segs = Vec::new();
        if len > 0 {
            segs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            segs.push((addr, len));
        }
        Ok(Iov { segs, at: 0, left: len })
    }

    /// Moves up to `n` bytes through `copy(user address, offset in the
    /// kernel buffer, count)`; a fault after some bytes ends early.
    fn each(&mut self, n: usize, mut copy: impl FnMut(u64, usize, usize) -> bool) -> Result<usize, Errno> {
        let mut done = 0;
        while done < n && self.at < self.segs.len() {
            let (addr, len) = self.segs[self.at];
            let step = len.min(n - done);
            if !copy(addr, done, step) {
                return if done == 0 { Err(Errno::EFAULT) } else { Ok(done) };
            }
            done += step;
            self.left -= step;
            if step == len {
                self.at += 1;
            } else {
                self.segs[self.at] = (addr + step as u64, len - step);
            }
        }
        Ok(done)
    }
}

impl ReadBuf for Iov {
    fn len(&self) -> usize {
        self.left
    }

    fn read(&mut self, out: &mut [u8]) -> Result<usize, Errno> {
        let n = out.len().min(self.left);
        self.each(n, |addr, at, step| uaccess::copy_from_user(&mut out[at..at + step], addr))
    }
}

impl WriteBuf for Iov {
    fn len(&self) -> usize {
        self.left
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, Errno> {
        let n = data.len().min(self.left);
        self.each(n, |addr, at, step| uaccess::copy_to_user(addr, &data[at..at + step]))
    }
}
