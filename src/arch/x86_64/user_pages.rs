//! Page tables of a user address space. The upper half (entries 256..512
//! of the PML4) is shared with the kernel's tables, so the kernel stays
//! mapped in every address space; the lower half belongs to the process.
//! Leaf frames are the caller's: unmapping hands them back to it.

use x86_64::PhysAddr;
use x86_64::structures::paging::page_table::{PageTableEntry, PageTableFlags as F};
use x86_64::structures::paging::{PageTable, PhysFrame};

use super::paging::{PagingError, kernel_pml4_phys, phys_to_virt};
use super::tlb;
use crate::mem;

/// Rights of a user page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRights {
    pub write: bool,
    pub exec: bool,
}

impl PageRights {
    /// The entry flags; `ring0` pages (an HP app's) are supervisor pages,
    /// which SMEP and SMAP let ring-0 code run and touch.
    fn flags(self, ring0: bool) -> F {
        let mut f = if ring0 { F::PRESENT } else { F::PRESENT | F::USER_ACCESSIBLE };
        if self.write {
            f |= F::WRITABLE;
        }
        if !self.exec {
            f |= F::NO_EXECUTE;
        }
        f
    }
}

/// A PROT_NONE page: not present (any access faults) but still owning its
/// frame, so the entry is not "unused" and unmapping frees the frame.
fn r_none_flags(ring0: bool) -> F {
    if ring0 { F::NO_EXECUTE } else { F::USER_ACCESSIBLE | F::NO_EXECUTE }
}

/// The end of the lower half, which the process's own tables map.
const USER_TOP: u64 = 1 << 47;

/// Unlinks the tables below the one at `phys` (of `level`, 4 the root,
/// mapping from `base`) that map nothing in `[start, end)` any more,
/// collecting their frames in `out`; whether this table is then empty.
fn prune(phys: u64, level: u32, base: u64, start: u64, end: u64, out: &mut alloc::vec::Vec<u64>) -> bool {
    let t = table(phys);
    if level > 1 {
        let span = 1u64 << (12 + 9 * (level - 1));
        let first = (start.saturating_sub(base) / span) as usize;
        let last = (((end - 1).saturating_sub(base) / span) as usize).min(511);
        for i in first..=last {
            let e = &mut t[i];
            if e.is_unused() {
                continue;
            }
            let child_base = base + i as u64 * span;
            let child = e.addr().as_u64();
            if prune(child, level - 1, child_base, start.max(child_base), end.min(child_base + span), out) {
                e.set_unused();
                out.push(child);
            }
        }
    }
    t.iter().all(|e| e.is_unused())
}

pub struct UserPageTable {
    pml4: u64,
    /// The pages are for an app that runs in ring 0 (HP mode).
    ring0: bool,
}

fn table(phys: u64) -> &'static mut PageTable {
    // SAFETY: page-table frames are reached through the direct map; each
    // table belongs to one address space whose lock the caller holds.
    unsafe { &mut *(phys_to_virt(phys) as *mut PageTable) }
}

fn index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Loads the user tables at `root` on this CPU.
pub fn activate_root(root: u64) {
    use x86_64::registers::control::{Cr3, Cr3Flags};
    tlb::set_active_root(root);
    // SAFETY: the kernel half is shared with the kernel's tables, so the
    // running code and its stack stay mapped.
    unsafe { Cr3::write(PhysFrame::containing_address(PhysAddr::new(root)), Cr3Flags::empty()) };
}

fn flush(va: u64) {
    x86_64::instructions::tlb::flush(x86_64::VirtAddr::new(va));
}

impl UserPageTable {
    pub fn new(ring0: bool) -> Result<Self, PagingError> {
        let pml4 = mem::alloc_frames(1).ok_or(PagingError::OutOfFrames)?;
        let t = table(pml4);
        *t = PageTable::new();
        let k = table(kernel_pml4_phys());
        for i in 256..512 {
            t[i] = k[i].clone();
        }
        Ok(UserPageTable { pml4, ring0 })
    }

    /// Tables that map nothing of their own: the kernel's root, for a
    /// process whose memory is gone (it needs no frame, so an exit under
    /// memory exhaustion can still give its memory back). Nothing can be
    /// mapped into it.
    pub fn kernel_only() -> Self {
        UserPageTable { pml4: kernel_pml4_phys(), ring0: false }
    }

    fn is_kernel_only(&self) -> bool {
        self.pml4 == kernel_pml4_phys()
    }

