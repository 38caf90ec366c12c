//! epoll instances: a set of interests (descriptor, open file, wanted
//! events, user data) that `epoll_wait` asks for readiness.
//!
//! Like everything in this crate an epoll never blocks. [`Epoll::wait`]
//! polls every interest once and returns what is ready; when nothing is,
//! the kernel sleeps on [`Epoll::wait_keys`] (the keys of every watched
//! object plus the epoll's own, which `ctl` wakes) and calls `wait` again.
//! There are no per-file callbacks as in Linux, so readiness is found by
//! polling, which costs O(interests) per wait.
//!
//! Reporting modes:
//! - level-triggered (the default): reported on every wait while ready;
//! - EPOLLET: reported when the ready bits gained a bit since the interest
//!   was last looked at, or when the object's wait key was woken since then
//!   (see [`note_wake`]). Without wake notes this is only "the mask changed":
//!   data arriving on an already-readable file is not a new edge, where
//!   Linux would report it;
//! - EPOLLONESHOT: after one report the interest stays but is disarmed
//!   until EPOLL_CTL_MOD re-arms it.
//!
//! Interests hold their open file weakly, so one disappears when its file's
//! last reference goes, which is Linux's "removed on the last close of the
//! file" (a dup'd descriptor keeps it alive). Interests are keyed by
//! (descriptor, open file) as in Linux.
//!
//! No lock of this module is held while a watched file is polled or
//! dropped: `wait` looks at a snapshot of the interests and takes the lock
//! again only to record what it reported.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;
use core::ops::Bound;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::events::{
    EP_MAX_NESTS, EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE,
    EPOLLEXCLUSIVE_OK_BITS, EPOLLHUP, EPOLLONESHOT,
};
use ringo_uapi::fs::O_RDWR;
use spin::Mutex;

use crate::anon::new_anon_ino;
use crate::fdtable::OpenFile;
use crate::readiness::{PollEvents, new_wait_key, wake};
use crate::vfs::{Inode, OpenFlags};

/// What /proc/self/fd shows for an epoll descriptor.
pub const EPOLL_NAME: &[u8] = b"anon_inode:[eventpoll]";

/// Bits of an interest's mask that are modes, not events: never reported.
const MODE_BITS: u32 = 0xffff_0000;

// Wake generations for edge detection. A table indexed by key rather than a
// map so that `note_wake` takes no lock (wakes come from interrupts) and
// allocates nothing; two keys sharing a slot only make an edge-triggered
// interest report once more than it had to, which EPOLLET users tolerate
// (they read until EAGAIN).
const GENERATION_SLOTS: usize = 1024;
static GENERATIONS: [AtomicU64; GENERATION_SLOTS] = [const { AtomicU64::new(0) }; GENERATION_SLOTS];

/// Records that `key` was woken, so edge-triggered interests in objects
/// with that key see a new edge even when their ready bits did not change
/// (more data on a readable pipe). The kernel calls it for every wake (from
/// its `Waker`, or `readiness::wake` does); lock-free and interrupt-safe.
pub fn note_wake(key: u64) {
    // Release: whoever sees the new generation also sees the state change
    // that preceded the wake.
    GENERATIONS[(key % GENERATION_SLOTS as u64) as usize].fetch_add(1, Ordering::Release);
}

fn generation(key: Option<u64>) -> u64 {
    key.map_or(0, |k| GENERATIONS[(k % GENERATION_SLOTS as u64) as usize].load(Ordering::Acquire))
}

/// Serializes additions of epoll files to epolls, so two of them cannot
/// build a cycle between them unseen (Linux's epnested_mutex).
static NESTING: Mutex<()> = Mutex::new(());

/// An interest is identified by its descriptor number and its open file.
type Key = (i32, usize);

fn file_addr(file: &Arc<OpenFile>) -> usize {
    Arc::as_ptr(file) as usize
}

struct Interest {
    file: Weak<OpenFile>,
    /// Set when the watched file is itself an epoll: it is asked directly,
    /// one level deeper, instead of through `poll`.
    nested: Option<Weak<Epoll>>,
    /// Requested events, EPOLLERR|EPOLLHUP (always reported) and mode bits.
    events: u32,
    data: u64,
    /// Changes with every ADD and MOD, so a wait that looked at an older
    /// version of the interest does not record its findings on this one.
    serial: u64,
    /// False once an EPOLLONESHOT interest has reported, until MOD.
    armed: bool,
    /// Edge detection: the bits ready and the wake generation of the key at
    /// the last look. A fresh interest has seen nothing, so readiness at
    /// ADD or MOD is an edge.
    seen: u32,
    seen_generation: Option<u64>,
}

