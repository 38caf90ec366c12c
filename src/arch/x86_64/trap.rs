//! What happens after `trap_common`: exceptions, device interrupts and IPIs
//! are told apart by vector. A kernel-mode exception is a kernel bug: it is
//! reported (vector, error code, registers, backtrace) and the machine stops
//! with a failure status.

use core::fmt::Write;
use core::sync::atomic::Ordering;

use super::{apic, percpu, ring3_probe, uaccess};

/// Vectors the kernel programs (exceptions are 0..32). The APIC serves
/// pending interrupts highest vector first: the tick and the IPIs sit
/// above every device vector, so that a flood of device interrupts cannot
/// hold back scheduling or a TLB shootdown.
pub const VECTOR_TIMER: u8 = 0xf0;
/// Another CPU queued work for this idle CPU, or signalled the task
/// running here: entering and leaving the kernel is all it takes.
pub const VECTOR_RESCHEDULE: u8 = 0xf1;
/// Another CPU changed page tables this CPU may have cached.
pub const VECTOR_TLB_FLUSH: u8 = 0xf2;
pub const VECTOR_LEGACY_PIC: u8 = 0xe0;
pub const VECTOR_APIC_ERROR: u8 = 0xfe;
pub const VECTOR_SPURIOUS: u8 = 0xff;

/// The registers `trap_common` saves, lowest address first, followed by what
/// the stub and the CPU pushed.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// Whether the app was running: ring 3, or ring 0 on a lower-half
    /// stack (an HP app; kernel code only runs on upper-half stacks).
    pub fn is_from_user(&self) -> bool {
        self.cs & 3 != 0 || (self.rsp < super::uaccess::USER_LIMIT && super::syscall_entry::hp_mode())
    }
}

const EXCEPTIONS: [(&str, &str); 32] = [
    ("divide error", "#DE"),
    ("debug", "#DB"),
    ("non-maskable interrupt", "NMI"),
    ("breakpoint", "#BP"),
    ("overflow", "#OF"),
    ("bound range exceeded", "#BR"),
    ("invalid opcode", "#UD"),
    ("device not available", "#NM"),
    ("double fault", "#DF"),
    ("coprocessor segment overrun", "#MF"),
    ("invalid TSS", "#TS"),
    ("segment not present", "#NP"),
    ("stack-segment fault", "#SS"),
    ("general protection fault", "#GP"),
    ("page fault", "#PF"),
    ("reserved", "#15"),
    ("x87 floating-point error", "#MF"),
    ("alignment check", "#AC"),
    ("machine check", "#MC"),
    ("SIMD floating-point error", "#XM"),
    ("virtualization exception", "#VE"),
    ("control protection", "#CP"),
    ("reserved", "#22"),
    ("reserved", "#23"),
    ("reserved", "#24"),
    ("reserved", "#25"),
    ("reserved", "#26"),
    ("reserved", "#27"),
    ("hypervisor injection", "#HV"),
    ("VMM communication", "#VC"),
    ("security exception", "#SX"),
    ("reserved", "#31"),
];

pub fn exception_name(vector: u64) -> (&'static str, &'static str) {
    EXCEPTIONS.get(vector as usize).copied().unwrap_or(("interrupt", "IRQ"))
}

#[unsafe(no_mangle)]
pub(super) extern "C" fn trap_dispatch(frame: &mut TrapFrame) {
    dispatch_vector(frame);
    if frame.is_from_user() && !super::hp_entry::in_entry_code(frame.rip) {
        crate::signals::deliver_pending(frame);
    }
}

fn dispatch_vector(frame: &mut TrapFrame) {
    let vector = frame.vector;
    match vector {
        0..32 => exception(frame),
        v if v == VECTOR_TIMER as u64 => {
            let this_cpu = percpu::current();
            if let Some(c) = this_cpu {
                c.ticks.fetch_add(1, Ordering::Relaxed);
                super::watchdog::on_tick(c, frame, crate::sched::interrupted_idle());
            }
            apic::end_of_interrupt();
            if this_cpu.is_some() {
                crate::tick(frame.is_from_user());
            }
        }
        v if v == VECTOR_RESCHEDULE as u64 => {
            apic::end_of_interrupt();
            if frame.is_from_user() {
                crate::sched::leave_if_disallowed();
            }
        }
        v if v == VECTOR_TLB_FLUSH as u64 => {
            super::tlb::serve_requests();
            apic::end_of_interrupt();
        }
        v if v == VECTOR_SPURIOUS as u64 => {}
        0x80 if frame.is_from_user() => crate::syscall::dispatch_i386(frame),
        v if (VECTOR_LEGACY_PIC as u64..VECTOR_LEGACY_PIC as u64 + 16).contains(&v) => {
            // The 8259 is masked; a spurious IRQ7/15 can still arrive and
            // needs no acknowledgement.
        }
        v if (super::vectors::DEVICE_FIRST as u64..super::vectors::DEVICE_END as u64).contains(&v)
            && super::vectors::dispatch(v as u8) => {}
        v if v == VECTOR_APIC_ERROR as u64 => {
            log::warn!("local APIC error interrupt on cpu {}", percpu::current_index());
            apic::end_of_interrupt();
        }
        v => {
            log::warn!("unexpected interrupt vector {v:#x} on cpu {}", percpu::current_index());
            apic::end_of_interrupt();
        }
    }
}

