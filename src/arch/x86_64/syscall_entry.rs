//! The `syscall` instruction's entry. It builds the same [`TrapFrame`] an
//! interrupt does (so signals, exec and the strace path see one shape),
//! on the running task's kernel stack, and returns with SYSRET when the
//! return address is canonical user space, else with IRET (SYSRET with a
//! non-canonical RIP would fault in ring 0 on Intel CPUs).
//!
//! In HP mode the app runs in ring 0, and an unpatched binary's `syscall`
//! arrives here from ring 0: GS is already the kernel's (no SWAPGS), the
//! frame gets ring-0 selectors and the return is IRETQ to ring 0.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, Ordering};

use super::cpu;
use super::percpu::{GS_KERNEL_RSP, GS_USER_RSP, KERNEL_CS, KERNEL_DS, USER_CS, USER_DS};
use super::trap::TrapFrame;

/// The `vector` slot of a frame built by the syscall entry.
pub const SYSCALL_VECTOR: u64 = 0x100;

/// Set in HP mode: every app runs in ring 0 (the entry reads it first).
#[unsafe(no_mangle)]
static RINGO_HP_MODE: AtomicBool = AtomicBool::new(false);

/// Switches the kernel to HP mode (before the app starts).
pub fn set_hp_mode() {
    RINGO_HP_MODE.store(true, Ordering::Release);
}

pub fn hp_mode() -> bool {
    RINGO_HP_MODE.load(Ordering::Acquire)
}

global_asm!(
    concat!(
    r#"
    .section .text.syscall_entry, "ax"
    .global syscall_entry
syscall_entry:
    cmp byte ptr [rip + RINGO_HP_MODE], 0
    jne 6f
    swapgs
    mov gs:[{user_rsp}], rsp
    mov rsp, gs:[{kernel_rsp}]
    push {user_ds}
    push qword ptr gs:[{user_rsp}]
    push r11
    push {user_cs}
    push rcx
    jmp 5f
6:  /* From ring 0 (HP mode): kernel GS already. */
    mov gs:[{user_rsp}], rsp
    mov rsp, gs:[{kernel_rsp}]
    push {kernel_ds}
    push qword ptr gs:[{user_rsp}]
    push r11
    push {kernel_cs}
    push rcx
5:  push 0
    push {vector}
"#,
    push_general_registers!(),
    r#"
    mov rdi, rsp
    cld
    sti
    call {dispatch}
    cli
    /* SYSRET only to canonical user RIP with the user selectors. */
    mov rcx, [rsp + 17 * 8]
    mov r11, 0x00007fffffffffff
    cmp rcx, r11
    ja 7f
    cmp qword ptr [rsp + 18 * 8], {user_cs}
    jne 7f
    /* SYSRET loads rcx/r11 with rip/rflags: only when they already are
       (not after rt_sigreturn or a signal frame set them otherwise). */
    cmp rcx, [rsp + 12 * 8]
    jne 7f
    mov r11, [rsp + 19 * 8]
    cmp r11, [rsp + 4 * 8]
    jne 7f
"#,
    pop_general_registers!(),
    r#"
    mov rcx, [rsp + 16]
    mov r11, [rsp + 32]
    mov rsp, [rsp + 40]
    swapgs
    sysretq
7:
    jmp trap_return
    "#),
    user_rsp = const GS_USER_RSP,
    kernel_rsp = const GS_KERNEL_RSP,
    user_ds = const USER_DS,
    user_cs = const USER_CS,
    kernel_ds = const KERNEL_DS,
    kernel_cs = const KERNEL_CS,
    vector = const SYSCALL_VECTOR,
    dispatch = sym syscall_from_user,
);

unsafe extern "C" {
    fn syscall_entry();
}

extern "C" fn syscall_from_user(frame: &mut TrapFrame) {
    crate::syscall::dispatch_syscall_insn(frame);
}

/// Programs this CPU's SYSCALL MSRs (STAR selects Linux's GDT layout).
pub fn init() {
    // SAFETY: the entry above is ready and the GDT has the layout STAR
    // describes; SFMASK clears IF, DF, TF, AC and NT on entry.
    unsafe {
        cpu::wrmsr(cpu::MSR_EFER, cpu::rdmsr(cpu::MSR_EFER) | 1);
        cpu::wrmsr(cpu::MSR_STAR, ((KERNEL_DS as u64 | 3) << 48) | ((KERNEL_CS as u64) << 32));
        cpu::wrmsr(cpu::MSR_LSTAR, syscall_entry as *const () as u64);
        cpu::wrmsr(cpu::MSR_SFMASK, 0x4_7700);
    }
}
