//! Clocks and sleeping.

use ringo_uapi::time::Timespec;
use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::process::TimerClock;
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

/// Sleeps; on a signal, EINTR with the time left in `rem`.
fn sleep_for(ns: u64, rem: UserAddr) -> SysResult {
    let deadline = time::deadline_after(ns);
    if crate::sched::sleep_until(deadline).is_err() {
        if !rem.is_null() {
            rem.write(&timespec(deadline.saturating_sub(time::monotonic_ns()) as i64))?;
        }
        return Err(Errno::EINTR);
    }
    Ok(0)
}

pub fn nanosleep(req: UserAddr, rem: UserAddr) -> SysResult {
    sleep_for(req.read_timespec_ns()?, rem)
}

pub fn clock_nanosleep(clock: i32, flags: i32, req: UserAddr, rem: UserAddr) -> SysResult {
    let now = now_ns(clock)?;
    let t = req.read_timespec_ns()?;
    let wait = if flags & TIMER_ABSTIME != 0 {
        i64::try_from(t).unwrap_or(i64::MAX).saturating_sub(now).max(0) as u64
    } else {
        t
    };
    sleep_for(wait, if flags & TIMER_ABSTIME == 0 { rem } else { UserAddr(0) })
}

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;

/// timer_create: timers on the monotonic or wall clock (CPU-time clocks
/// run as monotonic time: close for a busy process, which is what
/// profilers time).
pub fn timer_create(clock: i32, sevp: UserAddr, timerid: UserAddr) -> SysResult {
    now_ns(clock)?;
    let me = crate::process::current();
    let (signo, value, notify, tid) = if sevp.is_null() {
        (14u8, None, SIGEV_SIGNAL, None)
    } else {
        // struct sigevent: sigev_value, sigev_signo, sigev_notify, _tid...
        let raw: [u64; 8] = sevp.read()?;
        let signo = raw[1] as u32 as i32;
        let notify = (raw[1] >> 32) as i32;
        let tid = raw[2] as u32;
        if notify != SIGEV_NONE && !(1..=64).contains(&signo) {
            return Err(Errno::EINVAL);
        }
        match notify {
            SIGEV_SIGNAL | SIGEV_NONE => (signo as u8, Some(raw[0]), notify, None),
            SIGEV_THREAD_ID => {
                let t = crate::process::lookup(tid).ok_or(Errno::EINVAL)?;
                if t.tgid != me.tgid {
                    return Err(Errno::EINVAL);
                }
                (signo as u8, Some(raw[0]), notify, Some(tid))
            }
            _ => return Err(Errno::EINVAL),
        }
    };
    let mut timers = me.group.timers.lock();
    let id = (0..).find(|i| !timers.contains_key(i)).ok_or(Errno::EAGAIN)?;
    if id >= 4096 {
        return Err(Errno::EAGAIN);
    }
    timerid.write(&id)?;
    timers.insert(
        id,
        crate::process::PosixTimer {
            signo: if notify == SIGEV_NONE { 0 } else { signo },
            tid,
            value: value.unwrap_or(id as u64),
            next: 0,
            interval: 0,
            overrun: 0,
            realtime: clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE,
            clock: timer_clock(clock),
        },
    );
    Ok(0)
}

fn timer_clock(clock: i32) -> TimerClock {
    match clock {
        CLOCK_THREAD_CPUTIME_ID => TimerClock::Thread(crate::process::current().pid),
        CLOCK_PROCESS_CPUTIME_ID => TimerClock::Process,
        _ => TimerClock::Wall,
    }
}

/// The current time of the clock a timer counts in.
fn clock_now(clock: TimerClock) -> u64 {
    match clock {
        TimerClock::Wall => time::monotonic_ns(),
        TimerClock::Thread(tid) => crate::process::lookup(tid).map_or(0, |t| t.thread_cpu_ns()),
        TimerClock::Process => crate::process::current().process_cpu_ns(),
    }
}

fn itimerspec_now(t: &crate::process::PosixTimer) -> [i64; 4] {
    let left = if t.next == 0 { 0 } else { t.next.saturating_sub(clock_now(t.clock)).max(1) };
    // From u64: a clamped value stays huge rather than turning negative.
    let (i, v) = (Timespec::from_nanos(t.interval), Timespec::from_nanos(left));
    [i.tv_sec, i.tv_nsec, v.tv_sec, v.tv_nsec]
}

pub fn timer_settime(id: i32, flags: i32, new: UserAddr, old: UserAddr) -> SysResult {
    // struct itimerspec: it_interval, then it_value.
    let (interval, value) = (new.read_timespec_ns()?, new.offset(16).read_timespec_ns()?);
    let me = crate::process::current();
    let clock = me.group.timers.lock().get(&id).ok_or(Errno::EINVAL)?.clock;
    // Read before the timer lock: a CPU clock may look at other threads.
    let now = clock_now(clock);
    let mut timers = me.group.timers.lock();
    let t = timers.get_mut(&id).ok_or(Errno::EINVAL)?;
    if !old.is_null() {
        old.write(&itimerspec_now(t))?;
    }
    t.interval = interval;
    t.next = if value == 0 {
        0
    } else if flags & TIMER_ABSTIME != 0 {
        let base = if t.realtime { time::realtime_ns() } else { now as i64 };
        // (CPU clocks: `now` is already that clock's.)
        now.saturating_add(i64::try_from(value).unwrap_or(i64::MAX).saturating_sub(base).max(1) as u64)
    } else {
        now.saturating_add(value)
    };
    t.overrun = 0;
    Ok(0)
}

pub fn timer_gettime(id: i32, cur: UserAddr) -> SysResult {
    let me = crate::process::current();
    let t = *me.group.timers.lock().get(&id).ok_or(Errno::EINVAL)?;
    cur.write(&itimerspec_now(&t))?;
    Ok(0)
}

pub fn timer_getoverrun(id: i32) -> SysResult {
    let me = crate::process::current();
    let t = *me.group.timers.lock().get(&id).ok_or(Errno::EINVAL)?;
    Ok(t.overrun as usize)
}

pub fn timer_delete(id: i32) -> SysResult {
    let me = crate::process::current();
    me.group.timers.lock().remove(&id).ok_or(Errno::EINVAL)?;
    Ok(0)
}
