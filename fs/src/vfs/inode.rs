//! The inode abstraction every file system implements, and the plain data
//! that crosses it (metadata, new-node requests, attribute changes,
//! directory entries).

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use ringo_uapi::Errno;
use ringo_uapi::fs::{
    DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK, DT_REG, DT_SOCK, DT_UNKNOWN, S_IALLUGO, S_IFBLK, S_IFCHR, S_IFDIR,
    S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, Statfs,
};

use super::buf::{ReadBuf, WriteBuf};
use super::flags::{OpenFlags, RenameFlags};
use super::time::{TimeChange, Timespec};
use crate::readiness::PollEvents;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InodeKind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    /// Objects with no name and no type bits (Linux's anon inodes: epoll, eventfd).
    Anonymous,
}

impl InodeKind {
    /// The S_IFMT bits of a mode.
    pub const fn type_bits(self) -> u32 {
        match self {
            InodeKind::File => S_IFREG,
            InodeKind::Dir => S_IFDIR,
            InodeKind::Symlink => S_IFLNK,
            InodeKind::CharDevice => S_IFCHR,
            InodeKind::BlockDevice => S_IFBLK,
            InodeKind::Fifo => S_IFIFO,
            InodeKind::Socket => S_IFSOCK,
            InodeKind::Anonymous => 0,
        }
    }

    pub const fn from_mode(mode: u32) -> Option<InodeKind> {
        Some(match mode & S_IFMT {
            S_IFREG => InodeKind::File,
            S_IFDIR => InodeKind::Dir,
            S_IFLNK => InodeKind::Symlink,
            S_IFCHR => InodeKind::CharDevice,
            S_IFBLK => InodeKind::BlockDevice,
            S_IFIFO => InodeKind::Fifo,
            S_IFSOCK => InodeKind::Socket,
            _ => return None,
        })
    }

    /// The `d_type` of a getdents64 record.
    pub const fn dirent_type(self) -> u8 {
        match self {
            InodeKind::File => DT_REG,
            InodeKind::Dir => DT_DIR,
            InodeKind::Symlink => DT_LNK,
            InodeKind::CharDevice => DT_CHR,
            InodeKind::BlockDevice => DT_BLK,
            InodeKind::Fifo => DT_FIFO,
            InodeKind::Socket => DT_SOCK,
            InodeKind::Anonymous => DT_UNKNOWN,
        }
    }
}

/// What identifies an inode across the system: its file system's device
/// number and its number within that file system (st_dev, st_ino).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    pub dev: u64,
    pub ino: u64,
}

/// Everything stat reports about an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub dev: u64,
    pub ino: u64,
    pub kind: InodeKind,
    /// Permission bits, including setuid/setgid/sticky (mode & 07777).
    pub perm: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// 512-byte blocks in use.
    pub blocks: u64,
    pub blksize: u32,
    /// The device a device node stands for.
    pub rdev: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Metadata {
    /// A blank record for `kind`, to fill in with struct update syntax.
    pub const fn new(dev: u64, ino: u64, kind: InodeKind, perm: u32) -> Self {
        Metadata {
            dev,
            ino,
            kind,
            perm: perm & S_IALLUGO,
            nlink: 1,
            uid: 0,
            gid: 0,
            size: 0,
            blocks: 0,
            blksize: 4096,
            rdev: 0,
            atime: Timespec::ZERO,
            mtime: Timespec::ZERO,
            ctime: Timespec::ZERO,
        }
    }

    /// st_mode: type bits and permission bits.
    pub const fn mode(&self) -> u32 {
        self.kind.type_bits() | (self.perm & S_IALLUGO)
    }

    pub const fn id(&self) -> NodeId {
        NodeId { dev: self.dev, ino: self.ino }
    }
}

/// What a directory's `create` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewKind<'a> {
    File,
    Dir,
    Symlink(&'a [u8]),
    CharDevice(u64),
    BlockDevice(u64),
    Fifo,
    Socket,
}

/// A request to create a directory entry: kind, permission bits (already
/// masked by the caller's umask) and owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewNode<'a> {
    pub kind: NewKind<'a>,
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
}

impl<'a> NewNode<'a> {
    pub const fn new(kind: NewKind<'a>, perm: u32) -> Self {
        NewNode { kind, perm: perm & S_IALLUGO, uid: 0, gid: 0 }
    }

    pub const fn file(perm: u32) -> Self {
        Self::new(NewKind::File, perm)
    }

    pub const fn dir(perm: u32) -> Self {
        Self::new(NewKind::Dir, perm)
    }

    /// Symlinks are always 0777, as on Linux.
    pub const fn symlink(target: &'a [u8]) -> Self {
        Self::new(NewKind::Symlink(target), 0o777)
    }

    pub const fn owned_by(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }
}

/// chmod/chown/utimensat changes; `None` leaves a field alone. The ctime is
/// always bumped by a successful change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub perm: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub atime: Option<TimeChange>,
    pub mtime: Option<TimeChange>,
}

/// One directory entry as `readdir` produces it. `next` is the position to
/// resume after this entry (getdents64's `d_off`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry<'a> {
    pub name: &'a [u8],
    pub ino: u64,
    pub kind: InodeKind,
    pub next: u64,
}

/// Receives directory entries; returns false to stop (that entry is then not
/// consumed and the next `readdir` starts with it).
pub type DirSink<'s> = dyn FnMut(DirEntry<'_>) -> bool + 's;

