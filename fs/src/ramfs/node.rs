//! A ramfs node: shared attributes plus a body per kind, and its [`Inode`]
//! implementation (which hands file and directory work to `file.rs` and
//! `directory.rs`).

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::sync::atomic::{AtomicBool, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::Statfs;
use spin::{Mutex, Once, RwLock};

use super::Shared;
use super::dir_table::DirTable;
use crate::pipe::Pipe;
use crate::vfs::{
    Device, DirSink, Inode, InodeKind, Metadata, NewKind, NodeId, OpenFlags, ReadBuf, RenameFlags, SetAttr, TimeChange,
    Timespec, WriteBuf,
};

pub(super) struct Attrs {
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

pub(super) struct Directory {
    pub entries: RwLock<DirTable<Arc<RamNode>>>,
    /// The containing directory and this directory's name there.
    pub link: Mutex<Option<(Weak<RamNode>, Vec<u8>)>>,
    pub removed: AtomicBool,
}

pub(super) enum Body {
    File(RwLock<Vec<u8>>),
    Dir(Directory),
    Symlink(Vec<u8>),
    Device {
        kind: InodeKind,
        rdev: u64,
        // Looked up on first open, so nodes can exist (cpio, mknod) before
        // their driver registers.
        driver: Once<Arc<dyn Device>>,
    },
    /// The buffer its opens share (a FIFO is a pipe with a name).
    Fifo(Arc<Pipe>),
    Socket,
}

pub struct RamNode {
    pub(super) ino: u64,
    pub(super) fs: Arc<Shared>,
    pub(super) me: Weak<RamNode>,
    pub(super) attrs: Mutex<Attrs>,
    pub(super) body: Body,
}

impl RamNode {
    pub(super) fn new_root(fs: &Arc<Shared>, perm: u32) -> Arc<RamNode> {
        let body = Body::Dir(Directory {
            entries: RwLock::new(DirTable::new()),
            link: Mutex::new(None),
            removed: AtomicBool::new(false),
        });
        Self::build(fs, body, perm, 0, 0, 2)
    }

    /// A node for `kind`, not yet in any directory (nlink counts the entry
    /// the caller is about to add).
    pub(super) fn new_child(
        fs: &Arc<Shared>,
        kind: &NewKind<'_>,
        perm: u32,
        uid: u32,
        gid: u32,
        parent: &Arc<RamNode>,
        name: &[u8],
    ) -> Arc<RamNode> {
        let (body, nlink) = match *kind {
            NewKind::File => (Body::File(RwLock::new(Vec::new())), 1),
            NewKind::Dir => (
                Body::Dir(Directory {
                    entries: RwLock::new(DirTable::new()),
                    link: Mutex::new(Some((Arc::downgrade(parent), name.to_vec()))),
                    removed: AtomicBool::new(false),
                }),
                2,
            ),
            NewKind::Symlink(target) => (Body::Symlink(target.to_vec()), 1),
            NewKind::CharDevice(rdev) => (Body::Device { kind: InodeKind::CharDevice, rdev, driver: Once::new() }, 1),
            NewKind::BlockDevice(rdev) => (Body::Device { kind: InodeKind::BlockDevice, rdev, driver: Once::new() }, 1),
            NewKind::Fifo => (Body::Fifo(Pipe::new()), 1),
            NewKind::Socket => (Body::Socket, 1),
        };
        Self::build(fs, body, perm, uid, gid, nlink)
    }

    fn build(fs: &Arc<Shared>, body: Body, perm: u32, uid: u32, gid: u32, nlink: u32) -> Arc<RamNode> {
        let now = fs.now();
        let ino = fs.next_ino.fetch_add(1, Ordering::Relaxed);
        Arc::new_cyclic(|me| RamNode {
            ino,
            fs: fs.clone(),
            me: me.clone(),
            attrs: Mutex::new(Attrs { perm: perm & 0o7777, uid, gid, nlink, atime: now, mtime: now, ctime: now }),
            body,
        })
    }

    /// The same node as a ramfs node, if it belongs to file system `fs`.
    pub(super) fn downcast(node: &Arc<dyn Inode>, fs: &Arc<Shared>) -> Result<Arc<RamNode>, Errno> {
        let any: Arc<dyn Any + Send + Sync> = node.clone();
        let ram = any.downcast::<RamNode>().map_err(|_| Errno::EXDEV)?;
        if !Arc::ptr_eq(&ram.fs, fs) {
            return Err(Errno::EXDEV);
        }
        Ok(ram)
    }

    pub(super) fn dir(&self) -> Result<&Directory, Errno> {
        match &self.body {
            Body::Dir(dir) => Ok(dir),
            _ => Err(Errno::ENOTDIR),
        }
    }

    pub(super) fn is_dir(&self) -> bool {
        matches!(self.body, Body::Dir(_))
    }

    pub(super) fn touch_modified(&self) {
        let now = self.fs.now();
        let mut a = self.attrs.lock();
        a.mtime = now;
        a.ctime = now;
    }

    pub(super) fn touch_changed(&self) {
        let now = self.fs.now();
        self.attrs.lock().ctime = now;
    }

    pub(super) fn add_links(&self, delta: i32) {
        let mut a = self.attrs.lock();
        a.nlink = a.nlink.saturating_add_signed(delta);
    }

    fn driver(&self) -> Result<&Arc<dyn Device>, Errno> {
        match &self.body {
            Body::Device { kind: InodeKind::CharDevice, rdev, driver } => {
                driver.try_call_once(|| self.fs.devices.get(*rdev).ok_or(Errno::ENXIO))
            }
            Body::Device { .. } | Body::Fifo(_) | Body::Socket => Err(Errno::ENXIO),
            _ => Err(Errno::EINVAL),
        }
    }
}

impl Inode for RamNode {
    fn metadata(&self) -> Metadata {
        let (kind, size, rdev) = match &self.body {
            Body::File(data) => (InodeKind::File, data.read().len() as u64, 0),
            // Sized like tmpfs directories: a nominal 20 bytes per entry.
            Body::Dir(dir) => (InodeKind::Dir, 20 * (dir.entries.read().len() as u64 + 2), 0),
            Body::Symlink(target) => (InodeKind::Symlink, target.len() as u64, 0),
            Body::Device { kind, rdev, .. } => (*kind, 0, *rdev),
            Body::Fifo(_) => (InodeKind::Fifo, 0, 0),
            Body::Socket => (InodeKind::Socket, 0, 0),
        };
        let a = self.attrs.lock();
        Metadata {
            nlink: a.nlink,
            uid: a.uid,
            gid: a.gid,
            size,
            blocks: if kind == InodeKind::File { size.div_ceil(512) } else { 0 },
            rdev,
            atime: a.atime,
            mtime: a.mtime,
            ctime: a.ctime,
            ..Metadata::new(self.fs.dev, self.ino, kind, a.perm)
        }
    }

    fn kind(&self) -> InodeKind {
        match &self.body {
            Body::File(_) => InodeKind::File,
            Body::Dir(_) => InodeKind::Dir,
            Body::Symlink(_) => InodeKind::Symlink,
            Body::Device { kind, .. } => *kind,
            Body::Fifo(_) => InodeKind::Fifo,
            Body::Socket => InodeKind::Socket,
        }
    }

    fn node_id(&self) -> NodeId {
        NodeId { dev: self.fs.dev, ino: self.ino }
    }

    fn set_attr(&self, attr: &SetAttr) -> Result<(), Errno> {
        let now = self.fs.now();
        let mut a = self.attrs.lock();
        if let Some(perm) = attr.perm {
            a.perm = perm & 0o7777;
        }
        if let Some(uid) = attr.uid {
            a.uid = uid;
        }
        if let Some(gid) = attr.gid {
            a.gid = gid;
        }
        let at = |change: TimeChange| match change {
            TimeChange::Now => now,
            TimeChange::At(t) => t,
        };
        if let Some(t) = attr.atime {
            a.atime = at(t);
        }
        if let Some(t) = attr.mtime {
            a.mtime = at(t);
        }
        a.ctime = now;
        Ok(())
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Ok(self.fs.statfs())
    }

    fn open(&self, flags: OpenFlags) -> Result<Option<Arc<dyn Inode>>, Errno> {
        match &self.body {
            Body::Fifo(pipe) => {
                let node: Option<Arc<dyn Inode>> = self.me.upgrade().map(|me| me as Arc<dyn Inode>);
                pipe.open_fifo(flags, node).map(Some)
            }
            Body::Device { .. } | Body::Socket => self.driver().map(|_| None),
            _ => Ok(None),
        }
    }

    fn read_at(&self, offset: u64, buf: &mut dyn WriteBuf, flags: OpenFlags) -> Result<usize, Errno> {
        match &self.body {
            Body::File(data) => super::file::read(data, offset, buf),
            Body::Dir(_) => Err(Errno::EISDIR),
            _ => self.driver()?.read(offset, buf, flags),
        }
    }

    fn write_at(&self, offset: u64, buf: &mut dyn ReadBuf, flags: OpenFlags) -> Result<usize, Errno> {
        match &self.body {
            Body::File(data) => {
                let n = super::file::write(data, offset, buf)?;
                self.touch_modified();
                Ok(n)
            }
            Body::Dir(_) => Err(Errno::EISDIR),
            _ => self.driver()?.write(offset, buf, flags),
        }
    }

    fn append(&self, buf: &mut dyn ReadBuf, flags: OpenFlags) -> Result<(usize, u64), Errno> {
        match &self.body {
            Body::File(data) => {
                let done = super::file::append(data, buf)?;
                self.touch_modified();
                Ok(done)
            }
            Body::Dir(_) => Err(Errno::EISDIR),
            _ => self.driver()?.write(0, buf, flags).map(|n| (n, 0)),
        }
    }

    fn set_len(&self, len: u64) -> Result<(), Errno> {
        match &self.body {
            Body::File(data) => {
                super::file::set_len(data, len)?;
                self.touch_modified();
                Ok(())
            }
            Body::Dir(_) => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn seekable(&self) -> bool {
        match &self.body {
            Body::Device { .. } => self.driver().map(|d| d.seekable()).unwrap_or(false),
            Body::Fifo(_) | Body::Socket => false,
            _ => true,
        }
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        match &self.body {
            Body::Device { .. } => self.driver()?.ioctl(cmd, arg),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self) -> crate::readiness::PollEvents {
        match &self.body {
            Body::Device { .. } => self.driver().map(|d| d.poll()).unwrap_or(crate::readiness::PollEvents::ALWAYS),
            _ => crate::readiness::PollEvents::READABLE | crate::readiness::PollEvents::WRITABLE,
        }
    }

    fn wait_key(&self) -> Option<u64> {
        match &self.body {
            Body::Device { .. } => self.driver().ok().and_then(|d| d.wait_key()),
            _ => None,
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        self.lookup_entry(name)
    }

    fn create(&self, name: &[u8], node: crate::vfs::NewNode<'_>) -> Result<Arc<dyn Inode>, Errno> {
        self.create_entry(name, node)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Inode>) -> Result<(), Errno> {
        self.link_entry(name, target)
    }

    fn unlink(&self, name: &[u8]) -> Result<(), Errno> {
        self.unlink_entry(name)
    }

    fn rmdir(&self, name: &[u8]) -> Result<(), Errno> {
        self.rmdir_entry(name)
    }

    fn rename(&self, old: &[u8], new_dir: &Arc<dyn Inode>, new: &[u8], flags: RenameFlags) -> Result<(), Errno> {
        self.rename_entry(old, new_dir, new, flags)
    }

    fn readdir(&self, pos: u64, sink: &mut DirSink<'_>) -> Result<(), Errno> {
        self.read_entries(pos, sink)
    }

    fn parent(&self) -> Option<(Arc<dyn Inode>, Vec<u8>)> {
        let dir = self.dir().ok()?;
        let link = dir.link.lock();
        let (parent, name) = link.as_ref()?;
        let parent: Arc<dyn Inode> = parent.upgrade()?;
        Some((parent, name.clone()))
    }

    fn is_removed(&self) -> bool {
        self.dir().is_ok_and(|d| d.removed.load(Ordering::Acquire))
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.body {
            Body::Symlink(target) => Ok(target.clone()),
            _ => Err(Errno::EINVAL),
        }
    }
}
