//! Unpacking into a directory tree, the way Linux's init/initramfs.c does:
//! missing parents are made, an existing entry of another type is replaced,
//! hard links (newc: same ino and nlink > 1) share one inode whose data may
//! come with any of the names, and directory mtimes are set last (adding
//! children would otherwise change them).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::makedev;

use super::error::{CpioError, CpioErrorKind};
use super::reader::{Entry, entries};
use crate::vfs::{
    Inode, InodeKind, Namespace, NewKind, NewNode, OpenFlags, PathContext, SetAttr, TimeChange, Timespec,
};

/// What an unpack made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnpackSummary {
    pub entries: usize,
    pub files: usize,
    pub dirs: usize,
    pub symlinks: usize,
    pub hard_links: usize,
    pub nodes: usize,
    pub bytes: u64,
}

/// Identifies the inode behind hard links: (dev major, dev minor, ino, mode).
type LinkKey = (u32, u32, u32, u32);

/// The bytes an unpack of `archive` stores: the data of its regular files
/// and symlinks (hard links' data counted once, as it is stored once). The
/// kernel compares it with free memory before it unpacks, so that an
/// image too big for the machine is one clear message, not a root file
/// system that runs out of memory halfway.
pub fn data_bytes(archive: &[u8]) -> Result<u64, CpioError> {
    let mut total = 0u64;
    for entry in entries(archive) {
        total = total.saturating_add(entry?.data.len() as u64);
    }
    Ok(total)
}

/// Unpacks `archive` under `root`.
pub fn unpack(archive: &[u8], root: &Arc<dyn Inode>) -> Result<UnpackSummary, CpioError> {
    let ns = Namespace::new(root.clone());
    let mut summary = UnpackSummary::default();
    let mut links: BTreeMap<LinkKey, Arc<dyn Inode>> = BTreeMap::new();
    let mut dir_times: Vec<(Arc<dyn Inode>, u32)> = Vec::new();
    for entry in entries(archive) {
        let entry = entry?;
        let fail = |op: &'static str, errno: Errno| {
            CpioError::new(entry.index, entry.offset, CpioErrorKind::Fs { op, errno }).named(entry.name)
        };
        let kind = InodeKind::from_mode(entry.mode)
            .ok_or_else(|| CpioError::new(entry.index, entry.offset, CpioErrorKind::UnknownType(entry.mode)))
            .map_err(|e| e.named(entry.name))?;
        let place = place(&ns, root, entry.name).map_err(|e| fail("making parent directories", e))?;
        let node = match place {
            // "." or "/": the root itself.
            None => {
                if kind == InodeKind::Dir {
                    apply_attrs(root, &entry).map_err(|e| fail("chmod", e))?;
                    dir_times.push((root.clone(), entry.mtime));
                }
                summary.entries += 1;
                continue;
            }
            Some((dir, name)) => make(&dir, &name, kind, &entry, &mut links, &mut summary)?,
        };
        if kind == InodeKind::Dir {
            dir_times.push((node, entry.mtime));
        }
        summary.entries += 1;
    }
    for (dir, mtime) in dir_times {
        let t = TimeChange::At(Timespec::new(mtime as i64, 0));
        // A directory replaced later in the archive may be gone; its time no longer matters.
        let _ = dir.set_attr(&SetAttr { mtime: Some(t), atime: Some(t), ..SetAttr::default() });
    }
    Ok(summary)
}

/// Makes the parents of `name` as needed.
/// The directory an entry goes in and its name there; `None` for the root.
type Placement = Option<(Arc<dyn Inode>, Vec<u8>)>;

fn place(ns: &Namespace, root: &Arc<dyn Inode>, name: &[u8]) -> Result<Placement, Errno> {
    let parts: Vec<&[u8]> = name.split(|&b| b == b'/').filter(|p| !p.is_empty() && *p != b".").collect();
    let Some((last, dirs)) = parts.split_last() else { return Ok(None) };
    let mut dir = root.clone();
    for part in dirs {
        let ctx = PathContext::new(ns, root, &dir);
        dir = match ctx.resolve(part, true) {
            Ok(next) if next.kind() == InodeKind::Dir => next,
            Ok(_) => return Err(Errno::ENOTDIR),
            Err(Errno::ENOENT) => dir.create(part, NewNode::dir(0o755))?,
            Err(e) => return Err(e),
        };
    }
    // An entry cannot be called "..": that name always exists.
    if *last == b".." {
        return Err(Errno::EINVAL);
    }
    Ok(Some((dir, last.to_vec())))
}

