//! The side-by-side comparison: every workload in every guest, for each
//! [`Timing`], into a table of [`Cell`]s.
//!
//! Per timing, on 1 CPU: Linux boots once per run and runs syscall_cost,
//! write_read_cost and file.go in turn under bench_init (its boot figure is the time to
//! bench_init's first line); Ringo boots once per run and program, each as
//! init (its boot figure is the time to hello's line, with the banner's
//! in-kernel boot time). On 2 CPUs: server.go, once per run and guest
//! (not under -icount, where Linux 6.1 hangs bringing up the second CPU).
//! Under the first timing only: the least memory for hello, by bisection.
//! A guest's workload that fails is reported as n/a with the reason, and
//! its remaining runs are skipped.

use std::collections::BTreeMap;
use std::time::Instant;

use super::bisect::least_passing;
use super::guests::{Guest, GuestError, GuestRun, Kernels, Program, Settings, Timing, run_linux, run_ringo};
use super::results::{self, Metric};
use super::stats::Summary;
use crate::linux_guest;
use crate::memory::MemSize;
use crate::serial_lines::parse_banner;

/// Loop counts of the programs, per run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoopCounts {
    /// syscall_cost and write_read_cost: calls (loops) per round (5
    /// rounds, the median kept).
    pub syscall_calls: u64,
    /// file.go: writes.
    pub go_file_writes: u64,
    /// server.go: round trips per client-server pair (25 pairs).
    pub server_rounds: u64,
}

/// The programs, built, with the loop counts as their arguments.
#[derive(Debug, Clone)]
pub struct Workloads {
    pub hello: Program,
    pub syscall_cost: Program,
    pub write_read_cost: Program,
    pub file: Program,
    pub server: Program,
}

#[derive(Debug, Clone)]
pub struct Plan {
    /// Runs (boots) per figure.
    pub runs: usize,
    pub timings: Vec<Timing>,
    /// Run the Ringo HP column; without it, the column says why not.
    pub hp: Result<(), String>,
    pub memory: MemSize,
    /// The bisection's range for the least memory, MiB.
    pub memory_search: (u64, u64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Figure(Summary),
    NotAvailable(String),
}

#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub cells: BTreeMap<(Timing, Metric, Guest), Cell>,
    /// What each Linux guest reported in /sys/devices/system/cpu/vulnerabilities
    /// (the `Mitigation:` entries), per timing.
    pub mitigations: BTreeMap<(Timing, Guest), Vec<String>>,
    /// Every failure, with the guest's last lines, for stderr.
    pub failures: Vec<String>,
    /// The least-memory search per guest: the sizes tried, in order, each
    /// followed by `+` (hello completed) or `-`.
    pub memory_probes: Vec<(Guest, String)>,
}

impl Comparison {
    pub fn cell(&self, timing: Timing, metric: Metric, guest: Guest) -> Option<&Cell> {
        self.cells.get(&(timing, metric, guest))
    }

    /// Whether a guest other than Ringo HP failed (HP may be missing).
    pub fn failed_outside_hp(&self) -> bool {
        self.cells.iter().any(|((_, _, guest), cell)| *guest != Guest::RingoHp && failed(cell))
    }
}

fn failed(cell: &Cell) -> bool {
    matches!(cell, Cell::NotAvailable(why) if why.starts_with(FAILED))
}

const FAILED: &str = "failed";
const ICOUNT_SMP: &str = "not under -icount: Linux 6.1 hangs there bringing up a second CPU";

/// Collects the figures of `runs` runs of one guest's workload, or why
/// there are none.
struct Collector<'a> {
    comparison: &'a mut Comparison,
    timing: Timing,
    guest: Guest,
}

impl Collector<'_> {
    /// Runs `one` up to `runs` times; its figures go into cells, and the
    /// first failure marks every metric of `metrics` n/a.
    fn runs(&mut self, runs: usize, metrics: &[Metric], mut one: impl FnMut() -> Result<Vec<(Metric, f64)>, String>) {
        let mut samples: BTreeMap<Metric, Vec<f64>> = BTreeMap::new();
        for _ in 0..runs {
            match one() {
                Ok(figures) => {
                    for (metric, value) in figures {
                        samples.entry(metric).or_default().push(value);
                    }
                }
                Err(why) => {
                    self.comparison.failures.push(why.clone());
                    let first_line = why.lines().next().unwrap_or("").to_string();
                    self.not_available(metrics, &format!("{FAILED}: {first_line}"));
                    return;
                }
            }
        }
        for metric in metrics {
            let cell = match samples.get(metric).and_then(|v| Summary::of(v)) {
                Some(summary) => Cell::Figure(summary),
                None => Cell::NotAvailable(format!("{FAILED}: no figure")),
            };
            self.comparison.cells.insert((self.timing, *metric, self.guest), cell);
        }
    }

    fn not_available(&mut self, metrics: &[Metric], why: &str) {
        for metric in metrics {
            self.comparison.cells.insert((self.timing, *metric, self.guest), Cell::NotAvailable(why.to_string()));
        }
    }
}

