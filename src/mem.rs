//! Physical memory and the kernel heap. Frames come from the buddy frame
//! allocator (ringo_mm); the heap is a second buddy allocator that grows by
//! taking frames when it runs out, and blocks of 64 KiB and more are
//! frames of their own, returned when freed. The frame allocator never
//! allocates from the heap, so growing the heap cannot deadlock.
//!
//! Memory policy: programs (their pages, page tables, kernel stacks) take
//! frames only above a reserve that the heap alone may use, and file data
//! (ramfs) only above twice that; a program that exhausts memory is
//! OOM-killed (oom.rs), a full /tmp is ENOSPC, and the kernel's own
//! allocations still succeed meanwhile.
//!
//! The heap may be used from interrupt handlers, and it takes frames (to
//! grow, for large blocks): both locks are taken with interrupts off, so
//! an interrupt never spins on a lock the code it interrupted holds.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::sync::Mutex;
use buddy_system_allocator::Heap;
use ringo_mm::frames::{FrameAllocator, Stats};
use ringo_mm::memmap::MemoryMap;

use crate::arch::paging::{self, BOOT_DIRECT_MAP, PHYS_OFFSET, phys_to_virt};

pub static FRAMES: Mutex<FrameAllocator> = Mutex::new(FrameAllocator::new(PHYS_OFFSET));

/// The heap grows by at least this much at a time.
const HEAP_CHUNK_PAGES: usize = 1024; // 4 MiB

/// Frames only the kernel heap may take (set at boot: 1/64 of memory,
/// 1 to 8 MiB). Programs run out of memory first; the heap can still grow
/// for the kernel's own structures (the OOM killer's work, the victim's
/// exit, every other system call), so a shortage ends a process, not the
/// kernel.
static RESERVE_PAGES: AtomicU64 = AtomicU64::new(0);

pub fn alloc_frames(pages: usize) -> Option<u64> {
    crate::arch::without_interrupts(|| {
        let mut frames = FRAMES.lock();
        if frames.stats().free_pages < pages as u64 + RESERVE_PAGES.load(Ordering::Relaxed) {
            return None;
        }
        frames.alloc(pages)
    })
}

/// Whether file data (ramfs, on the heap) may take a block of `bytes`
/// (a power-of-two block, from the heap or the frames): it leaves twice
/// the reserve free, so that with /tmp full programs still fork and fault
/// pages in, and the kernel still has its reserve.
pub fn file_data_fits(bytes: usize) -> bool {
    let Some(block) = bytes.checked_next_power_of_two() else { return false };
    let keep = 2 * RESERVE_PAGES.load(Ordering::Relaxed);
    let free = frame_stats().free_pages.saturating_sub(keep);
    (block as u64).div_ceil(4096) <= free
}

/// # Safety
/// `addr` must come from `alloc_frames(pages)` and no longer be used.
pub unsafe fn free_frames(addr: u64, pages: usize) {
    // SAFETY: forwarded to the caller.
    crate::arch::without_interrupts(|| unsafe { FRAMES.lock().free(addr, pages) })
}

/// Extra references to frames mapped in more than one address space
/// (copy-on-write after fork, shared anonymous memory): frame -> count - 1.
/// A frame absent here has one owner.
static SHARED: Mutex<alloc::collections::BTreeMap<u64, u32>> = Mutex::new(alloc::collections::BTreeMap::new());

/// One more address space maps `frame`.
pub fn share_frame(frame: u64) {
    *SHARED.lock().entry(frame).or_insert(0) += 1;
}

/// How many address spaces map `frame`.
pub fn frame_users(frame: u64) -> u32 {
    SHARED.lock().get(&frame).map_or(1, |n| n + 1)
}

/// Drops one mapping of `frame`, freeing it with the last.
pub fn release_frame(frame: u64) {
    let mut shared = SHARED.lock();
    match shared.get_mut(&frame) {
        Some(n) if *n > 1 => *n -= 1,
        Some(_) => {
            shared.remove(&frame);
        }
        None => {
            drop(shared);
            // SAFETY: the last mapping of a frame from alloc_frames(1).
            unsafe { free_frames(frame, 1) };
        }
    }
}

pub fn frame_stats() -> Stats {
    crate::arch::without_interrupts(|| FRAMES.lock().stats())
}

#[derive(Debug)]
pub enum MemError {
    Paging(paging::PagingError),
}

impl core::fmt::Display for MemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MemError::Paging(e) => write!(f, "building the kernel page tables: {e:?}"),
        }
    }
}

