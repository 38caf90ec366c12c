//! Kernel faults and panics: a report, a backtrace with symbol names (from
//! the `.ksyms` table the launcher embeds), then exit status 70.

use qemu_tests::guest_test::ktest;

#[test]
fn page_fault_is_reported_with_a_backtrace() {
    let run = ktest("pagefault").run();
    run.expect_status(70);
    run.line_containing("KERNEL FAULT: page fault (#PF, vector 14)");
    run.line_containing("cr2 0x00000000dead0000");
    run.expect_frame("ktest::page_fault");
    run.expect_order("KERNEL FAULT: page fault", "backtrace:");
    run.expect_order("backtrace:", "ringo: exit status 70 (kernel fault)");
}

#[test]
fn panic_is_reported_with_a_backtrace() {
    let run = ktest("panic").run();
    run.expect_status(70);
    let report = run.line_containing("KERNEL PANIC");
    run.check(report.contains("deliberate panic"), format!("the panic line lacks its message: `{report}`"));
    run.expect_frame("ktest::panic");
    run.expect_order("KERNEL PANIC", "backtrace:");
    run.expect_order("backtrace:", "ringo: exit status 70 (kernel panic)");
}

/// A CPU stuck in the kernel with interrupts on is reported by its own
/// timer tick after 10 s, with a backtrace; with interrupts off, by the
/// next CPU, whose NMI makes it report where it is.
#[test]
fn the_watchdog_reports_a_stuck_cpu() {
    let run = ktest("watchdog").run();
    run.expect_status(70);
    run.line_containing("KERNEL WATCHDOG: cpu 0 made no progress for 10 s");
    run.expect_frame("ktest::stuck");
    let run = ktest("watchdog-nmi").smp(2).run();
    run.expect_status(70);
    run.line_containing("KERNEL WATCHDOG: cpu 0 took no timer interrupt for 10 s");
    run.line_containing("the watchdog's NMI");
    run.expect_frame("ktest::stuck");
}

/// A kernel stack overflow hits the guard page below the stack and is
/// reported as one (a double fault on its own IST stack), not as silent
/// corruption of what lies below.
#[test]
fn stack_overflow_hits_the_guard_page() {
    let run = ktest("stackoverflow").run();
    run.expect_status(70);
    run.line_containing("KERNEL FAULT: double fault (#DF, vector 8)");
    run.line_containing("kernel stack overflow: the boot stack of cpu 0");
    run.expect_order("kernel stack overflow", "ringo: exit status 70 (kernel fault)");
}
