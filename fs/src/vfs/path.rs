//! Path resolution: turning a path into an inode the way Linux's namei does
//! (`.`, `..` that stops at the process root and climbs out of mounts,
//! repeated and trailing slashes, symlinks up to 40 per walk), and the
//! reverse, a directory's path for getcwd.

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{MAXSYMLINKS, PATH_MAX};

use super::inode::{Inode, InodeKind, same_inode};
use super::mount::Namespace;
use super::name::check_lookup_name;

/// Where a walk starts: the namespace, the process root (`/`, chroot) and
/// the directory relative paths start from (the cwd, or an `*at` call's
/// dirfd directory).
#[derive(Clone, Copy)]
pub struct PathContext<'a> {
    pub ns: &'a Namespace,
    pub root: &'a Arc<dyn Inode>,
    pub cwd: &'a Arc<dyn Inode>,
}

/// The final component of a path, as the creating and removing calls see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Last {
    Name(Vec<u8>),
    /// `.` (or a path that is only the start directory).
    Dot,
    DotDot,
    /// `/`, `//`...
    Root,
}

/// A path split into the directory that holds its final component and that
/// component.
pub struct Parent {
    pub dir: Arc<dyn Inode>,
    pub last: Last,
    /// The path ended in `/`: the final component must be a directory.
    pub trailing_slash: bool,
}

/// How a resolved node was reached, for naming it later (/proc/self/fd).
pub enum Reached {
    /// Through an entry `name` of directory `dir`.
    Entry(Arc<dyn Inode>, Vec<u8>),
    /// Through a magic link that names it with this text.
    Magic(Vec<u8>),
    /// The walk ended on a directory it did not look up by name (`/`, `.`, `..`).
    Itself,
}

pub struct Located {
    pub node: Arc<dyn Inode>,
    pub reached: Reached,
}

impl<'a> PathContext<'a> {
    pub fn new(ns: &'a Namespace, root: &'a Arc<dyn Inode>, cwd: &'a Arc<dyn Inode>) -> Self {
        PathContext { ns, root, cwd }
    }

    /// The same context with relative paths starting at `dir`.
    pub fn at(&self, dir: &'a Arc<dyn Inode>) -> Self {
        PathContext { cwd: dir, ..*self }
    }

    /// Resolves `path`; a final symlink is followed when `follow` (or when
    /// the path ends in `/`).
    pub fn resolve(&self, path: &[u8], follow: bool) -> Result<Arc<dyn Inode>, Errno> {
        Ok(self.locate(path, follow)?.node)
    }

    /// Like [`Self::resolve`], also saying how the node was reached.
    pub fn locate(&self, path: &[u8], follow: bool) -> Result<Located, Errno> {
        let mut walk = Walk { ctx: self, links: 0 };
        walk.resolve_from(self.cwd.clone(), path, follow)
    }

    /// Resolves all but the final component of `path`.
    pub fn resolve_parent(&self, path: &[u8]) -> Result<Parent, Errno> {
        let mut walk = Walk { ctx: self, links: 0 };
        walk.parent_of(self.cwd.clone(), path)
    }

    /// The absolute path of directory `dir` as seen from this context's root
    /// (getcwd). ENOENT for a removed directory or one outside the root.
    pub fn path_of(&self, dir: &Arc<dyn Inode>) -> Result<Vec<u8>, Errno> {
        if dir.kind() != InodeKind::Dir {
            return Err(Errno::ENOTDIR);
        }
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut cur = dir.clone();
        let mut steps = 0usize;
        loop {
            if same_inode(&*cur, &**self.root) {
                break;
            }
            if let Some(point) = self.ns.mountpoint_of(cur.node_id()) {
                cur = point;
                continue;
            }
            let (parent, name) = cur.parent().ok_or(Errno::ENOENT)?;
            names.push(name);
            cur = parent;
            steps += 1;
            // A directory tree deeper than any path could name is corrupt.
            if steps > PATH_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
        }
        let mut out = Vec::new();
        for name in names.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(name);
        }
        if out.is_empty() {
            out.push(b'/');
        }
        Ok(out)
    }

    /// A printable path for a located node (the text behind /proc/self/fd/N).
    /// Falls back to `given` when the node cannot be named from the root.
    pub fn display_path(&self, located: &Located, given: &[u8]) -> Vec<u8> {
        let named = match &located.reached {
            Reached::Entry(dir, name) => self.path_of(dir).map(|mut p| {
                if p != b"/" {
                    p.push(b'/');
                }
                p.extend_from_slice(name);
                p
            }),
            Reached::Magic(text) => Ok(text.clone()),
            Reached::Itself => self.path_of(&located.node),
        };
        named.unwrap_or_else(|_| given.to_vec())
    }

    /// The directory `..` leads to from `dir`.
    pub fn dotdot(&self, dir: &Arc<dyn Inode>) -> Arc<dyn Inode> {
        let mut cur = dir.clone();
        loop {
            if same_inode(&*cur, &**self.root) {
                return cur;
            }
            if let Some(point) = self.ns.mountpoint_of(cur.node_id()) {
                cur = point;
                continue;
            }
            return match cur.parent() {
                Some((parent, _)) => parent,
                None => cur,
            };
        }
    }
}

