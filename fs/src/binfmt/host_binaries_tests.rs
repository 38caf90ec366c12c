//! Real binaries from the host: busybox, programs compiled here with musl
//! and glibc, a dynamic system binary, and a byte-for-byte comparison of
//! `stack::build` with the stack Linux builds. A missing tool skips its part
//! with a printed note; whatever is present is checked for real.

use super::elf::plan;
use super::elf_error::ElfError;
use super::load_plan::{LoadPlan, STATIC_PIE_BASE};
use super::stack::build;
use super::stack_tests::Memory;
use goblin::elf::header::ET_REL;
use ringo_uapi::auxv::{AT_EXECFN, AT_PLATFORM, AT_RANDOM};
use std::path::{Path, PathBuf};
use std::process::Command;

const MUSL_LIB: &str = "/usr/lib/x86_64-linux-musl";

const PROGRAM: &str = r#"
#include <stdio.h>
__thread int counter = 7;
__thread char scratch[100];
int main(int argc, char **argv) {
    scratch[0] = argv[0][0];
    counter += argc;
    printf("ok %d\n", counter);
    return 0;
}
"#;

/// Prints its initial stack: rsp, the stack's top from /proc/self/maps, then
/// the bytes [rsp, top). argv sits right above argc, which rsp points at.
const STACK_DUMPER: &str = r#"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    unsigned long rsp = (unsigned long)argv - 8, lo, hi, top = 0;
    char line[512];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            top = hi;
    if (!top || argc < 1)
        return 2;
    write(1, &rsp, 8);
    write(1, &top, 8);
    write(1, (void *)rsp, top - rsp);
    return 0;
}
"#;

/// A directory for one test's compiler output, removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("ringo-binfmt-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }

    /// Compiles `source` with `cc args`; a compiler that is missing or fails
    /// fails the test (scripts/setup.sh installs gcc and musl-tools).
    fn compile(&self, name: &str, source: &str, cc: &str, args: &[&str]) -> Option<PathBuf> {
        self.compile_between(name, source, cc, args, &[])
    }

    /// As [`Self::compile`], with `after` following the source (for
    /// objects whose link order matters).
    fn compile_between(&self, name: &str, source: &str, cc: &str, args: &[&str], after: &[&str]) -> Option<PathBuf> {
        let src = self.0.join(format!("{name}.c"));
        std::fs::write(&src, source).expect("write source");
        let out = self.0.join(name);
        let status = Command::new(cc).args(args).arg(&src).args(after).arg("-o").arg(&out).status();
        match status {
            Ok(s) if s.success() => Some(out),
            other => panic!(
                "`{cc} {}` could not build {name} ({other:?}): install gcc and musl-tools (scripts/setup.sh does)",
                args.join(" ")
            ),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Best effort: a leftover temp directory must not fail a test.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("read binary")
}

/// Checks a plan against the file: the entry is in an executable segment,
/// AT_PHDR's address holds the program header table, and goblin's full
/// parser sees the same PT_LOADs.
fn assert_matches_file(plan: &LoadPlan, bytes: &[u8]) {
    let entry_seg = plan.segments.iter().find(|s| (s.vaddr..s.vaddr + s.memsz).contains(&plan.entry));
    assert!(entry_seg.is_some_and(|s| s.executable), "entry in an executable segment");
    let elf = goblin::elf::Elf::parse(bytes).expect("goblin parses it");
    let loads: Vec<_> =
        elf.program_headers.iter().filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD).collect();
    assert_eq!(loads.len(), plan.segments.len());
    for (p, s) in loads.iter().zip(&plan.segments) {
        assert_eq!(p.p_vaddr + plan.load_bias, s.vaddr);
        assert_eq!((p.p_offset, p.p_filesz, p.p_memsz), (s.file_offset, s.filesz, s.memsz));
    }
    let phdr = plan.phdr_vaddr.expect("AT_PHDR");
    let seg = plan.segments.iter().find(|s| (s.vaddr..s.vaddr + s.filesz).contains(&phdr)).expect("mapped");
    let at = (seg.file_offset + (phdr - seg.vaddr)) as usize;
    let table = &bytes[at..at + plan.phnum as usize * 56];
    assert_eq!(at as u64, elf.header.e_phoff);
    assert_eq!(table, &bytes[elf.header.e_phoff as usize..][..table.len()]);
    if let Some(pt_phdr) = elf.program_headers.iter().find(|p| p.p_type == goblin::elf::program_header::PT_PHDR) {
        assert_eq!(pt_phdr.p_vaddr + plan.load_bias, phdr, "agrees with PT_PHDR");
    }
    let tls = elf.program_headers.iter().find(|p| p.p_type == goblin::elf::program_header::PT_TLS);
    assert_eq!(plan.tls.map(|t| t.vaddr), tls.map(|t| t.p_vaddr + plan.load_bias));
}

