//! `ping` from the host side with Debian's busybox-static (which setup
//! installs), and its output read back: one round-trip time per reply.
//! Busybox prints a reply as
//! `64 bytes from 10.0.8.2: seq=0 ttl=64 time=0.695 ms`.

use std::io;
use std::net::Ipv4Addr;
use std::process::Command;

use super::netns::Netns;
use crate::initramfs::busybox::BUSYBOX;

/// Seconds between requests (`-i`): 100 pings take 5 s.
pub const INTERVAL: &str = "0.05";

/// A finished `ping`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ping {
    /// Its whole output, for failure messages.
    pub output: String,
    /// The sequence number of each reply, duplicates left out.
    pub seqs: Vec<u32>,
    /// The round-trip time of each of those replies, in milliseconds.
    pub times_ms: Vec<f64>,
}

impl Ping {
    /// Reads busybox ping's output.
    pub fn parse(output: &str) -> Ping {
        let mut ping = Ping { output: output.to_string(), seqs: Vec::new(), times_ms: Vec::new() };
        for line in output.lines().filter(|l| l.contains(" bytes from ") && !l.contains("(DUP!)")) {
            let field = |name: &str| line.split_whitespace().find_map(|w| w.strip_prefix(name));
            let (Some(seq), Some(time)) = (field("seq=").and_then(|s| s.parse().ok()), field("time=")) else {
                continue;
            };
            let Ok(time) = time.parse::<f64>() else { continue };
            if !ping.seqs.contains(&seq) {
                ping.seqs.push(seq);
                ping.times_ms.push(time);
            }
        }
        ping
    }

    /// Distinct replies.
    pub fn replies(&self) -> usize {
        self.seqs.len()
    }

    /// The median round-trip time; `None` without replies.
    pub fn median_ms(&self) -> Option<f64> {
        median(&self.times_ms)
    }
}

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// busybox ping's arguments: `count` requests every [`INTERVAL`] seconds,
/// then at most a second more for the last reply.
pub fn ping_args(addr: Ipv4Addr, count: u32) -> Vec<String> {
    ["ping", "-c", &count.to_string(), "-W", "1", "-i", INTERVAL, &addr.to_string()].map(String::from).to_vec()
}

/// Pings `addr` `count` times from inside `netns` (from the host's own
/// namespace without one) and waits for ping to end (bounded by its
/// arguments: about `count` * 0.05 + 1 s). Missing replies are not an
/// error: the caller counts them.
pub fn ping(netns: Option<&Netns>, addr: Ipv4Addr, count: u32) -> io::Result<Ping> {
    let mut args = vec![BUSYBOX.to_string()];
    args.extend(ping_args(addr, count));
    let output = match netns {
        Some(netns) => netns.exec(&args)?,
        None => Command::new(&args[0]).args(&args[1..]).output()?,
    };
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(Ping::parse(&text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `busybox ping -c 3 -W 1 -i 0.05 127.0.0.1` on Debian 12's
    /// busybox-static 1.35.0, verbatim.
    const LOOPBACK: &str = "\
PING 127.0.0.1 (127.0.0.1): 56 data bytes
64 bytes from 127.0.0.1: seq=0 ttl=64 time=0.695 ms
64 bytes from 127.0.0.1: seq=1 ttl=64 time=0.078 ms
64 bytes from 127.0.0.1: seq=2 ttl=64 time=0.083 ms

--- 127.0.0.1 ping statistics ---
3 packets transmitted, 3 packets received, 0% packet loss
round-trip min/avg/max = 0.078/0.285/0.695 ms
";

    /// The same to an address that never answers.
    const SILENT: &str = "\
PING 10.255.255.1 (10.255.255.1): 56 data bytes

--- 10.255.255.1 ping statistics ---
2 packets transmitted, 0 packets received, 100% packet loss
";

    #[test]
    fn replies_and_their_times() {
        let ping = Ping::parse(LOOPBACK);
        assert_eq!(ping.seqs, [0, 1, 2]);
        assert_eq!(ping.times_ms, [0.695, 0.078, 0.083]);
        assert_eq!(ping.replies(), 3);
        assert_eq!(ping.median_ms(), Some(0.083));
        let silent = Ping::parse(SILENT);
        assert_eq!((silent.replies(), silent.median_ms()), (0, None));
    }

    #[test]
    fn duplicates_and_odd_lines_do_not_count() {
        let text = "\
64 bytes from 10.0.8.2: seq=0 ttl=64 time=1.5 ms
64 bytes from 10.0.8.2: seq=0 ttl=64 time=2.5 ms (DUP!)
64 bytes from 10.0.8.2: seq=0 ttl=64 time=3.5 ms
64 bytes from 10.0.8.2: seq=1 ttl=64 time=bogus ms
64 bytes from 10.0.8.2: seq=2 ttl=64
64 bytes from 10.0.8.2: seq=3 ttl=64 time=4 ms
";
        let ping = Ping::parse(text);
        assert_eq!(ping.seqs, [0, 3]);
        assert_eq!(ping.times_ms, [1.5, 4.0]);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
    }

    #[test]
    fn arguments() {
        assert_eq!(ping_args(Ipv4Addr::new(10, 0, 8, 2), 100).join(" "), "ping -c 100 -W 1 -i 0.05 10.0.8.2");
    }

    #[test]
    fn busybox_pings_the_loopback() {
        if !std::path::Path::new(BUSYBOX).is_file() {
            eprintln!("no {BUSYBOX}: install busybox-static");
            return;
        }
        // Raw ICMP sockets need root (or ping_group_range); the format is
        // what matters here.
        let ping = ping(None, Ipv4Addr::LOCALHOST, 2).expect("run busybox ping");
        if ping.output.contains("permission denied") || ping.output.contains("Operation not permitted") {
            return;
        }
        assert_eq!(ping.replies(), 2, "{}", ping.output);
        assert!(ping.median_ms().is_some_and(|t| t >= 0.0), "{}", ping.output);
    }
}
