//! timerfd(2): a timer whose expirations are read from a descriptor.
//!
//! This crate cannot see time, so a timer reads its clock through a
//! [`TimerClock`]: the kernel installs one with [`set_clock`] (tests give
//! each timer its own fake through [`create_with_clock`]). Expirations are
//! counted lazily from the clock whenever the timer is looked at (read,
//! poll, gettime), so counts are exact whatever the tick rate; what needs
//! the kernel's timer is waking sleepers. Every timerfd sits in a registry,
//! and the kernel's timer tick calls [`expire_due`], which wakes the key of
//! each timer that expired since its last wake. [`next_deadline`] says when
//! that next matters, for a kernel that wants to program its timer rather
//! than check every tick.
//!
//! Not implemented: TFD_TIMER_CANCEL_ON_SET is accepted but never cancels
//! (ECANCELED), and TFD_IOC_SET_TICKS is ENOTTY. The *_ALARM clocks act as
//! their plain clocks and CLOCK_BOOTTIME as CLOCK_MONOTONIC (no suspend).

use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::any::Any;

use ringo_uapi::Errno;
use ringo_uapi::events::{TFD_CLOEXEC, TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET};
use ringo_uapi::fs::O_RDWR;
use ringo_uapi::time::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, ClockId, Itimerspec,
    Timespec,
};
use spin::{Mutex, Once};

use crate::anon::new_anon_ino;
use crate::fdtable::OpenFile;
use crate::readiness::{PollEvents, new_wait_key, wake};
use crate::vfs::{Inode, OpenFlags, WriteBuf};

/// What /proc/self/fd shows for a timerfd.
pub const TIMERFD_NAME: &[u8] = b"anon_inode:[timerfd]";

/// The kernel's clocks, in nanoseconds.
pub trait TimerClock: Send + Sync {
    /// Since boot (CLOCK_MONOTONIC).
    fn monotonic_ns(&self) -> u64;
    /// Since the epoch (CLOCK_REALTIME).
    fn realtime_ns(&self) -> u64;
}

static CLOCK: Once<&'static dyn TimerClock> = Once::new();

/// Installs the kernel's clocks for [`create`]. The first call wins.
pub fn set_clock(clock: &'static dyn TimerClock) {
    CLOCK.call_once(|| clock);
}

/// Which of the two clocks a timer counts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    Monotonic,
    Realtime,
}

impl Base {
    fn of(clockid: ClockId) -> Result<Base, Errno> {
        match clockid {
            CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => Ok(Base::Monotonic),
            CLOCK_REALTIME | CLOCK_REALTIME_ALARM => Ok(Base::Realtime),
            _ => Err(Errno::EINVAL),
        }
    }
}

#[derive(Default)]
struct TimerState {
    /// The next expiration on the timer's clock; `None` when disarmed.
    deadline: Option<u64>,
    /// Re-arm period; 0 for a one-shot timer.
    interval: u64,
    /// Expirations not yet read.
    ticks: u64,
    /// Expirations since the timer was set, and how many of them a wake has
    /// announced: a look that counts new ones does not wake (it may run
    /// inside an epoll scan), so `expire_due` wakes for them later.
    expired: u64,
    announced: u64,
}

impl TimerState {
    /// Counts the expirations up to `now` and moves the deadline past it.
    fn advance(&mut self, now: u64) {
        let Some(deadline) = self.deadline else { return };
        if now < deadline {
            return;
        }
        let fired = (now - deadline).checked_div(self.interval).map_or(1, |periods| periods + 1);
        self.ticks = self.ticks.saturating_add(fired);
        self.expired = self.expired.saturating_add(fired);
        self.deadline = if self.interval == 0 {
            None
        } else {
            // Past u64 nanoseconds (584 years) the timer never fires again.
            fired.checked_mul(self.interval).and_then(|d| deadline.checked_add(d))
        };
    }

    fn current(&self, now: u64) -> Itimerspec {
        let remaining = self.deadline.map_or(0, |d| d.saturating_sub(now));
        Itimerspec { it_interval: Timespec::from_nanos(self.interval), it_value: Timespec::from_nanos(remaining) }
    }
}

pub struct TimerFd {
    ino: u64,
    key: u64,
    base: Base,
    clock: &'static dyn TimerClock,
    state: Mutex<TimerState>,
}

impl TimerFd {
    fn now(&self) -> u64 {
        match self.base {
            Base::Monotonic => self.clock.monotonic_ns(),
            Base::Realtime => self.clock.realtime_ns(),
        }
    }

