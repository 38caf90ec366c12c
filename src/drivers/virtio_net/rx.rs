//! A receive queue: every slot is lent to the device at set-up and lent
//! again as soon as its frame has been handed on, so the ring stays full
//! and the interrupt path allocates nothing. With MRG_RXBUF a frame that
//! does not fit one slot spans several (`num_buffers`); Ringo posts slots
//! larger than any frame it negotiated, so such a frame is oversized and
//! dropped whole.

use core::sync::atomic::{Ordering, fence};

use ringo_net::virtio_hdr::VirtioNetHdr;

use super::buffers::{BUF_SIZE, BufferArea, TokenMap};
use crate::drivers::virtio::{NotifyingQueue, QUEUE_SIZE};

pub struct RxQueue {
    pub q: NotifyingQueue,
    area: BufferArea,
    slot_of_token: TokenMap,
    hdr_len: usize,
    /// Slots still to drop of an oversized frame.
    skip: u16,
}

/// What became of a used slot.
pub enum Received<'a> {
    Frame {
        frame: &'a mut [u8],
        hdr: VirtioNetHdr,
    },
    /// Part of a frame that spanned slots, or a used length that cannot be.
    Oversized,
    Malformed,
}

impl RxQueue {
    pub fn new(q: NotifyingQueue, hdr_len: usize) -> Option<RxQueue> {
        let area = BufferArea::new(QUEUE_SIZE)?;
        let mut rx = RxQueue { q, area, slot_of_token: TokenMap::new(), hdr_len, skip: 0 };
        for slot in 0..QUEUE_SIZE as u16 {
            rx.post(slot);
        }
        rx.q.kick();
        Some(rx)
    }

    fn post(&mut self, slot: u16) {
        let buf = self.area.slot(slot);
        // SAFETY: the slot stays untouched until the device returns it
        // (see `poll`), and the area lives for ever.
        match unsafe { self.q.queue.add(&[], &mut [buf]) } {
            Ok(token) => {
                self.slot_of_token.lend(token, slot);
                self.q.added_one();
            }
            Err(e) => log::warn!("virtio-net: cannot post a receive buffer: {e:?}"),
        }
    }

    /// Hands up to `budget` frames the device has filled to `deliver`,
    /// gives the slots back, and rings the doorbell once for the lot.
    /// Returns whether more are waiting (the budget ran out): the caller
    /// must come back, as the device will not interrupt for those.
    pub fn poll(&mut self, budget: usize, mut deliver: impl FnMut(Received<'_>)) -> bool {
        let mut done = 0;
        loop {
            while let Some(token) = self.q.queue.peek_used() {
                if done == budget {
                    self.q.notify_if_needed();
                    return true;
                }
                let Some(slot) = self.slot_of_token.take(token) else {
                    log::warn!("virtio-net: the device returned receive token {token}, which it does not hold");
                    return false;
                };
                let buf = self.area.slot(slot);
                // SAFETY: `buf` is the slot posted with this token.
                let used = match unsafe { self.q.queue.pop_used(token, &[], &mut [buf]) } {
                    Ok(len) => len as usize,
                    Err(e) => {
                        log::warn!("virtio-net: receive ring out of step: {e:?}");
                        return false;
                    }
                };
                done += 1;
                let buf = self.area.slot(slot);
                if self.skip > 0 {
                    self.skip -= 1;
                    deliver(Received::Oversized);
                } else if used < self.hdr_len || used > BUF_SIZE {
                    deliver(Received::Malformed);
                } else {
                    match VirtioNetHdr::read(&buf[..self.hdr_len], self.hdr_len) {
                        Some(hdr) if hdr.num_buffers > 1 => {
                            self.skip = hdr.num_buffers - 1;
                            deliver(Received::Oversized);
                        }
                        Some(hdr) => {
                            let (_, frame) = buf[..used].split_at_mut(self.hdr_len);
                            deliver(Received::Frame { frame, hdr });
                        }
                        None => deliver(Received::Malformed),
                    }
                }
                self.post(slot);
            }
            self.q.notify_if_needed();
            // The device may have used a slot after the last look but
            // before it saw the used_event we wrote while popping: look
            // again once our store is visible.
            fence(Ordering::SeqCst);
            if !self.q.queue.can_pop() {
                return false;
            }
        }
    }
}
