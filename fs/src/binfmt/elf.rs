//! Reading an x86-64 ELF executable into a [`LoadPlan`]. The bytes are
//! untrusted: every offset, size and address is checked before use, so a
//! corrupt file yields an [`ElfError`], never a panic. The checks follow
//! Linux's load_elf_binary, so a file Linux refuses is refused here too.

pub use super::elf_error::ElfError;
use super::elf_error::{HeaderFault, SegmentFault, TooBigPart, TruncatedPart};
use super::load_plan::{LoadPlan, PAGE_SIZE, STATIC_PIE_BASE, Segment, Tls, USER_END, USER_MIN, page_down, page_up};
use alloc::string::String;
use alloc::vec::Vec;
use goblin::container::Endian;
use goblin::elf::header::{
    EI_CLASS, EI_DATA, ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, ELFMAG, EM_386, EM_X86_64, ET_DYN, ET_EXEC,
    SELFMAG,
};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_TLS};
use goblin::elf64::header::{Header, SIZEOF_EHDR};
use goblin::elf64::program_header::{ProgramHeader, SIZEOF_PHDR};

/// Linux refuses more than 64 KiB of program headers (load_elf_phdrs).
const MAX_PHDR_TABLE: usize = 65536;

/// Long enough for any real interpreter path; a corrupt PT_INTERP must not
/// turn the one-line error into a page of garbage.
const MAX_SHOWN_INTERPRETER: usize = 256;

/// The plan for a static executable, putting a static-pie at
/// [`STATIC_PIE_BASE`].
pub fn plan(bytes: &[u8]) -> Result<LoadPlan, ElfError> {
    plan_at(bytes, STATIC_PIE_BASE)
}

/// The plan for a static executable, putting a static-pie's lowest page at
/// `pie_base` rounded down to the largest segment alignment (as Linux
/// aligns its load bias). `pie_base` is ignored for ET_EXEC.
pub fn plan_at(bytes: &[u8], pie_base: u64) -> Result<LoadPlan, ElfError> {
    let header = read_header(bytes)?;
    let phdrs = read_program_headers(bytes, &header)?;
    if let Some(interpreter) = interpreter(bytes, &phdrs)? {
        return Err(ElfError::Dynamic { interpreter });
    }
    let is_pie = header.e_type == ET_DYN;
    let mut loads = loadable_segments(bytes, &phdrs)?;
    let load_bias = if is_pie { pie_bias(&loads, pie_base)? } else { 0 };
    for (index, seg) in &mut loads {
        seg.vaddr = seg.vaddr.wrapping_add(load_bias);
        check_user_range(*index, seg)?;
    }
    let entry = header.e_entry.wrapping_add(load_bias);
    if !(USER_MIN..USER_END).contains(&entry) {
        return Err(ElfError::BadEntry(entry));
    }
    let phdr_vaddr = phdr_address(&header, &loads);
    let tls = tls(&phdrs, load_bias)?;
    let stack_executable = phdrs.iter().any(|p| p.p_type == PT_GNU_STACK && p.p_flags & PF_X != 0);
    let segments: Vec<Segment> = loads.into_iter().map(|(_, s)| s).collect();
    let brk_start = segments.last().map_or(0, |s| page_up(s.vaddr + s.memsz));
    Ok(LoadPlan {
        entry,
        segments,
        phdr_vaddr,
        phent: header.e_phentsize,
        phnum: header.e_phnum,
        is_pie,
        load_bias,
        tls,
        stack_executable,
        brk_start,
    })
}

