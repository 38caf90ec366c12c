//! Small CPU primitives: CPUID feature checks, MSRs, the TSC, interrupts.

use core::arch::x86_64::{__cpuid, __cpuid_count, _rdtsc};

pub use x86_64::instructions::interrupts::without_interrupts;

pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC is available on every x86_64 CPU and has no side effect.
    unsafe { _rdtsc() }
}

pub fn cpuid(leaf: u32) -> (u32, u32, u32, u32) {
    let r = __cpuid(leaf);
    (r.eax, r.ebx, r.ecx, r.edx)
}

pub fn cpuid_count(leaf: u32, sub: u32) -> (u32, u32, u32, u32) {
    let r = __cpuid_count(leaf, sub);
    (r.eax, r.ebx, r.ecx, r.edx)
}

/// The display family (base family plus extended family for family 15).
pub fn cpu_family() -> u32 {
    let eax = cpuid(1).0;
    let base = (eax >> 8) & 0xf;
    if base == 0xf { base + ((eax >> 20) & 0xff) } else { base }
}

pub fn has_x2apic() -> bool {
    cpuid(1).2 & (1 << 21) != 0
}

pub fn has_smep() -> bool {
    cpuid(0).0 >= 7 && cpuid_count(7, 0).1 & (1 << 7) != 0
}

/// The hypervisor's CPUID signature ("KVMKVMKVM", "TCGTCGTCGTCG", ...), if
/// the CPU says it runs under one.
pub fn hypervisor_signature() -> Option<[u8; 12]> {
    if cpuid(1).2 & (1 << 31) == 0 {
        return None;
    }
    let (_, b, c, d) = cpuid(0x4000_0000);
    let mut sig = [0u8; 12];
    sig[..4].copy_from_slice(&b.to_le_bytes());
    sig[4..8].copy_from_slice(&c.to_le_bytes());
    sig[8..].copy_from_slice(&d.to_le_bytes());
    Some(sig)
}

/// What the banner calls the accelerator: KVM announces itself through
/// CPUID; QEMU's TCG shows no hypervisor leaf (or its own signature).
pub fn accelerator_name() -> &'static str {
    match hypervisor_signature() {
        Some(s) if s.starts_with(b"KVMKVMKVM") => "kvm",
        Some(s) if s.starts_with(b"TCGTCGTCGTCG") => "tcg",
        Some(s) if s.starts_with(b"Microsoft Hv") => "hyperv",
        Some(_) => "other",
        None => "tcg",
    }
}

pub const MSR_EFER: u32 = 0xc000_0080;
pub const MSR_STAR: u32 = 0xc000_0081;
pub const MSR_LSTAR: u32 = 0xc000_0082;
pub const MSR_SFMASK: u32 = 0xc000_0084;
pub const MSR_FS_BASE: u32 = 0xc000_0100;
pub const MSR_GS_BASE: u32 = 0xc000_0101;
pub const MSR_KERNEL_GS_BASE: u32 = 0xc000_0102;

/// # Safety
/// Writing an MSR changes CPU behaviour; the caller must know the value is
/// valid for `msr` and consistent with the rest of the kernel.
pub unsafe fn wrmsr(msr: u32, value: u64) {
    // SAFETY: forwarded to the caller.
    unsafe { x86_64::registers::model_specific::Msr::new(msr).write(value) }
}

pub fn rdmsr(msr: u32) -> u64 {
    // SAFETY: only architectural MSRs named above are read, which exist on
    // every x86_64 CPU; reading them has no side effect.
    unsafe { x86_64::registers::model_specific::Msr::new(msr).read() }
}

pub fn disable_interrupts() {
    x86_64::instructions::interrupts::disable();
}

pub fn enable_interrupts() {
    x86_64::instructions::interrupts::enable();
}

/// Sleeps until the next interrupt, with interrupts enabled atomically so a
/// wakeup between the check and the halt is not lost.
pub fn enable_interrupts_and_halt() {
    x86_64::instructions::interrupts::enable_and_hlt();
}

/// Stops this CPU for good.
pub fn halt_forever() -> ! {
    loop {
        disable_interrupts();
        x86_64::instructions::hlt();
    }
}

pub fn read_rbp() -> u64 {
    let rbp: u64;
    // SAFETY: reads a register.
    unsafe { core::arch::asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags)) };
    rbp
}
