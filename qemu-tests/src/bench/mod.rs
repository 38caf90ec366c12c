//! Measurements for `make bench` (qemu-tests/src/bin/ringo-bench.rs):
//! - [`comparison`]: the same programs in a Linux guest as Debian ships
//!   it, the same Linux with `mitigations=off`, and Ringo normal and HP,
//!   on the same QEMU settings, for each [`guests::Timing`];
//! - [`guests`]: those guests, and booting one with programs;
//! - [`results`]: the figures the programs print, read back;
//! - [`stats`], [`bisect`]: medians and ratios; the least memory;
//! - [`ringo_boot`]: Ringo booted without init, on each machine;
//! - [`targets`]: issue 7's goals, met or not;
//! - [`report`]: the markdown report (docs/benchmarks.md).

pub mod bisect;
pub mod comparison;
pub mod guests;
pub mod report;
pub mod results;
pub mod ringo_boot;
pub mod stats;
pub mod targets;

pub use ringo_boot::{BenchError, BootFigures, DEFAULT_TIMEOUT, boot_figures};
pub use stats::Summary;