/// Clears the way for a new entry `name`: an existing directory stays if the
/// new entry is one too; anything else there is removed.
fn clear(dir: &Arc<dyn Inode>, name: &[u8], new_is_dir: bool) -> Result<Option<Arc<dyn Inode>>, Errno> {
    let existing = match dir.lookup(name) {
        Ok(node) => node,
        Err(Errno::ENOENT) => return Ok(None),
        Err(e) => return Err(e),
    };
    match (existing.kind() == InodeKind::Dir, new_is_dir) {
        (true, true) => Ok(Some(existing)),
        (true, false) => dir.rmdir(name).map(|_| None),
        (false, _) => dir.unlink(name).map(|_| None),
    }
}

fn apply_attrs(node: &Arc<dyn Inode>, entry: &Entry<'_>) -> Result<(), Errno> {
    let t = TimeChange::At(Timespec::new(entry.mtime as i64, 0));
    node.set_attr(&SetAttr {
        perm: (node.kind() != InodeKind::Symlink).then_some(entry.mode & 0o7777),
        uid: Some(entry.uid),
        gid: Some(entry.gid),
        atime: Some(t),
        mtime: Some(t),
    })
}

fn write_data(node: &Arc<dyn Inode>, data: &[u8]) -> Result<(), Errno> {
    node.set_len(0)?;
    let mut src: &[u8] = data;
    let mut at = 0u64;
    while !src.is_empty() {
        let n = node.write_at(at, &mut src, OpenFlags::default())?;
        if n == 0 {
            return Err(Errno::EIO);
        }
        at += n as u64;
    }
    Ok(())
}

fn make(
    dir: &Arc<dyn Inode>,
    name: &[u8],
    kind: InodeKind,
    entry: &Entry<'_>,
    links: &mut BTreeMap<LinkKey, Arc<dyn Inode>>,
    summary: &mut UnpackSummary,
) -> Result<Arc<dyn Inode>, CpioError> {
    let fail = |op: &'static str, errno: Errno| {
        CpioError::new(entry.index, entry.offset, CpioErrorKind::Fs { op, errno }).named(entry.name)
    };
    let existing = clear(dir, name, kind == InodeKind::Dir).map_err(|e| fail("replacing an existing entry", e))?;
    let (uid, gid) = (entry.uid, entry.gid);
    let perm = entry.mode & 0o7777;
    let node = match kind {
        InodeKind::Dir => {
            summary.dirs += 1;
            match existing {
                Some(node) => node,
                None => dir.create(name, NewNode::dir(perm).owned_by(uid, gid)).map_err(|e| fail("mkdir", e))?,
            }
        }
        InodeKind::File => {
            let key = (entry.dev_major, entry.dev_minor, entry.ino, entry.mode);
            let earlier = if entry.nlink >= 2 { links.get(&key).cloned() } else { None };
            let node = match earlier {
                Some(node) => {
                    dir.link(name, &node).map_err(|e| fail("link", e))?;
                    summary.hard_links += 1;
                    node
                }
                None => {
                    summary.files += 1;
                    let node =
                        dir.create(name, NewNode::file(perm).owned_by(uid, gid)).map_err(|e| fail("create", e))?;
                    if entry.nlink >= 2 {
                        links.insert(key, node.clone());
                    }
                    node
                }
            };
            if !entry.data.is_empty() {
                write_data(&node, entry.data).map_err(|e| fail("write", e))?;
                summary.bytes += entry.data.len() as u64;
            }
            node
        }
        InodeKind::Symlink => {
            summary.symlinks += 1;
            dir.create(name, NewNode::symlink(entry.data).owned_by(uid, gid)).map_err(|e| fail("symlink", e))?
        }
        InodeKind::CharDevice | InodeKind::BlockDevice | InodeKind::Fifo | InodeKind::Socket => {
            summary.nodes += 1;
            let rdev = makedev(entry.rdev_major, entry.rdev_minor);
            let new_kind = match kind {
                InodeKind::CharDevice => NewKind::CharDevice(rdev),
                InodeKind::BlockDevice => NewKind::BlockDevice(rdev),
                InodeKind::Fifo => NewKind::Fifo,
                _ => NewKind::Socket,
            };
            dir.create(name, NewNode::new(new_kind, perm).owned_by(uid, gid)).map_err(|e| fail("mknod", e))?
        }
        InodeKind::Anonymous => return Err(fail("create", Errno::EINVAL)),
    };
    apply_attrs(&node, entry).map_err(|e| fail("chmod", e))?;
    Ok(node)
}