fn exception(frame: &mut TrapFrame) {
    if frame.vector == 2 && super::watchdog::nmi_was_requested() {
        crate::console::write_raw(b"ringo: the watchdog's NMI: where this CPU is stuck\n");
        kernel_fault(frame);
    }
    let mut fault_addr = 0;
    let mut fault = None;
    if frame.vector == 14 {
        fault_addr = x86_64::registers::control::Cr2::read_raw();
        if fault_addr < uaccess::USER_LIMIT {
            let (write, exec) = (frame.error & 2 != 0, frame.error & 16 != 0);
            match crate::process::user_page_fault(fault_addr, write, exec) {
                Ok(()) => return,
                Err(e) => fault = Some(e),
            }
            // A kernel copy to or from a bad user address: EFAULT. (Decided
            // by the faulting instruction: in HP mode a register-only
            // entry makes its copies on the app's stack.)
            if let Some(fixup) = uaccess::fixup_for(frame.rip) {
                frame.rip = fixup;
                return;
            }
        }
    }
    if frame.is_from_user() {
        if ring3_probe::handle_user_exception(frame) {
            return;
        }
        crate::process::user_exception(frame, fault_addr, fault);
        return;
    }
    kernel_fault(frame)
}

/// Hex without the formatting machinery: the first thing a fault report
/// prints, so that even a fault inside formatting leaves these.
fn raw_hex(label: &[u8], v: u64) {
    let mut buf = [0u8; 19];
    buf[0] = b'0';
    buf[1] = b'x';
    for i in 0..16 {
        let d = ((v >> (60 - 4 * i)) & 0xf) as u8;
        buf[2 + i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
    }
    buf[18] = b' ';
    super::serial::Serial::write_bytes(label);
    super::serial::Serial::write_bytes(&buf);
}

fn kernel_fault(frame: &TrapFrame) -> ! {
    let rsp: u64;
    // SAFETY: reads the stack pointer.
    unsafe { core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags)) };
    raw_hex(b"\nringo: fault rip ", frame.rip);
    raw_hex(b"cr2 ", x86_64::registers::control::Cr2::read_raw());
    raw_hex(b"frame rsp ", frame.rsp);
    raw_hex(b"handler rsp ", rsp);
    let mut w = crate::console::emergency_writer();
    let (name, mnemonic) = exception_name(frame.vector);
    let _ = writeln!(
        w,
        "\nringo: KERNEL FAULT: {name} ({mnemonic}, vector {}) on cpu {}, error {:#x}{}",
        frame.vector,
        percpu::current_index(),
        frame.error,
        if frame.is_from_user() { ", from ring 3" } else { "" }
    );
    let cr2 = x86_64::registers::control::Cr2::read_raw();
    if frame.vector == 14 {
        let _ = writeln!(w, "  cr2 {cr2:#018x} ({})", page_fault_cause(frame.error));
    }
    // A stack overflow faults on the guard page; without an IST stack for
    // #PF, pushing its frame faults again and it arrives as #DF.
    if matches!(frame.vector, 8 | 14)
        && let Some(stack) = super::overflowed_stack(cr2, frame.rsp)
    {
        let _ = writeln!(w, "  kernel stack overflow: {stack} (cr2 {cr2:#x} is its guard page)");
    }
    print_registers(&mut w, frame);
    crate::backtrace::print(&mut w, Some(frame.rip), frame.rbp);
    super::power::exit(super::power::STATUS_KERNEL_CRASH, "kernel fault");
}

/// The watchdog's report of this CPU, stuck in the kernel for `secs`
/// seconds with interrupts on; powers off.
pub(super) fn watchdog_report(frame: &TrapFrame, secs: u64) -> ! {
    let mut w = crate::console::emergency_writer();
    let task = crate::process::current_ref().map(|p| (p.pid, p.exe()));
    let _ = writeln!(
        w,
        "\nringo: KERNEL WATCHDOG: cpu {} made no progress for {secs} s in the kernel (task {:?})",
        percpu::current_index(),
        task
    );
    print_registers(&mut w, frame);
    crate::backtrace::print(&mut w, Some(frame.rip), frame.rbp);
    super::power::exit(super::power::STATUS_KERNEL_CRASH, "watchdog")
}

fn page_fault_cause(error: u64) -> &'static str {
    match (error & 1 != 0, error & 2 != 0, error & 16 != 0) {
        (_, _, true) => "instruction fetch",
        (false, true, _) => "write to unmapped page",
        (false, false, _) => "read of unmapped page",
        (true, true, _) => "write to protected page",
        (true, false, _) => "read of protected page",
    }
}

pub fn print_registers(w: &mut impl Write, f: &TrapFrame) {
    let rows = [
        [("rax", f.rax), ("rbx", f.rbx), ("rcx", f.rcx), ("rdx", f.rdx)],
        [("rsi", f.rsi), ("rdi", f.rdi), ("rbp", f.rbp), ("rsp", f.rsp)],
        [("r8", f.r8), ("r9", f.r9), ("r10", f.r10), ("r11", f.r11)],
        [("r12", f.r12), ("r13", f.r13), ("r14", f.r14), ("r15", f.r15)],
        [("cs", f.cs), ("ss", f.ss), ("rflags", f.rflags), ("error", f.error)],
    ];
    for row in rows {
        let _ = write!(w, " ");
        for (name, v) in row {
            let _ = write!(w, " {name:>6} {v:#018x}");
        }
        let _ = writeln!(w);
    }
}
