//! Threads, futexes, timers and the Go runtime: the static Go programs in
//! qemu-tests/programs/go/ and the C programs threads.c, robust.c and
//! smp_spread.c, each booted as init on 1, 2 and 4 CPUs (with more CPUs the same program meets real
//! parallelism: futex races, cross-CPU wake-ups and IPIs, signals to
//! threads running elsewhere). `exec` runs in the busybox image, for the
//! programs it starts.
//!
//! Every Go program also runs on the host here (`natively`), where it must
//! pass, or its checks would not be saying what Linux does; the C programs
//! are run on the host with the others (programs_native.rs), smp_spread
//! there without its CPU count (it then takes the host's mask as it is).
//!
//! Each program prints `NAME: ok` last and exits 0, or prints a `FAIL:`
//! line per failed check; along the way it prints what it is doing, so a
//! guest that hangs shows where.

use std::process::Command;
use std::time::Instant;

use qemu_tests::guest_test::{FAIL_MARKER, GuestRun, busybox, program};
use qemu_tests::initramfs::busybox::{BUSYBOX, GUEST_BUSYBOX};
use qemu_tests::test_programs;

/// TCG runs these 5-12 times slower than the host, where each takes
/// under 1.5 s; a guest that loses a wake-up hangs until this.
const TIMEOUT_SECS: u64 = 120;
/// Where `exec` goes in the busybox image.
const GUEST_EXEC: &str = "/opt/go/exec";

/// The arguments `name` takes, on a machine with `cpus` CPUs.
fn args_for(name: &str, cpus: usize, busybox: &str) -> Vec<String> {
    match name {
        "numcpu" => vec![cpus.to_string()],
        "exec" => vec![busybox.to_string()],
        _ => Vec::new(),
    }
}

/// Go program `name` in a guest with `cpus` CPUs.
fn go_in_the_guest(name: &str, cpus: u32) -> GuestRun {
    let binary = test_programs::go(name);
    let args = args_for(name, cpus as usize, GUEST_BUSYBOX);
    let boot = if name == "exec" {
        // The busybox image provides /bin/busybox and /bin/sh for the
        // program to start; the program itself is init.
        busybox().add(&binary, GUEST_EXEC).kernel_arg(&format!("init={GUEST_EXEC}"))
    } else {
        program(&binary)
    };
    let run = boot.args(args).smp(cpus).timeout_secs(TIMEOUT_SECS).run();
    run.expect_program_ok(name);
    run
}

fn c_in_the_guest(name: &str, cpus: u32) -> GuestRun {
    // smp_spread checks the machine has exactly the CPUs it is told of.
    let args = if name == "smp_spread" { vec![cpus.to_string()] } else { Vec::new() };
    let run = program(test_programs::c(name)).args(args).smp(cpus).timeout_secs(TIMEOUT_SECS).run();
    run.expect_program_ok(name);
    run
}

/// Go program `name` on the host: its last line is `NAME: ok`, nothing
/// failed, and it exited 0.
fn go_natively(name: &str) {
    let binary = test_programs::go(name);
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let args = args_for(name, cpus, BUSYBOX);
    let started = Instant::now();
    let out =
        Command::new(&binary).args(&args).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = format!("{name} {args:?}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}", out.status);
    assert!(!stderr.contains(FAIL_MARKER) && !stdout.contains(FAIL_MARKER), "failed checks: {report}");
    assert_eq!(stdout.lines().last(), Some(format!("{name}: ok").as_str()), "{report}");
    assert_eq!(out.status.code(), Some(0), "{report}");
    println!("{name}: ok natively in {took:.2?}");
}