impl Interest {
    fn edge_triggered(&self) -> bool {
        self.events & EPOLLET != 0
    }

    /// Whether an interest whose file showed `revents` with its key at
    /// `generation` is to be reported now.
    fn reports(&self, revents: u32, generation: u64) -> bool {
        if !self.armed || revents == 0 {
            return false;
        }
        !self.edge_triggered() || revents & !self.seen != 0 || self.seen_generation != Some(generation)
    }
}

/// One interest as a wait saw it, to poll without the lock.
struct Look {
    key: Key,
    serial: u64,
    file: Weak<OpenFile>,
    nested: Option<Weak<Epoll>>,
    events: u32,
}

#[derive(Default)]
struct State {
    interests: BTreeMap<Key, Interest>,
    /// The interest reported last: the next wait starts after it, so a few
    /// always-ready files cannot hide the others from a small `max` (Linux
    /// moves reported level-triggered items to the end of its ready list).
    cursor: Option<Key>,
    next_serial: u64,
}

impl State {
    fn serial(&mut self) -> u64 {
        self.next_serial += 1;
        self.next_serial
    }

    /// Armed interests in scan order: after the cursor, then wrapping round.
    fn looks(&self) -> Vec<Look> {
        let look = |(key, i): (&Key, &Interest)| Look {
            key: *key,
            serial: i.serial,
            file: i.file.clone(),
            nested: i.nested.clone(),
            events: i.events,
        };
        let armed = |(_, i): &(&Key, &Interest)| i.armed;
        match self.cursor {
            None => self.interests.iter().filter(armed).map(look).collect(),
            Some(cursor) => {
                let after = self.interests.range((Bound::Excluded(cursor), Bound::Unbounded));
                let before = self.interests.range(..=cursor);
                after.chain(before).filter(armed).map(look).collect()
            }
        }
    }

    /// Forgets an interest whose file is gone, unless it was replaced meanwhile.
    fn drop_dead(&mut self, key: Key, serial: u64) {
        if self.interests.get(&key).is_some_and(|i| i.serial == serial) {
            self.interests.remove(&key);
        }
    }
}

/// What a scan does with ready interests.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// epoll_wait: report, and record it (edges seen, oneshots disarmed).
    Consume,
    /// poll of the epoll itself: only whether `wait` would report.
    Peek,
}

pub struct Epoll {
    ino: u64,
    key: u64,
    state: Mutex<State>,
}

impl Epoll {
    pub fn new() -> Arc<Epoll> {
        Arc::new(Epoll { ino: new_anon_ino(), key: new_wait_key(), state: Mutex::new(State::default()) })
    }

    fn is(&self, file: &OpenFile) -> bool {
        core::ptr::addr_eq(Arc::as_ptr(file.inode()), self as *const Epoll)
    }

