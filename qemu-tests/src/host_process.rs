//! A program the socket tests run on the host beside a guest (a native
//! server, a client): its stdout is read line by line as it comes, so a
//! test can wait for `listening ...` before connecting, and every wait has
//! a deadline. Dropped while running, the process is killed. Also free
//! host ports for servers and forwards.

use std::io::{self, BufRead, BufReader, Read};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::net::Proto;

/// A port on 127.0.0.1 that was free a moment ago (bound, then released).
pub fn free_port(proto: Proto) -> u16 {
    let port = match proto {
        Proto::Tcp => TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()),
        Proto::Udp => UdpSocket::bind("127.0.0.1:0").and_then(|s| s.local_addr()),
    };
    port.unwrap_or_else(|e| panic!("cannot find a free {} port: {e}", proto.name())).port()
}

#[derive(Default)]
struct Lines {
    lines: Vec<String>,
    ended: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<Lines>,
    grew: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lines> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running host program.
pub struct HostProcess {
    what: String,
    child: Child,
    stdout: Arc<Shared>,
    stdout_pump: Option<thread::JoinHandle<()>>,
    stderr_pump: Option<thread::JoinHandle<String>>,
}

/// How a host program ended.
#[derive(Debug)]
pub struct Ended {
    /// `None` when it was killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Ended {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }
}

impl HostProcess {
    /// Starts `command` with its stdout and stderr piped (stdin closed);
    /// panics if it cannot be started.
    pub fn spawn(mut command: Command) -> HostProcess {
        let what = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let stdout = Arc::new(Shared::default());
        let stdout_pump = child.stdout.take().map(|pipe| {
            let shared = Arc::clone(&stdout);
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { break };
                    shared.lock().lines.push(line);
                    shared.grew.notify_all();
                }
                shared.lock().ended = true;
                shared.grew.notify_all();
            })
        });
        let stderr_pump = child.stderr.take().map(|mut pipe| {
            thread::spawn(move || {
                let mut text = String::new();
                let _ = pipe.read_to_string(&mut text);
                text
            })
        });
        HostProcess { what, child, stdout, stdout_pump, stderr_pump }
    }

    /// The first stdout line containing `needle`, waiting at most
    /// `timeout`; `None` if it did not come (or stdout ended without it).
    pub fn wait_for_line(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut state = self.stdout.lock();
        loop {
            if let Some(line) = state.lines.iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            let now = Instant::now();
            if state.ended || now >= deadline {
                return None;
            }
            state = match self.stdout.grew.wait_timeout(state, deadline - now) {
                Ok((state, _)) => state,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Stdout so far.
    pub fn stdout_so_far(&self) -> String {
        self.stdout.lock().lines.join("\n")
    }

    /// What was started, for messages.
    pub fn describe(&self) -> &str {
        &self.what
    }

    /// Waits at most `timeout` for the program to end (then kills it).
    pub fn wait(mut self, timeout: Duration) -> Ended {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    self.kill();
                    break None;
                }
            }
        };
        if let Some(pump) = self.stdout_pump.take() {
            let _ = pump.join();
        }
        let stderr = self.stderr_pump.take().and_then(|p| p.join().ok()).unwrap_or_default();
        Ended { status, stdout: self.stdout_so_far(), stderr }
    }

    fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `command` to its end (stdin closed), at most `timeout`.
pub fn run_with_timeout(mut command: Command, timeout: Duration) -> io::Result<Ended> {
    // Check that it can start at all, so a missing tool is an error and
    // not a panic.
    let program = command.get_program().to_os_string();
    if which(&program).is_none() && !std::path::Path::new(&program).exists() {
        return Err(io::Error::new(io::ErrorKind::NotFound, format!("{} is not installed", program.to_string_lossy())));
    }
    command.stdin(Stdio::null());
    Ok(HostProcess::spawn(command).wait(timeout))
}

fn which(program: &std::ffi::OsStr) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_seen_as_they_come_and_the_end_is_reported() {
        let mut command = Command::new("sh");
        command.args(["-c", "echo first; sleep 0.2; echo 'listening 42'; echo oops >&2; exit 3"]);
        let process = HostProcess::spawn(command);
        assert_eq!(process.wait_for_line("listening", Duration::from_secs(10)).as_deref(), Some("listening 42"));
        assert_eq!(process.wait_for_line("never", Duration::from_millis(300)), None);
        let ended = process.wait(Duration::from_secs(10));
        assert_eq!(ended.status.and_then(|s| s.code()), Some(3));
        assert_eq!((ended.stdout.as_str(), ended.stderr.as_str()), ("first\nlistening 42", "oops\n"));
    }

    #[test]
    fn a_process_past_its_deadline_is_killed() {
        let mut command = Command::new("sleep");
        command.arg("30");
        let started = Instant::now();
        let ended = HostProcess::spawn(command).wait(Duration::from_millis(200));
        assert!(ended.status.is_none() && started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn free_ports_can_be_bound() {
        let port = free_port(Proto::Tcp);
        TcpListener::bind(("127.0.0.1", port)).expect("the free TCP port");
        let port = free_port(Proto::Udp);
        UdpSocket::bind(("127.0.0.1", port)).expect("the free UDP port");
    }

    #[test]
    fn a_missing_tool_is_an_error() {
        let e = run_with_timeout(Command::new("ringo-no-such-tool"), Duration::from_secs(1)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
    }
}
