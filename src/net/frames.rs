//! Buffers for IP packets in flight between the receive interrupt and the
//! thread that processes them (a flow's channel holds these). They come
//! from one lock-free pool filled at start-up, so the interrupt path takes
//! a buffer without allocating or locking; a packet that finds the pool
//! empty is dropped and counted, like a full channel.

use alloc::boxed::Box;

use crossbeam_queue::ArrayQueue;

/// Room for an IPv4 packet of the Ethernet MTU.
pub const FRAME_BYTES: usize = 1536;
/// Buffers in the pool: room for several busy flows' backlogs (3 MiB),
/// but never more than 1/64 of free memory (a tiny guest keeps booting).
const POOL_BUFFERS: usize = 2048;
const MIN_POOL_BUFFERS: usize = 64;

type Buf = Box<[u8; FRAME_BYTES]>;

static POOL: spin::Once<ArrayQueue<Buf>> = spin::Once::new();

/// One IP packet (no Ethernet header).
pub struct Frame {
    buf: Option<Buf>,
    len: usize,
    /// The transport checksum is known good (the device said so, or the
    /// packet is our own, looped back): no need to check it again.
    pub verified: bool,
}

impl Frame {
    /// A copy of `packet` in a pool buffer; None if the pool is empty or
    /// the packet too long.
    pub fn copy_of(packet: &[u8], verified: bool) -> Option<Frame> {
        if packet.len() > FRAME_BYTES {
            return None;
        }
        let mut buf = POOL.get()?.pop()?;
        buf[..packet.len()].copy_from_slice(packet);
        Some(Frame { buf: Some(buf), len: packet.len(), verified })
    }

    pub fn bytes(&self) -> &[u8] {
        match &self.buf {
            Some(b) => &b[..self.len],
            None => &[],
        }
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if let (Some(buf), Some(pool)) = (self.buf.take(), POOL.get()) {
            let _ = pool.push(buf);
        }
    }
}

/// Fills the pool (once, at network start-up; allocation may fail on a
/// tiny guest, which then simply has fewer buffers).
pub fn init() {
    POOL.call_once(|| {
        let free = crate::mem::frame_stats().free_pages as usize * 4096;
        let count = (free / 64 / FRAME_BYTES).clamp(MIN_POOL_BUFFERS, POOL_BUFFERS);
        let q = ArrayQueue::new(count);
        for _ in 0..count {
            // Fallible: Box::new would stop the kernel on a tiny guest.
            let mut v = alloc::vec::Vec::new();
            if v.try_reserve_exact(FRAME_BYTES).is_err() {
                break;
            }
            v.resize(FRAME_BYTES, 0u8);
            let Ok(b) = Buf::try_from(v.into_boxed_slice()) else { break };
            let _ = q.push(b);
        }
        q
    });
}
