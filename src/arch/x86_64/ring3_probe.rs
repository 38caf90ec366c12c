//! The boot-time check that ring transitions are virtualized faithfully: a
//! one-instruction user program executes `syscall`, and the kernel looks at
//! the privilege level it arrives with. On a real CPU, under TCG and under a
//! real KVM it is 0. Under a software KVM that emulates guest ring 0 (such as
//! kvm_pvm) the instruction reaches LSTAR still in ring 3, and the kernel's
//! entry then faults from ring 3. Either way user programs could not work,
//! so the kernel says so in one line instead of failing later.

use core::arch::global_asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::percpu::{self, KERNEL_CS, KERNEL_DS};
use super::trap::{TrapFrame, exception_name};
use super::{cpu, paging};

const PROBE_VA: u64 = 0x10_0000;
const PROBE_STACK_SIZE: usize = 16 * 1024;

static ACTIVE: AtomicBool = AtomicBool::new(false);
/// CPL seen at the syscall entry; `u64::MAX` until it runs.
#[unsafe(no_mangle)]
static PROBE_CPL: AtomicU64 = AtomicU64::new(u64::MAX);
#[unsafe(no_mangle)]
static mut PROBE_SAVED_RSP: u64 = 0;
static FAULT: AtomicU64 = AtomicU64::new(u64::MAX);
static FAULT_RIP: AtomicU64 = AtomicU64::new(0);

#[repr(C, align(16))]
struct ProbeStack([u8; PROBE_STACK_SIZE]);
static mut PROBE_STACK: ProbeStack = ProbeStack([0; PROBE_STACK_SIZE]);

global_asm!(
    r#"
    .section .text.ring3_probe, "ax"
    .global probe_enter_ring3
probe_enter_ring3:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [rip + PROBE_SAVED_RSP], rsp
    push {user_ds}
    push rsi
    push 2
    push {user_cs}
    push rdi
    iretq

    .global probe_syscall_entry
probe_syscall_entry:
    mov ax, cs
    movzx eax, ax
    and eax, 3
    mov [rip + PROBE_CPL], rax
    .global probe_resume
probe_resume:
    mov rsp, [rip + PROBE_SAVED_RSP]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
    "#,
    user_ds = const percpu::USER_DS,
    user_cs = const percpu::USER_CS,
);

unsafe extern "C" {
    fn probe_enter_ring3(rip: u64, rsp: u64);
    fn probe_syscall_entry();
    fn probe_resume();
}

pub enum Verdict {
    Faithful,
    /// The syscall arrived at this CPL instead of 0.
    WrongCpl(u64),
    /// The entry faulted from ring 3 (vector, rip).
    FaultedInRing3(u64, u64),
}

/// Runs the probe on the calling CPU (boot CPU, interrupts off).
pub fn run() -> Verdict {
    let frame = crate::mem::alloc_frames(1).expect("a frame for the ring-3 probe");
    // syscall; ud2
    let code: [u8; 4] = [0x0f, 0x05, 0x0f, 0x0b];
    // SAFETY: a fresh frame we own, written through the direct map.
    unsafe {
        core::ptr::copy_nonoverlapping(code.as_ptr(), paging::phys_to_virt(frame) as *mut u8, code.len());
    }
    paging::map_user_page(PROBE_VA, frame, false).expect("map the probe page");
    let cpu_block = percpu::current().expect("boot CPU installed");
    let saved_lstar = cpu::rdmsr(cpu::MSR_LSTAR);
    // SAFETY: syscall MSRs as Linux sets them (STAR selects our GDT layout);
    // the TSS ring-0 stack catches a fault from ring 3 on a private stack.
    unsafe {
        cpu::wrmsr(cpu::MSR_EFER, cpu::rdmsr(cpu::MSR_EFER) | 1);
        cpu::wrmsr(cpu::MSR_STAR, ((KERNEL_DS as u64 | 3) << 48) | ((KERNEL_CS as u64) << 32));
        cpu::wrmsr(cpu::MSR_LSTAR, probe_syscall_entry as *const () as u64);
        cpu::wrmsr(cpu::MSR_SFMASK, 0x4_7700);
        let top = core::ptr::addr_of!(PROBE_STACK) as u64 + PROBE_STACK_SIZE as u64;
        cpu_block.set_kernel_stack(top);
    }
    ACTIVE.store(true, Ordering::SeqCst);
    // SAFETY: the probe page is mapped user-executable; the asm saves our
    // callee-saved registers and comes back here through probe_resume.
    unsafe { probe_enter_ring3(PROBE_VA, PROBE_VA + 0x800) };
    ACTIVE.store(false, Ordering::SeqCst);
    // SAFETY: puts back the kernel's own syscall entry.
    unsafe { cpu::wrmsr(cpu::MSR_LSTAR, saved_lstar) };
    paging::unmap_user_page(PROBE_VA);
    // SAFETY: the frame was allocated above and is unmapped now.
    unsafe { crate::mem::free_frames(frame, 1) };

    let fault = FAULT.load(Ordering::SeqCst);
    match PROBE_CPL.load(Ordering::SeqCst) {
        0 => Verdict::Faithful,
        cpl if cpl != u64::MAX => Verdict::WrongCpl(cpl),
        _ => Verdict::FaultedInRing3(fault, FAULT_RIP.load(Ordering::SeqCst)),
    }
}

/// Called for every exception from ring 3; true when it was the probe's.
pub fn handle_user_exception(frame: &mut TrapFrame) -> bool {
    if !ACTIVE.load(Ordering::SeqCst) {
        return false;
    }
    FAULT.store(frame.vector, Ordering::SeqCst);
    FAULT_RIP.store(frame.rip, Ordering::SeqCst);
    log::debug!("ring-3 probe: {} at {:#x}", exception_name(frame.vector).0, frame.rip);
    frame.rip = probe_resume as *const () as u64;
    frame.cs = KERNEL_CS as u64;
    frame.ss = KERNEL_DS as u64;
    frame.rflags = 2;
    // SAFETY: PROBE_SAVED_RSP was set before entering ring 3.
    frame.rsp = unsafe { core::ptr::addr_of!(PROBE_SAVED_RSP).read() };
    // trap_common swapped GS on entry from ring 3 and will not swap back on
    // a return to ring 0: restore the kernel's GS base now.
    // SAFETY: undoes the entry's swapgs.
    unsafe { core::arch::asm!("swapgs", options(nostack, preserves_flags)) };
    true
}
