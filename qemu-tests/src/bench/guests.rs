//! The guests the benchmarks compare, and booting one of them with
//! programs to run, on the same QEMU settings for all: Linux as Debian
//! ships it, the same Linux with `mitigations=off` (both run the programs
//! in turn under bench_init, see [`crate::linux_guest`]), and Ringo in
//! normal and HP mode (each program booted as init, since HP mode runs one
//! app).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::results::finished;
use crate::accel::AccelChoice;
use crate::guest_test::INIT_EXITED_PREFIX;
use crate::initramfs::Initramfs;
use crate::linux_guest::{self, ICOUNT_TSC_KHZ, INIT_STARTED, LinuxOptions};
use crate::memory::MemSize;
use crate::run::{Session, SessionError};
use crate::run_config::{RunConfig, kernel_cmdline};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Guest {
    Linux,
    LinuxMitigationsOff,
    Ringo,
    RingoHp,
}

impl Guest {
    pub const ALL: [Guest; 4] = [Guest::Linux, Guest::LinuxMitigationsOff, Guest::Ringo, Guest::RingoHp];

    /// The report's column heading.
    pub fn column(self) -> &'static str {
        match self {
            Guest::Linux => "Linux",
            Guest::LinuxMitigationsOff => "Linux mitigations=off",
            Guest::Ringo => "Ringo normal",
            Guest::RingoHp => "Ringo HP",
        }
    }

    /// A short name for ratio headings.
    pub fn short(self) -> &'static str {
        match self {
            Guest::Linux => "Linux",
            Guest::LinuxMitigationsOff => "Linux-off",
            Guest::Ringo => "normal",
            Guest::RingoHp => "HP",
        }
    }

    pub fn is_linux(self) -> bool {
        matches!(self, Guest::Linux | Guest::LinuxMitigationsOff)
    }
}

impl fmt::Display for Guest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.column())
    }
}

/// How QEMU runs the guests: the accelerator, and under TCG whether guest
/// time counts instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timing {
    /// TCG; guest time is the host's.
    Tcg,
    /// TCG with `-icount shift=0,sleep=off`: one guest instruction is one
    /// ns of guest time, so figures count instructions, the same on any
    /// host.
    TcgIcount,
    /// KVM, where the host has a faithful one.
    Kvm,
}

impl Timing {
    pub fn label(self) -> &'static str {
        match self {
            Timing::Tcg => "TCG",
            Timing::TcgIcount => "TCG -icount shift=0,sleep=off",
            Timing::Kvm => "KVM",
        }
    }

    pub fn accel(self) -> AccelChoice {
        match self {
            Timing::Tcg | Timing::TcgIcount => AccelChoice::Tcg,
            Timing::Kvm => AccelChoice::Kvm,
        }
    }

    pub fn extra_qemu_args(self) -> &'static [&'static str] {
        match self {
            Timing::TcgIcount => &["-icount", "shift=0,sleep=off"],
            Timing::Tcg | Timing::Kvm => &[],
        }
    }

    /// The TSC frequency the Linux guest is told (`tsc_early_khz`).
    pub fn linux_tsc_khz(self, host_tsc_khz: u64) -> u64 {
        match self {
            Timing::TcgIcount => ICOUNT_TSC_KHZ,
            Timing::Tcg | Timing::Kvm => host_tsc_khz,
        }
    }

    /// Each boot's limit; instruction counting runs TCG about 2x slower.
    pub fn timeout(self, guest: Guest) -> Duration {
        let base = if guest.is_linux() { 90 } else { 60 };
        Duration::from_secs(if self == Timing::TcgIcount { 2 * base } else { base })
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A benchmark program and its arguments; `first_line` starts the first
/// line it prints (a boot as its init is timed to it) and `done` ends the
/// last, when it succeeded.
#[derive(Debug, Clone)]
pub struct Program {
    pub name: &'static str,
    pub binary: PathBuf,
    pub args: Vec<String>,
    pub first_line: String,
    pub done: String,
}

impl Program {
    /// A test program of the project, which ends with `<name>: ok`.
    pub fn checked(name: &'static str, binary: PathBuf, args: &[String], first_line: &str) -> Program {
        Program { name, binary, args: args.to_vec(), first_line: first_line.to_string(), done: format!("{name}: ok") }
    }

    fn guest_path(&self) -> String {
        crate::initramfs::program_guest_path(&self.binary).unwrap_or_default()
    }

    fn succeeded(&self, serial: &str) -> bool {
        finished(serial, &self.done)
    }
}

/// What the guests boot from.
#[derive(Debug, Clone)]
pub struct Kernels {
    pub ringo: PathBuf,
    pub vmlinux: PathBuf,
    pub bench_init: PathBuf,
    pub host_tsc_khz: u64,
}

/// The QEMU settings every guest of a comparison shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub timing: Timing,
    pub smp: u32,
    pub memory: MemSize,
}

