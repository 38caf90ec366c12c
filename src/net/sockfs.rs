//! The identity every socket shows (Linux's sockfs): one device number and
//! one inode counter for AF_INET and AF_UNIX sockets alike.

use core::sync::atomic::{AtomicU64, Ordering};

use ringo_fs::vfs::{InodeKind, Metadata, NodeId};

pub fn dev() -> u64 {
    static DEV: spin::Once<u64> = spin::Once::new();
    *DEV.call_once(ringo_fs::vfs::alloc_anon_dev)
}

pub fn new_ino() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

pub fn metadata(ino: u64) -> Metadata {
    Metadata::new(dev(), ino, InodeKind::Socket, 0o777)
}

pub fn node_id(ino: u64) -> NodeId {
    NodeId { dev: dev(), ino }
}

/// The identity methods of a socket's `Inode` impl (the type has an `ino`).
macro_rules! socket_inode_identity {
    () => {
        fn metadata(&self) -> ringo_fs::vfs::Metadata {
            crate::net::sockfs::metadata(self.ino)
        }

        fn kind(&self) -> ringo_fs::vfs::InodeKind {
            ringo_fs::vfs::InodeKind::Socket
        }

        fn node_id(&self) -> ringo_fs::vfs::NodeId {
            crate::net::sockfs::node_id(self.ino)
        }

        fn seekable(&self) -> bool {
            false
        }
    };
}
pub(crate) use socket_inode_identity;
