//! Why an ELF file cannot be started, worded for the person who ran it:
//! the kernel prints the [`Display`](core::fmt::Display) line as the
//! program's only output and exits with [`ElfError::exit_status`].

use alloc::string::String;
use core::fmt;
use ringo_uapi::Errno;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    Truncated(TruncatedPart),
    /// The ELF header itself is inconsistent (byte order, class, entry size).
    BadHeader(HeaderFault),
    /// A 32-bit x86 (i386 or x32) program.
    WrongClass,
    /// e_machine of another architecture.
    WrongMachine(u16),
    /// e_type other than ET_EXEC or ET_DYN.
    WrongType(u16),
    /// Has PT_INTERP: needs a dynamic loader Ringo does not provide.
    Dynamic {
        interpreter: String,
    },
    NoLoadableSegments,
    /// `index` is the position in the program header table, as readelf -l
    /// counts.
    BadSegment {
        index: usize,
        fault: SegmentFault,
    },
    /// The entry point is outside user space.
    BadEntry(u64),
    TooBig(TooBigPart),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncatedPart {
    Header,
    ProgramHeaders,
    /// The file data of this program header.
    Segment(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderFault {
    UnknownByteOrder(u8),
    UnknownClass(u8),
    BigEndian,
    ProgramHeaderSize(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentFault {
    FileLargerThanMemory,
    /// Overlaps the segment at this program header index.
    Overlaps(usize),
    AddressOverflow,
    /// p_offset and p_vaddr differ modulo the page size, so the file pages
    /// cannot be mapped at the segment's pages.
    MisalignedOffset,
    KernelHalf,
    BelowMinAddress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TooBigPart {
    /// More than Linux's 64 KiB of program headers.
    ProgramHeaders,
    /// The static-pie image does not fit between its load base and the top
    /// of user space.
    Image { span: u64 },
}

impl ElfError {
    /// What a shell reports for this failure. 126 ("found but cannot
    /// execute") for everything about the file itself. 127 ("not found")
    /// for a dynamic binary: its interpreter does not exist in Ringo, and
    /// Linux's execve fails with ENOENT in exactly that case (a glibc
    /// binary on Alpine), which shells report as 127.
    pub fn exit_status(&self) -> u8 {
        match self {
            ElfError::Dynamic { .. } => 127,
            _ => 126,
        }
    }

    /// What execve returns for this failure, with the same reasoning as
    /// [`Self::exit_status`]. ENOEXEC would make sh retry a binary as a
    /// shell script, so only genuine format errors use it.
    pub fn errno(&self) -> Errno {
        match self {
            ElfError::Dynamic { .. } => Errno::ENOENT,
            ElfError::TooBig(TooBigPart::Image { .. }) => Errno::ENOMEM,
            _ => Errno::ENOEXEC,
        }
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::NotElf => f.write_str("not an ELF file"),
            ElfError::Truncated(part) => {
                f.write_str("truncated ELF file: ")?;
                match part {
                    TruncatedPart::Header => f.write_str("the ELF header is cut short"),
                    TruncatedPart::ProgramHeaders => f.write_str("the program headers end past the end of the file"),
                    TruncatedPart::Segment(i) => write!(f, "segment {i}'s data ends past the end of the file"),
                }
            }
            ElfError::BadHeader(fault) => {
                f.write_str("corrupt ELF header: ")?;
                match fault {
                    HeaderFault::UnknownByteOrder(b) => write!(f, "unknown byte order {b}"),
                    HeaderFault::UnknownClass(c) => write!(f, "unknown class {c}"),
                    HeaderFault::BigEndian => f.write_str("big-endian x86-64"),
                    HeaderFault::ProgramHeaderSize(s) => write!(f, "program header entries of {s} bytes, not 56"),
                }
            }
            ElfError::WrongClass => f.write_str("32-bit ELF; Ringo runs 64-bit x86-64 binaries"),
            ElfError::WrongMachine(m) => match machine_name(*m) {
                Some(name) => write!(f, "ELF for {name}, not x86-64"),
                None => write!(f, "ELF for machine {m}, not x86-64"),
            },
            ElfError::WrongType(t) => f.write_str(match *t {
                goblin::elf::header::ET_REL => "not an executable: a relocatable object (.o)",
                goblin::elf::header::ET_CORE => "not an executable: a core dump",
                _ => "not an executable: unknown ELF type",
            }),
            ElfError::Dynamic { interpreter } => {
                write!(f, "dynamically linked (needs {interpreter}); Ringo runs static binaries")
            }
            ElfError::NoLoadableSegments => f.write_str("corrupt ELF: no loadable segments"),
            ElfError::BadSegment { index, fault } => {
                write!(f, "corrupt ELF: segment {index} ")?;
                match fault {
                    SegmentFault::FileLargerThanMemory => f.write_str("has more file data than memory"),
                    SegmentFault::Overlaps(other) => write!(f, "overlaps segment {other}"),
                    SegmentFault::AddressOverflow => f.write_str("wraps around the address space"),
                    SegmentFault::MisalignedOffset => f.write_str("has file offset and address misaligned to pages"),
                    SegmentFault::KernelHalf => f.write_str("reaches into kernel space"),
                    SegmentFault::BelowMinAddress => f.write_str("maps below 64 KiB"),
                }
            }
            ElfError::BadEntry(e) => write!(f, "corrupt ELF: entry point {e:#x} is outside user space"),
            ElfError::TooBig(TooBigPart::ProgramHeaders) => f.write_str("ELF too big: over 64 KiB of program headers"),
            ElfError::TooBig(TooBigPart::Image { span }) => {
                write!(f, "ELF too big: a {span:#x}-byte image does not fit in user space")
            }
        }
    }
}

/// The architecture names `uname -m` prints, for the machines a user may
/// plausibly feed Ringo by mistake.
pub fn machine_name(machine: u16) -> Option<&'static str> {
    use goblin::elf::header::*;
    Some(match machine {
        EM_386 => "i386",
        EM_X86_64 => "x86-64",
        EM_AARCH64 => "aarch64",
        EM_ARM => "arm",
        EM_RISCV => "riscv",
        EM_PPC => "ppc",
        EM_PPC64 => "ppc64",
        EM_S390 => "s390x",
        EM_MIPS => "mips",
        EM_LOONGARCH => "loongarch64",
        EM_SPARC => "sparc",
        EM_SPARCV9 => "sparc64",
        EM_IA_64 => "ia64",
        EM_NONE => "no machine",
        _ => return None,
    })
}
