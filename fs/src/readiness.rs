//! How objects that can make a caller wait (pipes, terminals) say whether
//! an operation would proceed, and the hooks the kernel installs so they can
//! wake sleepers and signal process groups.
//!
//! Nothing in this crate sleeps. An operation that cannot proceed returns
//! `EAGAIN`; unless the file is O_NONBLOCK the kernel then sleeps on the
//! object's wait key (`Inode::wait_key`) and retries. Objects call [`wake`]
//! with that key whenever their readiness may have changed, so the kernel's
//! wait queues are keyed by these numbers and nothing else.

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign};
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_uapi::signal::Signal;
use spin::Once;

/// poll(2) event bits, with Linux's values (asm-generic/poll.h). epoll uses
/// the same low bits, so `bits()` serves both.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PollEvents(u32);

impl PollEvents {
    pub const IN: PollEvents = PollEvents(0x1);
    pub const PRI: PollEvents = PollEvents(0x2);
    pub const OUT: PollEvents = PollEvents(0x4);
    pub const ERR: PollEvents = PollEvents(0x8);
    pub const HUP: PollEvents = PollEvents(0x10);
    pub const NVAL: PollEvents = PollEvents(0x20);
    pub const RDNORM: PollEvents = PollEvents(0x40);
    pub const RDBAND: PollEvents = PollEvents(0x80);
    pub const WRNORM: PollEvents = PollEvents(0x100);
    pub const WRBAND: PollEvents = PollEvents(0x200);

    /// What a read would not block on (POLLIN | POLLRDNORM).
    pub const READABLE: PollEvents = PollEvents(0x1 | 0x40);
    /// What a write would not block on (POLLOUT | POLLWRNORM).
    pub const WRITABLE: PollEvents = PollEvents(0x4 | 0x100);
    /// Linux reports these whether or not they were asked for.
    pub const ALWAYS: PollEvents = PollEvents(0x8 | 0x10 | 0x20);

    pub const fn empty() -> Self {
        PollEvents(0)
    }

    /// Unknown bits are kept: poll(2) echoes nothing it does not know, but
    /// callers mask with [`PollEvents::select`] anyway.
    pub const fn from_bits(bits: u32) -> Self {
        PollEvents(bits)
    }

    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn contains(self, other: PollEvents) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn intersects(self, other: PollEvents) -> bool {
        self.0 & other.0 != 0
    }

    /// The revents of poll(2) for an object in this state when `requested`
    /// was asked for: the requested bits plus the ones always reported.
    pub const fn select(self, requested: PollEvents) -> PollEvents {
        PollEvents(self.0 & (requested.0 | Self::ALWAYS.0))
    }
}

impl BitOr for PollEvents {
    type Output = PollEvents;

    fn bitor(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 | rhs.0)
    }
}

impl BitOrAssign for PollEvents {
    fn bitor_assign(&mut self, rhs: PollEvents) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for PollEvents {
    type Output = PollEvents;

    fn bitand(self, rhs: PollEvents) -> PollEvents {
        PollEvents(self.0 & rhs.0)
    }
}

impl fmt::Debug for PollEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(PollEvents, &str); 10] = [
            (PollEvents::IN, "IN"),
            (PollEvents::PRI, "PRI"),
            (PollEvents::OUT, "OUT"),
            (PollEvents::ERR, "ERR"),
            (PollEvents::HUP, "HUP"),
            (PollEvents::NVAL, "NVAL"),
            (PollEvents::RDNORM, "RDNORM"),
            (PollEvents::RDBAND, "RDBAND"),
            (PollEvents::WRNORM, "WRNORM"),
            (PollEvents::WRBAND, "WRBAND"),
        ];
        write!(f, "PollEvents(")?;
        let mut first = true;
        let mut known = 0;
        for (bit, name) in NAMES {
            known |= bit.0;
            if self.contains(bit) {
                write!(f, "{}{name}", if first { "" } else { "|" })?;
                first = false;
            }
        }
        if self.0 & !known != 0 {
            write!(f, "{}{:#x}", if first { "" } else { "|" }, self.0 & !known)?;
        }
        write!(f, ")")
    }
}

/// A fresh wait key. Keys come from a counter rather than object addresses
/// so a key is never reused by a later object while a sleeper on the old one
/// may still be queued. Never 0.
pub fn new_wait_key() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The kernel's side of waiting: wakes every thread sleeping on `key`.
///
/// Called from process context (including the drop of a pipe end's last
/// open file, wherever that happens) and from the terminal's input path
/// (which the kernel may run in an interrupt), never with a lock of this
/// crate held, so the implementation must be interrupt-safe but may take its
/// own locks freely.
pub trait Waker: Send + Sync {
    fn wake(&self, key: u64);
}

/// The kernel's side of terminal signals: sends `sig` to every process in
/// group `pgid`. Same calling contexts as [`Waker::wake`].
pub trait SignalSink: Send + Sync {
    fn signal_group(&self, pgid: i32, sig: Signal);
}

static WAKER: Once<&'static dyn Waker> = Once::new();
static SIGNALS: Once<&'static dyn SignalSink> = Once::new();

/// Installs the kernel's waker. The first call wins; later ones are ignored.
pub fn set_waker(waker: &'static dyn Waker) {
    WAKER.call_once(|| waker);
}

/// Wakes sleepers on `key`; does nothing until a waker is installed (early
/// boot, host tests that do not care).
pub fn wake(key: u64) {
    if let Some(waker) = WAKER.get() {
        waker.wake(key);
    }
}

/// Installs the kernel's signal sink. The first call wins.
pub fn set_signal_sink(sink: &'static dyn SignalSink) {
    SIGNALS.call_once(|| sink);
}

