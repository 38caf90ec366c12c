//! What the kernel must map to start a static executable: the result of
//! [`super::elf::plan`], with every address already final (load bias
//! applied) and every range checked against the file and user space.

use alloc::vec::Vec;
use core::ops::Range;

pub const PAGE_SIZE: u64 = 4096;

/// One past the highest user address a segment may reach: Linux's
/// TASK_SIZE_MAX on 4-level paging. The last page below the canonical hole
/// stays unmapped so `sysret` can never return to a non-canonical address.
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

/// Lowest address a segment may map: Linux's default vm.mmap_min_addr,
/// which keeps NULL dereferences faulting.
pub const USER_MIN: u64 = 0x1_0000;

/// Where [`super::elf::plan`] puts a static-pie: Linux's ELF_ET_DYN_BASE
/// for x86-64 (2/3 of the 47-bit space, 0x5555_5555_4000), i.e. where a PIE
/// lands with ASLR off. Linux itself lets mmap pick the base of a PIE that
/// has no interpreter (near the top), but a fixed spot well away from both
/// the stack and the mmap area keeps runs reproducible and leaves the brk
/// heap room to grow. Rounded down to the segments' alignment.
pub const STATIC_PIE_BASE: u64 = 0x5555_5555_4000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    pub entry: u64,
    /// PT_LOAD segments with a nonzero memory size, by ascending address,
    /// none overlapping. Two of them may share a page at their boundary
    /// (the end of one and the start of the next): that page needs both
    /// segments' bytes and the union of their permissions.
    pub segments: Vec<Segment>,
    /// Where the program header table is in memory, for AT_PHDR; `None`
    /// when no PT_LOAD maps the table from the file (AT_PHDR is then 0, as
    /// on Linux, and libcs that look for PT_TLS through it will fail).
    pub phdr_vaddr: Option<u64>,
    pub phent: u16,
    pub phnum: u16,
    pub is_pie: bool,
    /// Added to every link-time address: 0 for ET_EXEC.
    pub load_bias: u64,
    pub tls: Option<Tls>,
    /// PT_GNU_STACK asked for an executable stack. Without PT_GNU_STACK the
    /// stack is not executable, as on x86-64 Linux since 5.8.
    pub stack_executable: bool,
    /// Page-aligned end of the highest segment: where the brk heap starts.
    pub brk_start: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub file_offset: u64,
    /// Bytes [file_offset, file_offset + filesz) of the file go to
    /// [vaddr, vaddr + filesz); the rest up to memsz is zero (bss).
    pub filesz: u64,
    pub readable: bool,
    pub writable: bool,
    pub executable: bool,
    /// p_align when it is a power of two of at least a page, else a page.
    pub align: u64,
}

impl Segment {
    /// The pages this segment touches.
    pub fn pages(&self) -> Range<u64> {
        page_down(self.vaddr)..page_up(self.vaddr + self.memsz)
    }

    /// The file bytes to copy to `vaddr`; always inside the file the plan
    /// was made from.
    pub fn file_range(&self) -> Range<usize> {
        self.file_offset as usize..(self.file_offset + self.filesz) as usize
    }

    /// The zero-filled tail (bss), possibly empty.
    pub fn zero_range(&self) -> Range<u64> {
        self.vaddr + self.filesz..self.vaddr + self.memsz
    }
}

/// The PT_TLS template: libc copies [vaddr, vaddr + filesz) and zeroes the
/// rest up to memsz for each thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls {
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

pub const fn page_down(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// Callers guarantee `addr <= USER_END`, so this cannot overflow.
pub const fn page_up(addr: u64) -> u64 {
    page_down(addr + PAGE_SIZE - 1)
}
