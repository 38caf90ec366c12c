//! Directory operations of ramfs nodes. Every change takes the file
//! system's namespace lock first, so each sees a stable tree (rename's
//! ancestry check, link counts) while lookups only take one directory's
//! read lock.

use alloc::sync::Arc;
use core::sync::atomic::Ordering;

use ringo_uapi::Errno;

use super::node::RamNode;
use super::storable;
use crate::vfs::name::{check_lookup_name, check_new_name, is_dot_or_dotdot};
use crate::vfs::{DirEntry, DirSink, Inode, InodeKind, NewNode, RenameFlags};

impl RamNode {
    pub(super) fn lookup_entry(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let dir = self.dir()?;
        check_lookup_name(name)?;
        match name {
            b"." => return self.me.upgrade().map(|me| me as Arc<dyn Inode>).ok_or(Errno::ENOENT),
            b".." => {
                return Ok(match self.parent() {
                    Some((parent, _)) => parent,
                    None => self.me.upgrade().ok_or(Errno::ENOENT)?,
                });
            }
            _ => {}
        }
        let entries = dir.entries.read();
        entries.get(name).map(|node| node.clone() as Arc<dyn Inode>).ok_or(Errno::ENOENT)
    }

    pub(super) fn create_entry(&self, name: &[u8], node: NewNode<'_>) -> Result<Arc<dyn Inode>, Errno> {
        let dir = self.dir()?;
        check_new_name(name)?;
        storable(&node.kind)?;
        let me = self.me.upgrade().ok_or(Errno::ENOENT)?;
        let _ns = self.fs.namespace.lock();
        if dir.removed.load(Ordering::Acquire) {
            return Err(Errno::ENOENT);
        }
        let mut entries = dir.entries.write();
        if entries.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        let child = RamNode::new_child(&self.fs, &node.kind, node.perm, node.uid, node.gid, &me, name);
        entries.insert(name, child.clone());
        drop(entries);
        if child.is_dir() {
            self.add_links(1);
        }
        self.touch_modified();
        Ok(child)
    }

    pub(super) fn link_entry(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        let dir = self.dir()?;
        check_new_name(name)?;
        let target = RamNode::downcast(target, &self.fs)?;
        if target.is_dir() {
            return Err(Errno::EPERM);
        }
        let _ns = self.fs.namespace.lock();
        if dir.removed.load(Ordering::Acquire) {
            return Err(Errno::ENOENT);
        }
        // A file whose last name is gone cannot get a new one (linkat of an
        // open, unlinked file is ENOENT without O_TMPFILE).
        if target.attrs.lock().nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let mut entries = dir.entries.write();
        if entries.get(name).is_some() {
            return Err(Errno::EEXIST);
        }
        entries.insert(name, target.clone());
        drop(entries);
        target.add_links(1);
        target.touch_changed();
        self.touch_modified();
        Ok(())
    }

    pub(super) fn unlink_entry(&self, name: &[u8]) -> Result<(), Errno> {
        let dir = self.dir()?;
        check_lookup_name(name)?;
        if is_dot_or_dotdot(name) {
            return Err(Errno::EISDIR);
        }
        let _ns = self.fs.namespace.lock();
        let mut entries = dir.entries.write();
        let child = entries.get(name).cloned().ok_or(Errno::ENOENT)?;
        if child.is_dir() {
            return Err(Errno::EISDIR);
        }
        entries.remove(name);
        drop(entries);
        child.add_links(-1);
        child.touch_changed();
        self.touch_modified();
        Ok(())
    }

