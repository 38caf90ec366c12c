//! x86_64 (PC-type machines: QEMU microvm and q35, Firecracker,
//! cloud-hypervisor).

pub mod acpi;
pub mod apic;
pub mod boot;
pub mod cpu;
pub mod idt;
pub mod paging;
pub mod percpu;
pub mod power;
pub mod ring3_probe;
pub mod rtc;
pub mod serial;
pub mod smp;
pub mod syscall_entry;
pub mod trap;
pub mod tsc;
pub mod uaccess;
pub mod user_pages;

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

/// The stack the given address lies on, if it is a kernel stack
/// (for the backtrace walker).
pub fn stack_bounds_containing(addr: u64) -> Option<(u64, u64)> {
    (0..percpu::count().max(1)).filter_map(smp::kernel_stack_bounds).find(|&(lo, hi)| (lo..hi).contains(&addr))
}