    /// epoll_ctl(2) for descriptor `fd`, which refers to `file`. The kernel
    /// has already turned bad descriptors into EBADF and checked that the
    /// epoll descriptor is an epoll (EINVAL otherwise).
    ///
    /// Errors: EBADF for an O_PATH file; EINVAL for an unknown op, for the
    /// epoll itself, and for EPOLLEXCLUSIVE misuse; EPERM for files that
    /// never wait (regular files, directories: no wait key); EEXIST, ENOENT;
    /// ELOOP when adding an epoll would close a cycle or nest deeper than
    /// EP_MAX_NESTS.
    pub fn ctl(&self, op: i32, fd: i32, file: &Arc<OpenFile>, events: u32, data: u64) -> Result<(), Errno> {
        if !matches!(op, EPOLL_CTL_ADD | EPOLL_CTL_DEL | EPOLL_CTL_MOD) {
            return Err(Errno::EINVAL);
        }
        // An O_PATH descriptor is not open for anything, epoll included.
        if file.flags().path_only() {
            return Err(Errno::EBADF);
        }
        // Linux refuses files without a poll operation; here those are the
        // ones whose readiness never changes.
        if file.wait_key().is_none() {
            return Err(Errno::EPERM);
        }
        if self.is(file) {
            return Err(Errno::EINVAL);
        }
        let nested = epoll_of(file);
        // EPOLLEXCLUSIVE only on ADD, not for epolls, and with few other bits.
        let exclusive = op != EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE != 0;
        if exclusive && (op == EPOLL_CTL_MOD || nested.is_some() || events & !EPOLLEXCLUSIVE_OK_BITS != 0) {
            return Err(Errno::EINVAL);
        }
        let key = (fd, file_addr(file));
        let events = events | EPOLLERR | EPOLLHUP;
        match op {
            EPOLL_CTL_ADD => {
                // Held across the check and the insertion, so that no other
                // addition can make the check stale.
                let _nesting = nested.as_ref().map(|_| NESTING.lock());
                if let Some(inner) = &nested {
                    // The links from this epoll down through `inner`.
                    let links = inner.depth_below(self as *const Epoll, 1)?;
                    if links > EP_MAX_NESTS {
                        return Err(Errno::ELOOP);
                    }
                }
                let mut state = self.state.lock();
                if state.interests.contains_key(&key) {
                    return Err(Errno::EEXIST);
                }
                let serial = state.serial();
                let interest = Interest {
                    file: Arc::downgrade(file),
                    nested: nested.as_ref().map(Arc::downgrade),
                    events,
                    data,
                    serial,
                    armed: true,
                    seen: 0,
                    seen_generation: None,
                };
                state.interests.insert(key, interest);
            }
            EPOLL_CTL_DEL => {
                self.state.lock().interests.remove(&key).ok_or(Errno::ENOENT)?;
                return Ok(());
            }
            _ => {
                let mut state = self.state.lock();
                let serial = state.serial();
                let interest = state.interests.get_mut(&key).ok_or(Errno::ENOENT)?;
                if interest.events & EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                interest.events = events;
                interest.data = data;
                interest.serial = serial;
                interest.armed = true;
                interest.seen = 0;
                interest.seen_generation = None;
            }
        }
        // A waiter asleep on the old set of keys rescans with the new interest.
        wake(self.key);
        Ok(())
    }

    /// The epolls in the longest chain down from this one, itself included
    /// (1: it watches no epoll), which is how many links an epoll that
    /// watches it gets below it; ELOOP when `target` is in the chain or the
    /// chain is too long. Called with NESTING held, so the shape cannot
    /// change meanwhile.
    fn depth_below(&self, target: *const Epoll, level: usize) -> Result<usize, Errno> {
        if core::ptr::eq(self, target) {
            return Err(Errno::ELOOP);
        }
        if level > EP_MAX_NESTS {
            return Err(Errno::ELOOP);
        }
        let children: Vec<Weak<Epoll>> =
            self.state.lock().interests.values().filter_map(|i| i.nested.clone()).collect();
        let mut deepest = 1;
        for child in children {
            if let Some(child) = child.upgrade() {
                deepest = deepest.max(1 + child.depth_below(target, level + 1)?);
            }
        }
        Ok(deepest)
    }

    /// epoll_wait(2) without the waiting: up to `max` ready interests as
    /// (events, data), recording what edge-triggered and one-shot interests
    /// reported. Empty means the kernel should sleep on [`Epoll::wait_keys`]
    /// (checking [`Epoll::has_ready`] before it does) and call again.
    pub fn wait(&self, max: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        self.scan(Scan::Consume, max, 0, &mut out);
        out
    }

    /// Whether `wait` would report anything now (without consuming edges or
    /// one-shots): the kernel's check before it sleeps.
    pub fn has_ready(&self) -> bool {
        self.ready_at(0)
    }

    fn ready_at(&self, depth: usize) -> bool {
        // Deeper than Linux would have let epolls nest: nothing is ready, so
        // a chain built top-down past the limit cannot recurse without bound.
        if depth > EP_MAX_NESTS {
            return false;
        }
        let mut out = Vec::new();
        self.scan(Scan::Peek, 1, depth, &mut out);
        !out.is_empty()
    }

