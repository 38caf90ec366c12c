//! Running QEMU: spawn it, stream its output, enforce the timeout, decode
//! the outcome, and rerun under TCG where KVM turns out unfaithful.
//!
//! [`Session`] runs a guest whose serial console a program drives instead:
//! it writes QEMU's stdin and waits for patterns in its output, like
//! `expect(1)`.

use std::fmt;
use std::io::{self, IsTerminal, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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
        let image = cfg.initrd.as_ref().and_then(|p| std::fs::metadata(p).ok());
        if let Some(warning) = image.and_then(|m| crate::memory::initramfs_warning(m.len(), cfg.memory)) {
            eprintln!("{warning}");
        }
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

/// QEMU's command for `cfg`: `qemu-system-x86_64 ARGS`, or inside the
/// network namespace `cfg.netns` as `ip netns exec NS qemu-system-x86_64
/// ARGS` (which enters it and execs QEMU, so the child is QEMU itself).
fn qemu_command(cfg: &RunConfig, accel: Accel) -> Command {
    let mut command = match &cfg.netns {
        Some(netns) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", netns]).arg(&cfg.qemu);
            command
        }
        None => Command::new(&cfg.qemu),
    };
    command.args(qemu_args(cfg, accel));
    command
}

/// QEMU gets SIGKILL when the launcher's thread that started it dies,
/// however the launcher ends (SIGTERM, SIGHUP, a crash).
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    const PR_SET_PDEATHSIG: i32 = 1;
    const SIGKILL: u64 = 9;
    unsafe extern "C" {
        /// prctl(2), from the C library std links anyway.
        fn prctl(option: i32, arg2: u64, arg3: u64, arg4: u64, arg5: u64) -> i32;
    }
    // SAFETY: the closure runs in the child between fork and exec and calls
    // only prctl, which is async-signal-safe and touches no memory of ours.
    unsafe {
        command.pre_exec(|| {
            if prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Starts QEMU for `cfg` with `stdin`, its stdout and stderr piped.
fn spawn(cfg: &RunConfig, accel: Accel, stdin: Stdio) -> Result<Child, Error> {
    let mut command = qemu_command(cfg, accel);
    command.stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    if cfg.owns_terminal_session {
        die_with_parent(&mut command);
    }
    command.spawn().map_err(|source| match source.kind() {
        io::ErrorKind::NotFound if cfg.netns.is_none() => Error::QemuNotFound { program: cfg.qemu.clone() },
        _ => Error::QemuSpawn { program: command.get_program().into(), source },
    })
}

/// Runs the guest once with `accel`, no questions asked.
pub fn run_with(cfg: &RunConfig, accel: Accel) -> Result<Outcome, Error> {
    let started = Instant::now();
    let stdin = if cfg.interactive || cfg.owns_terminal_session { Stdio::inherit() } else { Stdio::null() };
    let mut child = spawn(cfg, accel, stdin)?;

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
    let serial = collect(stdout_pump);
    let qemu_stderr = collect(stderr_pump);
    Ok(outcome_of(serial, qemu_stderr, end?, started, accel))
}

/// What a pump thread kept, as text.
fn collect(pump: Option<thread::JoinHandle<Vec<u8>>>) -> String {
    pump.and_then(|handle| handle.join().ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

fn outcome_of(serial: String, qemu_stderr: String, end: QemuEnd, started: Instant, accel: Accel) -> Outcome {
    let serial = serial.replace("\r\n", "\n");
    let status = outcome::decode(&serial, end, &qemu_stderr);
    Outcome { serial, qemu_stderr, status, wall: started.elapsed(), accel }
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
fn pump(pipe: impl Read, echo: Option<Echo>) -> Vec<u8> {
    let mut kept = Vec::new();
    pump_into(pipe, echo, |chunk| kept.extend_from_slice(chunk));
    kept
}

/// Reads `pipe` to its end, handing each chunk to `keep` and echoing it.
fn pump_into(mut pipe: impl Read, mut echo: Option<Echo>, mut keep: impl FnMut(&[u8])) {
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
        keep(chunk);
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

/// How long [`Session`] polls QEMU while waiting for it to exit.
const SESSION_POLL: Duration = Duration::from_millis(20);

/// A guest whose serial console is driven by the caller: QEMU's stdin is a
/// pipe that [`Session::send`] writes (with `-serial stdio`, not the
/// terminal mode with its monitor, so every byte, Ctrl-A and Ctrl-C
/// included, reaches the guest), and a thread collects its stdout, which
/// [`Session::expect`] searches.
///
/// ```no_run
/// # use qemu_tests::{RunConfig, run::Session};
/// # use std::time::Duration;
/// let mut session = Session::start(&RunConfig::new("ringo.elf")).unwrap();
/// let step = Duration::from_secs(30);
/// session.expect("# ", step).unwrap();
/// session.send("exit 3\n").unwrap();
/// let outcome = session.finish(step).unwrap();
/// ```
///
/// Dropping a session kills QEMU.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Arc<SharedOutput>,
    stdout_pump: Option<thread::JoinHandle<()>>,
    stderr_pump: Option<thread::JoinHandle<Vec<u8>>>,
    started: Instant,
    accel: Accel,
    /// Where the next [`Session::expect`] starts searching.
    cursor: usize,
}

/// QEMU's stdout so far, and whether it has ended.
#[derive(Default)]
struct SharedOutput {
    state: Mutex<OutputState>,
    grew: Condvar,
}

#[derive(Default)]
struct OutputState {
    bytes: Vec<u8>,
    ended: bool,
}

impl SharedOutput {
    fn lock(&self) -> MutexGuard<'_, OutputState> {
        // A pump that panicked left whole chunks behind: still readable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why a [`Session`] step failed.
#[derive(Debug)]
pub enum SessionError {
    /// Writing to QEMU's stdin failed (QEMU has exited).
    Send(io::Error),
    /// `pattern` did not appear within `waited`.
    Timeout { pattern: String, waited: Duration },
    /// QEMU's output ended (the guest stopped) without `pattern`.
    Ended { pattern: String },
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Send(e) => write!(f, "cannot write to the guest's console: {e}"),
            SessionError::Timeout { pattern, waited } => {
                write!(f, "{pattern:?} did not appear within {waited:.1?}")
            }
            SessionError::Ended { pattern } => write!(f, "the guest's output ended without {pattern:?}"),
        }
    }
}

impl std::error::Error for SessionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SessionError::Send(e) => Some(e),
            _ => None,
        }
    }
}

/// Where [`Session::expect`] found its pattern, in bytes of the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    /// The output from the end of the previous match up to this one.
    pub before: String,
}

impl Session {
    /// Starts the guest. The accelerator is chosen once (a session is not
    /// rerun: its input cannot be replayed); `cfg.interactive` is ignored
    /// and `cfg.timeout` too, since every step has its own.
    pub fn start(cfg: &RunConfig) -> Result<Session, Error> {
        let decision = accel::choose(cfg.accel, KvmProbe::of_this_host());
        if cfg.announce {
            eprintln!("{}", decision.announcement());
        }
        let mut cfg = cfg.clone();
        cfg.interactive = false;
        let started = Instant::now();
        let mut child = spawn(&cfg, decision.accel, Stdio::piped())?;
        let output = Arc::new(SharedOutput::default());
        let stdout_pump = child.stdout.take().map(|pipe| {
            let echo = cfg.echo.then_some(Echo::Stdout { add_cr: false });
            let output = Arc::clone(&output);
            thread::spawn(move || {
                pump_into(pipe, echo, |chunk| {
                    output.lock().bytes.extend_from_slice(chunk);
                    output.grew.notify_all();
                });
                output.lock().ended = true;
                output.grew.notify_all();
            })
        });
        let stderr_pump = child.stderr.take().map(|pipe| {
            let echo = cfg.echo.then_some(Echo::Stderr);
            thread::spawn(move || pump(pipe, echo))
        });
        Ok(Session {
            stdin: child.stdin.take(),
            child,
            output,
            stdout_pump,
            stderr_pump,
            started,
            accel: decision.accel,
            cursor: 0,
        })
    }

    /// Types `input` on the guest's console.
    pub fn send(&mut self, input: impl AsRef<[u8]>) -> Result<(), SessionError> {
        let stdin = self.stdin.as_mut().ok_or_else(|| SessionError::Send(io::ErrorKind::BrokenPipe.into()))?;
        stdin.write_all(input.as_ref()).and_then(|()| stdin.flush()).map_err(SessionError::Send)
    }

    /// Waits until `pattern` appears in the output after the previous
    /// match, at most `timeout`, and moves past it.
    pub fn expect(&mut self, pattern: &str, timeout: Duration) -> Result<Found, SessionError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.output.lock();
        loop {
            if let Some(at) = find(&state.bytes[self.cursor..], pattern.as_bytes()) {
                let start = self.cursor + at;
                let end = start + pattern.len();
                let before = String::from_utf8_lossy(&state.bytes[self.cursor..start]).into_owned();
                self.cursor = end;
                return Ok(Found { start, end, before });
            }
            if state.ended {
                return Err(SessionError::Ended { pattern: pattern.to_string() });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(SessionError::Timeout { pattern: pattern.to_string(), waited: timeout });
            }
            state = match self.output.grew.wait_timeout(state, deadline - now) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Everything the guest printed so far, as it printed it (CR LF and
    /// terminal control sequences included).
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().bytes).into_owned()
    }

    /// Time since QEMU started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits for the guest to end by itself, at most `timeout` (then QEMU
    /// is killed and the outcome is a timeout), and decodes its outcome.
    pub fn finish(mut self, timeout: Duration) -> Result<Outcome, Error> {
        let deadline = Instant::now() + timeout;
        let end = loop {
            if let Some(status) = self.child.try_wait().map_err(Error::QemuWait)? {
                break QemuEnd::Exited(status.code());
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                self.child.wait().map_err(Error::QemuWait)?;
                break QemuEnd::TimedOut;
            }
            thread::sleep(SESSION_POLL);
        };
        self.stdin = None;
        if let Some(pump) = self.stdout_pump.take() {
            let _ = pump.join();
        }
        let serial = self.transcript();
        let qemu_stderr = collect(self.stderr_pump.take());
        Ok(outcome_of(serial, qemu_stderr, end, self.started, self.accel))
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // Unless finish() saw it exit: a failed step must not leave QEMU
        // running, nor the pumps waiting for it.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|window| window == needle)
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
  shell)
    printf 'fake login\r\n# '
    while IFS= read -r line; do
      case "$line" in
        exit*) printf 'ringo: init exited with status %s\r\nringo: exit status %s\r\n' "${line#exit }" "${line#exit }"; exit 7;;
        *) printf '%s\r\nyou said: %s\r\n# ' "$line" "$line";;
      esac
    done
    exit 0;;
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
    fn a_session_sends_expects_and_finishes() {
        let mut session = Session::start(&fake("shell")).expect("fake qemu runs");
        let step = Duration::from_secs(10);
        session.expect("# ", step).expect("the first prompt");
        session.send("hello there\n").expect("send");
        let found = session.expect("you said: hello", step).expect("the reply");
        assert_eq!(found.before, "hello there\r\n");
        // The cursor moved past the match: the next one is a later prompt.
        let prompt = session.expect("# ", step).expect("the second prompt");
        assert!(prompt.start >= found.end, "{prompt:?} after {found:?}");
        match session.expect("never printed", Duration::from_millis(200)) {
            Err(SessionError::Timeout { pattern, .. }) => assert_eq!(pattern, "never printed"),
            other => panic!("expected a timeout, got {other:?}"),
        }
        session.send("exit 3\n").expect("send exit");
        let outcome = session.finish(step).expect("fake qemu exits");
        assert_eq!(outcome.status, GuestStatus::Exited(3));
        assert!(
            outcome.serial.starts_with("fake login\n# hello there\nyou said: hello there\n"),
            "{:?}",
            outcome.serial
        );
        assert!(outcome.serial.ends_with("ringo: exit status 3\n"), "{:?}", outcome.serial);
    }

    #[test]
    fn a_session_sees_the_guest_end() {
        let mut session = Session::start(&fake("exit3")).expect("fake qemu runs");
        match session.expect("not there", Duration::from_secs(10)) {
            Err(SessionError::Ended { pattern }) => assert_eq!(pattern, "not there"),
            other => panic!("expected the end of the output, got {other:?}"),
        }
        assert_eq!(session.transcript(), "hello\r\nringo: exit status 3 (done)\r\n");
        let outcome = session.finish(Duration::from_secs(10)).expect("fake qemu exited");
        assert_eq!(outcome.status, GuestStatus::Exited(3));
    }

    #[test]
    fn a_session_that_does_not_end_is_killed() {
        let mut session = Session::start(&fake("hang")).expect("fake qemu runs");
        session.expect("started", Duration::from_secs(10)).expect("output");
        let outcome = session.finish(Duration::from_millis(300)).expect("killed");
        assert_eq!(outcome.status, GuestStatus::TimedOut);
        // Dropped mid-way, a session kills QEMU too (or this would wait 30 s).
        let mut dropped = Session::start(&fake("hang")).expect("fake qemu runs");
        dropped.expect("started", Duration::from_secs(10)).expect("output");
        let started = Instant::now();
        drop(dropped);
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_namespace_wraps_qemu_in_ip_netns_exec() {
        let cfg = RunConfig::new("k.elf").qemu("/usr/bin/qemu-system-x86_64");
        let plain = qemu_command(&cfg, Accel::Tcg);
        assert_eq!(plain.get_program(), "/usr/bin/qemu-system-x86_64");
        let inside = qemu_command(&cfg.clone().netns(Some("ringo-net-1".into())), Accel::Tcg);
        assert_eq!(inside.get_program(), "ip");
        let args: Vec<_> = inside.get_args().collect();
        assert_eq!(args[..4], ["netns", "exec", "ringo-net-1", "/usr/bin/qemu-system-x86_64"]);
        assert_eq!(args[4..], plain.get_args().collect::<Vec<_>>()[..]);
    }

    #[test]
    fn find_locates_bytes() {
        assert_eq!(find(b"abcabc", b"ca"), Some(2));
        assert_eq!(find(b"abc", b"abcd"), None);
        assert_eq!(find(b"abc", b""), Some(0));
    }

    #[test]
    fn only_an_unfaithful_kvm_run_is_repeated() {
        let complaint = "ringo: KVM does not virtualize ring transitions faithfully (syscall at CPL 3)\n";
        assert!(needs_tcg_rerun(&outcome(complaint, Accel::Kvm)));
        assert!(!needs_tcg_rerun(&outcome(complaint, Accel::Tcg)));
        assert!(!needs_tcg_rerun(&outcome("ringo: exit status 0\n", Accel::Kvm)));
    }
}