pub fn signal_sink() -> Option<&'static dyn SignalSink> {
    SIGNALS.get().copied()
}

/// Sends `sig` to group `pgid` through the installed sink, if any.
pub fn signal_group(pgid: i32, sig: Signal) {
    if let Some(sink) = signal_sink() {
        sink.signal_group(pgid, sig);
    }
}

/// Hooks for host tests: one recorder per kind, installed once for the whole
/// test binary. Tests run in parallel, so each test tells its own events
/// apart by its objects' keys and its own process-group numbers.
#[cfg(test)]
pub(crate) mod test_hooks {
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;
    use core::sync::atomic::{AtomicI32, Ordering};

    use ringo_uapi::Errno;
    use ringo_uapi::signal::Signal;
    use spin::Mutex;

    use super::{SignalSink, Waker, set_signal_sink, set_waker};
    use crate::tty::{UserMemory, set_user_memory};

    struct Recorder {
        wakes: Mutex<BTreeMap<u64, usize>>,
        signals: Mutex<Vec<(i32, Signal)>>,
    }

    impl Waker for Recorder {
        fn wake(&self, key: u64) {
            *self.wakes.lock().entry(key).or_insert(0) += 1;
        }
    }

    impl SignalSink for Recorder {
        fn signal_group(&self, pgid: i32, sig: Signal) {
            self.signals.lock().push((pgid, sig));
        }
    }

    /// "User memory" in a host test is the test's own memory: addresses are
    /// pointers to the test's locals.
    struct HostMemory;

    impl UserMemory for HostMemory {
        fn read(&self, addr: usize, out: &mut [u8]) -> Result<(), Errno> {
            if addr == 0 {
                return Err(Errno::EFAULT);
            }
            // SAFETY: tests pass addresses of live locals at least `out.len()` long.
            unsafe { core::ptr::copy_nonoverlapping(addr as *const u8, out.as_mut_ptr(), out.len()) };
            Ok(())
        }

        fn write(&self, addr: usize, data: &[u8]) -> Result<(), Errno> {
            if addr == 0 {
                return Err(Errno::EFAULT);
            }
            // SAFETY: as for `read`, with room for `data.len()` bytes.
            unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), addr as *mut u8, data.len()) };
            Ok(())
        }
    }

    static RECORDER: Recorder = Recorder { wakes: Mutex::new(BTreeMap::new()), signals: Mutex::new(Vec::new()) };
    static HOST_MEMORY: HostMemory = HostMemory;

    pub fn install() {
        set_waker(&RECORDER);
        set_signal_sink(&RECORDER);
        set_user_memory(&HOST_MEMORY);
    }

    /// How many times `key` has been woken so far.
    pub fn wakes(key: u64) -> usize {
        RECORDER.wakes.lock().get(&key).copied().unwrap_or(0)
    }

    /// Signals sent so far to group `pgid`, in order.
    pub fn signals_to(pgid: i32) -> Vec<Signal> {
        RECORDER.signals.lock().iter().filter(|(g, _)| *g == pgid).map(|(_, s)| *s).collect()
    }

    /// A process-group number no other test uses.
    pub fn fresh_pgid() -> i32 {
        static NEXT: AtomicI32 = AtomicI32::new(1000);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_bits_have_linux_values() {
        let bits = [
            (PollEvents::IN, 0x1),
            (PollEvents::PRI, 0x2),
            (PollEvents::OUT, 0x4),
            (PollEvents::ERR, 0x8),
            (PollEvents::HUP, 0x10),
            (PollEvents::NVAL, 0x20),
            (PollEvents::RDNORM, 0x40),
            (PollEvents::WRNORM, 0x100),
        ];
        for (ev, value) in bits {
            assert_eq!(ev.bits(), value);
        }
        assert_eq!(PollEvents::READABLE, PollEvents::IN | PollEvents::RDNORM);
        assert_eq!(PollEvents::WRITABLE, PollEvents::OUT | PollEvents::WRNORM);
    }

    #[test]
    fn select_keeps_requested_and_always_reported_bits() {
        let state = PollEvents::READABLE | PollEvents::WRITABLE | PollEvents::HUP;
        assert_eq!(state.select(PollEvents::OUT), PollEvents::OUT | PollEvents::HUP);
        assert_eq!(state.select(PollEvents::empty()), PollEvents::HUP);
        assert!(state.contains(PollEvents::IN | PollEvents::OUT));
        assert!(!state.contains(PollEvents::IN | PollEvents::ERR));
        assert!(state.intersects(PollEvents::IN | PollEvents::ERR));
        assert!(PollEvents::empty().is_empty());
    }

    #[test]
    fn debug_names_the_bits() {
        let text = alloc::format!("{:?}", PollEvents::IN | PollEvents::HUP | PollEvents::from_bits(0x4000));
        assert_eq!(text, "PollEvents(IN|HUP|0x4000)");
    }

    #[test]
    fn wait_keys_are_unique_and_nonzero() {
        let a = new_wait_key();
        let b = new_wait_key();
        assert_ne!(a, 0);
        assert_ne!(a, b);
    }

    #[test]
    fn installed_hooks_receive_wakes_and_signals() {
        test_hooks::install();
        let key = new_wait_key();
        wake(key);
        wake(key);
        assert_eq!(test_hooks::wakes(key), 2);
        let pgid = test_hooks::fresh_pgid();
        signal_group(pgid, ringo_uapi::signal::SIGINT);
        assert_eq!(test_hooks::signals_to(pgid), [ringo_uapi::signal::SIGINT]);
    }
}
