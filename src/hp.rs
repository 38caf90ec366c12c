//! HP (high-priority) mode: the one app runs in ring 0, in the kernel's
//! address space, and makes system calls by calling the vtable's entries
//! (contract in docs/ABI.md). This module holds the vtable and the counts
//! of how system calls arrived, which show that a patched app made no
//! `syscall` at all.

use alloc::boxed::Box;
use core::sync::atomic::{AtomicU64, Ordering};

use spin::Once;

use crate::arch::{hp_entry, syscall_entry};

/// auxv tag of the vtable's address (contract).
pub const AT_RINGO_VTABLE: u64 = 0x4A50;

/// `{u64 count; entries[count]}`: entry `nr` is the stub for syscall `nr`.
#[repr(C)]
pub struct Vtable {
    pub count: u64,
    pub entries: [u64; ringo_syscalls::COUNT],
}

static VTABLE: Once<&'static Vtable> = Once::new();

/// System calls by the way they arrived: vtable calls (the register-only
/// entries do not count), `syscall` instructions, `int 0x80`.
pub static VTABLE_CALLS: AtomicU64 = AtomicU64::new(0);
pub static SYSCALL_INSNS: AtomicU64 = AtomicU64::new(0);
pub static INT80_CALLS: AtomicU64 = AtomicU64::new(0);

/// Turns HP mode on: apps load into ring 0 from now on.
pub fn enable() {
    crate::arch::idt::use_switch_stacks();
    syscall_entry::set_hp_mode();
}

pub fn enabled() -> bool {
    syscall_entry::hp_mode()
}

/// The vtable (every entry filled: an unimplemented call still reaches the
/// dispatcher, which logs its name once and returns ENOSYS). Built when
/// the app starts, after the command line decided on tracing: traced
/// calls all take the full entry, the register-only ones bypass the
/// dispatcher.
pub fn vtable() -> &'static Vtable {
    VTABLE.call_once(|| {
        let mut t = Box::new(Vtable { count: ringo_syscalls::COUNT as u64, entries: [0; ringo_syscalls::COUNT] });
        for (nr, e) in t.entries.iter_mut().enumerate() {
            *e = hp_entry::stub(nr);
        }
        if !crate::syscall::strace_enabled() {
            for (nr, addr) in hp_entry::fast_entries() {
                t.entries[nr] = addr;
            }
        }
        Box::leak(t)
    })
}

/// The auxv entry an HP app starts with.
pub fn auxv_entry() -> (u64, u64) {
    (AT_RINGO_VTABLE, vtable() as *const Vtable as u64)
}

/// (vtable calls, `syscall` instructions, `int 0x80` calls) so far.
fn counts() -> [u64; 3] {
    [&VTABLE_CALLS, &SYSCALL_INSNS, &INT80_CALLS].map(|c| c.load(Ordering::Relaxed))
}

/// /proc/ringo_syscalls: the mode and the counts, one `name value` per
/// line.
pub fn counts_text() -> alloc::string::String {
    let [vtable, insns, int80] = counts();
    let mode = if enabled() { "hp" } else { "normal" };
    alloc::format!("mode {mode}\nvtable {vtable}\nsyscall {insns}\nint80 {int80}\n")
}

/// One line for the end of the run: how the app's calls arrived.
pub fn summary() -> alloc::string::String {
    let [vtable, insns, int80] = counts();
    alloc::format!("ringo: hp: {vtable} vtable calls, {insns} syscall instructions, {int80} int 0x80")
}
