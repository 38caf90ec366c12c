//! The mount table: which file system roots cover which directories. Path
//! walks cross into a mounted root when they reach its mountpoint and back
//! out to the mountpoint on `..` from that root.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use ringo_uapi::Errno;
use spin::RwLock;

use super::inode::{Inode, InodeKind, NodeId};

struct Mount {
    point: Arc<dyn Inode>,
    point_id: NodeId,
    root: Arc<dyn Inode>,
    root_id: NodeId,
}

/// A namespace: the root file system and what is mounted on it. The kernel
/// keeps one; processes share it.
pub struct Namespace {
    root: Arc<dyn Inode>,
    mounts: RwLock<Vec<Mount>>,
    // Lets walks skip the table lock entirely while nothing is mounted.
    count: AtomicUsize,
}

impl Namespace {
    pub fn new(root: Arc<dyn Inode>) -> Self {
        Namespace { root, mounts: RwLock::new(Vec::new()), count: AtomicUsize::new(0) }
    }

    pub fn root(&self) -> &Arc<dyn Inode> {
        &self.root
    }

    /// Mounts the file system whose root is `fs_root` on the directory
    /// `point`. Mounting on a mounted root stacks; the same point twice is
    /// EBUSY.
    pub fn mount(&self, point: &Arc<dyn Inode>, fs_root: Arc<dyn Inode>) -> Result<(), Errno> {
        if point.kind() != InodeKind::Dir || fs_root.kind() != InodeKind::Dir {
            return Err(Errno::ENOTDIR);
        }
        let point_id = point.node_id();
        let root_id = fs_root.node_id();
        let mut mounts = self.mounts.write();
        if mounts.iter().any(|m| m.point_id == point_id || m.root_id == root_id) || root_id == self.root.node_id() {
            return Err(Errno::EBUSY);
        }
        mounts.push(Mount { point: point.clone(), point_id, root: fs_root, root_id });
        self.count.store(mounts.len(), Ordering::Release);
        Ok(())
    }

    /// Unmounts the file system whose root is `fs_root` (what a path to the
    /// mountpoint resolves to). EINVAL if it is not mounted, EBUSY if
    /// something is mounted on top of it.
    pub fn unmount(&self, fs_root: &dyn Inode) -> Result<(), Errno> {
        let root_id = fs_root.node_id();
        let mut mounts = self.mounts.write();
        let index = mounts.iter().position(|m| m.root_id == root_id).ok_or(Errno::EINVAL)?;
        if mounts.iter().any(|m| m.point_id == root_id) {
            return Err(Errno::EBUSY);
        }
        mounts.remove(index);
        self.count.store(mounts.len(), Ordering::Release);
        Ok(())
    }

    /// The mounts as (mountpoint, mounted root) pairs, oldest first (for
    /// /proc/mounts).
    pub fn mounts(&self) -> Vec<(Arc<dyn Inode>, Arc<dyn Inode>)> {
        self.mounts.read().iter().map(|m| (m.point.clone(), m.root.clone())).collect()
    }

    /// The root mounted on `point`, if any.
    pub fn mounted_on(&self, point: NodeId) -> Option<Arc<dyn Inode>> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.mounts.read().iter().find(|m| m.point_id == point).map(|m| m.root.clone())
    }

    /// Where the root `root` is mounted, if it is a mounted root.
    pub fn mountpoint_of(&self, root: NodeId) -> Option<Arc<dyn Inode>> {
        if self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        self.mounts.read().iter().find(|m| m.root_id == root).map(|m| m.point.clone())
    }

    pub fn is_mountpoint(&self, node: NodeId) -> bool {
        self.mounted_on(node).is_some()
    }

    /// Follows mounts down from `node` to the root on top.
    pub fn cross_down(&self, mut node: Arc<dyn Inode>) -> Arc<dyn Inode> {
        if self.count.load(Ordering::Acquire) == 0 || node.kind() != InodeKind::Dir {
            return node;
        }
        while let Some(root) = self.mounted_on(node.node_id()) {
            node = root;
        }
        node
    }
}
