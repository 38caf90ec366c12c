//! Giving addresses to the BARs firmware left at zero (qboot assigns none;
//! SeaBIOS all), from the host bridge's windows.

use alloc::vec::Vec;

use super::{Bar, Bdf, ConfigSpace, Function, probe_bars, set_bar};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub base: u64,
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub at: Bdf,
    pub bar: usize,
    pub address: u64,
    pub size: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignError {
    WindowFull { at: Bdf, bar: usize, size: u64 },
}

/// Hands out naturally aligned ranges from a window in increasing order,
/// stepping over ranges already in use.
#[derive(Clone, Debug)]
pub struct BarAllocator {
    window: Window,
    next: u64,
    in_use: Vec<(u64, u64)>,
}

impl BarAllocator {
    pub fn new(window: Window) -> Self {
        BarAllocator { window, next: window.base, in_use: Vec::new() }
    }

    /// Marks `[base, base + size)` as taken (a BAR firmware assigned).
    pub fn reserve(&mut self, base: u64, size: u64) {
        self.in_use.push((base, base.saturating_add(size)));
    }

    pub fn contains(&self, base: u64) -> bool {
        base >= self.window.base && base - self.window.base < self.window.size
    }

    /// A `size`-aligned range of `size` bytes (rounded up to a power of
    /// two, as BAR sizes are).
    pub fn alloc(&mut self, size: u64) -> Option<u64> {
        if size == 0 {
            return None;
        }
        let size = size.checked_next_power_of_two()?;
        let end_of_window = self.window.base.checked_add(self.window.size)?;
        let mut start = align_up(self.next, size)?;
        // Each overlap moves `start` past that range's end, so this loops at
        // most once per range in use.
        loop {
            let end = start.checked_add(size)?;
            if end > end_of_window {
                return None;
            }
            match self.in_use.iter().find(|(b, e)| start < *e && *b < end) {
                Some(&(_, taken_end)) => start = align_up(taken_end, size)?,
                None => {
                    self.next = end;
                    return Some(start);
                }
            }
        }
    }
}

fn align_up(v: u64, align: u64) -> Option<u64> {
    Some(v.checked_add(align - 1)? & !(align - 1))
}

const FOUR_GIB: u64 = 1 << 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Space {
    Mem32,
    Mem64,
    Io,
}

struct Request {
    at: Bdf,
    bar: usize,
    size: u64,
    space: Space,
}

