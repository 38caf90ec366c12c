//! System call dispatch. One table, generated from syscalls/syscall_64.tbl:
//! its in-memory form is the HP-mode vtable layout (`{u64 count;
//! entries[count]}`), each entry a System V function of six `u64`
//! arguments returning the value or `-errno`. The `syscall` instruction and
//! `int 0x80` both come here; `-errno` is made in one place
//! (`ringo_uapi::to_ret`, inside each entry).

mod args;
mod entries;
mod events;
mod fs;
mod futex;
mod lifecycle;
mod memory;
mod net;
mod process;
mod signal;
mod strace;
mod system;
mod time;

pub use args::{Fd, Pod, UserAddr};
pub use futex::{exit_robust_list, futex_wake};
pub use lifecycle::vfork_key;
pub use strace::{enable as enable_strace, enabled as strace_enabled};

use crate::arch::trap::TrapFrame;
use ringo_uapi::Errno;

/// The open file behind descriptor `fd` of the running process.
fn file(fd: Fd) -> Result<alloc::sync::Arc<ringo_fs::fdtable::OpenFile>, Errno> {
    crate::process::current_ref().ok_or(Errno::EBADF)?.files.lock().table.get(fd.0)
}

/// Gives `file` the lowest free descriptor; returns it.
fn install(file: alloc::sync::Arc<ringo_fs::fdtable::OpenFile>, cloexec: bool) -> ringo_uapi::SysResult {
    crate::process::current().files.lock().table.insert(file, cloexec).map(|fd| fd as usize)
}

pub type Entry = extern "C" fn(u64, u64, u64, u64, u64, u64) -> i64;

/// The table (contract: the HP vtable layout).
#[repr(C)]
pub struct SyscallTable {
    pub count: u64,
    pub entries: [Option<Entry>; ringo_syscalls::COUNT],
}

macro_rules! build_table {
    ($(($nr:literal, $name:ident, $entry:ident)),* $(,)?) => {
        pub static TABLE: SyscallTable = {
            let mut entries: [Option<Entry>; ringo_syscalls::COUNT] = [None; ringo_syscalls::COUNT];
            $( entries[$nr] = Some(entries::$entry as Entry); )*
            SyscallTable { count: ringo_syscalls::COUNT as u64, entries }
        };
    };
}
ringo_syscalls::implemented_syscalls!(build_table);

/// How many syscalls have a handler.
pub fn implemented() -> usize {
    TABLE.entries.iter().filter(|e| e.is_some()).count()
}

/// Runs syscall `nr`. Out-of-range and unimplemented numbers are ENOSYS,
/// logged once per process with the syscall's name.
pub fn invoke(nr: u64, args: [u64; 6]) -> i64 {
    crate::arch::watchdog::progress();
    let entry = TABLE.entries.get(nr as usize).copied().flatten();
    let tracing = strace::enabled();
    if tracing {
        strace::before(nr, &args);
    }
    #[cfg(feature = "heap-trace")]
    let outer = crate::arch::percpu::this().in_syscall.swap(nr.min(511) as u32, core::sync::atomic::Ordering::Relaxed);
    let ret = match entry {
        Some(f) => f(args[0], args[1], args[2], args[3], args[4], args[5]),
        None => not_implemented(nr),
    };
    #[cfg(feature = "heap-trace")]
    crate::arch::percpu::this().in_syscall.store(outer, core::sync::atomic::Ordering::Relaxed);
    if tracing {
        strace::after(nr, ret);
    }
    ret
}

fn not_implemented(nr: u64) -> i64 {
    let p = crate::process::current();
    if p.enosys_logged.lock().insert(nr) {
        match ringo_syscalls::name(nr) {
            Some(name) => log::warn!("pid {}: syscall {name} ({nr}) is not implemented: ENOSYS", p.pid),
            None => log::warn!("pid {}: syscall number {nr} does not exist: ENOSYS", p.pid),
        }
    }
    Errno::ENOSYS.as_ret()
}

/// From the `syscall` instruction.
pub fn dispatch_syscall_insn(frame: &mut TrapFrame) {
    crate::hp::SYSCALL_INSNS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    dispatch(frame);
}

/// From an HP vtable entry (the frame is laid out as for `syscall`).
/// Returns whether registers other than rax must be restored from the
/// frame (a handler's frame, rt_sigreturn, a restart).
pub fn dispatch_hp(frame: &mut TrapFrame) -> bool {
    crate::hp::VTABLE_CALLS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    dispatch(frame)
}

/// Number in rax, arguments in rdi, rsi, rdx, r10, r8, r9. Returns whether
/// the registers other than rax changed.
fn dispatch(frame: &mut TrapFrame) -> bool {
    const RT_SIGRETURN: u64 = 15;
    let nr = frame.rax;
    let args = [frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9];
    let mut ret = invoke(nr, args);
    let mut rewritten = nr == RT_SIGRETURN;
    if ret == Errno::EINTR.as_ret()
        && let Some(p) = crate::process::current_ref()
        && p.restart_marked.swap(false, core::sync::atomic::Ordering::AcqRel)
    {
        // SAFETY: this frame is the task's user frame; the handler that
        // returned has no reference to it any more.
        ret = crate::signals::restart_or_eintr(frame, nr);
        rewritten = true;
    }
    frame.rax = ret as u64;
    crate::signals::deliver_pending(frame) || rewritten
}

/// From `int 0x80`: i386 numbering and registers (ebx, ecx, edx, esi, edi,
/// ebp), translated for the calls whose arguments have the same width.
pub fn dispatch_i386(frame: &mut TrapFrame) {
    crate::hp::INT80_CALLS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    let nr32 = frame.rax as u32 as u64;
    let args = [frame.rbx, frame.rcx, frame.rdx, frame.rsi, frame.rdi, frame.rbp].map(|r| r as u32 as u64);
    let ret = match ringo_syscalls::i386_to_x86_64(nr32) {
        Some(nr) => invoke(nr, args),
        None => {
            let p = crate::process::current();
            if p.enosys_logged.lock().insert(0x1_0000 + nr32) {
                log::warn!("pid {}: i386 syscall {nr32} via int 0x80 is not supported: ENOSYS", p.pid);
            }
            Errno::ENOSYS.as_ret()
        }
    };
    frame.rax = ret as i32 as i64 as u64;
}
