//! x86_64 (PC-type machines: QEMU microvm and q35, Firecracker,
//! cloud-hypervisor).

/// The general registers of a [`trap::TrapFrame`], pushed in its order
/// (and popped back): one sequence for every entry path, as assembly text
/// for `concat!` in the entries' `global_asm!`.
macro_rules! push_general_registers {
    () => {
        "push rax\npush rbx\npush rcx\npush rdx\npush rsi\npush rdi\npush rbp\npush r8\npush r9\npush r10\npush r11\npush r12\npush r13\npush r14\npush r15\n"
    };
}
macro_rules! pop_general_registers {
    () => {
        "pop r15\npop r14\npop r13\npop r12\npop r11\npop r10\npop r9\npop r8\npop rbp\npop rdi\npop rsi\npop rdx\npop rcx\npop rbx\npop rax\n"
    };
}

pub mod acpi;
pub mod apic;
pub mod boot;
pub mod context;
pub mod cpu;
pub mod hp_entry;
pub mod idt;
pub mod ioapic;
pub mod paging;
pub mod percpu;
pub mod power;
pub mod ring3_probe;
pub mod rtc;
pub mod serial;
pub mod smp;
pub mod syscall_entry;
pub mod tlb;
pub mod trap;
pub mod tsc;
pub mod uaccess;
pub mod user_pages;
pub mod vectors;
pub mod watchdog;

pub use cpu::without_interrupts;

/// CR0/CR4 features every CPU runs with: write protection in ring 0,
/// global pages, and SMEP where present (ring 0 never executes user pages).
pub fn enable_cpu_features() {
    use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
    // SAFETY: these bits only restrict what ring 0 may do; the kernel never
    // writes read-only pages or executes user pages.
    unsafe {
        Cr0::update(|f| f.insert(Cr0Flags::WRITE_PROTECT));
        Cr4::update(|f| {
            f.insert(Cr4Flags::PAGE_GLOBAL);
            if cpu::has_smep() {
                f.insert(Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION);
            }
        });
    }
}

/// The FPU/SSE/AVX state user programs expect (the kernel itself is built
/// without SSE). Enabled after the ring-3 probe: a software hypervisor's
/// instruction emulator may not handle XSETBV, and the probe's one line is
/// more useful than a hang.
pub fn enable_user_fpu() {
    use ::x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
    use ::x86_64::registers::xcontrol::{XCr0, XCr0Flags};
    let (_, _, ecx1, _) = cpu::cpuid(1);
    let xsave = ecx1 & (1 << 26) != 0;
    let avx = ecx1 & (1 << 28) != 0;
    // SAFETY: enables state that user code uses and the kernel never
    // touches; XCR0 gets only features CPUID reports.
    unsafe {
        Cr0::update(|f| {
            f.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
            f.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
        });
        Cr4::update(|f| {
            f.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
            if xsave {
                f.insert(Cr4Flags::OSXSAVE);
            }
        });
        if xsave {
            let mut x = XCr0Flags::X87 | XCr0Flags::SSE;
            if avx {
                x |= XCr0Flags::AVX;
            }
            XCr0::write(x);
        }
        core::arch::asm!("fninit", options(nomem, nostack));
    }
}

/// The stack the given address lies on, if it is a kernel stack
/// (for the backtrace walker).
pub fn stack_bounds_containing(addr: u64) -> Option<(u64, u64)> {
    (0..percpu::count().max(1)).filter_map(smp::kernel_stack_bounds).find(|&(lo, hi)| (lo..hi).contains(&addr))
}

/// A kernel stack that overflowed into its guard page, for fault reports.
pub enum OverflowedStack {
    Boot { cpu: usize },
    Ist { cpu: usize, ist: usize },
    Task,
}

impl core::fmt::Display for OverflowedStack {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            OverflowedStack::Boot { cpu } => write!(f, "the boot stack of cpu {cpu}"),
            OverflowedStack::Ist { cpu, ist } => write!(f, "IST stack {ist} of cpu {cpu}"),
            OverflowedStack::Task => write!(f, "a task's kernel stack"),
        }
    }
}

/// The stack whose guard page a kernel fault at `cr2`, with the stack
/// pointer at `rsp`, hit: the fault address in a guard and the stack
/// pointer on the stack just above it.
pub fn overflowed_stack(cr2: u64, rsp: u64) -> Option<OverflowedStack> {
    let near = |top: u64, size: u64| rsp <= top && top - rsp <= size + 4096;
    let guard = boot::stack_guard_page();
    if (guard..guard + 4096).contains(&cr2) {
        let (bottom, top) = boot::boot_stack();
        return near(top, top - bottom).then_some(OverflowedStack::Boot { cpu: 0 });
    }
    let top = paging::stack_window_top(cr2)?;
    if !near(top, 128 * 1024) {
        return None;
    }
    for cpu in 0..percpu::count() {
        let Some(pc) = percpu::cpu(cpu) else { continue };
        if pc.stack_top.load(core::sync::atomic::Ordering::Relaxed) == top {
            return Some(OverflowedStack::Boot { cpu });
        }
        if let Some(i) = pc.ist_tops.iter().position(|&t| t == top) {
            return Some(OverflowedStack::Ist { cpu, ist: i + 1 });
        }
    }
    Some(OverflowedStack::Task)
}
