//! Leaving the machine. The exit protocol (contract with the launcher): print
//! `ringo: exit status N` on the console, then write N to QEMU's
//! isa-debug-exit port, which ends QEMU with status `(N << 1) | 1`; the
//! launcher reads the exact N from the console line.

use core::fmt::Write;
use x86_64::instructions::port::Port;

/// Status of a kernel fault or panic (EX_SOFTWARE: an internal error).
pub const STATUS_KERNEL_CRASH: u8 = 70;
/// Status when the hypervisor runs ring 3 unfaithfully (EX_OSERR).
pub const STATUS_UNFAITHFUL_HYPERVISOR: u8 = 71;
/// Status when the machine cannot hold what it was given, such as an
/// initramfs bigger than its memory (EX_CONFIG).
pub const STATUS_MACHINE_TOO_SMALL: u8 = 78;

const DEBUG_EXIT_PORT: u16 = 0xf4;

/// Powers off with `status`; `reason` is added to the status line.
pub fn exit(status: u8, reason: &str) -> ! {
    super::cpu::disable_interrupts();
    let mut w = crate::console::emergency_writer();
    if reason.is_empty() {
        let _ = writeln!(w, "ringo: exit status {status}");
    } else {
        let _ = writeln!(w, "ringo: exit status {status} ({reason})");
    }
    // SAFETY: isa-debug-exit ends the VM; on a machine without it the write
    // goes to an unused port and we fall through to the halt below.
    unsafe { Port::<u32>::new(DEBUG_EXIT_PORT).write(status as u32) };
    // No debug-exit device (another VMM): ACPI S5 on QEMU's ICH9/PIIX PM
    // blocks would go here; halting is the safe fallback.
    super::cpu::halt_forever()
}
