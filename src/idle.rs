//! The SMP self-test's hook in every CPU's idle loop (the loop itself is
//! `sched::run_idle`).

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crate::arch::{apic, percpu};

/// When non-zero, each CPU reports once it has taken this many timer ticks
/// (the SMP self-test).
pub static REPORT_AFTER_TICKS: AtomicU64 = AtomicU64::new(0);
pub static REPORTED: AtomicUsize = AtomicUsize::new(0);
/// Bit per CPU: reported already.
static DONE: AtomicU64 = AtomicU64::new(0);

/// Prints this CPU's line of the self-test once it has taken the asked
/// number of ticks.
pub fn report_if_asked() {
    let want = REPORT_AFTER_TICKS.load(Ordering::Acquire);
    if want == 0 {
        return;
    }
    let me = percpu::this();
    let ticks = me.ticks.load(Ordering::Relaxed);
    let bit = 1u64 << (me.index % 64);
    if ticks >= want && DONE.fetch_or(bit, Ordering::AcqRel) & bit == 0 {
        crate::println!("smp: cpu {} (apic {}) online, {} ticks", me.index, apic::current_apic_id(), ticks);
        REPORTED.fetch_add(1, Ordering::AcqRel);
    }
}
