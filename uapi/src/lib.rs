//! The Linux x86-64 user ABI: the numbers and structure layouts a static
//! Linux binary expects, shared by every part of the kernel that speaks it.
//! Values are Linux's own (asm-generic and x86 headers); tests compare them
//! with Debian's linux-libc-dev where the headers exist.
#![cfg_attr(not(any(test, feature = "linux-headers")), no_std)]

/// ELF auxiliary vector tags.
pub mod auxv;
pub mod errno;
/// epoll, eventfd and timerfd flags and structures.
pub mod events;
/// Files: open/fcntl/at flags, stat, statx, statfs, dirent64, seek.
pub mod fs;
/// Memory: mmap protections and flags, madvise, mremap.
pub mod mm;

pub mod net;
/// Signal numbers.
pub mod signal;
/// Signal delivery: siginfo, the rt_sigframe, default actions, wait statuses.
pub mod signal_frame;
/// uname, sysinfo, rlimit, rusage.
pub mod system;
/// Clocks and time structures.
pub mod time;
/// Terminal ioctls, termios, winsize.
pub mod tty;

#[cfg(any(test, feature = "linux-headers"))]
pub mod linux_headers;

pub use errno::{Errno, SysResult, to_ret};
