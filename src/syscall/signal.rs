//! Signal state a program sets up at start (Rust's std installs a SIGSEGV
//! handler on an alternate stack and ignores SIGPIPE; libcs block signals
//! around thread creation). The state is kept exactly; delivery to
//! handlers comes with the signals work, until then faults kill the
//! process as with the default action.

use core::sync::atomic::Ordering;

use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::process::current;

const NSIG: i32 = 64;
const SIGKILL: i32 = 9;
const SIGSTOP: i32 = 19;
const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;
const SS_DISABLE: i32 = 2;

pub fn rt_sigaction(sig: i32, act: UserAddr, old: UserAddr, sigsetsize: usize) -> SysResult {
    if sigsetsize != 8 || !(1..=NSIG).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let p = current();
    let new: Option<[u64; 4]> = if act.is_null() { None } else { Some(act.read()?) };
    if new.is_some() && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let mut actions = p.sig_actions.lock();
    let slot = &mut actions[(sig - 1) as usize];
    if !old.is_null() {
        old.write(slot)?;
    }
    if let Some(a) = new {
        *slot = a;
        drop(actions);
        signals::discard_if_ignored(&p, sig as u8, a[0]);
    }
    Ok(0)
}

pub fn rt_sigprocmask(how: i32, set: UserAddr, old: UserAddr, sigsetsize: usize) -> SysResult {
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let p = current();
    let new: Option<u64> = if set.is_null() { None } else { Some(set.read()?) };
    let mut sigs = p.signals.lock();
    if !old.is_null() {
        old.write(&sigs.mask)?;
    }
    if let Some(s) = new {
        // SIGKILL and SIGSTOP cannot be blocked.
        let s = s & !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        sigs.mask = match how {
            SIG_BLOCK => sigs.mask | s,
            SIG_UNBLOCK => sigs.mask & !s,
            SIG_SETMASK => s,
            _ => return Err(Errno::EINVAL),
        };
    }
    Ok(0)
}

const SS_ONSTACK: u64 = 1;

pub fn sigaltstack(ss: UserAddr, old: UserAddr) -> SysResult {
    let p = current();
    // SAFETY: in a syscall from ring 3; only the saved rsp is read.
    let user_rsp = unsafe { (*p.user_frame()).rsp };
    let new: Option<[u64; 3]> = if ss.is_null() { None } else { Some(ss.read()?) };
    let mut sigs = p.signals.lock();
    let cur = sigs.altstack;
    let on_it = cur[2] != 0 && user_rsp > cur[0] && user_rsp <= cur[0] + cur[2];
    if !old.is_null() {
        let flags = if on_it {
            SS_ONSTACK
        } else if cur[2] == 0 {
            SS_DISABLE as u64
        } else {
            cur[1] & !(SS_DISABLE as u64)
        };
        // stack_t: ss_sp, ss_flags (int + padding), ss_size.
        old.write(&[cur[0], flags, cur[2]])?;
    }
    if new.is_some() && on_it {
        return Err(Errno::EPERM);
    }
    if let Some([sp, flags, size]) = new {
        let flags = flags as i32;
        if flags & !SS_DISABLE != 0 {
            return Err(Errno::EINVAL);
        }
        sigs.altstack = if flags & SS_DISABLE != 0 {
            [0; 3]
        } else {
            if size < 2048 {
                return Err(Errno::ENOMEM);
            }
            [sp, 0, size]
        };
    }
    Ok(0)
}

use crate::signals::{self, SI_TKILL, SI_USER, Siginfo};

fn check_sig(sig: i32) -> Result<u8, Errno> {
    if (0..=NSIG).contains(&sig) { Ok(sig as u8) } else { Err(Errno::EINVAL) }
}

fn deliver(target: &alloc::sync::Arc<crate::process::Process>, sig: u8, code: i32) -> Result<(), Errno> {
    if sig == 0 {
        return Ok(());
    }
    signals::try_send(target, sig, Siginfo::from_process(sig, code, current().pid))
}