    /// The mapped user pages (resident, each counted once here even when
    /// shared copy-on-write, as Linux's RSS) and the table frames below
    /// the root that map them (Linux's VmPTE: the PTE, PMD and PUD levels),
    /// in one walk.
    pub fn usage(&self) -> (usize, usize) {
        fn count(phys: u64, level: u32) -> (usize, usize) {
            let used = table(phys).iter().filter(|e| !e.is_unused());
            if level == 1 {
                return (used.count(), 1);
            }
            used.map(|e| count(e.addr().as_u64(), level - 1)).fold((0, 1), |(p, t), (cp, ct)| (p + cp, t + ct))
        }
        if self.is_kernel_only() {
            return (0, 0);
        }
        (0..256)
            .map(|i| &table(self.pml4)[i])
            .filter(|e| !e.is_unused())
            .map(|e| count(e.addr().as_u64(), 3))
            .fold((0, 0), |(p, t), (cp, ct)| (p + cp, t + ct))
    }

    pub fn is_active(&self) -> bool {
        x86_64::registers::control::Cr3::read().0.start_address().as_u64() == self.pml4
    }

    /// The physical address of the root table (what CR3 holds).
    pub fn root(&self) -> u64 {
        self.pml4
    }

    pub fn activate(&self) {
        activate_root(self.pml4);
    }

    /// Entries other CPUs may have cached changed: make them drop those.
    fn flush_others(&self) {
        tlb::flush_others(self.pml4);
    }