/// Checks the whole path and splits off leading slashes.
fn check_path(path: &[u8]) -> Result<(), Errno> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// One lookup, carrying the symlink budget through nested link targets.
struct Walk<'c, 'a> {
    ctx: &'c PathContext<'a>,
    links: u32,
}

impl Walk<'_, '_> {
    fn parent_of(&mut self, start: Arc<dyn Inode>, path: &[u8]) -> Result<Parent, Errno> {
        check_path(path)?;
        let absolute = path[0] == b'/';
        let mut dir = if absolute { self.ctx.root.clone() } else { start };
        let trailing_slash = path.len() > 1 && path[path.len() - 1] == b'/';
        let mut parts = path.split(|&b| b == b'/').filter(|c| !c.is_empty()).peekable();
        let mut last = if absolute { Last::Root } else { Last::Dot };
        while let Some(part) = parts.next() {
            check_lookup_name(part)?;
            if dir.kind() != InodeKind::Dir {
                return Err(Errno::ENOTDIR);
            }
            if parts.peek().is_none() {
                last = match part {
                    b"." => Last::Dot,
                    b".." => Last::DotDot,
                    name => Last::Name(name.to_vec()),
                };
                break;
            }
            dir = match part {
                b"." => dir,
                b".." => self.ctx.dotdot(&dir),
                name => self.step(&dir, name, true)?.node,
            };
        }
        if dir.kind() != InodeKind::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(Parent { dir, last, trailing_slash })
    }

    fn resolve_from(&mut self, start: Arc<dyn Inode>, path: &[u8], follow: bool) -> Result<Located, Errno> {
        let Parent { dir, last, trailing_slash } = self.parent_of(start, path)?;
        let located = match last {
            Last::Root | Last::Dot => Located { node: dir, reached: Reached::Itself },
            Last::DotDot => Located { node: self.ctx.dotdot(&dir), reached: Reached::Itself },
            Last::Name(name) => self.step(&dir, &name, follow || trailing_slash)?,
        };
        if trailing_slash && located.node.kind() != InodeKind::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(located)
    }

    /// Looks `name` up in `dir`, crosses mounts and, when `follow`, symlinks.
    fn step(&mut self, dir: &Arc<dyn Inode>, name: &[u8], follow: bool) -> Result<Located, Errno> {
        let node = self.ctx.ns.cross_down(dir.lookup(name)?);
        if !follow || node.kind() != InodeKind::Symlink {
            return Ok(Located { node, reached: Reached::Entry(dir.clone(), name.to_vec()) });
        }
        self.follow_link(dir, &node)
    }

    /// Resolves the target of symlink `link`, found in `dir`.
    fn follow_link(&mut self, dir: &Arc<dyn Inode>, link: &Arc<dyn Inode>) -> Result<Located, Errno> {
        self.count_link()?;
        if let Some(target) = link.magic_target() {
            let node = target?;
            let text = link.readlink().unwrap_or_default();
            return Ok(Located { node, reached: Reached::Magic(text) });
        }
        let target = link.readlink()?;
        self.resolve_from(dir.clone(), &target, true)
    }

    fn count_link(&mut self) -> Result<(), Errno> {
        if self.links >= MAXSYMLINKS {
            return Err(Errno::ELOOP);
        }
        self.links += 1;
        Ok(())
    }
}

/// Follows a symlink met during an O_CREAT open, where a missing final
/// target is created rather than reported (the split is the caller's).
pub(super) fn link_target_parent(
    ctx: &PathContext<'_>,
    dir: &Arc<dyn Inode>,
    link: &Arc<dyn Inode>,
    links: &mut u32,
) -> Result<Result<Parent, Located>, Errno> {
    let mut walk = Walk { ctx, links: *links };
    walk.count_link()?;
    if let Some(target) = link.magic_target() {
        let node = target?;
        let text = link.readlink().unwrap_or_default();
        *links = walk.links;
        return Ok(Err(Located { node, reached: Reached::Magic(text) }));
    }
    let target = link.readlink()?;
    let parent = walk.parent_of(dir.clone(), &target)?;
    *links = walk.links;
    Ok(Ok(parent))
}