/// `mod go_NAME { smp_1, smp_2, smp_4, natively }` per Go program.
macro_rules! go_programs {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(
            mod $module {
                #[test]
                fn smp_1() {
                    super::go_in_the_guest($name, 1);
                }

                #[test]
                fn smp_2() {
                    super::go_in_the_guest($name, 2);
                }

                #[test]
                fn smp_4() {
                    super::go_in_the_guest($name, 4);
                }

                #[test]
                fn natively() {
                    super::go_natively($name);
                }
            }
        )*

        /// Every program in qemu-tests/programs/go/ has its tests here,
        /// but the network programs: sockets.rs runs them against their
        /// clients and servers.
        #[test]
        fn every_go_program_is_tested() {
            let mut tested = vec![$($name),*, "httpclient", "httpserver"];
            tested.sort();
            assert_eq!(test_programs::go_names(), tested, "Go programs vs. tests here");
        }
    };
}

go_programs! {
    go_goroutines => "goroutines",
    go_timers => "timers",
    go_preempt => "preempt",
    go_profile => "profile",
    go_fileio => "fileio",
    go_exec => "exec",
    go_nilpanic => "nilpanic",
    go_numcpu => "numcpu",
    go_file => "file",
    go_server => "server",
    go_cpubound => "cpubound",
}

/// The Jiny workloads report what they measured; the tests need the line
/// to be there (the numbers are the benchmark's business).
mod go_workload_reports {
    use super::*;

    #[test]
    fn file_reports_its_writes_natively() {
        let out = Command::new(test_programs::go("file")).arg("1000").output().expect("running file");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line =
            stdout.lines().find(|l| l.starts_with("file: 1000 writes in ")).unwrap_or_else(|| panic!("{stdout}"));
        assert!(line.ends_with(" ns/write"), "{line}");
        assert_eq!(out.status.code(), Some(0), "{stdout}");
    }

    #[test]
    fn server_reports_its_messages_natively() {
        let out = Command::new(test_programs::go("server")).arg("10").output().expect("running server");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("server: 50 goroutines, 500 messages, 500 writes of 30 bytes in "), "{stdout}");
        assert_eq!(out.status.code(), Some(0), "{stdout}");
    }

    #[test]
    fn cpubound_reports_its_time_natively() {
        // Not the default count: the program then checks its sum against
        // a second, serial computation instead of its constant.
        let out = Command::new(test_programs::go("cpubound")).arg("20").output().expect("running cpubound");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("cpubound: ") && l.contains(" workers, 20 units in "))
            .unwrap_or_else(|| panic!("{stdout}{stderr}"));
        assert!(line.ends_with('s'), "{line}");
        assert_eq!(stdout.lines().last(), Some("cpubound: ok"), "{stdout}{stderr}");
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    }

    #[test]
    fn a_bad_count_is_refused() {
        for name in ["file", "server", "cpubound"] {
            let out = Command::new(test_programs::go(name)).arg("many").output().expect("running it");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
            assert!(stderr.contains("FAIL:") && stderr.contains("\"many\""), "{name}: {stderr}");
        }
    }

    #[test]
    fn numcpu_fails_on_a_wrong_count() {
        let out = Command::new(test_programs::go("numcpu")).arg("9999").output().expect("running numcpu");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("runtime.NumCPU() is"), "{stderr}");
    }

    #[test]
    fn the_go_programs_are_static() {
        for name in test_programs::go_names() {
            let path = test_programs::go(&name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let elf = goblin::elf::Elf::parse(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(elf.interpreter, None, "{name} must be static");
            assert_eq!(elf.header.e_machine, goblin::elf::header::EM_X86_64, "{name}");
        }
    }
}

/// `mod c_NAME { smp_1, smp_2, smp_4 }` per C program.
macro_rules! c_programs {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(
            mod $module {
                #[test]
                fn smp_1() {
                    super::c_in_the_guest($name, 1);
                }

                #[test]
                fn smp_2() {
                    super::c_in_the_guest($name, 2);
                }

                #[test]
                fn smp_4() {
                    super::c_in_the_guest($name, 4);
                }
            }
        )*
    };
}

c_programs! {
    c_threads => "threads",
    c_robust => "robust",
    c_smp_spread => "smp_spread",
    c_shootdown => "shootdown",
}
