//! The kernel's page tables: a direct map of physical memory at
//! [`PHYS_OFFSET`] (2 MiB pages, no execute), the kernel image at -2 GiB
//! with per-section rights (text read-only and executable, rodata read-only,
//! data and bss writable, both no-execute), and a window for device MMIO.
//! The lower half stays empty for user address spaces.

use crate::sync::Mutex;
use x86_64::structures::paging::{
    FrameAllocator as X86FrameAllocator, Mapper, OffsetPageTable, Page, PageSize, PageTable, PageTableFlags as F,
    PhysFrame, Size2MiB, Size4KiB,
};
use x86_64::{PhysAddr, VirtAddr};

use ringo_mm::frames::FrameAllocator;
use ringo_mm::memmap::MemoryMap;

pub const PHYS_OFFSET: u64 = 0xffff_8000_0000_0000;
pub const KERNEL_VIRT: u64 = 0xffff_ffff_8000_0000;
const MMIO_BASE: u64 = 0xffff_ff00_0000_0000;
/// Kernel stacks of tasks, each in a slot with unmapped pages below it, so
/// an overflow faults (a double fault on its IST stack reports it) instead
/// of silently writing over a neighbour.
const STACK_WINDOW: u64 = 0xffff_fe80_0000_0000;
const STACK_SLOT: u64 = 128 * 1024;
const STACK_SLOTS: u64 = 1 << 20;
const MMIO_SIZE: u64 = 1 << 39;
/// The boot page tables map this much at the direct-map base.
pub const BOOT_DIRECT_MAP: u64 = 1 << 30;

pub fn phys_to_virt(p: u64) -> u64 {
    p + PHYS_OFFSET
}

pub fn kernel_virt_to_phys(v: u64) -> u64 {
    v - KERNEL_VIRT
}

unsafe extern "C" {
    static __kernel_start: u8;
    static __text_end: u8;
    static __rodata_end: u8;
    static __kernel_end: u8;
}

/// Virtual bounds of the kernel image's parts.
pub struct ImageLayout {
    pub start: u64,
    pub text_end: u64,
    pub rodata_end: u64,
    pub end: u64,
}

pub fn image_layout() -> ImageLayout {
    // Linker-script symbols: only their addresses are taken.
    ImageLayout {
        start: core::ptr::addr_of!(__kernel_start) as u64,
        text_end: core::ptr::addr_of!(__text_end) as u64,
        rodata_end: core::ptr::addr_of!(__rodata_end) as u64,
        end: core::ptr::addr_of!(__kernel_end) as u64,
    }
}

/// Adapter: the x86_64 crate's mapper takes its page-table frames from ours.
struct TableFrames<'a>(&'a mut FrameAllocator);

// SAFETY: frames come from the buddy allocator, which hands each out once and
// only from free RAM.
unsafe impl X86FrameAllocator<Size4KiB> for TableFrames<'_> {
    fn allocate_frame(&mut self) -> Option<PhysFrame<Size4KiB>> {
        self.0.alloc(1).map(|p| PhysFrame::containing_address(PhysAddr::new(p)))
    }
}

struct KernelTables {
    mapper: OffsetPageTable<'static>,
    mmio_next: u64,
    stack_slots_used: u64,
    free_stack_slots: alloc::vec::Vec<u64>,
}

static TABLES: Mutex<Option<KernelTables>> = Mutex::new(None);

/// The kernel PML4's physical address, readable without TABLES' lock.
static KERNEL_ROOT: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Physical address of the kernel PML4 (APs load it into CR3).
pub fn kernel_pml4_phys() -> u64 {
    KERNEL_ROOT.load(core::sync::atomic::Ordering::Acquire)
}

/// Loads the kernel's own tables (an idle CPU: no user address space
/// stays loaded where it could outlive its process).
pub fn activate_kernel_root() {
    let root = kernel_pml4_phys();
    super::tlb::set_active_root(root);
    // SAFETY: the kernel tables map everything kernel code uses.
    unsafe {
        x86_64::registers::control::Cr3::write(
            PhysFrame::containing_address(PhysAddr::new(root)),
            x86_64::registers::control::Cr3Flags::empty(),
        )
    };
}

