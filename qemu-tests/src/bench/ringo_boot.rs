//! Ringo booted without init (banner, then power off): the kernel's own
//! boot time (TSC from the PVH entry to `ringo: ready`, from the banner) and
//! the wall time from starting QEMU to its exit, as medians of several runs.

use std::fmt;
use std::time::Duration;

use super::stats::Summary;
use crate::run_config::{Machine, RunConfig};
use crate::serial_lines::parse_banner;
use crate::{Error, GuestStatus, run};

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
