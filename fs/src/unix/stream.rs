//! A connection between two stream (or seqpacket) sockets: side 0 and
//! side 1, each reading its own queue of what the other sent, with the
//! shutdown bits of each side as Linux keeps them (`sk_shutdown`).
//!
//! - A queue holds what one side sent and the other has not read, up to
//!   SO_SNDBUF bytes: Linux charges them to the sender until they are read.
//! - Stream reads glue sends together but stop after the bytes of a send
//!   that carried descriptors (which the read takes with its first byte),
//!   so descriptors arrive with the data they were sent with.
//! - A seqpacket read takes one record; what does not fit is dropped
//!   (MSG_TRUNC).
//! - Closing a side shuts the other side down both ways; if the closing
//!   side left bytes unread, or never was accepted, the other side's next
//!   read that finds nothing says ECONNRESET once, as Linux does.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use ringo_uapi::Errno;

use super::SNDBUF;
use crate::readiness::PollEvents;
use crate::vfs::{ReadBuf, WriteBuf};

/// `sk_shutdown` bits: shutdown(SHUT_RD) sets RCV, SHUT_WR sets SEND.
pub const RCV_SHUTDOWN: u8 = 1;
pub const SEND_SHUTDOWN: u8 = 2;
pub const SHUTDOWN_MASK: u8 = 3;

const EPOLLRDHUP: u32 = 0x2000;
/// Segments that carry no descriptors grow up to this before a new one
/// starts, so a stream of small writes does not become one block each.
const SEGMENT: usize = 64 * 1024;

pub struct Segment<R> {
    data: Vec<u8>,
    read: usize,
    rights: Option<R>,
}

#[derive(Default)]
struct Queue<R> {
    segs: VecDeque<Segment<R>>,
    bytes: usize,
}

/// What a read returned.
#[derive(Debug, PartialEq, Eq)]
pub struct Received<R> {
    /// Bytes copied out.
    pub len: usize,
    /// A seqpacket record's full length (MSG_TRUNC reports it); `len` for streams.
    pub full_len: usize,
    pub rights: Option<R>,
}

pub struct Pair<R> {
    /// `queues[s]`: what side `s` reads.
    queues: [Queue<R>; 2],
    shut: [u8; 2],
    closed: [bool; 2],
    /// ECONNRESET pending for the side.
    reset: [bool; 2],
    records: bool,
    capacity: usize,
}

/// Bytes and descriptors a closed side left, to be dropped by the caller
/// after it lets go of the lock around the pair.
pub type Leftovers<R> = VecDeque<Segment<R>>;

impl<R: Clone> Pair<R> {
    /// A connected pair; `records` for SOCK_SEQPACKET.
    pub fn new(records: bool) -> Self {
        Pair {
            queues: [Queue { segs: VecDeque::new(), bytes: 0 }, Queue { segs: VecDeque::new(), bytes: 0 }],
            shut: [0; 2],
            closed: [false; 2],
            reset: [false; 2],
            records,
            capacity: SNDBUF,
        }
    }

    #[cfg(test)]
    pub(super) fn with_capacity(records: bool, capacity: usize) -> Self {
        Pair { capacity, ..Self::new(records) }
    }

    /// The shutdown bits of `side`.
    pub fn shutdown_bits(&self, side: usize) -> u8 {
        self.shut[side]
    }

    /// Sends `src` from `side`; takes `rights` when any byte goes. EPIPE
    /// once either end stopped this direction; EAGAIN without room (a
    /// record must fit whole: EMSGSIZE if it never can).
    pub fn send(&mut self, side: usize, src: &mut dyn ReadBuf, rights: &mut Option<R>) -> Result<usize, Errno> {
        let peer = side ^ 1;
        if self.shut[side] & SEND_SHUTDOWN != 0 || self.shut[peer] & RCV_SHUTDOWN != 0 || self.closed[peer] {
            return Err(Errno::EPIPE);
        }
        let want = src.len();
        let room = self.capacity.saturating_sub(self.queues[peer].bytes);
        let n = if self.records {
            if want > self.capacity {
                return Err(Errno::EMSGSIZE);
            }
            if room < want {
                return Err(Errno::EAGAIN);
            }
            want
        } else {
            if want == 0 {
                return Ok(0);
            }
            if room == 0 {
                return Err(Errno::EAGAIN);
            }
            want.min(room)
        };
        let q = &mut self.queues[peer];
        let glue = !self.records
            && rights.is_none()
            && q.segs.back().is_some_and(|s| s.rights.is_none() && s.data.len() + n <= SEGMENT);
        if !glue {
            q.segs.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            q.segs.push_back(Segment { data: Vec::new(), read: 0, rights: None });
        }
        let Some(seg) = q.segs.back_mut() else { return Err(Errno::ENOMEM) };
        let got = match fill(&mut seg.data, src, n) {
            Ok(got) => got,
            Err(e) => {
                if !glue {
                    q.segs.pop_back();
                }
                return Err(e);
            }
        };
        if !glue {
            seg.rights = rights.take();
        }
        q.bytes += got;
        Ok(got)
    }

