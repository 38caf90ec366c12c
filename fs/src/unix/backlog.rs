//! A listening socket's queue of connections not yet accepted. As on
//! Linux (unix_recvq_full), a listener with backlog N holds N + 1 before
//! a connect must wait; listen(2) on a listener changes N in place.

use alloc::collections::VecDeque;

use ringo_uapi::Errno;

pub struct Backlog<T> {
    queue: VecDeque<T>,
    max: usize,
}

impl<T> Backlog<T> {
    /// `max` is listen's backlog after the caller's clamping to somaxconn.
    pub const fn new(max: usize) -> Self {
        Backlog { queue: VecDeque::new(), max }
    }

    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.queue.len() > self.max
    }

    /// Queues a connection; when full (EAGAIN) or out of memory (ENOMEM)
    /// it comes back with the error.
    pub fn push(&mut self, conn: T) -> Result<(), (Errno, T)> {
        if self.is_full() {
            return Err((Errno::EAGAIN, conn));
        }
        if self.queue.try_reserve(1).is_err() {
            return Err((Errno::ENOMEM, conn));
        }
        self.queue.push_back(conn);
        Ok(())
    }

    /// The oldest connection (accept takes them in order).
    pub fn pop(&mut self) -> Option<T> {
        self.queue.pop_front()
    }

    /// Everything still queued, for a listener that closes.
    pub fn take_all(&mut self) -> VecDeque<T> {
        core::mem::take(&mut self.queue)
    }
}
