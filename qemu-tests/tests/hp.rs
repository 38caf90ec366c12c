//! HP mode (`ringo.mode=hp`): the app runs in ring 0 and calls the kernel
//! through the vtable (docs/ABI.md). The Go programs of the threads tests,
//! built with the patched runtime (hp/go), pass in HP mode without a
//! single `syscall` instruction (the kernel's count at the end of the run
//! proves it) and, as the same binaries, in normal mode; unchanged static
//! C and busybox programs run in HP mode through the ring-0 `syscall`
//! path; a C program calls the vtable through hp/ringo_hp.h; faults end
//! the app, not the kernel.

use std::process::Command;

use qemu_tests::guest_test::{Boot, GuestRun, busybox, program};
use qemu_tests::{go_hp, test_programs};

/// Where `exec` finds busybox in the busybox image.
const GUEST_BUSYBOX: &str = "/bin/busybox";
const TIMEOUT_SECS: u64 = 120;

/// The kernel's closing line in HP mode: (vtable calls, syscall
/// instructions, int 0x80 calls).
fn entry_counts(run: &GuestRun) -> (u64, u64, u64) {
    let line = run.line_containing("ringo: hp: ");
    // "N vtable calls, N syscall instructions, N int 0x80": each part
    // starts with its count.
    let numbers: Vec<u64> =
        line["ringo: hp: ".len()..].split(", ").filter_map(|part| part.split(' ').next()?.parse().ok()).collect();
    match numbers.as_slice() {
        [vtable, insns, int80] => (*vtable, *insns, *int80),
        _ => run.fail(format!("cannot read the counts in `{line}`")),
    }
}

fn go_args(name: &str, cpus: u32) -> Vec<String> {
    match name {
        "numcpu" => vec![cpus.to_string()],
        "exec" => vec![GUEST_BUSYBOX.to_string()],
        _ => Vec::new(),
    }
}

fn go_boot(name: &str, cpus: u32, hp: bool) -> Boot {
    let binary = go_hp::go(name);
    let boot = if name == "exec" {
        busybox().add(&binary, "/opt/go/exec").kernel_arg("init=/opt/go/exec")
    } else {
        program(&binary)
    };
    boot.args(go_args(name, cpus)).smp(cpus).hp(hp).timeout_secs(TIMEOUT_SECS)
}

/// Patched Go program `name` in HP mode: passes, and every call went
/// through the vtable.
fn go_hp_mode(name: &str, cpus: u32) {
    let run = go_boot(name, cpus, true).run();
    run.expect_program_ok(name);
    let (vtable, insns, int80) = entry_counts(&run);
    run.check(insns == 0 && int80 == 0, format!("{insns} syscall instructions and {int80} int 0x80 in HP mode"));
    run.check(vtable > 100, format!("only {vtable} vtable calls"));
}

/// The same binary in normal mode: the runtime falls back to `syscall`.
fn go_normal_mode(name: &str, cpus: u32) {
    let run = go_boot(name, cpus, false).run();
    run.expect_program_ok(name);
    run.check(!run.serial().contains("ringo: hp: "), "normal mode reported HP counts");
}

macro_rules! go_programs {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(
            mod $module {
                #[test]
                fn hp_smp_1() {
                    super::go_hp_mode($name, 1);
                }

                #[test]
                fn hp_smp_2() {
                    super::go_hp_mode($name, 2);
                }

                #[test]
                fn normal_smp_1() {
                    super::go_normal_mode($name, 1);
                }

                #[test]
                fn normal_smp_2() {
                    super::go_normal_mode($name, 2);
                }
            }
        )*

        /// Every patched Go program is tested here (exec separately), but
        /// the network programs: sockets.rs runs them in HP mode too.
        #[test]
        fn every_go_program_is_tested() {
            let mut tested = vec![$($name),*, "exec", "httpclient", "httpserver"];
            tested.sort();
            assert_eq!(go_hp::go_names(), tested);
        }
    };
}

go_programs! {
    go_file => "file",
    go_fileio => "fileio",
    go_goroutines => "goroutines",
    go_nilpanic => "nilpanic",
    go_numcpu => "numcpu",
    go_cpubound => "cpubound",
    go_preempt => "preempt",
    go_profile => "profile",
    go_server => "server",
    go_timers => "timers",
}

