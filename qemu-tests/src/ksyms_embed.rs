//! Embedding the kernel's function symbols into its `.ksyms` section.
//!
//! The PVH loader loads only PT_LOAD segments, so the kernel cannot read its
//! own `.symtab`; the linker script reserves a zero-filled `.ksyms` section
//! inside a loaded segment, and the launcher fills it in a copy of the ELF
//! (the cargo output stays untouched, so cargo's freshness checks hold).

use std::fmt;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use goblin::elf::Elf;
use goblin::elf::section_header::{SHF_EXECINSTR, SHT_PROGBITS};
use goblin::elf::sym::{STT_FUNC, STT_NOTYPE};
use ringo_boot::ksyms::{self, EncodeError, SECTION, Symbol};

use crate::error::Error;

/// Longer names are cut: a backtrace line that long helps nobody, and the
/// table has a fixed size.
const MAX_NAME_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedError {
    NotElf(String),
    NoSection,
    /// `.ksyms` has no bytes in the file (e.g. NOBITS): nothing to fill.
    SectionNotInFile {
        sh_type: u32,
    },
    SectionOutsideFile {
        offset: u64,
        size: u64,
        file_len: usize,
    },
    NoSymbols,
    TableTooLarge {
        needed: usize,
        capacity: usize,
        symbols: usize,
    },
}

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbedError::NotElf(why) => write!(f, "not a readable ELF file: {why}"),
            EmbedError::NoSection => write!(
                f,
                "the kernel has no {SECTION} section (the linker script must reserve it, zero-filled, in a loaded segment)"
            ),
            EmbedError::SectionNotInFile { sh_type } => {
                write!(f, "{SECTION} has type {sh_type}, not PROGBITS: it has no bytes in the file to fill")
            }
            EmbedError::SectionOutsideFile { offset, size, file_len } => {
                write!(f, "{SECTION} ({size} bytes at file offset {offset:#x}) lies outside the {file_len}-byte file")
            }
            EmbedError::NoSymbols => write!(f, "the kernel ELF has no function symbols (was it stripped?)"),
            EmbedError::TableTooLarge { needed, capacity, symbols } => write!(
                f,
                "the symbol table of {symbols} functions needs {needed} bytes but {SECTION} holds only {capacity}; enlarge {SECTION} in the kernel's linker script"
            ),
        }
    }
}

impl std::error::Error for EmbedError {}

/// A kernel image with its table filled in.
#[derive(Debug, Clone)]
pub struct Embedded {
    pub image: Vec<u8>,
    pub symbols: usize,
    pub table_bytes: usize,
    pub capacity: usize,
}

/// A named function of the kernel ELF, demangled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSymbol {
    pub addr: u64,
    pub size: u32,
    pub name: String,
}