/// A file-system object: regular file, directory, symlink, device node, or
/// an unnamed object (pipe end, socket, epoll) that descriptors refer to.
///
/// Every method but `metadata` has a default that answers the way Linux does
/// for an object that lacks the operation, so a file system implements only
/// what its objects support. Names passed to directory methods are single
/// components, already checked by the path layer (see [`super::name`]).
pub trait Inode: Any + Send + Sync {
    fn metadata(&self) -> Metadata;

    /// Cheaper than `metadata` where it matters (path walks ask at each step).
    fn kind(&self) -> InodeKind {
        self.metadata().kind
    }

    fn node_id(&self) -> NodeId {
        self.metadata().id()
    }

    fn set_attr(&self, _attr: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }

    fn statfs(&self) -> Result<Statfs, Errno> {
        Err(Errno::ENOSYS)
    }

    /// Called when a descriptor is opened on this inode. An inode whose open
    /// files need their own state (a procfs snapshot, a FIFO's pipe end)
    /// returns the object that descriptor's I/O goes to; `None` means I/O goes
    /// to this inode. Errors fail the open (ENXIO for a device with no driver).
    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn Inode>>, Errno> {
        Ok(None)
    }

    /// Reads at `offset` into `buf`; returns the count (0 at end of file).
    /// `flags` are the open file's status flags (O_NONBLOCK for streams).
    fn read_at(&self, _offset: u64, _buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn write_at(&self, _offset: u64, _buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// O_APPEND write: returns the count and the new end of file. File
    /// systems override this to make finding the end and writing one step.
    fn append(&self, buf: &mut dyn ReadBuf, flags: OpenFlags) -> Result<(usize, u64), Errno> {
        let end = self.metadata().size;
        let n = self.write_at(end, buf, flags)?;
        Ok((n, end + n as u64))
    }

    /// truncate/ftruncate.
    fn set_len(&self, _len: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// Streams (consoles, pipes, sockets) are not: lseek, pread and pwrite
    /// on them are ESPIPE and reads ignore the offset.
    fn seekable(&self) -> bool {
        true
    }

    fn ioctl(&self, _cmd: u32, _arg: usize) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }

    /// What reads and writes would do now without waiting (poll, select,
    /// epoll). Objects that never make a caller wait are always ready, as
    /// Linux's DEFAULT_POLLMASK says for regular files.
    fn poll(&self) -> PollEvents {
        PollEvents::READABLE | PollEvents::WRITABLE
    }

    /// The key this object passes to [`crate::readiness::wake`] when its
    /// readiness changes; the kernel sleeps on it after an EAGAIN. `None`:
    /// the object never changes readiness, so there is nothing to wait for.
    fn wait_key(&self) -> Option<u64> {
        None
    }

    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Creates `name`; EEXIST if it exists (whatever it is).
    fn create(&self, _name: &[u8], _node: NewNode<'_>) -> Result<Arc<dyn Inode>, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Adds a hard link `name` to `target` (EXDEV from another file system,
    /// EPERM for a directory).
    fn link(&self, _name: &[u8], _target: &Arc<dyn Inode>) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Removes a non-directory entry (EISDIR for a directory).
    fn unlink(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Removes an empty directory (ENOTDIR, ENOTEMPTY).
    fn rmdir(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Moves `old` in this directory to `new` in `new_dir` with renameat2
    /// semantics: replaces a compatible target unless NOREPLACE, swaps with
    /// EXCHANGE, EXDEV across file systems, EINVAL into its own subtree.
    fn rename(&self, _old: &[u8], _new_dir: &Arc<dyn Inode>, _new: &[u8], _flags: RenameFlags) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// Feeds entries from position `pos` (0 starts with `.` and `..`) to
    /// `sink` until it refuses one or the directory ends.
    fn readdir(&self, _pos: u64, _sink: &mut DirSink<'_>) -> Result<(), Errno> {
        Err(Errno::ENOTDIR)
    }

    /// For a directory: the directory containing it and its name there.
    /// `None` for the root of a file system and for a removed directory.
    fn parent(&self) -> Option<(Arc<dyn Inode>, Vec<u8>)> {
        None
    }

    /// A directory that was removed while still in use (its cwd users get
    /// ENOENT from getcwd, creations in it fail with ENOENT).
    fn is_removed(&self) -> bool {
        false
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }

    /// Links that lead to an object rather than a path (/proc/self/fd/N,
    /// /proc/self/exe): the path walk jumps straight to it.
    fn magic_target(&self) -> Option<Result<Arc<dyn Inode>, Errno>> {
        None
    }
}

/// Identity of two inode handles (same file system and inode number).
pub fn same_inode(a: &dyn Inode, b: &dyn Inode) -> bool {
    a.node_id() == b.node_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_mode_bits() {
        for kind in [
            InodeKind::File,
            InodeKind::Dir,
            InodeKind::Symlink,
            InodeKind::CharDevice,
            InodeKind::BlockDevice,
            InodeKind::Fifo,
            InodeKind::Socket,
        ] {
            assert_eq!(InodeKind::from_mode(kind.type_bits() | 0o644), Some(kind));
        }
        assert_eq!(InodeKind::from_mode(0o644), None);
        assert_eq!(InodeKind::Dir.dirent_type(), DT_DIR);
        assert_eq!(InodeKind::Anonymous.dirent_type(), DT_UNKNOWN);
    }

    #[test]
    fn mode_combines_type_and_permissions() {
        let m = Metadata::new(1, 2, InodeKind::File, 0o104755);
        assert_eq!(m.perm, 0o4755);
        assert_eq!(m.mode(), 0o104755);
        assert_eq!(Metadata::new(1, 2, InodeKind::Dir, 0o755).mode(), 0o40755);
    }
}
