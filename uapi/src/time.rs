//! Clocks and time structures as x86-64 Linux lays them out (linux/time.h,
//! linux/time_types.h, linux/times.h). Every field is 64 bits wide: x86-64
//! has no 32-bit time_t.

/// `clockid_t` is an `int` in Linux.
pub type ClockId = i32;

pub const CLOCK_REALTIME: ClockId = 0;
pub const CLOCK_MONOTONIC: ClockId = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: ClockId = 2;
pub const CLOCK_THREAD_CPUTIME_ID: ClockId = 3;
pub const CLOCK_MONOTONIC_RAW: ClockId = 4;
pub const CLOCK_REALTIME_COARSE: ClockId = 5;
pub const CLOCK_MONOTONIC_COARSE: ClockId = 6;
pub const CLOCK_BOOTTIME: ClockId = 7;
pub const CLOCK_REALTIME_ALARM: ClockId = 8;
pub const CLOCK_BOOTTIME_ALARM: ClockId = 9;
pub const CLOCK_TAI: ClockId = 11;

/// clock_nanosleep/timer_settime flag: the time is absolute, not relative.
pub const TIMER_ABSTIME: i32 = 0x01;

pub const ITIMER_REAL: i32 = 0;
pub const ITIMER_VIRTUAL: i32 = 1;
pub const ITIMER_PROF: i32 = 2;

pub const NSEC_PER_SEC: i64 = 1_000_000_000;
pub const USEC_PER_SEC: i64 = 1_000_000;

/// `struct timespec` (`__kernel_timespec` on x86-64).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    pub const fn from_nanos(ns: u64) -> Timespec {
        Timespec { tv_sec: (ns / NSEC_PER_SEC as u64) as i64, tv_nsec: (ns % NSEC_PER_SEC as u64) as i64 }
    }

    /// Linux rejects a timespec from user space with EINVAL unless this holds.
    pub const fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && self.tv_nsec >= 0 && self.tv_nsec < NSEC_PER_SEC
    }

    /// None when invalid or beyond u64 nanoseconds (about 584 years), which
    /// callers treat as "forever".
    pub const fn to_nanos(&self) -> Option<u64> {
        if !self.is_valid() {
            return None;
        }
        match (self.tv_sec as u64).checked_mul(NSEC_PER_SEC as u64) {
            Some(ns) => ns.checked_add(self.tv_nsec as u64),
            None => None,
        }
    }
}

impl Timespec {
    /// A timeout or deadline from user space as Linux takes it: None
    /// (EINVAL) unless valid; a valid time beyond u64 nanoseconds saturates
    /// to `u64::MAX`, "never", as Linux clamps to KTIME_MAX.
    pub const fn to_nanos_saturating(&self) -> Option<u64> {
        if !self.is_valid() {
            return None;
        }
        Some((self.tv_sec as u64).saturating_mul(NSEC_PER_SEC as u64).saturating_add(self.tv_nsec as u64))
    }
}

/// `struct timeval` (`__kernel_old_timeval` on x86-64): gettimeofday, rusage.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

impl Timeval {
    pub const fn from_nanos(ns: u64) -> Timeval {
        Timeval { tv_sec: (ns / NSEC_PER_SEC as u64) as i64, tv_usec: ((ns % NSEC_PER_SEC as u64) / 1000) as i64 }
    }

    pub const fn is_valid(&self) -> bool {
        self.tv_sec >= 0 && self.tv_usec >= 0 && self.tv_usec < USEC_PER_SEC
    }

    /// select(2)'s reading: Linux folds whole seconds of `tv_usec` into
    /// `tv_sec` first (so only a negative result is invalid), then takes
    /// the timespec.
    pub const fn select_timespec(&self) -> Timespec {
        Timespec {
            tv_sec: self.tv_sec.saturating_add(self.tv_usec / USEC_PER_SEC),
            tv_nsec: (self.tv_usec % USEC_PER_SEC) * 1000,
        }
    }

    /// As [`Timespec::to_nanos_saturating`].
    pub const fn to_nanos_saturating(&self) -> Option<u64> {
        if !self.is_valid() {
            return None;
        }
        Some((self.tv_sec as u64).saturating_mul(NSEC_PER_SEC as u64).saturating_add(self.tv_usec as u64 * 1000))
    }
}

/// `struct timezone`, the obsolete second argument of gettimeofday.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Timezone {
    pub tz_minuteswest: i32,
    pub tz_dsttime: i32,
}

/// `struct itimerspec`: timer_settime, timerfd_settime.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Itimerspec {
    pub it_interval: Timespec,
    pub it_value: Timespec,
}

/// `struct itimerval`: setitimer, getitimer.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Itimerval {
    pub it_interval: Timeval,
    pub it_value: Timeval,
}

