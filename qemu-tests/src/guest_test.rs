//! Helpers for the in-QEMU tests: boot the kernel under TCG with a timeout,
//! then assert on its serial output. Every failed assertion prints the whole
//! serial output, so a failing test explains itself.
//!
//! ```no_run
//! use qemu_tests::guest_test::boot;
//! let run = boot("ringo.ktest=heap").run();
//! run.expect_status(0);
//! run.line_containing("ktest heap: ok");
//! ```
//!
//! A program runs as init from an initramfs laid out as the `ringo` CLI
//! does it (see [`crate::initramfs`]):
//!
//! ```no_run
//! use qemu_tests::{guest_test::program, test_programs};
//! let run = program(test_programs::c("hello")).args(["a", "b"]).kernel_arg("ringo.strace").run();
//! run.expect_init_exit(0);
//! ```
//!
//! Set `RINGO_TEST_VERBOSE=1` to see the guest's output live, and
//! `RINGO_KERNEL=path` to test a prebuilt image.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::accel::AccelChoice;
use crate::initramfs::{Initramfs, TempArchive, program_guest_path};
use crate::kernel_build::kernel_for_tests;
use crate::memory::MemSize;
use crate::outcome::{GuestStatus, Outcome};
use crate::run::run;
use crate::run_config::{Machine, RunConfig, kernel_cmdline};
use crate::serial_lines::{self, Banner, CpuOnline, Frame};

pub const VERBOSE_ENV: &str = "RINGO_TEST_VERBOSE";
/// What the kernel prints when init exits (contract), before its status line.
pub const INIT_EXITED_PREFIX: &str = "ringo: init exited with status ";
/// What a test program prints to stderr for each check that failed.
pub const FAIL_MARKER: &str = "FAIL:";

/// A guest about to boot with kernel command line `cmdline`.
#[must_use = "call .run() to boot it"]
pub struct Boot {
    config: RunConfig,
    /// Kernel words, before any `--`.
    words: Vec<String>,
    hp: bool,
    init: Option<Init>,
}

/// A program to pack and boot as init.
struct Init {
    program: PathBuf,
    args: Vec<String>,
    adds: Vec<(PathBuf, String)>,
}

pub fn boot(cmdline: &str) -> Boot {
    let verbose = std::env::var_os(VERBOSE_ENV).is_some_and(|v| !v.is_empty());
    let config = RunConfig::new(kernel_for_tests())
        .cmdline(cmdline)
        .accel(AccelChoice::Tcg)
        .timeout(Some(Duration::from_secs(60)))
        .echo(verbose)
        .announce(false);
    Boot { config, words: cmdline.split_whitespace().map(String::from).collect(), hp: false, init: None }
}

/// The host program `path` booted as init from an initramfs (at
/// `/bin/<its file name>`), with no kernel words yet.
pub fn program(path: impl AsRef<Path>) -> Boot {
    let mut boot = boot("");
    boot.init = Some(Init { program: path.as_ref().to_path_buf(), args: Vec::new(), adds: Vec::new() });
    boot.refresh_cmdline();
    boot
}

/// `boot("ringo.ktest=<name>")`.
pub fn ktest(name: &str) -> Boot {
    boot(&format!("ringo.ktest={name}"))
}

