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
//! Set `RINGO_TEST_VERBOSE=1` to see the guest's output live, and
//! `RINGO_KERNEL=path` to test a prebuilt image.

use std::fmt::Display;
use std::time::Duration;

use crate::accel::AccelChoice;
use crate::kernel_build::kernel_for_tests;
use crate::memory::MemSize;
use crate::outcome::{GuestStatus, Outcome};
use crate::run::run;
use crate::run_config::{Machine, RunConfig};
use crate::serial_lines::{self, Banner, CpuOnline, Frame};

pub const VERBOSE_ENV: &str = "RINGO_TEST_VERBOSE";

/// A guest about to boot with kernel command line `cmdline`.
#[must_use = "call .run() to boot it"]
pub struct Boot {
    config: RunConfig,
}

pub fn boot(cmdline: &str) -> Boot {
    let verbose = std::env::var_os(VERBOSE_ENV).is_some_and(|v| !v.is_empty());
    let config = RunConfig::new(kernel_for_tests())
        .cmdline(cmdline)
        .accel(AccelChoice::Tcg)
        .timeout(Some(Duration::from_secs(60)))
        .echo(verbose)
        .announce(false);
    Boot { config }
}

/// `boot("ringo.ktest=<name>")`.
pub fn ktest(name: &str) -> Boot {
    boot(&format!("ringo.ktest={name}"))
}

impl Boot {
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

    /// Boots and waits for the guest; panics only if QEMU cannot be run.
    pub fn run(self) -> GuestRun {
        let c = &self.config;
        let what = format!("`{}` on {}, -smp {}, -m {}, accel {}", c.cmdline, c.machine, c.smp, c.memory, c.accel);
        match run(c) {
            Ok(outcome) => GuestRun { outcome, what },
            Err(e) => panic!("cannot run {what}: {e}"),
        }
    }
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

    /// The first line containing `needle`.
    #[track_caller]
    pub fn line_containing(&self, needle: &str) -> &str {
        self.line_index(needle).map_or_else(
            || self.fail(format!("no line contains `{needle}`")),
            |i| self.serial().lines().nth(i).unwrap_or_default(),
        )
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
        self.serial()
            .lines()
            .find_map(serial_lines::parse_banner)
            .unwrap_or_else(|| self.fail(format!("no well-formed `{}...` banner", serial_lines::BANNER_PREFIX)))
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