    /// The leaf entry for `va`, creating intermediate tables when `create`.
    fn leaf(&mut self, va: u64, create: bool) -> Result<Option<&'static mut PageTableEntry>, PagingError> {
        let mut t = table(self.pml4);
        for level in [4, 3, 2] {
            let e = &mut t[index(va, level)];
            if e.is_unused() {
                if !create {
                    return Ok(None);
                }
                if self.is_kernel_only() {
                    return Err(PagingError::OutOfFrames);
                }
                let f = mem::alloc_frames(1).ok_or(PagingError::OutOfFrames)?;
                *table(f) = PageTable::new();
                e.set_addr(PhysAddr::new(f), F::PRESENT | F::WRITABLE | F::USER_ACCESSIBLE);
            }
            t = table(e.addr().as_u64());
        }
        Ok(Some(&mut t[index(va, 1)]))
    }

    /// Maps the 4 KiB page at `va` to `phys`; the page must be unmapped.
    pub fn map(&mut self, va: u64, phys: u64, rights: PageRights) -> Result<(), PagingError> {
        let e = self.leaf(va, true)?.ok_or(PagingError::OutOfFrames)?;
        if !e.is_unused() {
            return Err(PagingError::AlreadyMapped);
        }
        e.set_addr(PhysAddr::new(phys), rights.flags(self.ring0));
        Ok(())
    }

    /// The frame and rights at `va`.
    pub fn translate(&mut self, va: u64) -> Option<(u64, PageRights)> {
        let e = self.leaf(va, false).ok()??;
        let f = e.flags();
        f.contains(F::PRESENT).then(|| {
            (e.addr().as_u64(), PageRights { write: f.contains(F::WRITABLE), exec: !f.contains(F::NO_EXECUTE) })
        })
    }

    /// Calls `f(va, entry)` for every present leaf in `[start, end)`,
    /// skipping empty upper-level tables.
    fn for_each_leaf(&mut self, start: u64, end: u64, mut f: impl FnMut(u64, &mut PageTableEntry)) {
        let mut va = start;
        while va < end {
            let mut t = table(self.pml4);
            let mut skipped = false;
            for level in [4, 3, 2] {
                let e = &t[index(va, level)];
                if e.is_unused() {
                    // Jump to the next entry of this level.
                    let span = 1u64 << (12 + 9 * (level - 1));
                    va = (va & !(span - 1)) + span;
                    skipped = true;
                    break;
                }
                t = table(e.addr().as_u64());
            }
            if skipped {
                continue;
            }
            let e = &mut t[index(va, 1)];
            if !e.is_unused() {
                f(va, e);
            }
            va += 4096;
        }
    }

    /// Unmaps `[start, end)`, passing each freed frame to `release`. The
    /// tables left mapping nothing go too: a process that maps and unmaps
    /// all over its address space would otherwise keep a table for every
    /// place it ever touched (12 MiB after 10^7 random calls in one HP
    /// app, freed only at its exit).
    pub fn unmap_range(&mut self, start: u64, end: u64, release: impl FnMut(u64)) {
        let active = self.is_active();
        let mut freed = alloc::vec::Vec::new();
        self.for_each_leaf(start, end, |va, e| {
            freed.push(e.addr().as_u64());
            e.set_unused();
            if active {
                flush(va);
            }
        });
        let mut tables = alloc::vec::Vec::new();
        let end = end.min(USER_TOP);
        if !self.is_kernel_only() && start < end {
            prune(self.pml4, 4, 0, start, end, &mut tables);
        }
        if active && !tables.is_empty() {
            // The paging-structure caches may hold the dropped tables.
            x86_64::instructions::tlb::flush_all();
        }
        // No CPU may still reach a frame through a stale entry (or walk a
        // dropped table) once it is handed back.
        if !freed.is_empty() || !tables.is_empty() {
            self.flush_others();
        }
        freed.into_iter().for_each(release);
        for t in tables {
            // SAFETY: a table of this address space, unlinked above and
            // flushed from every CPU that had the root loaded.
            unsafe { mem::free_frames(t, 1) };
        }
    }

    /// Sets the rights of every mapped page in `[start, end)`; `None`
    /// (PROT_NONE) makes the pages absent while keeping their frames.
    pub fn protect_range(&mut self, start: u64, end: u64, rights: Option<PageRights>) {
        let active = self.is_active();
        let ring0 = self.ring0;
        self.for_each_leaf(start, end, |va, e| {
            let addr = e.addr();
            let flags = match rights {
                Some(r) => r.flags(ring0),
                None => r_none_flags(ring0),
            };
            e.set_addr(addr, flags);
            if active {
                flush(va);
            }
        });
        self.flush_others();
    }

    /// Maps every page of `[start, end)` that this table maps into `child`
    /// too, for fork. With `cow`, writable pages become read-only in both
    /// (copy-on-write); shared pages keep their rights. `on_share` is told
    /// each frame that gained a mapping.
    pub fn share_range_into(
        &mut self,
        child: &mut UserPageTable,
        start: u64,
        end: u64,
        cow: bool,
        mut on_share: impl FnMut(u64),
    ) -> Result<(), PagingError> {
        let active = self.is_active();
        let mut pages = alloc::vec::Vec::new();
        self.for_each_leaf(start, end, |va, e| {
            let mut flags = e.flags();
            if cow && flags.contains(F::WRITABLE) {
                flags.remove(F::WRITABLE);
                e.set_flags(flags);
                if active {
                    flush(va);
                }
            }
            pages.push((va, e.addr().as_u64(), flags));
        });
        // Other threads of the parent must stop writing to the now shared
        // frames through stale writable entries.
        if cow {
            self.flush_others();
        }
        for (va, phys, flags) in pages {
            let e = child.leaf(va, true)?.ok_or(PagingError::OutOfFrames)?;
            e.set_addr(PhysAddr::new(phys), flags);
            on_share(phys);
        }
        Ok(())
    }

    /// Makes the present page at `va` writable, at `new_phys` if given
    /// (the copy of a copy-on-write page).
    pub fn make_writable(&mut self, va: u64, new_phys: Option<u64>) {
        let active = self.is_active();
        if let Ok(Some(e)) = self.leaf(va, false) {
            let addr = new_phys.map_or(e.addr(), PhysAddr::new);
            e.set_addr(addr, e.flags() | F::WRITABLE);
            if active {
                flush(va);
            }
            if new_phys.is_some() {
                // Other threads must not keep reading the old frame.
                self.flush_others();
            }
        }
    }

    /// Frees the lower-half tables (leaf frames must be unmapped first).
    pub fn destroy(self) {
        if self.is_kernel_only() {
            return;
        }
        tlb::wait_until_unused(self.pml4);
        fn free_level(phys: u64, level: u32) {
            if level > 1 {
                for e in table(phys).iter() {
                    if !e.is_unused() {
                        free_level(e.addr().as_u64(), level - 1);
                    }
                }
            }
            // SAFETY: a table frame of this address space, no longer used.
            unsafe { mem::free_frames(phys, 1) };
        }
        for i in 0..256 {
            let e = &table(self.pml4)[i];
            if !e.is_unused() {
                free_level(e.addr().as_u64(), 3);
            }
        }
        // SAFETY: the root of this address space, not active any more.
        unsafe { mem::free_frames(self.pml4, 1) };
    }
}