    fn scan(&self, mode: Scan, max: usize, depth: usize, out: &mut Vec<(u32, u64)>) {
        if max == 0 {
            return;
        }
        let looks = self.state.lock().looks();
        for look in looks {
            let Some(file) = look.file.upgrade() else {
                self.state.lock().drop_dead(look.key, look.serial);
                continue;
            };
            let edge = look.events & EPOLLET != 0;
            // Read before polling: a wake between the two then shows up as a
            // new generation next time (one report too many), never as a
            // state change hidden behind an already-seen generation.
            let generation = if edge { generation(file.wait_key()) } else { 0 };
            let ready = match look.nested.as_ref().and_then(Weak::upgrade) {
                Some(inner) => {
                    if inner.ready_at(depth + 1) {
                        (PollEvents::IN | PollEvents::RDNORM).bits()
                    } else {
                        0
                    }
                }
                None => file.poll().bits(),
            };
            let revents = ready & look.events & !MODE_BITS;
            let mut state = self.state.lock();
            let Some(interest) = state.interests.get_mut(&look.key).filter(|i| i.serial == look.serial) else {
                continue;
            };
            let report = interest.reports(revents, generation);
            let data = interest.data;
            if mode == Scan::Consume {
                if interest.edge_triggered() {
                    interest.seen = revents;
                    interest.seen_generation = Some(generation);
                }
                if report && interest.events & EPOLLONESHOT != 0 {
                    interest.armed = false;
                }
                if report {
                    state.cursor = Some(look.key);
                }
            }
            drop(state);
            if report {
                out.push((revents, data));
            }
            // `file` (maybe the last reference, whose drop may wake) goes
            // here, with no lock held.
            drop(file);
            if out.len() >= max {
                return;
            }
        }
    }

    /// The keys to sleep on while nothing is ready: the epoll's own (woken
    /// by `ctl`) and those of every armed interest's object, through nested
    /// epolls. Sorted, without repeats.
    pub fn wait_keys(&self) -> Vec<u64> {
        let mut keys = Vec::new();
        self.collect_keys(0, &mut keys);
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    fn collect_keys(&self, depth: usize, keys: &mut Vec<u64>) {
        keys.push(self.key);
        if depth > EP_MAX_NESTS {
            return;
        }
        let looks = self.state.lock().looks();
        for look in looks {
            let Some(file) = look.file.upgrade() else { continue };
            match look.nested.as_ref().and_then(Weak::upgrade) {
                Some(inner) => inner.collect_keys(depth + 1, keys),
                None => keys.extend(file.wait_key()),
            }
        }
    }

    /// Drops every interest registered under descriptor `fd`, whatever its
    /// file. Not needed for close(2): an interest already goes with its
    /// file's last reference, as on Linux, where closing one of two
    /// descriptors of a file leaves the interest in place. This is for a
    /// caller that wants the registrations of a number gone at once.
    /// Returns how many were dropped.
    pub fn remove_fd(&self, fd: i32) -> usize {
        let mut state = self.state.lock();
        let before = state.interests.len();
        state.interests.retain(|&(ifd, _), _| ifd != fd);
        before - state.interests.len()
    }

    /// How many interests are registered (closed files included until a
    /// wait notices them).
    pub fn len(&self) -> usize {
        self.state.lock().interests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Inode for Epoll {
    crate::anon::anon_inode_identity!();

    /// Readable when a wait would report something, so an epoll can be
    /// polled, selected and watched by another epoll.
    fn poll(&self) -> PollEvents {
        if self.has_ready() { PollEvents::IN | PollEvents::RDNORM } else { PollEvents::empty() }
    }

    /// Only `ctl` wakes this key; a poller of an epoll should sleep on
    /// [`wait_keys_of`] instead, which adds the keys of what it watches.
    fn wait_key(&self) -> Option<u64> {
        Some(self.key)
    }
}

/// epoll_create1(2): a new epoll's open file. EPOLL_CLOEXEC is for the
/// caller to apply to the descriptor; any other flag is EINVAL.
/// (epoll_create(size) is this with flags 0 once size > 0 is checked.)
pub fn epoll_create1(flags: u32) -> Result<Arc<OpenFile>, Errno> {
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    OpenFile::new(Epoll::new(), OpenFlags(O_RDWR), EPOLL_NAME.to_vec())
}

/// The epoll an open file is, if it is one (epoll_ctl and epoll_wait on
/// anything else are EINVAL).
pub fn epoll_of(file: &OpenFile) -> Option<Arc<Epoll>> {
    let node: Arc<dyn Any + Send + Sync> = file.inode().clone();
    node.downcast::<Epoll>().ok()
}

/// The keys a poll(2)/select(2) of `file` sleeps on: its wait key, or for
/// an epoll everything [`Epoll::wait_keys`] lists, since an epoll's own key
/// does not hear about the files it watches.
pub fn wait_keys_of(file: &OpenFile) -> Vec<u64> {
    match epoll_of(file) {
        Some(ep) if !file.flags().path_only() => ep.wait_keys(),
        _ => file.wait_key().into_iter().collect(),
    }
}

#[cfg(test)]
mod tests;