fn read_header(bytes: &[u8]) -> Result<Header, ElfError> {
    if bytes.len() < SELFMAG || &bytes[..SELFMAG] != ELFMAG {
        return Err(ElfError::NotElf);
    }
    // e_machine sits at the same offset in both classes, so a foreign file
    // is named by its architecture before anything class-specific is read.
    const MACHINE_AT: usize = 18;
    let Some(&[m0, m1]) = bytes.get(MACHINE_AT..MACHINE_AT + 2) else {
        return Err(ElfError::Truncated(TruncatedPart::Header));
    };
    let machine = match bytes[EI_DATA] {
        ELFDATA2LSB => u16::from_le_bytes([m0, m1]),
        ELFDATA2MSB => u16::from_be_bytes([m0, m1]),
        other => return Err(ElfError::BadHeader(HeaderFault::UnknownByteOrder(other))),
    };
    if machine != EM_X86_64 && machine != EM_386 {
        return Err(ElfError::WrongMachine(machine));
    }
    match bytes[EI_CLASS] {
        ELFCLASS64 => {}
        ELFCLASS32 => return Err(ElfError::WrongClass),
        other => return Err(ElfError::BadHeader(HeaderFault::UnknownClass(other))),
    }
    if machine == EM_386 {
        return Err(ElfError::WrongMachine(machine));
    }
    if bytes[EI_DATA] != ELFDATA2LSB {
        return Err(ElfError::BadHeader(HeaderFault::BigEndian));
    }
    if bytes.len() < SIZEOF_EHDR {
        return Err(ElfError::Truncated(TruncatedPart::Header));
    }
    let header = Header::parse(bytes).map_err(|_| ElfError::Truncated(TruncatedPart::Header))?;
    if header.e_type != ET_EXEC && header.e_type != ET_DYN {
        return Err(ElfError::WrongType(header.e_type));
    }
    Ok(header)
}

fn read_program_headers(bytes: &[u8], header: &Header) -> Result<Vec<ProgramHeader>, ElfError> {
    let count = usize::from(header.e_phnum);
    if count == 0 {
        return Err(ElfError::NoLoadableSegments);
    }
    if usize::from(header.e_phentsize) != SIZEOF_PHDR {
        return Err(ElfError::BadHeader(HeaderFault::ProgramHeaderSize(header.e_phentsize)));
    }
    let table_size = count * SIZEOF_PHDR;
    if table_size > MAX_PHDR_TABLE {
        return Err(ElfError::TooBig(TooBigPart::ProgramHeaders));
    }
    let in_file = usize::try_from(header.e_phoff)
        .ok()
        .and_then(|off| off.checked_add(table_size))
        .is_some_and(|end| end <= bytes.len());
    if !in_file {
        return Err(ElfError::Truncated(TruncatedPart::ProgramHeaders));
    }
    ProgramHeader::parse(bytes, header.e_phoff as usize, count, Endian::Little)
        .map_err(|_| ElfError::Truncated(TruncatedPart::ProgramHeaders))
}

/// The file bytes a program header names, if they are all in the file.
fn file_bytes<'a>(bytes: &'a [u8], index: usize, ph: &ProgramHeader) -> Result<&'a [u8], ElfError> {
    let start = usize::try_from(ph.p_offset).ok();
    let end = start.zip(usize::try_from(ph.p_filesz).ok()).and_then(|(s, n)| s.checked_add(n));
    match start.zip(end) {
        Some((start, end)) if end <= bytes.len() => Ok(&bytes[start..end]),
        _ => Err(ElfError::Truncated(TruncatedPart::Segment(index))),
    }
}

fn interpreter(bytes: &[u8], phdrs: &[ProgramHeader]) -> Result<Option<String>, ElfError> {
    let Some((index, ph)) = phdrs.iter().enumerate().find(|(_, p)| p.p_type == PT_INTERP) else {
        return Ok(None);
    };
    let data = file_bytes(bytes, index, ph)?;
    let path = data.split(|&b| b == 0).next().unwrap_or_default();
    let shown = &path[..path.len().min(MAX_SHOWN_INTERPRETER)];
    Ok(Some(String::from_utf8_lossy(shown).into_owned()))
}

