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

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{NAME_MAX, PROC_SUPER_MAGIC, Statfs};

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
}

impl Shared {
    fn now(&self) -> Timespec {
        (self.clock)()
    }

    /// The inode number of `name` in the directory numbered `parent`,
    /// the same every time it is asked: a hash of the two, not a table,
    /// because generated directories (one per process) come and go and a
    /// table of their numbers would only grow. 63 bits: a collision wants
    /// billions of names. Never the root's 1.
    fn ino_for(&self, parent: u64, name: &[u8]) -> u64 {
        ino_hash(parent, name)
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

/// FNV-1a over the parent's number and the name, then splitmix64's
/// finaliser to spread it.
fn ino_hash(parent: u64, name: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in parent.to_le_bytes().iter().chain(name) {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 1).max(2)
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
        let shared = Arc::new(Shared { dev: alloc_anon_dev(), clock });
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
