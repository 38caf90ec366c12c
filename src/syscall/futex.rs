//! futex: the wait/wake primitive under every pthread and Go lock. Waiters
//! queue per (address space, user address); a waker takes them off the
//! queue, marks them and wakes each on its own key, so exactly the number
//! asked for wake. A waiter checks the futex word while it holds the
//! queue lock, and a waker (which changed the word before its call) takes
//! that lock to wake: so either the waiter sees the new value or the waker
//! sees the waiter, on any number of CPUs.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::sync::Mutex;
use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::process::{Process, current};
use crate::sched;

const FUTEX_WAIT: i32 = 0;
const FUTEX_WAKE: i32 = 1;
const FUTEX_REQUEUE: i32 = 3;
const FUTEX_CMP_REQUEUE: i32 = 4;
const FUTEX_WAKE_OP: i32 = 5;
const FUTEX_WAIT_BITSET: i32 = 9;
const FUTEX_WAKE_BITSET: i32 = 10;
const FUTEX_PRIVATE_FLAG: i32 = 128;
const FUTEX_CLOCK_REALTIME: i32 = 256;
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

struct Waiter {
    bitset: u32,
    woken: Arc<AtomicBool>,
    key: u64,
}

/// (address space identity, user address) -> waiters in arrival order.
static QUEUES: Mutex<BTreeMap<(usize, u64), VecDeque<Waiter>>> = Mutex::new(BTreeMap::new());
static NEXT_KEY: AtomicU64 = AtomicU64::new(0x4_0000_0000);

fn space_of(p: &Process) -> usize {
    Arc::as_ptr(&p.aspace) as usize
}

/// Where a futex lives, as Linux's get_futex_key decides: in a private
/// mapping (or with FUTEX_PRIVATE_FLAG) by (address space, address); in a
/// MAP_SHARED mapping by physical address, so every process mapping the
/// page meets at the same queue. (A private page's frame may be shared
/// copy-on-write after fork and change on the next write: never a key.)
fn futex_key(p: &Process, uaddr: u64, private: bool) -> Result<(usize, u64), Errno> {
    if private {
        return Ok((space_of(p), uaddr));
    }
    let mut aspace = p.aspace.lock();
    if !aspace.vmas.find(uaddr).ok_or(Errno::EFAULT)?.shared {
        return Ok((space_of(p), uaddr));
    }
    let phys = aspace.physical(uaddr).ok_or(Errno::EFAULT)?;
    Ok((0, phys))
}

fn read_word(addr: UserAddr) -> Result<u32, Errno> {
    if !addr.0.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    addr.read::<u32>()
}

/// Wakes up to `n` waiters on `uaddr` in `p`'s address space whose bitset
/// meets `bitset`; returns how many.
fn wake_bitset(k: (usize, u64), n: usize, bitset: u32) -> usize {
    let woken: alloc::vec::Vec<Waiter> = {
        let mut q = QUEUES.lock();
        let Some(list) = q.get_mut(&k) else { return 0 };
        let mut taken = alloc::vec::Vec::new();
        let mut i = 0;
        while i < list.len() && taken.len() < n {
            if list[i].bitset & bitset != 0 {
                if let Some(w) = list.remove(i) {
                    taken.push(w);
                }
            } else {
                i += 1;
            }
        }
        if list.is_empty() {
            q.remove(&k);
        }
        taken
    };
    for w in &woken {
        w.woken.store(true, Ordering::Release);
        sched::wake(w.key);
    }
    woken.len()
}

/// For CLONE_CHILD_CLEARTID and the robust list at thread exit: a wake
/// on the thread's own futex words, private or shared.
pub fn futex_wake(p: &Process, uaddr: u64, n: usize) -> usize {
    // glibc and musl make the thread-id futex private; a shared waiter on
    // it would be keyed by the physical page.
    let mut woken = wake_bitset((space_of(p), uaddr), n, FUTEX_BITSET_MATCH_ANY);
    if woken < n
        && let Ok(k) = futex_key(p, uaddr, false)
    {
        woken += wake_bitset(k, n - woken, FUTEX_BITSET_MATCH_ANY);
    }
    woken
}

/// `struct robust_list_head { next, futex_offset, list_op_pending }`.
pub const ROBUST_LIST_HEAD_LEN: usize = 24;
/// Linux's ROBUST_LIST_LIMIT: a list that does not come back to its head
/// within this many entries is cut there (a loop in user memory).
const ROBUST_LIST_LIMIT: usize = 2048;
const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Bit 0 of a list pointer marks a PI futex, which the owner's death
/// marks but whose waiters a PI unlock (not this walk) would hand over.
const ROBUST_ENTRY_PI: u64 = 1;

