//! What a guest run came to, decoded from the exit protocol.
//!
//! The kernel prints `ringo: exit status N` (maybe followed by a reason in
//! parentheses) and then writes N to isa-debug-exit, so QEMU exits with
//! `((N << 1) | 1) & 0xff`. The line is exact (0..=255); the exit code keeps
//! only 7 bits of N, so it is the fallback when the line is missing.
//!
//! Exit statuses of the `ringo` CLI, chosen after timeout(1)'s:
//! - the guest's status, 0..=255 (a guest may use 123..=127 too: then
//!   the launcher's stderr says which it was);
//! - [`EXIT_NO_STATUS`] 123: the guest reset or halted without a status;
//! - [`EXIT_TIMED_OUT`] 124: the timeout killed QEMU;
//! - [`EXIT_QEMU_FAILED`] 125: QEMU itself failed;
//! - [`EXIT_LAUNCHER_ERROR`] 126: the launcher failed (build, files);
//! - [`EXIT_QEMU_NOT_FOUND`] 127: QEMU is not installed;
//! - 2: bad command-line arguments.

use std::fmt;
use std::time::Duration;

use crate::accel::Accel;

pub const EXIT_NO_STATUS: i32 = 123;
pub const EXIT_TIMED_OUT: i32 = 124;
pub const EXIT_QEMU_FAILED: i32 = 125;
pub const EXIT_LAUNCHER_ERROR: i32 = 126;
pub const EXIT_QEMU_NOT_FOUND: i32 = 127;
pub const EXIT_USAGE: i32 = 2;

/// The line the kernel prints before writing its status to isa-debug-exit.
pub const EXIT_LINE_PREFIX: &str = "ringo: exit status ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestStatus {
    /// From the `ringo: exit status N` line: exact.
    Exited(u8),
    /// The line was missing; from QEMU's exit code, which keeps only the
    /// low 7 bits of the status the guest wrote.
    ExitedLow7Bits(u8),
    /// QEMU exited 0 without a status line: the guest reset (a triple fault
    /// under -no-reboot) or shut down some other way.
    NoStatus,
    /// QEMU failed on its own account; `code` is `None` when a signal
    /// killed it.
    QemuFailed {
        code: Option<i32>,
        stderr: String,
    },
    TimedOut,
}

impl GuestStatus {
    /// The guest's status, when it gave one.
    pub fn code(&self) -> Option<u8> {
        match self {
            GuestStatus::Exited(n) | GuestStatus::ExitedLow7Bits(n) => Some(*n),
            _ => None,
        }
    }

    /// The `ringo` CLI's exit status (see the module docs).
    pub fn exit_code(&self) -> i32 {
        match self {
            GuestStatus::Exited(n) | GuestStatus::ExitedLow7Bits(n) => i32::from(*n),
            GuestStatus::NoStatus => EXIT_NO_STATUS,
            GuestStatus::TimedOut => EXIT_TIMED_OUT,
            GuestStatus::QemuFailed { .. } => EXIT_QEMU_FAILED,
        }
    }
}

impl fmt::Display for GuestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuestStatus::Exited(n) => write!(f, "guest exited with status {n}"),
            GuestStatus::ExitedLow7Bits(n) => write!(
                f,
                "guest exited with status {n} (no `{}N` line; QEMU's exit code keeps only 7 bits of it)",
                EXIT_LINE_PREFIX
            ),
            GuestStatus::NoStatus => write!(f, "guest reset or halted without an exit status"),
            GuestStatus::QemuFailed { code: Some(code), .. } => write!(f, "QEMU failed with exit code {code}"),
            GuestStatus::QemuFailed { code: None, .. } => write!(f, "QEMU was killed by a signal"),
            GuestStatus::TimedOut => write!(f, "timed out; QEMU killed"),
        }
    }
}

/// How QEMU ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QemuEnd {
    /// Its exit code, `None` when a signal killed it.
    Exited(Option<i32>),
    /// The launcher killed it at the timeout.
    TimedOut,
}

/// The last `ringo: exit status N` line's N. A line whose N is not a byte
/// is not a status line.
pub fn last_exit_status(serial: &str) -> Option<u8> {
    serial.lines().rev().find_map(|line| {
        let rest = line.trim_start().strip_prefix(EXIT_LINE_PREFIX)?;
        let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let after = &rest[digits_end..];
        if !(after.trim().is_empty() || after.starts_with(" (")) {
            return None;
        }
        rest[..digits_end].parse().ok()
    })
}

