//! A user address space's map of virtual memory areas: which ranges exist,
//! with which rights and what backs them. Pure bookkeeping: the kernel keeps
//! page tables in step (unmapping and changing rights where this says) and
//! fills pages on demand from what a VMA says backs it.
//!
//! Ranges are page-aligned and half-open. Operations split and merge areas
//! the way Linux's mmap/munmap/mprotect do.

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::PAGE_SIZE;

/// Highest user address + 1 (47-bit canonical lower half, minus a guard page).
pub const USER_END: u64 = 0x0000_7fff_ffff_f000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const NONE: Prot = Prot { read: false, write: false, exec: false };
    pub const RW: Prot = Prot { read: true, write: true, exec: false };

    /// From PROT_READ (1) | PROT_WRITE (2) | PROT_EXEC (4).
    pub fn from_bits(b: u64) -> Prot {
        Prot { read: b & 1 != 0, write: b & 2 != 0, exec: b & 4 != 0 }
    }
}

/// What fills a VMA's pages when first touched. `F` is the kernel's handle
/// to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing<F> {
    /// Zero-filled (anonymous memory, bss, heap, stack).
    Anonymous,
    /// A private copy of a file: page at `start + k` holds file bytes from
    /// `offset + k`, and bytes past `file_len` (counted from the VMA start)
    /// are zero (a segment's bss tail).
    File { file: F, offset: u64, file_len: u64 },
}

/// What the area is for: /proc/self/maps names and brk/stack handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Mapping,
    Heap,
    Stack,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vma<F> {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub shared: bool,
    pub backing: Backing<F>,
    pub role: Role,
}

impl<F: Clone> Vma<F> {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The part `[start, end)` of this area, keeping file offsets right.
    fn slice(&self, start: u64, end: u64) -> Vma<F> {
        let skip = start - self.start;
        let backing = match &self.backing {
            Backing::Anonymous => Backing::Anonymous,
            Backing::File { file, offset, file_len } => {
                Backing::File { file: file.clone(), offset: offset + skip, file_len: file_len.saturating_sub(skip) }
            }
        };
        Vma { start, end, prot: self.prot, shared: self.shared, backing, role: self.role }
    }