impl Boot {
    /// Arguments for init (after `--` on the kernel command line). The
    /// command line splits at spaces, so an argument cannot hold one.
    #[track_caller]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let Some(init) = self.init.as_mut() else {
            panic!("args() needs a program()");
        };
        for arg in args {
            let arg = arg.into();
            assert!(
                !arg.is_empty() && !arg.contains(char::is_whitespace),
                "init argument {arg:?} cannot be passed on the kernel command line"
            );
            init.args.push(arg);
        }
        self.refresh_cmdline();
        self
    }

    /// Packs the host file or directory `host` at `guest` too.
    #[track_caller]
    pub fn add(mut self, host: impl AsRef<Path>, guest: &str) -> Self {
        let Some(init) = self.init.as_mut() else {
            panic!("add() needs a program()");
        };
        init.adds.push((host.as_ref().to_path_buf(), guest.to_string()));
        self
    }

    /// Runs init in ring 0 (`ringo.mode=hp`).
    pub fn hp(mut self, hp: bool) -> Self {
        self.hp = hp;
        self.refresh_cmdline();
        self
    }

    /// One more kernel word, such as `ringo.strace` or `init=/bin/other`.
    #[track_caller]
    pub fn kernel_arg(mut self, word: &str) -> Self {
        assert!(!word.is_empty() && !word.contains(char::is_whitespace), "kernel word {word:?}");
        self.words.push(word.to_string());
        self.refresh_cmdline();
        self
    }

    fn refresh_cmdline(&mut self) {
        let mut words = self.words.clone();
        let mut init_path = None;
        if let Some(init) = &self.init {
            init_path = program_guest_path(&init.program);
            if !init.args.is_empty() {
                words.push("--".to_string());
                words.extend(init.args.iter().cloned());
            }
        }
        self.config.cmdline = kernel_cmdline(self.hp, init_path.as_deref(), &words);
    }

    /// The initramfs for the program, written to a temporary file.
    fn pack(&self) -> Option<TempArchive> {
        let init = self.init.as_ref()?;
        let mut tree = Initramfs::new();
        let packed = tree
            .add_program(&init.program)
            .map(drop)
            .and_then(|()| init.adds.iter().try_for_each(|(host, guest)| tree.add_host(host, guest)))
            .and_then(|()| tree.write_temp());
        Some(packed.unwrap_or_else(|e| panic!("cannot pack {} into an initramfs: {e}", init.program.display())))
    }

    pub fn smp(mut self, cpus: u32) -> Self {
        self.config.smp = cpus;
        self
    }

    /// Guest memory in MiB.
    pub fn memory_mib(mut self, mib: u64) -> Self {
        self.config.memory = MemSize::from_mib(mib).unwrap_or_else(|| panic!("a guest needs more than 0 MiB"));
        self
    }

    pub fn machine(mut self, machine: Machine) -> Self {
        self.config.machine = machine;
        self
    }

    pub fn timeout_secs(mut self, secs: u64) -> Self {
        self.config.timeout = Some(Duration::from_secs(secs));
        self
    }

    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Boots and waits for the guest; panics only if QEMU cannot be run
    /// (or the program cannot be packed).
    pub fn run(self) -> GuestRun {
        let archive = self.pack();
        let mut config = self.config;
        let mut what = format!(
            "`{}` on {}, -smp {}, -m {}, accel {}",
            config.cmdline, config.machine, config.smp, config.memory, config.accel
        );
        if let Some(archive) = &archive {
            config.initrd = Some(archive.path().to_path_buf());
            if let Some(init) = &self.init {
                what = format!("{} as init, {what}", init.program.display());
            }
        }
        match run(&config) {
            Ok(outcome) => GuestRun { outcome, what },
            Err(e) => panic!("cannot run {what}: {e}"),
        }
    }
}

