//! Timestamps and the clock file systems stamp them with. The kernel passes
//! its wall clock when it creates a file system; tests pass a fake, so no
//! global state is shared between them.

/// Seconds and nanoseconds since the epoch (a `struct timespec`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

impl Timespec {
    pub const ZERO: Timespec = Timespec { sec: 0, nsec: 0 };

    pub const fn new(sec: i64, nsec: u32) -> Self {
        Timespec { sec, nsec }
    }
}

/// Reads the current wall-clock time.
pub type Clock = fn() -> Timespec;

/// A clock stuck at the epoch, for file systems whose times do not matter.
pub fn epoch_clock() -> Timespec {
    Timespec::ZERO
}

/// How a `set_attr` changes a timestamp (utimensat's UTIME_NOW or a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeChange {
    Now,
    At(Timespec),
}
