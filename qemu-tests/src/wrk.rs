//! The HTTP load generator `wrk` (Debian's package, installed by
//! scripts/setup.sh), run against a server and its summary read back:
//! requests, errors of every kind, and the rates for the report.

use std::process::Command;
use std::time::Duration;

use crate::host_process::run_with_timeout;

/// What one run of wrk reported.
#[derive(Debug, Clone, PartialEq)]
pub struct WrkReport {
    pub requests: u64,
    /// As wrk prints it: `15.00MB read`.
    pub read: String,
    /// Connect, read, write and timeout errors.
    pub socket_errors: [u64; 4],
    pub non_2xx_3xx: u64,
    pub requests_per_sec: f64,
    /// As wrk prints it, such as `3.00MB`.
    pub transfer_per_sec: String,
}

impl WrkReport {
    pub fn errors(&self) -> u64 {
        self.socket_errors.iter().sum::<u64>() + self.non_2xx_3xx
    }
}

/// Reads wrk's summary (lines absent when zero are taken as zero).
pub fn parse(output: &str) -> Result<WrkReport, String> {
    let mut requests = None;
    let mut read = String::new();
    let mut socket_errors = [0u64; 4];
    let mut non_2xx_3xx = 0;
    let mut requests_per_sec = None;
    let mut transfer_per_sec = String::new();
    let number = |text: &str, what: &str| -> Result<u64, String> {
        text.trim().parse().map_err(|_| format!("{what}: {text:?} is not a count"))
    };
    for line in output.lines().map(str::trim) {
        if let Some((count, rest)) = line.split_once(" requests in ") {
            requests = Some(number(count, "requests")?);
            read = rest.split_once(", ").map(|(_, r)| r.to_string()).unwrap_or_default();
        } else if let Some(list) = line.strip_prefix("Socket errors:") {
            for (i, name) in ["connect", "read", "write", "timeout"].iter().enumerate() {
                let part = list
                    .split(',')
                    .map(str::trim)
                    .find_map(|p| p.strip_prefix(name))
                    .ok_or_else(|| format!("no {name} count in {line:?}"))?;
                socket_errors[i] = number(part, name)?;
            }
        } else if let Some(count) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_2xx_3xx = number(count, "non-2xx")?;
        } else if let Some(rate) = line.strip_prefix("Requests/sec:") {
            requests_per_sec = Some(rate.trim().parse().map_err(|_| format!("Requests/sec {rate:?}"))?);
        } else if let Some(rate) = line.strip_prefix("Transfer/sec:") {
            transfer_per_sec = rate.trim().to_string();
        }
    }
    Ok(WrkReport {
        requests: requests.ok_or("no `N requests in` line")?,
        read,
        socket_errors,
        non_2xx_3xx,
        requests_per_sec: requests_per_sec.ok_or("no Requests/sec line")?,
        transfer_per_sec,
    })
}

/// `wrk -tTHREADS -cCONNECTIONS -dSECONDSs URL`, at most the duration plus
/// a minute.
pub fn run(url: &str, threads: u32, connections: u32, duration: Duration) -> Result<WrkReport, String> {
    let seconds = duration.as_secs().max(1);
    let mut command = Command::new("wrk");
    command.arg(format!("-t{threads}")).arg(format!("-c{connections}")).arg(format!("-d{seconds}s"));
    // The default per-request timeout (2 s) is short for TCG.
    command.args(["--timeout", "30s"]).arg(url);
    let ended = run_with_timeout(command, Duration::from_secs(seconds + 60))
        .map_err(|e| format!("{e}: run ./scripts/setup.sh"))?;
    if !ended.succeeded() {
        return Err(format!("wrk failed ({:?}):\n{}{}", ended.status, ended.stdout, ended.stderr));
    }
    parse(&ended.stdout).map_err(|e| format!("{e} in wrk's output:\n{}", ended.stdout))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = "Running 5s test @ http://127.0.0.1:8080/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   661.09us  1.19ms  26.33ms   94.09%
    Req/Sec    34.85k     4.13k   43.86k    71.00%
  346841 requests in 5.00s, 45.32MB read
Requests/sec:  69354.14
Transfer/sec:      9.06MB
";

    #[test]
    fn a_clean_run() {
        let report = parse(CLEAN).unwrap();
        assert_eq!(report.requests, 346841);
        assert_eq!(report.read, "45.32MB read");
        assert_eq!(report.errors(), 0);
        assert_eq!(report.requests_per_sec, 69354.14);
        assert_eq!(report.transfer_per_sec, "9.06MB");
    }

    #[test]
    fn errors_are_counted() {
        let output = CLEAN.replace(
            "Requests/sec:",
            "  Socket errors: connect 1, read 2, write 3, timeout 4\n  Non-2xx or 3xx responses: 5\nRequests/sec:",
        );
        let report = parse(&output).unwrap();
        assert_eq!((report.socket_errors, report.non_2xx_3xx, report.errors()), ([1, 2, 3, 4], 5, 15));
    }

    #[test]
    fn a_summary_without_counts_is_refused() {
        assert!(parse("unable to connect to 127.0.0.1:1 Connection refused").is_err());
        assert!(parse(&CLEAN.replace("Requests/sec:  69354.14\n", "")).is_err());
    }
}
