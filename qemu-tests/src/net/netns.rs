//! A network namespace for one test, made with iproute2 (`ip netns`), so
//! that taps, addresses and the guest's traffic stay out of the host's own
//! network and tests running side by side do not meet. Needs root (CI and
//! these machines have it); a test that cannot make one fails, saying why.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// Where iproute2 keeps a handle on each named namespace.
const NETNS_DIR: &str = "/var/run/netns";
/// `CLONE_NEWNET` from linux/sched.h.
const CLONE_NEWNET: i32 = 0x4000_0000;

/// A named network namespace with its loopback up; deleted (with its taps)
/// when dropped.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

/// Why an `ip` command failed.
#[derive(Debug)]
pub struct NetnsError {
    pub command: String,
    pub why: String,
}

impl std::fmt::Display for NetnsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` failed: {}", self.command, self.why)
    }
}

impl std::error::Error for NetnsError {}

/// Runs `ip ARGS`, failing with its stderr.
fn ip(args: &[&str]) -> Result<Output, NetnsError> {
    let command = format!("ip {}", args.join(" "));
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| NetnsError { command: command.clone(), why: format!("cannot run ip (install iproute2): {e}") })?;
    if !output.status.success() {
        let mut why = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if why.contains("Operation not permitted") || why.contains("Permission denied") {
            why.push_str(" (network namespaces need root)");
        }
        return Err(NetnsError { command, why: format!("{} ({why})", output.status) });
    }
    Ok(output)
}

impl Netns {
    /// A new namespace named `<prefix>-<pid>-<n>`, with `lo` up.
    pub fn create(prefix: &str) -> Result<Netns, NetnsError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("{prefix}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        // One left by an earlier process that had this pid.
        if std::path::Path::new(NETNS_DIR).join(&name).exists() {
            let _ = ip(&["netns", "delete", &name]);
        }
        ip(&["netns", "add", &name])?;
        let netns = Netns { name };
        netns.ip(&["link", "set", "lo", "up"])?;
        Ok(netns)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Runs `ip -n NAME ARGS`.
    fn ip(&self, args: &[&str]) -> Result<Output, NetnsError> {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all)
    }

    /// Adds tap `name` with address `cidr` (`10.0.8.1/24`) and brings it
    /// up; `queues` > 1 makes it `multi_queue` (QEMU then needs
    /// `queues=N`, and a multi-queue tap accepts nothing else).
    pub fn add_tap(&self, name: &str, cidr: &str, queues: u32) -> Result<(), NetnsError> {
        let mut add = vec!["tuntap", "add", name, "mode", "tap"];
        if queues > 1 {
            add.push("multi_queue");
        }
        self.ip(&add)?;
        self.ip(&["addr", "add", cidr, "dev", name])?;
        self.ip(&["link", "set", name, "up"])?;
        Ok(())
    }

    /// Runs `ip netns exec NAME ARGS...` and waits for it.
    pub fn exec<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> io::Result<Output> {
        self.command(args).output()
    }

    /// `ip netns exec NAME ARGS...`, to spawn as the caller likes.
    pub fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).args(args);
        command
    }

    /// Runs `work` on a thread of this process that has entered the
    /// namespace (a thread's network namespace is its own: the rest of the
    /// process stays where it is), so sockets it opens live in there.
    pub fn run_inside<T: Send>(&self, work: impl FnOnce() -> T + Send) -> io::Result<T> {
        let handle = File::open(std::path::Path::new(NETNS_DIR).join(&self.name))?;
        thread::scope(|scope| {
            scope
                .spawn(|| {
                    enter(&handle)?;
                    Ok(work())
                })
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

/// Moves the calling thread into the network namespace `handle` names.
fn enter(handle: &File) -> io::Result<()> {
    unsafe extern "C" {
        /// setns(2), from the C library std links anyway.
        fn setns(fd: i32, nstype: i32) -> i32;
    }
    // SAFETY: setns reads only its two integer arguments; the descriptor
    // stays open (borrowed) for the call, and a wrong one is an error
    // return, not undefined behaviour. It changes only this thread's
    // network namespace, which nothing else in this thread relies on.
    let rc = unsafe { setns(handle.as_raw_fd(), CLONE_NEWNET) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Its taps go with it (once no QEMU holds one open).
        if let Err(e) = ip(&["netns", "delete", &self.name]) {
            eprintln!("warning: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn can_make_namespaces() -> bool {
        let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        root && Command::new("ip").arg("-V").output().is_ok_and(|o| o.status.success())
    }

    /// Host tests are not where namespaces are required (the in-QEMU tests
    /// fail without them); here they are exercised where they can be.
    #[test]
    fn a_namespace_with_a_tap_lives_as_long_as_its_value() {
        if !can_make_namespaces() {
            eprintln!("not root or no iproute2: namespace unit test not run");
            return;
        }
        let netns = Netns::create("ringo-unit").expect("create a namespace");
        netns.add_tap("rt0", "10.0.99.1/24", 2).expect("add a multi-queue tap");
        let shown = netns.exec(&["ip", "-o", "link", "show", "rt0"]).expect("ip link in the namespace");
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(text.contains("rt0"), "{text}");
        let addr = crate::net::guest_ip::tap_address("rt0", Some(netns.name())).expect("the tap's address");
        assert_eq!(addr, ("10.0.99.1".parse().unwrap(), 24));
        // A socket made inside sees the namespace's addresses.
        let bound = netns.run_inside(|| std::net::UdpSocket::bind("10.0.99.1:0").map(|s| s.local_addr()));
        assert!(bound.expect("entered").is_ok(), "bind to the tap's address inside");
        assert!(std::net::UdpSocket::bind("10.0.99.1:0").is_err(), "but not outside");
        let name = netns.name().to_string();
        drop(netns);
        assert!(!std::path::Path::new(NETNS_DIR).join(&name).exists(), "deleted when dropped");
    }
}