    /// Reads into `dst` on `side` (a copy of the descriptors with
    /// `peek`). Empty: ECONNRESET once if the peer reset, 0 after a
    /// shutdown of this direction, else EAGAIN.
    pub fn recv(&mut self, side: usize, dst: &mut dyn WriteBuf, peek: bool) -> Result<Received<R>, Errno> {
        let q = &mut self.queues[side];
        if q.segs.is_empty() {
            if core::mem::take(&mut self.reset[side]) {
                return Err(Errno::ECONNRESET);
            }
            if self.shut[side] & RCV_SHUTDOWN != 0 {
                return Ok(Received { len: 0, full_len: 0, rights: None });
            }
            return Err(Errno::EAGAIN);
        }
        if self.records {
            let Some(seg) = q.segs.front() else { return Err(Errno::EAGAIN) };
            let full_len = seg.data.len();
            let len = dst.write(&seg.data)?;
            if peek {
                return Ok(Received { len, full_len, rights: seg.rights.clone() });
            }
            let Some(seg) = q.segs.pop_front() else { return Err(Errno::EAGAIN) };
            q.bytes -= seg.data.len();
            return Ok(Received { len, full_len, rights: seg.rights });
        }
        let mut moved = 0usize;
        let mut rights = None;
        let mut i = 0;
        while i < q.segs.len() && !dst.is_empty() {
            let seg = &mut q.segs[i];
            let n = match dst.write(&seg.data[seg.read..]) {
                Ok(n) => n,
                Err(e) if moved == 0 => return Err(e),
                Err(_) => break,
            };
            moved += n;
            let carried = seg.rights.is_some();
            if peek {
                rights = seg.rights.clone();
                i += 1;
            } else {
                rights = seg.rights.take();
                seg.read += n;
                q.bytes -= n;
                if seg.read == seg.data.len() {
                    q.segs.pop_front();
                } else {
                    i += 1;
                }
            }
            if carried {
                break;
            }
        }
        Ok(Received { len: moved, full_len: moved, rights })
    }

    /// shutdown(2) from `side`: `mode` is RCV_SHUTDOWN and/or
    /// SEND_SHUTDOWN; the peer gets the mirror image.
    pub fn shutdown(&mut self, side: usize, mode: u8) {
        self.shut[side] |= mode & SHUTDOWN_MASK;
        let mut mirror = 0;
        if mode & RCV_SHUTDOWN != 0 {
            mirror |= SEND_SHUTDOWN;
        }
        if mode & SEND_SHUTDOWN != 0 {
            mirror |= RCV_SHUTDOWN;
        }
        self.shut[side ^ 1] |= mirror;
    }

    /// The last file of `side` closed (`embryo`: a connection its
    /// listener never accepted). Returns what `side` left unread.
    pub fn close(&mut self, side: usize, embryo: bool) -> Leftovers<R> {
        let peer = side ^ 1;
        self.closed[side] = true;
        self.shut[side] = SHUTDOWN_MASK;
        if !self.closed[peer] {
            self.shut[peer] = SHUTDOWN_MASK;
            if embryo || !self.queues[side].segs.is_empty() {
                self.reset[peer] = true;
            }
        }
        self.queues[side].bytes = 0;
        core::mem::take(&mut self.queues[side].segs)
    }

    pub fn peer_closed(&self, side: usize) -> bool {
        self.closed[side ^ 1]
    }

    /// Bytes `side` can read (FIONREAD: all queued, for both kinds).
    pub fn pending(&self, side: usize) -> usize {
        self.queues[side].bytes
    }

    /// unix_poll for `side`.
    pub fn poll(&self, side: usize) -> PollEvents {
        let mut ev = PollEvents::empty();
        if self.reset[side] {
            ev |= PollEvents::ERR;
        }
        if self.shut[side] == SHUTDOWN_MASK {
            ev |= PollEvents::HUP;
        }
        if self.shut[side] & RCV_SHUTDOWN != 0 {
            ev |= PollEvents::from_bits(EPOLLRDHUP) | PollEvents::READABLE;
        }
        if !self.queues[side].segs.is_empty() {
            ev |= PollEvents::READABLE;
        }
        // Linux's unix_writable: what this side sent and the peer has not
        // read is at most a quarter of the buffer (so also after the peer
        // shut down: a writer then learns EPIPE instead of waiting).
        if self.queues[side ^ 1].bytes * 4 <= self.capacity {
            ev |= PollEvents::WRITABLE | PollEvents::WRBAND;
        }
        ev
    }

    /// Room for a blocked writer on `side` to try again.
    pub fn can_send(&self, side: usize) -> bool {
        let peer = side ^ 1;
        self.shut[side] & SEND_SHUTDOWN != 0
            || self.shut[peer] & RCV_SHUTDOWN != 0
            || self.closed[peer]
            || self.queues[peer].bytes < self.capacity
    }
}

/// Appends up to `n` bytes of `src` to `data`, growing it fallibly; on a
/// fault nothing is kept.
fn fill(data: &mut Vec<u8>, src: &mut dyn ReadBuf, n: usize) -> Result<usize, Errno> {
    let old = data.len();
    data.try_reserve(n).map_err(|_| Errno::ENOMEM)?;
    data.resize(old + n, 0);
    match src.read(&mut data[old..]) {
        Ok(got) => {
            data.truncate(old + got);
            Ok(got)
        }
        Err(e) => {
            data.truncate(old);
            Err(e)
        }
    }
}
