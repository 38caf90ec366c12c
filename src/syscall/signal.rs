//! Signal state a program sets up at start (Rust's std installs a SIGSEGV
//! handler on an alternate stack and ignores SIGPIPE; libcs block signals
//! around thread creation). The state is kept exactly; delivery to
//! handlers comes with the signals work, until then faults kill the
//! process as with the default action.

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
    let mut sigs = p.signals.lock();
    let slot = &mut sigs.actions[(sig - 1) as usize];
    if !old.is_null() {
        old.write(slot)?;
    }
    if let Some(a) = new {
        *slot = a;
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

pub fn sigaltstack(ss: UserAddr, old: UserAddr) -> SysResult {
    let p = current();
    let new: Option<[u64; 3]> = if ss.is_null() { None } else { Some(ss.read()?) };
    let mut sigs = p.signals.lock();
    if !old.is_null() {
        let cur = sigs.altstack;
        let flags = if cur[2] == 0 { SS_DISABLE as u64 } else { 0 };
        // stack_t: ss_sp, ss_flags (int + padding), ss_size.
        old.write(&[cur[0], flags, cur[2]])?;
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

const SIG_IGN: u64 = 1;

/// Signals to itself (the only process): ignored when the program said so
/// or when the default is to ignore; otherwise the default action, which
/// ends the process (handlers run once signal delivery exists).
fn raise(sig: i32) -> SysResult {
    if !(0..=NSIG).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    if sig == 0 {
        return Ok(0);
    }
    let p = current();
    let handler = p.signals.lock().actions[(sig - 1) as usize][0];
    // SIGCHLD, SIGCONT, SIGURG and SIGWINCH are ignored by default.
    if handler == SIG_IGN || matches!(sig, 17 | 18 | 23 | 28) {
        return Ok(0);
    }
    crate::process::exit_by_signal(sig as u8)
}

fn is_self(pid: i32) -> bool {
    pid == current().pid as i32 || pid == 0 || pid == -1
}

pub fn kill(pid: i32, sig: i32) -> SysResult {
    if !is_self(pid) && pid != -(current().pgid.load(core::sync::atomic::Ordering::Relaxed) as i32) {
        return Err(Errno::ESRCH);
    }
    raise(sig)
}

pub fn tkill(tid: i32, sig: i32) -> SysResult {
    if tid != current().pid as i32 {
        return Err(if tid <= 0 { Errno::EINVAL } else { Errno::ESRCH });
    }
    raise(sig)
}

pub fn tgkill(tgid: i32, tid: i32, sig: i32) -> SysResult {
    if tgid != current().pid as i32 {
        return Err(if tgid <= 0 { Errno::EINVAL } else { Errno::ESRCH });
    }
    tkill(tid, sig)
}
