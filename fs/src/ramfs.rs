//! ramfs: the writable in-memory file system the initramfs is unpacked into
//! (and devfs is built from). Files are byte vectors, directories sorted
//! maps with stable readdir positions, and a node lives as long as a
//! directory entry or an open file holds it (unlink-while-open works).

mod dir_table;
mod directory;
mod file;
mod node;

use alloc::sync::Arc;
use core::sync::atomic::AtomicU64;

use ringo_uapi::Errno;
use ringo_uapi::fs::{NAME_MAX, RAMFS_MAGIC, Statfs};
use spin::Mutex;

use crate::vfs::{Clock, DeviceRegistry, Inode, NewKind, Timespec, alloc_anon_dev};

pub use node::RamNode;

/// State every node of one ramfs instance shares.
pub(crate) struct Shared {
    dev: u64,
    next_ino: AtomicU64,
    clock: Clock,
    devices: Arc<DeviceRegistry>,
    // Serialises all namespace changes in this file system, so multi-directory
    // operations (rename) need no lock ordering; lookups do not take it.
    namespace: Mutex<()>,
}

impl Shared {
    fn now(&self) -> Timespec {
        (self.clock)()
    }

    fn statfs(&self) -> Statfs {
        Statfs {
            f_type: RAMFS_MAGIC,
            f_bsize: 4096,
            f_namelen: NAME_MAX as i64,
            f_frsize: 4096,
            f_fsid: [self.dev as i32, (self.dev >> 32) as i32],
            ..Statfs::default()
        }
    }
}

/// One ramfs instance.
pub struct RamFs {
    shared: Arc<Shared>,
    root: Arc<RamNode>,
}

impl RamFs {
    /// An empty file system whose root directory has permissions 0755.
    /// Device nodes in it reach drivers through `devices`; times come from `clock`.
    pub fn new(devices: Arc<DeviceRegistry>, clock: Clock) -> Self {
        let shared = Arc::new(Shared {
            dev: alloc_anon_dev(),
            next_ino: AtomicU64::new(1),
            clock,
            devices,
            namespace: Mutex::new(()),
        });
        let root = RamNode::new_root(&shared, 0o755);
        RamFs { shared, root }
    }

    pub fn root(&self) -> Arc<dyn Inode> {
        self.root.clone()
    }

    pub fn dev(&self) -> u64 {
        self.shared.dev
    }

    pub fn statfs(&self) -> Statfs {
        self.shared.statfs()
    }
}

/// Whether `kind` is something ramfs stores (everything mknod can make).
fn storable(kind: &NewKind<'_>) -> Result<(), Errno> {
    match kind {
        NewKind::Symlink([]) => Err(Errno::ENOENT),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