/// Writes `embedded` as `built` with its table filled, unless `embedded` is
/// already newer than `built`.
pub fn refresh(built: &Path, embedded: &Path) -> Result<(), Error> {
    let built_time = modified(built).ok_or_else(|| Error::KernelMissing { path: built.to_path_buf() })?;
    // The copy carries the build's time: a different one is a different
    // build, older ones too (cargo brings back the artifact of an earlier
    // feature set with its old time).
    if modified(embedded).is_some_and(|copy| copy == built_time) {
        return Ok(());
    }
    let elf = fs::read(built).map_err(io_err(built))?;
    let result = embed(&elf).map_err(|source| Error::Embed { path: built.to_path_buf(), source })?;
    if let Some(dir) = embedded.parent() {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    // Write then rename: a test process or `ringo run` reading the old copy
    // concurrently never sees half a file.
    let partial = embedded.with_extension(format!("partial.{}", std::process::id()));
    fs::write(&partial, &result.image).map_err(io_err(&partial))?;
    fs::File::options()
        .write(true)
        .open(&partial)
        .and_then(|f| f.set_modified(built_time))
        .map_err(io_err(&partial))?;
    fs::rename(&partial, embedded).map_err(io_err(embedded))
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// `elf` with the symbol table encoded into its `.ksyms` section.
pub fn embed(elf_bytes: &[u8]) -> Result<Embedded, EmbedError> {
    let elf = Elf::parse(elf_bytes).map_err(|e| EmbedError::NotElf(e.to_string()))?;
    let section = elf
        .section_headers
        .iter()
        .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(SECTION))
        .ok_or(EmbedError::NoSection)?;
    if section.sh_type != SHT_PROGBITS {
        return Err(EmbedError::SectionNotInFile { sh_type: section.sh_type });
    }
    let (offset, size) = (section.sh_offset, section.sh_size);
    let range = usize::try_from(offset)
        .ok()
        .zip(usize::try_from(size).ok())
        .and_then(|(start, len)| Some(start..start.checked_add(len)?))
        .filter(|r| r.end <= elf_bytes.len())
        .ok_or(EmbedError::SectionOutsideFile { offset, size, file_len: elf_bytes.len() })?;

    let functions = function_symbols(&elf);
    if functions.is_empty() {
        return Err(EmbedError::NoSymbols);
    }
    let symbols: Vec<Symbol<'_>> =
        functions.iter().map(|f| Symbol { addr: f.addr, size: f.size, name: &f.name }).collect();
    let capacity = range.len();
    let table = ksyms::encode(&symbols, capacity).map_err(|e| match e {
        EncodeError::TooLarge { needed, capacity } => {
            EmbedError::TableTooLarge { needed, capacity, symbols: symbols.len() }
        }
        // Unreachable after cut_name; reported as too large all the same.
        EncodeError::NameTooLong => EmbedError::TableTooLarge { needed: usize::MAX, capacity, symbols: symbols.len() },
    })?;
    let mut image = elf_bytes.to_vec();
    let section_bytes = &mut image[range];
    section_bytes.fill(0);
    section_bytes[..table.len()].copy_from_slice(&table);
    Ok(Embedded { image, symbols: symbols.len(), table_bytes: table.len(), capacity })
}

/// Functions: STT_FUNC symbols, and untyped ones (assembly entry points)
/// that lie in an executable section; never assembler-local `.L` labels.
pub fn function_symbols(elf: &Elf<'_>) -> Vec<FunctionSymbol> {
    let executable =
        |shndx: usize| elf.section_headers.get(shndx).is_some_and(|sh| sh.sh_flags & u64::from(SHF_EXECINSTR) != 0);
    elf.syms
        .iter()
        .filter(|sym| sym.st_shndx != 0)
        .filter(|sym| match sym.st_type() {
            STT_FUNC => true,
            STT_NOTYPE => executable(sym.st_shndx),
            _ => false,
        })
        .filter_map(|sym| {
            let raw = elf.strtab.get_at(sym.st_name)?;
            if raw.is_empty() || raw.starts_with(".L") {
                return None;
            }
            Some(FunctionSymbol {
                addr: sym.st_value,
                size: u32::try_from(sym.st_size).unwrap_or(u32::MAX),
                name: cut_name(format!("{:#}", rustc_demangle::demangle(raw))),
            })
        })
        .collect()
}

fn cut_name(mut name: String) -> String {
    if name.len() > MAX_NAME_BYTES {
        let mut end = MAX_NAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_elf::{self, DATA, KsymsSection, SHN_ABS, TEXT, TestSym};
    use ringo_boot::ksyms::Table;

    const PAGE_FAULT: &str = "_ZN12ringo_kernel5ktest10page_fault17h0123456789abcdefE";

    fn sym(name: &'static str, kind: u8, shndx: u16, value: u64, size: u64) -> TestSym {
        TestSym { name, kind, shndx, value, size }
    }

    fn kernel_like(ksyms: Option<KsymsSection>) -> Vec<u8> {
        let syms = [
            sym(PAGE_FAULT, test_elf::STT_FUNC, TEXT, 0x1000, 0x40),
            sym("entry_stub", test_elf::STT_NOTYPE, TEXT, 0x1040, 0),
            sym(".Lloop", test_elf::STT_NOTYPE, TEXT, 0x1050, 0),
            sym("some_data", test_elf::STT_OBJECT, DATA, 0x2000, 8),
            sym("data_label", test_elf::STT_NOTYPE, DATA, 0x2010, 0),
            sym("absolute", test_elf::STT_NOTYPE, SHN_ABS, 0x1060, 0),
            sym("undefined", test_elf::STT_FUNC, 0, 0, 0),
        ];
        test_elf::build(&syms, ksyms)
    }

    fn ksyms(size: usize) -> Option<KsymsSection> {
        Some(KsymsSection { name: SECTION, sh_type: test_elf::SHT_PROGBITS, size })
    }

    #[test]
    fn functions_are_func_symbols_and_code_labels() {
        let image = kernel_like(None);
        let elf = Elf::parse(&image).expect("test ELF parses");
        let names: Vec<String> = function_symbols(&elf).into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["ringo_kernel::ktest::page_fault", "entry_stub"]);
    }

    #[test]
    fn the_table_lands_in_the_section_and_nowhere_else() {
        let image = kernel_like(ksyms(4096));
        let embedded = embed(&image).expect("embeds");
        assert_eq!((embedded.symbols, embedded.capacity), (2, 4096));
        let elf = Elf::parse(&embedded.image).expect("still an ELF");
        let sh = elf
            .section_headers
            .iter()
            .find(|sh| elf.shdr_strtab.get_at(sh.sh_name) == Some(SECTION))
            .expect("section kept");
        let range = sh.sh_offset as usize..(sh.sh_offset + sh.sh_size) as usize;
        let table = Table::new(&embedded.image[range.clone()]).expect("a table");
        assert_eq!(table.lookup(0x1010), Some(("ringo_kernel::ktest::page_fault", 0x10)));
        assert_eq!(table.lookup(0x1044), Some(("entry_stub", 4)));
        assert_eq!(&embedded.image[..range.start], &image[..range.start]);
        assert_eq!(&embedded.image[range.end..], &image[range.end..]);
    }

    #[test]
    fn a_small_section_is_a_clear_error() {
        match embed(&kernel_like(ksyms(32))) {
            Err(e @ EmbedError::TableTooLarge { capacity: 32, symbols: 2, .. }) => {
                let text = e.to_string();
                assert!(text.contains("holds only 32") && text.contains(".ksyms"), "{text}");
            }
            other => panic!("expected TableTooLarge, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_or_nobits_section_is_a_clear_error() {
        assert_eq!(embed(&kernel_like(None)).err(), Some(EmbedError::NoSection));
        let renamed = KsymsSection { name: ".ksymz", sh_type: test_elf::SHT_PROGBITS, size: 64 };
        assert_eq!(embed(&kernel_like(Some(renamed))).err(), Some(EmbedError::NoSection));
        let nobits = KsymsSection { name: SECTION, sh_type: test_elf::SHT_NOBITS, size: 64 };
        assert_eq!(embed(&kernel_like(Some(nobits))).err(), Some(EmbedError::SectionNotInFile { sh_type: 8 }));
    }

    #[test]
    fn no_functions_is_an_error() {
        let image = test_elf::build(&[sym("x", test_elf::STT_OBJECT, DATA, 0x2000, 8)], ksyms(64));
        assert_eq!(embed(&image).err(), Some(EmbedError::NoSymbols));
    }

    #[test]
    fn refresh_writes_a_copy_only_when_stale() {
        let dir = std::env::temp_dir().join(format!("ringo-ksyms-refresh-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        let built = dir.join("ringo-kernel");
        let copy = dir.join("out/ringo.elf");
        fs::write(&built, kernel_like(ksyms(4096))).expect("write kernel");
        refresh(&built, &copy).expect("first refresh");
        let first = fs::read(&copy).expect("copy exists");
        // A copy of the same build is left alone: mark it by hand, keep
        // its time, and refresh again.
        let built_time = modified(&built).expect("kernel time");
        let set_time = |path: &Path, time: SystemTime| {
            fs::File::options().write(true).open(path).and_then(|f| f.set_modified(time)).expect("set time")
        };
        fs::write(&copy, b"marker").expect("overwrite copy");
        set_time(&copy, built_time);
        refresh(&built, &copy).expect("second refresh");
        assert_eq!(fs::read(&copy).expect("copy"), b"marker");
        // A newer build is embedded again.
        set_time(&built, SystemTime::now() + std::time::Duration::from_secs(10));
        refresh(&built, &copy).expect("third refresh");
        assert_eq!(fs::read(&copy).expect("copy"), first);
        // So is an older one (cargo's artifact of another feature set).
        fs::write(&copy, b"marker").expect("overwrite copy");
        set_time(&built, built_time - std::time::Duration::from_secs(3600));
        refresh(&built, &copy).expect("fourth refresh");
        assert_eq!(fs::read(&copy).expect("copy"), first);
        assert!(matches!(refresh(&dir.join("nope"), &copy), Err(Error::KernelMissing { .. })));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn long_names_are_cut_on_a_char_boundary() {
        let name = "é".repeat(MAX_NAME_BYTES);
        let cut = cut_name(name);
        assert!(cut.len() <= MAX_NAME_BYTES && cut.len() >= MAX_NAME_BYTES - 1);
        assert_eq!(cut_name("short".into()), "short");
    }

    #[test]
    fn garbage_is_not_elf() {
        assert!(matches!(embed(b"definitely not an ELF file"), Err(EmbedError::NotElf(_))));
    }

    #[test]
    fn demangling_drops_the_hash() {
        let name = format!("{:#}", rustc_demangle::demangle("_ZN12ringo_kernel5ktest10page_fault17h0123456789abcdefE"));
        assert_eq!(name, "ringo_kernel::ktest::page_fault");
    }
}
