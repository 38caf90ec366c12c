//! `ringo.strace`: every syscall as `[pid] name(args) = result`, decoded by
//! the syscalls crate's formatter. The call is printed when it returns, so
//! lines do not interleave with the program's own output; calls that never
//! return (exit) print `= ?` first, as strace does.

use alloc::string::String;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::uaccess;

static ENABLED: AtomicBool = AtomicBool::new(false);

pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

struct Memory;

impl ringo_syscalls::strace::UserMemory for Memory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        uaccess::copy_from_user(buf, addr)
    }
}

/// The decoded call of each thread inside a syscall, printed with its
/// result (threads block and run on several CPUs in between).
static PENDING: crate::sync::Mutex<alloc::collections::BTreeMap<u32, String>> =
    crate::sync::Mutex::new(alloc::collections::BTreeMap::new());

const EXIT: u64 = 60;
const EXIT_GROUP: u64 = 231;

pub fn before(nr: u64, args: &[u64; 6]) {
    let pid = crate::process::current().pid;
    let mut s = String::new();
    let _ = write!(s, "[{pid}] ");
    let _ = ringo_syscalls::strace::format_call(&mut s, nr, *args, &Memory);
    if nr == EXIT || nr == EXIT_GROUP {
        crate::println!("{s} = ?");
    }
    PENDING.lock().insert(pid, s);
}

pub fn after(nr: u64, ret: i64) {
    let pid = crate::process::current().pid;
    let Some(mut s) = PENDING.lock().remove(&pid) else { return };
    let _ = ringo_syscalls::strace::format_result(&mut s, nr, ret);
    crate::println!("{s}");
}