    /// Where byte `addr` of the area comes from: `Some(file offset)` when
    /// it is file-backed, `None` for zero fill.
    pub fn file_offset_of(&self, addr: u64) -> Option<(&F, u64)> {
        match &self.backing {
            Backing::File { file, offset, file_len } if addr - self.start < *file_len => {
                Some((file, offset + (addr - self.start)))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmaError {
    /// Range not page-aligned, empty, or outside user space.
    Invalid,
    /// MAP_FIXED_NOREPLACE found something in the way.
    Exists,
    /// No hole large enough.
    NoSpace,
    /// Part of the range is not mapped (mprotect, mremap).
    NotMapped,
}

impl From<VmaError> for ringo_uapi::Errno {
    fn from(e: VmaError) -> Self {
        match e {
            VmaError::Invalid => ringo_uapi::Errno::EINVAL,
            VmaError::Exists => ringo_uapi::Errno::EEXIST,
            VmaError::NoSpace | VmaError::NotMapped => ringo_uapi::Errno::ENOMEM,
        }
    }
}

/// The set of areas, keyed by start address.
#[derive(Debug, Clone)]
pub struct VmaSet<F> {
    areas: BTreeMap<u64, Vma<F>>,
    /// Top of the region searched for free space (below the stack).
    pub mmap_top: u64,
    /// Lowest address handed out by the search.
    pub mmap_bottom: u64,
}

fn aligned(x: u64) -> bool {
    x.is_multiple_of(PAGE_SIZE)
}

impl<F: Clone> VmaSet<F> {
    pub fn new(mmap_bottom: u64, mmap_top: u64) -> Self {
        VmaSet { areas: BTreeMap::new(), mmap_top, mmap_bottom }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Vma<F>> {
        self.areas.values()
    }

    /// The area containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma<F>> {
        self.areas.range(..=addr).next_back().map(|(_, v)| v).filter(|v| addr < v.end)
    }

    pub fn find_mut(&mut self, addr: u64) -> Option<&mut Vma<F>> {
        self.areas.range_mut(..=addr).next_back().map(|(_, v)| v).filter(|v| addr < v.end)
    }

    fn check_range(start: u64, len: u64) -> Result<u64, VmaError> {
        let end = start.checked_add(len).ok_or(VmaError::Invalid)?;
        if len == 0 || !aligned(start) || !aligned(len) || end > USER_END {
            return Err(VmaError::Invalid);
        }
        Ok(end)
    }

    /// True when any area overlaps `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.areas.range(..end).next_back().is_some_and(|(_, v)| v.end > start)
    }

    /// Removes `[start, start+len)` from every area, splitting at the edges.
    /// Returns the removed pieces (for the caller to unmap pages).
    pub fn unmap(&mut self, start: u64, len: u64) -> Result<Vec<Vma<F>>, VmaError> {
        let end = Self::check_range(start, len)?;
        let keys: Vec<u64> = self.areas.range(..end).filter(|(_, v)| v.end > start).map(|(&k, _)| k).collect();
        let mut removed = Vec::new();
        for k in keys {
            let Some(v) = self.areas.remove(&k) else { continue };
            if v.start < start {
                self.areas.insert(v.start, v.slice(v.start, start));
            }
            if v.end > end {
                self.areas.insert(end, v.slice(end, v.end));
            }
            removed.push(v.slice(v.start.max(start), v.end.min(end)));
        }
        Ok(removed)
    }

    /// Inserts an area at its fixed place; with `replace`, whatever was there
    /// is removed first (MAP_FIXED) and returned, else an overlap is
    /// `Exists` (MAP_FIXED_NOREPLACE).
    pub fn insert(&mut self, vma: Vma<F>, replace: bool) -> Result<Vec<Vma<F>>, VmaError> {
        Self::check_range(vma.start, vma.len())?;
        let removed = if self.overlaps(vma.start, vma.end) {
            if !replace {
                return Err(VmaError::Exists);
            }
            self.unmap(vma.start, vma.len())?
        } else {
            Vec::new()
        };
        self.areas.insert(vma.start, vma);
        Ok(removed)
    }

    /// The highest free range of `len` bytes below `mmap_top`, like Linux's
    /// top-down allocator; `hint` is used when that range is free.
    pub fn find_free(&self, len: u64, hint: u64) -> Result<u64, VmaError> {
        if len == 0 || !aligned(len) {
            return Err(VmaError::Invalid);
        }
        if hint != 0
            && aligned(hint)
            && hint >= self.mmap_bottom
            && hint.checked_add(len).is_some_and(|e| e <= self.mmap_top)
            && !self.overlaps(hint, hint + len)
        {
            return Ok(hint);
        }
        let mut top = self.mmap_top;
        for v in self.areas.range(..self.mmap_top).rev().map(|(_, v)| v) {
            if v.end <= top && top - v.end >= len {
                return Ok(top - len);
            }
            top = top.min(v.start);
            if top < self.mmap_bottom + len {
                return Err(VmaError::NoSpace);
            }
        }
        if top >= self.mmap_bottom + len { Ok(top - len) } else { Err(VmaError::NoSpace) }
    }

    /// Changes the rights of `[start, start+len)`, which must be fully
    /// mapped (ENOMEM otherwise, as Linux).
    pub fn protect(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), VmaError> {
        let end = Self::check_range(start, len)?;
        // Every byte must be covered.
        let mut cursor = start;
        for v in self.areas.range(..end).filter(|(_, v)| v.end > start).map(|(_, v)| v) {
            if v.start > cursor {
                return Err(VmaError::NotMapped);
            }
            cursor = v.end;
        }
        if cursor < end {
            return Err(VmaError::NotMapped);
        }
        for mut piece in self.unmap(start, len)? {
            piece.prot = prot;
            self.areas.insert(piece.start, piece);
        }
        self.merge_around(start, end);
        Ok(())
    }

    /// Joins neighbours in `[start, end]` that are alike (same rights,
    /// anonymous, same role), keeping the map small.
    fn merge_around(&mut self, start: u64, end: u64) {
        // The area just before `start` may merge too.
        let first = self.areas.range(..start).next_back().map_or(start, |(&k, _)| k);
        let keys: Vec<u64> = self.areas.range(first..=end).map(|(&k, _)| k).collect();
        let mut prev: Option<u64> = None;
        for k in keys {
            if let Some(p) = prev {
                let (pa, cur) = (self.areas[&p].clone(), self.areas[&k].clone());
                if pa.end == cur.start
                    && pa.prot == cur.prot
                    && pa.shared == cur.shared
                    && pa.role == cur.role
                    && matches!(pa.backing, Backing::Anonymous)
                    && matches!(cur.backing, Backing::Anonymous)
                {
                    self.areas.remove(&k);
                    if let Some(m) = self.areas.get_mut(&p) {
                        m.end = cur.end;
                    }
                    continue;
                }
            }
            prev = Some(k);
        }
    }

    /// Grows or shrinks the area starting at `start` in place to `new_len`
    /// when the space after it is free (mremap without moving).
    pub fn resize_in_place(&mut self, start: u64, new_len: u64) -> Result<(), VmaError> {
        let v = self.areas.get(&start).ok_or(VmaError::NotMapped)?.clone();
        let new_end = Self::check_range(start, new_len)?;
        if new_end > v.end && self.overlaps(v.end, new_end) {
            return Err(VmaError::NoSpace);
        }
        if new_end < v.end {
            self.unmap(new_end, v.end - new_end)?;
        } else if let Some(m) = self.areas.get_mut(&start) {
            m.end = new_end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: u64 = PAGE_SIZE;

    fn anon(start: u64, end: u64, prot: Prot) -> Vma<u32> {
        Vma { start, end, prot, shared: false, backing: Backing::Anonymous, role: Role::Mapping }
    }

    fn ranges(s: &VmaSet<u32>) -> Vec<(u64, u64)> {
        s.iter().map(|v| (v.start, v.end)).collect()
    }

    #[test]
    fn find_and_overlap() {
        let mut s = VmaSet::new(0x1000_0000, 0x7000_0000_0000);
        s.insert(anon(10 * P, 20 * P, Prot::RW), false).unwrap();
        assert!(s.find(10 * P).is_some());
        assert!(s.find(20 * P - 1).is_some());
        assert!(s.find(20 * P).is_none());
        assert!(s.find(9 * P).is_none());
        assert!(s.overlaps(19 * P, 21 * P));
        assert!(!s.overlaps(20 * P, 21 * P));
        assert_eq!(s.insert(anon(15 * P, 25 * P, Prot::RW), false), Err(VmaError::Exists));
    }

    #[test]
    fn unmap_splits_and_returns_pieces() {
        let mut s = VmaSet::new(0, USER_END);
        s.insert(anon(10 * P, 20 * P, Prot::RW), false).unwrap();
        let removed = s.unmap(12 * P, 3 * P).unwrap();
        assert_eq!(removed.len(), 1);
        assert_eq!((removed[0].start, removed[0].end), (12 * P, 15 * P));
        assert_eq!(ranges(&s), [(10 * P, 12 * P), (15 * P, 20 * P)]);
        // Unmapping a hole is fine and removes nothing.
        assert!(s.unmap(30 * P, P).unwrap().is_empty());
        assert_eq!(s.unmap(P + 1, P), Err(VmaError::Invalid));
    }

    #[test]
    fn fixed_insert_replaces_and_keeps_file_offsets() {
        let mut s = VmaSet::new(0, USER_END);
        let file = Vma {
            start: 10 * P,
            end: 14 * P,
            prot: Prot::RW,
            shared: false,
            backing: Backing::File { file: 7u32, offset: 0x1000, file_len: 3 * P + 100 },
            role: Role::Mapping,
        };
        s.insert(file, false).unwrap();
        s.insert(anon(11 * P, 12 * P, Prot::NONE), true).unwrap();
        let tail = s.find(12 * P).unwrap();
        assert_eq!(tail.start, 12 * P);
        assert_eq!(tail.backing, Backing::File { file: 7, offset: 0x1000 + 2 * P, file_len: P + 100 });
        assert_eq!(tail.file_offset_of(12 * P + 5), Some((&7, 0x1000 + 2 * P + 5)));
        assert_eq!(tail.file_offset_of(13 * P + 100), None, "past the file part: zero fill");
        assert_eq!(s.find(11 * P).unwrap().prot, Prot::NONE);
    }

    #[test]
    fn free_space_is_found_top_down_and_hints_are_honoured() {
        let mut s = VmaSet::new(0x10_0000, 0x100_0000);
        let a = s.find_free(4 * P, 0).unwrap();
        assert_eq!(a, 0x100_0000 - 4 * P);
        s.insert(anon(a, a + 4 * P, Prot::RW), false).unwrap();
        let b = s.find_free(P, 0).unwrap();
        assert_eq!(b, a - P);
        assert_eq!(s.find_free(P, 0x20_0000).unwrap(), 0x20_0000);
        // A taken hint falls back to the search.
        assert_eq!(s.find_free(P, a).unwrap(), b);
        assert_eq!(s.find_free(0x100_0000, 0), Err(VmaError::NoSpace));
    }

    #[test]
    fn protect_splits_requires_full_coverage_and_merges_back() {
        let mut s = VmaSet::new(0, USER_END);
        s.insert(anon(10 * P, 20 * P, Prot::RW), false).unwrap();
        s.protect(12 * P, 2 * P, Prot::from_bits(1)).unwrap();
        assert_eq!(ranges(&s), [(10 * P, 12 * P), (12 * P, 14 * P), (14 * P, 20 * P)]);
        assert_eq!(s.find(13 * P).unwrap().prot, Prot { read: true, write: false, exec: false });
        s.protect(12 * P, 2 * P, Prot::RW).unwrap();
        assert_eq!(ranges(&s), [(10 * P, 20 * P)], "alike neighbours merge");
        assert_eq!(s.protect(19 * P, 2 * P, Prot::RW), Err(VmaError::NotMapped));
    }

    #[test]
    fn resize_in_place_grows_into_free_space_only() {
        let mut s = VmaSet::new(0, USER_END);
        s.insert(anon(10 * P, 12 * P, Prot::RW), false).unwrap();
        s.insert(anon(20 * P, 21 * P, Prot::RW), false).unwrap();
        s.resize_in_place(10 * P, 8 * P).unwrap();
        assert_eq!(s.find(17 * P).unwrap().start, 10 * P);
        assert_eq!(s.resize_in_place(10 * P, 12 * P), Err(VmaError::NoSpace));
        s.resize_in_place(10 * P, P).unwrap();
        assert!(s.find(11 * P).is_none());
    }
}