/// Gives every memory BAR at address 0 an address: 64-bit BARs from `mem64`
/// when there is one and it has room, else from `mem32`; 32-bit BARs from
/// `mem32` (below 4 GiB). IO BARs at port 0 get a port from `io` when given,
/// else stay as they are. Larger BARs go first so that natural alignment
/// wastes nothing. Either every BAR fits and all are written, or nothing is
/// written and the first one that did not fit is reported.
pub fn assign_unassigned(
    cfg: &impl ConfigSpace,
    functions: &[Function],
    mem32: Window,
    mem64: Option<Window>,
    io: Option<Window>,
) -> Result<Vec<Assignment>, AssignError> {
    let mem32 = Window { base: mem32.base, size: mem32.size.min(FOUR_GIB.saturating_sub(mem32.base)) };
    let mut a32 = BarAllocator::new(mem32);
    let mut a64 = mem64.map(BarAllocator::new);
    let mut aio = io.map(BarAllocator::new);
    let mut requests = Vec::new();
    for f in functions {
        for (bar, probed) in probe_bars(cfg, f.at).into_iter().enumerate() {
            let request = |size, space| Request { at: f.at, bar, size, space };
            match probed {
                Some(Bar::Memory { address: 0, size, is_64, .. }) => {
                    requests.push(request(size, if is_64 { Space::Mem64 } else { Space::Mem32 }))
                }
                Some(Bar::Memory { address, size, .. }) => {
                    for a in core::iter::once(&mut a32).chain(a64.as_mut()) {
                        if a.contains(address) {
                            a.reserve(address, size);
                        }
                    }
                }
                Some(Bar::Io { port: 0, size }) if aio.is_some() => requests.push(request(size.into(), Space::Io)),
                Some(Bar::Io { port, size }) => {
                    if let Some(a) = aio.as_mut().filter(|a| a.contains(port.into())) {
                        a.reserve(port.into(), size.into());
                    }
                }
                None => {}
            }
        }
    }
    requests.sort_by_key(|r| core::cmp::Reverse(r.size));
    let mut plan = Vec::with_capacity(requests.len());
    for r in &requests {
        let address = match r.space {
            Space::Mem64 => a64.as_mut().and_then(|a| a.alloc(r.size)).or_else(|| a32.alloc(r.size)),
            Space::Mem32 => a32.alloc(r.size),
            Space::Io => aio.as_mut().and_then(|a| a.alloc(r.size)),
        };
        let Some(address) = address else {
            return Err(AssignError::WindowFull { at: r.at, bar: r.bar, size: r.size });
        };
        plan.push(Assignment { at: r.at, bar: r.bar, address, size: r.size });
    }
    for a in &plan {
        set_bar(cfg, a.at, a.bar, a.address);
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{FakeConfig, VIRTIO_NET};
    use super::super::{Bar, enumerate, probe_bars};
    use super::*;

    const MEM32: Window = Window { base: 0xC000_0000, size: 0x2000_0000 };
    const MEM64: Window = Window { base: 0x80_0000_0000, size: 0x10_0000_0000 };

    fn unassigned() -> FakeConfig {
        let cfg = FakeConfig::with_virtio_net();
        cfg.clear_bars(VIRTIO_NET);
        cfg
    }

    #[test]
    fn the_allocator_aligns_each_range_to_its_size() {
        let mut a = BarAllocator::new(Window { base: 0x1000, size: 0x10000 });
        assert_eq!(a.alloc(0x1000), Some(0x1000));
        assert_eq!(a.alloc(0x4000), Some(0x4000));
        assert_eq!(a.alloc(0x100), Some(0x8000));
        assert_eq!(a.alloc(0x300), Some(0x8400), "rounded up to 0x400");
        assert_eq!(a.alloc(0x10000), None);
        assert_eq!(a.alloc(0), None);
    }

    #[test]
    fn the_allocator_steps_over_reserved_ranges() {
        let mut a = BarAllocator::new(Window { base: 0, size: 0x10000 });
        a.reserve(0x0000, 0x1000);
        a.reserve(0x2000, 0x2000);
        assert_eq!(a.alloc(0x1000), Some(0x1000));
        assert_eq!(a.alloc(0x1000), Some(0x4000));
    }

    #[test]
    fn the_allocator_never_overflows_at_the_top_of_the_address_space() {
        let mut a = BarAllocator::new(Window { base: u64::MAX - 0xFFF, size: 0x1000 });
        assert_eq!(a.alloc(0x2000), None);
        assert_eq!(a.alloc(1 << 63), None);
        assert_eq!(a.alloc(u64::MAX), None);
    }

    #[test]
    fn virtio_net_gets_its_64_bit_bar_from_mem64_and_its_32_bit_bar_from_mem32() {
        let cfg = unassigned();
        let functions = enumerate(&cfg, 0, 0);
        let got = assign_unassigned(&cfg, &functions, MEM32, Some(MEM64), None).unwrap();
        assert_eq!(
            got,
            [
                Assignment { at: VIRTIO_NET, bar: 4, address: 0x80_0000_0000, size: 0x4000 },
                Assignment { at: VIRTIO_NET, bar: 1, address: 0xC000_0000, size: 0x1000 },
            ]
        );
        let bars = probe_bars(&cfg, VIRTIO_NET);
        assert_eq!(
            bars[4],
            Some(Bar::Memory { address: 0x80_0000_0000, size: 0x4000, is_64: true, prefetchable: true })
        );
        assert_eq!(
            bars[1],
            Some(Bar::Memory { address: 0xC000_0000, size: 0x1000, is_64: false, prefetchable: false })
        );
    }

    #[test]
    fn without_mem64_a_64_bit_bar_goes_below_4_gib_larger_first() {
        let cfg = unassigned();
        let functions = enumerate(&cfg, 0, 0);
        let got = assign_unassigned(&cfg, &functions, MEM32, None, None).unwrap();
        assert_eq!(got[0], Assignment { at: VIRTIO_NET, bar: 4, address: 0xC000_0000, size: 0x4000 });
        assert_eq!(got[1], Assignment { at: VIRTIO_NET, bar: 1, address: 0xC000_4000, size: 0x1000 });
    }

    #[test]
    fn already_assigned_bars_are_kept_and_not_overlapped() {
        let cfg = unassigned();
        // BAR1 assigned by firmware at the window's start.
        cfg.poke32(VIRTIO_NET, 0x14, 0xC000_0000);
        let functions = enumerate(&cfg, 0, 0);
        let got = assign_unassigned(&cfg, &functions, MEM32, None, None).unwrap();
        assert_eq!(got, [Assignment { at: VIRTIO_NET, bar: 4, address: 0xC000_4000, size: 0x4000 }]);
    }

    #[test]
    fn io_bars_are_assigned_only_when_an_io_window_is_given() {
        let cfg = unassigned();
        let legacy = Bdf { bus: 0, device: 2, function: 0 };
        cfg.add_transitional_virtio_net(legacy);
        let functions = enumerate(&cfg, 0, 0);
        let without = assign_unassigned(&cfg, &functions, MEM32, Some(MEM64), None).unwrap();
        assert!(without.iter().all(|a| !(a.at == legacy && a.bar == 0)));
        let cfg = unassigned();
        cfg.add_transitional_virtio_net(legacy);
        let io = Window { base: 0xC000, size: 0x1000 };
        let with = assign_unassigned(&cfg, &functions, MEM32, Some(MEM64), Some(io)).unwrap();
        assert!(with.contains(&Assignment { at: legacy, bar: 0, address: 0xC000, size: 0x20 }));
        assert_eq!(probe_bars(&cfg, legacy)[0], Some(Bar::Io { port: 0xC000, size: 0x20 }));
    }

    #[test]
    fn a_full_window_is_reported_and_nothing_is_written() {
        let cfg = unassigned();
        let functions = enumerate(&cfg, 0, 0);
        let tiny = Window { base: 0xC000_0000, size: 0x2000 };
        assert_eq!(
            assign_unassigned(&cfg, &functions, tiny, None, None),
            Err(AssignError::WindowFull { at: VIRTIO_NET, bar: 4, size: 0x4000 })
        );
        assert!(probe_bars(&cfg, VIRTIO_NET).iter().flatten().all(|b| matches!(b, Bar::Memory { address: 0, .. })));
    }

    #[test]
    fn a_mem32_window_reaching_past_4_gib_is_cut_at_4_gib() {
        let cfg = unassigned();
        let functions = enumerate(&cfg, 0, 0);
        let high = Window { base: 0xFFFF_F000, size: 0x10_0000 };
        assert!(matches!(assign_unassigned(&cfg, &functions, high, None, None), Err(AssignError::WindowFull { .. })));
    }
}