pub fn kill(pid: i32, sig: i32) -> SysResult {
    let sig = check_sig(sig)?;
    let me = current();
    let info = Siginfo::from_process(sig, SI_USER, me.tgid);
    // Signal 0 only checks that the target exists.
    let send = |t: &alloc::sync::Arc<crate::process::Process>| {
        if sig != 0 {
            signals::send(t, sig, info);
        }
    };
    let reached = match pid {
        p if p > 0 => {
            let t = crate::process::lookup(p as u32).ok_or(Errno::ESRCH)?;
            send(&t);
            1
        }
        -1 => {
            let all: alloc::vec::Vec<_> = crate::process::all()
                .into_iter()
                .filter(|p| p.pid != 1 && p.tgid != me.tgid && p.state() != crate::process::TaskState::Zombie)
                .collect();
            all.iter().for_each(send);
            all.len()
        }
        0 => group(me.pgid.load(core::sync::atomic::Ordering::Relaxed), sig, info),
        p => group((-p) as u32, sig, info),
    };
    if reached == 0 { Err(Errno::ESRCH) } else { Ok(0) }
}

/// kill of a process group; signal 0 only counts the members.
fn group(pgid: u32, sig: u8, info: Siginfo) -> usize {
    if sig == 0 {
        return crate::process::all()
            .iter()
            .filter(|p| p.pgid.load(core::sync::atomic::Ordering::Relaxed) == pgid)
            .filter(|p| p.state() != crate::process::TaskState::Zombie)
            .count();
    }
    signals::send_to_group(pgid, sig, info)
}

pub fn tkill(tid: i32, sig: i32) -> SysResult {
    let sig = check_sig(sig)?;
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let t = crate::process::lookup(tid as u32).ok_or(Errno::ESRCH)?;
    deliver(&t, sig, SI_TKILL)?;
    Ok(0)
}

pub fn tgkill(tgid: i32, tid: i32, sig: i32) -> SysResult {
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    let t = crate::process::lookup(tid as u32).ok_or(Errno::ESRCH)?;
    if t.tgid != tgid as u32 {
        return Err(Errno::ESRCH);
    }
    tkill(tid, sig)
}

pub fn rt_sigreturn() -> SysResult {
    // The task's reference is dropped before a bad frame's exit, which
    // never returns to drop it (the task would never be freed).
    let restored = {
        let me = current();
        // SAFETY: in a syscall from ring 3; nothing else holds the frame.
        let frame = unsafe { &mut *me.user_frame() };
        // The restored rax is the "result".
        signals::sigreturn(frame).map(|()| frame.rax as usize)
    };
    match restored {
        Ok(rax) => Ok(rax),
        Err(_) => crate::process::exit_by_signal(signals::SIGSEGV),
    }
}

pub fn rt_sigpending(set: UserAddr, size: usize) -> SysResult {
    if size > 8 {
        return Err(Errno::EINVAL);
    }
    set.write(&signals::pending(&current()))?;
    Ok(0)
}

pub fn rt_sigsuspend(mask: UserAddr, size: usize) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let new: u64 = mask.read()?;
    let me = current();
    {
        let mut s = me.signals.lock();
        s.saved_mask = Some(s.mask);
        s.mask = new & !((1 << 8) | (1 << 18));
    }
    let _ = crate::sched::wait_until(&[], None, || false);
    // The handler runs with the temporary mask; sigreturn restores the old
    // one (saved_mask). Without a handler, put it back now.
    Err(Errno::EINTR)
}

pub fn pause() -> SysResult {
    let _ = crate::sched::wait_until(&[], None, || false);
    Err(Errno::EINTR)
}

pub fn rt_sigtimedwait(set: UserAddr, info: UserAddr, timeout: UserAddr, size: usize) -> SysResult {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let set = signals::waitable(set.read()?);
    let deadline =
        if timeout.is_null() { None } else { Some(crate::time::deadline_after(timeout.read_timespec_ns()?)) };
    let me = current();
    loop {
        if let Some(si) = signals::take_from_set(&me, set) {
            if !info.is_null() {
                info.write(&si)?;
            }
            return Ok(si.si_signo as usize);
        }
        let pending_in_set = || signals::pending(&me) & set != 0;
        match crate::sched::wait_until(&[], deadline, pending_in_set) {
            Ok(()) => continue,
            Err(crate::sched::Interrupted::Timeout) => return Err(Errno::EAGAIN),
            Err(crate::sched::Interrupted::Signal) => {
                if signals::pending(&me) & set != 0 {
                    continue;
                }
                return Err(Errno::EINTR);
            }
        }
    }
}

const ITIMER_REAL: i32 = 0;

