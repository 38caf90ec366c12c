//! The system-call fuzzer (qemu-tests/programs/c/fuzz.c, issue 15): random
//! calls from several processes and threads must not fault, panic, hang or
//! leak the kernel. `make test` runs a short pass in normal mode with two
//! CPUs, and HP mode's deterministic part (every vtable entry given a
//! kernel pointer fails with EFAULT); `make fuzz` runs the long passes
//! (the `#[ignore]`d tests here), with `FUZZ_CALLS`, `FUZZ_SECONDS` and
//! `FUZZ_SEED` from the environment.
//!
//! The program checks the leak itself (MemFree after a warm-up against the
//! end, with every worker reaped and its files removed) and prints `FAIL:`
//! with the seed on any failure; here a `KERNEL` line (a kernel fault or
//! panic) or the launcher's timeout (a hang) fails too.

use qemu_tests::guest_test::{GuestRun, program};
use qemu_tests::test_programs;

/// ENOSYS warnings (one per unimplemented number per process) would be
/// most of the output: errors and fault reports still show.
const LOGLEVEL: &str = "loglevel=4";

fn fuzz(args: &[String], hp: bool, timeout_secs: u64) -> GuestRun {
    let run = program(test_programs::c("fuzz"))
        .args(args.iter().cloned())
        .smp(2)
        .hp(hp)
        .kernel_arg(LOGLEVEL)
        .timeout_secs(timeout_secs)
        .run();
    let seed = run.serial().lines().find(|l| l.starts_with("fuzz: seed ")).unwrap_or("fuzz: no seed line").to_string();
    if let Some(line) = run.serial().lines().find(|l| l.contains("KERNEL")) {
        run.fail(format!("{seed}: the kernel failed: {line}"));
    }
    run.check(run.serial().lines().any(|l| l.trim_end() == "fuzz: ok"), format!("{seed}: no `fuzz: ok` line"));
    run.expect_program_ok("fuzz");
    run
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// 100,000 calls, 3 processes at a time of 3 threads each, -smp 2 (about
/// 7 s under TCG on the 2-core machine). A fixed seed, so that `make test`
/// fails only for a change in the kernel; `make fuzz` draws new ones.
#[test]
fn short_pass_leaves_the_kernel_whole() {
    let run = fuzz(&strings(&["-n", "100000", "-s", "1"]), false, 240);
    run.line_containing("fuzz: MemFree ");
}

/// In HP mode the app is trusted with kernel memory, but every vtable
/// entry still refuses pointers outside the app's lower half.
#[test]
fn hp_entries_reject_kernel_pointers() {
    fuzz(&strings(&["-n", "0"]), true, 120);
}

fn long_args() -> Vec<String> {
    let env = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_string());
    let mut args = strings(&["-n", &env("FUZZ_CALLS", "10000000"), "-t", &env("FUZZ_SECONDS", "1800")]);
    if let Ok(seed) = std::env::var("FUZZ_SEED") {
        args.extend(strings(&["-s", &seed]));
    }
    args
}

fn long_timeout() -> u64 {
    std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(1800) + 300
}

/// `make fuzz`: the long pass in normal mode.
#[test]
#[ignore = "long: make fuzz"]
fn long_pass_normal_mode() {
    fuzz(&long_args(), false, long_timeout());
}

/// `make fuzz`: the long pass in HP mode (threads only, lower-half
/// pointers).
#[test]
#[ignore = "long: make fuzz"]
fn long_pass_hp_mode() {
    fuzz(&long_args(), true, long_timeout());
}
