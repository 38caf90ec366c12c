//! The shell scripts in qemu-tests/scripts/, run by Debian's unchanged
//! busybox: each in a guest booted from the default image (the scripts at
//! /scripts, `init=/bin/sh -- /scripts/NAME.sh`), and each on the host with
//! the same busybox, where it must pass too or its checks would not be
//! saying what Linux does.
//!
//! A script prints `CHECK ok: <what>` per passing check, `FAIL: ...` per
//! failing one, then `NAME: N checks passed` and `NAME: ok`. Each test
//! prints how many checks passed (see them with `-- --nocapture`).

use std::path::{Path, PathBuf};
use std::process::Command;

use qemu_tests::guest_test::{FAIL_MARKER, busybox};
use qemu_tests::initramfs::busybox::BUSYBOX;

/// What a passing check prints.
const CHECK_OK: &str = "CHECK ok: ";
/// Where the scripts go in the guest.
const GUEST_DIR: &str = "/scripts";

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts")
}

/// The passing checks in `output`, after making sure the script ran to its
/// end with none failing and said how many passed.
fn passed_checks(name: &str, output: &str) -> Result<usize, String> {
    let failures: Vec<&str> = output.lines().filter(|l| l.contains(FAIL_MARKER)).collect();
    if !failures.is_empty() {
        return Err(format!("{} failed checks:\n{}", failures.len(), failures.join("\n")));
    }
    if !output.lines().any(|l| l.trim_end() == format!("{name}: ok")) {
        return Err(format!("no `{name}: ok` line: the script did not run to its end"));
    }
    let passed = output.lines().filter(|l| l.starts_with(CHECK_OK)).count();
    let said = format!("{name}: {passed} checks passed");
    if passed == 0 || !output.lines().any(|l| l.trim_end() == said) {
        return Err(format!("{passed} `{CHECK_OK}` lines, but no `{said}` line"));
    }
    Ok(passed)
}

/// With 2 CPUs too: forks, pipes and jobs then run on both CPUs at once.
fn in_the_guest(name: &str, cpus: u32) {
    let run = busybox()
        .add(scripts_dir(), GUEST_DIR)
        .args([format!("{GUEST_DIR}/{name}.sh")])
        .smp(cpus)
        .timeout_secs(120)
        .run();
    let passed = passed_checks(name, run.serial()).unwrap_or_else(|why| run.fail(why));
    run.expect_init_exit(0);
    println!("busybox {name}: {passed} checks passed in the guest with {cpus} CPUs");
}

fn natively(name: &str) {
    let script = scripts_dir().join(format!("{name}.sh"));
    let out = Command::new(BUSYBOX)
        .arg("sh")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {BUSYBOX} (install busybox-static): {e}"));
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let passed = passed_checks(name, &output).unwrap_or_else(|why| panic!("{why}\n--- output\n{output}"));
    assert_eq!(out.status.code(), Some(0), "{name}.sh exited with {}\n--- output\n{output}", out.status);
    println!("busybox {name}: {passed} checks passed natively");
}

/// `mod NAME { in_the_guest, in_the_guest_smp_2, natively }` for the
/// script NAME.sh.
macro_rules! scripts {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn in_the_guest() {
                    super::in_the_guest(stringify!($name), 1);
                }

                #[test]
                fn in_the_guest_smp_2() {
                    super::in_the_guest(stringify!($name), 2);
                }

                #[test]
                fn natively() {
                    super::natively(stringify!($name));
                }
            }
        )*

        /// Every script in the directory has its tests here.
        #[test]
        fn every_script_is_tested() {
            let tested = [$(stringify!($name)),*];
            let dir = scripts_dir();
            let mut found: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.expect("a directory entry").file_name().to_string_lossy().into_owned())
                .filter_map(|file| file.strip_suffix(".sh").map(String::from))
                .filter(|name| name != "lib")
                .collect();
            found.sort();
            let mut expected: Vec<&str> = tested.to_vec();
            expected.sort();
            assert_eq!(found, expected, "scripts in {} vs. tests here", dir.display());
        }
    };
}

scripts!(pipes, shell, jobs, text, archive, files);
