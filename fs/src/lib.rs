//! Ringo's files, as pure logic the host can test: the VFS (inodes, path
//! resolution, open files, descriptor tables), the file systems (ramfs, the
//! initramfs unpacker, devfs and procfs nodes) and the executable formats
//! (`binfmt`: ELF load plans and the initial user stack), which Linux also
//! keeps under fs/. Hardware and process state reach this crate only
//! through small traits the kernel implements.
#![cfg_attr(not(test), no_std)]

extern crate alloc;

mod anon;
pub mod binfmt;
pub mod budget;
pub mod cpio;
pub mod devfs;
pub mod dirent;
pub mod epoll;
pub mod eventfd;
pub mod fdtable;
pub mod pipe;
pub mod procfs;
pub mod ramfs;
pub mod readiness;
pub mod timerfd;
pub mod tty;
pub mod unix;
pub mod vfs;
