//! The physical frame allocator: a buddy allocator (`buddy_system_allocator`)
//! whose free lists live inside the free frames themselves, reached through
//! the kernel's direct map. It therefore needs no heap, so the kernel heap can
//! grow from it without the two locks ever nesting the other way round.

use buddy_system_allocator::Heap;
use core::alloc::Layout;
use core::ptr::NonNull;

use crate::PAGE_SIZE;

/// Largest block is 2^(ORDER-1) bytes (1 GiB); larger ranges are split.
const ORDER: usize = 31;

/// A physical address of a frame.
pub type PhysAddr = u64;

pub struct FrameAllocator {
    buddy: Heap<ORDER>,
    /// Virtual address of physical 0 (the direct map).
    phys_offset: u64,
    total_pages: u64,
    free_pages: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub total_pages: u64,
    pub free_pages: u64,
}

impl FrameAllocator {
    /// An empty allocator for memory visible at `phys + phys_offset`.
    pub const fn new(phys_offset: u64) -> Self {
        FrameAllocator { buddy: Heap::new(), phys_offset, total_pages: 0, free_pages: 0 }
    }

    /// Hands `[start, end)` (shrunk to whole pages) to the allocator.
    ///
    /// # Safety
    /// The range must be free RAM that nothing else uses, mapped writable at
    /// `phys + phys_offset`, and not already added.
    pub unsafe fn add_range(&mut self, start: PhysAddr, end: PhysAddr) {
        let (start, end) = (crate::align_up(start, PAGE_SIZE), crate::align_down(end, PAGE_SIZE));
        if start >= end {
            return;
        }
        // SAFETY: the caller guarantees the range is unused, writable RAM
        // reached through the direct map.
        unsafe {
            self.buddy.add_to_heap((start + self.phys_offset) as usize, (end + self.phys_offset) as usize);
        }
        let pages = (end - start) / PAGE_SIZE;
        self.total_pages += pages;
        self.free_pages += pages;
    }

    fn layout(pages: usize) -> Option<Layout> {
        let size = pages.checked_next_power_of_two()?.checked_mul(PAGE_SIZE as usize)?;
        Layout::from_size_align(size, size).ok()
    }

    /// `pages` contiguous frames, aligned to `pages` rounded up to a power
    /// of two (what page tables and huge pages need). Contents are stale.
    pub fn alloc(&mut self, pages: usize) -> Option<PhysAddr> {
        if pages == 0 {
            return None;
        }
        let layout = Self::layout(pages)?;
        let ptr = self.buddy.alloc(layout).ok()?;
        self.free_pages -= (layout.size() as u64) / PAGE_SIZE;
        Some(ptr.as_ptr() as u64 - self.phys_offset)
    }

    /// Returns frames from [`alloc`](Self::alloc) with the same `pages`.
    ///
    /// # Safety
    /// `addr` must come from `alloc(pages)` on this allocator and no longer
    /// be used.
    pub unsafe fn free(&mut self, addr: PhysAddr, pages: usize) {
        let Some(layout) = Self::layout(pages) else { return };
        let virt = addr + self.phys_offset;
        // SAFETY: the caller returns a block this allocator handed out with
        // the same layout, so it is non-null, mapped and no longer in use.
        unsafe { self.buddy.dealloc(NonNull::new_unchecked(virt as *mut u8), layout) };
        self.free_pages += (layout.size() as u64) / PAGE_SIZE;
    }

