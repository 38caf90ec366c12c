//! Switching between tasks' kernel stacks, and the per-task FPU/SSE/AVX
//! state (the kernel itself never uses those registers, so they are only
//! saved and restored when the running task changes).

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::cpu;
use super::trap::TrapFrame;

global_asm!(
    r#"
    .section .text.context, "ax"
    /* switch_context(save_rsp: *mut u64, next_rsp: u64) */
    .global switch_context
switch_context:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

    /* A new task's first switch returns here, with its TrapFrame on top
       of the stack (16-byte aligned): finish the switch as every switch
       does (the scheduler's hook), then leave for user space like any
       interrupt return. */
    .global task_first_entry
task_first_entry:
    call ringo_finish_switch
    jmp trap_return
    "#
);

unsafe extern "C" {
    fn switch_context(save_rsp: *mut u64, next_rsp: u64);
    fn task_first_entry();
}

/// Saves the current kernel context into `*save` and resumes `next`.
///
/// # Safety
/// `next` must be a stack pointer saved by this function (or prepared by
/// [`prepare_new_stack`]) of a task that is not running anywhere, and
/// interrupts must be off.
pub unsafe fn switch(save: *mut u64, next: u64) {
    // SAFETY: forwarded to the caller.
    unsafe { switch_context(save, next) }
}

/// Lays out a fresh kernel stack so that the first switch to it returns to
/// user space with `frame`. Returns the stack pointer to switch to.
///
/// # Safety
/// `[top - 4096, top)` must be an unused kernel stack.
pub unsafe fn prepare_new_stack(top: u64, frame: &TrapFrame) -> u64 {
    let frame_at = top - size_of::<TrapFrame>() as u64;
    // Six callee-saved registers and the return address below the frame.
    let sp = frame_at - 7 * 8;
    // SAFETY: inside the caller's unused stack.
    unsafe {
        (frame_at as *mut TrapFrame).write(*frame);
        let words = sp as *mut u64;
        for i in 0..6 {
            words.add(i).write(0);
        }
        words.add(6).write(task_first_entry as *const () as u64);
    }
    sp
}

static XSAVE: AtomicBool = AtomicBool::new(false);
static XSAVE_MASK: AtomicU64 = AtomicU64::new(0);

/// Bytes of FPU state a task keeps (an XSAVE area, or FXSAVE's 512).
pub const FPU_AREA: usize = 4096;

pub fn init_fpu_saving() {
    let (_, _, ecx1, _) = cpu::cpuid(1);
    if ecx1 & (1 << 27) != 0 {
        // OSXSAVE is on: save every feature XCR0 enables.
        XSAVE.store(true, Ordering::Relaxed);
        XSAVE_MASK.store(x86_64::registers::xcontrol::XCr0::read_raw(), Ordering::Relaxed);
    }
}

/// Saves this CPU's FPU state into `area` (64-byte aligned, FPU_AREA long).
///
/// # Safety
/// `area` must be such a buffer, owned by the task being saved.
pub unsafe fn save_fpu(area: *mut u8) {
    let mask = XSAVE_MASK.load(Ordering::Relaxed);
    // SAFETY: area is valid and aligned for XSAVE/FXSAVE.
    unsafe {
        if XSAVE.load(Ordering::Relaxed) {
            core::arch::asm!("xsave64 [{0}]", in(reg) area, in("eax") mask as u32, in("edx") (mask >> 32) as u32, options(nostack));
        } else {
            core::arch::asm!("fxsave64 [{0}]", in(reg) area, options(nostack));
        }
    }
}

/// Loads FPU state saved by [`save_fpu`].
///
/// # Safety
/// As for `save_fpu`; the area must hold a state saved by it.
pub unsafe fn restore_fpu(area: *const u8) {
    let mask = XSAVE_MASK.load(Ordering::Relaxed);
    // SAFETY: as above.
    unsafe {
        if XSAVE.load(Ordering::Relaxed) {
            core::arch::asm!("xrstor64 [{0}]", in(reg) area, in("eax") mask as u32, in("edx") (mask >> 32) as u32, options(nostack));
        } else {
            core::arch::asm!("fxrstor64 [{0}]", in(reg) area, options(nostack));
        }
    }
}

/// Makes an FPU state that user code supplied (a signal frame's, read
/// into `area`) one that [`restore_fpu`] cannot fault on: `xrstor` and
/// `fxrstor` raise #GP, in the kernel, on reserved MXCSR bits, and
/// `xrstor` on XSTATE_BV bits the kernel did not enable in XCR0 or on a
/// non-zero XCOMP_BV or reserved header. Those bits are cleared.
pub fn sanitize_user_fpu(area: &mut [u8]) {
    const MXCSR: usize = 24;
    const XSTATE_BV: usize = 512;
    const HEADER_END: usize = 576;
    if area.len() < HEADER_END {
        return;
    }
    let mxcsr = u32::from_le_bytes([area[MXCSR], area[MXCSR + 1], area[MXCSR + 2], area[MXCSR + 3]]) & 0xffff;
    area[MXCSR..MXCSR + 4].copy_from_slice(&mxcsr.to_le_bytes());
    if XSAVE.load(Ordering::Relaxed) {
        let mut bv = [0u8; 8];
        bv.copy_from_slice(&area[XSTATE_BV..XSTATE_BV + 8]);
        let bv = u64::from_le_bytes(bv) & XSAVE_MASK.load(Ordering::Relaxed);
        area[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
        area[XSTATE_BV + 8..HEADER_END].fill(0);
    }
}

/// A clean FPU state (as after exec) saved into `area`.
///
/// # Safety
/// As for `save_fpu`.
pub unsafe fn init_fpu_area(area: *mut u8) {
    // SAFETY: area is valid; fninit and ldmxcsr only reset FPU registers
    // (the caller saves the current task's state first if it matters).
    unsafe {
        core::ptr::write_bytes(area, 0, FPU_AREA);
        let mxcsr: u32 = 0x1f80;
        core::arch::asm!("fninit", "ldmxcsr [{0}]", in(reg) &mxcsr, options(nostack));
        save_fpu(area);
    }
}
