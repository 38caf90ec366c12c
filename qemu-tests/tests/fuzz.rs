//! The system-call fuzzer (qemu-tests/programs/c/fuzz.c, issue 15): random
//! calls from several processes and threads must not fault, panic, hang or
//! leak the kernel. `make test` runs a short pass in normal mode with two
//! CPUs, and HP mode's deterministic part (every vtable entry given a
//! kernel pointer fails with EFAULT); `make fuzz` runs the long passes
//! (src/bin/ringo-fuzz.rs), with `FUZZ_CALLS`, `FUZZ_SECONDS` and
//! `FUZZ_SEED` from the environment.
//!
//! The program checks the leak itself (free frames plus the kernel heap's
//! free part after a warm-up against the end, with every worker reaped and
//! its files removed) and prints `FAIL:`
//! with the seed on any failure; here a `KERNEL` line (a kernel fault or
//! panic) or the launcher's timeout (a hang) fails too.

use qemu_tests::fuzz::pass;

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// 100,000 calls, 3 processes at a time of 3 threads each, -smp 2 (about
/// 7 s under TCG on the 2-core machine). A fixed seed, so that `make test`
/// fails only for a change in the kernel; `make fuzz` draws new ones.
#[test]
fn short_pass_leaves_the_kernel_whole() {
    let run = pass(&strings(&["-n", "100000", "-s", "1"]), false, 240);
    run.line_containing("fuzz: free memory ");
}

/// In HP mode the app is trusted with kernel memory, but every vtable
/// entry still refuses pointers outside the app's lower half.
#[test]
fn hp_entries_reject_kernel_pointers() {
    pass(&strings(&["-n", "0"]), true, 120);
}