    /// The state brought up to date with the clock.
    fn state_now(&self) -> (spin::MutexGuard<'_, TimerState>, u64) {
        let now = self.now();
        let mut state = self.state.lock();
        state.advance(now);
        (state, now)
    }

    /// timerfd_settime(2): arms the timer with `new` (an it_value of zero
    /// disarms it) and returns the previous setting. Relative values count
    /// from now, TFD_TIMER_ABSTIME ones are times on the timer's clock (one
    /// in the past expires at once). Pending expirations are discarded.
    pub fn settime(&self, flags: u32, new: &Itimerspec) -> Result<Itimerspec, Errno> {
        if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
            return Err(Errno::EINVAL);
        }
        if !new.it_value.is_valid() || !new.it_interval.is_valid() {
            return Err(Errno::EINVAL);
        }
        // Valid but beyond u64 nanoseconds: as good as never.
        let value = new.it_value.to_nanos().unwrap_or(u64::MAX);
        let interval = new.it_interval.to_nanos().unwrap_or(u64::MAX);
        let old = {
            let (mut state, now) = self.state_now();
            let old = state.current(now);
            let deadline = match value {
                0 => None,
                v if flags & TFD_TIMER_ABSTIME != 0 => Some(v),
                v => Some(now.saturating_add(v)),
            };
            *state =
                TimerState { deadline, interval: if deadline.is_some() { interval } else { 0 }, ..Default::default() };
            old
        };
        // A sleeper on the old setting rechecks (an absolute time in the
        // past is ready at once).
        wake(self.key);
        Ok(old)
    }

    /// timerfd_gettime(2): the time to the next expiration (zero when
    /// disarmed) and the interval.
    pub fn gettime(&self) -> Itimerspec {
        let (state, now) = self.state_now();
        state.current(now)
    }

    /// The next expiration on the monotonic clock, if armed.
    fn deadline_monotonic(&self) -> Option<u64> {
        let (state, now) = self.state_now();
        let deadline = state.deadline?;
        match self.base {
            Base::Monotonic => Some(deadline),
            Base::Realtime => Some(self.clock.monotonic_ns().saturating_add(deadline.saturating_sub(now))),
        }
    }

    /// Counts expirations and reports whether some have not been announced
    /// by a wake yet (marking them announced).
    fn take_unannounced(&self) -> bool {
        let (mut state, _) = self.state_now();
        if state.expired == state.announced {
            return false;
        }
        state.announced = state.expired;
        true
    }
}

impl Inode for TimerFd {
    crate::anon::anon_inode_identity!();

    /// The expirations since the last read, as a u64; EAGAIN when none.
    fn read_at(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let ticks = {
            let (mut state, _) = self.state_now();
            core::mem::take(&mut state.ticks)
        };
        if ticks == 0 {
            return Err(Errno::EAGAIN);
        }
        match buf.write(&ticks.to_le_bytes())? {
            8 => Ok(8),
            _ => Err(Errno::EFAULT),
        }
    }

    fn poll(&self) -> PollEvents {
        let (state, _) = self.state_now();
        if state.ticks > 0 { PollEvents::READABLE } else { PollEvents::empty() }
    }

    fn wait_key(&self) -> Option<u64> {
        Some(self.key)
    }
}

/// Every timerfd, so the kernel's tick can find the ones to wake. Weak, so
/// closing a timer is all it takes to leave; dead entries are pruned as
/// timers come and go.
static TIMERS: Mutex<Vec<Weak<TimerFd>>> = Mutex::new(Vec::new());

fn live_timers() -> Vec<Arc<TimerFd>> {
    let mut timers = TIMERS.lock();
    timers.retain(|t| t.strong_count() > 0);
    timers.iter().filter_map(Weak::upgrade).collect()
    // The Arcs are dropped by the caller after the lock is released: a
    // timer closed meanwhile must not be freed with the registry locked.
}

/// timerfd_create(2) on the installed clock: ENODEV until the kernel has
/// called [`set_clock`].
pub fn create(clockid: ClockId, flags: u32) -> Result<Arc<OpenFile>, Errno> {
    let clock = *CLOCK.get().ok_or(Errno::ENODEV)?;
    create_with_clock(clockid, flags, clock)
}

