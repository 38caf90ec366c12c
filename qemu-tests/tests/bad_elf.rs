//! Init that cannot run: the kernel refuses each bad file with exactly one
//! line naming it and the status a shell reports: 126 "cannot execute", 127
//! when init or (for a dynamic binary) its interpreter does not exist.

use qemu_tests::bad_elf::{self, BadElf};
use qemu_tests::guest_test::{GuestRun, program};
use qemu_tests::test_programs;

/// The lines between the boot banner and the status line that name
/// `guest_path`: there must be exactly one, the explanation.
#[track_caller]
fn expect_one_line_naming(run: &GuestRun, guest_path: &str) {
    let window = run.lines_between("ringo: ready: ", "ringo: exit status ");
    let naming: Vec<&str> = window.into_iter().filter(|l| l.contains(guest_path)).collect();
    run.check(
        naming.len() == 1,
        format!("expected exactly one line naming {guest_path}, got {}: {naming:#?}", naming.len()),
    );
}

#[track_caller]
fn refused(kind: BadElf) {
    refused_with(kind, 126);
}

#[track_caller]
fn refused_with(kind: BadElf, status: u8) {
    let run = program(bad_elf::for_tests(kind)).run();
    run.expect_status(status);
    expect_one_line_naming(&run, &format!("/bin/{}", kind.name()));
}

#[test]
fn text_file_is_not_elf() {
    refused(BadElf::NotElf);
}

#[test]
fn truncated_program() {
    refused(BadElf::Truncated);
}

#[test]
fn aarch64_program() {
    refused(BadElf::WrongMachine);
}

#[test]
fn dynamically_linked_program() {
    // Linux's execve says ENOENT when the interpreter is missing.
    refused_with(BadElf::Dynamic, 127);
}

#[test]
fn garbage_after_the_magic() {
    refused(BadElf::GarbageWithMagic);
}

#[test]
fn missing_init_is_127() {
    let run = program(test_programs::c("hello")).kernel_arg("init=/bin/missing").run();
    run.expect_status(127);
    expect_one_line_naming(&run, "/bin/missing");
}