/// `struct tms` of times(2), in clock ticks (USER_HZ = 100).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Tms {
    pub tms_utime: i64,
    pub tms_stime: i64,
    pub tms_cutime: i64,
    pub tms_cstime: i64,
}

/// The tick rate user space sees in times(2) and /proc (Linux's USER_HZ).
pub const USER_HZ: u64 = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use core::mem::size_of;

    #[test]
    fn numbers_match_the_linux_headers() {
        let defs = defines(&["/usr/include/linux/time.h"]);
        for (name, value) in [
            ("CLOCK_REALTIME", CLOCK_REALTIME),
            ("CLOCK_MONOTONIC", CLOCK_MONOTONIC),
            ("CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID),
            ("CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID),
            ("CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW),
            ("CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE),
            ("CLOCK_MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE),
            ("CLOCK_BOOTTIME", CLOCK_BOOTTIME),
            ("CLOCK_REALTIME_ALARM", CLOCK_REALTIME_ALARM),
            ("CLOCK_BOOTTIME_ALARM", CLOCK_BOOTTIME_ALARM),
            ("CLOCK_TAI", CLOCK_TAI),
            ("TIMER_ABSTIME", TIMER_ABSTIME),
            ("ITIMER_REAL", ITIMER_REAL),
            ("ITIMER_VIRTUAL", ITIMER_VIRTUAL),
            ("ITIMER_PROF", ITIMER_PROF),
        ] {
            assert_same(&defs, name, value as i128);
        }
    }

    #[test]
    fn user_timeouts_are_checked_and_clamped_not_wrapped() {
        let ts = |tv_sec, tv_nsec| Timespec { tv_sec, tv_nsec };
        assert_eq!(ts(1, 5).to_nanos_saturating(), Some(1_000_000_005));
        assert_eq!(ts(0, 0).to_nanos_saturating(), Some(0));
        // 18446744074 s times 1e9 wraps u64 to about 0.3 s.
        assert_eq!(ts(18_446_744_074, 0).to_nanos_saturating(), Some(u64::MAX));
        assert_eq!(ts(i64::MAX, 999_999_999).to_nanos_saturating(), Some(u64::MAX));
        assert_eq!(ts(-1, 0).to_nanos_saturating(), None);
        assert_eq!(ts(0, -1).to_nanos_saturating(), None);
        assert_eq!(ts(0, 1_000_000_000).to_nanos_saturating(), None);
        let tv = |tv_sec, tv_usec| Timeval { tv_sec, tv_usec };
        assert_eq!(tv(2, 3).to_nanos_saturating(), Some(2_000_003_000));
        assert_eq!(tv(18_446_744_074, 0).to_nanos_saturating(), Some(u64::MAX));
        assert_eq!(tv(0, 1_000_000).to_nanos_saturating(), None);
        assert_eq!(tv(-5, 0).to_nanos_saturating(), None);
        // select takes 1.5 s spelt in microseconds; a negative total is invalid.
        assert_eq!(tv(0, 1_500_000).select_timespec().to_nanos_saturating(), Some(1_500_000_000));
        assert_eq!(tv(0, -1).select_timespec().to_nanos_saturating(), None);
        assert_eq!(tv(i64::MAX, 2_000_000).select_timespec().to_nanos_saturating(), Some(u64::MAX));
    }

    #[test]
    fn layouts_match_x86_64_linux() {
        assert_eq!(size_of::<Timespec>(), 16);
        assert_eq!(size_of::<Timeval>(), 16);
        assert_eq!(size_of::<Timezone>(), 8);
        assert_eq!(size_of::<Itimerspec>(), 32);
        assert_eq!(size_of::<Itimerval>(), 32);
        assert_eq!(size_of::<Tms>(), 32);
        assert_eq!(core::mem::offset_of!(Timespec, tv_nsec), 8);
    }

    #[test]
    fn timespec_conversions() {
        let t = Timespec::from_nanos(3_000_000_007);
        assert_eq!(t, Timespec { tv_sec: 3, tv_nsec: 7 });
        assert_eq!(t.to_nanos(), Some(3_000_000_007));
        assert_eq!(Timespec { tv_sec: 1, tv_nsec: NSEC_PER_SEC }.to_nanos(), None);
        assert_eq!(Timespec { tv_sec: -1, tv_nsec: 0 }.to_nanos(), None);
        assert_eq!(Timespec { tv_sec: i64::MAX, tv_nsec: 0 }.to_nanos(), None);
        assert_eq!(Timeval::from_nanos(1_500_000_999), Timeval { tv_sec: 1, tv_usec: 500_000 });
        assert!(!Timeval { tv_sec: 0, tv_usec: USEC_PER_SEC }.is_valid());
    }
}
