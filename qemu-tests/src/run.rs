//! Running QEMU: spawn it, stream its output, enforce the timeout, decode
//! the outcome, and rerun under TCG where KVM turns out unfaithful.

use std::io::{self, IsTerminal, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::accel::{self, Accel, KvmProbe};
use crate::error::Error;
use crate::outcome::{self, Outcome, QemuEnd};
use crate::qemu_command::qemu_args;
use crate::run_config::RunConfig;

/// What the kernel prints when a ring-3 `syscall` does not reach CPL 0.
pub const UNFAITHFUL_KVM_MARKER: &str = "does not virtualize ring transitions faithfully";

const POLL: Duration = Duration::from_millis(20);
/// How long an interactive QEMU gets after SIGTERM to restore the terminal.
const TERM_GRACE: Duration = Duration::from_secs(2);

/// Runs the guest once with the accelerator `cfg.accel` resolves to on this
/// host, and once more under TCG if the kernel says KVM is unfaithful.
pub fn run(cfg: &RunConfig) -> Result<Outcome, Error> {
    let decision = accel::choose(cfg.accel, KvmProbe::of_this_host());
    if cfg.announce {
        eprintln!("{}", decision.announcement());
    }
    let outcome = run_with(cfg, decision.accel)?;
    if needs_tcg_rerun(&outcome) {
        if cfg.announce {
            eprintln!("ringo: KVM here does not run ring 3 faithfully; rerunning under TCG");
        }
        return run_with(cfg, Accel::Tcg);
    }
    Ok(outcome)
}

pub fn needs_tcg_rerun(outcome: &Outcome) -> bool {
    outcome.accel == Accel::Kvm && outcome.serial.contains(UNFAITHFUL_KVM_MARKER)
}

/// Runs the guest once with `accel`, no questions asked.
pub fn run_with(cfg: &RunConfig, accel: Accel) -> Result<Outcome, Error> {
    let mut command = Command::new(&cfg.qemu);
    command
        .args(qemu_args(cfg, accel))
        .stdin(if cfg.interactive { Stdio::inherit() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => Error::QemuNotFound { program: cfg.qemu.clone() },
        _ => Error::QemuSpawn { program: cfg.qemu.clone(), source },
    })?;

    // In interactive mode QEMU puts the terminal in raw mode, where a bare
    // LF no longer returns the cursor.
    let add_cr = cfg.interactive && io::stdout().is_terminal();
    let stdout_pump = child.stdout.take().map(|pipe| {
        let echo = cfg.echo.then_some(Echo::Stdout { add_cr });
        thread::spawn(move || pump(pipe, echo))
    });
    let stderr_pump = child.stderr.take().map(|pipe| {
        let echo = cfg.echo.then_some(Echo::Stderr);
        thread::spawn(move || pump(pipe, echo))
    });

    let end = wait(&mut child, cfg.timeout, cfg.interactive);
    if end.is_err() {
        // Otherwise joining the pumps below would wait for QEMU for ever.
        let _ = child.kill();
        let _ = child.wait();
    }
    let collect = |pump: Option<thread::JoinHandle<Vec<u8>>>| {
        pump.and_then(|handle| handle.join().ok()).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let serial = collect(stdout_pump).unwrap_or_default().replace("\r\n", "\n");
    let qemu_stderr = collect(stderr_pump).unwrap_or_default();
    let end = end?;
    let status = outcome::decode(&serial, end, &qemu_stderr);
    Ok(Outcome { serial, qemu_stderr, status, wall: started.elapsed(), accel })
}

fn wait(child: &mut Child, timeout: Option<Duration>, interactive: bool) -> Result<QemuEnd, Error> {
    let exited = |status: ExitStatus| QemuEnd::Exited(status.code());
    let Some(timeout) = timeout else {
        return child.wait().map(exited).map_err(Error::QemuWait);
    };
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().map_err(Error::QemuWait)? {
            return Ok(exited(status));
        }
        if Instant::now() >= deadline {
            if interactive {
                terminate_gently(child);
            }
            // Already exited (the race with the deadline) is fine.
            let _ = child.kill();
            child.wait().map_err(Error::QemuWait)?;
            return Ok(QemuEnd::TimedOut);
        }
        thread::sleep(POLL);
    }
}

/// SIGTERM lets QEMU restore the terminal it put in raw mode; SIGKILL (all
/// `Child::kill` sends) would leave the user's shell unusable.
fn terminate_gently(child: &mut Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        return;
    }
    let deadline = Instant::now() + TERM_GRACE;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        thread::sleep(POLL);
    }
}

enum Echo {
    Stdout { add_cr: bool },
    Stderr,
}

/// Reads `pipe` to its end, keeping everything and echoing it as it comes.
fn pump(mut pipe: impl Read, mut echo: Option<Echo>) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 4096];
    let mut previous = 0u8;
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let chunk = &buf[..n];
        kept.extend_from_slice(chunk);
        let written = match &echo {
            None => Ok(()),
            Some(Echo::Stdout { add_cr: false }) => write_all_flush(&mut io::stdout().lock(), chunk),
            Some(Echo::Stdout { add_cr: true }) => write_all_flush(&mut io::stdout().lock(), &with_cr(chunk, previous)),
            Some(Echo::Stderr) => write_all_flush(&mut io::stderr().lock(), chunk),
        };
        // A closed reader (`ringo run | head`) must not stop the capture.
        if written.is_err() {
            echo = None;
        }
        previous = chunk[n - 1];
    }
    kept
}

