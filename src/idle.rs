//! What a CPU does with nothing to run: halt until the next interrupt.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::arch::{apic, cpu, percpu};

/// When non-zero, each CPU reports once it has taken this many timer ticks
/// (the SMP self-test).
pub static REPORT_AFTER_TICKS: AtomicU64 = AtomicU64::new(0);
pub static REPORTED: AtomicUsize = AtomicUsize::new(0);

pub fn run() -> ! {
    let me = percpu::current().expect("per-CPU block installed");
    let mut reported = false;
    loop {
        let want = REPORT_AFTER_TICKS.load(Ordering::Acquire);
        let ticks = me.ticks.load(Ordering::Relaxed);
        if !reported && want != 0 && ticks >= want {
            crate::println!("smp: cpu {} (apic {}) online, {} ticks", me.index, apic::current_apic_id(), ticks);
            REPORTED.fetch_add(1, Ordering::AcqRel);
            reported = true;
        }
        cpu::enable_interrupts_and_halt();
    }
}
