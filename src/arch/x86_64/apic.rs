//! Interrupt controllers: the legacy 8259 is remapped out of the exception
//! range and masked; each CPU's local APIC (x2APIC when the CPU has it, xAPIC
//! through MMIO otherwise, as under TCG) gives the periodic timer and IPIs.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use x2apic::lapic::{LocalApic, LocalApicBuilder, TimerDivide, TimerMode};
use x86_64::instructions::port::Port;

use super::percpu::PerCpu;
use super::trap::{VECTOR_APIC_ERROR, VECTOR_LEGACY_PIC, VECTOR_SPURIOUS, VECTOR_TIMER};
use super::{cpu, paging, tsc};

/// Timer interrupts per second on every CPU.
pub const HZ: u32 = 100;
const XAPIC_PHYS: u64 = 0xfee0_0000;
const XAPIC_EOI: u64 = 0xb0;
const X2APIC_EOI_MSR: u32 = 0x80b;

static X2APIC: AtomicBool = AtomicBool::new(false);
static XAPIC_VIRT: AtomicU64 = AtomicU64::new(0);
/// Initial count of the periodic timer (divide by 16) for [`HZ`].
static TIMER_INITIAL: AtomicU32 = AtomicU32::new(0);

pub fn mask_legacy_pic() {
    // SAFETY: the 8259 command/data ports; ICW1-4 remap both PICs to
    // VECTOR_LEGACY_PIC.., then every line is masked.
    unsafe {
        let (mut c1, mut d1) = (Port::<u8>::new(0x20), Port::<u8>::new(0x21));
        let (mut c2, mut d2) = (Port::<u8>::new(0xa0), Port::<u8>::new(0xa1));
        c1.write(0x11);
        c2.write(0x11);
        d1.write(VECTOR_LEGACY_PIC);
        d2.write(VECTOR_LEGACY_PIC + 8);
        d1.write(4);
        d2.write(2);
        d1.write(1);
        d2.write(1);
        d1.write(0xff);
        d2.write(0xff);
    }
}

pub fn is_x2apic() -> bool {
    X2APIC.load(Ordering::Relaxed)
}

/// Maps the xAPIC registers if needed; call once on the boot CPU.
pub fn init_global() -> Result<(), paging::PagingError> {
    let x2 = cpu::has_x2apic();
    X2APIC.store(x2, Ordering::Relaxed);
    if !x2 {
        XAPIC_VIRT.store(paging::map_mmio(XAPIC_PHYS, 4096)?, Ordering::Relaxed);
    }
    Ok(())
}

fn builder() -> LocalApicBuilder {
    let mut b = LocalApicBuilder::new();
    b.timer_vector(VECTOR_TIMER as usize)
        .error_vector(VECTOR_APIC_ERROR as usize)
        .spurious_vector(VECTOR_SPURIOUS as usize)
        .timer_divide(TimerDivide::Div16);
    if !is_x2apic() {
        b.set_xapic_base(XAPIC_VIRT.load(Ordering::Relaxed));
    }
    b
}

fn with_lapic<R>(cpu: &PerCpu, f: impl FnOnce(&mut LocalApic) -> R) -> R {
    // SAFETY: only the owning CPU calls this (interrupts off or from its own
    // interrupt handler, which cannot nest with itself), after `init_local`;
    // the reference does not outlive `f`.
    let l = unsafe { (*cpu.lapic.get()).as_mut().expect("local APIC not initialised") };
    f(l)
}

/// How long the APIC timer is measured against the (already calibrated)
/// TSC: at the usual 1 GHz bus / 16 that is 125,000 counts, precise enough
/// for a scheduler tick and 8 ms less boot time than a 10 ms window.
const CALIBRATION_US: u64 = 2_000;

/// Measures the APIC timer against the TSC (boot CPU, once).
pub fn calibrate_timer() -> u32 {
    let mut l = builder().timer_mode(TimerMode::OneShot).timer_initial(u32::MAX).build().expect("apic builder");
    // SAFETY: enabling this CPU's local APIC with interrupts off; the
    // one-shot count is only read back.
    let remaining = unsafe {
        l.enable();
        tsc::delay_us(CALIBRATION_US);
        let r = l.timer_current();
        l.disable_timer();
        r
    };
    let counted = (u32::MAX - remaining) as u64;
    let initial = (counted * 1_000_000 / CALIBRATION_US / HZ as u64).clamp(1, u32::MAX as u64) as u32;
    TIMER_INITIAL.store(initial, Ordering::Relaxed);
    initial
}

