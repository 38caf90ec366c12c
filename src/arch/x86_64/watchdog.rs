//! The watchdog: a CPU that makes no progress for [`WATCHDOG_SECS`] is
//! reported with its registers and a backtrace, and the machine powers off
//! with status 70. A hung kernel is a bug to be found (the fuzzer and the
//! tests need the report), not a guest that freezes in silence.
//!
//! Progress is a system call entered, a task switch, or a timer tick that
//! finds the CPU in user code (in HP mode the app's ring-0 code, which lies
//! in the lower half) or idle. Each CPU checks itself on its own tick (a
//! loop in the kernel with interrupts on), and the tick count of the next
//! CPU (one with interrupts off takes no ticks): a neighbour silent that
//! long gets an NMI, whose handler reports where it is. No CPU scans more
//! than its neighbour. Armed when init starts: boot and the self-tests
//! (ringo.ktest=) are not watched.

use core::sync::atomic::{AtomicBool, Ordering};

use super::percpu::{self, PerCpu};
use super::trap::TrapFrame;
use super::{apic, cpu, tsc, uaccess};

/// How long a CPU may go without progress.
pub const WATCHDOG_SECS: u64 = 10;

static ARMED: AtomicBool = AtomicBool::new(false);

pub fn arm() {
    ARMED.store(true, Ordering::Release);
}

/// This CPU made progress (a system call, a task switch). Only this CPU
/// writes its counter: a plain increment, no locked instruction.
#[inline]
pub fn progress() {
    let c = percpu::this();
    c.progress.store(c.progress.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
}

/// On every timer tick of every CPU, with the interrupted context. Time is
/// the TSC's, not a count of ticks: under an emulator a loaded host makes
/// the timer's calibration, and so the tick rate, unreliable.
pub fn on_tick(c: &'static PerCpu, frame: &TrapFrame, idle: bool) {
    if !ARMED.load(Ordering::Acquire) {
        return;
    }
    let now = cpu::rdtsc();
    let limit = tsc::khz() * 1000 * WATCHDOG_SECS;
    let w = &c.watch;
    let progress = c.progress.load(Ordering::Relaxed);
    let elsewhere = idle || frame.rip < uaccess::USER_LIMIT;
    // (A zero time: the first tick since the watchdog was armed.)
    if elsewhere
        || w.seen_progress.swap(progress, Ordering::Relaxed) != progress
        || w.progress_tsc.load(Ordering::Relaxed) == 0
    {
        w.progress_tsc.store(now, Ordering::Relaxed);
    } else if now.saturating_sub(w.progress_tsc.load(Ordering::Relaxed)) > limit {
        super::trap::watchdog_report(frame, WATCHDOG_SECS);
    }
    let n = percpu::count();
    if n < 2 {
        return;
    }
    let Some(next) = percpu::cpu((c.index + 1) % n).filter(|p| p.online.load(Ordering::Acquire)) else { return };
    let ticks = next.ticks.load(Ordering::Relaxed);
    if w.neighbour_ticks.swap(ticks, Ordering::Relaxed) != ticks
        || w.nmi_sent.load(Ordering::Relaxed)
        || w.neighbour_tsc.load(Ordering::Relaxed) == 0
    {
        w.neighbour_tsc.store(now, Ordering::Relaxed);
    } else if now.saturating_sub(w.neighbour_tsc.load(Ordering::Relaxed)) > limit {
        w.nmi_sent.store(true, Ordering::Relaxed);
        let mut out = crate::console::emergency_writer();
        let _ = core::fmt::Write::write_fmt(
            &mut out,
            format_args!(
                "\nringo: KERNEL WATCHDOG: cpu {} took no timer interrupt for {WATCHDOG_SECS} s (interrupts off?); an NMI asks it where it is\n",
                next.index
            ),
        );
        next.watch.nmi_requested.store(true, Ordering::Release);
        apic::send_nmi(next);
    }
}

/// Whether an NMI on this CPU is the watchdog's question.
pub fn nmi_was_requested() -> bool {
    percpu::current().is_some_and(|c| c.watch.nmi_requested.swap(false, Ordering::AcqRel))
}
