//! One pass of the system-call fuzzer (qemu-tests/programs/c/fuzz.c) in a
//! guest, judged: a `KERNEL` line (fault or panic), the launcher's timeout
//! (a hang), a `FAIL:` line (the program's own checks: errnos, leaks) or a
//! missing `fuzz: ok` fails it. Used by tests/fuzz.rs (the short pass of
//! `make test`) and by the `ringo-fuzz` command (`make fuzz`).

use crate::guest_test::{GuestRun, program};
use crate::test_programs;

/// ENOSYS warnings (one per unimplemented number per process) would be
/// most of the output: errors and fault reports still show.
const LOGLEVEL: &str = "loglevel=4";

/// Runs fuzz.c with `args` on 2 CPUs (in HP mode if `hp`); panics with the
/// seed and the reason if the pass failed.
pub fn pass(args: &[String], hp: bool, timeout_secs: u64) -> GuestRun {
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