    pub(super) fn rmdir_entry(&self, name: &[u8]) -> Result<(), Errno> {
        let dir = self.dir()?;
        check_lookup_name(name)?;
        match name {
            b"." => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let _ns = self.fs.namespace.lock();
        let mut entries = dir.entries.write();
        let child = entries.get(name).cloned().ok_or(Errno::ENOENT)?;
        let child_dir = child.dir()?;
        if !child_dir.entries.read().is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        entries.remove(name);
        drop(entries);
        child.detach_dir();
        self.add_links(-1);
        self.touch_modified();
        Ok(())
    }

    /// Marks a directory that lost its entry: no parent, no links, and
    /// nothing can be created in it.
    fn detach_dir(&self) {
        if let Ok(dir) = self.dir() {
            dir.removed.store(true, Ordering::Release);
            *dir.link.lock() = None;
        }
        self.attrs.lock().nlink = 0;
        self.touch_changed();
    }

    /// Whether `self` is `node` or one of its ancestors (the namespace lock
    /// keeps parent links still while this walks them).
    fn is_ancestor_of(&self, node: &Arc<RamNode>) -> bool {
        let mut cur = node.clone();
        loop {
            if cur.ino == self.ino {
                return true;
            }
            let parent = match cur.dir() {
                Ok(dir) => dir.link.lock().as_ref().and_then(|(p, _)| p.upgrade()),
                Err(_) => None,
            };
            match parent {
                Some(p) => cur = p,
                None => return false,
            }
        }
    }

    pub(super) fn rename_entry(
        &self,
        old: &[u8],
        new_dir: &Arc<dyn Inode>,
        new: &[u8],
        flags: RenameFlags,
    ) -> Result<(), Errno> {
        let src_dir = self.dir()?;
        check_lookup_name(old)?;
        check_lookup_name(new)?;
        if is_dot_or_dotdot(old) || is_dot_or_dotdot(new) {
            return Err(Errno::EBUSY);
        }
        let target_parent = RamNode::downcast(new_dir, &self.fs)?;
        let dst_dir = target_parent.dir()?;
        let me = self.me.upgrade().ok_or(Errno::ENOENT)?;
        let _ns = self.fs.namespace.lock();
        let src = src_dir.entries.read().get(old).cloned().ok_or(Errno::ENOENT)?;
        if dst_dir.removed.load(Ordering::Acquire) {
            return Err(Errno::ENOENT);
        }
        let dst = dst_dir.entries.read().get(new).cloned();
        if flags.noreplace() && dst.is_some() {
            return Err(Errno::EEXIST);
        }
        if flags.exchange() && dst.is_none() {
            return Err(Errno::ENOENT);
        }
        // Two names of one inode: POSIX says rename does nothing.
        if dst.as_ref().is_some_and(|d| Arc::ptr_eq(d, &src)) {
            return Ok(());
        }
        if src.is_dir() && src.is_ancestor_of(&target_parent) {
            return Err(Errno::EINVAL);
        }
        match dst {
            Some(dst) if flags.exchange() => {
                if dst.is_dir() && dst.is_ancestor_of(&me) {
                    return Err(Errno::EINVAL);
                }
                self.exchange(&me, old, &src, &target_parent, new, &dst);
            }
            dst => {
                if let Some(dst) = &dst {
                    match (src.is_dir(), dst.dir()) {
                        (true, Err(_)) => return Err(Errno::ENOTDIR),
                        (false, Ok(_)) => return Err(Errno::EISDIR),
                        (true, Ok(d)) if !d.entries.read().is_empty() => return Err(Errno::ENOTEMPTY),
                        _ => {}
                    }
                }
                self.move_entry(&me, old, &src, &target_parent, new, dst);
            }
        }
        Ok(())
    }

    /// Moves `src` from `old` here to `new` in `to`, dropping `replaced`.
    fn move_entry(
        &self,
        me: &Arc<RamNode>,
        old: &[u8],
        src: &Arc<RamNode>,
        to: &Arc<RamNode>,
        new: &[u8],
        replaced: Option<Arc<RamNode>>,
    ) {
        let (Ok(from_dir), Ok(to_dir)) = (self.dir(), to.dir()) else { return };
        if Arc::ptr_eq(me, to) {
            let mut entries = from_dir.entries.write();
            entries.remove(old);
            entries.insert(new, src.clone());
        } else {
            // Insert before removing: a concurrent lookup finds the file
            // under one name or the other, never under neither.
            to_dir.entries.write().insert(new, src.clone());
            from_dir.entries.write().remove(old);
        }
        if let Some(gone) = replaced {
            if gone.is_dir() {
                gone.detach_dir();
                to.add_links(-1);
            } else {
                gone.add_links(-1);
                gone.touch_changed();
            }
        }
        if let Ok(dir) = src.dir() {
            *dir.link.lock() = Some((Arc::downgrade(to), new.to_vec()));
            if !Arc::ptr_eq(me, to) {
                self.add_links(-1);
                to.add_links(1);
            }
        }
        src.touch_changed();
        self.touch_modified();
        to.touch_modified();
    }

    /// RENAME_EXCHANGE: `a` (at `a_name` here) and `b` (at `b_name` in `other`) swap places.
    fn exchange(
        &self,
        me: &Arc<RamNode>,
        a_name: &[u8],
        a: &Arc<RamNode>,
        other: &Arc<RamNode>,
        b_name: &[u8],
        b: &Arc<RamNode>,
    ) {
        let (Ok(here), Ok(there)) = (self.dir(), other.dir()) else { return };
        if Arc::ptr_eq(me, other) {
            let mut entries = here.entries.write();
            entries.insert(a_name, b.clone());
            entries.insert(b_name, a.clone());
        } else {
            here.entries.write().insert(a_name, b.clone());
            there.entries.write().insert(b_name, a.clone());
        }
        if let Ok(dir) = a.dir() {
            *dir.link.lock() = Some((Arc::downgrade(other), b_name.to_vec()));
        }
        if let Ok(dir) = b.dir() {
            *dir.link.lock() = Some((Arc::downgrade(me), a_name.to_vec()));
        }
        if !Arc::ptr_eq(me, other) && a.is_dir() != b.is_dir() {
            let delta = if a.is_dir() { 1 } else { -1 };
            other.add_links(delta);
            self.add_links(-delta);
        }
        a.touch_changed();
        b.touch_changed();
        self.touch_modified();
        other.touch_modified();
    }

    pub(super) fn read_entries(&self, pos: u64, sink: &mut DirSink<'_>) -> Result<(), Errno> {
        let dir = self.dir()?;
        if pos == 0 && !sink(DirEntry { name: b".", ino: self.ino, kind: InodeKind::Dir, next: 1 }) {
            return Ok(());
        }
        if pos <= 1 {
            let parent_ino = self.parent().map(|(p, _)| p.node_id().ino).unwrap_or(self.ino);
            if !sink(DirEntry { name: b"..", ino: parent_ino, kind: InodeKind::Dir, next: 2 }) {
                return Ok(());
            }
        }
        let entries = dir.entries.read();
        for (name, node, next) in entries.starting_at(pos) {
            if !sink(DirEntry { name, ino: node.ino, kind: node.kind(), next }) {
                break;
            }
        }
        Ok(())
    }
}
