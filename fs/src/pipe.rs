//! Pipes and FIFOs with Linux semantics: a 64 KiB buffer (F_SETPIPE_SZ
//! changes it), writes of up to PIPE_BUF bytes that go in whole or not at
//! all, EOF once every writer is gone, EPIPE once every reader is.
//!
//! A [`Pipe`] is the inode (pipe2's anonymous one, or the buffer behind a
//! ramfs FIFO); each open of it makes an end object that counts as a reader
//! and/or writer for as long as its open file lives. Nothing blocks: where
//! Linux would sleep the ends return EAGAIN and wake the pipe's wait key
//! when that may have changed (see [`crate::readiness`]).

mod end;
mod ring;

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::{O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY};
use spin::{Mutex, Once};

use crate::fdtable::OpenFile;
use crate::readiness::{new_wait_key, wake};
use crate::vfs::{Inode, InodeKind, Metadata, NodeId, OpenFlags, alloc_anon_dev};
use end::PipeEnd;
use ring::Ring;

/// The largest write that is atomic (limits.h PIPE_BUF).
pub const PIPE_BUF: usize = 4096;
/// A new pipe's capacity: 16 pages.
pub const PIPE_DEFAULT_SIZE: usize = 16 * PAGE_SIZE;
/// The largest F_SETPIPE_SZ accepts (Linux's default /proc/sys/fs/pipe-max-size).
pub const PIPE_MAX_SIZE: usize = 1 << 20;

const PAGE_SIZE: usize = 4096;

pub struct Pipe {
    me: Weak<Pipe>,
    ino: u64,
    key: u64,
    ring: Mutex<Ring>,
}

impl Pipe {
    /// An empty pipe with no ends open.
    pub fn new() -> Arc<Pipe> {
        static NEXT_INO: AtomicU64 = AtomicU64::new(1);
        Arc::new_cyclic(|me| Pipe {
            me: me.clone(),
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            key: new_wait_key(),
            ring: Mutex::new(Ring::new()),
        })
    }

    /// Opens an end of the FIFO `node` whose buffer this is (ramfs FIFOs
    /// call it from their `Inode::open`), with FIFO open rules.
    pub fn open_fifo(&self, flags: OpenFlags, node: Option<Arc<dyn Inode>>) -> Result<Arc<dyn Inode>, Errno> {
        let me = self.me.upgrade().ok_or(Errno::ENXIO)?;
        Ok(Arc::new(PipeEnd::open(&me, flags, node)?))
    }

    /// F_GETPIPE_SZ.
    pub fn capacity(&self) -> usize {
        self.ring.lock().capacity()
    }

    /// F_SETPIPE_SZ: returns the size set (rounded up to a power-of-two
    /// number of pages).
    pub fn set_capacity(&self, size: usize) -> Result<usize, Errno> {
        let set = self.ring.lock().set_capacity(size)?;
        wake(self.key);
        Ok(set)
    }

    /// What /proc/self/fd shows for an end of it: `pipe:[ino]`.
    pub fn name(&self) -> Vec<u8> {
        alloc::format!("pipe:[{}]", self.ino).into_bytes()
    }
}

/// pipefs's st_dev, shared by every unnamed pipe.
fn pipefs_dev() -> u64 {
    static DEV: Once<u64> = Once::new();
    *DEV.call_once(alloc_anon_dev)
}

impl Inode for Pipe {
    fn metadata(&self) -> Metadata {
        Metadata::new(pipefs_dev(), self.ino, InodeKind::Fifo, 0o600)
    }

    fn kind(&self) -> InodeKind {
        InodeKind::Fifo
    }

    fn node_id(&self) -> NodeId {
        NodeId { dev: pipefs_dev(), ino: self.ino }
    }

    /// Reopening an unnamed pipe (open of /proc/self/fd/N) follows the FIFO
    /// rules, as on Linux.
    fn open(&self, flags: OpenFlags) -> Result<Option<Arc<dyn Inode>>, Errno> {
        self.open_fifo(flags, None).map(Some)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn wait_key(&self) -> Option<u64> {
        Some(self.key)
    }
}

/// pipe2(2): a new pipe's read and write open files. `flags` may hold
/// O_NONBLOCK (kept on both files) and O_CLOEXEC (for the caller to apply to
/// both descriptors); anything else is EINVAL, including O_DIRECT (packet
/// mode is not implemented).
pub fn pipe2(flags: u32) -> Result<(Arc<OpenFile>, Arc<OpenFile>), Errno> {
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let pipe = Pipe::new();
    let name = pipe.name();
    let node: Arc<dyn Inode> = pipe;
    let status = flags & O_NONBLOCK;
    // The read end first, so the write end finds a reader (FIFO rules would
    // refuse a non-blocking writer without one).
    let read = OpenFile::new(node.clone(), OpenFlags(O_RDONLY | status), name.clone())?;
    let write = OpenFile::new(node, OpenFlags(O_WRONLY | status), name)?;
    Ok((read, write))
}

/// The pipe an open file's inode is, if it is an unnamed pipe (for
/// F_GETPIPE_SZ/F_SETPIPE_SZ; other files answer EBADF there).
pub fn pipe_of(node: &Arc<dyn Inode>) -> Option<&Pipe> {
    let any: &dyn Any = &**node;
    any.downcast_ref::<Pipe>()
}

#[cfg(test)]
mod tests;
