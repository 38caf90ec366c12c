//! procfs symlinks with computed targets, and magic links that lead to an
//! object even when no path names it any more (a deleted executable, an
//! unlinked open file).

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::Statfs;

use super::{LinkObject, LinkText, Shared};
use crate::vfs::{Inode, InodeKind, Metadata, NodeId, Timespec};

pub struct ProcLink {
    fs: Arc<Shared>,
    ino: u64,
    created: Timespec,
    target: LinkText,
    object: Option<LinkObject>,
}

impl ProcLink {
    pub(super) fn new(fs: Arc<Shared>, ino: u64, target: LinkText, object: Option<LinkObject>) -> Arc<ProcLink> {
        let created = fs.now();
        Arc::new(ProcLink { fs, ino, created, target, object })
    }
}

impl Inode for ProcLink {
    fn metadata(&self) -> Metadata {
        Metadata {
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Metadata::new(self.fs.dev, self.ino, InodeKind::Symlink, 0o777)
        }
    }

    fn kind(&self) -> InodeKind {
        InodeKind::Symlink
    }

    fn node_id(&self) -> NodeId {
        NodeId { dev: self.fs.dev, ino: self.ino }
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Ok(self.fs.statfs())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        (self.target)()
    }

    fn magic_target(&self) -> Option<Result<Arc<dyn Inode>, Errno>> {
        self.object.as_ref().map(|object| object())
    }
}
