//! A minimal ELF64 writer for tests: an ELF header, the program header
//! table right after it, and whatever bytes the segments point at. Fields
//! are raw so tests can write every kind of broken file.

use goblin::elf::header::{EM_X86_64, ET_EXEC};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_GNU_STACK, PT_LOAD, PT_TLS};

pub const EHDR: u64 = 64;
pub const PHDR: u64 = 56;

#[derive(Debug, Clone)]
pub struct TestElf {
    pub class: u8,
    pub data: u8,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub phoff: u64,
    pub phentsize: u16,
    /// Overrides the real count when set.
    pub phnum: Option<u16>,
    pub phdrs: Vec<Ph>,
    /// Extra file bytes at given offsets (e.g. a PT_INTERP path).
    pub blobs: Vec<(u64, Vec<u8>)>,
    /// File length; by default just enough for the headers, blobs and
    /// every segment's file data.
    pub len: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ph {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Ph {
    pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
        Ph { p_type: PT_LOAD, flags, offset, vaddr, filesz, memsz, align: 0x1000 }
    }
}

impl TestElf {
    /// A static ET_EXEC like a small musl program: text at 0x400000 mapping
    /// the headers, data+bss on the next page, TLS, and a non-executable
    /// stack.
    pub fn static_exec() -> TestElf {
        TestElf {
            class: 2,
            data: 1,
            e_type: ET_EXEC,
            machine: EM_X86_64,
            entry: 0x400140,
            phoff: EHDR,
            phentsize: PHDR as u16,
            phnum: None,
            phdrs: vec![
                Ph::load(PF_R | PF_X, 0, 0x400000, 0x200, 0x200),
                Ph::load(PF_R | PF_W, 0x200, 0x401200, 0x80, 0x1000),
                Ph { p_type: PT_TLS, flags: PF_R, offset: 0x200, vaddr: 0x401200, filesz: 8, memsz: 16, align: 8 },
                Ph { p_type: PT_GNU_STACK, flags: PF_R | PF_W, offset: 0, vaddr: 0, filesz: 0, memsz: 0, align: 16 },
            ],
            blobs: vec![(0x140, vec![0xf4; 16])],
            len: None,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let phnum = self.phnum.unwrap_or(self.phdrs.len() as u16);
        let table_end = self.phoff + self.phdrs.len() as u64 * PHDR;
        let data_end = self.phdrs.iter().filter(|p| p.p_type == PT_LOAD).map(|p| p.offset + p.filesz);
        let blob_end = self.blobs.iter().map(|(o, b)| o + b.len() as u64);
        let natural = data_end.chain(blob_end).chain([EHDR, table_end]).max().unwrap_or(EHDR) as usize;
        let mut out = vec![0u8; natural.max(self.len.unwrap_or(0))];
        for (offset, blob) in &self.blobs {
            out[*offset as usize..*offset as usize + blob.len()].copy_from_slice(blob);
        }
        let mut h = Vec::with_capacity(64);
        h.extend_from_slice(b"\x7fELF");
        h.extend_from_slice(&[self.class, self.data, 1, 0]);
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&self.e_type.to_le_bytes());
        h.extend_from_slice(&self.machine.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&self.entry.to_le_bytes());
        h.extend_from_slice(&self.phoff.to_le_bytes());
        h.extend_from_slice(&0u64.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&(EHDR as u16).to_le_bytes());
        h.extend_from_slice(&self.phentsize.to_le_bytes());
        h.extend_from_slice(&phnum.to_le_bytes());
        h.extend_from_slice(&[0; 6]);
        out[..64].copy_from_slice(&h);
        for (i, p) in self.phdrs.iter().enumerate() {
            let mut e = Vec::with_capacity(56);
            e.extend_from_slice(&p.p_type.to_le_bytes());
            e.extend_from_slice(&p.flags.to_le_bytes());
            e.extend_from_slice(&p.offset.to_le_bytes());
            e.extend_from_slice(&p.vaddr.to_le_bytes());
            e.extend_from_slice(&p.vaddr.to_le_bytes());
            e.extend_from_slice(&p.filesz.to_le_bytes());
            e.extend_from_slice(&p.memsz.to_le_bytes());
            e.extend_from_slice(&p.align.to_le_bytes());
            let at = (self.phoff + i as u64 * PHDR) as usize;
            out[at..at + 56].copy_from_slice(&e);
        }
        if let Some(len) = self.len {
            out.truncate(len);
        }
        out
    }
}
