//! File syscalls: thin wrappers over ringo_fs, with the process's
//! descriptors, working directory and umask.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use ringo_fs::fdtable::OpenFile;
use ringo_fs::readiness::PollEvents;
use ringo_fs::vfs::{Creation, Inode, InodeKind, OpenFlags, PathContext, RenameFlags, SetAttr, to_stat, to_statx};
use ringo_uapi::fs::*;
use ringo_uapi::{Errno, SysResult};

use super::{Fd, UserAddr, file, install};
use crate::files::{UserDst, UserSrc, with_ctx};
use crate::process::current;

/// Largest single transfer, as Linux's MAX_RW_COUNT.
pub(super) const MAX_RW: usize = 0x7fff_f000;

fn creation(mode: u32) -> Creation {
    let umask = current().umask.load(Ordering::Relaxed);
    Creation::new(mode & 0o7777 & !umask, 0, 0)
}

/// Runs `f` with the context a `*at` call names: `dirfd` for relative
/// paths (AT_FDCWD: the working directory).
fn at<R>(dirfd: Fd, path: &[u8], f: impl FnOnce(&PathContext<'_>) -> Result<R, Errno>) -> Result<R, Errno> {
    if dirfd.0 == AT_FDCWD || path.first() == Some(&b'/') {
        return with_ctx(f);
    }
    let dir = file(dirfd)?.inode().clone();
    if dir.kind() != InodeKind::Dir {
        return Err(Errno::ENOTDIR);
    }
    with_ctx(|ctx| f(&ctx.at(&dir)))
}

fn path_arg(p: UserAddr) -> Result<Vec<u8>, Errno> {
    let s = p.read_cstr(super::args::PATH_MAX)?;
    Ok(s)
}

/// Runs `op` until it does not say EAGAIN, sleeping on the file's wait key
/// in between unless the file is non-blocking (objects never sleep
/// themselves; see ringo_fs::readiness).
fn blocking<T>(f: &Arc<OpenFile>, want: PollEvents, mut op: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    // Made at the first EAGAIN: a call that proceeds at once pays nothing.
    let mut retry: Option<crate::sched::Retry> = None;
    loop {
        match op() {
            Err(Errno::EAGAIN) if !f.flags().nonblock() => {
                let Some(key) = f.wait_key() else { return Err(Errno::EAGAIN) };
                let retry = retry.get_or_insert_with(|| crate::sched::Retry::new(key));
                let ready = || f.poll().intersects(want | PollEvents::ERR | PollEvents::HUP);
                if retry.wait(None, ready).is_err() {
                    return Err(crate::sched::restartable_eintr());
                }
            }
            r => return r,
        }
    }
}

fn read_file(f: &Arc<OpenFile>, dst: UserDst) -> SysResult {
    blocking(f, PollEvents::IN, || f.read(&mut dst.clone()))
}

/// Writes all of a blocking write (a pipe may take it in pieces); EPIPE
/// also raises SIGPIPE.
fn write_file(f: &Arc<OpenFile>, src: UserSrc) -> SysResult {
    let len = ringo_fs::vfs::ReadBuf::len(&src);
    let mut total = 0;
    loop {
        // A fresh source per attempt: an object that read the bytes and
        // then said EAGAIN (eventfd) must see them again on the retry.
        let rest = src.skip(total);
        match blocking(f, PollEvents::OUT, || f.write(&mut rest.clone())) {
            Ok(n) => {
                total += n;
                // Count what the file took, not what it read from the
                // buffer (/dev/null never reads it).
                if total >= len || n == 0 || f.flags().nonblock() {
                    return Ok(total);
                }
            }
            Err(Errno::EPIPE) => {
                crate::signals::sigpipe(&current());
                return if total > 0 { Ok(total) } else { Err(Errno::EPIPE) };
            }
            Err(e) if total > 0 && e != Errno::EFAULT => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

pub fn read(fd: Fd, buf: UserAddr, count: usize) -> SysResult {
    let f = file(fd)?;
    readable(&f)?;
    read_file(&f, UserDst::new(buf, count.min(MAX_RW))?)
}

pub fn write(fd: Fd, buf: UserAddr, count: usize) -> SysResult {
    let f = file(fd)?;
    writable(&f)?;
    write_file(&f, UserSrc::new(buf, count.min(MAX_RW))?)
}

/// The mode checks Linux makes before it looks at the buffer (so a
/// write-only descriptor is EBADF whatever the buffer).
fn readable(f: &OpenFile) -> Result<(), Errno> {
    if f.flags().readable() { Ok(()) } else { Err(Errno::EBADF) }
}

fn writable(f: &OpenFile) -> Result<(), Errno> {
    if f.flags().writable() { Ok(()) } else { Err(Errno::EBADF) }
}

pub fn pipe(fds: UserAddr) -> SysResult {
    pipe2(fds, 0)
}

pub fn pipe2(fds: UserAddr, flags: u32) -> SysResult {
    let (r, w) = ringo_fs::pipe::pipe2(flags & !O_CLOEXEC)?;
    let cloexec = flags & O_CLOEXEC != 0;
    let me = current();
    let (rfd, wfd) = {
        let mut files = me.files.lock();
        let rfd = files.table.insert(r, cloexec)?;
        match files.table.insert(w, cloexec) {
            Ok(wfd) => (rfd, wfd),
            Err(e) => {
                let _ = files.table.close(rfd);
                return Err(e);
            }
        }
    };
    if let Err(e) = fds.write(&[rfd, wfd]) {
        let mut files = me.files.lock();
        let _ = files.table.close(rfd);
        let _ = files.table.close(wfd);
        return Err(e);
    }
    Ok(0)
}

pub fn pread64(fd: Fd, buf: UserAddr, count: usize, offset: i64) -> SysResult {
    let f = file(fd)?;
    readable(&f)?;
    f.positional(offset)?;
    f.pread(&mut UserDst::new(buf, count.min(MAX_RW))?, offset)
}

pub fn pwrite64(fd: Fd, buf: UserAddr, count: usize, offset: i64) -> SysResult {
    let f = file(fd)?;
    writable(&f)?;
    f.positional(offset)?;
    f.pwrite(&mut UserSrc::new(buf, count.min(MAX_RW))?, offset)
}

/// The iovec array, every buffer checked before any I/O (Linux's
/// import_iovec): `make` builds the checked buffer from (base, len).
fn iovecs<B>(iov: UserAddr, count: i32, make: fn(UserAddr, usize) -> Result<B, Errno>) -> Result<Vec<B>, Errno> {
    if !(0..=1024).contains(&count) {
        return Err(Errno::EINVAL);
    }
    let mut v = Vec::new();
    v.try_reserve_exact(count as usize).map_err(|_| Errno::ENOMEM)?;
    let mut total = 0usize;
    for i in 0..count as u64 {
        let [base, len]: [u64; 2] = iov.offset(16 * i).read()?;
        if len > isize::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        // Linux trims the total to MAX_RW_COUNT.
        let len = (len as usize).min(MAX_RW - total);
        total += len;
        v.push(make(UserAddr(base), len)?);
    }
    Ok(v)
}

/// readv/writev: `io` per buffer until one comes up short; an error after
/// some bytes moved ends the call with what moved, as Linux does.
fn vectored<B: Copy + BufLen>(
    fd: Fd,
    iov: UserAddr,
    count: i32,
    mode: fn(&OpenFile) -> Result<(), Errno>,
    make: fn(UserAddr, usize) -> Result<B, Errno>,
    io: fn(&Arc<OpenFile>, B) -> SysResult,
) -> SysResult {
    let f = file(fd)?;
    mode(&f)?;
    let mut total = 0;
    for buf in iovecs(iov, count, make)? {
        let len = buf.buf_len();
        let n = match io(&f, buf) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if n < len {
            break;
        }
    }
    Ok(total)
}

/// The length of a checked user buffer, either direction.
trait BufLen {
    fn buf_len(&self) -> usize;
}

impl BufLen for UserDst {
    fn buf_len(&self) -> usize {
        ringo_fs::vfs::WriteBuf::len(self)
    }
}

impl BufLen for UserSrc {
    fn buf_len(&self) -> usize {
        ringo_fs::vfs::ReadBuf::len(self)
    }
}

pub fn readv(fd: Fd, iov: UserAddr, count: i32) -> SysResult {
    vectored(fd, iov, count, readable, UserDst::new, read_file)
}

pub fn writev(fd: Fd, iov: UserAddr, count: i32) -> SysResult {
    vectored(fd, iov, count, writable, UserSrc::new, write_file)
}

pub fn open(path: UserAddr, flags: u32, mode: u32) -> SysResult {
    openat(Fd(AT_FDCWD), path, flags, mode)
}

pub fn openat(dirfd: Fd, path: UserAddr, flags: u32, mode: u32) -> SysResult {
    let path = path_arg(path)?;
    let create = creation(mode);
    let f = at(dirfd, &path, |ctx| OpenFile::open(ctx, &path, OpenFlags(flags), create))?;
    install(f, flags & O_CLOEXEC != 0)
}

pub fn close(fd: Fd) -> SysResult {
    current().files.lock().table.close(fd.0)?;
    Ok(0)
}

pub fn lseek(fd: Fd, offset: i64, whence: u32) -> SysResult {
    file(fd)?.lseek(offset, whence).map(|o| o as usize)
}

fn stat_node(dirfd: Fd, path: UserAddr, flags: u32) -> Result<Arc<dyn Inode>, Errno> {
    let p = path_arg(path)?;
    if p.is_empty() {
        if flags & AT_EMPTY_PATH != 0 {
            return Ok(if dirfd.0 == AT_FDCWD {
                current().files.lock().cwd.clone()
            } else {
                file(dirfd)?.inode().clone()
            });
        }
        return Err(Errno::ENOENT);
    }
    at(dirfd, &p, |ctx| ctx.resolve(&p, flags & AT_SYMLINK_NOFOLLOW == 0))
}

pub fn stat(path: UserAddr, buf: UserAddr) -> SysResult {
    newfstatat(Fd(AT_FDCWD), path, buf, 0)
}

pub fn lstat(path: UserAddr, buf: UserAddr) -> SysResult {
    newfstatat(Fd(AT_FDCWD), path, buf, AT_SYMLINK_NOFOLLOW)
}

pub fn fstat(fd: Fd, buf: UserAddr) -> SysResult {
    buf.write(&to_stat(&file(fd)?.metadata()))?;
    Ok(0)
}

pub fn newfstatat(dirfd: Fd, path: UserAddr, buf: UserAddr, flags: u32) -> SysResult {
    let node = stat_node(dirfd, path, flags)?;
    buf.write(&to_stat(&node.metadata()))?;
    Ok(0)
}

pub fn statx(dirfd: Fd, path: UserAddr, flags: u32, mask: u32, buf: UserAddr) -> SysResult {
    let node = stat_node(dirfd, path, flags)?;
    buf.write(&to_statx(&node.metadata(), mask))?;
    Ok(0)
}

pub fn getdents64(fd: Fd, buf: UserAddr, count: usize) -> SysResult {
    file(fd)?.getdents64(&mut UserDst::new(buf, count)?)
}

pub fn fcntl(fd: Fd, cmd: u32, arg: u64) -> SysResult {
    current().files.lock().table.fcntl(fd.0, cmd, arg)
}

pub fn dup(fd: Fd) -> SysResult {
    current().files.lock().table.dup(fd.0).map(|f| f as usize)
}

pub fn dup2(old: Fd, new: Fd) -> SysResult {
    // The replaced file is closed after the table lock is dropped.
    let (fd, _replaced) = current().files.lock().table.dup2(old.0, new.0)?;
    Ok(fd as usize)
}

pub fn dup3(old: Fd, new: Fd, flags: u32) -> SysResult {
    let (fd, _replaced) = current().files.lock().table.dup3(old.0, new.0, flags)?;
    Ok(fd as usize)
}

/// close_range(2). CLOSE_RANGE_UNSHARE is a no-op for a process with one
/// thread (its table is its own already); with other threads, whose table
/// it would have to leave to them, it is EINVAL: one table per thread
/// group is all the kernel keeps.
pub fn close_range(first: u32, last: u32, flags: u32) -> SysResult {
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let me = current();
    if flags & CLOSE_RANGE_UNSHARE != 0 && me.group.live.load(Ordering::Acquire) > 1 {
        return Err(Errno::EINVAL);
    }
    if flags & CLOSE_RANGE_CLOEXEC != 0 {
        me.files.lock().table.set_cloexec_range(first, last)?;
        return Ok(0);
    }
    // Released after the table's lock: the last reference to a file may
    // do real work (a socket's close, a pipe's wake-up).
    let closed = me.files.lock().table.close_range(first, last)?;
    drop(closed);
    Ok(0)
}

const FIONBIO: u32 = 0x5421;
const FIOCLEX: u32 = 0x5451;
const FIONCLEX: u32 = 0x5450;

pub fn ioctl(fd: Fd, cmd: u32, arg: UserAddr) -> SysResult {
    let f = file(fd)?;
    match cmd {
        FIONBIO => {
            let on: i32 = arg.read()?;
            let flags = f.flags().bits();
            f.set_flags(if on != 0 { flags | O_NONBLOCK } else { flags & !O_NONBLOCK });
            Ok(0)
        }
        FIOCLEX | FIONCLEX => {
            current().files.lock().table.set_cloexec(fd.0, cmd == FIOCLEX)?;
            Ok(0)
        }
        _ => match super::net::ioctl(f.inode(), cmd, arg) {
            Some(r) => r,
            None => f.ioctl(cmd, arg.0 as usize),
        },
    }
}

pub fn access(path: UserAddr, mode: u32) -> SysResult {
    faccessat2(Fd(AT_FDCWD), path, mode, 0)
}

pub fn faccessat(dirfd: Fd, path: UserAddr, mode: u32) -> SysResult {
    faccessat2(dirfd, path, mode, 0)
}

/// Everything runs as root: existence decides, except that execute needs
/// some execute bit (as root on Linux).
pub fn faccessat2(dirfd: Fd, path: UserAddr, mode: u32, flags: u32) -> SysResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let node = stat_node(dirfd, path, flags)?;
    let m = node.metadata();
    if mode & X_OK != 0 && m.kind != InodeKind::Dir && m.mode() & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub fn getcwd(buf: UserAddr, size: usize) -> SysResult {
    let path = with_ctx(|ctx| {
        let cwd = current().files.lock().cwd.clone();
        ctx.path_of(&cwd)
    })?;
    let len = path.len() + 1;
    if size < len {
        return Err(Errno::ERANGE);
    }
    let mut out = path;
    out.push(0);
    buf.write_bytes(&out)?;
    Ok(len)
}

fn set_cwd(dir: Arc<dyn Inode>) -> SysResult {
    if dir.kind() != InodeKind::Dir {
        return Err(Errno::ENOTDIR);
    }
    current().files.lock().cwd = dir;
    Ok(0)
}

pub fn chdir(path: UserAddr) -> SysResult {
    let p = path_arg(path)?;
    set_cwd(with_ctx(|ctx| ctx.directory(&p))?)
}

pub fn fchdir(fd: Fd) -> SysResult {
    set_cwd(file(fd)?.inode().clone())
}

pub fn mkdir(path: UserAddr, mode: u32) -> SysResult {
    mkdirat(Fd(AT_FDCWD), path, mode)
}

pub fn mkdirat(dirfd: Fd, path: UserAddr, mode: u32) -> SysResult {
    let p = path_arg(path)?;
    let c = creation(mode);
    at(dirfd, &p, |ctx| ctx.mkdir(&p, c))?;
    Ok(0)
}

pub fn rmdir(path: UserAddr) -> SysResult {
    unlinkat(Fd(AT_FDCWD), path, AT_REMOVEDIR)
}

pub fn unlink(path: UserAddr) -> SysResult {
    unlinkat(Fd(AT_FDCWD), path, 0)
}

pub fn unlinkat(dirfd: Fd, path: UserAddr, flags: u32) -> SysResult {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let p = path_arg(path)?;
    at(dirfd, &p, |ctx| if flags & AT_REMOVEDIR != 0 { ctx.rmdir(&p) } else { ctx.unlink(&p) })?;
    Ok(0)
}

pub fn rename(old: UserAddr, new: UserAddr) -> SysResult {
    renameat2(Fd(AT_FDCWD), old, Fd(AT_FDCWD), new, 0)
}

pub fn renameat(olddir: Fd, old: UserAddr, newdir: Fd, new: UserAddr) -> SysResult {
    renameat2(olddir, old, newdir, new, 0)
}

pub fn renameat2(olddir: Fd, old: UserAddr, newdir: Fd, new: UserAddr, flags: u32) -> SysResult {
    let (o, n) = (path_arg(old)?, path_arg(new)?);
    let flags = RenameFlags::from_bits(flags)?;
    at(olddir, &o, |octx| at(newdir, &n, |nctx| octx.rename(&o, nctx, &n, flags)))?;
    Ok(0)
}

pub fn link(old: UserAddr, new: UserAddr) -> SysResult {
    let (o, n) = (path_arg(old)?, path_arg(new)?);
    with_ctx(|ctx| ctx.link(&o, false, ctx, &n))?;
    Ok(0)
}

pub fn symlink(target: UserAddr, path: UserAddr) -> SysResult {
    let (t, p) = (path_arg(target)?, path_arg(path)?);
    with_ctx(|ctx| ctx.symlink(&t, &p, 0, 0))?;
    Ok(0)
}

pub fn readlink(path: UserAddr, buf: UserAddr, size: i32) -> SysResult {
    readlinkat(Fd(AT_FDCWD), path, buf, size)
}

pub fn readlinkat(dirfd: Fd, path: UserAddr, buf: UserAddr, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let p = path_arg(path)?;
    let target = at(dirfd, &p, |ctx| ctx.readlink(&p))?;
    let n = target.len().min(size as usize);
    buf.write_bytes(&target[..n])?;
    Ok(n)
}

pub fn truncate(path: UserAddr, len: i64) -> SysResult {
    let p = path_arg(path)?;
    with_ctx(|ctx| ctx.truncate(&p, len))?;
    Ok(0)
}

pub fn ftruncate(fd: Fd, len: i64) -> SysResult {
    file(fd)?.truncate(len)?;
    Ok(0)
}

pub fn umask(mask: u32) -> SysResult {
    Ok(current().umask.swap(mask & 0o777, Ordering::Relaxed) as usize)
}

pub fn statfs(path: UserAddr, buf: UserAddr) -> SysResult {
    let p = path_arg(path)?;
    let node = with_ctx(|ctx| ctx.resolve(&p, true))?;
    buf.write(&node.statfs()?)?;
    Ok(0)
}

pub fn fstatfs(fd: Fd, buf: UserAddr) -> SysResult {
    buf.write(&file(fd)?.inode().statfs()?)?;
    Ok(0)
}

fn set_attr_at(dirfd: Fd, path: UserAddr, flags: u32, attr: SetAttr) -> SysResult {
    let node = stat_node(dirfd, path, flags)?;
    node.set_attr(&attr)?;
    Ok(0)
}

pub fn chmod(path: UserAddr, mode: u32) -> SysResult {
    fchmodat(Fd(AT_FDCWD), path, mode)
}

pub fn fchmodat(dirfd: Fd, path: UserAddr, mode: u32) -> SysResult {
    set_attr_at(dirfd, path, 0, SetAttr { perm: Some(mode & 0o7777), ..SetAttr::default() })
}

pub fn fchmod(fd: Fd, mode: u32) -> SysResult {
    file(fd)?.inode().set_attr(&SetAttr { perm: Some(mode & 0o7777), ..SetAttr::default() })?;
    Ok(0)
}

fn owner(uid: u32, gid: u32) -> SetAttr {
    // -1 leaves the id unchanged.
    SetAttr { uid: (uid != u32::MAX).then_some(uid), gid: (gid != u32::MAX).then_some(gid), ..SetAttr::default() }
}

pub fn chown(path: UserAddr, uid: u32, gid: u32) -> SysResult {
    set_attr_at(Fd(AT_FDCWD), path, 0, owner(uid, gid))
}

pub fn lchown(path: UserAddr, uid: u32, gid: u32) -> SysResult {
    set_attr_at(Fd(AT_FDCWD), path, AT_SYMLINK_NOFOLLOW, owner(uid, gid))
}

pub fn fchown(fd: Fd, uid: u32, gid: u32) -> SysResult {
    file(fd)?.inode().set_attr(&owner(uid, gid))?;
    Ok(0)
}

pub fn fchownat(dirfd: Fd, path: UserAddr, uid: u32, gid: u32, flags: u32) -> SysResult {
    set_attr_at(dirfd, path, flags, owner(uid, gid))
}

fn time_change(t: [i64; 2]) -> Result<Option<ringo_fs::vfs::TimeChange>, Errno> {
    match t[1] {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(ringo_fs::vfs::TimeChange::Now)),
        ns if (0..1_000_000_000).contains(&ns) => {
            Ok(Some(ringo_fs::vfs::TimeChange::At(ringo_fs::vfs::Timespec::new(t[0], ns as u32))))
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn utimensat(dirfd: Fd, path: UserAddr, times: UserAddr, flags: u32) -> SysResult {
    let (atime, mtime) = if times.is_null() {
        (Some(ringo_fs::vfs::TimeChange::Now), Some(ringo_fs::vfs::TimeChange::Now))
    } else {
        let [a, m]: [[i64; 2]; 2] = times.read()?;
        (time_change(a)?, time_change(m)?)
    };
    let attr = SetAttr { atime, mtime, ..SetAttr::default() };
    if path.is_null() {
        // futimens: the file itself.
        file(dirfd)?.inode().set_attr(&attr)?;
        return Ok(0);
    }
    set_attr_at(dirfd, path, flags, attr)
}

pub fn symlinkat(target: UserAddr, dirfd: Fd, path: UserAddr) -> SysResult {
    let (t, p) = (path_arg(target)?, path_arg(path)?);
    at(dirfd, &p, |ctx| ctx.symlink(&t, &p, 0, 0))?;
    Ok(0)
}

/// Everything lives in memory: there is nothing to flush.
pub fn fsync(fd: Fd) -> SysResult {
    file(fd)?;
    Ok(0)
}

/// sendfile from a pipe or another stream: what was read is written whole.
/// The kernel buffer a copy between two files goes through: at most
/// 64 KiB at a time, ENOMEM rather than an abort when memory is short.
fn bounce_buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len.min(64 * 1024)).map_err(|_| Errno::ENOMEM)?;
    buf.resize(len.min(64 * 1024), 0);
    Ok(buf)
}

fn sendfile_stream(out: &Arc<OpenFile>, inp: &Arc<OpenFile>, count: usize) -> SysResult {
    let mut buf = bounce_buffer(count)?;
    let mut dst: &mut [u8] = &mut buf;
    let n = inp.read(&mut dst)?;
    let mut written = 0;
    while written < n {
        // A fresh source per attempt: a socket that took the bytes and
        // then said EAGAIN must be handed them again.
        let rest = &buf[written..n];
        match blocking(out, PollEvents::OUT, || out.write(&mut { rest })) {
            Ok(0) => break,
            Ok(w) => written += w,
            Err(e) if written == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(written)
}

pub fn sendfile(out_fd: Fd, in_fd: Fd, offset: UserAddr, count: usize) -> SysResult {
    let (out, inp) = (file(out_fd)?, file(in_fd)?);
    // Read at an explicit position and move the file's own offset only by
    // what was written: a destination that takes part of a chunk (a full
    // socket) must not lose the rest.
    if !inp.inode().seekable() && offset.is_null() {
        return sendfile_stream(&out, &inp, count);
    }
    let start: i64 = if offset.is_null() { inp.offset() as i64 } else { offset.read()? };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = bounce_buffer(count)?;
    let mut total = 0;
    let mut result = Ok(());
    while total < count {
        // Up to 2 GiB in one call: a signal ends it with what was sent (as
        // Linux's splice loop), and a queued task gets the CPU meanwhile.
        if total > 0 && current().signal_pending() {
            break;
        }
        crate::sched::cond_resched();
        let want = (count - total).min(buf.len());
        let mut dst: &mut [u8] = &mut buf[..want];
        let n = match inp.pread(&mut dst, start + total as i64) {
            Ok(n) => n,
            Err(e) => {
                result = Err(e);
                break;
            }
        };
        if n == 0 {
            break;
        }
        let mut written = 0;
        while written < n {
            let rest = &buf[written..n];
            match blocking(&out, PollEvents::OUT, || out.write(&mut { rest })) {
                Ok(0) => break,
                Ok(w) => written += w,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            if out.flags().nonblock() {
                break;
            }
        }
        total += written;
        if written < n || result.is_err() {
            break;
        }
    }
    let end = start + total as i64;
    if offset.is_null() {
        inp.lseek(end, ringo_uapi::fs::SEEK_SET)?;
    } else {
        offset.write(&end)?;
    }
    match result {
        Err(Errno::EPIPE) if total == 0 => {
            crate::signals::sigpipe(&current());
            Err(Errno::EPIPE)
        }
        Err(e) if total == 0 => Err(e),
        _ => Ok(total),
    }
}

/// Waits until one of `fds` is ready (or the deadline, or a signal):
/// `check` computes the ready count and fills the results; keys are the
/// files' wait keys (files without one are always ready).
fn wait_ready(
    deadline: Option<u64>,
    mut check: impl FnMut(&mut Vec<u64>) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    loop {
        let mut keys = Vec::new();
        let n = check(&mut keys)?;
        if n > 0 || deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            return Ok(n);
        }
        // Rechecked with interrupts off just before sleeping, so a wakeup
        // between the check above and the sleep is not lost.
        let mut scratch = Vec::new();
        let ready = || matches!(check(&mut scratch), Ok(n) if n > 0);
        match crate::sched::wait_until(&keys, deadline, ready) {
            Ok(()) | Err(crate::sched::Interrupted::Timeout) => continue,
            Err(crate::sched::Interrupted::Signal) => return Err(Errno::EINTR),
        }
    }
}

fn poll_fd(fd: i32, events: PollEvents, keys: &mut Vec<u64>) -> PollEvents {
    match file(Fd(fd)) {
        Err(_) => PollEvents::NVAL,
        Ok(f) => {
            keys.extend(ringo_fs::epoll::wait_keys_of(&f));
            f.poll().select(events)
        }
    }
}

fn timeout_deadline(timeout_ms: i64) -> Option<u64> {
    (timeout_ms >= 0).then(|| crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000)
}

fn do_poll(fds: UserAddr, nfds: u32, deadline: Option<u64>) -> SysResult {
    if nfds > 4096 {
        return Err(Errno::EINVAL);
    }
    let mut entries: Vec<[u32; 2]> = Vec::with_capacity(nfds as usize);
    for i in 0..nfds as u64 {
        entries.push(fds.offset(8 * i).read()?);
    }
    let n = wait_ready(deadline, |keys| {
        let mut ready = 0;
        for e in entries.iter_mut() {
            // struct pollfd { int fd; short events; short revents; }
            let (fd, events) = (e[0] as i32, (e[1] & 0xffff) as u16);
            let revents =
                if fd < 0 { 0 } else { poll_fd(fd, PollEvents::from_bits(events as u32), keys).bits() as u16 };
            e[1] = events as u32 | ((revents as u32) << 16);
            if revents != 0 {
                ready += 1;
            }
        }
        Ok(ready)
    })?;
    for (i, e) in entries.iter().enumerate() {
        fds.offset(8 * i as u64).write(e)?;
    }
    Ok(n)
}

pub fn poll(fds: UserAddr, nfds: u32, timeout_ms: i32) -> SysResult {
    do_poll(fds, nfds, timeout_deadline(timeout_ms as i64))
}

fn read_deadline(ts: UserAddr) -> Result<Option<u64>, Errno> {
    if ts.is_null() {
        return Ok(None);
    }
    Ok(Some(crate::time::deadline_after(ts.read_timespec_ns()?)))
}

/// Runs `f` with the signal mask `mask` (ppoll, pselect6), restoring the
/// old one unless a signal handler will (then sigreturn does).
pub(super) fn with_sigmask(mask: UserAddr, f: impl FnOnce() -> SysResult) -> SysResult {
    if mask.is_null() {
        return f();
    }
    let new: u64 = mask.read()?;
    let me = current();
    let old = {
        let mut s = me.signals.lock();
        let old = s.mask;
        s.mask = new & !((1 << 8) | (1 << 18));
        old
    };
    let r = f();
    let mut s = me.signals.lock();
    if r == Err(Errno::EINTR) {
        s.saved_mask = Some(old);
    } else {
        s.mask = old;
    }
    r
}

pub fn ppoll(fds: UserAddr, nfds: u32, ts: UserAddr, mask: UserAddr, _size: usize) -> SysResult {
    let deadline = read_deadline(ts)?;
    with_sigmask(mask, || do_poll(fds, nfds, deadline))
}

fn do_select(n: i32, rfds: UserAddr, wfds: UserAddr, efds: UserAddr, deadline: Option<u64>) -> SysResult {
    if !(0..=1024).contains(&n) {
        return Err(Errno::EINVAL);
    }
    let words = (n as usize).div_ceil(64);
    let read_set = |a: UserAddr| -> Result<Vec<u64>, Errno> {
        let mut v = vec![0u64; words];
        if !a.is_null() {
            for (i, w) in v.iter_mut().enumerate() {
                *w = a.offset(8 * i as u64).read()?;
            }
        }
        Ok(v)
    };
    let (r_in, w_in, e_in) = (read_set(rfds)?, read_set(wfds)?, read_set(efds)?);
    let (mut r_out, mut w_out, mut e_out) = (vec![0u64; words], vec![0u64; words], vec![0u64; words]);
    let count = wait_ready(deadline, |keys| {
        let mut ready = 0;
        for fd in 0..n as usize {
            let (w, b) = (fd / 64, 1u64 << (fd % 64));
            let want = (r_in[w] & b != 0, w_in[w] & b != 0, e_in[w] & b != 0);
            if !(want.0 || want.1 || want.2) {
                continue;
            }
            let ev = poll_fd(fd as i32, PollEvents::IN | PollEvents::OUT | PollEvents::PRI, keys);
            if ev.contains(PollEvents::NVAL) {
                return Err(Errno::EBADF);
            }
            let readable = ev.intersects(PollEvents::IN | PollEvents::HUP | PollEvents::ERR);
            let writable = ev.intersects(PollEvents::OUT | PollEvents::ERR);
            for (wanted, is, out) in [
                (want.0, readable, &mut r_out),
                (want.1, writable, &mut w_out),
                (want.2, ev.contains(PollEvents::PRI), &mut e_out),
            ] {
                if wanted && is {
                    out[w] |= b;
                    ready += 1;
                } else {
                    out[w] &= !b;
                }
            }
        }
        Ok(ready)
    })?;
    for (a, v) in [(rfds, &r_out), (wfds, &w_out), (efds, &e_out)] {
        if !a.is_null() {
            for (i, w) in v.iter().enumerate() {
                a.offset(8 * i as u64).write(w)?;
            }
        }
    }
    Ok(count)
}

pub fn select(n: i32, rfds: UserAddr, wfds: UserAddr, efds: UserAddr, tv: UserAddr) -> SysResult {
    let deadline = if tv.is_null() { None } else { Some(crate::time::deadline_after(tv.read_select_timeval_ns()?)) };
    do_select(n, rfds, wfds, efds, deadline)
}

pub fn pselect6(n: i32, rfds: UserAddr, wfds: UserAddr, efds: UserAddr, ts: UserAddr, sig: UserAddr) -> SysResult {
    let deadline = read_deadline(ts)?;
    // The sixth argument points at { const sigset_t *ss; size_t ss_len; }.
    let mask = if sig.is_null() { UserAddr(0) } else { UserAddr(sig.read::<u64>()?) };
    with_sigmask(mask, || do_select(n, rfds, wfds, efds, deadline))
}

/// splice(2), as a copy through the kernel: one side must be a pipe (as
/// on Linux), a pipe side takes no offset (ESPIPE). One chunk of up to
/// 64 KiB per call; what is read from the input is written whole (a pipe
/// input cannot give bytes back, so a failing output loses them, where
/// Linux would leave them in the pipe). SPLICE_F_NONBLOCK makes the pipe
/// sides non-blocking.
pub fn splice(fd_in: Fd, off_in: UserAddr, fd_out: Fd, off_out: UserAddr, len: usize, flags: u32) -> SysResult {
    let known = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT;
    if flags & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let (inp, out) = (file(fd_in)?, file(fd_out)?);
    if inp.access_mode() == O_WRONLY || out.access_mode() == O_RDONLY {
        return Err(Errno::EBADF);
    }
    let is_pipe = |f: &Arc<OpenFile>| f.inode().kind() == InodeKind::Fifo;
    let (pipe_in, pipe_out) = (is_pipe(&inp), is_pipe(&out));
    if !pipe_in && !pipe_out {
        return Err(Errno::EINVAL);
    }
    if (pipe_in && !off_in.is_null()) || (pipe_out && !off_out.is_null()) {
        return Err(Errno::ESPIPE);
    }
    if len == 0 {
        return Ok(0);
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let mut pos_in: Option<i64> = if off_in.is_null() { None } else { Some(off_in.read()?) };
    let mut pos_out: Option<i64> = if off_out.is_null() { None } else { Some(off_out.read()?) };
    if pos_in.is_some_and(|p| p < 0) || pos_out.is_some_and(|p| p < 0) {
        return Err(Errno::EINVAL);
    }
    let mut buf = bounce_buffer(len)?;
    let n = {
        let mut read_once = || {
            let mut dst: &mut [u8] = &mut buf[..];
            match pos_in {
                Some(p) => inp.pread(&mut dst, p),
                None => inp.read(&mut dst),
            }
        };
        if nonblock && pipe_in { read_once()? } else { blocking(&inp, PollEvents::IN, &mut read_once)? }
    };
    let mut written = 0;
    while written < n {
        let rest = &buf[written..n];
        let write_once = || match pos_out {
            Some(p) => out.pwrite(&mut { rest }, p + written as i64),
            None => out.write(&mut { rest }),
        };
        let r = if nonblock && pipe_out { write_once() } else { blocking(&out, PollEvents::OUT, write_once) };
        match r {
            Ok(0) => break,
            Ok(w) => written += w,
            Err(Errno::EPIPE) if written == 0 => {
                crate::signals::sigpipe(&current());
                return Err(Errno::EPIPE);
            }
            Err(e) if written == 0 => return Err(e),
            Err(_) => break,
        }
    }
    if let Some(p) = pos_in.as_mut() {
        *p += n as i64;
        off_in.write(p)?;
    }
    if let Some(p) = pos_out.as_mut() {
        *p += written as i64;
        off_out.write(p)?;
    }
    Ok(written)
}
