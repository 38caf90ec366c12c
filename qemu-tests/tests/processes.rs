//! Processes and signals in the guest: the C programs forkbomb, waitpid,
//! pipes and sigorder (qemu-tests/programs/c/) booted as init, each of
//! which checks itself against what Linux does and passes natively too
//! (programs_native.rs). Each runs as pid 1, which the programs allow for
//! (orphans come back to them).

use qemu_tests::guest_test::{GuestRun, program};
use qemu_tests::test_programs;

/// TCG runs these 5-10 times slower than a host; the programs take well
/// under 2 s natively.
const TIMEOUT_SECS: u64 = 60;

fn run_c(name: &str, cpus: u32) -> GuestRun {
    program(test_programs::c(name)).smp(cpus).timeout_secs(TIMEOUT_SECS).run()
}

/// ~200 processes in trees, a burst of 100, and an execve of itself, on
/// one CPU so every fork and exit goes through one run queue.
#[test]
fn forkbomb_reaps_every_status() {
    run_c("forkbomb", 1).expect_program_ok("forkbomb");
}

#[test]
fn waitpid_edge_cases_groups_and_orphans() {
    run_c("waitpid", 1).expect_program_ok("waitpid");
}

#[test]
fn pipes_capacity_atomicity_sigpipe_and_poll() {
    run_c("pipes", 1).expect_program_ok("pipes");
}

#[test]
fn signal_order_masks_frames_and_fpu_state() {
    run_c("sigorder", 1).expect_program_ok("sigorder");
}

/// CPU time follows computing, not sleeping, for threads, the process and
/// reaped children (CLOCK_*_CPUTIME_ID, getrusage).
#[test]
fn cpu_time_accounting() {
    run_c("cputime", 2).expect_program_ok("cputime");
}

/// timer_create/settime/gettime/delete with SI_TIMER signals, and mincore.
#[test]
fn posix_timers_and_mincore() {
    run_c("posixtimers", 1).expect_program_ok("posixtimers");
}
