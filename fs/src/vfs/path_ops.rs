//! The path-taking system calls as operations on a [`PathContext`]: each
//! does the namei checks Linux does (which final components are allowed,
//! trailing slashes, mountpoints, cross-device), then calls the file system.
//! The kernel's handlers only copy arguments in and results out.

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{__O_TMPFILE, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_TRUNC, PATH_MAX};

use super::flags::{OpenFlags, RenameFlags};
use super::inode::{Inode, InodeKind, NewKind, NewNode, SetAttr};
use super::path::{Last, Located, Parent, PathContext, Reached, link_target_parent};

/// Owner and permission bits for nodes a call creates (perm already masked
/// by the umask).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Creation {
    pub perm: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Creation {
    pub const fn new(perm: u32, uid: u32, gid: u32) -> Self {
        Creation { perm, uid, gid }
    }
}

/// What `open_node` found or made.
pub struct OpenedNode {
    pub node: Arc<dyn Inode>,
    /// The path to show for the descriptor (/proc/self/fd/N).
    pub path: Vec<u8>,
    pub created: bool,
}

impl PathContext<'_> {
    /// The namespace half of open(2): looks up or creates the file and
    /// applies O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY and O_TRUNC. Wrap the
    /// result in an open file with `fdtable::OpenFile::new`.
    pub fn open_node(&self, path: &[u8], flags: OpenFlags, create: Creation) -> Result<OpenedNode, Errno> {
        if flags.contains(__O_TMPFILE) {
            return Err(Errno::EOPNOTSUPP);
        }
        // Linux 6.4 and later refuse the combination instead of creating a
        // regular file and then failing with ENOTDIR.
        if flags.contains(O_CREAT | O_DIRECTORY) {
            return Err(Errno::EINVAL);
        }
        let follow = !flags.contains(O_NOFOLLOW);
        let creating = flags.contains(O_CREAT) && !flags.path_only();
        let (located, created) = if creating {
            self.open_or_create(path, flags, follow, create)?
        } else {
            (self.locate(path, follow)?, false)
        };
        let node = located.node.clone();
        match node.kind() {
            InodeKind::Symlink if !flags.path_only() => return Err(Errno::ELOOP),
            InodeKind::Dir if creating || flags.writable() || (flags.contains(O_TRUNC) && !flags.path_only()) => {
                return Err(Errno::EISDIR);
            }
            kind if kind != InodeKind::Dir && flags.contains(O_DIRECTORY) => return Err(Errno::ENOTDIR),
            InodeKind::File if flags.contains(O_TRUNC) && !created && !flags.path_only() => node.set_len(0)?,
            _ => {}
        }
        let path = self.display_path(&located, path);
        Ok(OpenedNode { node, path, created })
    }

    fn open_or_create(
        &self,
        path: &[u8],
        flags: OpenFlags,
        follow: bool,
        create: Creation,
    ) -> Result<(Located, bool), Errno> {
        let mut parent = self.resolve_parent(path)?;
        let mut links = 0u32;
        loop {
            let Parent { dir, last, trailing_slash } = parent;
            let name = match last {
                Last::Name(name) if !trailing_slash => name,
                _ => return Err(Errno::EISDIR),
            };
            let node = match dir.lookup(&name) {
                Ok(node) => self.ns.cross_down(node),
                Err(Errno::ENOENT) => {
                    let node = dir.create(&name, NewNode::file(create.perm).owned_by(create.uid, create.gid))?;
                    return Ok((Located { node, reached: Reached::Entry(dir, name) }, true));
                }
                Err(e) => return Err(e),
            };
            if flags.contains(O_EXCL) {
                return Err(Errno::EEXIST);
            }
            if node.kind() != InodeKind::Symlink {
                return Ok((Located { node, reached: Reached::Entry(dir, name) }, false));
            }
            if !follow {
                return Err(Errno::ELOOP);
            }
            match link_target_parent(self, &dir, &node, &mut links)? {
                Ok(next) => parent = next,
                Err(located) => return Ok((located, false)),
            }
        }
    }

    /// mkdir(2).
    pub fn mkdir(&self, path: &[u8], create: Creation) -> Result<Arc<dyn Inode>, Errno> {
        let Parent { dir, last, .. } = self.resolve_parent(path)?;
        match last {
            Last::Name(name) => dir.create(&name, NewNode::dir(create.perm).owned_by(create.uid, create.gid)),
            _ => Err(Errno::EEXIST),
        }
    }

    /// mknod(2) for files, FIFOs, sockets and device nodes (`kind` carries
    /// the device number). Directories and symlinks have their own calls.
    pub fn mknod(&self, path: &[u8], kind: NewKind<'_>, create: Creation) -> Result<Arc<dyn Inode>, Errno> {
        if matches!(kind, NewKind::Dir | NewKind::Symlink(_)) {
            return Err(Errno::EINVAL);
        }
        let (dir, name) = self.new_entry(path)?;
        dir.create(&name, NewNode::new(kind, create.perm).owned_by(create.uid, create.gid))
    }

    /// symlink(2): creates `path` pointing at `target` (stored as given).
    pub fn symlink(&self, target: &[u8], path: &[u8], uid: u32, gid: u32) -> Result<Arc<dyn Inode>, Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let (dir, name) = self.new_entry(path)?;
        dir.create(&name, NewNode::symlink(target).owned_by(uid, gid))
    }

    /// link(2)/linkat(2): `old_path` in this context, the new name in `new`.
    /// `follow` is AT_SYMLINK_FOLLOW (linkat does not follow by default).
    pub fn link(&self, old_path: &[u8], follow: bool, new: &PathContext<'_>, new_path: &[u8]) -> Result<(), Errno> {
        let target = self.resolve(old_path, follow)?;
        if target.kind() == InodeKind::Dir {
            return Err(Errno::EPERM);
        }
        let (dir, name) = new.new_entry(new_path)?;
        if dir.node_id().dev != target.node_id().dev {
            return Err(Errno::EXDEV);
        }
        dir.link(&name, &target)
    }

    /// unlink(2).
    pub fn unlink(&self, path: &[u8]) -> Result<(), Errno> {
        let Parent { dir, last, trailing_slash } = self.resolve_parent(path)?;
        let Last::Name(name) = last else { return Err(Errno::EISDIR) };
        if trailing_slash {
            let node = dir.lookup(&name)?;
            return Err(if node.kind() == InodeKind::Dir { Errno::EISDIR } else { Errno::ENOTDIR });
        }
        dir.unlink(&name)
    }

    /// rmdir(2).
    pub fn rmdir(&self, path: &[u8]) -> Result<(), Errno> {
        let Parent { dir, last, .. } = self.resolve_parent(path)?;
        let name = match last {
            Last::Name(name) => name,
            Last::Dot => return Err(Errno::EINVAL),
            Last::DotDot => return Err(Errno::ENOTEMPTY),
            Last::Root => return Err(Errno::EBUSY),
        };
        self.refuse_mountpoint(&dir, &name)?;
        dir.rmdir(&name)
    }

    /// rename(2)/renameat2(2): `old_path` in this context, `new_path` in `new`.
    pub fn rename(
        &self,
        old_path: &[u8],
        new: &PathContext<'_>,
        new_path: &[u8],
        flags: RenameFlags,
    ) -> Result<(), Errno> {
        let old = self.resolve_parent(old_path)?;
        let newp = new.resolve_parent(new_path)?;
        let Last::Name(old_name) = old.last else { return Err(Errno::EBUSY) };
        let Last::Name(new_name) = newp.last else {
            return Err(if flags.noreplace() { Errno::EEXIST } else { Errno::EBUSY });
        };
        let source = old.dir.lookup(&old_name)?;
        if (old.trailing_slash || newp.trailing_slash) && source.kind() != InodeKind::Dir {
            return Err(Errno::ENOTDIR);
        }
        if old.dir.node_id().dev != newp.dir.node_id().dev {
            return Err(Errno::EXDEV);
        }
        self.refuse_mountpoint(&old.dir, &old_name)?;
        new.refuse_mountpoint(&newp.dir, &new_name)?;
        old.dir.rename(&old_name, &newp.dir, &new_name, flags)
    }

    /// readlink(2).
    pub fn readlink(&self, path: &[u8]) -> Result<Vec<u8>, Errno> {
        let node = self.resolve(path, false)?;
        if node.kind() != InodeKind::Symlink {
            return Err(Errno::EINVAL);
        }
        node.readlink()
    }

    /// truncate(2).
    pub fn truncate(&self, path: &[u8], len: i64) -> Result<(), Errno> {
        let len = u64::try_from(len).map_err(|_| Errno::EINVAL)?;
        let node = self.resolve(path, true)?;
        match node.kind() {
            InodeKind::Dir => Err(Errno::EISDIR),
            InodeKind::File => node.set_len(len),
            _ => Err(Errno::EINVAL),
        }
    }

    /// chmod/chown/utimensat on a path.
    pub fn set_attr(&self, path: &[u8], follow: bool, attr: &SetAttr) -> Result<(), Errno> {
        self.resolve(path, follow)?.set_attr(attr)
    }

    /// chdir(2)/chroot(2): the directory to switch to.
    pub fn directory(&self, path: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let node = self.resolve(path, true)?;
        if node.kind() != InodeKind::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(node)
    }

    /// The parent and name for a new non-directory entry: EEXIST when the
    /// final component is `.`, `..` or `/`; a trailing slash is EEXIST if
    /// the name exists and ENOENT if not, as filename_create does.
    fn new_entry(&self, path: &[u8]) -> Result<(Arc<dyn Inode>, Vec<u8>), Errno> {
        let Parent { dir, last, trailing_slash } = self.resolve_parent(path)?;
        let Last::Name(name) = last else { return Err(Errno::EEXIST) };
        if trailing_slash {
            return Err(match dir.lookup(&name) {
                Ok(_) => Errno::EEXIST,
                Err(Errno::ENOENT) => Errno::ENOENT,
                Err(e) => e,
            });
        }
        Ok((dir, name))
    }

    fn refuse_mountpoint(&self, dir: &Arc<dyn Inode>, name: &[u8]) -> Result<(), Errno> {
        match dir.lookup(name) {
            Ok(node) if self.ns.is_mountpoint(node.node_id()) => Err(Errno::EBUSY),
            _ => Ok(()),
        }
    }
}