    pub fn stats(&self) -> Stats {
        Stats { total_pages: self.total_pages, free_pages: self.free_pages }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A fake "physical memory" of `pages` frames starting at physical
    /// `base`, backed by a host buffer.
    struct FakeRam {
        buf: Vec<u8>,
        pages: u64,
        base: u64,
    }

    const ALIGN: u64 = 1 << 22;

    impl FakeRam {
        fn new(pages: u64, base: u64) -> Self {
            // Room to align the buffer so that virtual alignment matches
            // physical alignment for blocks up to 4 MiB.
            FakeRam { buf: vec![0u8; (pages * PAGE_SIZE + ALIGN) as usize], pages, base }
        }

        /// An allocator over the given physical sub-ranges of this RAM.
        fn allocator(&mut self, ranges: &[(u64, u64)]) -> FrameAllocator {
            let aligned = crate::align_up(self.buf.as_mut_ptr() as u64, ALIGN);
            let mut fa = FrameAllocator::new(aligned - self.base);
            for &(s, e) in ranges {
                assert!(s >= self.base && e <= self.base + self.pages * PAGE_SIZE);
                // SAFETY: the range lies inside our private buffer.
                unsafe { fa.add_range(s, e) };
            }
            fa
        }
    }

    const BASE: u64 = 0x10_0000;

    #[test]
    fn hands_out_every_frame_once_and_only_from_its_ranges() {
        let mut ram = FakeRam::new(512, BASE);
        let ranges = [(BASE, BASE + 100 * PAGE_SIZE), (BASE + 200 * PAGE_SIZE + 123, BASE + 300 * PAGE_SIZE)];
        let mut fa = ram.allocator(&ranges);
        // The second range loses its partial first page.
        assert_eq!(fa.stats().total_pages, 100 + 99);

        let mut seen = HashSet::new();
        while let Some(f) = fa.alloc(1) {
            assert_eq!(f % PAGE_SIZE, 0);
            assert!(ranges.iter().any(|&(s, e)| f >= s && f + PAGE_SIZE <= e), "frame {f:#x} outside ranges");
            assert!(seen.insert(f), "frame {f:#x} handed out twice");
        }
        assert_eq!(seen.len(), 199);
        assert_eq!(fa.stats().free_pages, 0);

        for f in seen {
            // SAFETY: each frame came from alloc(1) above and is unused.
            unsafe { fa.free(f, 1) };
        }
        assert_eq!(fa.stats().free_pages, 199);
        // Freed frames coalesce again into large blocks.
        assert!(fa.alloc(64).is_some());
    }

    #[test]
    fn multi_page_blocks_are_aligned_and_disjoint() {
        let mut ram = FakeRam::new(1024, BASE);
        let mut fa = ram.allocator(&[(BASE, BASE + 1024 * PAGE_SIZE)]);
        let mut blocks = Vec::new();
        for pages in [1, 3, 8, 16, 5, 64] {
            let f = fa.alloc(pages).expect("enough memory");
            let span = (pages as u64).next_power_of_two() * PAGE_SIZE;
            assert_eq!(f % span, 0, "{pages} pages at {f:#x} not aligned to {span:#x}");
            for &(g, gspan) in &blocks {
                assert!(f + span <= g || g + gspan <= f, "blocks overlap");
            }
            blocks.push((f, span));
        }
        let used: u64 = blocks.iter().map(|b| b.1 / PAGE_SIZE).sum();
        assert_eq!(fa.stats().free_pages, 1024 - used);
    }

    #[test]
    fn written_frames_do_not_corrupt_the_free_lists() {
        let mut ram = FakeRam::new(256, BASE);
        let mut fa = ram.allocator(&[(BASE, BASE + 256 * PAGE_SIZE)]);
        let offset = fa.phys_offset;
        let a = fa.alloc(4).unwrap();
        // Fill the block as a user would.
        // SAFETY: the block is ours (alloc(4)) and lies in the test's buffer.
        unsafe { core::ptr::write_bytes((a + offset) as *mut u8, 0xa5, 4 * PAGE_SIZE as usize) };
        let b = fa.alloc(4).unwrap();
        assert_ne!(a, b);
        // SAFETY: from alloc(4), no longer used.
        unsafe { fa.free(a, 4) };
        let c = fa.alloc(4).unwrap();
        assert_eq!(c, a, "a freed block is reused first");
    }

    #[test]
    fn exhaustion_and_oversize_requests_fail_cleanly() {
        let mut ram = FakeRam::new(64, BASE);
        let mut fa = ram.allocator(&[(BASE, BASE + 16 * PAGE_SIZE)]);
        assert_eq!(fa.alloc(0), None);
        assert_eq!(fa.alloc(32), None);
        assert!(fa.alloc(16).is_some());
        assert_eq!(fa.alloc(1), None);
        assert_eq!(fa.alloc(usize::MAX), None);
    }
}