fn ms(run: &GuestRun) -> f64 {
    run.first_output.as_secs_f64() * 1000.0
}

fn parsed(figures: Result<Vec<(Metric, f64)>, results::MissingFigure>) -> Result<Vec<(Metric, f64)>, String> {
    figures.map_err(|e| e.to_string())
}

const LINUX_SMP1: [Metric; 6] = [
    Metric::FunctionCall,
    Metric::Getpid,
    Metric::Write40,
    Metric::WriteRead40,
    Metric::GoFileWrite,
    Metric::BootToInit,
];
const SYSCALLS: [Metric; 3] = [Metric::FunctionCall, Metric::Getpid, Metric::Write40];

/// Measures everything `plan` asks for; `log` hears each step.
pub fn measure(kernels: &Kernels, workloads: &Workloads, plan: &Plan, mut log: impl FnMut(&str)) -> Comparison {
    let mut comparison = Comparison::default();
    let single = |timing| Settings { timing, smp: 1, memory: plan.memory };
    for (i, &timing) in plan.timings.iter().enumerate() {
        for guest in Guest::ALL {
            let started = Instant::now();
            let mut c = Collector { comparison: &mut comparison, timing, guest };
            let hp_missing = if guest == Guest::RingoHp { plan.hp.clone().err() } else { None };
            if let Some(why) = hp_missing {
                c.not_available(&Metric::ALL, &why);
                continue;
            }
            log(&format!("{timing}: {guest}, 1 CPU, {} runs", plan.runs));
            smp1_workloads(&mut c, kernels, workloads, plan.runs, single(timing));
            let server = [Metric::GoServerMessage];
            if timing == Timing::TcgIcount {
                c.not_available(&server, ICOUNT_SMP);
            } else {
                log(&format!("{timing}: {guest}, server.go on 2 CPUs, {} runs", plan.runs));
                let settings = Settings { smp: 2, ..single(timing) };
                c.runs(plan.runs, &server, || {
                    let run = run_in(kernels, guest, settings, &[&workloads.server]).map_err(|e| e.to_string())?;
                    parsed(results::go_server(&run.serial))
                });
            }
            if i == 0 {
                memory_search(&mut c, kernels, &workloads.hello, plan, &mut log);
            } else {
                c.not_available(&[Metric::HelloMemory], "measured under the first timing only");
            }
            log(&format!("{timing}: {guest} took {:.0} s", started.elapsed().as_secs_f64()));
        }
    }
    comparison
}

/// Boots `guest` with `programs` (in turn under bench_init for Linux; one
/// program as init for Ringo).
fn run_in(kernels: &Kernels, guest: Guest, settings: Settings, programs: &[&Program]) -> Result<GuestRun, GuestError> {
    match (guest, programs) {
        (Guest::Linux | Guest::LinuxMitigationsOff, _) => {
            run_linux(kernels, guest == Guest::LinuxMitigationsOff, settings, programs)
        }
        (Guest::Ringo | Guest::RingoHp, [program]) => run_ringo(kernels, guest == Guest::RingoHp, settings, program),
        (Guest::Ringo | Guest::RingoHp, _) => unreachable!("Ringo boots one program as init"),
    }
}

fn smp1_workloads(c: &mut Collector, kernels: &Kernels, w: &Workloads, runs: usize, settings: Settings) {
    let guest = c.guest;
    if guest.is_linux() {
        let timing = c.timing;
        let mut mitigations = None;
        c.runs(runs, &LINUX_SMP1, || {
            let programs = [&w.syscall_cost, &w.write_read_cost, &w.file];
            let run = run_in(kernels, guest, settings, &programs).map_err(|e| e.to_string())?;
            mitigations.get_or_insert_with(|| linux_guest::mitigations(&linux_guest::vulnerabilities(&run.serial)));
            let mut figures = parsed(results::syscall_cost(&run.serial))?;
            figures.extend(parsed(results::write_read_cost(&run.serial))?);
            figures.extend(parsed(results::go_file(&run.serial))?);
            figures.push((Metric::BootToInit, ms(&run)));
            Ok(figures)
        });
        if let Some(m) = mitigations {
            c.comparison.mitigations.insert((timing, guest), m);
        }
        c.not_available(&[Metric::InKernelBoot], "-");
        return;
    }
    c.runs(runs, &[Metric::BootToInit, Metric::InKernelBoot], || {
        let run = run_in(kernels, guest, settings, &[&w.hello]).map_err(|e| e.to_string())?;
        let banner = run.serial.lines().find_map(parse_banner).ok_or("no `ringo: ready` banner")?;
        Ok(vec![(Metric::BootToInit, ms(&run)), (Metric::InKernelBoot, banner.boot_ms)])
    });
    c.runs(runs, &SYSCALLS, || {
        let run = run_in(kernels, guest, settings, &[&w.syscall_cost]).map_err(|e| e.to_string())?;
        parsed(results::syscall_cost(&run.serial))
    });
    c.runs(runs, &[Metric::WriteRead40], || {
        let run = run_in(kernels, guest, settings, &[&w.write_read_cost]).map_err(|e| e.to_string())?;
        parsed(results::write_read_cost(&run.serial))
    });
    c.runs(runs, &[Metric::GoFileWrite], || {
        let run = run_in(kernels, guest, settings, &[&w.file]).map_err(|e| e.to_string())?;
        parsed(results::go_file(&run.serial))
    });
}