#[derive(Debug)]
pub enum PagingError {
    OutOfFrames,
    AlreadyMapped,
    WindowFull,
}

/// Builds the kernel page tables and switches to them.
///
/// # Safety
/// Call once on the boot CPU while the boot page tables are active and
/// `frames` only holds memory below [`BOOT_DIRECT_MAP`].
pub unsafe fn init(map: &MemoryMap, frames: &mut FrameAllocator) -> Result<(), PagingError> {
    let pml4_phys = frames.alloc(1).ok_or(PagingError::OutOfFrames)?;
    let pml4_ptr = phys_to_virt(pml4_phys) as *mut PageTable;
    // SAFETY: a fresh frame below 1 GiB, reachable through the boot direct
    // map; nothing else refers to it.
    let pml4 = unsafe {
        pml4_ptr.write(PageTable::new());
        &mut *pml4_ptr
    };
    // SAFETY: the whole of physical memory the tables live in is mapped at
    // PHYS_OFFSET (boot tables now, our own direct map afterwards).
    let mut mapper = unsafe { OffsetPageTable::new(pml4, VirtAddr::new(PHYS_OFFSET)) };
    let mut alloc = TableFrames(frames);
    let parent = F::PRESENT | F::WRITABLE;

    // Direct map: every region the firmware reported, and the low 2 MiB
    // (real-mode structures, the AP trampoline).
    let huge = Size2MiB::SIZE;
    let mut mapped_to = 0u64;
    let ranges = core::iter::once((0, huge)).chain(map.regions().iter().map(|r| (r.start, r.end)));
    for (start, end) in ranges {
        let mut p = ringo_mm::align_down(start, huge).max(mapped_to);
        let end = ringo_mm::align_up(end, huge);
        while p < end {
            let page = Page::<Size2MiB>::containing_address(VirtAddr::new(phys_to_virt(p)));
            let frame = PhysFrame::<Size2MiB>::containing_address(PhysAddr::new(p));
            let flags = F::PRESENT | F::WRITABLE | F::NO_EXECUTE | F::GLOBAL | F::HUGE_PAGE;
            // SAFETY: the direct map aliases physical memory by design; the
            // page is in the reserved direct-map range of the new tables.
            unsafe { mapper.map_to_with_table_flags(page, frame, flags, parent, &mut alloc) }
                .map_err(|_| PagingError::OutOfFrames)?
                .ignore();
            p += huge;
        }
        mapped_to = mapped_to.max(end);
    }

    // The kernel image, 4 KiB pages with the rights of each part.
    let img = image_layout();
    let guard = super::boot::stack_guard_page();
    let mut v = img.start;
    while v < img.end {
        if v == guard {
            v += Size4KiB::SIZE;
            continue;
        }
        let flags = if v < img.text_end {
            F::PRESENT | F::GLOBAL
        } else if v < img.rodata_end {
            F::PRESENT | F::GLOBAL | F::NO_EXECUTE
        } else {
            F::PRESENT | F::GLOBAL | F::WRITABLE | F::NO_EXECUTE
        };
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(v));
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(kernel_virt_to_phys(v)));
        // SAFETY: maps the kernel image to where it was loaded.
        unsafe { mapper.map_to_with_table_flags(page, frame, flags, parent, &mut alloc) }
            .map_err(|_| PagingError::OutOfFrames)?
            .ignore();
        v += Size4KiB::SIZE;
    }

    // Create the stack window's top-level entry now, so that every user
    // address space (which copies the kernel's top-level entries when it is
    // made) sees the stacks mapped later.
    let probe = Page::<Size4KiB>::containing_address(VirtAddr::new(STACK_WINDOW));
    let probe_frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(pml4_phys));
    // SAFETY: a temporary read-only alias of a page-table frame, removed
    // right away; it only makes the intermediate tables exist.
    unsafe { mapper.map_to_with_table_flags(probe, probe_frame, F::PRESENT | F::NO_EXECUTE, parent, &mut alloc) }
        .map_err(|_| PagingError::OutOfFrames)?
        .ignore();
    mapper.unmap(probe).map_err(|_| PagingError::OutOfFrames)?.1.ignore();

    // SAFETY: the new tables map everything the kernel touches: its image
    // (including the current stack, in .bss) and the direct map.
    unsafe {
        use x86_64::registers::control::{Cr3, Cr3Flags, Cr4, Cr4Flags};
        Cr4::update(|f| f.insert(Cr4Flags::PAGE_GLOBAL));
        Cr3::write(PhysFrame::containing_address(PhysAddr::new(pml4_phys)), Cr3Flags::empty());
        KERNEL_ROOT.store(pml4_phys, core::sync::atomic::Ordering::Release);
    }
    *TABLES.lock() = Some(KernelTables {
        mapper,
        mmio_next: MMIO_BASE,
        stack_slots_used: 0,
        free_stack_slots: alloc::vec::Vec::new(),
    });
    Ok(())
}

