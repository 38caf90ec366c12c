//! A kernel panic reports where and why, with a backtrace, and ends the VM
//! with the kernel-crash status.

use core::fmt::Write;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::{cpu, percpu, power};

static PANICKING: AtomicBool = AtomicBool::new(false);

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    cpu::disable_interrupts();
    if PANICKING.swap(true, Ordering::SeqCst) {
        // A panic while reporting one: stop without another report.
        power::exit(power::STATUS_KERNEL_CRASH, "kernel panic");
    }
    let mut w = crate::console::emergency_writer();
    let _ = write!(w, "\nringo: KERNEL PANIC on cpu {}", percpu::current_index());
    if let Some(loc) = info.location() {
        let _ = write!(w, " at {}:{}:{}", loc.file(), loc.line(), loc.column());
    }
    let _ = writeln!(w, ": {}", info.message());
    crate::backtrace::print(&mut w, None, cpu::read_rbp());
    power::exit(power::STATUS_KERNEL_CRASH, "kernel panic")
}
