//! The virtual file system: the [`Inode`] trait file systems implement, the
//! buffers I/O moves bytes through, device drivers, the mount table, path
//! resolution and the path-taking calls built on it, and stat conversion.

mod buf;
mod device;
mod flags;
mod inode;
mod mount;
pub mod name;
mod path;
mod path_ops;
mod stat;
mod time;

pub use buf::{ReadBuf, WriteBuf, read_to_vec};
pub use device::{Device, DeviceRegistry, alloc_anon_dev};
pub use flags::{OpenFlags, RenameFlags};
pub use inode::{DirEntry, DirSink, Inode, InodeKind, Metadata, NewKind, NewNode, NodeId, SetAttr, same_inode};
pub use mount::Namespace;
pub use path::{Last, Located, Parent, PathContext, Reached};
pub use path_ops::{Creation, OpenedNode};
pub use stat::{to_stat, to_statx};
pub use time::{Clock, TimeChange, Timespec, epoch_clock};

#[cfg(test)]
mod path_tests;
#[cfg(test)]
pub(crate) mod test_support;