/// Maps device registers uncached and returns their virtual address.
pub fn map_mmio(phys: u64, size: u64) -> Result<u64, PagingError> {
    // The frame allocator's lock is taken with interrupts off (mem.rs).
    super::without_interrupts(|| map_mmio_irqs_off(phys, size))
}

fn map_mmio_irqs_off(phys: u64, size: u64) -> Result<u64, PagingError> {
    let mut guard = TABLES.lock();
    let t = guard.as_mut().ok_or(PagingError::OutOfFrames)?;
    let first = ringo_mm::align_down(phys, 4096);
    let len = ringo_mm::align_up(phys + size, 4096) - first;
    let virt = t.mmio_next;
    if virt + len > MMIO_BASE + MMIO_SIZE {
        return Err(PagingError::WindowFull);
    }
    let mut frames = crate::mem::FRAMES.lock();
    let mut alloc = TableFrames(&mut frames);
    let flags = F::PRESENT | F::WRITABLE | F::NO_EXECUTE | F::NO_CACHE | F::WRITE_THROUGH | F::GLOBAL;
    for off in (0..len).step_by(4096) {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virt + off));
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(first + off));
        // SAFETY: a fresh page of the MMIO window mapped to device memory.
        unsafe { t.mapper.map_to_with_table_flags(page, frame, flags, F::PRESENT | F::WRITABLE, &mut alloc) }
            .map_err(|_| PagingError::AlreadyMapped)?
            .flush();
    }
    t.mmio_next += len + 4096; // an unmapped guard page between windows
    Ok(virt + (phys - first))
}

/// Maps the `pages` frames at `phys` as a kernel stack with an unmapped
/// guard below it; returns the stack's top.
pub fn map_kernel_stack(phys: u64, pages: usize) -> Result<u64, PagingError> {
    // The frame allocator's lock is taken with interrupts off (mem.rs).
    super::without_interrupts(|| map_kernel_stack_irqs_off(phys, pages))
}

fn map_kernel_stack_irqs_off(phys: u64, pages: usize) -> Result<u64, PagingError> {
    assert!((pages as u64 + 1) * 4096 <= STACK_SLOT);
    let mut guard = TABLES.lock();
    let t = guard.as_mut().ok_or(PagingError::OutOfFrames)?;
    let slot = match t.free_stack_slots.pop() {
        Some(s) => s,
        None if t.stack_slots_used < STACK_SLOTS => {
            t.stack_slots_used += 1;
            t.stack_slots_used - 1
        }
        None => return Err(PagingError::WindowFull),
    };
    let top = STACK_WINDOW + (slot + 1) * STACK_SLOT;
    let bottom = top - pages as u64 * 4096;
    let mut frames = crate::mem::FRAMES.lock();
    let mut alloc = TableFrames(&mut frames);
    for i in 0..pages as u64 {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(bottom + i * 4096));
        let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(phys + i * 4096));
        let flags = F::PRESENT | F::WRITABLE | F::NO_EXECUTE | F::GLOBAL;
        // SAFETY: a free slot of the stack window mapped to the caller's frames.
        unsafe { t.mapper.map_to_with_table_flags(page, frame, flags, F::PRESENT | F::WRITABLE, &mut alloc) }
            .map_err(|_| PagingError::AlreadyMapped)?
            .flush();
    }
    Ok(top)
}

