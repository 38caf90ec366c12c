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
use super::{apic, uaccess};

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

/// On every timer tick of every CPU, with the interrupted context.
pub fn on_tick(c: &'static PerCpu, frame: &TrapFrame, idle: bool) {
    if !ARMED.load(Ordering::Acquire) {
        return;
    }
    let limit = apic::HZ * WATCHDOG_SECS as u32;
    let now = c.progress.load(Ordering::Relaxed);
    let elsewhere = idle || frame.rip < uaccess::USER_LIMIT;
    if elsewhere || c.watch.seen_progress.swap(now, Ordering::Relaxed) != now {
        c.watch.stuck_ticks.store(0, Ordering::Relaxed);
    } else if c.watch.stuck_ticks.fetch_add(1, Ordering::Relaxed) + 1 == limit {
        super::trap::watchdog_report(frame, WATCHDOG_SECS);
    }
    let n = percpu::count();
    if n < 2 {
        return;
    }
    let Some(next) = percpu::cpu((c.index + 1) % n).filter(|p| p.online.load(Ordering::Acquire)) else { return };
    let ticks = next.ticks.load(Ordering::Relaxed);
    if c.watch.neighbour_ticks.swap(ticks, Ordering::Relaxed) != ticks {
        c.watch.neighbour_stale.store(0, Ordering::Relaxed);
    } else if c.watch.neighbour_stale.fetch_add(1, Ordering::Relaxed) + 1 == limit {
        let mut w = crate::console::emergency_writer();
        let _ = core::fmt::Write::write_fmt(
            &mut w,
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
