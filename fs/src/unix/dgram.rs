//! A datagram socket's receive queue: whole messages with their sender's
//! address and any descriptors, in order. As on Linux, a receiver takes at
//! most net.unix.max_dgram_qlen + 1 (11) messages from senders other than
//! its own connected peer before they must wait; the bytes held are
//! bounded by SO_SNDBUF for everyone; one datagram may be SO_SNDBUF - 32
//! bytes (larger is EMSGSIZE).

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ringo_uapi::Errno;

use super::SNDBUF;
use crate::vfs::{ReadBuf, read_to_vec};

/// /proc/sys/net/unix/max_dgram_qlen's default.
pub const MAX_DGRAM_QLEN: usize = 10;
/// The largest datagram: Linux refuses `len > sk_sndbuf - 32`.
pub const MAX_DATAGRAM: usize = SNDBUF - 32;

pub struct Datagram<A, R> {
    pub data: Vec<u8>,
    pub from: A,
    pub rights: Option<R>,
}

impl<A, R> Datagram<A, R> {
    /// A datagram of all of `src`'s bytes (EMSGSIZE when too large).
    pub fn read(src: &mut dyn ReadBuf, from: A, rights: Option<R>) -> Result<Self, Errno> {
        if src.len() > MAX_DATAGRAM {
            return Err(Errno::EMSGSIZE);
        }
        let data = read_to_vec(src, MAX_DATAGRAM)?;
        Ok(Datagram { data, from, rights })
    }
}

pub struct DgramQueue<A, R> {
    queue: VecDeque<Datagram<A, R>>,
    bytes: usize,
}

impl<A, R> Default for DgramQueue<A, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A, R> DgramQueue<A, R> {
    pub const fn new() -> Self {
        DgramQueue { queue: VecDeque::new(), bytes: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Messages queued.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether a sender must wait before a message of `len` bytes goes in.
    /// `from_peer`: the sender is the socket this one is connected to,
    /// which Linux exempts from the message count.
    pub fn is_full_for(&self, len: usize, from_peer: bool) -> bool {
        if self.queue.is_empty() {
            return false;
        }
        (!from_peer && self.queue.len() > MAX_DGRAM_QLEN) || self.bytes + len > SNDBUF
    }

    /// Queues `d`; when full it comes back with EAGAIN (ENOMEM when the
    /// queue cannot grow).
    pub fn push(&mut self, d: Datagram<A, R>, from_peer: bool) -> Result<(), (Errno, Datagram<A, R>)> {
        if self.is_full_for(d.data.len(), from_peer) {
            return Err((Errno::EAGAIN, d));
        }
        if self.queue.try_reserve(1).is_err() {
            return Err((Errno::ENOMEM, d));
        }
        self.bytes += d.data.len();
        self.queue.push_back(d);
        Ok(())
    }

    /// The next message, left in place (MSG_PEEK).
    pub fn front(&self) -> Option<&Datagram<A, R>> {
        self.queue.front()
    }

    pub fn pop(&mut self) -> Option<Datagram<A, R>> {
        let d = self.queue.pop_front()?;
        self.bytes -= d.data.len();
        Some(d)
    }

    /// FIONREAD on a datagram socket: the next message's size.
    pub fn next_len(&self) -> usize {
        self.queue.front().map_or(0, |d| d.data.len())
    }

    /// Everything queued, for a socket that closes (dropped by the caller
    /// outside its lock: descriptors in it may be sockets that lock too).
    pub fn take_all(&mut self) -> VecDeque<Datagram<A, R>> {
        self.bytes = 0;
        core::mem::take(&mut self.queue)
    }
}