pub fn decode(serial: &str, end: QemuEnd, qemu_stderr: &str) -> GuestStatus {
    let code = match end {
        // A status line printed before a hang does not mean the guest exited.
        QemuEnd::TimedOut => return GuestStatus::TimedOut,
        QemuEnd::Exited(code) => code,
    };
    if let Some(n) = last_exit_status(serial) {
        return GuestStatus::Exited(n);
    }
    let failed = || GuestStatus::QemuFailed { code, stderr: qemu_stderr.to_string() };
    match code {
        Some(0) => GuestStatus::NoStatus,
        // QEMU exits 1 for its own errors (bad option, missing kernel) too;
        // a guest that wrote 0 without printing a thing is not Ringo.
        Some(1) if serial.trim().is_empty() => failed(),
        Some(c) if (1..=255).contains(&c) && c & 1 == 1 => GuestStatus::ExitedLow7Bits((c >> 1) as u8),
        _ => failed(),
    }
}

/// The result of one guest run.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The guest's serial output, CR LF turned into LF.
    pub serial: String,
    pub qemu_stderr: String,
    pub status: GuestStatus,
    pub wall: Duration,
    pub accel: Accel,
}

impl Outcome {
    /// The `ringo` CLI's exit status (see the module docs).
    pub fn exit_code(&self) -> i32 {
        self.status.exit_code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANNER: &str = "ringo: ready: 1 CPUs, 254 MiB memory, accel tcg, boot 3.120 ms\n";

    fn exited(code: i32) -> QemuEnd {
        QemuEnd::Exited(Some(code))
    }

    #[test]
    fn the_status_line_is_exact_and_the_last_one_wins() {
        let serial = format!("{BANNER}ringo: exit status 3\nmore\nringo: exit status 200 (kernel fault)\n");
        // 200 << 1 | 1 = 401, & 0xff = 145: the line, not the code, is right.
        assert_eq!(decode(&serial, exited(145), ""), GuestStatus::Exited(200));
        assert_eq!(decode("ringo: exit status 0\r\n", exited(1), ""), GuestStatus::Exited(0));
        let fault = format!("{BANNER}ringo: exit status 70 (kernel fault)\n");
        assert_eq!(decode(&fault, exited(141), ""), GuestStatus::Exited(70));
    }

    #[test]
    fn malformed_status_lines_are_ignored() {
        assert_eq!(last_exit_status("ringo: exit status 256\n"), None);
        assert_eq!(last_exit_status("ringo: exit status \n"), None);
        assert_eq!(last_exit_status("ringo: exit status 12abc\n"), None);
        assert_eq!(last_exit_status("ringo: exit status 7\nringo: exit status 999\n"), Some(7));
        assert_eq!(last_exit_status("  ringo: exit status 9  \n"), Some(9));
        assert_eq!(last_exit_status("app says ringo: exit status 9\n"), None);
    }

    #[test]
    fn without_the_line_an_odd_code_gives_seven_bits() {
        assert_eq!(decode(BANNER, exited(141), ""), GuestStatus::ExitedLow7Bits(70));
        assert_eq!(decode(BANNER, exited(1), ""), GuestStatus::ExitedLow7Bits(0));
        assert_eq!(decode(BANNER, exited(255), ""), GuestStatus::ExitedLow7Bits(127));
    }

    #[test]
    fn exit_zero_without_the_line_is_a_reset() {
        assert_eq!(decode(BANNER, exited(0), ""), GuestStatus::NoStatus);
        assert_eq!(decode("", exited(0), ""), GuestStatus::NoStatus);
    }

    #[test]
    fn other_endings_are_qemu_failures() {
        let err = "qemu-system-x86_64: -kernel nope: No such file\n";
        assert_eq!(decode("", exited(1), err), GuestStatus::QemuFailed { code: Some(1), stderr: err.into() });
        assert_eq!(decode(BANNER, exited(2), ""), GuestStatus::QemuFailed { code: Some(2), stderr: String::new() });
        assert_eq!(
            decode(BANNER, QemuEnd::Exited(None), ""),
            GuestStatus::QemuFailed { code: None, stderr: String::new() }
        );
        assert!(matches!(decode(BANNER, exited(257), ""), GuestStatus::QemuFailed { .. }));
    }

    #[test]
    fn a_timeout_beats_everything() {
        let serial = format!("{BANNER}ringo: exit status 0\n");
        assert_eq!(decode(&serial, QemuEnd::TimedOut, ""), GuestStatus::TimedOut);
    }

    #[test]
    fn cli_exit_codes() {
        assert_eq!(GuestStatus::Exited(0).exit_code(), 0);
        assert_eq!(GuestStatus::Exited(255).exit_code(), 255);
        assert_eq!(GuestStatus::ExitedLow7Bits(70).exit_code(), 70);
        assert_eq!(GuestStatus::NoStatus.exit_code(), 123);
        assert_eq!(GuestStatus::TimedOut.exit_code(), 124);
        assert_eq!(GuestStatus::QemuFailed { code: Some(1), stderr: String::new() }.exit_code(), 125);
    }
}
