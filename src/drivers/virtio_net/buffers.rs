//! Frame buffers shared with the device: one physically contiguous area
//! per queue, cut into fixed slots, allocated once at set-up so that the
//! interrupt path never allocates.

use crate::arch::paging;

/// Room for the 12-byte header and a 1514-byte frame, and a power of two
/// so that no slot straddles a page.
pub const BUF_SIZE: usize = 2048;

pub struct BufferArea {
    virt: u64,
    slots: usize,
}

impl BufferArea {
    pub fn new(slots: usize) -> Option<BufferArea> {
        let pages = (slots * BUF_SIZE).div_ceil(4096);
        let phys = crate::mem::alloc_frames(pages)?;
        Some(BufferArea { virt: paging::phys_to_virt(phys), slots })
    }

    /// Slot `slot` as a byte slice. The caller owns the slot: it is either
    /// free, or lent to the device, which the virtqueue bookkeeping
    /// tracks (a lent slot is only touched again after the device used it).
    #[allow(clippy::mut_from_ref)]
    pub fn slot(&self, slot: u16) -> &mut [u8] {
        let slot = (slot as usize).min(self.slots - 1);
        // SAFETY: the area is `slots * BUF_SIZE` bytes of frames owned by
        // this queue for ever; each slot is used by one owner at a time (see
        // above) under the queue's lock.
        unsafe { core::slice::from_raw_parts_mut((self.virt + (slot * BUF_SIZE) as u64) as *mut u8, BUF_SIZE) }
    }
}

/// The slots not lent to the device: a fixed stack, no allocation.
pub struct FreeSlots {
    stack: [u16; super::super::virtio::QUEUE_SIZE],
    len: usize,
}

impl FreeSlots {
    /// Every slot free.
    pub fn full() -> FreeSlots {
        let mut stack = [0u16; super::super::virtio::QUEUE_SIZE];
        for (i, s) in stack.iter_mut().enumerate() {
            *s = i as u16;
        }
        FreeSlots { stack, len: stack.len() }
    }

    pub fn pop(&mut self) -> Option<u16> {
        self.len = self.len.checked_sub(1)?;
        Some(self.stack[self.len])
    }

    pub fn push(&mut self, slot: u16) {
        if let Some(s) = self.stack.get_mut(self.len) {
            *s = slot;
            self.len += 1;
        }
    }
}