/// Sets up the frame allocator, the kernel page tables and the heap.
///
/// # Safety
/// Call once on the boot CPU with the boot page tables active and `map`
/// holding every reservation (kernel image, modules, low memory).
pub unsafe fn init(map: &MemoryMap) -> Result<(), MemError> {
    let mut frames = FRAMES.lock();
    // Only memory the boot tables reach may hold the new page tables.
    for (s, e) in map.usable(4096) {
        if s < BOOT_DIRECT_MAP {
            // SAFETY: usable RAM, free of every reservation, mapped by the
            // boot tables' direct map.
            unsafe { frames.add_range(s, e.min(BOOT_DIRECT_MAP)) };
        }
    }
    // SAFETY: boot CPU, boot tables active, frames below 1 GiB only.
    unsafe { paging::init(map, &mut frames) }.map_err(MemError::Paging)?;
    for (s, e) in map.usable(4096) {
        if e > BOOT_DIRECT_MAP {
            // SAFETY: usable RAM above 1 GiB, now in our direct map.
            unsafe { frames.add_range(s.max(BOOT_DIRECT_MAP), e) };
        }
    }
    RESERVE_PAGES.store((frames.stats().total_pages / 64).clamp(256, 2048), Ordering::Relaxed);
    Ok(())
}

/// Blocks at least this big come straight from the frame allocator and go
/// back to it when freed (file data, pipe and socket buffers): the buddy
/// heap keeps every chunk it grows by, so the memory of a big file a
/// program unlinked would otherwise stay the kernel's for good.
const LARGE_BLOCK: usize = 64 * 1024;

fn is_large(layout: Layout) -> bool {
    layout.size() >= LARGE_BLOCK && layout.align() <= 4096
}

pub struct KernelHeap {
    heap: Mutex<Heap<32>>,
    /// Bytes the heap has taken from the frame allocator.
    size: AtomicU64,
}

impl KernelHeap {
    const fn new() -> Self {
        KernelHeap { heap: Mutex::new(Heap::new()), size: AtomicU64::new(0) }
    }

    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Relaxed)
    }

    /// Bytes of the heap's blocks in use (buddy-rounded).
    pub fn in_use(&self) -> u64 {
        crate::arch::without_interrupts(|| self.heap.lock().stats_alloc_actual() as u64)
    }

    /// Adds frames big enough for `layout` to `heap`.
    fn grow(&self, heap: &mut Heap<32>, layout: Layout) -> bool {
        let need = layout.size().max(layout.align()).div_ceil(4096) * 2;
        // A big chunk when memory allows; on a small or fragmented guest,
        // halve it down to what the allocation needs.
        let least = need.next_power_of_two();
        let mut pages = need.max(HEAP_CHUNK_PAGES).next_power_of_two();
        let phys = loop {
            if let Some(p) = FRAMES.lock().alloc(pages) {
                break p;
            }
            if pages <= least {
                return false;
            }
            pages /= 2;
        };
        let start = phys_to_virt(phys) as usize;
        // SAFETY: fresh frames, mapped by the direct map, owned by the heap
        // from now on.
        unsafe { heap.add_to_heap(start, start + pages * 4096) };
        self.size.fetch_add(pages as u64 * 4096, Ordering::Relaxed);
        true
    }
}

// SAFETY: the buddy heap hands out disjoint blocks of at least the layout's
// size and alignment, and takes them back once.
//
// The lock is held with interrupts off: the timer interrupt's scheduler work
// allocates (wake lists, run-queue growth), and an interrupt that allocated
// while the code it interrupted held the lock would spin forever.
unsafe impl GlobalAlloc for KernelHeap {
    #[cfg(not(feature = "heap-trace"))]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: GlobalAlloc's contract, passed on.
        unsafe { self.alloc_block(layout) }
    }

    #[cfg(not(feature = "heap-trace"))]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract, passed on.
        unsafe { self.dealloc_block(ptr, layout) }
    }

    #[cfg(feature = "heap-trace")]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(outer) = trace::outer(layout) else { return core::ptr::null_mut() };
        // SAFETY: GlobalAlloc's contract, passed on with the bigger layout.
        let p = unsafe { self.alloc_block(outer) };
        if p.is_null() {
            return p;
        }
        // SAFETY: the block has `trace::pad(layout)` bytes before the
        // caller's part, aligned to 16, for the tag.
        unsafe { trace::tag(p, layout) }
    }

    #[cfg(feature = "heap-trace")]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc(layout)` above: its tag is there.
        let (block, outer) = unsafe { trace::untag(ptr, layout) };
        // SAFETY: the block `alloc` took with that layout.
        unsafe { self.dealloc_block(block, outer) }
    }
}