/// One boot: its serial output and when the awaited first output came.
#[derive(Debug, Clone)]
pub struct GuestRun {
    pub serial: String,
    /// From starting QEMU to the first output awaited (init's, or the
    /// program's when it is init).
    pub first_output: Duration,
}

#[derive(Debug, Clone)]
pub struct GuestError {
    pub what: String,
    pub why: String,
    pub serial: String,
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)?;
        let lines: Vec<&str> = self.serial.lines().collect();
        if !lines.is_empty() {
            let from = lines.len().saturating_sub(15);
            write!(f, "\n  last serial lines:\n    {}", lines[from..].join("\n    "))?;
        }
        Ok(())
    }
}

/// Boots Linux (`mitigations_off` or not) running `programs` in turn.
pub fn run_linux(
    kernels: &Kernels,
    mitigations_off: bool,
    settings: Settings,
    programs: &[&Program],
) -> Result<GuestRun, GuestError> {
    let guest = if mitigations_off { Guest::LinuxMitigationsOff } else { Guest::Linux };
    let names: Vec<&str> = programs.iter().map(|p| p.name).collect();
    let what = format!(
        "{guest} running {} ({}, -smp {}, -m {})",
        names.join(", "),
        settings.timing,
        settings.smp,
        settings.memory
    );
    let error = |why: String, serial: &str| GuestError { what: what.clone(), why, serial: serial.to_string() };
    let binaries: Vec<&Path> = programs.iter().map(|p| p.binary.as_path()).collect();
    let archive = linux_guest::initramfs(&kernels.bench_init, &binaries)
        .and_then(|tree| tree.write_temp().map_err(linux_guest::LinuxGuestError::Initramfs))
        .map_err(|e| error(e.to_string(), ""))?;
    let command_lines: Vec<Vec<String>> =
        programs.iter().map(|p| std::iter::once(p.guest_path()).chain(p.args.iter().cloned()).collect()).collect();
    let options = LinuxOptions { mitigations_off, tsc_khz: settings.timing.linux_tsc_khz(kernels.host_tsc_khz) };
    let config = base_config(&kernels.vmlinux, settings, guest)
        .initrd(archive.path())
        .cmdline(linux_guest::cmdline(options, &command_lines));
    let run =
        boot(&config, INIT_STARTED, settings.timing.timeout(guest)).map_err(|(why, serial)| error(why, &serial))?;
    let clock = linux_guest::clocksource(&run.serial).unwrap_or("unknown");
    if !linux_guest::FINE_CLOCKSOURCES.contains(&clock) {
        return Err(error(format!("Linux's clock source is {clock}, too coarse to time anything"), &run.serial));
    }
    let statuses = linux_guest::exit_statuses(&run.serial);
    if statuses.len() != programs.len() || statuses.iter().any(|&s| s != 0) {
        return Err(error(format!("exit statuses {statuses:?}, expected {} zeros", programs.len()), &run.serial));
    }
    if let Some(p) = programs.iter().find(|p| !p.succeeded(&run.serial)) {
        return Err(error(format!("{} did not print `{}` (or printed FAIL:)", p.name, p.done), &run.serial));
    }
    Ok(run)
}

/// What a Ringo kernel says when it does not know `ringo.mode=hp`.
const NO_HP_MODE: &str = "ignoring ringo.mode";
/// The line Ringo prints at the end of a run in HP mode (its entry counts):
/// the proof that the run was one.
pub const HP_MODE_LINE: &str = "ringo: hp: ";

/// Boots Ringo (`hp`: `ringo.mode=hp`) with `program` as init.
pub fn run_ringo(kernels: &Kernels, hp: bool, settings: Settings, program: &Program) -> Result<GuestRun, GuestError> {
    let guest = if hp { Guest::RingoHp } else { Guest::Ringo };
    let what = format!(
        "{guest} running {} ({}, -smp {}, -m {})",
        program.name, settings.timing, settings.smp, settings.memory
    );
    let error = |why: String, serial: &str| GuestError { what: what.clone(), why, serial: serial.to_string() };
    let mut tree = Initramfs::new();
    let archive =
        tree.add_program(&program.binary).and_then(|_| tree.write_temp()).map_err(|e| error(e.to_string(), ""))?;
    let words: Vec<String> = if program.args.is_empty() {
        Vec::new()
    } else {
        std::iter::once("--".to_string()).chain(program.args.iter().cloned()).collect()
    };
    let config = base_config(&kernels.ringo, settings, guest).initrd(archive.path()).cmdline(kernel_cmdline(
        hp,
        Some(&program.guest_path()),
        &words,
    ));
    let run = boot(&config, &program.first_line, settings.timing.timeout(guest))
        .map_err(|(why, serial)| error(why, &serial))?;
    if !run.serial.contains(&format!("{INIT_EXITED_PREFIX}0")) || !program.succeeded(&run.serial) {
        return Err(error(format!("init did not exit 0 after printing `{}`", program.done), &run.serial));
    }
    // Checked once the run succeeded: Ringo prints the line as init exits.
    if hp && (run.serial.contains(NO_HP_MODE) || !run.serial.contains(HP_MODE_LINE)) {
        return Err(error(format!("no HP mode in this kernel (no `{HP_MODE_LINE}` line)"), &run.serial));
    }
    Ok(run)
}

