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