/// Enables this CPU's local APIC with the periodic timer. Interrupts must
/// be off; they fire once the caller enables them.
pub fn init_local(cpu: &PerCpu) {
    let initial = TIMER_INITIAL.load(Ordering::Relaxed).max(1);
    let l = builder().timer_mode(TimerMode::Periodic).timer_initial(initial).build().expect("apic builder");
    // SAFETY: owning CPU, interrupts off: nothing else uses the cell yet.
    unsafe { *cpu.lapic.get() = Some(l) };
    // SAFETY: enabling this CPU's own APIC with interrupts off.
    with_lapic(cpu, |l| unsafe { l.enable() });
}

/// This CPU's APIC ID, straight from the hardware.
pub fn current_apic_id() -> u32 {
    if cpu::has_x2apic() { cpu::cpuid_count(0xb, 0).3 } else { cpu::cpuid(1).1 >> 24 }
}

pub fn end_of_interrupt() {
    if is_x2apic() {
        // SAFETY: writing 0 to the x2APIC EOI MSR acknowledges the interrupt
        // being serviced.
        unsafe { cpu::wrmsr(X2APIC_EOI_MSR, 0) };
    } else {
        let base = XAPIC_VIRT.load(Ordering::Relaxed);
        // SAFETY: the xAPIC page is mapped uncached at `base`; a write to
        // the EOI register acknowledges the interrupt.
        unsafe { core::ptr::write_volatile((base + XAPIC_EOI) as *mut u32, 0) };
    }
}

/// xAPIC keeps the destination in ICR bits 56..64, x2APIC in 32..64; the
/// crate writes our value to bits 32.. either way.
fn ipi_dest(apic_id: u32) -> u32 {
    if is_x2apic() { apic_id } else { apic_id << 24 }
}

/// INIT then two STARTUP IPIs at `page` (vector = physical page number),
/// as the MP specification asks. `started` says when to stop early. The
/// specification's 10 ms after INIT is for pre-P6 CPUs with external APICs;
/// like Linux on modern CPUs and under hypervisors, we wait only briefly.
pub fn start_ap(this_cpu: &PerCpu, apic_id: u32, page: u8, started: impl Fn() -> bool) {
    with_lapic(this_cpu, |l| {
        // SAFETY: INIT/SIPI to a CPU that is parked waiting for them; the
        // trampoline at `page` is in place.
        unsafe {
            l.send_init_ipi(ipi_dest(apic_id));
            tsc::delay_us(if cpu::cpu_family() >= 6 { 10 } else { 10_000 });
            for _ in 0..2 {
                l.send_sipi(page, ipi_dest(apic_id));
                for _ in 0..200 {
                    if started() {
                        return;
                    }
                    tsc::delay_us(10);
                }
            }
        }
    })
}

/// Sends interrupt `vector` to the CPU `target` (another one).
pub fn send_ipi(target: &PerCpu, vector: u8) {
    let Some(this_cpu) = super::percpu::try_this() else { return };
    // Interrupts off: in xAPIC mode the ICR takes two writes, which an
    // interrupt handler sending its own IPI must not split.
    cpu::without_interrupts(|| {
        // SAFETY: a fixed IPI to an online CPU; its vector has a handler.
        with_lapic(this_cpu, |l| unsafe { l.send_ipi(vector, ipi_dest(target.apic_id)) })
    })
}

/// A non-maskable interrupt to `target` (the watchdog's question to a CPU
/// that takes no other interrupt).
pub fn send_nmi(target: &PerCpu) {
    let Some(this_cpu) = super::percpu::try_this() else { return };
    cpu::without_interrupts(|| {
        // SAFETY: an NMI to an online CPU; vector 2 has a handler on its
        // own IST stack.
        with_lapic(this_cpu, |l| unsafe { l.send_nmi(ipi_dest(target.apic_id)) })
    })
}

/// Interrupt `vector` on this CPU, taken once interrupts are on again
/// (after any pending interrupt of higher priority).
pub fn send_self_ipi(vector: u8) {
    let Some(this_cpu) = super::percpu::try_this() else { return };
    send_ipi(this_cpu, vector);
}
