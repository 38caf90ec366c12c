//! procfs directories: fixed entries the kernel adds once, plus entries a
//! [`DirSource`] produces on every lookup and listing (/proc/<pid>,
//! /proc/self/fd).

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::Statfs;
use spin::RwLock;

use super::file::{ProcFile, WriteHandler};
use super::link::ProcLink;
use super::{Generator, LinkObject, LinkText, Shared};
use crate::vfs::name::{check_lookup_name, check_new_name};
use crate::vfs::{DirEntry, DirSink, Inode, InodeKind, Metadata, NodeId, Timespec};

/// Entries produced on demand.
pub trait DirSource: Send + Sync {
    /// The names present now, with their kinds, in listing order.
    fn list(&self) -> Vec<(Vec<u8>, InodeKind)>;

    /// The node for `name`, built with `dir`'s `new_*` methods; ENOENT if absent.
    fn lookup(&self, dir: &Arc<ProcDir>, name: &[u8]) -> Result<Arc<dyn Inode>, Errno>;
}

pub struct ProcDir {
    pub(super) fs: Arc<Shared>,
    ino: u64,
    perm: u32,
    created: Timespec,
    me: Weak<ProcDir>,
    parent: Option<(Weak<ProcDir>, Vec<u8>)>,
    fixed: RwLock<BTreeMap<Vec<u8>, Arc<dyn Inode>>>,
    source: Option<Arc<dyn DirSource>>,
}

impl ProcDir {
    pub(super) fn new_root(fs: Arc<Shared>, ino: u64, source: Option<Arc<dyn DirSource>>) -> Arc<ProcDir> {
        let created = fs.now();
        Arc::new_cyclic(|me| ProcDir {
            fs,
            ino,
            perm: 0o555,
            created,
            me: me.clone(),
            parent: None,
            fixed: RwLock::new(BTreeMap::new()),
            source,
        })
    }

    pub(super) fn child_ino(&self, name: &[u8]) -> u64 {
        self.fs.ino_for(self.ino, name)
    }

    /// A directory `name` below this one (not added: see [`Self::add`]).
    pub fn new_dir(&self, name: &[u8], perm: u32, source: Option<Arc<dyn DirSource>>) -> Arc<ProcDir> {
        let ino = self.child_ino(name);
        let parent = Some((self.me.clone(), name.to_vec()));
        Arc::new_cyclic(|me| ProcDir {
            fs: self.fs.clone(),
            ino,
            perm,
            created: self.fs.now(),
            me: me.clone(),
            parent,
            fixed: RwLock::new(BTreeMap::new()),
            source,
        })
    }

    /// A file `name` below this one whose contents `generate` makes.
    pub fn new_file(
        &self,
        name: &[u8],
        perm: u32,
        generate: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
    ) -> Arc<ProcFile> {
        let generate: Generator = Arc::new(generate);
        ProcFile::new(self.fs.clone(), self.child_ino(name), perm, generate, None)
    }

    /// A writable file: `write` receives each write(2)'s bytes.
    pub fn new_rw_file(
        &self,
        name: &[u8],
        perm: u32,
        generate: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
        write: impl Fn(&[u8]) -> Result<(), Errno> + Send + Sync + 'static,
    ) -> Arc<ProcFile> {
        let generate: Generator = Arc::new(generate);
        let write: WriteHandler = Arc::new(write);
        ProcFile::new(self.fs.clone(), self.child_ino(name), perm, generate, Some(write))
    }

    /// A symlink `name` whose target `target` computes (/proc/self).
    pub fn new_symlink(
        &self,
        name: &[u8],
        target: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
    ) -> Arc<ProcLink> {
        let target: LinkText = Arc::new(target);
        ProcLink::new(self.fs.clone(), self.child_ino(name), target, None)
    }

    /// A magic link: path walks jump to `object`; readlink shows `target`.
    pub fn new_magic_link(
        &self,
        name: &[u8],
        target: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
        object: impl Fn() -> Result<Arc<dyn Inode>, Errno> + Send + Sync + 'static,
    ) -> Arc<ProcLink> {
        let target: LinkText = Arc::new(target);
        let object: LinkObject = Arc::new(object);
        ProcLink::new(self.fs.clone(), self.child_ino(name), target, Some(object))
    }

