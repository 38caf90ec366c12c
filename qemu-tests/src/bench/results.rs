//! What the benchmark programs print, read back into figures: each
//! [`Metric`] and the parser for the program that measures it.

use std::fmt;

/// One row of the comparison: what is measured, in what unit. Every
/// metric is a cost (lower is better).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// syscall_cost: a call of an empty function through a pointer, ns per
    /// call (what a system call costs at best in HP mode).
    FunctionCall,
    /// syscall_cost: a raw `syscall(SYS_getpid)`, ns per call.
    Getpid,
    /// syscall_cost: `write(fd, buf, 40)` to /dev/null, ns per call.
    Write40,
    /// write_read_cost: Jiny's `write(fd, buf, 40); read(fd, buf, 40)` on
    /// /dev/null, ns per system call.
    WriteRead40,
    /// Go file.go: 30-byte `os.File.Write`s to /dev/null, ns per write.
    GoFileWrite,
    /// Go server.go on 2 CPUs: ns per message.
    GoServerMessage,
    /// QEMU start to init's first output on the serial console (wall), ms.
    BootToInit,
    /// Ringo's own boot time (its banner: PVH entry to `ringo: ready`), ms.
    InKernelBoot,
    /// The least `-m` in which a static hello world completes, MiB.
    HelloMemory,
}

impl Metric {
    pub const ALL: [Metric; 9] = [
        Metric::FunctionCall,
        Metric::Getpid,
        Metric::Write40,
        Metric::WriteRead40,
        Metric::GoFileWrite,
        Metric::GoServerMessage,
        Metric::BootToInit,
        Metric::InKernelBoot,
        Metric::HelloMemory,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Metric::FunctionCall => "plain function call (no system call)",
            Metric::Getpid => "getpid (raw syscall)",
            Metric::Write40 => "write 40 B to /dev/null",
            Metric::WriteRead40 => "write+read 40 B on /dev/null, per call",
            Metric::GoFileWrite => "Go file.go, 30 B os.File.Write",
            Metric::GoServerMessage => "Go server.go on 2 CPUs, per message",
            Metric::BootToInit => "boot, QEMU start to init's first output",
            Metric::InKernelBoot => "boot, in-kernel (Ringo's banner)",
            Metric::HelloMemory => "least -m for hello",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Metric::FunctionCall
            | Metric::Getpid
            | Metric::Write40
            | Metric::WriteRead40
            | Metric::GoFileWrite
            | Metric::GoServerMessage => "ns",
            Metric::BootToInit | Metric::InKernelBoot => "ms",
            Metric::HelloMemory => "MiB",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The value of the first `KEY VALUE` line (anywhere in a line, so a log
/// prefix does not hide it).
pub fn key_value(serial: &str, key: &str) -> Option<f64> {
    serial.lines().find_map(|line| {
        let (_, rest) = line.split_once(key)?;
        rest.strip_prefix(' ')?.split_whitespace().next()?.parse().ok()
    })
}

/// Why a program's output gave no figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFigure {
    pub program: &'static str,
    pub what: String,
}

impl fmt::Display for MissingFigure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: no {} in its output", self.program, self.what)
    }
}

fn missing(program: &'static str, what: &str) -> MissingFigure {
    MissingFigure { program, what: what.to_string() }
}

/// syscall_cost's figures: getpid and write, ns per call.
pub fn syscall_cost(serial: &str) -> Result<Vec<(Metric, f64)>, MissingFigure> {
    [(Metric::FunctionCall, "call_ns"), (Metric::Getpid, "getpid_ns"), (Metric::Write40, "write40_devnull_ns")]
        .into_iter()
        .map(|(metric, key)| key_value(serial, key).map(|v| (metric, v)).ok_or_else(|| missing("syscall_cost", key)))
        .collect()
}

/// write_read_cost's figure: ns per system call.
pub fn write_read_cost(serial: &str) -> Result<Vec<(Metric, f64)>, MissingFigure> {
    let key = "write_read40_devnull_ns";
    key_value(serial, key).map(|v| vec![(Metric::WriteRead40, v)]).ok_or_else(|| missing("write_read_cost", key))
}

