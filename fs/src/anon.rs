//! Anonymous-inode objects (epoll, eventfd, timerfd): the identity they
//! share, Linux's anon_inodefs.

use core::sync::atomic::{AtomicU64, Ordering};

use spin::Once;

use crate::vfs::{InodeKind, Metadata, alloc_anon_dev};

/// The device number of Linux's anon_inodefs, shared by epoll, eventfd and
/// timerfd files. (Linux also shares one inode number among them; here each
/// object has its own, so inode identity still tells them apart.)
pub(crate) fn anon_dev() -> u64 {
    static DEV: Once<u64> = Once::new();
    *DEV.call_once(alloc_anon_dev)
}

/// A fresh inode number for an anonymous object.
pub(crate) fn new_anon_ino() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What fstat shows for an anonymous object: no type bits, mode 0600.
pub(crate) fn anon_metadata(ino: u64) -> Metadata {
    Metadata::new(anon_dev(), ino, InodeKind::Anonymous, 0o600)
}

/// The identity methods of an anonymous object's `Inode` impl (the type
/// has an `ino` field): what fstat shows, kind, node id, not seekable.
macro_rules! anon_inode_identity {
    () => {
        fn metadata(&self) -> $crate::vfs::Metadata {
            $crate::anon::anon_metadata(self.ino)
        }

        fn kind(&self) -> $crate::vfs::InodeKind {
            $crate::vfs::InodeKind::Anonymous
        }

        fn node_id(&self) -> $crate::vfs::NodeId {
            $crate::vfs::NodeId { dev: $crate::anon::anon_dev(), ino: self.ino }
        }

        fn seekable(&self) -> bool {
            false
        }
    };
}
pub(crate) use anon_inode_identity;
