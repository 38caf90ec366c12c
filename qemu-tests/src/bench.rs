//! Measurements for `make bench`, so far the boot figures: the kernel's own
//! boot time (TSC from the PVH entry to `ringo: ready`, from the banner) and
//! the wall time from starting QEMU to its exit, as medians of several runs.

use std::fmt;
use std::time::Duration;

use crate::run_config::{Machine, RunConfig};
use crate::serial_lines::parse_banner;
use crate::{Error, GuestStatus, run};

/// Median, minimum and maximum of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

impl Summary {
    /// `None` for an empty sample. The median of an even count is the mean
    /// of the middle two.
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
        Some(Summary { median, min: v[0], max: v[n - 1], runs: n })
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} ({:.1}-{:.1})", self.median, self.min, self.max)
    }
}

/// One boot configuration's figures, in milliseconds.
#[derive(Debug, Clone)]
pub struct BootFigures {
    pub machine: Machine,
    pub smp: u32,
    pub in_kernel_ms: Summary,
    pub wall_ms: Summary,
}

#[derive(Debug)]
pub enum BenchError {
    Launcher(Error),
    BadRun { status: GuestStatus, serial: String },
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Launcher(e) => write!(f, "{e}"),
            BenchError::BadRun { status, serial } => {
                write!(f, "a boot did not power off cleanly ({status}):\n{serial}")
            }
        }
    }
}

/// Boots `base` (no init: banner, then power off) `runs` times.
pub fn boot_figures(base: &RunConfig, runs: usize) -> Result<BootFigures, BenchError> {
    let (mut kernel, mut wall) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let out = run(base).map_err(BenchError::Launcher)?;
        let banner = out.serial.lines().find_map(parse_banner);
        match (&out.status, banner) {
            (GuestStatus::Exited(0), Some(b)) => {
                kernel.push(b.boot_ms);
                wall.push(out.wall.as_secs_f64() * 1000.0);
            }
            _ => return Err(BenchError::BadRun { status: out.status, serial: out.serial }),
        }
    }
    Ok(BootFigures {
        machine: base.machine,
        smp: base.smp,
        in_kernel_ms: Summary::of(&kernel).expect("runs > 0"),
        wall_ms: Summary::of(&wall).expect("runs > 0"),
    })
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_odd_and_even_samples() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.runs), (3.0, 1.0, 5.0, 3));
        let s = Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert_eq!(Summary::of(&[2.0, 1.0, 30.0]).unwrap().to_string(), "2.0 (1.0-30.0)");
    }
}
