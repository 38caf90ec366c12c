//! Clocks and sleeping.

use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::time;

const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
const CLOCK_MONOTONIC_RAW: i32 = 4;
const CLOCK_REALTIME_COARSE: i32 = 5;
const CLOCK_MONOTONIC_COARSE: i32 = 6;
const CLOCK_BOOTTIME: i32 = 7;
const TIMER_ABSTIME: i32 = 1;

fn now_ns(clock: i32) -> Result<i64, Errno> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE => Ok(time::realtime_ns()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
            Ok(time::monotonic_ns() as i64)
        }
        CLOCK_PROCESS_CPUTIME_ID => Ok(crate::process::current().process_cpu_ns() as i64),
        CLOCK_THREAD_CPUTIME_ID => Ok(crate::process::current().thread_cpu_ns() as i64),
        _ => Err(Errno::EINVAL),
    }
}


fn timespec(ns: i64) -> [i64; 2] {
    [ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000)]
}

pub fn clock_gettime(clock: i32, tp: UserAddr) -> SysResult {
    tp.write(&timespec(now_ns(clock)?))?;
    Ok(0)
}

pub fn clock_getres(clock: i32, res: UserAddr) -> SysResult {
    now_ns(clock)?;
    if !res.is_null() {
        res.write(&[0i64, 1])?;
    }
    Ok(0)
}

pub fn gettimeofday(tv: UserAddr, _tz: UserAddr) -> SysResult {
    if !tv.is_null() {
        let [s, ns] = timespec(time::realtime_ns());
        tv.write(&[s, ns / 1000])?;
    }
    Ok(0)
}

pub fn time(tloc: UserAddr) -> SysResult {
    let s = time::realtime_ns().div_euclid(1_000_000_000);
    if !tloc.is_null() {
        tloc.write(&s)?;
    }
    Ok(s as usize)
}

fn read_timespec(addr: UserAddr) -> Result<i64, Errno> {
    let [s, ns]: [i64; 2] = addr.read()?;
    if s < 0 || !(0..1_000_000_000).contains(&ns) {
        return Err(Errno::EINVAL);
    }
    Ok(s.saturating_mul(1_000_000_000).saturating_add(ns))
}

/// Sleeps; on a signal, EINTR with the time left in `rem`.
fn sleep_for(ns: u64, rem: UserAddr) -> SysResult {
    let deadline = time::monotonic_ns().saturating_add(ns);
    if crate::sched::sleep_until(deadline).is_err() {
        if !rem.is_null() {
            rem.write(&timespec(deadline.saturating_sub(time::monotonic_ns()) as i64))?;
        }
        return Err(Errno::EINTR);
    }
    Ok(0)
}

pub fn nanosleep(req: UserAddr, rem: UserAddr) -> SysResult {
    let d = read_timespec(req)?;
    sleep_for(d as u64, rem)
}

pub fn clock_nanosleep(clock: i32, flags: i32, req: UserAddr, rem: UserAddr) -> SysResult {
    let now = now_ns(clock)?;
    let t = read_timespec(req)?;
    let wait = if flags & TIMER_ABSTIME != 0 { t.saturating_sub(now).max(0) } else { t };
    sleep_for(wait as u64, if flags & TIMER_ABSTIME == 0 { rem } else { UserAddr(0) })
}