    /// Adds a fixed entry (EEXIST if taken).
    pub fn add(&self, name: &[u8], node: Arc<dyn Inode>) -> Result<(), Errno> {
        check_new_name(name)?;
        let mut fixed = self.fixed.write();
        if fixed.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        fixed.insert(name.to_vec(), node);
        Ok(())
    }

    /// Shorthand for `add(name, new_file(...))`.
    pub fn add_file(
        &self,
        name: &[u8],
        perm: u32,
        generate: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
    ) -> Result<Arc<ProcFile>, Errno> {
        let file = self.new_file(name, perm, generate);
        self.add(name, file.clone())?;
        Ok(file)
    }

    /// Shorthand for `add(name, new_dir(...))`.
    pub fn add_dir(&self, name: &[u8], perm: u32, source: Option<Arc<dyn DirSource>>) -> Result<Arc<ProcDir>, Errno> {
        let dir = self.new_dir(name, perm, source);
        self.add(name, dir.clone())?;
        Ok(dir)
    }

    /// Shorthand for `add(name, new_symlink(...))`.
    pub fn add_symlink(
        &self,
        name: &[u8],
        target: impl Fn() -> Result<Vec<u8>, Errno> + Send + Sync + 'static,
    ) -> Result<Arc<ProcLink>, Errno> {
        let link = self.new_symlink(name, target);
        self.add(name, link.clone())?;
        Ok(link)
    }

    /// Removes a fixed entry.
    pub fn remove(&self, name: &[u8]) -> Result<(), Errno> {
        self.fixed.write().remove(name).map(|_| ()).ok_or(Errno::ENOENT)
    }
}

impl Inode for ProcDir {
    fn metadata(&self) -> Metadata {
        let subdirs = self.fixed.read().values().filter(|n| n.kind() == InodeKind::Dir).count() as u32;
        Metadata {
            nlink: 2 + subdirs,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            ..Metadata::new(self.fs.dev, self.ino, InodeKind::Dir, self.perm)
        }
    }

    fn kind(&self) -> InodeKind {
        InodeKind::Dir
    }

    fn node_id(&self) -> NodeId {
        NodeId { dev: self.fs.dev, ino: self.ino }
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Ok(self.fs.statfs())
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        check_lookup_name(name)?;
        if let Some(node) = self.fixed.read().get(name) {
            return Ok(node.clone());
        }
        let (Some(source), Some(me)) = (&self.source, self.me.upgrade()) else { return Err(Errno::ENOENT) };
        source.lookup(&me, name)
    }

    fn create(&self, _name: &[u8], _node: crate::vfs::NewNode<'_>) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::EACCES)
    }

    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn unlink(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn rmdir(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn rename(
        &self,
        _old: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new: &[u8],
        _flags: crate::vfs::RenameFlags,
    ) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    /// Positions: 0 `.`, 1 `..`, then fixed entries, then generated ones.
    fn readdir(&self, pos: u64, sink: &mut DirSink<'_>) -> Result<(), Errno> {
        if pos == 0 && !sink(DirEntry { name: b".", ino: self.ino, kind: InodeKind::Dir, next: 1 }) {
            return Ok(());
        }
        if pos <= 1 {
            let up = self.parent.as_ref().and_then(|(p, _)| p.upgrade()).map_or(self.ino, |p| p.ino);
            if !sink(DirEntry { name: b"..", ino: up, kind: InodeKind::Dir, next: 2 }) {
                return Ok(());
            }
        }
        let mut index = 2u64;
        {
            let fixed = self.fixed.read();
            for (name, node) in fixed.iter() {
                if index >= pos {
                    let entry = DirEntry { name, ino: node.node_id().ino, kind: node.kind(), next: index + 1 };
                    if !sink(entry) {
                        return Ok(());
                    }
                }
                index += 1;
            }
        }
        if let Some(source) = &self.source {
            for (name, kind) in source.list() {
                if index >= pos {
                    let entry = DirEntry { name: &name, ino: self.child_ino(&name), kind, next: index + 1 };
                    if !sink(entry) {
                        return Ok(());
                    }
                }
                index += 1;
            }
        }
        Ok(())
    }

    fn parent(&self) -> Option<(Arc<dyn Inode>, Vec<u8>)> {
        let (parent, name) = self.parent.as_ref()?;
        let parent: Arc<dyn Inode> = parent.upgrade()?;
        Some((parent, name.clone()))
    }
}
