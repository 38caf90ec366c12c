//! The kernel's self-tests of its memory managers, and an unknown one.

use qemu_tests::guest_test::ktest;

#[test]
fn heap_self_test() {
    ktest("heap").run().expect_status(0).line_containing("ktest heap: ok");
}

#[test]
fn frames_self_test() {
    ktest("frames").run().expect_status(0).line_containing("ktest frames: ok");
}

#[test]
fn unknown_ktest_exits_1() {
    ktest("nosuch").run().expect_status(1).line_containing("unknown ktest");
}