/// The PT_LOAD segments at their link-time addresses, sorted and checked
/// against the file and each other, each with its program header index.
fn loadable_segments(bytes: &[u8], phdrs: &[ProgramHeader]) -> Result<Vec<(usize, Segment)>, ElfError> {
    let mut loads = Vec::new();
    for (index, ph) in phdrs.iter().enumerate() {
        // An empty PT_LOAD maps nothing; Linux skips it as well.
        if ph.p_type != PT_LOAD || ph.p_memsz == 0 {
            continue;
        }
        let bad = |fault| ElfError::BadSegment { index, fault };
        if ph.p_filesz > ph.p_memsz {
            return Err(bad(SegmentFault::FileLargerThanMemory));
        }
        file_bytes(bytes, index, ph)?;
        if ph.p_vaddr.checked_add(ph.p_memsz).is_none() {
            return Err(bad(SegmentFault::AddressOverflow));
        }
        if ph.p_vaddr % PAGE_SIZE != ph.p_offset % PAGE_SIZE {
            return Err(bad(SegmentFault::MisalignedOffset));
        }
        let align = if ph.p_align.is_power_of_two() && ph.p_align >= PAGE_SIZE { ph.p_align } else { PAGE_SIZE };
        loads.push((
            index,
            Segment {
                vaddr: ph.p_vaddr,
                memsz: ph.p_memsz,
                file_offset: ph.p_offset,
                filesz: ph.p_filesz,
                readable: ph.p_flags & PF_R != 0,
                writable: ph.p_flags & PF_W != 0,
                executable: ph.p_flags & PF_X != 0,
                align,
            },
        ));
    }
    if loads.is_empty() {
        return Err(ElfError::NoLoadableSegments);
    }
    loads.sort_by_key(|(_, s)| s.vaddr);
    for pair in loads.windows(2) {
        let ((before_index, before), (index, after)) = (&pair[0], &pair[1]);
        // Checked above: vaddr + memsz does not overflow.
        if before.vaddr + before.memsz > after.vaddr {
            return Err(ElfError::BadSegment { index: *index, fault: SegmentFault::Overlaps(*before_index) });
        }
    }
    Ok(loads)
}

/// The bias moving a static-pie's lowest page to `pie_base`, aligned as
/// its most aligned segment asks.
fn pie_bias(loads: &[(usize, Segment)], pie_base: u64) -> Result<u64, ElfError> {
    let align = loads.iter().map(|(_, s)| s.align).max().unwrap_or(PAGE_SIZE);
    let base = page_down(pie_base) & !(align - 1);
    let lowest = loads.first().map_or(0, |(_, s)| page_down(s.vaddr));
    let end = loads.last().map_or(0, |(_, s)| s.vaddr + s.memsz);
    let span = end - lowest;
    if base.checked_add(span).is_none_or(|top| top > USER_END) {
        return Err(ElfError::TooBig(TooBigPart::Image { span }));
    }
    Ok(base.wrapping_sub(lowest))
}

fn check_user_range(index: usize, seg: &Segment) -> Result<(), ElfError> {
    let fault = match seg.vaddr.checked_add(seg.memsz) {
        None => SegmentFault::AddressOverflow,
        Some(end) if end > USER_END => SegmentFault::KernelHalf,
        Some(_) if page_down(seg.vaddr) < USER_MIN => SegmentFault::BelowMinAddress,
        Some(_) => return Ok(()),
    };
    Err(ElfError::BadSegment { index, fault })
}

/// Where a PT_LOAD maps the whole program header table from the file.
/// Computed rather than taken from PT_PHDR: this address is known to hold
/// the table, PT_PHDR only claims to (Linux also computes it, since 5.18).
fn phdr_address(header: &Header, loads: &[(usize, Segment)]) -> Option<u64> {
    let table_end = header.e_phoff + u64::from(header.e_phnum) * SIZEOF_PHDR as u64;
    loads
        .iter()
        .map(|(_, s)| s)
        .find(|s| s.file_offset <= header.e_phoff && table_end <= s.file_offset + s.filesz)
        .map(|s| s.vaddr + (header.e_phoff - s.file_offset))
}

fn tls(phdrs: &[ProgramHeader], load_bias: u64) -> Result<Option<Tls>, ElfError> {
    let Some((index, ph)) = phdrs.iter().enumerate().find(|(_, p)| p.p_type == PT_TLS) else {
        return Ok(None);
    };
    let bad = |fault| ElfError::BadSegment { index, fault };
    if ph.p_filesz > ph.p_memsz {
        return Err(bad(SegmentFault::FileLargerThanMemory));
    }
    let vaddr = ph.p_vaddr.wrapping_add(load_bias);
    if vaddr.checked_add(ph.p_memsz).is_none_or(|end| end > USER_END) {
        return Err(bad(SegmentFault::KernelHalf));
    }
    Ok(Some(Tls { vaddr, filesz: ph.p_filesz, memsz: ph.p_memsz, align: ph.p_align.max(1) }))
}