/// os/exec passes in normal mode; in HP mode (one app: no fork or
/// execve) it gets ENOSYS as an error, and the app ends normally.
#[test]
fn go_exec_runs_in_normal_mode_and_gets_enosys_in_hp_mode() {
    go_normal_mode("exec", 1);
    let run = go_boot("exec", 1, true).run();
    run.line_containing("fork/exec /bin/busybox: function not implemented");
    run.check(!run.serial().contains("KERNEL FAULT"), "the kernel faulted");
    run.expect_init_exit(1);
    let (_, insns, _) = entry_counts(&run);
    run.check(insns == 0, format!("{insns} syscall instructions"));
}

fn c_hp(name: &str) -> GuestRun {
    program(test_programs::c(name)).hp(true).run()
}

/// Unchanged static C programs (musl) run in ring 0: their `syscall`
/// instructions arrive from ring 0.
#[test]
fn unchanged_c_programs_pass_in_hp_mode() {
    for name in ["fileio", "dirs", "devproc", "memory", "errors", "posixtimers"] {
        let run = c_hp(name);
        run.expect_program_ok(name);
        let (_, insns, _) = entry_counts(&run);
        run.check(insns > 10, format!("{name}: only {insns} syscall instructions"));
    }
}

#[test]
fn static_pie_with_arguments_in_hp_mode() {
    let run = program(test_programs::c("process")).args(["first", "second=2", "--third"]).hp(true).run();
    run.expect_program_ok("process");
}

#[test]
fn int80_from_ring0_in_hp_mode() {
    let run = c_hp("int80");
    run.expect_program_ok("int80");
    let (_, _, int80) = entry_counts(&run);
    run.check(int80 >= 2, format!("only {int80} int 0x80 calls"));
}

/// The vtable from C, through hp/ringo_hp.h. (getpid, gettid and
/// clock_gettime take register-only entries, which the kernel does not
/// count; the 1000 getppid calls are counted.)
#[test]
fn c_calls_the_vtable_through_the_header() {
    let run = program(test_programs::c("hp_vtable")).args(["vtable"]).hp(true).run();
    run.expect_program_ok("hp_vtable");
    run.line_containing("hp_vtable: hello through the vtable");
    let (vtable, _, _) = entry_counts(&run);
    run.check(vtable >= 1000, format!("only {vtable} vtable calls"));
}

/// Without the tag the header falls back to `syscall`: the same checks
/// pass in normal mode and on the host.
#[test]
fn the_header_falls_back_without_a_vtable() {
    program(test_programs::c("hp_vtable")).run().expect_program_ok("hp_vtable");
    let out = Command::new(test_programs::c("hp_vtable")).output().expect("running hp_vtable on the host");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.lines().last(), Some("hp_vtable: ok"), "{stdout}");
}

/// A wild write in a ring-0 app: the app dies of SIGSEGV with Linux's
/// report line; the kernel lives on and powers off with status 139.
#[test]
fn a_wild_write_ends_the_app_not_the_kernel() {
    let run = c_hp("segv");
    let report = run.line_containing("segfault at");
    run.check(report.contains("dead0000000"), format!("the report does not name the address: `{report}`"));
    run.check(!run.serial().contains("KERNEL FAULT"), "the kernel faulted");
    run.expect_init_exit(139);
}

/// Busybox, unchanged, in ring 0: shell builtins and applets that need
/// no fork.
#[test]
fn busybox_without_fork_in_hp_mode() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/programs/hp/builtins.sh");
    let run = busybox().add(script, "/hp_builtins.sh").args(["/hp_builtins.sh"]).hp(true).run();
    run.line_containing("sum=10");
    run.line_containing("in=/proc");
    run.expect_init_exit(7);
    let run = busybox().kernel_arg("init=/bin/busybox").args(["ls", "/proc/self"]).hp(true).run();
    run.line_containing("cmdline");
    run.expect_init_exit(0);
}

/// ringo.strace decodes vtable calls as it does `syscall`s.
#[test]
fn strace_decodes_vtable_calls() {
    let run = program(test_programs::c("hp_vtable")).args(["vtable"]).hp(true).kernel_arg("ringo.strace").run();
    run.expect_program_ok("hp_vtable");
    // strace shows the first 32 bytes of a buffer.
    let write = run.line_containing("write(1, \"hp_vtable: hello through the vta\"...");
    run.check(write.contains(" = 36"), format!("the write line lacks its result: `{write}`"));
    run.line_containing("kill(");
}
