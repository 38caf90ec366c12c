//! Starting a program: its ELF image becomes a fresh address space (each
//! segment a private file-backed area, filled on demand), a stack laid out
//! as Linux lays it out, and a jump to ring 3.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_fs::binfmt::elf::{self, ElfError};
use ringo_fs::binfmt::load_plan::LoadPlan;
use ringo_mm::vma::{Backing, Prot, Role, Vma};

use crate::arch::cpu;
use crate::arch::percpu::{KERNEL_CS, KERNEL_DS, USER_CS, USER_DS};
use crate::arch::trap::TrapFrame;
use crate::usermem::{AddressSpace, BytesSource, MappedFile, STACK_SIZE, STACK_TOP};

#[derive(Debug)]
pub enum ExecError {
    Elf(ElfError),
    NoMemory,
    Stack,
}

impl core::fmt::Display for ExecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ExecError::Elf(e) => write!(f, "{e}"),
            ExecError::NoMemory => f.write_str("out of memory"),
            ExecError::Stack => f.write_str("arguments and environment too large"),
        }
    }
}

impl ExecError {
    /// What execve returns.
    pub fn errno(&self) -> ringo_uapi::Errno {
        match self {
            ExecError::Elf(e) => e.errno(),
            ExecError::NoMemory => ringo_uapi::Errno::ENOMEM,
            ExecError::Stack => ringo_uapi::Errno::E2BIG,
        }
    }

    /// What a shell reports: 126 "cannot execute".
    pub fn exit_status(&self) -> u8 {
        match self {
            ExecError::Elf(e) => e.exit_status(),
            _ => 126,
        }
    }
}

/// A loaded image, ready to enter.
pub struct Loaded {
    pub aspace: AddressSpace,
    pub entry: u64,
    pub stack_pointer: u64,
    pub auxv: Vec<(u64, u64)>,
}

fn map_segments(aspace: &mut AddressSpace, plan: &LoadPlan, image: &MappedFile) -> Result<(), ExecError> {
    for seg in &plan.segments {
        let start = seg.vaddr & !0xfff;
        let lead = seg.vaddr - start;
        let end = (seg.vaddr + seg.memsz).next_multiple_of(4096);
        let vma = Vma {
            start,
            end,
            prot: Prot { read: seg.readable, write: seg.writable, exec: seg.executable },
            shared: false,
            backing: Backing::File { file: image.clone(), offset: seg.file_offset - lead, file_len: lead + seg.filesz },
            role: Role::Mapping,
        };
        // Later segments win a shared page, as Linux's MAP_FIXED mapping.
        aspace.map(vma, true).map_err(|_| ExecError::NoMemory)?;
    }
    Ok(())
}

/// Loads `bytes` (the file at `path`) with `argv` and `envp`. The stack is
/// written later, by [`write_stack`], once the address space is active.
pub fn load(
    path: &str,
    bytes: Arc<Vec<u8>>,
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<(Loaded, Vec<u8>), ExecError> {
    let plan = elf::plan(&bytes).map_err(ExecError::Elf)?;
    let hp = crate::hp::enabled();
    let mut aspace = AddressSpace::new_for(hp).map_err(|_| ExecError::NoMemory)?;
    let image = MappedFile(Arc::new(BytesSource { bytes: bytes.clone(), name: String::from(path) }));
    map_segments(&mut aspace, &plan, &image)?;
    aspace.brk_start = plan.brk_start;
    aspace.brk = plan.brk_start;
    let stack = Vma {
        start: STACK_TOP - STACK_SIZE,
        end: STACK_TOP,
        prot: Prot { read: true, write: true, exec: plan.stack_executable },
        shared: false,
        backing: Backing::Anonymous,
        role: Role::Stack,
    };
    aspace.map(stack, false).map_err(|_| ExecError::NoMemory)?;

    let mut random = [0u8; 16];
    crate::random::fill(&mut random);
    let hwcap = cpu::cpuid(1).3 as u64;
    // An HP app finds the vtable in its auxv.
    let extra: &[(u64, u64)] = if hp { &[crate::hp::auxv_entry()] } else { &[] };
    let inputs = ringo_fs::binfmt::auxv::AuxvInputs { hwcap, ..Default::default() };
    let aux = ringo_fs::binfmt::auxv::standard_auxv_with(&plan, &inputs, extra);
    let (argv_refs, envp_refs) = (slices(argv)?, slices(envp)?);
    let built =
        ringo_fs::binfmt::stack::build(STACK_TOP, &argv_refs, &envp_refs, &aux, &random, b"x86_64", path.as_bytes())
            .map_err(|_| ExecError::Stack)?;
    Ok((Loaded { aspace, entry: plan.entry, stack_pointer: built.rsp, auxv: built.auxv.clone() }, built.bytes))
}

/// The strings as slices, in heap that may run out (ENOMEM, not a panic).
fn slices(list: &[Vec<u8>]) -> Result<Vec<&[u8]>, ExecError> {
    let mut v = Vec::new();
    v.try_reserve_exact(list.len()).map_err(|_| ExecError::NoMemory)?;
    v.extend(list.iter().map(|a| a.as_slice()));
    Ok(v)
}

/// Copies the initial stack image into the address space.
pub fn write_stack(aspace: &mut AddressSpace, rsp: u64, image: &[u8]) -> bool {
    aspace.write_bytes(rsp, image).is_ok()
}

/// The user registers a program starts with (in ring 0 in HP mode).
pub fn initial_frame(entry: u64, rsp: u64) -> TrapFrame {
    let (cs, ss) = if crate::hp::enabled() { (KERNEL_CS, KERNEL_DS) } else { (USER_CS, USER_DS) };
    TrapFrame {
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        r11: 0,
        r10: 0,
        r9: 0,
        r8: 0,
        rbp: 0,
        rdi: 0,
        rsi: 0,
        rdx: 0,
        rcx: 0,
        rbx: 0,
        rax: 0,
        vector: 0,
        error: 0,
        rip: entry,
        cs: cs as u64,
        rflags: 0x202,
        rsp,
        ss: ss as u64,
    }
}
