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

/// The slots not lent to the device, and which slot each token carries.
pub type FreeSlots = ringo_devices::virtqueue::FreeSlots<{ crate::drivers::virtio::QUEUE_SIZE }>;
pub type TokenMap = ringo_devices::virtqueue::TokenMap<{ crate::drivers::virtio::QUEUE_SIZE }>;
