//! virtio, on the `virtio-drivers` crate's transports and `VirtQueue`:
//! the DMA `Hal` (a direct-map translation), discovery on the MMIO slots
//! and on PCI, and what the crate leaves out and a multiqueue driver
//! needs: a doorbell per queue that any CPU rings without the transport's
//! lock, and a notification check that survives index wrap-around.

pub mod mmio;
pub mod pci;
mod recording;

use core::ptr::NonNull;
use core::sync::atomic::{Ordering, fence};

use virtio_drivers::{BufferDirection, Hal, PhysAddr};

use crate::arch::paging::{self, KERNEL_VIRT, PHYS_OFFSET};

pub use recording::Recording;

/// Every virtio queue Ringo makes has this many entries (QEMU's default
/// for virtio-net, and what its MMIO transport offers at most).
pub const QUEUE_SIZE: usize = 256;
pub type Queue = virtio_drivers::queue::VirtQueue<RingoHal, QUEUE_SIZE>;

pub struct RingoHal;

/// The physical address of a kernel buffer: it lies in the direct map
/// (frames, heap) or in the kernel image.
pub fn virt_to_phys(addr: u64) -> u64 {
    if addr >= KERNEL_VIRT { paging::kernel_virt_to_phys(addr) } else { addr - PHYS_OFFSET }
}

// SAFETY: DMA memory comes from the frame allocator, zeroed and
// physically contiguous, and is seen by the device at its physical
// address (no IOMMU); `share` translates direct-map and image addresses,
// both physically contiguous ranges.
unsafe impl Hal for RingoHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match crate::mem::alloc_frames(pages) {
            Some(phys) => {
                let virt = paging::phys_to_virt(phys) as *mut u8;
                // SAFETY: `pages` fresh frames, mapped at `virt` by the direct map.
                unsafe { core::ptr::write_bytes(virt, 0, pages * 4096) };
                // SAFETY: direct-map addresses are never null.
                (phys, unsafe { NonNull::new_unchecked(virt) })
            }
            None => (0, NonNull::dangling()),
        }
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        // SAFETY: the crate hands back what `dma_alloc` gave it, once.
        unsafe { crate::mem::free_frames(paddr, pages) };
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        match paging::map_mmio(paddr, size as u64) {
            // SAFETY: MMIO window addresses are in the upper half, never null.
            Ok(virt) => unsafe { NonNull::new_unchecked(virt as *mut u8) },
            Err(_) => NonNull::dangling(),
        }
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        virt_to_phys(buffer.as_ptr() as *mut u8 as u64)
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

/// Where a queue's notifications go: one register write, from any CPU.
#[derive(Clone, Copy)]
pub enum Doorbell {
    /// virtio-mmio's QueueNotify: the queue's index as a 32-bit write.
    Mmio32 { register: u64, queue: u16 },
    /// virtio-pci's notify area for this queue: its index as a 16-bit write.
    Pci16 { register: u64, queue: u16 },
}

impl Doorbell {
    pub fn ring(&self) {
        match *self {
            // SAFETY: the register is mapped uncached for the device's lifetime.
            Doorbell::Mmio32 { register, queue } => unsafe {
                core::ptr::write_volatile(register as *mut u32, queue as u32)
            },
            // SAFETY: as above.
            Doorbell::Pci16 { register, queue } => unsafe { core::ptr::write_volatile(register as *mut u16, queue) },
        }
    }
}

/// A queue with its doorbell and the notification bookkeeping the crate's
/// `should_notify` gets wrong after 65,536 buffers (it compares indices
/// without wrapping).
pub struct NotifyingQueue {
    pub queue: Queue,
    doorbell: Doorbell,
    /// The used ring's `avail_event` word, when EVENT_IDX was negotiated.
    avail_event: Option<u64>,
    /// Buffers added so far (the avail index the crate keeps), and its
    /// value at the last notification.
    added: u16,
    notified_at: u16,
}

impl NotifyingQueue {
    /// `device_area` is the used ring's physical address (from
    /// [`Recording`]).
    pub fn new(queue: Queue, doorbell: Doorbell, event_idx: bool, device_area: u64) -> NotifyingQueue {
        let avail_event = event_idx.then(|| paging::phys_to_virt(device_area) + 4 + 8 * QUEUE_SIZE as u64);
        NotifyingQueue { queue, doorbell, avail_event, added: 0, notified_at: 0 }
    }

    /// Counts one buffer added to the available ring.
    pub fn added_one(&mut self) {
        self.added = self.added.wrapping_add(1);
    }

    /// Rings the doorbell if the device asked to hear of the buffers
    /// added since the last time (one exit for a whole batch).
    pub fn notify_if_needed(&mut self) {
        if self.added == self.notified_at {
            return;
        }
        // The avail index store must be visible before we read what the
        // device last asked for, or both sides could wait for the other.
        fence(Ordering::SeqCst);
        let needed = match self.avail_event {
            Some(addr) => {
                // SAFETY: the used ring lives as long as the queue, and the
                // device writes this word; a volatile read sees its value.
                let event = unsafe { core::ptr::read_volatile(addr as *const u16) };
                ringo_devices::virtqueue::need_event(event, self.added, self.notified_at)
            }
            None => self.queue.should_notify(),
        };
        self.notified_at = self.added;
        if needed {
            self.doorbell.ring();
        }
    }

    /// Rings the doorbell unconditionally (after set-up).
    pub fn kick(&mut self) {
        self.notified_at = self.added;
        self.doorbell.ring();
    }
}