/// A program cut anywhere before the end of its loaded data must fail
/// cleanly, and cut after it (section headers, symbols) must still load, as
/// on Linux, which never reads past the segments. Every cut in the first
/// pages, then one per page or so: all 2 MB of cuts would be slow in a debug
/// build.
fn assert_truncations_fail(bytes: &[u8], plan_of_whole: &LoadPlan) {
    let needed = plan_of_whole.segments.iter().map(|s| s.file_range().end).max().unwrap_or(0);
    let mut cuts: Vec<usize> = (0..bytes.len().min(8192)).collect();
    cuts.extend((8192..bytes.len()).step_by(4093));
    cuts.extend([needed - 1, needed]);
    for cut in cuts {
        let result = plan(&bytes[..cut]);
        if cut < needed {
            assert!(result.is_err(), "accepted a file cut at {cut}");
        } else {
            assert_eq!(result.as_ref(), Ok(plan_of_whole), "cut at {cut}, after the loaded data");
        }
    }
}

#[test]
fn busybox_static() {
    let path = Path::new("/bin/busybox");
    let Ok(bytes) = std::fs::read(path) else {
        panic!("/bin/busybox missing: install busybox-static (scripts/setup.sh does)");
    };
    match plan(&bytes) {
        Ok(plan) => {
            println!("busybox: pie={} entry={:#x} segments={}", plan.is_pie, plan.entry, plan.segments.len());
            assert_matches_file(&plan, &bytes);
            assert!(plan.brk_start > plan.segments[0].vaddr);
            assert_truncations_fail(&bytes, &plan);
        }
        Err(ElfError::Dynamic { interpreter }) => {
            println!("note: this /bin/busybox is dynamic (needs {interpreter}), not busybox-static");
        }
        Err(e) => panic!("busybox refused: {e}"),
    }
}

#[test]
fn musl_static_and_static_pie() {
    let scratch = Scratch::new("musl");
    let Some(exe) = scratch.compile("musl-static", PROGRAM, "musl-gcc", &["-static", "-O1"]) else { return };
    let bytes = read(&exe);
    let p = plan(&bytes).expect("musl -static loads");
    assert!(!p.is_pie);
    assert_eq!(p.load_bias, 0);
    assert!(p.tls.is_some_and(|t| t.memsz >= 104 && t.filesz >= 4));
    assert_matches_file(&p, &bytes);
    assert_truncations_fail(&bytes, &p);

    // Debian's musl-gcc wrapper links -static-pie with Scrt1.o and a
    // dynamic linker, so spell out what gcc does for a real static-pie:
    // rcrt1.o (self-relocating start), -pie, no interpreter, static libc.
    let crtbegin = gcc_file("crtbeginS.o");
    let crtend = gcc_file("crtendS.o");
    let (rcrt1, crti, crtn) =
        (format!("{MUSL_LIB}/rcrt1.o"), format!("{MUSL_LIB}/crti.o"), format!("{MUSL_LIB}/crtn.o"));
    let args = ["-fPIE", "-pie", "-nostartfiles", "-Wl,--no-dynamic-linker", "-Wl,-Bstatic", &rcrt1, &crti, &crtbegin];
    let after = [&crtend[..], &crtn];
    let Some(exe) = scratch.compile_between("musl-static-pie", PROGRAM, "musl-gcc", &args, &after) else { return };
    let bytes = read(&exe);
    let p = plan(&bytes).expect("musl static-pie loads");
    assert!(p.is_pie);
    assert_eq!(p.segments[0].vaddr, STATIC_PIE_BASE);
    assert_matches_file(&p, &bytes);
    let run = Command::new(&exe).output().expect("runs on the host");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "ok 8\n", "really a working static-pie");

    // What the plain wrapper makes: accepted only if it is really static.
    if let Some(exe) = scratch.compile("musl-gcc-static-pie", PROGRAM, "musl-gcc", &["-static-pie"]) {
        match plan(&read(&exe)) {
            Ok(p) => assert!(p.is_pie),
            Err(e) => assert_eq!(e, ElfError::Dynamic { interpreter: "/lib/ld-musl-x86_64.so.1".into() }),
        }
    }
}