impl KernelHeap {
    /// # Safety
    /// GlobalAlloc::alloc's contract.
    unsafe fn alloc_block(&self, layout: Layout) -> *mut u8 {
        if is_large(layout) {
            let pages = layout.size().div_ceil(4096);
            return crate::arch::without_interrupts(|| FRAMES.lock().alloc(pages))
                .map_or(core::ptr::null_mut(), |p| phys_to_virt(p) as *mut u8);
        }
        crate::arch::without_interrupts(|| {
            let mut heap = self.heap.lock();
            loop {
                if let Ok(p) = heap.alloc(layout) {
                    return p.as_ptr();
                }
                if !self.grow(&mut heap, layout) {
                    return core::ptr::null_mut();
                }
            }
        })
    }

    /// # Safety
    /// GlobalAlloc::dealloc's contract.
    unsafe fn dealloc_block(&self, ptr: *mut u8, layout: Layout) {
        if is_large(layout) {
            let phys = ptr as u64 - PHYS_OFFSET;
            // SAFETY: a large block is frames from `alloc` with the same
            // page count, reached through the direct map, no longer used.
            crate::arch::without_interrupts(|| unsafe { FRAMES.lock().free(phys, layout.size().div_ceil(4096)) });
            return;
        }
        crate::arch::without_interrupts(|| {
            // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc(layout)`.
            unsafe { self.heap.lock().dealloc(NonNull::new_unchecked(ptr), layout) }
        })
    }
}

/// Heap accounting by the system call that allocated (`--features
/// heap-trace`, for finding leaks): each block carries the number of the
/// call its CPU was in, and /proc/ringo_heap lists the bytes and blocks
/// still held per call. Off by default: it costs 16 bytes or more a block.
#[cfg(feature = "heap-trace")]
pub mod trace {
    use core::alloc::Layout;
    use core::sync::atomic::{AtomicI64, Ordering};

    /// Call numbers, and a last slot for allocations outside any call.
    const SLOTS: usize = 512;
    const OUTSIDE: usize = SLOTS - 1;
    static BYTES: [AtomicI64; SLOTS] = [const { AtomicI64::new(0) }; SLOTS];
    static BLOCKS: [AtomicI64; SLOTS] = [const { AtomicI64::new(0) }; SLOTS];

    fn pad(layout: Layout) -> usize {
        layout.align().max(16)
    }

    pub fn outer(layout: Layout) -> Option<Layout> {
        Layout::from_size_align(layout.size().checked_add(pad(layout))?, pad(layout)).ok()
    }

    fn slot() -> usize {
        crate::arch::percpu::try_this().map_or(OUTSIDE, |c| c.in_syscall.load(Ordering::Relaxed) as usize).min(OUTSIDE)
    }

    /// Writes the tag at the start of `block` and returns the caller's part.
    ///
    /// # Safety
    /// `block` is a fresh block of `outer(layout)`.
    pub unsafe fn tag(block: *mut u8, layout: Layout) -> *mut u8 {
        let s = slot();
        BYTES[s].fetch_add(layout.size() as i64, Ordering::Relaxed);
        BLOCKS[s].fetch_add(1, Ordering::Relaxed);
        // SAFETY: the block is at least 16-aligned and `pad` >= 16 bytes
        // precede the caller's part (the caller's contract).
        unsafe {
            (block as *mut u64).write(s as u64);
            block.add(pad(layout))
        }
    }

    /// The block and layout behind a tagged pointer, its tag accounted.
    ///
    /// # Safety
    /// `ptr` came from `tag` with the same layout.
    pub unsafe fn untag(ptr: *mut u8, layout: Layout) -> (*mut u8, Layout) {
        // SAFETY: `tag` returned `block + pad`, and wrote the slot there.
        let block = unsafe { ptr.sub(pad(layout)) };
        // SAFETY: as above.
        let s = (unsafe { (block as *const u64).read() } as usize).min(OUTSIDE);
        BYTES[s].fetch_sub(layout.size() as i64, Ordering::Relaxed);
        BLOCKS[s].fetch_sub(1, Ordering::Relaxed);
        // The layout was valid when `alloc` built it from the same one.
        (block, outer(layout).unwrap_or(layout))
    }

    /// /proc/ringo_heap: "name bytes blocks" for every slot holding any.
    pub fn report() -> alloc::string::String {
        let mut s = alloc::format!(
            "tasks alive {}, in the table {}\n",
            crate::process::LIVE.load(Ordering::Relaxed),
            crate::process::table_len()
        );
        for i in 0..SLOTS {
            let (b, n) = (BYTES[i].load(Ordering::Relaxed), BLOCKS[i].load(Ordering::Relaxed));
            if b != 0 || n != 0 {
                let name = if i == OUTSIDE { Some("(outside calls)") } else { ringo_syscalls::name(i as u64) };
                let _ = core::fmt::Write::write_fmt(&mut s, format_args!("{} {b} {n}\n", name.unwrap_or("?")));
            }
        }
        s
    }
}

#[global_allocator]
pub static HEAP: KernelHeap = KernelHeap::new();
