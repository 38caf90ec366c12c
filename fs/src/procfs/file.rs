//! Generated procfs files. Each open takes a snapshot of the contents, read
//! with offsets like a regular file; reading offset 0 again regenerates it
//! (as seq_file does), so a monitor that keeps /proc/uptime open and
//! preads it from 0 sees fresh values.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::Statfs;
use spin::RwLock;

use super::{Generator, Shared};
use crate::vfs::{Inode, InodeKind, Metadata, NodeId, OpenFlags, ReadBuf, Timespec, WriteBuf, read_to_vec};

/// Receives what is written to a writable procfs file.
pub type WriteHandler = Arc<dyn Fn(&[u8]) -> Result<(), Errno> + Send + Sync>;

/// The most one write(2) passes to a handler (Linux's proc writes take a page).
const MAX_WRITE: usize = 4096;

pub struct ProcFile {
    fs: Arc<Shared>,
    ino: u64,
    perm: u32,
    created: Timespec,
    generate: Generator,
    write: Option<WriteHandler>,
}

impl ProcFile {
    pub(super) fn new(
        fs: Arc<Shared>,
        ino: u64,
        perm: u32,
        generate: Generator,
        write: Option<WriteHandler>,
    ) -> Arc<ProcFile> {
        let created = fs.now();
        Arc::new(ProcFile { fs, ino, perm, created, generate, write })
    }

    /// The contents right now.
    pub fn contents(&self) -> Result<Vec<u8>, Errno> {
        (self.generate)()
    }
}

fn read_slice(data: &[u8], offset: u64, buf: &mut dyn WriteBuf) -> Result<usize, Errno> {
    let Ok(start) = usize::try_from(offset) else { return Ok(0) };
    if start >= data.len() {
        return Ok(0);
    }
    let end = data.len().min(start.saturating_add(buf.len()));
    buf.write(&data[start..end])
}

fn write_through(handler: &Option<WriteHandler>, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
    let handler = handler.as_ref().ok_or(Errno::EINVAL)?;
    let bytes = read_to_vec(buf, MAX_WRITE)?;
    handler(&bytes)?;
    Ok(bytes.len())
}

impl Inode for ProcFile {
    /// Size 0, as Linux reports for generated files.
    fn metadata(&self) -> Metadata {
        Metadata {
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Metadata::new(self.fs.dev, self.ino, InodeKind::File, self.perm)
        }
    }

    fn kind(&self) -> InodeKind {
        InodeKind::File
    }

    fn node_id(&self) -> NodeId {
        NodeId { dev: self.fs.dev, ino: self.ino }
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Ok(self.fs.statfs())
    }

    fn open(&self, flags: OpenFlags) -> Result<Option<Arc<dyn Inode>>, Errno> {
        if flags.writable() && self.write.is_none() {
            return Err(Errno::EACCES);
        }
        let data = if flags.readable() { (self.generate)()? } else { Vec::new() };
        Ok(Some(Arc::new(Snapshot {
            meta: self.metadata(),
            generate: self.generate.clone(),
            write: self.write.clone(),
            data: RwLock::new(data),
            fresh: AtomicBool::new(true),
        })))
    }

    /// A read without an open (the kernel's own use): generated each time.
    fn read_at(&self, offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        read_slice(&(self.generate)()?, offset, buf)
    }

    fn write_at(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        write_through(&self.write, buf)
    }

    fn append(&self, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        write_through(&self.write, buf).map(|n| (n, 0))
    }

    /// O_TRUNC on a writable proc file is accepted and means nothing.
    fn set_len(&self, _len: u64) -> Result<(), Errno> {
        if self.write.is_some() { Ok(()) } else { Err(Errno::EACCES) }
    }
}

/// One open file's view of a [`ProcFile`].
struct Snapshot {
    meta: Metadata,
    generate: Generator,
    write: Option<WriteHandler>,
    data: RwLock<Vec<u8>>,
    // Set by open: the first read from 0 uses the contents open made.
    fresh: AtomicBool,
}

impl Inode for Snapshot {
    fn metadata(&self) -> Metadata {
        self.meta
    }

    fn kind(&self) -> InodeKind {
        InodeKind::File
    }

    fn node_id(&self) -> NodeId {
        self.meta.id()
    }

    fn read_at(&self, offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        let was_fresh = self.fresh.swap(false, Ordering::AcqRel);
        if offset == 0 && !was_fresh {
            let new = (self.generate)()?;
            *self.data.write() = new;
        }
        read_slice(&self.data.read(), offset, buf)
    }

    fn write_at(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        write_through(&self.write, buf)
    }

    fn append(&self, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        write_through(&self.write, buf).map(|n| (n, 0))
    }
}