fn gcc_file(name: &str) -> String {
    let out = Command::new("gcc").arg(format!("-print-file-name={name}")).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_else(|_| name.to_string())
}

#[test]
fn glibc_static_pie_and_objects() {
    let scratch = Scratch::new("glibc");
    if let Some(exe) = scratch.compile("glibc-static-pie", PROGRAM, "gcc", &["-static-pie", "-O1"]) {
        let bytes = read(&exe);
        let p = plan(&bytes).expect("glibc static-pie loads");
        assert!(p.is_pie);
        assert_matches_file(&p, &bytes);
    }
    if let Some(obj) = scratch.compile("object", PROGRAM, "gcc", &["-c"]) {
        let e = plan(&read(&obj)).expect_err("an object file");
        assert_eq!(e, ElfError::WrongType(ET_REL));
        assert_eq!(e.exit_status(), 126);
    }
}

#[test]
fn dynamic_system_binary() {
    let Some(path) = ["/bin/ls", "/usr/bin/env", "/bin/sh"].into_iter().map(Path::new).find(|p| p.exists()) else {
        panic!("none of /bin/ls, /usr/bin/env, /bin/sh exists: this host has no dynamic binary to check");
    };
    let e = plan(&read(path)).expect_err("dynamic");
    let ElfError::Dynamic { interpreter } = &e else { panic!("{path:?}: {e}") };
    assert!(interpreter.starts_with('/') && interpreter.contains("ld"), "{interpreter}");
    assert_eq!(e.to_string(), format!("dynamically linked (needs {interpreter}); Ringo runs static binaries"));
    assert_eq!(e.exit_status(), 127);
}

/// Runs a static program with address randomization off (so Linux adds no
/// random gap below the strings), reads the stack it was given, rebuilds
/// it with `build` from the same inputs, and compares every byte.
#[test]
fn stack_matches_linux_byte_for_byte() {
    let scratch = Scratch::new("stack");
    let Some(exe) = scratch.compile("stack-dumper", STACK_DUMPER, "musl-gcc", &["-static", "-O1"]) else { return };
    let run = Command::new("setarch")
        .args(["x86_64", "-R"])
        .arg(&exe)
        .args(["first", "", "third arg"])
        .env_clear()
        .env("HOME", "/root")
        .env("EMPTY", "")
        .env("LONG", "x".repeat(300))
        .output();
    let out = match run {
        Ok(o) if o.status.success() && o.stdout.len() > 16 => o.stdout,
        other => panic!("setarch -R (util-linux) could not run the stack dumper: {other:?}"),
    };
    let rsp = u64::from_le_bytes(out[..8].try_into().expect("8"));
    let top = u64::from_le_bytes(out[8..16].try_into().expect("8"));
    let linux = &out[16..];
    assert_eq!(linux.len() as u64, top - rsp);
    assert_eq!(rsp % 16, 0, "Linux's own rsp is aligned");

    let mem = Memory { rsp, bytes: linux };
    let parsed = mem.parse();
    let value = |tag| parsed.auxv.iter().find(|&&(t, _)| t == tag).map(|&(_, v)| v).expect("tag present");
    let random: [u8; 16] = mem.slice(value(AT_RANDOM), 16).try_into().expect("16");
    let platform = mem.c_string(value(AT_PLATFORM));
    let execfn = mem.c_string(value(AT_EXECFN));
    assert_eq!(execfn, exe.as_os_str().as_encoded_bytes());
    assert_eq!(parsed.argv.len(), 4);
    let argv: Vec<&[u8]> = parsed.argv.iter().map(Vec::as_slice).collect();
    let envp: Vec<&[u8]> = parsed.envp.iter().map(Vec::as_slice).collect();
    // Placeholders, so equality proves build computed the same addresses.
    let auxv: Vec<(u64, u64)> = parsed
        .auxv
        .iter()
        .map(|&(t, v)| if [AT_RANDOM, AT_PLATFORM, AT_EXECFN].contains(&t) { (t, 0) } else { (t, v) })
        .collect();
    let ours = build(top, &argv, &envp, &auxv, &random, &platform, &execfn).expect("fits");
    assert_eq!(ours.rsp, rsp, "same rsp as Linux");
    assert_eq!(ours.auxv[..ours.auxv.len() - 1], parsed.auxv[..]);
    assert!(ours.bytes == linux, "stack bytes differ from Linux's");
    println!("stack identical to Linux's: {} bytes, {} auxv entries", linux.len(), ours.auxv.len());
}
