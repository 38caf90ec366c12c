//! Kernel clocks: monotonic time from the TSC since boot, wall-clock time
//! anchored to the RTC at boot.

use core::sync::atomic::{AtomicI64, Ordering};

use crate::arch::{boot, cpu, rtc, tsc};

/// Unix time (ns) at the kernel's first instruction (read by HP mode's
/// assembly clock_gettime too).
#[unsafe(no_mangle)]
pub static BOOT_EPOCH_NS: AtomicI64 = AtomicI64::new(0);

pub fn init() {
    let now_s = rtc::unix_time().unwrap_or(1_767_225_600); // 2026-01-01 without an RTC
    let since_boot = monotonic_ns() as i64;
    BOOT_EPOCH_NS.store(now_s * 1_000_000_000 - since_boot, Ordering::Relaxed);
}

/// Nanoseconds since the PVH entry.
pub fn monotonic_ns() -> u64 {
    tsc::ticks_to_ns(cpu::rdtsc().saturating_sub(boot::boot_tsc()))
}

/// TSC ticks as nanoseconds.
pub fn tsc_to_ns(ticks: u64) -> u64 {
    tsc::ticks_to_ns(ticks)
}

/// The monotonic time `ns` from now, saturating: a huge timeout is a
/// deadline that never comes, not one that wrapped into the past.
pub fn deadline_after(ns: u64) -> u64 {
    monotonic_ns().saturating_add(ns)
}

/// An absolute CLOCK_REALTIME time (ns) as a monotonic deadline.
pub fn deadline_from_realtime(wall_ns: u64) -> u64 {
    let wall = i64::try_from(wall_ns).unwrap_or(i64::MAX);
    deadline_after(wall.saturating_sub(realtime_ns()).max(0) as u64)
}

pub fn realtime_ns() -> i64 {
    BOOT_EPOCH_NS.load(Ordering::Relaxed) + monotonic_ns() as i64
}
