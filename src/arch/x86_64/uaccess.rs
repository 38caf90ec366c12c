//! Copies between kernel and user memory that cannot crash the kernel: each
//! instruction that touches user memory has an entry in the exception table
//! (`.ex_table`: faulting address, recovery address). A page fault there
//! that demand paging cannot satisfy resumes at the recovery code, and the
//! copy reports how much it did not do. With SMAP on, user memory is only
//! reachable between `stac` and `clac` inside these routines.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};

use super::cpu;

/// Lowest address that is not user space (the canonical lower half).
pub const USER_LIMIT: u64 = 0x0000_8000_0000_0000;

#[unsafe(no_mangle)]
static SMAP_ON: AtomicBool = AtomicBool::new(false);

global_asm!(
    r#"
    .section .text.uaccess, "ax"

    /* stac/clac around user accesses, when SMAP is on (stac would be
       #UD on a CPU without it). */
    .macro ringo_user_begin
    cmp byte ptr [rip + SMAP_ON], 0
    je 9f
    stac
9:
    .endm
    .macro ringo_user_end
    cmp byte ptr [rip + SMAP_ON], 0
    je 9f
    clac
9:
    .endm

    /* usize ringo_copy_user(dst, src, len): bytes NOT copied. */
    .global ringo_copy_user
ringo_copy_user:
    ringo_user_begin
    mov rcx, rdx
2:  rep movsb
3:  mov rax, rcx
    ringo_user_end
    ret
    .pushsection .ex_table, "a"
    .quad 2b, 3b
    .popsection

    /* usize ringo_clear_user(dst, len): bytes NOT zeroed. */
    .global ringo_clear_user
ringo_clear_user:
    ringo_user_begin
    mov rcx, rsi
    xor eax, eax
2:  rep stosb
3:  mov rax, rcx
    ringo_user_end
    ret
    .pushsection .ex_table, "a"
    .quad 2b, 3b
    .popsection

    /* isize ringo_strncpy_user(dst, src, max): length before the NUL,
       `max` if none within max bytes, -1 on a fault. */
    .global ringo_strncpy_user
ringo_strncpy_user:
    ringo_user_begin
    xor eax, eax
2:  cmp rax, rdx
    je 5f
3:  movzx ecx, byte ptr [rsi + rax]
    mov [rdi + rax], cl
    test cl, cl
    jz 5f
    inc rax
    jmp 2b
4:  mov rax, -1
5:  ringo_user_end
    ret
    .pushsection .ex_table, "a"
    .quad 3b, 4b
    .popsection

    /* u64 ringo_cmpxchg_user(addr, expected, new): the 32-bit value found
       (equal to `expected` when `new` was stored), or -1 on a fault. */
    .global ringo_cmpxchg_user
ringo_cmpxchg_user:
    ringo_user_begin
    mov eax, esi
2:  lock cmpxchg [rdi], edx
    ringo_user_end
    ret
3:  mov rax, -1
    ringo_user_end
    ret
    .pushsection .ex_table, "a"
    .quad 2b, 3b
    .popsection
    "#
);

unsafe extern "C" {
    fn ringo_copy_user(dst: *mut u8, src: *const u8, len: usize) -> usize;
    fn ringo_clear_user(dst: *mut u8, len: usize) -> usize;
    fn ringo_strncpy_user(dst: *mut u8, src: *const u8, max: usize) -> isize;
    fn ringo_cmpxchg_user(addr: *mut u32, expected: u32, new: u32) -> u64;
    static __ex_table_start: u64;
    static __ex_table_end: u64;
}

/// Turns SMAP on for this CPU when the CPU has it. Not in HP mode: there
/// the app's pages are supervisor pages, which SMAP does not guard, and
/// with SMAP on TCG runs ring-0 code markedly slower (measured: a plain
/// loop in the app at 1.7x the time).
pub fn enable_smap() {
    if super::syscall_entry::hp_mode() {
        return;
    }
    if cpu::cpuid(0).0 >= 7 && cpu::cpuid_count(7, 0).1 & (1 << 20) != 0 {
        use ::x86_64::registers::control::{Cr4, Cr4Flags};
        // SAFETY: from here on ring 0 reaches user pages only inside the
        // routines above, which bracket their accesses with stac/clac.
        unsafe { Cr4::update(|f| f.insert(Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION)) };
        SMAP_ON.store(true, Ordering::Relaxed);
    }
}

/// The recovery address for a fault at `rip`, if `rip` is a user access.
pub fn fixup_for(rip: u64) -> Option<u64> {
    // SAFETY: the linker-script bounds of .ex_table, pairs of u64.
    let table = unsafe {
        let start = core::ptr::addr_of!(__ex_table_start);
        let len = (core::ptr::addr_of!(__ex_table_end) as usize - start as usize) / 8;
        core::slice::from_raw_parts(start, len)
    };
    table.chunks_exact(2).find(|p| p[0] == rip).map(|p| p[1])
}

/// Whether `[addr, addr+len)` lies in user space (no wrap-around).
pub fn is_user_range(addr: u64, len: usize) -> bool {
    addr.checked_add(len as u64).is_some_and(|end| end <= USER_LIMIT)
}

/// Copies `dst.len()` bytes from user `src`; false on a bad address.
pub fn copy_from_user(dst: &mut [u8], src: u64) -> bool {
    if !is_user_range(src, dst.len()) {
        return false;
    }
    // SAFETY: dst is a valid kernel buffer; faults on the user side are
    // recovered through the exception table.
    unsafe { ringo_copy_user(dst.as_mut_ptr(), src as *const u8, dst.len()) == 0 }
}

/// Copies `src` to user `dst`; false on a bad address.
pub fn copy_to_user(dst: u64, src: &[u8]) -> bool {
    if !is_user_range(dst, src.len()) {
        return false;
    }
    // SAFETY: as for copy_from_user.
    unsafe { ringo_copy_user(dst as *mut u8, src.as_ptr(), src.len()) == 0 }
}

/// Atomically replaces the aligned user word at `addr` by `new` if it
/// holds `expected` (against threads on other CPUs too); returns the value
/// found, or None when the address is not a user word that can be written.
pub fn cmpxchg_user_u32(addr: u64, expected: u32, new: u32) -> Option<u32> {
    if !is_user_range(addr, 4) || !addr.is_multiple_of(4) {
        return None;
    }
    // SAFETY: a user address (checked above); a fault is caught by the
    // exception table and reported as -1.
    let r = unsafe { ringo_cmpxchg_user(addr as *mut u32, expected, new) };
    (r != u64::MAX).then_some(r as u32)
}

pub fn clear_user(dst: u64, len: usize) -> bool {
    if !is_user_range(dst, len) {
        return false;
    }
    // SAFETY: as for copy_from_user.
    unsafe { ringo_clear_user(dst as *mut u8, len) == 0 }
}

/// Copies a NUL-terminated user string into `dst`: `Some(len)` without the
/// NUL, `Some(dst.len())` if no NUL fits, `None` on a bad address.
pub fn strncpy_from_user(dst: &mut [u8], src: u64) -> Option<usize> {
    // The string may end before the range end: only its start must be user.
    if src >= USER_LIMIT {
        return None;
    }
    let max = dst.len().min((USER_LIMIT - src) as usize);
    // SAFETY: as for copy_from_user; reads stop at `max` below USER_LIMIT.
    let r = unsafe { ringo_strncpy_user(dst.as_mut_ptr(), src as *const u8, max) };
    (r >= 0).then_some(r as usize)
}