/// timerfd_create(2) reading `clock`. Clocks other than REALTIME,
/// MONOTONIC, BOOTTIME and their _ALARM forms are EINVAL, as are flags
/// other than TFD_NONBLOCK (kept on the file) and TFD_CLOEXEC (for the
/// caller to apply to the descriptor).
pub fn create_with_clock(clockid: ClockId, flags: u32, clock: &'static dyn TimerClock) -> Result<Arc<OpenFile>, Errno> {
    if flags & !(TFD_NONBLOCK | TFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let base = Base::of(clockid)?;
    let timer = Arc::new(TimerFd {
        ino: new_anon_ino(),
        key: new_wait_key(),
        base,
        clock,
        state: Mutex::new(TimerState::default()),
    });
    {
        let mut timers = TIMERS.lock();
        timers.retain(|t| t.strong_count() > 0);
        timers.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
        timers.push(Arc::downgrade(&timer));
    }
    OpenFile::new(timer, OpenFlags(O_RDWR | (flags & TFD_NONBLOCK)), TIMERFD_NAME.to_vec())
}

/// The timerfd an open file is, if it is one (timerfd_settime and
/// timerfd_gettime on anything else are EINVAL).
pub fn timerfd_of(file: &OpenFile) -> Option<Arc<TimerFd>> {
    let node: Arc<dyn Any + Send + Sync> = file.inode().clone();
    node.downcast::<TimerFd>().ok()
}

/// For the kernel's timer tick: wakes the key of every timerfd that expired
/// since it was last woken for, and returns how many it woke. Takes spin
/// locks that process context also takes, so it must run where none of
/// them can be held (a tick from user mode or the idle loop, like the
/// kernel's interval timers), not from an arbitrary interrupt.
pub fn expire_due() -> usize {
    let timers = live_timers();
    let mut woken = 0;
    for timer in &timers {
        if timer.take_unannounced() {
            wake(timer.key);
            woken += 1;
        }
    }
    woken
}

/// The earliest expiration of any armed timerfd, on the monotonic clock:
/// when `expire_due` next has something to do. Realtime timers are
/// converted at the current offset between the two clocks.
pub fn next_deadline() -> Option<u64> {
    let timers = live_timers();
    timers.iter().filter_map(|t| t.deadline_monotonic()).min()
}

#[cfg(test)]
mod tests {
    use alloc::boxed::Box;
    use core::sync::atomic::{AtomicU64, Ordering};

    use ringo_uapi::fs::O_CLOEXEC;
    use ringo_uapi::time::CLOCK_PROCESS_CPUTIME_ID;

    use super::*;
    use crate::readiness::test_hooks;

    const MS: u64 = 1_000_000;
    const SEC: u64 = 1_000_000_000;

    /// A clock per test, moved by hand, so parallel tests do not disturb
    /// each other's timers.
    struct FakeClock {
        mono: AtomicU64,
        real: AtomicU64,
    }

    impl FakeClock {
        fn new(mono: u64, real: u64) -> &'static FakeClock {
            Box::leak(Box::new(FakeClock { mono: AtomicU64::new(mono), real: AtomicU64::new(real) }))
        }

        fn advance(&self, ns: u64) {
            self.mono.fetch_add(ns, Ordering::Relaxed);
            self.real.fetch_add(ns, Ordering::Relaxed);
        }
    }

    impl TimerClock for FakeClock {
        fn monotonic_ns(&self) -> u64 {
            self.mono.load(Ordering::Relaxed)
        }

        fn realtime_ns(&self) -> u64 {
            self.real.load(Ordering::Relaxed)
        }
    }

    fn spec(value_ns: u64, interval_ns: u64) -> Itimerspec {
        Itimerspec { it_interval: Timespec::from_nanos(interval_ns), it_value: Timespec::from_nanos(value_ns) }
    }

    fn read_ticks(f: &OpenFile) -> Result<u64, Errno> {
        let mut out = [0u8; 8];
        assert_eq!(f.read(&mut &mut out[..])?, 8);
        Ok(u64::from_le_bytes(out))
    }

    fn timer(clock: &'static FakeClock, clockid: ClockId) -> (Arc<OpenFile>, Arc<TimerFd>) {
        let f = create_with_clock(clockid, TFD_NONBLOCK, clock).expect("timerfd");
        let t = timerfd_of(&f).expect("a timerfd");
        (f, t)
    }

    #[test]
    fn one_shot_expires_once() {
        let clock = FakeClock::new(10 * SEC, 0);
        let (f, t) = timer(clock, CLOCK_MONOTONIC);
        assert_eq!(read_ticks(&f), Err(Errno::EAGAIN), "a disarmed timer never expires");
        assert_eq!(t.settime(0, &spec(50 * MS, 0)), Ok(Itimerspec::default()));
        clock.advance(49 * MS);
        assert_eq!(f.poll(), PollEvents::empty());
        assert_eq!(read_ticks(&f), Err(Errno::EAGAIN));
        assert_eq!(t.gettime(), spec(MS, 0), "1 ms to go");
        clock.advance(MS);
        assert_eq!(f.poll(), PollEvents::READABLE);
        clock.advance(10 * SEC);
        assert_eq!(read_ticks(&f), Ok(1), "a one-shot timer counts one expiration however late");
        assert_eq!(read_ticks(&f), Err(Errno::EAGAIN));
        assert_eq!(t.gettime(), Itimerspec::default(), "and is disarmed after it");
    }

    #[test]
    fn intervals_count_every_period_missed() {
        let clock = FakeClock::new(SEC, 0);
        let (f, t) = timer(clock, CLOCK_MONOTONIC);
        assert_eq!(t.settime(0, &spec(100 * MS, 30 * MS)), Ok(Itimerspec::default()));
        clock.advance(100 * MS);
        assert_eq!(read_ticks(&f), Ok(1));
        clock.advance(95 * MS);
        // Expirations at 130, 160 and 190 ms past the first.
        assert_eq!(read_ticks(&f), Ok(3));
        assert_eq!(t.gettime(), spec(25 * MS, 30 * MS), "the next is at 220 ms, 25 ms from now");
        clock.advance(25 * MS);
        assert_eq!(read_ticks(&f), Ok(1));
        assert_eq!(read_ticks(&f), Err(Errno::EAGAIN));
    }

    #[test]
    fn settime_returns_the_old_setting_and_disarms_with_zero() {
        let clock = FakeClock::new(0, 0);
        let (f, t) = timer(clock, CLOCK_MONOTONIC);
        assert_eq!(t.settime(0, &spec(SEC, 250 * MS)), Ok(Itimerspec::default()));
        clock.advance(1200 * MS);
        assert!(f.poll().contains(PollEvents::IN));
        // Expired at 1000 ms, next at 1250 ms: 50 ms left.
        assert_eq!(t.settime(0, &spec(0, 0)), Ok(spec(50 * MS, 250 * MS)));
        assert_eq!(read_ticks(&f), Err(Errno::EAGAIN), "disarming discards pending expirations");
        clock.advance(10 * SEC);
        assert_eq!(read_ticks(&f), Err(Errno::EAGAIN));
        assert_eq!(t.gettime(), Itimerspec::default());
        assert_eq!(t.settime(0, &spec(0, SEC)), Ok(Itimerspec::default()), "an interval alone does not arm");
        assert_eq!(t.gettime(), Itimerspec::default());
    }

    #[test]
    fn absolute_times_on_either_clock() {
        let clock = FakeClock::new(5 * SEC, 1_700_000_000 * SEC);
        let (mono, tm) = timer(clock, CLOCK_MONOTONIC);
        let (real, tr) = timer(clock, CLOCK_REALTIME);
        assert_eq!(tm.settime(TFD_TIMER_ABSTIME, &spec(6 * SEC, 0)), Ok(Itimerspec::default()));
        assert_eq!(tr.settime(TFD_TIMER_ABSTIME, &spec(1_700_000_002 * SEC, 0)), Ok(Itimerspec::default()));
        assert_eq!(tm.gettime(), spec(SEC, 0));
        assert_eq!(tr.gettime(), spec(2 * SEC, 0));
        clock.advance(SEC);
        assert_eq!(read_ticks(&mono), Ok(1));
        assert_eq!(read_ticks(&real), Err(Errno::EAGAIN));
        clock.advance(SEC);
        assert_eq!(read_ticks(&real), Ok(1));

        // An absolute time already past expires at once, with the periods
        // missed since counted.
        assert_eq!(tm.settime(TFD_TIMER_ABSTIME, &spec(SEC, 2 * SEC)), Ok(Itimerspec::default()));
        assert_eq!(read_ticks(&mono), Ok(4), "expirations at 1, 3, 5 and 7 s; now is 7 s");
    }

    #[test]
    fn bad_arguments_are_einval() {
        let clock = FakeClock::new(0, 0);
        assert_eq!(create_with_clock(CLOCK_PROCESS_CPUTIME_ID, 0, clock).err(), Some(Errno::EINVAL));
        assert_eq!(create_with_clock(CLOCK_MONOTONIC, 0x1, clock).err(), Some(Errno::EINVAL));
        let (_f, t) = timer(clock, CLOCK_MONOTONIC);
        assert_eq!(t.settime(0x4, &spec(SEC, 0)), Err(Errno::EINVAL));
        let negative = Itimerspec { it_interval: Timespec::default(), it_value: Timespec { tv_sec: -1, tv_nsec: 0 } };
        assert_eq!(t.settime(0, &negative), Err(Errno::EINVAL));
        let too_many_ns =
            Itimerspec { it_interval: Timespec { tv_sec: 0, tv_nsec: 1_000_000_000 }, it_value: spec(SEC, 0).it_value };
        assert_eq!(t.settime(0, &too_many_ns), Err(Errno::EINVAL));
        assert_eq!(t.gettime(), Itimerspec::default(), "a refused setting changes nothing");
    }

    #[test]
    fn reads_need_eight_bytes_and_writes_are_refused() {
        let clock = FakeClock::new(0, 0);
        let (f, t) = timer(clock, CLOCK_MONOTONIC);
        assert_eq!(t.settime(0, &spec(MS, 0)), Ok(Itimerspec::default()));
        clock.advance(MS);
        let mut small = [0u8; 4];
        assert_eq!(f.read(&mut &mut small[..]), Err(Errno::EINVAL));
        assert_eq!(f.write(&mut &[0u8; 8][..]), Err(Errno::EINVAL));
        assert_eq!(read_ticks(&f), Ok(1), "the refused read left the count");
    }

    #[test]
    fn expire_due_wakes_each_expiry_once() {
        test_hooks::install();
        let clock = FakeClock::new(0, 0);
        let (f, t) = timer(clock, CLOCK_MONOTONIC);
        let key = f.wait_key().expect("a timerfd has a wait key");
        assert_eq!(t.settime(0, &spec(10 * MS, 10 * MS)), Ok(Itimerspec::default()));
        let after_set = test_hooks::wakes(key);
        assert_eq!(after_set, 1, "settime wakes sleepers on the old setting");
        assert_eq!(next_deadline().map(|d| d <= 10 * MS), Some(true), "this timer's deadline bounds the next one");
        expire_due();
        assert_eq!(test_hooks::wakes(key), after_set, "nothing expired yet");
        clock.advance(10 * MS);
        // A poll counts the expiration but cannot wake (it may run inside an
        // epoll scan); the tick still does.
        assert!(f.poll().contains(PollEvents::IN));
        expire_due();
        assert_eq!(test_hooks::wakes(key), after_set + 1);
        expire_due();
        assert_eq!(test_hooks::wakes(key), after_set + 1, "one wake per expiration");
        clock.advance(25 * MS);
        expire_due();
        assert_eq!(test_hooks::wakes(key), after_set + 2);
        assert_eq!(read_ticks(&f), Ok(3));
    }

    #[test]
    fn closed_timers_leave_the_registry() {
        let clock = FakeClock::new(0, 0);
        let (f, t) = timer(clock, CLOCK_MONOTONIC);
        assert_eq!(t.settime(0, &spec(SEC, 0)), Ok(Itimerspec::default()));
        let weak = Arc::downgrade(&t);
        drop(t);
        drop(f);
        // Another test's expire_due may hold the timer for a moment; the
        // registry itself holds it weakly, so the count drops to 0 soon.
        for _ in 0..100_000 {
            if weak.strong_count() == 0 {
                break;
            }
            std::thread::yield_now();
        }
        assert_eq!(weak.strong_count(), 0, "the registry holds timers weakly");
        expire_due();
        assert!(TIMERS.lock().iter().all(|w| !w.ptr_eq(&weak)), "and prunes the dead ones");
    }

    #[test]
    fn realtime_deadlines_are_converted_to_monotonic() {
        let clock = FakeClock::new(3 * SEC, 1000 * SEC);
        let (_f, t) = timer(clock, CLOCK_REALTIME);
        assert_eq!(t.settime(TFD_TIMER_ABSTIME, &spec(1004 * SEC, 0)), Ok(Itimerspec::default()));
        assert_eq!(t.deadline_monotonic(), Some(7 * SEC));
        assert_eq!(t.settime(0, &spec(0, 0)), Ok(spec(4 * SEC, 0)));
        assert_eq!(t.deadline_monotonic(), None);
    }

    #[test]
    fn file_identity_and_flags() {
        let clock = FakeClock::new(0, 0);
        let f = create_with_clock(CLOCK_BOOTTIME, TFD_CLOEXEC, clock).expect("timerfd");
        assert_eq!(f.path(), TIMERFD_NAME);
        assert!(!f.flags().nonblock());
        assert_eq!(f.flags().bits() & O_CLOEXEC, 0);
        assert_eq!(f.metadata().kind, crate::vfs::InodeKind::Anonymous);
        assert!(timerfd_of(&f).is_some());
    }
}
