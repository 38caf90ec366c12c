//! HP mode's call entries: the functions behind the vtable (contract in
//! docs/ABI.md). Entry `nr` is a 16-byte stub, `ringo_hp_stubs + 16 * nr`,
//! that puts `nr` in eax and joins `ringo_hp_entry`.
//!
//! Interrupts stay enabled throughout: an interrupt that arrives while
//! the stack pointer is still (or again) the caller's lower-half one is
//! taken as coming from the app, and its frame goes to the task's kernel
//! stack (see `idt`), not onto the caller's stack; one that arrives on the
//! kernel stack is an ordinary kernel-mode interrupt. The only state kept
//! across the switch is in registers, so even a preemption that moves the
//! task to another CPU in between is harmless.
//!
//! The caller's stack may be a goroutine stack with little room, so the
//! entry touches nothing on it but the return address the CALL pushed: it
//! moves to the task's kernel stack (gs:[kernel_rsp]) and builds the same
//! [`TrapFrame`] the `syscall` instruction does there (rip = the return
//! address, rsp = the caller's stack pointer after the return, ring-0
//! selectors, arguments in the syscall registers with the fourth, which
//! arrives in rcx, also in the r10 slot). After dispatch, when nothing
//! changed the frame (no signal delivered, no sigreturn), it returns with
//! the result in rax by jumping back on the caller's stack; otherwise it
//! leaves through `trap_return` (IRETQ to ring 0), restoring every
//! register from the frame.
//!
//! `exit` (60) and `exit_group` (231) may be entered by a jump on a stack
//! that is already freed: for them the entry never reads [rsp].

use core::arch::global_asm;

use super::percpu::{GS_CURRENT_TASK, GS_KERNEL_RSP, KERNEL_CS, KERNEL_DS};
use super::trap::TrapFrame;

/// The `vector` slot of a frame built by a vtable entry.
pub const HP_CALL_VECTOR: u64 = 0x101;
/// Bytes between two entry stubs.
pub const STUB_SIZE: u64 = 16;
const RFLAGS_IF: u64 = 0x202;

