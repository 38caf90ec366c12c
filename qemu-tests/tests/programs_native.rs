//! The test programs on the host's own Linux kernel: each must pass there,
//! or its checks would not be saying what Linux does. No QEMU involved.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output};

use goblin::elf::Elf;
use goblin::elf::header::{EM_AARCH64, ET_DYN, ET_EXEC};
use qemu_tests::bad_elf::{self, BadElf};
use qemu_tests::test_programs;

/// What process.c expects as its arguments (its EXPECTED_ARGS).
const PROCESS_ARGS: [&str; 3] = ["first", "second=2", "--third"];
const SIGSEGV: i32 = 11;

fn run_native(path: &Path, args: &[&str]) -> Output {
    Command::new(path).args(args).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()))
}

/// Why `name`'s native run is wrong, if it is.
fn native_problem(name: &str) -> Option<String> {
    let args: &[&str] = if name == "process" { &PROCESS_ARGS } else { &[] };
    let out = run_native(&test_programs::c(name), args);
    if name == "fuzz" {
        // Random system calls as root would wreck the host: the fuzzer
        // must refuse to run anywhere but in Ringo.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let refused = out.status.code() == Some(2) && stderr.contains("runs only inside Ringo");
        return (!refused).then(|| format!("fuzz did not refuse to run on the host: {out:?}"));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let (status_ok, last_line) = match name {
        "segv" => (out.status.signal() == Some(SIGSEGV), "segv: writing to 0xdead0000000".to_string()),
        "hello" => (out.status.code() == Some(0), "hello".to_string()),
        _ => (out.status.code() == Some(0), format!("{name}: ok")),
    };
    let ok = status_ok && stdout.lines().last() == Some(last_line.as_str()) && !stderr.contains("FAIL:");
    (!ok).then(|| format!("{name}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}", out.status))
}

#[test]
fn every_c_program_passes_on_linux() {
    let problems: Vec<String> = test_programs::c_names().iter().filter_map(|name| native_problem(name)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn rust_hello_passes_on_linux() {
    let out = run_native(&test_programs::rust_hello(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout.ends_with("rust-hello: ok\n"), "{stdout}");
}

fn read_elf(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The builds are what the loader tests take them for.
#[test]
fn programs_are_linked_as_claimed() {
    for name in test_programs::c_names() {
        let bytes = read_elf(&test_programs::c(&name));
        let elf = Elf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(elf.interpreter, None, "{name} must be static");
        let expected = if name == "process" { ET_DYN } else { ET_EXEC };
        assert_eq!(elf.header.e_type, expected, "{name}: static{}", if name == "process" { "-pie" } else { "" });
    }
    let rust = read_elf(&test_programs::rust_hello());
    assert_eq!(Elf::parse(&rust).expect("rust-hello is ELF").interpreter, None, "rust-hello must be static");

    let dynamic = read_elf(&bad_elf::for_tests(BadElf::Dynamic));
    assert!(Elf::parse(&dynamic).expect("an ELF").interpreter.is_some(), "the dynamic case has no interpreter");
    let wrong = read_elf(&bad_elf::for_tests(BadElf::WrongMachine));
    assert_eq!(Elf::parse(&wrong).expect("an ELF header").header.e_machine, EM_AARCH64);
    let out = run_native(&test_programs::dynamic_c("hello"), &[]);
    assert_eq!((out.status.code(), out.stdout.as_slice()), (Some(0), &b"hello\n"[..]), "the dynamic build runs");
}

/// The truncated case cuts into the loaded bytes, not just the symbols.
#[test]
fn truncation_cuts_a_loaded_segment() {
    let good = read_elf(&test_programs::c("hello"));
    let cut = read_elf(&bad_elf::for_tests(BadElf::Truncated));
    assert!(good.starts_with(&cut) && cut.len() < good.len());
    let elf = Elf::parse(&good).expect("hello is ELF");
    let loads = elf.program_headers.iter().filter(|ph| ph.p_type == goblin::elf::program_header::PT_LOAD);
    let past_end = loads.filter(|ph| ph.p_offset + ph.p_filesz > cut.len() as u64).count();
    assert!(past_end >= 2, "only {past_end} loaded segment(s) reach past the cut at {}", cut.len());
}