/// Frames for a kernel stack of `pages` pages, mapped with an unmapped
/// guard below; returns its top. For the stacks a CPU keeps for good (its
/// boot stack, its IST stacks), taken at boot.
pub fn new_guarded_stack(pages: usize) -> Option<u64> {
    let phys = crate::mem::alloc_frames(pages)?;
    match map_kernel_stack(phys, pages) {
        Ok(top) => Some(top),
        Err(_) => {
            // SAFETY: just allocated and never mapped or shared.
            unsafe { crate::mem::free_frames(phys, pages) };
            None
        }
    }
}

/// The top of the stack whose guard `addr` lies in, for an address that
/// faulted inside the stack window (every unmapped page there is below a
/// stack).
pub fn stack_window_top(addr: u64) -> Option<u64> {
    let off = addr.checked_sub(STACK_WINDOW)?;
    (off < STACK_SLOTS * STACK_SLOT).then(|| STACK_WINDOW + (off / STACK_SLOT + 1) * STACK_SLOT)
}

/// Unmaps a stack from [`map_kernel_stack`] (the frames stay the caller's).
pub fn unmap_kernel_stack(top: u64, pages: usize) {
    let mut guard = TABLES.lock();
    let Some(t) = guard.as_mut() else { return };
    for i in 1..=pages as u64 {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(top - i * 4096));
        if let Ok((_, flush)) = t.mapper.unmap(page) {
            flush.flush();
        }
    }
    t.free_stack_slots.push((top - STACK_WINDOW) / STACK_SLOT - 1);
}

/// Maps one user page at `virt` in the kernel's lower half (used by the
/// boot-time ring-3 probe before user address spaces exist).
pub fn map_user_page(virt: u64, phys: u64, writable: bool) -> Result<(), PagingError> {
    // The frame allocator's lock is taken with interrupts off (mem.rs).
    super::without_interrupts(|| map_user_page_irqs_off(virt, phys, writable))
}

fn map_user_page_irqs_off(virt: u64, phys: u64, writable: bool) -> Result<(), PagingError> {
    let mut guard = TABLES.lock();
    let t = guard.as_mut().ok_or(PagingError::OutOfFrames)?;
    let mut frames = crate::mem::FRAMES.lock();
    let mut alloc = TableFrames(&mut frames);
    let mut flags = F::PRESENT | F::USER_ACCESSIBLE;
    if writable {
        flags |= F::WRITABLE | F::NO_EXECUTE;
    }
    let page = Page::<Size4KiB>::containing_address(VirtAddr::new(virt));
    let frame = PhysFrame::<Size4KiB>::containing_address(PhysAddr::new(phys));
    let parent = F::PRESENT | F::WRITABLE | F::USER_ACCESSIBLE;
    // SAFETY: the lower half holds no kernel data; the caller owns `phys`.
    unsafe { t.mapper.map_to_with_table_flags(page, frame, flags, parent, &mut alloc) }
        .map_err(|_| PagingError::AlreadyMapped)?
        .flush();
    Ok(())
}

pub fn unmap_user_page(virt: u64) {
    if let Some(t) = TABLES.lock().as_mut()
        && let Ok((_, flush)) = t.mapper.unmap(Page::<Size4KiB>::containing_address(VirtAddr::new(virt)))
    {
        flush.flush();
    }
}
