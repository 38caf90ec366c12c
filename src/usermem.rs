//! A process's user memory: its areas (ringo_mm's VmaSet) and page tables,
//! kept in step. Pages are filled on first touch (demand paging) from what
//! the area says backs them; fork shares frames copy-on-write (frame
//! reference counts in `mem`).

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::{self, Write};

use ringo_mm::vma::{Backing, Prot, Role, Vma, VmaSet};
use ringo_uapi::Errno;

use crate::arch::paging::{PagingError, phys_to_virt};
use crate::arch::user_pages::{PageRights, UserPageTable};
use crate::mem;

pub const PAGE: u64 = 4096;
/// The initial stack's top and how far it may grow (Linux's default 8 MiB).
pub const STACK_TOP: u64 = 0x7fff_ffff_e000;
pub const STACK_SIZE: u64 = 8 << 20;
/// mmap without a hint searches top-down from here (below the stack gap).
const MMAP_TOP: u64 = STACK_TOP - STACK_SIZE - (1 << 30);
const MMAP_BOTTOM: u64 = 0x1_0000_0000;

/// Where a file-backed area's bytes come from (an executable image or a
/// file opened with mmap).
pub trait PageSource: Send + Sync {
    /// Fills `buf` from `offset`; bytes past the end stay as they are.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize;
    /// The name /proc/self/maps shows.
    fn name(&self) -> String;
}

#[derive(Clone)]
pub struct MappedFile(pub Arc<dyn PageSource>);

impl fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MappedFile({})", self.0.name())
    }
}

/// A file's bytes held in memory (the executable image).
pub struct BytesSource {
    pub bytes: Arc<Vec<u8>>,
    pub name: String,
}

impl PageSource for BytesSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let Some(src) = self.bytes.get(offset as usize..) else { return 0 };
        let n = src.len().min(buf.len());
        buf[..n].copy_from_slice(&src[..n]);
        n
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

pub type Area = Vma<MappedFile>;

pub struct AddressSpace {
    pub vmas: VmaSet<MappedFile>,
    pt: UserPageTable,
    pub brk_start: u64,
    pub brk: u64,
}

/// Why a user access could not be satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// No area there (SEGV_MAPERR).
    Unmapped,
    /// The area forbids this access (SEGV_ACCERR).
    Forbidden,
    OutOfMemory,
}

fn rights(p: Prot) -> PageRights {
    PageRights { write: p.write, exec: p.exec }
}

/// The address space the threads of a process share. The root of its page
/// tables is kept beside the lock so that a context switch can load it
/// without the lock: a CPU holding the lock may be waiting for the
/// switching CPU to answer a TLB shootdown.
pub struct SharedAspace {
    space: crate::sync::Mutex<AddressSpace>,
    root: core::sync::atomic::AtomicU64,
}

impl SharedAspace {
    pub fn new(space: AddressSpace) -> Self {
        let root = core::sync::atomic::AtomicU64::new(space.pt.root());
        SharedAspace { space: crate::sync::Mutex::new(space), root }
    }

    pub fn lock(&self) -> crate::sync::MutexGuard<'_, AddressSpace> {
        self.space.lock()
    }

    /// The lock if nobody holds it (the OOM killer looking at others).
    pub fn try_lock(&self) -> Option<crate::sync::MutexGuard<'_, AddressSpace>> {
        self.space.try_lock()
    }

    /// Loads the page tables on this CPU.
    pub fn activate(&self) {
        crate::arch::user_pages::activate_root(self.root.load(core::sync::atomic::Ordering::Acquire));
    }

    /// Puts `new` in place (exec, the end of the last thread), loaded on
    /// this CPU, and returns the old space for the caller to destroy.
    pub fn replace(&self, new: AddressSpace) -> AddressSpace {
        new.activate();
        let mut space = self.space.lock();
        self.root.store(new.pt.root(), core::sync::atomic::Ordering::Release);
        core::mem::replace(&mut *space, new)
    }
}

impl AddressSpace {
    pub fn new() -> Result<Self, PagingError> {
        Self::new_for(false)
    }

    /// An empty space; `ring0` for an app that runs in ring 0 (HP mode).
    pub fn new_for(ring0: bool) -> Result<Self, PagingError> {
        Ok(AddressSpace {
            vmas: VmaSet::new(MMAP_BOTTOM, MMAP_TOP),
            pt: UserPageTable::new(ring0)?,
            brk_start: 0,
            brk: 0,
        })
    }

    /// The space of a process whose memory is gone: no areas, the
    /// kernel's tables. Takes no memory.
    pub fn dead() -> Self {
        AddressSpace {
            vmas: VmaSet::new(MMAP_BOTTOM, MMAP_TOP),
            pt: UserPageTable::kernel_only(),
            brk_start: 0,
            brk: 0,
        }
    }

    /// Resident pages (for the OOM killer's choice and its report).
    pub fn resident_pages(&self) -> usize {
        self.pt.usage().0
    }

    /// Resident pages and the page-table frames below the root (VmRSS and
    /// VmPTE, for /proc/<pid>/status).
    pub fn page_usage(&self) -> (usize, usize) {
        self.pt.usage()
    }

