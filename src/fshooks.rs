//! The kernel's side of ringo_fs's hooks: how objects that cannot sleep
//! (pipes, the terminal) wake sleepers, signal process groups, reach user
//! memory and sleep; and the console's terminal on the serial port.

use alloc::sync::Arc;

use ringo_fs::readiness::{self, SignalSink, Waker};
use ringo_fs::tty::{Sleeper, Tty, TtyConsole, TtyOutput, UserMemory};
use ringo_uapi::Errno;
use spin::Once;

use crate::arch::serial::Serial;
use crate::arch::uaccess;
use crate::{sched, signals};

struct KernelWaker;

impl Waker for KernelWaker {
    fn wake(&self, key: u64) {
        ringo_fs::epoll::note_wake(key);
        sched::wake(key);
    }
}

struct HeapBudget;

impl ringo_fs::budget::MemoryBudget for HeapBudget {
    fn fits(&self, bytes: usize) -> bool {
        crate::mem::file_data_fits(bytes)
    }
}

struct GroupSignals;

impl SignalSink for GroupSignals {
    fn signal_group(&self, pgid: i32, sig: ringo_uapi::signal::Signal) {
        signals::send_to_group(pgid as u32, sig as u8, signals::Siginfo::kernel(sig as u8));
    }
}

struct UserCopies;

impl UserMemory for UserCopies {
    fn read(&self, addr: usize, out: &mut [u8]) -> Result<(), Errno> {
        if uaccess::copy_from_user(out, addr as u64) { Ok(()) } else { Err(Errno::EFAULT) }
    }

    fn write(&self, addr: usize, data: &[u8]) -> Result<(), Errno> {
        if uaccess::copy_to_user(addr as u64, data) { Ok(()) } else { Err(Errno::EFAULT) }
    }
}

struct KernelSleeper;

impl Sleeper for KernelSleeper {
    fn sleep(&self, key: u64, ready: &dyn Fn() -> bool, timeout: Option<u32>) -> Result<bool, Errno> {
        let deadline = timeout.map(|t| crate::time::monotonic_ns() + t as u64 * 100_000_000);
        match sched::wait_until(&[key], deadline, ready) {
            Ok(()) => Ok(false),
            Err(sched::Interrupted::Timeout) => Ok(true),
            Err(sched::Interrupted::Signal) => Err(sched::restartable_eintr()),
        }
    }

    fn pause(&self) -> bool {
        sched::cond_resched();
        crate::process::try_current().is_some_and(|p| p.signal_pending())
    }
}

/// The terminal's output: the UART (echo and program output).
struct SerialOut;

impl TtyOutput for SerialOut {
    fn emit(&self, bytes: &[u8]) {
        crate::console::write_raw(bytes);
    }
}

static TTY: Once<Arc<Tty>> = Once::new();

struct KernelClocks;

impl ringo_fs::timerfd::TimerClock for KernelClocks {
    fn monotonic_ns(&self) -> u64 {
        crate::time::monotonic_ns()
    }

    fn realtime_ns(&self) -> u64 {
        crate::time::realtime_ns().max(0) as u64
    }
}

pub fn install() {
    static CLOCKS: KernelClocks = KernelClocks;
    ringo_fs::timerfd::set_clock(&CLOCKS);
    static WAKER: KernelWaker = KernelWaker;
    static SIGNALS: GroupSignals = GroupSignals;
    static MEMORY: UserCopies = UserCopies;
    static BUDGET: HeapBudget = HeapBudget;
    ringo_fs::budget::set_budget(&BUDGET);
    readiness::set_waker(&WAKER);
    readiness::set_signal_sink(&SIGNALS);
    ringo_fs::tty::set_user_memory(&MEMORY);
}

/// The console device: a terminal over the serial port.
pub fn console() -> Arc<dyn ringo_fs::devfs::Console> {
    let tty = TTY.call_once(|| Arc::new(Tty::new(Arc::new(SerialOut)))).clone();
    Arc::new(TtyConsole::new(tty, Arc::new(KernelSleeper)))
}

/// From the timer tick: bytes the UART received go to the terminal.
pub fn poll_serial_input() {
    if let Some(tty) = TTY.get() {
        while let Some(b) = Serial::read_byte() {
            tty.receive(b);
        }
    }
}