/// Linux's exit_robust_list, run as `p` ends or execs while its memory is
/// still the current address space: every futex on the thread's robust
/// list (and the one it was in the middle of adding or removing) that `p`
/// still owns gets FUTEX_OWNER_DIED and one waiter woken, so the next
/// locker sees EOWNERDEAD instead of waiting for ever. The list is user
/// memory: a fault ends the walk, as on Linux.
pub fn exit_robust_list(p: &Process) {
    let head = p.robust_list.swap(0, Ordering::AcqRel);
    if head == 0 {
        return;
    }
    let read = |addr: u64| UserAddr(addr).read::<u64>().ok();
    let (Some(mut entry), Some(offset), Some(pending)) = (read(head), read(head + 8), read(head + 16)) else {
        return;
    };
    let pending_addr = pending & !ROBUST_ENTRY_PI;
    for _ in 0..ROBUST_LIST_LIMIT {
        let at = entry & !ROBUST_ENTRY_PI;
        if at == head {
            break;
        }
        // The next link is read before the futex word changes: once
        // marked, another thread may take the mutex and relink the entry.
        let next = read(at);
        // The pending entry is handled last, with its own rules.
        if at != pending_addr && !owner_died(p, at.wrapping_add(offset), entry & ROBUST_ENTRY_PI != 0, false) {
            return;
        }
        let Some(next) = next else { return };
        entry = next;
    }
    if pending_addr != 0 {
        owner_died(p, pending_addr.wrapping_add(offset), pending & ROBUST_ENTRY_PI != 0, true);
    }
}

/// Linux's handle_futex_death for the futex word at `uaddr`; false when
/// the word cannot be read or written (the walk stops).
fn owner_died(p: &Process, uaddr: u64, pi: bool, pending: bool) -> bool {
    if !uaddr.is_multiple_of(4) {
        return false;
    }
    loop {
        let Ok(word) = UserAddr(uaddr).read::<u32>() else { return false };
        let owner = word & FUTEX_TID_MASK;
        if pending && !pi && owner == 0 {
            // The thread died between unlocking and taking the entry off
            // its list: the unlock's own wake may never have been made.
            futex_wake(p, uaddr, 1);
            return true;
        }
        if owner != p.pid {
            return true;
        }
        let marked = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        match crate::arch::uaccess::cmpxchg_user_u32(uaddr, word, marked) {
            None => return false,
            // A waiter set FUTEX_WAITERS meanwhile: mark what is there now.
            Some(found) if found != word => continue,
            Some(_) => {}
        }
        if !pi && word & FUTEX_WAITERS != 0 {
            futex_wake(p, uaddr, 1);
        }
        return true;
    }
}

fn wait(uaddr: UserAddr, val: u32, deadline: Option<u64>, bitset: u32, private: bool) -> SysResult {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let woken = Arc::new(AtomicBool::new(false));
    let key = NEXT_KEY.fetch_add(1, Ordering::Relaxed);
    let k = futex_key(&me, uaddr.0, private)?;
    {
        // The value check and the queueing under one lock (see the module
        // comment); a page fault in the read only takes the address-space
        // lock, which nobody holds while taking this one.
        let mut q = QUEUES.lock();
        if read_word(uaddr)? != val {
            return Err(Errno::EAGAIN);
        }
        q.entry(k).or_default().push_back(Waiter { bitset, woken: woken.clone(), key });
    }
    let r = sched::wait_until(&[key], deadline, || woken.load(Ordering::Acquire));
    if woken.load(Ordering::Acquire) {
        return Ok(0);
    }
    // Timed out or interrupted: leave the queue (unless a waker just took us).
    {
        let mut q = QUEUES.lock();
        for list in q.values_mut() {
            list.retain(|w| !Arc::ptr_eq(&w.woken, &woken));
        }
        q.retain(|_, l| !l.is_empty());
    }
    if woken.load(Ordering::Acquire) {
        return Ok(0);
    }
    match r {
        Err(sched::Interrupted::Timeout) => Err(Errno::ETIMEDOUT),
        _ => Err(sched::restartable_eintr()),
    }
}

/// FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wakes up to `wake` waiters of
/// `from` and moves up to `n` more to `to`. With `expected`, the word at
/// `uaddr` is checked under the queue lock first (EAGAIN if it changed),
/// so that no waiter can queue in between.
fn requeue(
    uaddr: UserAddr,
    expected: Option<u32>,
    from: (usize, u64),
    to: (usize, u64),
    wake: usize,
    n: usize,
) -> SysResult {
    let (woken, moved) = {
        let mut q = QUEUES.lock();
        if let Some(v) = expected
            && read_word(uaddr)? != v
        {
            return Err(Errno::EAGAIN);
        }
        let Some(mut list) = q.remove(&from) else { return Ok(0) };
        let woken: alloc::vec::Vec<Waiter> = list.drain(..wake.min(list.len())).collect();
        let moved: alloc::vec::Vec<Waiter> = list.drain(..n.min(list.len())).collect();
        if !list.is_empty() {
            q.insert(from, list);
        }
        let count = moved.len();
        q.entry(to).or_default().extend(moved);
        (woken, count)
    };
    for w in &woken {
        w.woken.store(true, Ordering::Release);
        sched::wake(w.key);
    }
    Ok(woken.len() + moved)
}

fn deadline_of(timeout: UserAddr, absolute: bool, realtime: bool) -> Result<Option<u64>, Errno> {
    if timeout.is_null() {
        return Ok(None);
    }
    let t = timeout.read_timespec_ns()?;
    Ok(Some(if !absolute {
        crate::time::deadline_after(t)
    } else if realtime {
        // An absolute CLOCK_REALTIME deadline, as monotonic time.
        crate::time::deadline_from_realtime(t)
    } else {
        t
    }))
}

/// The operation of FUTEX_WAKE_OP on the old value; returns the new value
/// and whether the comparison holds.
fn wake_op(encoded: u32, old: u32) -> Result<(u32, bool), Errno> {
    let op = (encoded >> 28) & 0x7;
    let shift_arg = (encoded >> 31) & 1 != 0;
    let cmp = (encoded >> 24) & 0xf;
    let mut oparg = (encoded >> 12) & 0xfff;
    let cmparg = encoded & 0xfff;
    if shift_arg {
        oparg = 1u32.checked_shl(oparg).unwrap_or(0);
    }
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    let (o, c) = (old as i32, cmparg as i32);
    let holds = match cmp {
        0 => o == c,
        1 => o != c,
        2 => o < c,
        3 => o <= c,
        4 => o > c,
        5 => o >= c,
        _ => return Err(Errno::ENOSYS),
    };
    Ok((new, holds))
}

pub fn futex(uaddr: UserAddr, op: i32, val: u32, timeout: UserAddr, uaddr2: UserAddr, val3: u32) -> SysResult {
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let me = current();
    let key = |addr: UserAddr| -> Result<(usize, u64), Errno> {
        read_word(addr)?;
        futex_key(&me, addr.0, private)
    };
    match cmd {
        FUTEX_WAIT => wait(uaddr, val, deadline_of(timeout, false, false)?, FUTEX_BITSET_MATCH_ANY, private),
        FUTEX_WAIT_BITSET => wait(uaddr, val, deadline_of(timeout, true, realtime)?, val3, private),
        FUTEX_WAKE => Ok(wake_bitset(key(uaddr)?, val as usize, FUTEX_BITSET_MATCH_ANY)),
        FUTEX_WAKE_BITSET => {
            if val3 == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(wake_bitset(key(uaddr)?, val as usize, val3))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            // The fourth argument is the requeue count, passed as a value.
            let max_requeue = timeout.0 as usize;
            let (from, to) = (key(uaddr)?, key(uaddr2)?);
            let expected = (cmd == FUTEX_CMP_REQUEUE).then_some(val3);
            requeue(uaddr, expected, from, to, val as usize, max_requeue)
        }
        FUTEX_WAKE_OP => {
            let (k1, k2) = (key(uaddr)?, key(uaddr2)?);
            // Read, compute and store as one atomic step: other CPUs' user
            // code may change the word at any time.
            let mut old = read_word(uaddr2)?;
            let holds = loop {
                let (new, holds) = wake_op(val3, old)?;
                match crate::arch::uaccess::cmpxchg_user_u32(uaddr2.0, old, new) {
                    Some(found) if found == old => break holds,
                    Some(found) => old = found,
                    None => return Err(Errno::EFAULT),
                }
            };
            let mut n = wake_bitset(k1, val as usize, FUTEX_BITSET_MATCH_ANY);
            if holds {
                n += wake_bitset(k2, timeout.0 as usize, FUTEX_BITSET_MATCH_ANY);
            }
            Ok(n)
        }
        _ => Err(Errno::ENOSYS),
    }
}
