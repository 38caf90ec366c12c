//! Open file descriptions: what open(2) creates and descriptors share (the
//! offset, the status flags), and the I/O calls that act on them.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::{
    O_ACCMODE, O_APPEND, O_ASYNC, O_CLOEXEC, O_CREAT, O_DIRECT, O_EXCL, O_LARGEFILE, O_NOATIME, O_NOCTTY, O_NONBLOCK,
    O_TRUNC, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET,
};

use crate::dirent::fill_getdents64;
use crate::readiness::PollEvents;
use crate::vfs::{Creation, Inode, InodeKind, Metadata, OpenFlags, PathContext, ReadBuf, WriteBuf};

/// The status flags F_SETFL may change; the access mode and the rest stay.
const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

/// Flags that only act during open(2) and are not kept on the file.
const OPEN_ONLY: u32 = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;

pub struct OpenFile {
    /// The inode opened (what fstat, fchdir and /proc/self/fd see).
    node: Arc<dyn Inode>,
    /// Where I/O goes: the node itself, or the per-open object its `open` returned.
    io: Arc<dyn Inode>,
    path: Vec<u8>,
    // Loads and stores around each I/O rather than a lock held across it: a
    // read blocked on a console must not stall writes through a dup'd fd.
    // Concurrent reads through one description may therefore overlap.
    offset: AtomicU64,
    status: AtomicU32,
    seekable: bool,
    is_dir: bool,
}

impl OpenFile {
    /// Opens `node` (found or created by `PathContext::open_node`, or an
    /// unnamed object such as a pipe end) with open(2) `flags`. `path` is
    /// what /proc/self/fd shows.
    pub fn new(node: Arc<dyn Inode>, flags: OpenFlags, path: Vec<u8>) -> Result<Arc<OpenFile>, Errno> {
        let io = if flags.path_only() { None } else { node.open(flags)? };
        let io = io.unwrap_or_else(|| node.clone());
        // 64-bit Linux forces O_LARGEFILE on, and F_GETFL shows it.
        let status = (flags.bits() & !OPEN_ONLY) | O_LARGEFILE;
        Ok(Arc::new(OpenFile {
            seekable: io.seekable(),
            is_dir: node.kind() == InodeKind::Dir,
            node,
            io,
            path,
            offset: AtomicU64::new(0),
            status: AtomicU32::new(status),
        }))
    }

