//! The TSC as the kernel's clock. Its rate comes from the hypervisor's CPUID
//! leaf when offered, else CPUID 0x15, else a 10 ms measurement against the
//! PIT (channel 0, read back by latch, no IRQ needed).

use core::sync::atomic::{AtomicU64, Ordering};
use x86_64::instructions::port::Port;

use super::cpu;

static TSC_KHZ: AtomicU64 = AtomicU64::new(0);
/// ns = (ticks * TSC_NS_MULT) >> 32: one multiplication instead of a
/// 128-bit division, the same formula in Rust and in HP mode's assembly
/// clock_gettime, so both read the same clock.
#[unsafe(no_mangle)]
pub static TSC_NS_MULT: AtomicU64 = AtomicU64::new(0);

/// TSC ticks as nanoseconds (after [`calibrate`]).
pub fn ticks_to_ns(ticks: u64) -> u64 {
    ((ticks as u128 * TSC_NS_MULT.load(Ordering::Relaxed) as u128) >> 32) as u64
}

pub fn khz() -> u64 {
    TSC_KHZ.load(Ordering::Relaxed)
}

/// Where the rate came from, for the log.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Hypervisor,
    Cpuid15,
    Pit,
    Guess,
}

pub fn calibrate() -> (u64, Source) {
    let (khz, src) = if let Some(k) = from_hypervisor() {
        (k, Source::Hypervisor)
    } else if let Some(k) = from_cpuid15() {
        (k, Source::Cpuid15)
    } else if let Some(k) = from_pit() {
        (k, Source::Pit)
    } else {
        (1_000_000, Source::Guess)
    };
    TSC_KHZ.store(khz, Ordering::Relaxed);
    TSC_NS_MULT.store(((1_000_000u128 << 32) / khz.max(1) as u128) as u64, Ordering::Relaxed);
    (khz, src)
}

fn from_hypervisor() -> Option<u64> {
    cpu::hypervisor_signature()?;
    (cpu::cpuid(0x4000_0000).0 >= 0x4000_0010).then(|| cpu::cpuid(0x4000_0010).0 as u64).filter(|&k| k != 0)
}

fn from_cpuid15() -> Option<u64> {
    if cpu::cpuid(0).0 < 0x15 {
        return None;
    }
    let (den, num, crystal_hz, _) = cpu::cpuid(0x15);
    (den != 0 && num != 0 && crystal_hz != 0).then(|| crystal_hz as u64 * num as u64 / den as u64 / 1000)
}

const PIT_HZ: u64 = 1_193_182;

fn pit_read() -> u16 {
    // SAFETY: PIT ports; latching and reading channel 0 has no other effect.
    unsafe {
        Port::<u8>::new(0x43).write(0x00);
        let lo = Port::<u8>::new(0x40).read() as u16;
        let hi = Port::<u8>::new(0x40).read() as u16;
        (hi << 8) | lo
    }
}

fn from_pit() -> Option<u64> {
    // SAFETY: channel 0, lobyte/hibyte, mode 2 (rate generator) from 0xffff;
    // the 8259 is masked, so its IRQ goes nowhere.
    unsafe {
        Port::<u8>::new(0x43).write(0x34);
        Port::<u8>::new(0x40).write(0xff);
        Port::<u8>::new(0x40).write(0xff);
    }
    let target = PIT_HZ / 100; // 10 ms
    let mut prev = pit_read();
    let t0 = cpu::rdtsc();
    let mut elapsed = 0u64;
    let mut unchanged = 0u32;
    while elapsed < target {
        let cur = pit_read();
        if cur == prev {
            unchanged += 1;
            if unchanged > 1_000_000 {
                return None; // no PIT on this machine
            }
            continue;
        }
        unchanged = 0;
        elapsed += prev.wrapping_sub(cur) as u64;
        prev = cur;
    }
    let t1 = cpu::rdtsc();
    Some((t1 - t0) * PIT_HZ / elapsed / 1000)
}

/// Microseconds since the PVH entry (0 before calibration).
pub fn micros_since_boot() -> u64 {
    let khz = khz();
    if khz == 0 {
        return 0;
    }
    cpu::rdtsc().saturating_sub(super::boot::boot_tsc()) * 1000 / khz
}

/// Busy-waits `us` microseconds.
pub fn delay_us(us: u64) {
    let start = cpu::rdtsc();
    let ticks = us * khz().max(1) / 1000;
    while cpu::rdtsc() - start < ticks {
        core::hint::spin_loop();
    }
}