/// N from a `ringo: init exited with status N` line (anything may follow N).
fn init_exit_status(line: &str) -> Option<u8> {
    let rest = &line[line.find(INIT_EXITED_PREFIX)? + INIT_EXITED_PREFIX.len()..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A finished guest run, with assertions that show the serial output.
pub struct GuestRun {
    pub outcome: Outcome,
    what: String,
}

impl GuestRun {
    pub fn serial(&self) -> &str {
        &self.outcome.serial
    }

    /// Fails the test with `why` and everything the run printed.
    #[track_caller]
    pub fn fail(&self, why: impl Display) -> ! {
        let o = &self.outcome;
        panic!(
            "{why}\n\
             run: {what}; {status} after {wall:.2?}\n\
             ------- serial output -------\n{serial}\n\
             ------- QEMU stderr -------\n{stderr}\n\
             -----------------------------",
            what = self.what,
            status = o.status,
            wall = o.wall,
            serial = o.serial.trim_end(),
            stderr = o.qemu_stderr.trim_end(),
        )
    }

    #[track_caller]
    pub fn check(&self, ok: bool, why: impl Display) -> &Self {
        if !ok {
            self.fail(why);
        }
        self
    }

    /// The guest exited with exactly `status`, from its status line.
    #[track_caller]
    pub fn expect_status(&self, status: u8) -> &Self {
        let got = &self.outcome.status;
        self.check(*got == GuestStatus::Exited(status), format!("expected guest exit status {status}, got: {got}"))
    }

    /// Init exited with `status`: the kernel's `init exited` line says so,
    /// and so does the run's exit status.
    #[track_caller]
    pub fn expect_init_exit(&self, status: u8) -> &Self {
        let said = self.serial().lines().find_map(init_exit_status);
        let line = format!("{INIT_EXITED_PREFIX}{status}");
        match said {
            Some(n) if n == status => {}
            Some(n) => self.fail(format!("init exited with status {n}, expected {status}")),
            None => self.fail(format!("no `{line}` line: init did not run, or ended otherwise")),
        }
        self.expect_status(status)
    }

    /// No test program reported a failed check.
    #[track_caller]
    pub fn expect_no_failures(&self) -> &Self {
        let failures: Vec<&str> = self.serial().lines().filter(|l| l.contains(FAIL_MARKER)).collect();
        self.check(failures.is_empty(), format!("{} failed checks:\n{}", failures.len(), failures.join("\n")))
    }

    /// A test program (see qemu-tests/programs/c/check.h) ran to its end with
    /// every check passed: `<name>: ok`, no `FAIL:`, init exit status 0.
    #[track_caller]
    pub fn expect_program_ok(&self, name: &str) -> &Self {
        self.expect_no_failures();
        let ok = format!("{name}: ok");
        self.check(self.serial().lines().any(|l| l.trim_end() == ok), format!("no `{ok}` line"));
        self.expect_init_exit(0)
    }

    /// The lines after the first one containing `after` and before the
    /// first later one containing `before` (to the end without one).
    #[track_caller]
    pub fn lines_between(&self, after: &str, before: &str) -> Vec<&str> {
        let Some(start) = self.line_index(after) else {
            self.fail(format!("no line contains `{after}`"));
        };
        self.serial().lines().skip(start + 1).take_while(|l| !l.contains(before)).collect()
    }

    /// The first line containing `needle`.
    #[track_caller]
    pub fn line_containing(&self, needle: &str) -> &str {
        // A match, not a closure: #[track_caller] does not reach into one.
        match self.serial().lines().find(|l| l.contains(needle)) {
            Some(line) => line,
            None => self.fail(format!("no line contains `{needle}`")),
        }
    }

    /// Index of the first line containing `needle`, for checking order.
    pub fn line_index(&self, needle: &str) -> Option<usize> {
        self.serial().lines().position(|l| l.contains(needle))
    }

    /// `first` appears on a line before `second` does.
    #[track_caller]
    pub fn expect_order(&self, first: &str, second: &str) -> &Self {
        match (self.line_index(first), self.line_index(second)) {
            (Some(a), Some(b)) if a < b => self,
            (Some(_), Some(_)) => self.fail(format!("`{first}` should come before `{second}`")),
            (None, _) => self.fail(format!("no line contains `{first}`")),
            (_, None) => self.fail(format!("no line contains `{second}`")),
        }
    }

    /// The boot banner.
    #[track_caller]
    pub fn banner(&self) -> Banner {
        match self.serial().lines().find_map(serial_lines::parse_banner) {
            Some(banner) => banner,
            None => self.fail(format!("no well-formed `{}...` banner", serial_lines::BANNER_PREFIX)),
        }
    }

    /// Every `smp: cpu <i> (apic <a>) online, <t> ticks` line.
    pub fn cpus_online(&self) -> Vec<CpuOnline> {
        self.serial().lines().filter_map(serial_lines::parse_cpu_online).collect()
    }

    /// The frames of the first backtrace; fails when there is none.
    #[track_caller]
    pub fn backtrace(&self) -> Vec<Frame> {
        let frames = serial_lines::first_backtrace(self.serial());
        if frames.is_empty() {
            self.fail(format!("no `{}` line followed by frames", serial_lines::BACKTRACE_HEADER));
        }
        frames
    }

    /// Some backtrace frame's symbol contains `name`.
    #[track_caller]
    pub fn expect_frame(&self, name: &str) -> &Self {
        let frames = self.backtrace();
        self.check(frames.iter().any(|f| f.symbol.contains(name)), format!("no backtrace frame names `{name}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_exit_lines() {
        assert_eq!(init_exit_status("ringo: init exited with status 139"), Some(139));
        assert_eq!(init_exit_status("[ 0.1] ringo: init exited with status 1 (signal 11)"), Some(1));
        assert_eq!(init_exit_status("ringo: init exited with status 256"), None);
        assert_eq!(init_exit_status("ringo: init exited with status "), None);
        assert_eq!(init_exit_status("ringo: exit status 0"), None);
    }
}
