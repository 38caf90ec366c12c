//! The default image's shell on the serial console, typed on like a user
//! would: `make run` boots into this. Each test boots its own guest.

use std::thread;
use std::time::Duration;

use qemu_tests::guest_test::{Interactive, busybox};
use qemu_tests::initramfs::busybox::PROMPT_IN_ROOT;

/// A login shell that has read /etc/profile, at its first prompt.
fn shell() -> Interactive {
    let mut shell = busybox().interactive();
    shell.step_timeout(Duration::from_secs(30)).expect(PROMPT_IN_ROOT);
    shell
}

/// Ends the session with `exit N` and checks the run's status is N.
fn exit_with(mut shell: Interactive, status: u8) {
    shell.send(&format!("exit {status}\n"));
    shell.finish().expect_init_exit(status);
}

#[test]
fn a_command_prints_its_output() {
    let mut shell = shell();
    // The echo of the typed line holds `$((6 * 7))`, never `42`.
    shell.send("echo $((6 * 7))\n").expect("42").expect(PROMPT_IN_ROOT);
    shell.send("cd /tmp\n").expect("ringo:/tmp# ");
    // A pipeline: the typed line says `x-z`, the output `xyz`.
    shell.send("echo abc | tr a-c x-z\n").expect("xyz").expect("ringo:/tmp# ");
    exit_with(shell, 0);
}

#[test]
fn ctrl_c_interrupts_a_foreground_sleep() {
    let mut shell = shell();
    // The typed line says `sleep''ing`; only the output says `sleeping`.
    shell.send("echo sleep''ing; sleep 30\n").expect("sleeping");
    // Time for the shell to start sleep: the interrupt is for sleep.
    thread::sleep(Duration::from_secs(1));
    // Well before sleep would end by itself.
    shell.send("\x03").expect_within(PROMPT_IN_ROOT, Duration::from_secs(10));
    // The shell lives on, and saw sleep die of SIGINT (128 + 2).
    shell.send("echo status $?\n").expect("status 130").expect(PROMPT_IN_ROOT);
    exit_with(shell, 0);
}

#[test]
fn backspace_edits_the_line() {
    let mut shell = shell();
    // The typed line shows `abc`, a rub-out, then `d`: never `abd`.
    shell.send("echo abc\x7fd\n").expect("abd").expect(PROMPT_IN_ROOT);
    exit_with(shell, 0);
}

#[test]
fn exit_ends_the_run_with_its_status() {
    let shell = shell();
    exit_with(shell, 3);
}