fn base_config(kernel: &Path, settings: Settings, guest: Guest) -> RunConfig {
    let mut config = RunConfig::new(kernel)
        .smp(settings.smp)
        .memory(settings.memory)
        .accel(settings.timing.accel())
        .timeout(Some(settings.timing.timeout(guest)))
        .announce(false);
    for arg in settings.timing.extra_qemu_args() {
        config = config.extra_arg(arg);
    }
    config
}

/// How often [`boot`] looks for a panic while it waits.
const PANIC_POLL: Duration = Duration::from_millis(200);
/// Never printed: waiting for it waits for the end of QEMU's output.
const NEVER: &str = "\u{0}ringo-bench: end of output\u{0}";

/// Boots `config`, timing the first appearance of `marker`; the whole
/// serial output once QEMU has exited, or why it failed with what it
/// printed. A Linux panic ends the run at once (Linux may halt after it).
fn boot(config: &RunConfig, marker: &str, timeout: Duration) -> Result<GuestRun, (String, String)> {
    let mut session = Session::start(config).map_err(|e| (e.to_string(), String::new()))?;
    let first_output = match wait_for(&mut session, marker, timeout)? {
        Waited::Seen(at) => at,
        Waited::Ended => return Err((format!("the guest stopped before printing {marker:?}"), transcript(&session))),
    };
    let left = timeout.saturating_sub(session.elapsed());
    wait_for(&mut session, NEVER, left)?;
    let outcome = session.finish(PANIC_POLL).map_err(|e| (e.to_string(), String::new()))?;
    if outcome.status == crate::GuestStatus::TimedOut {
        return Err(("QEMU did not exit after its output ended".to_string(), outcome.serial));
    }
    Ok(GuestRun { serial: outcome.serial, first_output })
}

enum Waited {
    /// The pattern appeared, this long after QEMU started.
    Seen(Duration),
    /// QEMU's output ended without it.
    Ended,
}

fn transcript(session: &Session) -> String {
    session.transcript().replace("\r\n", "\n")
}

/// Waits until `pattern` appears or QEMU's output ends, at most `timeout`,
/// giving up early on a Linux panic.
fn wait_for(session: &mut Session, pattern: &str, timeout: Duration) -> Result<Waited, (String, String)> {
    let deadline = session.elapsed() + timeout;
    loop {
        match session.expect(pattern, PANIC_POLL) {
            Ok(_) => return Ok(Waited::Seen(session.elapsed())),
            Err(SessionError::Ended { .. }) => return Ok(Waited::Ended),
            Err(SessionError::Timeout { .. }) => {
                if transcript(session).contains(linux_guest::KERNEL_PANIC) {
                    return Err(("Linux panicked".to_string(), transcript(session)));
                }
                if session.elapsed() >= deadline {
                    return Err((format!("timed out after {timeout:?}"), transcript(session)));
                }
            }
            Err(e) => return Err((e.to_string(), transcript(session))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timings_set_qemu_and_the_linux_clock() {
        assert_eq!(Timing::Tcg.extra_qemu_args(), &[] as &[&str]);
        assert_eq!(Timing::TcgIcount.extra_qemu_args(), ["-icount", "shift=0,sleep=off"]);
        assert_eq!(Timing::Tcg.linux_tsc_khz(2_445_406), 2_445_406);
        assert_eq!(Timing::TcgIcount.linux_tsc_khz(2_445_406), ICOUNT_TSC_KHZ);
        assert_eq!(Timing::Kvm.accel(), AccelChoice::Kvm);
        assert!(Timing::TcgIcount.timeout(Guest::Linux) > Timing::Tcg.timeout(Guest::Linux));
        assert!(Timing::Tcg.timeout(Guest::Linux) >= Timing::Tcg.timeout(Guest::Ringo));
    }

    #[test]
    fn programs_land_in_bin_and_succeed_by_their_last_line() {
        let program = |name| Program::checked(name, PathBuf::from(format!("/b/{name}")), &[], "first");
        assert_eq!(program("file").guest_path(), "/bin/file");
        assert!(program("file").succeeded("file: 1 writes in 5 ns, 5 ns/write\nfile: ok\n"));
        assert!(!program("file").succeeded("FAIL: file: x\nfile: ok\n"));
    }
}