global_asm!(
    concat!(
    r#"
    .section .text.hp_entry, "ax"
    .balign 16
    .global ringo_hp_stubs
ringo_hp_stubs:
    .set ringo_hp_nr, 0
    .rept {count}
    .balign 16
    mov eax, ringo_hp_nr
    jmp ringo_hp_entry
    .set ringo_hp_nr, ringo_hp_nr + 1
    .endr
    .global ringo_hp_stubs_end
ringo_hp_stubs_end:

    .global ringo_hp_entry
ringo_hp_entry:
    mov r11, rsp
    mov rsp, gs:[{kernel_rsp}]
    push {kernel_ds}
    cmp eax, 60
    je 1f
    cmp eax, 231
    je 1f
    lea r10, [r11 + 8]
    push r10
    push {rflags}
    push {kernel_cs}
    push qword ptr [r11]
    jmp 2f
1:  push 0
    push {rflags}
    push {kernel_cs}
    push 0
2:  push 0
    push {vector}
    /* The fourth argument arrives in rcx; the frame has it where a
       `syscall` leaves it, in r10 (which the entry may clobber). */
    mov r10, rcx
"#,
    push_general_registers!(),
    r#"
    mov rdi, rsp
    cld
    call {dispatch}
    test eax, eax
    jnz 3f
    /* Unchanged frame: rbx, rbp, r12-r15 still hold the caller's values
       (the dispatcher preserved them). Back on the caller's stack at its
       return address. */
    mov rax, [rsp + 14 * 8]
    mov rsp, [rsp + 20 * 8]
    sub rsp, 8
    ret
3:  cli
    jmp trap_return

    /* Entries that need no kernel stack: a few instructions on registers
       alone (the caller's stack is not touched beyond the return
       address), for the calls runtimes make most often and that only read
       the clock or the current task. Anything unusual goes on to the full
       entry, with the arguments untouched. */

    /* A u32 field of the current task, or the full entry `nr`. */
    .macro ringo_hp_task_field name, offset, nr
    .global \name
\name:
    mov rax, gs:[{current}]
    test rax, rax
    jz 1f
    mov eax, dword ptr [rax + \offset]
    ret
1:  mov eax, \nr
    jmp ringo_hp_entry
    .endm
    ringo_hp_task_field ringo_hp_getpid, {tgid}, 39
    ringo_hp_task_field ringo_hp_gettid, {pid}, 186

    /* clock_gettime(clock, tp) for the TSC clocks: ns = ((tsc - boot) *
       mult) >> 32 (+ the boot epoch for wall time), as time::monotonic_ns
       computes it. */
    .global ringo_hp_clock_gettime
ringo_hp_clock_gettime:
    xor r8d, r8d
    cmp edi, 1
    je 2f
    cmp edi, 4
    je 2f
    cmp edi, 6
    je 2f
    cmp edi, 7
    je 2f
    mov r8, qword ptr [rip + BOOT_EPOCH_NS]
    cmp edi, 0
    je 2f
    cmp edi, 5
    je 2f
    mov eax, 228
    jmp ringo_hp_entry
2:  mov rcx, {user_limit}
    lea r9, [rsi + 16]
    cmp r9, rcx
    ja 5f
    cmp r9, rsi
    jb 5f
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, qword ptr [rip + BOOT_TSC]
    mul qword ptr [rip + TSC_NS_MULT]
    shrd rax, rdx, 32
    add rax, r8
    xor edx, edx
    mov rcx, 1000000000
    div rcx
3:  mov qword ptr [rsi], rax
4:  mov qword ptr [rsi + 8], rdx
    xor eax, eax
    ret
5:  mov rax, -14
    ret
    .pushsection .ex_table, "a"
    .quad 3b, 5b
    .quad 4b, 5b
    .popsection
    
    .global ringo_hp_code_end
ringo_hp_code_end:
    "#),
    count = const ringo_syscalls::COUNT,
    kernel_rsp = const GS_KERNEL_RSP,
    kernel_ds = const KERNEL_DS,
    kernel_cs = const KERNEL_CS,
    rflags = const RFLAGS_IF,
    vector = const HP_CALL_VECTOR,
    dispatch = sym hp_call,
    current = const GS_CURRENT_TASK,
    tgid = const core::mem::offset_of!(crate::process::Process, tgid),
    pid = const core::mem::offset_of!(crate::process::Process, pid),
    user_limit = const super::uaccess::USER_LIMIT,
);

unsafe extern "C" {
    static ringo_hp_stubs: u8;
    static ringo_hp_stubs_end: u8;
    static ringo_hp_code_end: u8;
    fn ringo_hp_getpid();
    fn ringo_hp_gettid();
    fn ringo_hp_clock_gettime();
}

/// The register-only entries: (syscall number, address).
pub fn fast_entries() -> [(usize, u64); 3] {
    [
        (39, ringo_hp_getpid as *const () as u64),
        (186, ringo_hp_gettid as *const () as u64),
        (228, ringo_hp_clock_gettime as *const () as u64),
    ]
}

/// The address of entry `nr`'s stub.
pub fn stub(nr: usize) -> u64 {
    core::ptr::addr_of!(ringo_hp_stubs) as u64 + STUB_SIZE * nr as u64
}

/// Whether `rip` is in the entry code (stubs, entry, register-only
/// entries): kernel code that may still run on the caller's stack. An
/// interrupt there does not deliver signals (the call does on its way
/// out, or the next interrupt in the app): a signal frame must not save a
/// kernel address as the app's.
pub fn in_entry_code(rip: u64) -> bool {
    (core::ptr::addr_of!(ringo_hp_stubs) as u64..core::ptr::addr_of!(ringo_hp_code_end) as u64).contains(&rip)
}

/// Whether `rip` is one of the stubs (a restarted call resumes there).
pub fn is_stub(rip: u64) -> bool {
    (core::ptr::addr_of!(ringo_hp_stubs) as u64..core::ptr::addr_of!(ringo_hp_stubs_end) as u64).contains(&rip)
}

/// Sets `frame` (of a vtable call) up to make the same call again when it
/// is resumed: at the stub, with the return address on top of the stack,
/// as if the caller had just called it.
pub fn rewind_call(frame: &mut TrapFrame, nr: u64) {
    frame.rip = stub(nr as usize);
    frame.rsp -= 8;
}

/// Returns 0 when the frame came back unchanged but for rax (the fast
/// return), 1 when the registers must be restored from it.
extern "C" fn hp_call(frame: &mut TrapFrame) -> u64 {
    u64::from(crate::syscall::dispatch_hp(frame))
}
