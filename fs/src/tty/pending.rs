//! Bytes received while the terminal's lock was held. `Tty::receive` runs
//! in interrupt context, where spinning on a lock the interrupted code holds
//! would never end; it parks the byte here instead and whoever holds the
//! lock processes it before letting go. Single producer (the one input
//! path), single consumer (the lock holder), no locks.

use core::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

const SLOTS: usize = 256;

pub(super) struct PendingInput {
    slots: [AtomicU8; SLOTS],
    /// Counts of bytes taken and put, ever (wrapping); their difference is
    /// what is parked.
    taken: AtomicUsize,
    put: AtomicUsize,
}

impl PendingInput {
    pub const fn new() -> PendingInput {
        PendingInput {
            slots: [const { AtomicU8::new(0) }; SLOTS],
            taken: AtomicUsize::new(0),
            put: AtomicUsize::new(0),
        }
    }

    /// Parks a byte; false when full (the byte is lost, like a UART overrun).
    pub fn push(&self, byte: u8) -> bool {
        let put = self.put.load(Ordering::Relaxed);
        if put.wrapping_sub(self.taken.load(Ordering::Acquire)) >= SLOTS {
            return false;
        }
        self.slots[put % SLOTS].store(byte, Ordering::Relaxed);
        self.put.store(put.wrapping_add(1), Ordering::Release);
        true
    }

    pub fn pop(&self) -> Option<u8> {
        let taken = self.taken.load(Ordering::Relaxed);
        if taken == self.put.load(Ordering::Acquire) {
            return None;
        }
        let byte = self.slots[taken % SLOTS].load(Ordering::Relaxed);
        self.taken.store(taken.wrapping_add(1), Ordering::Release);
        Some(byte)
    }

    pub fn is_empty(&self) -> bool {
        self.taken.load(Ordering::Acquire) == self.put.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_out_in_order_and_overflow_is_refused() {
        let p = PendingInput::new();
        assert!(p.is_empty());
        for i in 0..SLOTS {
            assert!(p.push(i as u8));
        }
        assert!(!p.push(0xff));
        for i in 0..SLOTS {
            assert_eq!(p.pop(), Some(i as u8));
        }
        assert_eq!(p.pop(), None);
        assert!(p.push(7));
        assert_eq!(p.pop(), Some(7));
        assert!(p.is_empty());
    }
}
