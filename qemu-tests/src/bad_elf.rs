//! Files the kernel's loader must refuse with one clear line and exit
//! status 126 instead of running them as init, made from the good `hello`
//! test program (see [`crate::test_programs`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// `e_machine` is the u16 at this offset of the ELF header.
const E_MACHINE_OFFSET: usize = 18;
const EM_AARCH64: u16 = 183;
const ELF_MAGIC: &[u8; 4] = b"\x7fELF";
const GARBAGE_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadElf {
    /// A shell script: text, no ELF magic.
    NotElf,
    /// A good static program cut in the middle of its loaded bytes: the
    /// headers are whole, but promise segments beyond the end of the file.
    Truncated,
    /// A good static program with `e_machine` set to AArch64.
    WrongMachine,
    /// A dynamically linked program (it names an interpreter).
    Dynamic,
    /// The ELF magic followed by pseudo-random bytes.
    GarbageWithMagic,
}

impl BadElf {
    pub const ALL: [BadElf; 5] =
        [BadElf::NotElf, BadElf::Truncated, BadElf::WrongMachine, BadElf::Dynamic, BadElf::GarbageWithMagic];

    /// Its file name, and so its name in the guest's /bin.
    pub fn name(self) -> &'static str {
        match self {
            BadElf::NotElf => "not-elf",
            BadElf::Truncated => "truncated",
            BadElf::WrongMachine => "wrong-machine",
            BadElf::Dynamic => "dynamic",
            BadElf::GarbageWithMagic => "garbage",
        }
    }

    /// The file's bytes. `good_static` is a good static program; `dynamic`
    /// a dynamically linked one.
    pub fn bytes(self, good_static: &[u8], dynamic: &[u8]) -> Vec<u8> {
        match self {
            BadElf::NotElf => b"#!/bin/sh\necho this is a shell script, not an ELF program\n".to_vec(),
            BadElf::Truncated => good_static[..loaded_end(good_static) / 2].to_vec(),
            BadElf::WrongMachine => {
                let mut elf = good_static.to_vec();
                elf[E_MACHINE_OFFSET..E_MACHINE_OFFSET + 2].copy_from_slice(&EM_AARCH64.to_le_bytes());
                elf
            }
            BadElf::Dynamic => dynamic.to_vec(),
            BadElf::GarbageWithMagic => {
                let mut bytes = ELF_MAGIC.to_vec();
                bytes.extend(pseudo_random(GARBAGE_LEN - ELF_MAGIC.len()));
                bytes
            }
        }
    }

    /// Writes the file under `dir`, executable, and returns its path.
    pub fn write(self, dir: &Path, good_static: &[u8], dynamic: &[u8]) -> io::Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all(dir)?;
        let path = dir.join(self.name());
        // Renamed into place: tests running at once never see half a file.
        let partial = dir.join(format!(".{}.partial-{}", self.name(), std::process::id()));
        fs::write(&partial, self.bytes(good_static, dynamic))?;
        fs::set_permissions(&partial, fs::Permissions::from_mode(0o755))?;
        fs::rename(&partial, &path)?;
        Ok(path)
    }
}

/// Where the file's last loaded byte ends (past symbols and debug
/// information, which a loader never reads); the file's length when it
/// does not parse.
fn loaded_end(elf: &[u8]) -> usize {
    let Ok(parsed) = goblin::elf::Elf::parse(elf) else {
        return elf.len();
    };
    let ends = parsed.program_headers.iter().filter(|ph| ph.p_type == goblin::elf::program_header::PT_LOAD);
    let end = ends.map(|ph| ph.p_offset.saturating_add(ph.p_filesz)).max().unwrap_or(elf.len() as u64);
    usize::try_from(end).unwrap_or(usize::MAX).min(elf.len())
}

/// Reproducible noise (xorshift64), so a failure can be replayed.
fn pseudo_random(len: usize) -> impl Iterator<Item = u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len).map(move |_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    })
}

/// For tests: the bad file of `kind`, made from this repository's `hello`
/// built statically and with gcc. Panics on failure.
pub fn for_tests(kind: BadElf) -> PathBuf {
    use crate::test_programs;
    let read = |path: PathBuf| fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let good = read(test_programs::c("hello"));
    let dynamic = read(test_programs::dynamic_c("hello"));
    let dir = test_programs::output_dir().join("bad-elf");
    kind.write(&dir, &good, &dynamic).unwrap_or_else(|e| panic!("writing {} in {}: {e}", kind.name(), dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal ELF64 header for a static x86-64 executable, padded.
    fn fake_good() -> Vec<u8> {
        let mut elf = vec![0u8; 256];
        elf[..4].copy_from_slice(ELF_MAGIC);
        elf[4] = 2; // ELFCLASS64
        elf[E_MACHINE_OFFSET..E_MACHINE_OFFSET + 2].copy_from_slice(&62u16.to_le_bytes());
        elf
    }

    #[test]
    fn each_case_breaks_what_it_says() {
        let good = fake_good();
        let dynamic = b"\x7fELF dynamic".to_vec();
        assert!(!BadElf::NotElf.bytes(&good, &dynamic).starts_with(ELF_MAGIC));
        // Not an ELF goblin can parse: cut at half the file.
        assert_eq!(BadElf::Truncated.bytes(&good, &dynamic), &good[..128]);
        let wrong = BadElf::WrongMachine.bytes(&good, &dynamic);
        assert_eq!(u16::from_le_bytes([wrong[18], wrong[19]]), 183);
        assert_eq!(wrong[..18], good[..18]);
        assert_eq!(wrong[20..], good[20..]);
        assert_eq!(BadElf::Dynamic.bytes(&good, &dynamic), dynamic);
        let garbage = BadElf::GarbageWithMagic.bytes(&good, &dynamic);
        assert_eq!(garbage.len(), GARBAGE_LEN);
        assert!(garbage.starts_with(ELF_MAGIC));
        assert_eq!(garbage, BadElf::GarbageWithMagic.bytes(&good, &dynamic), "reproducible");
        let distinct: std::collections::BTreeSet<u8> = garbage.iter().copied().collect();
        assert!(distinct.len() > 200, "not noisy enough: {} distinct bytes", distinct.len());
    }

    #[test]
    fn names_are_distinct_file_names() {
        let names: std::collections::BTreeSet<&str> = BadElf::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), BadElf::ALL.len());
        assert!(names.iter().all(|n| !n.contains('/')));
    }
}
