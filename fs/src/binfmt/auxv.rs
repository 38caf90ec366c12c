//! The auxiliary vector Linux gives a static x86-64 program, in Linux's
//! order (create_elf_tables with x86's ARCH_DLINFO first), ready for
//! [`super::stack::build`], which fills in the three entries that point
//! into the stack. Also reachable as `stack::standard_auxv`.

use super::load_plan::{LoadPlan, PAGE_SIZE};
use alloc::vec::Vec;
use ringo_uapi::auxv::*;

/// Linux's USER_HZ: the unit of times() and /proc tick counts.
pub const CLOCK_TICKS: u64 = 100;

/// What the kernel knows about the CPU and itself that the program may ask.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuxvInputs {
    pub hwcap: u64,
    pub hwcap2: u64,
    /// The signal frame size (depends on the XSAVE area); omitted if None.
    pub minsigstksz: Option<u64>,
    /// The vDSO's ELF header, if Ringo maps one.
    pub sysinfo_ehdr: Option<u64>,
}

/// The standard entries for a program loaded by `plan` on a CPU with
/// `hwcap` (CPUID leaf 1 EDX), without AT_NULL: `stack::build` ends it. Push
/// anything else (AT_RINGO_VTABLE in HP mode) before building.
pub fn standard_auxv(plan: &LoadPlan, hwcap: u64) -> Vec<(u64, u64)> {
    standard_auxv_with(plan, &AuxvInputs { hwcap, ..AuxvInputs::default() }, &[])
}

/// The standard entries with everything Linux may add, then `extra`. The
/// program runs as root, not setuid, with no interpreter (AT_BASE 0).
pub fn standard_auxv_with(plan: &LoadPlan, inputs: &AuxvInputs, extra: &[(u64, u64)]) -> Vec<(u64, u64)> {
    // Placeholder values; stack::build replaces them with the addresses.
    const FILLED_BY_BUILD: u64 = 0;
    let mut auxv = Vec::with_capacity(24 + extra.len());
    if let Some(ehdr) = inputs.sysinfo_ehdr {
        auxv.push((AT_SYSINFO_EHDR, ehdr));
    }
    if let Some(size) = inputs.minsigstksz {
        auxv.push((AT_MINSIGSTKSZ, size));
    }
    auxv.extend_from_slice(&[
        (AT_HWCAP, inputs.hwcap),
        (AT_PAGESZ, PAGE_SIZE),
        (AT_CLKTCK, CLOCK_TICKS),
        (AT_PHDR, plan.phdr_vaddr.unwrap_or(0)),
        (AT_PHENT, u64::from(plan.phent)),
        (AT_PHNUM, u64::from(plan.phnum)),
        (AT_BASE, 0),
        (AT_FLAGS, 0),
        (AT_ENTRY, plan.entry),
        (AT_UID, 0),
        (AT_EUID, 0),
        (AT_GID, 0),
        (AT_EGID, 0),
        (AT_SECURE, 0),
        (AT_RANDOM, FILLED_BY_BUILD),
        (AT_HWCAP2, inputs.hwcap2),
        (AT_EXECFN, FILLED_BY_BUILD),
        (AT_PLATFORM, FILLED_BY_BUILD),
    ]);
    auxv.extend_from_slice(extra);
    auxv
}