fn write_all_flush(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

/// `bytes` with CR before each LF that lacks one; `previous` is the byte
/// before `bytes` (a CR LF pair may straddle two reads).
fn with_cr(bytes: &[u8], mut previous: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 16);
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::GuestStatus;

    #[test]
    fn crs_are_added_once() {
        assert_eq!(with_cr(b"a\nb\r\nc", 0), b"a\r\nb\r\nc");
        assert_eq!(with_cr(b"\nx", b'\r'), b"\nx");
        assert_eq!(with_cr(b"\n", b'x'), b"\r\n");
    }

    #[test]
    fn pump_keeps_everything() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(pump(&data[..], None), data);
    }

    fn outcome(serial: &str, accel: Accel) -> Outcome {
        Outcome {
            serial: serial.into(),
            qemu_stderr: String::new(),
            status: GuestStatus::Exited(1),
            wall: Duration::ZERO,
            accel,
        }
    }

    /// A stand-in for qemu-system-x86_64 that acts out the `-kernel` named.
    const FAKE_QEMU: &str = r#"#!/bin/sh
kernel=; accel=
while [ $# -gt 0 ]; do
  case "$1" in -kernel) kernel=$2; shift;; -accel) accel=$2; shift;; esac
  shift
done
case "$kernel" in
  exit3) printf 'hello\r\nringo: exit status 3 (done)\r\n'; exit 7;;
  hang) echo started; exec sleep 30;;
  qemu-error) echo 'qemu-system-x86_64: -kernel: bad' >&2; exit 1;;
  unfaithful)
    if [ "$accel" = kvm ]; then
      echo 'ringo: KVM does not virtualize ring transitions faithfully'; echo 'ringo: exit status 1'; exit 3
    fi
    echo "ringo: ready under $accel"; echo 'ringo: exit status 0'; exit 1;;
esac
exit 2
"#;

    /// Written once per process, before any test spawns it (a file still
    /// open for writing in a concurrently forked child cannot be executed),
    /// and renamed into place so test processes never see half of it.
    fn fake_qemu() -> &'static std::path::Path {
        static PATH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
        PATH.get_or_init(|| {
            use std::os::unix::fs::PermissionsExt;
            let dir = std::env::temp_dir();
            let partial = dir.join(format!("ringo-fake-qemu.{}", std::process::id()));
            std::fs::write(&partial, FAKE_QEMU).expect("write fake qemu");
            std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755)).expect("chmod fake qemu");
            let path = dir.join("ringo-fake-qemu");
            std::fs::rename(&partial, &path).expect("rename fake qemu");
            path
        })
    }

    fn fake(kernel: &str) -> RunConfig {
        RunConfig::new(kernel).qemu(fake_qemu()).accel(crate::AccelChoice::Tcg).announce(false)
    }

    #[test]
    fn captures_serial_and_decodes_the_status() {
        let outcome = run(&fake("exit3")).expect("fake qemu runs");
        assert_eq!(outcome.serial, "hello\nringo: exit status 3 (done)\n");
        assert_eq!(outcome.status, GuestStatus::Exited(3));
        assert_eq!(outcome.accel, Accel::Tcg);
    }

    #[test]
    fn the_timeout_kills_qemu() {
        let cfg = fake("hang").timeout(Some(Duration::from_millis(300)));
        let outcome = run(&cfg).expect("fake qemu runs");
        assert_eq!(outcome.status, GuestStatus::TimedOut);
        assert_eq!(outcome.serial, "started\n");
        assert!(outcome.wall < Duration::from_secs(10), "took {:?}", outcome.wall);
    }

    #[test]
    fn qemu_errors_keep_its_stderr() {
        let outcome = run(&fake("qemu-error")).expect("fake qemu runs");
        let stderr = "qemu-system-x86_64: -kernel: bad\n".to_string();
        assert_eq!(outcome.status, GuestStatus::QemuFailed { code: Some(1), stderr: stderr.clone() });
        assert_eq!(outcome.qemu_stderr, stderr);
    }

    #[test]
    fn an_unfaithful_kvm_is_replaced_by_tcg() {
        let outcome = run(&fake("unfaithful").accel(crate::AccelChoice::Kvm)).expect("fake qemu runs");
        assert_eq!(outcome.accel, Accel::Tcg);
        assert_eq!(outcome.serial, "ringo: ready under tcg\nringo: exit status 0\n");
        assert_eq!(outcome.status, GuestStatus::Exited(0));
    }

    #[test]
    fn a_missing_qemu_says_how_to_install_it() {
        let cfg = fake("exit3").qemu("/nonexistent/qemu-system-x86_64");
        match run(&cfg) {
            Err(e @ Error::QemuNotFound { .. }) => {
                assert!(e.to_string().contains("apt-get install qemu-system-x86"))
            }
            other => panic!("expected QemuNotFound, got {other:?}"),
        }
    }

    #[test]
    fn only_an_unfaithful_kvm_run_is_repeated() {
        let complaint = "ringo: KVM does not virtualize ring transitions faithfully (syscall at CPL 3)\n";
        assert!(needs_tcg_rerun(&outcome(complaint, Accel::Kvm)));
        assert!(!needs_tcg_rerun(&outcome(complaint, Accel::Tcg)));
        assert!(!needs_tcg_rerun(&outcome("ringo: exit status 0\n", Accel::Kvm)));
    }
}