    /// open(2) in one call: resolve or create `path`, then open it.
    pub fn open(
        ctx: &PathContext<'_>,
        path: &[u8],
        flags: OpenFlags,
        create: Creation,
    ) -> Result<Arc<OpenFile>, Errno> {
        let opened = ctx.open_node(path, flags, create)?;
        OpenFile::new(opened.node, flags, opened.path)
    }

    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.node
    }

    pub fn metadata(&self) -> Metadata {
        self.io.metadata()
    }

    pub fn path(&self) -> &[u8] {
        &self.path
    }

    /// F_GETFL: access mode and status flags.
    pub fn flags(&self) -> OpenFlags {
        OpenFlags(self.status.load(Ordering::Relaxed))
    }

    /// F_SETFL: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT and O_NOATIME change.
    pub fn set_flags(&self, bits: u32) {
        let _ = self
            .status
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| Some((old & !SETFL_MASK) | (bits & SETFL_MASK)));
    }

    pub fn offset(&self) -> u64 {
        self.offset.load(Ordering::Relaxed)
    }

    fn readable(&self, flags: OpenFlags) -> Result<(), Errno> {
        if !flags.readable() {
            return Err(Errno::EBADF);
        }
        if self.is_dir {
            return Err(Errno::EISDIR);
        }
        Ok(())
    }

    fn writable(&self, flags: OpenFlags) -> Result<(), Errno> {
        if !flags.writable() { Err(Errno::EBADF) } else { Ok(()) }
    }

    /// read(2).
    pub fn read(&self, buf: &mut dyn WriteBuf) -> Result<usize, Errno> {
        let flags = self.flags();
        self.readable(flags)?;
        if !self.seekable {
            return self.io.read_at(0, buf, flags);
        }
        let at = self.offset.load(Ordering::Relaxed);
        let n = self.io.read_at(at, buf, flags)?;
        self.offset.store(at + n as u64, Ordering::Relaxed);
        Ok(n)
    }

    /// write(2); with O_APPEND each write goes to the end of the file.
    pub fn write(&self, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
        let flags = self.flags();
        self.writable(flags)?;
        if !self.seekable {
            return self.io.write_at(0, buf, flags);
        }
        if flags.append() {
            let (n, end) = self.io.append(buf, flags)?;
            self.offset.store(end, Ordering::Relaxed);
            return Ok(n);
        }
        let at = self.offset.load(Ordering::Relaxed);
        let n = self.io.write_at(at, buf, flags)?;
        self.offset.store(at + n as u64, Ordering::Relaxed);
        Ok(n)
    }

    /// pread64(2): the file offset is not used or changed.
    pub fn pread(&self, buf: &mut dyn WriteBuf, offset: i64) -> Result<usize, Errno> {
        let flags = self.flags();
        self.readable(flags)?;
        let at = self.positional(offset)?;
        self.io.read_at(at, buf, flags)
    }

    /// pwrite64(2). As on Linux, O_APPEND makes it append whatever the offset.
    pub fn pwrite(&self, buf: &mut dyn ReadBuf, offset: i64) -> Result<usize, Errno> {
        let flags = self.flags();
        self.writable(flags)?;
        let at = self.positional(offset)?;
        if flags.append() {
            return self.io.append(buf, flags).map(|(n, _)| n);
        }
        self.io.write_at(at, buf, flags)
    }

    /// The checks pread/pwrite make of their offset: ESPIPE where the file
    /// has no position, EINVAL for a negative one.
    pub fn positional(&self, offset: i64) -> Result<u64, Errno> {
        if !self.seekable {
            return Err(Errno::ESPIPE);
        }
        u64::try_from(offset).map_err(|_| Errno::EINVAL)
    }

    /// lseek(2). Directories take SEEK_SET and SEEK_CUR to positions from
    /// getdents64 (telldir/seekdir); files also SEEK_END, SEEK_DATA, SEEK_HOLE.
    pub fn lseek(&self, offset: i64, whence: u32) -> Result<u64, Errno> {
        if self.flags().path_only() {
            return Err(Errno::EBADF);
        }
        if !self.seekable {
            return Err(Errno::ESPIPE);
        }
        let cur = self.offset.load(Ordering::Relaxed) as i64;
        let size = || self.io.metadata().size as i64;
        let target = match whence {
            SEEK_SET => offset,
            SEEK_CUR => cur.checked_add(offset).ok_or(Errno::EOVERFLOW)?,
            SEEK_END if !self.is_dir => size().checked_add(offset).ok_or(Errno::EOVERFLOW)?,
            // Without holes, data is everywhere before the end and the only
            // hole is the end itself.
            SEEK_DATA | SEEK_HOLE if !self.is_dir => {
                let size = size();
                if offset < 0 || offset >= size {
                    return Err(Errno::ENXIO);
                }
                if whence == SEEK_DATA { offset } else { size }
            }
            _ => return Err(Errno::EINVAL),
        };
        if target < 0 {
            return Err(Errno::EINVAL);
        }
        self.offset.store(target as u64, Ordering::Relaxed);
        Ok(target as u64)
    }

    /// getdents64(2): fills `out` from the current position and advances it.
    pub fn getdents64(&self, out: &mut dyn WriteBuf) -> Result<usize, Errno> {
        if self.flags().path_only() {
            return Err(Errno::EBADF);
        }
        if !self.is_dir {
            return Err(Errno::ENOTDIR);
        }
        let pos = self.offset.load(Ordering::Relaxed);
        let (used, next) = fill_getdents64(&*self.io, pos, out)?;
        self.offset.store(next, Ordering::Relaxed);
        Ok(used)
    }

    /// ioctl(2) on the file's object (ENOTTY by default).
    pub fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        if self.flags().path_only() {
            return Err(Errno::EBADF);
        }
        self.io.ioctl(cmd, arg)
    }

    /// Readiness of the file's object for poll/select/epoll. O_PATH
    /// descriptors are POLLNVAL, as Linux's poll treats them as not open.
    pub fn poll(&self) -> PollEvents {
        if self.flags().path_only() {
            return PollEvents::NVAL;
        }
        self.io.poll()
    }

    /// The key to sleep on after this file's I/O said EAGAIN (see
    /// [`crate::readiness`]); `None` if its object never makes callers wait.
    pub fn wait_key(&self) -> Option<u64> {
        if self.flags().path_only() {
            return None;
        }
        self.io.wait_key()
    }

    /// ftruncate(2): EINVAL unless a regular file open for writing.
    pub fn truncate(&self, len: i64) -> Result<(), Errno> {
        let len = u64::try_from(len).map_err(|_| Errno::EINVAL)?;
        let flags = self.flags();
        if flags.path_only() {
            return Err(Errno::EBADF);
        }
        if !flags.writable() || self.node.kind() != InodeKind::File {
            return Err(Errno::EINVAL);
        }
        self.io.set_len(len)
    }

    /// The access mode the file was opened with (O_RDONLY, O_WRONLY, O_RDWR).
    pub fn access_mode(&self) -> u32 {
        self.flags().bits() & O_ACCMODE
    }
}
