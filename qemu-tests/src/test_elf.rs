//! A tiny ELF64 writer for unit tests of the symbol embedding: a kernel
//! image is too big and too slow to build in a unit test.

const EHDR: usize = 64;
const SHDR: usize = 64;
const SYM: usize = 24;

pub const SHT_PROGBITS: u32 = 1;
pub const SHT_SYMTAB: u32 = 2;
pub const SHT_STRTAB: u32 = 3;
pub const SHT_NOBITS: u32 = 8;
const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
pub const STT_NOTYPE: u8 = 0;
pub const STT_OBJECT: u8 = 1;
pub const STT_FUNC: u8 = 2;
const STB_GLOBAL: u8 = 1;
pub const SHN_ABS: u16 = 0xfff1;
/// Section indices of the image `build` writes.
pub const TEXT: u16 = 1;
pub const DATA: u16 = 2;

pub struct TestSym {
    pub name: &'static str,
    pub kind: u8,
    pub shndx: u16,
    pub value: u64,
    pub size: u64,
}

/// The `.ksyms` section to include: its name, type and size.
pub struct KsymsSection {
    pub name: &'static str,
    pub sh_type: u32,
    pub size: usize,
}

struct Section {
    name: &'static str,
    sh_type: u32,
    flags: u64,
    addr: u64,
    data: Vec<u8>,
    link: u32,
    info: u32,
    entsize: u64,
}

/// Sections: null, .text, .data, then the given `.ksyms`, .symtab,
/// .strtab, .shstrtab.
pub fn build(syms: &[TestSym], ksyms: Option<KsymsSection>) -> Vec<u8> {
    let mut strtab = vec![0u8];
    let mut symtab = vec![0u8; SYM];
    for s in syms {
        let name = strtab.len() as u32;
        strtab.extend_from_slice(s.name.as_bytes());
        strtab.push(0);
        symtab.extend_from_slice(&name.to_le_bytes());
        symtab.push((STB_GLOBAL << 4) | s.kind);
        symtab.push(0);
        symtab.extend_from_slice(&s.shndx.to_le_bytes());
        symtab.extend_from_slice(&s.value.to_le_bytes());
        symtab.extend_from_slice(&s.size.to_le_bytes());
    }
    let plain =
        |name, sh_type, flags, addr, data| Section { name, sh_type, flags, addr, data, link: 0, info: 0, entsize: 0 };
    let mut sections = vec![
        plain("", 0, 0, 0, Vec::new()),
        plain(".text", SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0x1000, vec![0xcc; 0x100]),
        plain(".data", SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 0x2000, vec![0; 0x40]),
    ];
    if let Some(k) = ksyms {
        let data = if k.sh_type == SHT_NOBITS { Vec::new() } else { vec![0; k.size] };
        sections.push(plain(k.name, k.sh_type, SHF_ALLOC, 0x3000, data));
    }
    let strtab_index = sections.len() as u32 + 1;
    sections.push(Section {
        link: strtab_index,
        info: 1,
        entsize: SYM as u64,
        ..plain(".symtab", SHT_SYMTAB, 0, 0, symtab)
    });
    sections.push(plain(".strtab", SHT_STRTAB, 0, 0, strtab));
    let mut shstrtab = vec![0u8];
    let mut names = Vec::new();
    for s in sections.iter().map(|s| s.name).chain([".shstrtab"]) {
        names.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(s.as_bytes());
        shstrtab.push(0);
    }
    sections.push(plain(".shstrtab", SHT_STRTAB, 0, 0, shstrtab));

    let mut image = vec![0u8; EHDR];
    let mut offsets = Vec::new();
    for s in &sections {
        offsets.push(image.len() as u64);
        image.extend_from_slice(&s.data);
        image.resize(image.len().next_multiple_of(8), 0);
    }
    let shoff = image.len() as u64;
    for ((s, offset), name) in sections.iter().zip(&offsets).zip(&names) {
        // NOBITS keeps its size without file bytes.
        let size = if s.sh_type == SHT_NOBITS { 0x100 } else { s.data.len() as u64 };
        image.extend_from_slice(&name.to_le_bytes());
        image.extend_from_slice(&s.sh_type.to_le_bytes());
        image.extend_from_slice(&s.flags.to_le_bytes());
        image.extend_from_slice(&s.addr.to_le_bytes());
        image.extend_from_slice(&offset.to_le_bytes());
        image.extend_from_slice(&size.to_le_bytes());
        image.extend_from_slice(&s.link.to_le_bytes());
        image.extend_from_slice(&s.info.to_le_bytes());
        image.extend_from_slice(&8u64.to_le_bytes());
        image.extend_from_slice(&s.entsize.to_le_bytes());
    }
    let mut ehdr = Vec::with_capacity(EHDR);
    ehdr.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    ehdr.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    ehdr.extend_from_slice(&0x3eu16.to_le_bytes()); // x86-64
    ehdr.extend_from_slice(&1u32.to_le_bytes());
    ehdr.extend_from_slice(&0x1000u64.to_le_bytes()); // entry
    ehdr.extend_from_slice(&0u64.to_le_bytes()); // no program headers
    ehdr.extend_from_slice(&shoff.to_le_bytes());
    ehdr.extend_from_slice(&0u32.to_le_bytes());
    ehdr.extend_from_slice(&(EHDR as u16).to_le_bytes());
    ehdr.extend_from_slice(&56u16.to_le_bytes());
    ehdr.extend_from_slice(&0u16.to_le_bytes());
    ehdr.extend_from_slice(&(SHDR as u16).to_le_bytes());
    ehdr.extend_from_slice(&(sections.len() as u16).to_le_bytes());
    ehdr.extend_from_slice(&(sections.len() as u16 - 1).to_le_bytes());
    image[..EHDR].copy_from_slice(&ehdr);
    image
}