/// The least memory in which hello completes (one run per size tried).
fn memory_search(c: &mut Collector, kernels: &Kernels, hello: &Program, plan: &Plan, log: &mut impl FnMut(&str)) {
    let guest = c.guest;
    if guest == Guest::LinuxMitigationsOff {
        c.not_available(&[Metric::HelloMemory], "same kernel and image as Linux");
        return;
    }
    let (low, high) = plan.memory_search;
    log(&format!("{}: {guest}, least memory for hello, bisecting {low}..={high} MiB", c.timing));
    let timing = c.timing;
    let mut tried = Vec::new();
    let found = least_passing(low, high, |mib| {
        let memory = MemSize::from_mib(mib).expect("the search starts above 0");
        let run = run_in(kernels, guest, Settings { timing, smp: 1, memory }, &[hello]);
        if let Err(e) = &run {
            log(&format!("{timing}: {guest} in {mib} MiB: {}", e.why));
        }
        tried.push(format!("{mib}{}", if run.is_ok() { "+" } else { "-" }));
        Ok::<_, ()>(run.is_ok())
    });
    let tried = tried.join(" ");
    log(&format!("{timing}: {guest}: tried {tried}"));
    c.comparison.memory_probes.push((guest, tried));
    let cell = match found {
        Ok(Some(mib)) => Cell::Figure(Summary::of(&[mib as f64]).expect("one value")),
        _ => Cell::NotAvailable(format!("{FAILED}: hello did not complete in {high} MiB")),
    };
    c.comparison.cells.insert((timing, Metric::HelloMemory, guest), cell);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collector(comparison: &mut Comparison) -> Collector<'_> {
        Collector { comparison, timing: Timing::Tcg, guest: Guest::Ringo }
    }

    #[test]
    fn runs_become_summaries() {
        let mut comparison = Comparison::default();
        let mut n = 0.0;
        collector(&mut comparison).runs(3, &[Metric::Getpid, Metric::Write40], || {
            n += 1.0;
            Ok(vec![(Metric::Getpid, 100.0 * n), (Metric::Write40, 10.0 * n)])
        });
        let getpid = comparison.cell(Timing::Tcg, Metric::Getpid, Guest::Ringo);
        assert_eq!(getpid, Some(&Cell::Figure(Summary::of(&[100.0, 200.0, 300.0]).unwrap())));
        let write = comparison.cell(Timing::Tcg, Metric::Write40, Guest::Ringo);
        assert_eq!(write, Some(&Cell::Figure(Summary::of(&[10.0, 20.0, 30.0]).unwrap())));
        assert!(comparison.failures.is_empty() && !comparison.failed_outside_hp());
    }

    #[test]
    fn the_first_failure_stops_the_runs_and_marks_every_metric() {
        let mut comparison = Comparison::default();
        let mut calls = 0;
        collector(&mut comparison).runs(5, &[Metric::Getpid, Metric::Write40], || {
            calls += 1;
            if calls == 2 { Err("boot 2 hung\nlast lines".to_string()) } else { Ok(vec![(Metric::Getpid, 1.0)]) }
        });
        assert_eq!(calls, 2);
        for metric in [Metric::Getpid, Metric::Write40] {
            let cell = comparison.cell(Timing::Tcg, metric, Guest::Ringo);
            assert_eq!(cell, Some(&Cell::NotAvailable("failed: boot 2 hung".to_string())));
        }
        assert_eq!(comparison.failures, ["boot 2 hung\nlast lines"]);
        assert!(comparison.failed_outside_hp());
    }

    #[test]
    fn a_metric_no_run_gave_is_a_failure_and_hp_failures_are_tolerated() {
        let mut comparison = Comparison::default();
        Collector { comparison: &mut comparison, timing: Timing::Tcg, guest: Guest::RingoHp }.runs(
            2,
            &[Metric::Getpid, Metric::Write40],
            || Ok(vec![(Metric::Getpid, 1.0)]),
        );
        let write = comparison.cell(Timing::Tcg, Metric::Write40, Guest::RingoHp);
        assert_eq!(write, Some(&Cell::NotAvailable("failed: no figure".to_string())));
        assert!(!comparison.failed_outside_hp(), "HP may be missing");
    }
}
