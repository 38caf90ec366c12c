//! Application processor bring-up: a real-mode trampoline copied to a fixed
//! low page goes through protected mode into long mode on the boot page
//! tables, jumps to the kernel's upper half, switches to the kernel tables
//! and its own stack, and calls [`ap_entry`]. CPUs start one at a time.

use core::arch::global_asm;
use core::sync::atomic::{AtomicU64, Ordering};

use super::percpu::{self, PerCpu};
use super::{apic, boot, cpu, idt, paging, tsc};

/// Physical page the trampoline runs from (below 1 MiB, reserved).
pub const TRAMPOLINE_PHYS: u64 = 0x8000;
pub const KERNEL_STACK_PAGES: usize = 16;

global_asm!(
    r#"
    .set TRAMPOLINE_PHYS, 0x8000
    .section .trampoline, "a"
    .code16
    .global ap_trampoline_start
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    lgdtl (ap_gdtr - ap_trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $(ap_tramp32 - ap_trampoline_start + TRAMPOLINE_PHYS)

    .code32
ap_tramp32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4
    movl (ap_param_boot_cr3 - ap_trampoline_start + TRAMPOLINE_PHYS), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $((1 << 8) | (1 << 11)), %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80010000, %eax
    movl %eax, %cr0
    ljmpl $0x18, $(ap_tramp64 - ap_trampoline_start + TRAMPOLINE_PHYS)

    .code64
ap_tramp64:
    /* Still on the identity-mapped page: read every parameter now. */
    movq (ap_param_kernel_cr3 - ap_trampoline_start + TRAMPOLINE_PHYS), %rdx
    movq (ap_param_stack - ap_trampoline_start + TRAMPOLINE_PHYS), %rsi
    movq (ap_param_arg - ap_trampoline_start + TRAMPOLINE_PHYS), %rdi
    movabsq $ap_start64, %rax
    jmp *%rax

    .p2align 3
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
ap_gdtr:
    .word 31
    .long ap_gdt - ap_trampoline_start + TRAMPOLINE_PHYS
    .p2align 3
    .global ap_param_boot_cr3
ap_param_boot_cr3: .quad 0
ap_param_kernel_cr3: .quad 0
ap_param_stack: .quad 0
ap_param_arg: .quad 0
    .global ap_trampoline_end
ap_trampoline_end:

    .section .text.ap_start64, "ax"
ap_start64:
    movq %rdx, %cr3
    movq %rsi, %rsp
    xorl %ebp, %ebp
    call {entry}
    ud2
    "#,
    entry = sym ap_entry,
    options(att_syntax)
);

unsafe extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_end: u8;
    static ap_param_boot_cr3: u8;
}

#[repr(C)]
struct TrampolineParams {
    boot_cr3: u64,
    kernel_cr3: u64,
    stack: u64,
    arg: u64,
}

/// Per-CPU kernel stacks: (index -> top), for the backtrace walker.
static STACK_TOPS: [AtomicU64; percpu::MAX_CPUS] = [const { AtomicU64::new(0) }; percpu::MAX_CPUS];

pub fn kernel_stack_bounds(index: usize) -> Option<(u64, u64)> {
    if index == 0 {
        return Some(boot::boot_stack());
    }
    let top = STACK_TOPS.get(index)?.load(Ordering::Relaxed);
    (top != 0).then(|| (top - (KERNEL_STACK_PAGES as u64 * 4096), top))
}

/// Starts every CPU in `apic_ids` except the caller; returns how many run.
pub fn start_aps(apic_ids: &[u32]) -> usize {
    let bsp = percpu::current().expect("boot CPU installed");
    // SAFETY: linker-visible labels of the trampoline; we copy its bytes to
    // the reserved low page, reached through the direct map.
    let (code, params) = unsafe {
        let start = core::ptr::addr_of!(ap_trampoline_start);
        let len = core::ptr::addr_of!(ap_trampoline_end) as usize - start as usize;
        let dst = paging::phys_to_virt(TRAMPOLINE_PHYS) as *mut u8;
        core::ptr::copy_nonoverlapping(start, dst, len);
        let off = core::ptr::addr_of!(ap_param_boot_cr3) as usize - start as usize;
        (dst, dst.add(off) as *mut TrampolineParams)
    };
    let _ = code;
    let mut next = 1;
    for &apic_id in apic_ids {
        if apic_id == bsp.apic_id {
            continue;
        }
        let Some(top) = paging::new_guarded_stack(KERNEL_STACK_PAGES) else {
            log::error!("smp: no memory for the stack of cpu {next}");
            break;
        };
        let pc = PerCpu::new(next, apic_id);
        STACK_TOPS[next].store(top, Ordering::Relaxed);
        pc.stack_top.store(top, Ordering::Relaxed);
        // SAFETY: the parameter block inside the copied trampoline; no AP
        // runs it now (they start one at a time and we wait below).
        unsafe {
            params.write_volatile(TrampolineParams {
                boot_cr3: boot::boot_pml4_phys(),
                kernel_cr3: paging::kernel_pml4_phys(),
                stack: top,
                arg: next as u64,
            });
        }
        apic::start_ap(bsp, apic_id, (TRAMPOLINE_PHYS >> 12) as u8, || pc.online.load(Ordering::Acquire));
        let deadline = cpu::rdtsc() + tsc::khz() * 1000; // 1 s
        while !pc.online.load(Ordering::Acquire) && cpu::rdtsc() < deadline {
            core::hint::spin_loop();
        }
        if pc.online.load(Ordering::Acquire) {
            next += 1;
        } else {
            log::error!("smp: cpu with APIC ID {apic_id} did not start");
        }
    }
    next
}

extern "C" fn ap_entry(index: u64) -> ! {
    let pc = percpu::cpu(index as usize).expect("per-CPU block prepared by the BSP");
    pc.install();
    idt::load();
    super::enable_cpu_features();
    super::enable_user_fpu();
    super::uaccess::enable_smap();
    super::syscall_entry::init();
    apic::init_local(pc);
    pc.online.store(true, Ordering::Release);
    crate::sched::run_idle()
}
