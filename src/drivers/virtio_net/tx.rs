//! A transmit queue: slots are taken from a free stack, filled in place
//! (the header zeroed: no offload asked for), lent to the device, and
//! reclaimed when the device has used them, on the next send or its
//! interrupt. A full ring drops the frame (counted), never waits.

use super::buffers::{BUF_SIZE, BufferArea, FreeSlots, TokenMap};
use crate::drivers::virtio::{NotifyingQueue, QUEUE_SIZE};

pub struct TxQueue {
    pub q: NotifyingQueue,
    area: BufferArea,
    free: FreeSlots,
    slot_of_token: TokenMap,
    hdr_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxError {
    /// Every slot is with the device.
    RingFull,
    /// The frame was empty or larger than a slot.
    BadLength,
}

impl TxQueue {
    pub fn new(q: NotifyingQueue, hdr_len: usize) -> Option<TxQueue> {
        Some(TxQueue {
            q,
            area: BufferArea::new(QUEUE_SIZE)?,
            free: FreeSlots::full(),
            slot_of_token: TokenMap::new(),
            hdr_len,
        })
    }

    /// Takes back the slots the device has sent.
    pub fn reclaim(&mut self) {
        while let Some(token) = self.q.queue.peek_used() {
            let Some(slot) = self.slot_of_token.take(token) else {
                log::warn!("virtio-net: the device returned transmit token {token}, which it does not hold");
                return;
            };
            let buf = self.area.slot(slot);
            // SAFETY: the slot lent with this token (its length does not
            // matter to the crate's bookkeeping beyond the shared range).
            if unsafe { self.q.queue.pop_used(token, &[buf], &mut []) }.is_err() {
                return;
            }
            self.free.push(slot);
        }
    }

    /// Sends the frame `fill` writes into the slot (returning its length).
    /// The doorbell rings only if the device asked for it.
    pub fn send(&mut self, fill: &mut dyn FnMut(&mut [u8]) -> usize) -> Result<usize, TxError> {
        self.reclaim();
        let Some(slot) = self.free.pop() else {
            // Every slot is with the device and none came back: ring its
            // doorbell whatever the event index says. QEMU 7.2's transmit
            // path behind a backend that pushes back (a full socket) was
            // seen to wait for a notification the event index had not
            // asked for; a spurious one is always allowed (virtio 1.2,
            // 2.7.10), and this costs one exit per full ring.
            self.q.kick();
            return Err(TxError::RingFull);
        };
        let buf = self.area.slot(slot);
        buf[..self.hdr_len].fill(0);
        let len = fill(&mut buf[self.hdr_len..]);
        if len == 0 || len > BUF_SIZE - self.hdr_len {
            self.free.push(slot);
            return Err(TxError::BadLength);
        }
        let buf = &self.area.slot(slot)[..self.hdr_len + len];
        // SAFETY: the slot is not touched again until `reclaim` sees the
        // device has used it.
        match unsafe { self.q.queue.add(&[buf], &mut []) } {
            Ok(token) => {
                self.slot_of_token.lend(token, slot);
                self.q.added_one();
                self.q.notify_if_needed();
                Ok(len)
            }
            Err(_) => {
                self.free.push(slot);
                Err(TxError::RingFull)
            }
        }
    }
}
