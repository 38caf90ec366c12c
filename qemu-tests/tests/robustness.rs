//! No program can panic, hang or starve the kernel (issue 15): the C
//! programs that once did (qemu-tests/programs/c/), booted as init, each
//! checking that it gets what Linux gives instead (they pass natively too,
//! programs_native.rs).

use qemu_tests::guest_test::{GuestRun, program};
use qemu_tests::test_programs;

const TIMEOUT_SECS: u64 = 90;

fn run_c(name: &str, cpus: u32) -> GuestRun {
    program(test_programs::c(name)).smp(cpus).timeout_secs(TIMEOUT_SECS).run()
}

/// Two threads waitpid the same exiting child, 2000 times on two CPUs: one
/// gets it, the other ECHILD (the kernel once panicked: "reaped twice").
#[test]
fn racing_waiters_reap_a_child_once() {
    run_c("waitrace", 2).expect_program_ok("waitrace");
}

/// Two threads send a stopped child SIGCONT and SIGKILL at once, 1000
/// times on two CPUs: waitpid sees each stop (it once slept for ever: the
/// parent was told before the child was marked stopped) and the child dies
/// of SIGKILL (both senders once set it running, the second over its
/// zombie; found by the fuzzer).
#[test]
fn continuing_and_killing_a_stopped_child_at_once() {
    run_c("stopkill", 2).expect_program_ok("stopkill");
}

/// fork of a process with a 1 TiB PROT_NONE shared reservation returns at
/// once (the kernel once walked it page by page past its watchdog).
#[test]
fn fork_with_a_huge_shared_reservation() {
    run_c("forkreserve", 1).expect_program_ok("forkreserve");
}

/// sigwaitinfo takes a blocked pending signal at once (the kernel once spun
/// for ever, freezing the guest); sigtimedwait polls with a zero timeout
/// and is ended by a signal from another process.
#[test]
fn sigwait_takes_blocked_signals() {
    run_c("sigwait", 1).expect_program_ok("sigwait");
}

/// 3000 children ended by signals, some while their /proc directories were
/// looked at, give back all the kernel heap they took (a task ended by a
/// signal was never freed, and /proc's inode table only grew; found by the
/// fuzzer's leak check).
#[test]
fn processes_ended_by_signals_are_freed() {
    run_c("exitleak", 2).expect_program_ok("exitleak");
}

/// Queued real-time signals stop at RLIMIT_SIGPENDING (EAGAIN for
/// sigqueue and tgkill, kill still pending) and the queue is given back
/// when they are taken or their process ends (it once grew without bound
/// on the kernel heap).
#[test]
fn queued_signals_are_bounded() {
    run_c("rtqueue", 1).expect_program_ok("rtqueue");
}

/// A blocking eventfd write that cannot fit sleeps until a read makes room
/// and is ended by a signal or SIGKILL (the kernel once retried it for ever
/// because the eventfd's poll said writable; found by the fuzzer).
#[test]
fn a_write_poll_calls_ready_still_sleeps() {
    run_c("eventfd_block", 1).expect_program_ok("eventfd_block");
    run_c("eventfd_block", 2).expect_program_ok("eventfd_block");
}

/// A sendfile of 2 GiB ends on a signal with a partial count (the kernel
/// once spent more than 10 s in that one call under TCG; found by the
/// fuzzer's watchdog).
#[test]
fn long_calls_end_on_a_signal() {
    run_c("longcall", 1).expect_program_ok("longcall");
}

/// A buffer outside user space is EFAULT before a call can sleep: a read
/// from the console once waited for input for ever.
#[test]
fn bad_buffers_fail_before_blocking() {
    run_c("badbuf", 1).expect_program_ok("badbuf");
}

/// Huge timeouts sleep until a signal instead of wrapping to a short one
/// (ppoll once returned after 0.3 s); invalid times are EINVAL.
#[test]
fn huge_timeouts_are_clamped_not_wrapped() {
    run_c("timeouts", 1).expect_program_ok("timeouts");
}

/// execve with 5000 and 100000 one-byte arguments runs (5000 once
/// exhausted the kernel heap: 128 KiB per string) and E2BIG comes only
/// past Linux's limits.
#[test]
fn execve_takes_arguments_up_to_arg_max() {
    run_c("bigargs", 1).expect_program_ok("bigargs");
}

/// Filling /tmp (ramfs, on the kernel heap) at -m 64 ends in ENOSPC, and
/// with it full, fork, pipes and exit still work; unlinking gives the
/// memory back.
#[test]
fn a_full_tmp_is_enospc_not_a_kernel_panic() {
    let run = program(test_programs::c("tmpfull")).memory_mib(64).timeout_secs(TIMEOUT_SECS).run();
    run.expect_program_ok("tmpfull");
    run.line_containing("tmpfull: round 1: ");
    run.check(run.serial().contains("MiB written, then ENOSPC"), "64 MiB of memory fill before 160 MiB");
}

/// A child that touches memory until none is left is OOM-killed (SIGKILL,
/// status 137, Linux's log line), not the kernel or init, and its memory
/// comes back: /proc/meminfo before and after, three rounds, -m 64.
#[test]
fn memory_exhaustion_kills_the_biggest_process_and_frees_it() {
    let run = program(test_programs::c("oom")).memory_mib(64).timeout_secs(TIMEOUT_SECS).run();
    run.expect_program_ok("oom");
    run.check(
        run.serial().lines().filter(|l| l.starts_with("Out of memory: Killed process ")).count() == 3,
        "one `Out of memory: Killed process` line per round",
    );
    for round in 0..3 {
        run.line_containing(&format!("oom: round {round}: child status 137"));
    }
}

/// An initramfs whose files cannot fit in the guest's memory: the launcher
/// warns before boot, and the kernel says so once, with the sizes, and
/// powers off with status 78 (it once logged ENOSPC entry by entry, then
/// panicked on a failed heap allocation).
#[test]
fn an_initramfs_bigger_than_memory_stops_cleanly() {
    let big = std::env::temp_dir().join(format!("ringo-big-file-{}", std::process::id()));
    std::fs::File::create(&big).and_then(|f| f.set_len(40 << 20)).expect("a 40 MiB sparse file");
    let run = program(test_programs::c("hello")).add(&big, "/big").memory_mib(64).timeout_secs(TIMEOUT_SECS).run();
    let _ = std::fs::remove_file(&big);
    run.expect_status(78);
    let line = run.line_containing("ringo: the initramfs does not fit in memory: its files take 41 MiB and ");
    run.check(line.contains("MiB are free"), format!("the free memory is named: `{line}`"));
    run.check(!run.serial().contains("KERNEL"), "no fault or panic");
    run.check(!run.serial().contains("\nhello"), "init did not start");
}