/// file.go's `file: N writes in T ns, X ns/write`: T/N, ns per write
/// (not the integer X, which drops the fraction).
pub fn go_file(serial: &str) -> Result<Vec<(Metric, f64)>, MissingFigure> {
    let line =
        serial.lines().find_map(|l| l.split_once("file: ").map(|(_, r)| r).filter(|r| r.contains(" writes in ")));
    let per_write = line.and_then(|rest| {
        let (count, rest) = rest.split_once(" writes in ")?;
        let (ns, _) = rest.split_once(" ns")?;
        let (count, ns): (f64, f64) = (count.trim().parse().ok()?, ns.trim().parse().ok()?);
        (count > 0.0).then(|| ns / count)
    });
    per_write.map(|v| vec![(Metric::GoFileWrite, v)]).ok_or_else(|| missing("file", "`file: N writes in T ns` line"))
}

/// server.go's `server: G goroutines, M messages, ... in T ns, X ns/message`:
/// T/M, ns per message.
pub fn go_server(serial: &str) -> Result<Vec<(Metric, f64)>, MissingFigure> {
    let line =
        serial.lines().find_map(|l| l.split_once("server: ").map(|(_, r)| r).filter(|r| r.contains(" messages, ")));
    let per_message = line.and_then(|rest| {
        let (_, rest) = rest.split_once(" goroutines, ")?;
        let (messages, rest) = rest.split_once(" messages, ")?;
        let (_, rest) = rest.rsplit_once(" in ")?;
        let (ns, _) = rest.split_once(" ns")?;
        let (messages, ns): (f64, f64) = (messages.trim().parse().ok()?, ns.trim().parse().ok()?);
        (messages > 0.0).then(|| ns / messages)
    });
    per_message
        .map(|v| vec![(Metric::GoServerMessage, v)])
        .ok_or_else(|| missing("server", "`server: ... M messages, ... in T ns` line"))
}

/// Whether a program finished well: a line ends with `last_line` (the
/// project's test programs end with `<name>: ok`) and none has `FAIL:`.
pub fn finished(serial: &str, last_line: &str) -> bool {
    serial.lines().any(|l| l.trim_end().ends_with(last_line)) && !serial.contains("FAIL:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_cost_lines() {
        let serial = "[ 0.1] info: starting init\ngetpid_ns 362.9\nwrite40_devnull_ns 674.7\ncall_ns 9.5\n\
                      calls_per_round 20000\nsyscall_cost: ok\n";
        assert_eq!(
            syscall_cost(serial).unwrap(),
            [(Metric::FunctionCall, 9.5), (Metric::Getpid, 362.9), (Metric::Write40, 674.7)]
        );
        let serial = "write_read40_devnull_ns 700.5\nloops_per_round 20000\nwrite_read_cost: ok\n";
        assert_eq!(write_read_cost(serial).unwrap(), [(Metric::WriteRead40, 700.5)]);
        assert!(write_read_cost("getpid_ns 1\n").is_err());
        let err = syscall_cost("getpid_ns 1\ncall_ns 2\n").unwrap_err();
        assert_eq!(err.to_string(), "syscall_cost: no write40_devnull_ns in its output");
        assert_eq!(key_value("getpid_nsx 5\ngetpid_ns 7\n", "getpid_ns"), Some(7.0));
    }

    #[test]
    fn go_file_line() {
        let serial = "file: 20000 writes in 130000000 ns, 6500 ns/write\nfile: ok\n";
        assert_eq!(go_file(serial).unwrap(), [(Metric::GoFileWrite, 6500.0)]);
        assert_eq!(go_file("file: 3 writes in 10 ns, 3 ns/write\n").unwrap()[0].1, 10.0 / 3.0);
        assert!(go_file("file: ok\n").is_err());
    }

    #[test]
    fn go_server_line() {
        let serial = "server: 50 goroutines, 10000 messages, 10000 writes of 30 bytes in 250000000 ns, \
                      25000 ns/message\nserver: ok\n";
        assert_eq!(go_server(serial).unwrap(), [(Metric::GoServerMessage, 25000.0)]);
        assert!(go_server("server: ok\n").is_err());
    }

    #[test]
    fn ok_lines() {
        assert!(finished("x\r\nfile: ok\r\n", "file: ok"));
        assert!(finished("[ 1.0] hello\n", "hello"));
        assert!(!finished("FAIL: file: main.go:3: bad\nfile: ok\n", "file: ok"));
        assert!(!finished("file: 1 failed\n", "file: ok"));
    }

    #[test]
    fn every_metric_has_a_unit() {
        for m in Metric::ALL {
            assert!(!m.label().is_empty() && ["ns", "ms", "MiB"].contains(&m.unit()));
        }
    }
}
