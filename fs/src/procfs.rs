//! procfs node types. The kernel decides what /proc contains; this module
//! gives it the building blocks: directories with fixed entries and/or
//! entries produced on demand ([`DirSource`]), files whose contents are
//! generated when opened ([`ProcFile`]), and symlinks whose target is
//! computed, optionally leading straight to an object ([`ProcLink`]: the
//! magic links /proc/self/exe and /proc/self/fd/N).
//!
//! Inode numbers are stable per (directory, name), so a generated node
//! made twice for the same path stats the same.

mod dir;
mod file;
mod link;

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::{NAME_MAX, PROC_SUPER_MAGIC, Statfs};
use spin::Mutex;

use crate::vfs::{Clock, Inode, Timespec, alloc_anon_dev};

pub use dir::{DirSource, ProcDir};
pub use file::{ProcFile, WriteHandler};
pub use link::ProcLink;

/// Produces a file's contents.
pub type Generator = Arc<dyn Fn() -> Result<Vec<u8>, Errno> + Send + Sync>;
/// Produces a link's target text.
pub type LinkText = Arc<dyn Fn() -> Result<Vec<u8>, Errno> + Send + Sync>;
/// Produces the object a magic link leads to.
pub type LinkObject = Arc<dyn Fn() -> Result<Arc<dyn Inode>, Errno> + Send + Sync>;

pub(crate) struct Shared {
    dev: u64,
    clock: Clock,
    next_ino: AtomicU64,
    inos: Mutex<BTreeMap<(u64, Vec<u8>), u64>>,
}

impl Shared {
    fn now(&self) -> Timespec {
        (self.clock)()
    }

    /// The inode number of `name` in the directory numbered `parent`,
    /// the same every time it is asked.
    fn ino_for(&self, parent: u64, name: &[u8]) -> u64 {
        let mut inos = self.inos.lock();
        *inos.entry((parent, name.to_vec())).or_insert_with(|| self.next_ino.fetch_add(1, Ordering::Relaxed))
    }

    fn statfs(&self) -> Statfs {
        Statfs {
            f_type: PROC_SUPER_MAGIC,
            f_bsize: 4096,
            f_namelen: NAME_MAX as i64,
            f_frsize: 4096,
            f_fsid: [self.dev as i32, (self.dev >> 32) as i32],
            ..Statfs::default()
        }
    }
}

pub struct ProcFs {
    root: Arc<ProcDir>,
}

impl ProcFs {
    /// An empty /proc; the kernel adds entries to [`ProcFs::root`].
    pub fn new(clock: Clock) -> Self {
        Self::with_root_source(clock, None)
    }

    /// A /proc whose root also lists what `source` produces (the kernel's
    /// per-process directories), next to the fixed entries.
    pub fn with_root_source(clock: Clock, source: Option<Arc<dyn DirSource>>) -> Self {
        // Inode 1 is the root, as on Linux.
        let shared = Arc::new(Shared {
            dev: alloc_anon_dev(),
            clock,
            next_ino: AtomicU64::new(2),
            inos: Mutex::new(BTreeMap::new()),
        });
        ProcFs { root: ProcDir::new_root(shared, 1, source) }
    }

    /// The root with its typed API for adding entries.
    pub fn root(&self) -> &Arc<ProcDir> {
        &self.root
    }

    /// The root as an inode, to mount on /proc.
    pub fn root_inode(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }
}

#[cfg(test)]
mod tests;