    /// Bytes of all the areas (total-vm).
    pub fn total_vm(&self) -> u64 {
        self.vmas.iter().map(|v| v.end - v.start).sum()
    }

    pub fn activate(&self) {
        self.pt.activate();
    }

    /// Handles a fault at `addr`: maps the page if the area allows the
    /// access.
    pub fn fault(&mut self, addr: u64, write: bool, exec: bool) -> Result<(), FaultError> {
        let page = addr & !(PAGE - 1);
        let vma = self.vmas.find(addr).ok_or(FaultError::Unmapped)?;
        let p = vma.prot;
        let allowed = if exec {
            p.exec
        } else if write {
            p.write
        } else {
            p.read || p.write || p.exec
        };
        if !allowed {
            return Err(FaultError::Forbidden);
        }
        if let Some((phys, r)) = self.pt.translate(page) {
            if write && !r.write && p.write {
                self.break_cow(page, phys)?;
            }
            // Otherwise mapped with the right rights already (another CPU
            // got here first): nothing to do.
            return Ok(());
        }
        let frame = mem::alloc_frames(1).ok_or(FaultError::OutOfMemory)?;
        // SAFETY: a fresh frame, reached through the direct map.
        let bytes = unsafe { core::slice::from_raw_parts_mut(phys_to_virt(frame) as *mut u8, PAGE as usize) };
        bytes.fill(0);
        if let Backing::File { file, offset, file_len } = &vma.backing {
            let into = page - vma.start;
            if into < *file_len {
                let n = (*file_len - into).min(PAGE) as usize;
                file.0.read_at(offset + into, &mut bytes[..n]);
            }
        }
        let r = rights(p);
        if self.pt.map(page, frame, r).is_err() {
            // SAFETY: not mapped anywhere.
            unsafe { mem::free_frames(frame, 1) };
            return Err(FaultError::OutOfMemory);
        }
        Ok(())
    }

    /// Writes `data` at user address `addr` of this (possibly inactive)
    /// address space, faulting pages in as a user write would.
    pub fn write_bytes(&mut self, addr: u64, data: &[u8]) -> Result<(), FaultError> {
        let mut done = 0;
        while done < data.len() {
            let va = addr + done as u64;
            self.fault(va, true, false)?;
            let (phys, _) = self.pt.translate(va & !(PAGE - 1)).ok_or(FaultError::Unmapped)?;
            let off = (va % PAGE) as usize;
            let n = (PAGE as usize - off).min(data.len() - done);
            // SAFETY: a frame of this address space, reached through the
            // direct map; `off + n` stays inside the page.
            unsafe {
                core::ptr::copy_nonoverlapping(data[done..].as_ptr(), (phys_to_virt(phys) + off as u64) as *mut u8, n);
            }
            done += n;
        }
        Ok(())
    }

    /// The physical address behind user address `addr` (faulting the page
    /// in for reading), for keys shared between address spaces.
    pub fn physical(&mut self, addr: u64) -> Option<u64> {
        self.fault(addr, false, false).ok()?;
        let (phys, _) = self.pt.translate(addr & !(PAGE - 1))?;
        Some(phys + (addr & (PAGE - 1)))
    }

    /// A write to a page shared copy-on-write: copy it unless this space
    /// is its last user.
    fn break_cow(&mut self, page: u64, phys: u64) -> Result<(), FaultError> {
        if mem::frame_users(phys) == 1 {
            self.pt.make_writable(page, None);
            return Ok(());
        }
        let copy = mem::alloc_frames(1).ok_or(FaultError::OutOfMemory)?;
        // SAFETY: both frames are reached through the direct map; the copy
        // is fresh and the original is only read.
        unsafe {
            core::ptr::copy_nonoverlapping(
                phys_to_virt(phys) as *const u8,
                phys_to_virt(copy) as *mut u8,
                PAGE as usize,
            );
        }
        self.pt.make_writable(page, Some(copy));
        mem::release_frame(phys);
        Ok(())
    }

    fn release_pages(&mut self, start: u64, end: u64) {
        self.pt.unmap_range(start, end, mem::release_frame);
    }

    /// The child's copy for fork: same areas; private pages shared
    /// copy-on-write, shared pages shared.
    pub fn fork(&mut self) -> Result<AddressSpace, FaultError> {
        let mut child = AddressSpace::new().map_err(|_| FaultError::OutOfMemory)?;
        child.vmas = self.vmas.clone();
        child.brk_start = self.brk_start;
        child.brk = self.brk;
        // A shared area without access rights stays empty (it cannot be
        // faulted in, and walking a huge one page by page kept a CPU in
        // the kernel past the watchdog: fuzz seed 9801282984695194964).
        let ranges: Vec<(u64, u64, bool, bool)> =
            self.vmas.iter().map(|v| (v.start, v.end, !v.shared, v.prot.read || v.prot.write || v.prot.exec)).collect();
        for (s, e, cow, accessible) in ranges {
            let populated = cow || !accessible || self.populate(s, e).is_ok();
            if !populated || self.pt.share_range_into(&mut child.pt, s, e, cow, mem::share_frame).is_err() {
                // Give back what the half-made copy took (its references
                // to shared frames, its tables).
                child.destroy();
                return Err(FaultError::OutOfMemory);
            }
        }
        Ok(child)
    }