fn timer_value(p: &crate::process::Process) -> [i64; 4] {
    let (next, interval) = *p.real_timer.lock();
    let left = if next == 0 { 0 } else { next.saturating_sub(crate::time::monotonic_ns()).max(1000) };
    itimerval(interval, left)
}

const ITIMER_VIRTUAL: i32 = 1;
const ITIMER_PROF: i32 = 2;

/// ITIMER_VIRTUAL and ITIMER_PROF, which count the process's CPU time.
fn cpu_itimer(me: &crate::process::Process, which: i32) -> Option<&crate::process::CpuItimer> {
    match which {
        ITIMER_VIRTUAL => Some(&me.group.itimer_virtual),
        ITIMER_PROF => Some(&me.group.itimer_prof),
        _ => None,
    }
}

fn itimerval(interval: u64, left: u64) -> [i64; 4] {
    let tv = |ns: u64| [(ns / 1_000_000_000) as i64, ((ns % 1_000_000_000) / 1000) as i64];
    let [is, iu] = tv(interval);
    let [vs, vu] = tv(left);
    [is, iu, vs, vu]
}

fn cpu_itimer_value(t: &crate::process::CpuItimer) -> [i64; 4] {
    let left = if t.armed.load(Ordering::Acquire) { t.left_ns.load(Ordering::Acquire).max(1000) as u64 } else { 0 };
    itimerval(t.interval_ns.load(Ordering::Acquire), left)
}

pub fn getitimer(which: i32, value: UserAddr) -> SysResult {
    let me = current();
    let v = match which {
        ITIMER_REAL => timer_value(&me),
        _ => cpu_itimer_value(cpu_itimer(&me, which).ok_or(Errno::EINVAL)?),
    };
    value.write(&v)?;
    Ok(0)
}

pub fn setitimer(which: i32, new: UserAddr, old: UserAddr) -> SysResult {
    if !matches!(which, ITIMER_REAL | ITIMER_VIRTUAL | ITIMER_PROF) {
        return Err(Errno::EINVAL);
    }
    let me = current();
    if !old.is_null() {
        let v = match cpu_itimer(&me, which) {
            Some(t) => cpu_itimer_value(t),
            None => timer_value(&me),
        };
        old.write(&v)?;
    }
    // struct itimerval: it_interval, then it_value.
    let (interval, value) =
        if new.is_null() { (0, 0) } else { (new.read_timeval_ns()?, new.offset(16).read_timeval_ns()?) };
    if let Some(t) = cpu_itimer(&me, which) {
        t.armed.store(false, Ordering::Release);
        // The tick adds it to a signed count: at most i64::MAX.
        t.interval_ns.store(interval.min(i64::MAX as u64), Ordering::Release);
        t.left_ns.store(i64::try_from(value).unwrap_or(i64::MAX), Ordering::Release);
        t.armed.store(value != 0, Ordering::Release);
        return Ok(0);
    }
    *me.real_timer.lock() = if value == 0 { (0, 0) } else { (crate::time::deadline_after(value), interval) };
    Ok(0)
}

pub fn alarm(seconds: u32) -> SysResult {
    let me = current();
    let left = timer_value(&me)[2] as u64 + (timer_value(&me)[3] > 0) as u64;
    *me.real_timer.lock() =
        if seconds == 0 { (0, 0) } else { (crate::time::monotonic_ns() + seconds as u64 * 1_000_000_000, 0) };
    Ok(left as usize)
}

/// sigqueue(3): a signal with the caller's siginfo (its value). User
/// space may not pretend to be the kernel: si_code must be negative.
pub fn rt_sigqueueinfo(pid: i32, sig: i32, info: UserAddr) -> SysResult {
    let sig = check_sig(sig)?;
    let si: Siginfo = info.read()?;
    let target = crate::process::lookup(pid as u32).ok_or(Errno::ESRCH)?;
    if si.si_code >= 0 && target.pid != current().pid {
        return Err(Errno::EPERM);
    }
    if sig != 0 {
        signals::queue_user_info(&target, sig, si)?;
    }
    Ok(0)
}

pub fn rt_tgsigqueueinfo(tgid: i32, tid: i32, sig: i32, info: UserAddr) -> SysResult {
    if tgid != tid {
        return Err(Errno::ESRCH);
    }
    rt_sigqueueinfo(tid, sig, info)
}
