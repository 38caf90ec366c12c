//! The project's test programs (qemu-tests/programs/) booted as init, one
//! guest each: every check inside passes as it does on Linux, the guest
//! exits with the program's status, and the kernel's own lines (segfault
//! report, strace) say what Linux would.

use qemu_tests::guest_test::{GuestRun, program};
use qemu_tests::net::Net;
use qemu_tests::test_programs;

/// What process.c expects as its arguments (its EXPECTED_ARGS).
const PROCESS_ARGS: [&str; 3] = ["first", "second=2", "--third"];

fn run_c(name: &str) -> GuestRun {
    program(test_programs::c(name)).run()
}

#[test]
fn hello_writes_and_exits_zero() {
    let run = run_c("hello");
    run.expect_init_exit(0);
    run.check(run.serial().lines().any(|l| l == "hello"), "no `hello` line");
}

#[test]
fn file_io_on_ramfs() {
    run_c("fileio").expect_program_ok("fileio");
}

#[test]
fn directories() {
    run_c("dirs").expect_program_ok("dirs");
}

#[test]
fn dev_and_proc() {
    let run = run_c("devproc");
    run.expect_program_ok("devproc");
    run.line_containing("devproc: /dev/console is writable");
}

#[test]
fn memory_mappings_and_brk() {
    run_c("memory").expect_program_ok("memory");
}

/// Also the loader's static-PIE case: process.c is built -static-pie.
#[test]
fn process_stack_identity_clocks_and_limits() {
    program(test_programs::c("process")).args(PROCESS_ARGS).run().expect_program_ok("process");
}

#[test]
fn error_returns_efault_enosys_ebadf() {
    run_c("errors").expect_program_ok("errors");
}

#[test]
fn wild_write_dies_of_sigsegv() {
    let run = run_c("segv");
    run.line_containing("segv: writing to 0xdead0000000");
    run.check(!run.serial().contains("FAIL:"), "the wild write did not fault");
    let report = run.line_containing("segfault at");
    run.check(report.contains("dead0000000"), format!("the segfault line does not name the address: `{report}`"));
    run.check(report.contains(" ip "), format!("the segfault line does not give the ip: `{report}`"));
    run.expect_init_exit(139);
}

#[test]
fn int80_reaches_i386_getpid_and_write() {
    let run = run_c("int80");
    run.expect_program_ok("int80");
    run.line_containing("int80: hello through int $0x80");
}

#[test]
fn strace_shows_write_and_exit_group() {
    let run = program(test_programs::c("hello")).kernel_arg("ringo.strace").run();
    run.expect_init_exit(0);
    let write = run.line_containing("write(1, ");
    run.check(write.contains(" = 6"), format!("the write line lacks its result ` = 6`: `{write}`"));
    run.check(write.contains("hello"), format!("the write line lacks its data: `{write}`"));
    run.line_containing("exit_group(0)");
    run.expect_order("write(1, ", "exit_group(0)");
}

#[test]
fn rust_std_program() {
    let run = program(test_programs::rust_hello()).run();
    run.expect_program_ok("rust-hello");
    run.line_containing("rust-hello: hello from Rust std");
    run.line_containing("rust-hello: read back 22 bytes");
    run.line_containing("rust-hello: the directory holds note.txt sub");
}

/// Bad arguments to every AF_INET socket call, with the user network up
/// (so an address of the guest's own is there besides the loopback).
#[test]
fn socket_calls_with_bad_arguments() {
    let run = program(test_programs::c("socket_errors")).net(Net::User { forwards: vec![] }).run();
    run.expect_program_ok("socket_errors");
}