    /// Gives every page of the shared area `[start, end)` its frame, so
    /// that a fork shares all of them: no shared-memory object stands
    /// behind a MAP_SHARED anonymous area yet, so a page first touched
    /// after the fork would be private to the side that touched it. Each
    /// page takes a frame of its own, so the machine's memory bounds the
    /// walk: an area with more pages than there are frames fails at once.
    fn populate(&mut self, start: u64, end: u64) -> Result<(), FaultError> {
        if (end - start) / PAGE > mem::frame_stats().total_pages {
            return Err(FaultError::OutOfMemory);
        }
        let mut page = start;
        while page < end {
            self.fault(page, false, false)?;
            page += PAGE;
        }
        Ok(())
    }

    /// Adds an area; `replace` removes what was there (MAP_FIXED).
    pub fn map(&mut self, vma: Area, replace: bool) -> Result<u64, Errno> {
        let start = vma.start;
        for old in self.vmas.insert(vma, replace)? {
            self.release_pages(old.start, old.end);
        }
        Ok(start)
    }

    pub fn unmap(&mut self, start: u64, len: u64) -> Result<(), Errno> {
        for old in self.vmas.unmap(start, len)? {
            self.release_pages(old.start, old.end);
        }
        Ok(())
    }

    pub fn protect(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), Errno> {
        self.vmas.protect(start, len, prot)?;
        let r = (prot.read || prot.write || prot.exec).then(|| rights(prot));
        self.pt.protect_range(start, start + len, r);
        Ok(())
    }

    /// Drops the pages of `[start, start+len)` so the next touch refills
    /// them (MADV_DONTNEED: zeros for anonymous memory, the file for
    /// private file mappings).
    pub fn discard(&mut self, start: u64, len: u64) {
        self.release_pages(start, start + len);
    }

    /// Moves the pages of `[from, from+len)` to `to` (mremap moving).
    pub fn move_pages(&mut self, from: u64, to: u64, len: u64) -> Result<(), Errno> {
        let mut off = 0;
        while off < len {
            if let Some((phys, r)) = self.pt.translate(from + off) {
                self.pt.unmap_range(from + off, from + off + PAGE, |_| {});
                self.pt.map(to + off, phys, r).map_err(|_| Errno::ENOMEM)?;
            }
            off += PAGE;
        }
        Ok(())
    }

    /// Sets the program break; returns the new break (unchanged on failure,
    /// as Linux's brk does).
    pub fn set_brk(&mut self, want: u64) -> u64 {
        if want < self.brk_start {
            return self.brk;
        }
        let old_end = self.brk.next_multiple_of(PAGE);
        let new_end = want.next_multiple_of(PAGE);
        if new_end > old_end {
            if self.vmas.overlaps(old_end, new_end) {
                return self.brk;
            }
            let heap_start = self.brk_start.next_multiple_of(PAGE);
            let grown = match self.vmas.find(heap_start) {
                Some(v) if v.role == Role::Heap => self.vmas.resize_in_place(heap_start, new_end - heap_start).is_ok(),
                _ => self
                    .vmas
                    .insert(
                        Vma {
                            start: old_end,
                            end: new_end,
                            prot: Prot::RW,
                            shared: false,
                            backing: Backing::Anonymous,
                            role: Role::Heap,
                        },
                        false,
                    )
                    .is_ok(),
            };
            if !grown {
                return self.brk;
            }
        } else if new_end < old_end && self.unmap(new_end, old_end - new_end).is_err() {
            return self.brk;
        }
        self.brk = want;
        self.brk
    }

    /// /proc/self/maps, Linux's format.
    pub fn maps_text(&self) -> String {
        let mut s = String::new();
        for v in self.vmas.iter() {
            let (off, name) = match &v.backing {
                Backing::File { file, offset, .. } => (*offset, file.0.name()),
                Backing::Anonymous => (
                    0,
                    match v.role {
                        Role::Heap => "[heap]".into(),
                        Role::Stack => "[stack]".into(),
                        Role::Mapping => String::new(),
                    },
                ),
            };
            let _ = writeln!(
                s,
                "{:08x}-{:08x} {}{}{}{} {:08x} 00:00 0{}{}",
                v.start,
                v.end,
                if v.prot.read { 'r' } else { '-' },
                if v.prot.write { 'w' } else { '-' },
                if v.prot.exec { 'x' } else { '-' },
                if v.shared { 's' } else { 'p' },
                off,
                if name.is_empty() { "" } else { "                          " },
                name
            );
        }
        s
    }

    /// Frees every page and table.
    pub fn destroy(mut self) {
        let ranges: Vec<(u64, u64)> = self.vmas.iter().map(|v| (v.start, v.end)).collect();
        for (s, e) in ranges {
            self.release_pages(s, e);
        }
        self.pt.destroy();
    }
}
