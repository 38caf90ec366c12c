//! The physical memory map: the firmware's e820 list turned into sorted,
//! non-overlapping regions. Loaders do hand over odd lists (qboot leaves them
//! unsorted, microvm adds an all-zero entry, firmware may overlap entries), so
//! nothing here trusts the input's order or shape. Where entries overlap, the
//! more restrictive kind wins: memory is only usable if nothing else claims it.

/// What a range of physical memory is, in e820 terms. The order is the
/// priority when entries overlap (later wins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Usable,
    AcpiReclaimable,
    Reserved,
    AcpiNvs,
    Unusable,
}

impl Kind {
    /// The e820 type numbers; anything unknown is treated as reserved.
    pub fn from_e820(t: u32) -> Kind {
        match t {
            1 => Kind::Usable,
            3 => Kind::AcpiReclaimable,
            4 => Kind::AcpiNvs,
            5 => Kind::Unusable,
            _ => Kind::Reserved,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    pub kind: Kind,
}

impl Region {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// The most entries (firmware plus the kernel's own reservations) a map holds;
/// more are dropped and counted in [`MemoryMap::dropped`].
pub const MAX_ENTRIES: usize = 128;

/// A fixed-capacity map: it is built before any allocator exists.
#[derive(Debug, Clone)]
pub struct MemoryMap {
    input: [Region; MAX_ENTRIES],
    input_len: usize,
    regions: [Region; MAX_ENTRIES],
    len: usize,
    dropped: usize,
}

const EMPTY: Region = Region { start: 0, end: 0, kind: Kind::Reserved };

impl Default for MemoryMap {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryMap {
    pub const fn new() -> Self {
        MemoryMap { input: [EMPTY; MAX_ENTRIES], input_len: 0, regions: [EMPTY; MAX_ENTRIES], len: 0, dropped: 0 }
    }

    /// Adds a firmware entry (`addr`, `size`, e820 `kind`). Empty and
    /// wrapping entries are ignored; a wrapping one is cut at the top.
    pub fn add(&mut self, addr: u64, size: u64, kind: Kind) {
        let end = addr.saturating_add(size);
        if end <= addr {
            return;
        }
        if self.input_len == MAX_ENTRIES {
            self.dropped += 1;
            return;
        }
        self.input[self.input_len] = Region { start: addr, end, kind };
        self.input_len += 1;
        self.rebuild();
    }

    /// Marks `[start, end)` as not usable (the kernel image, boot modules,
    /// the low megabyte): a reservation wins over whatever the firmware said.
    pub fn reserve(&mut self, start: u64, end: u64) {
        self.add(start, end.saturating_sub(start), Kind::Reserved);
    }

    /// Entries that did not fit.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Sorted, non-overlapping, adjacent regions of one kind merged.
    pub fn regions(&self) -> &[Region] {
        &self.regions[..self.len]
    }

    /// Usable ranges shrunk to whole pages of `page` bytes.
    pub fn usable(&self, page: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.regions()
            .iter()
            .filter(|r| r.kind == Kind::Usable)
            .map(move |r| (crate::align_up(r.start, page), crate::align_down(r.end, page)))
            .filter(|(s, e)| s < e)
    }

    pub fn usable_bytes(&self, page: u64) -> u64 {
        self.usable(page).map(|(s, e)| e - s).sum()
    }

    /// The end of the highest region of any kind (what a direct map covers).
    pub fn top(&self) -> u64 {
        self.regions().last().map_or(0, |r| r.end)
    }

    /// Sweeps the entries' boundaries: each elementary interval takes the
    /// highest-priority kind of the entries covering it.
    fn rebuild(&mut self) {
        let mut points = [0u64; 2 * MAX_ENTRIES];
        let mut n = 0;
        for r in &self.input[..self.input_len] {
            points[n] = r.start;
            points[n + 1] = r.end;
            n += 2;
        }
        let points = &mut points[..n];
        points.sort_unstable();

        self.len = 0;
        for w in points.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a == b {
                continue;
            }
            let kind = self.input[..self.input_len].iter().filter(|r| r.start <= a && b <= r.end).map(|r| r.kind).max();
            let Some(kind) = kind else { continue };
            match self.len.checked_sub(1).map(|i| &mut self.regions[i]) {
                Some(last) if last.end == a && last.kind == kind => last.end = b,
                _ => {
                    // At most 2*input-1 intervals, merged: never more than
                    // the capacity in practice, but never overrun it.
                    if self.len == MAX_ENTRIES {
                        self.dropped += 1;
                        return;
                    }
                    self.regions[self.len] = Region { start: a, end: b, kind };
                    self.len += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Kind::*;

    fn r(start: u64, end: u64, kind: Kind) -> Region {
        Region { start, end, kind }
    }

    #[test]
    fn sorts_and_drops_empty_entries() {
        let mut m = MemoryMap::new();
        m.add(0x10_0000, 0x7ff0_0000, Usable);
        m.add(0, 0, Usable); // microvm's all-zero entry
        m.add(0, 0x9_fc00, Usable);
        m.add(0x9_fc00, 0x400, Reserved);
        assert_eq!(
            m.regions(),
            [r(0, 0x9_fc00, Usable), r(0x9_fc00, 0xa_0000, Reserved), r(0x10_0000, 0x8000_0000, Usable)]
        );
    }

    #[test]
    fn overlaps_resolve_to_the_stricter_kind() {
        let mut m = MemoryMap::new();
        m.add(0x1000, 0x9000, Usable);
        m.add(0x4000, 0x1000, Reserved);
        m.add(0x2000, 0x1000, AcpiNvs);
        m.add(0x3000, 0x2000, AcpiReclaimable); // half under the reserved one
        assert_eq!(
            m.regions(),
            [
                r(0x1000, 0x2000, Usable),
                r(0x2000, 0x3000, AcpiNvs),
                r(0x3000, 0x4000, AcpiReclaimable),
                r(0x4000, 0x5000, Reserved),
                r(0x5000, 0xa000, Usable),
            ]
        );
    }

    #[test]
    fn adjacent_and_duplicate_usable_entries_merge() {
        let mut m = MemoryMap::new();
        m.add(0x2000, 0x1000, Usable);
        m.add(0x1000, 0x1000, Usable);
        m.add(0x1000, 0x2000, Usable);
        assert_eq!(m.regions(), [r(0x1000, 0x3000, Usable)]);
    }

    #[test]
    fn reservations_punch_holes() {
        let mut m = MemoryMap::new();
        m.add(0, 0x1000_0000, Usable);
        m.reserve(0, 0x10_0000);
        m.reserve(0x20_0000, 0x40_0123);
        let usable: Vec<_> = m.usable(0x1000).collect();
        assert_eq!(usable, [(0x10_0000, 0x20_0000), (0x40_1000, 0x1000_0000)]);
        assert_eq!(m.usable_bytes(0x1000), 0x10_0000 + 0x1000_0000 - 0x40_1000);
    }

    #[test]
    fn usable_ranges_are_page_aligned_inward() {
        let mut m = MemoryMap::new();
        m.add(0x1234, 0x3000, Usable); // 0x1234..0x4234
        m.add(0x5000, 0x800, Usable); // smaller than a page after alignment
        let usable: Vec<_> = m.usable(0x1000).collect();
        assert_eq!(usable, [(0x2000, 0x4000)]);
    }

    #[test]
    fn unknown_types_are_reserved_and_wrapping_is_cut() {
        assert_eq!(Kind::from_e820(1), Usable);
        assert_eq!(Kind::from_e820(2), Reserved);
        assert_eq!(Kind::from_e820(12), Reserved);
        let mut m = MemoryMap::new();
        m.add(u64::MAX - 0xfff, 0x2000, Usable);
        assert_eq!(m.regions(), [r(u64::MAX - 0xfff, u64::MAX, Usable)]);
        assert_eq!(m.top(), u64::MAX);
    }

    #[test]
    fn too_many_entries_are_counted_not_overrun() {
        let mut m = MemoryMap::new();
        for i in 0..(MAX_ENTRIES as u64 + 5) {
            m.add(i * 0x2000, 0x1000, if i % 2 == 0 { Usable } else { Reserved });
        }
        assert_eq!(m.dropped(), 5);
        assert_eq!(m.regions().len(), MAX_ENTRIES);
    }
}
