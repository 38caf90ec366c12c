//! Kernel log: `log` crate records printed as `[seconds.micros] level: msg`,
//! filtered Linux style by `loglevel=N` (a record shows when its level number
//! is below N: error 3, warn 4, info 6, debug 7, trace 8).

use core::sync::atomic::{AtomicU8, Ordering};
use log::{Level, LevelFilter, Log, Metadata, Record};

static LOGLEVEL: AtomicU8 = AtomicU8::new(ringo_boot::cmdline::DEFAULT_LOGLEVEL);

fn linux_level(l: Level) -> u8 {
    match l {
        Level::Error => 3,
        Level::Warn => 4,
        Level::Info => 6,
        Level::Debug => 7,
        Level::Trace => 8,
    }
}

struct KernelLog;

impl Log for KernelLog {
    fn enabled(&self, m: &Metadata) -> bool {
        linux_level(m.level()) < LOGLEVEL.load(Ordering::Relaxed)
    }

    fn log(&self, r: &Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let us = crate::arch::tsc::micros_since_boot();
        crate::println!("[{:5}.{:06}] {}: {}", us / 1_000_000, us % 1_000_000, level_name(r.level()), r.args());
    }

    fn flush(&self) {}
}

fn level_name(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    }
}

static LOGGER: KernelLog = KernelLog;

pub fn init() {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(LevelFilter::Trace);
}

pub fn set_loglevel(n: u8) {
    LOGLEVEL.store(n, Ordering::Relaxed);
}
