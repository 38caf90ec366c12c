//! Base address registers: what each one decodes and how big it is.
//!
//! Sizing writes all ones and reads back which address bits stick; while a
//! BAR holds all ones it would decode a bogus range, so memory and IO
//! decoding are off for the duration.

use super::{BAR0, Bdf, COMMAND, COMMAND_IO, COMMAND_MEMORY, ConfigSpace, HEADER_TYPE, write_command};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bar {
    /// `address` 0 means unassigned.
    Memory {
        address: u64,
        size: u64,
        is_64: bool,
        prefetchable: bool,
    },
    Io {
        port: u32,
        size: u32,
    },
}

const IO_SPACE: u32 = 1 << 0;
const MEMORY_TYPE_MASK: u32 = 0b110;
const MEMORY_TYPE_32: u32 = 0b000;
const MEMORY_TYPE_BELOW_1M: u32 = 0b010;
const MEMORY_TYPE_64: u32 = 0b100;
const PREFETCHABLE: u32 = 1 << 3;

/// Endpoints have six BARs, PCI bridges two, other layouts none we size.
fn bar_count(cfg: &impl ConfigSpace, at: Bdf) -> usize {
    match cfg.read8(at, HEADER_TYPE) & 0x7F {
        0 => 6,
        1 => 2,
        _ => 0,
    }
}

fn offset(index: usize) -> u16 {
    BAR0 + 4 * index as u16
}

/// The lowest writable address bit is the size.
fn size_from(mask: u64) -> u64 {
    mask & mask.wrapping_neg()
}

/// Sizes every BAR; the upper half of a 64-bit BAR is `None`. Addresses are
/// left as they were and the command register restored.
pub fn probe_bars(cfg: &impl ConfigSpace, at: Bdf) -> [Option<Bar>; 6] {
    let mut bars = [None; 6];
    let count = bar_count(cfg, at);
    if count == 0 {
        return bars;
    }
    let command = cfg.read16(at, COMMAND);
    write_command(cfg, at, command & !(COMMAND_MEMORY | COMMAND_IO));
    let mut i = 0;
    while i < count {
        let (bar, slots) = probe_one(cfg, at, i, count);
        bars[i] = bar;
        i += slots;
    }
    write_command(cfg, at, command);
    bars
}

/// One BAR and how many slots it takes.
fn probe_one(cfg: &impl ConfigSpace, at: Bdf, i: usize, count: usize) -> (Option<Bar>, usize) {
    let low = cfg.read32(at, offset(i));
    let sized_low = size_dword(cfg, at, i, low);
    if low & IO_SPACE != 0 {
        let size = size_from(u64::from(sized_low & !0x3)) as u32;
        return ((size != 0).then_some(Bar::Io { port: low & !0x3, size }), 1);
    }
    let prefetchable = low & PREFETCHABLE != 0;
    match low & MEMORY_TYPE_MASK {
        MEMORY_TYPE_32 | MEMORY_TYPE_BELOW_1M => {
            let size = size_from(u64::from(sized_low & !0xF));
            let bar = Bar::Memory { address: u64::from(low & !0xF), size, is_64: false, prefetchable };
            ((size != 0).then_some(bar), 1)
        }
        // The last BAR cannot start a 64-bit pair.
        MEMORY_TYPE_64 if i + 1 < count => {
            let high = cfg.read32(at, offset(i + 1));
            let sized_high = size_dword(cfg, at, i + 1, high);
            let size = size_from(u64::from(sized_high) << 32 | u64::from(sized_low & !0xF));
            let address = u64::from(high) << 32 | u64::from(low & !0xF);
            ((size != 0).then_some(Bar::Memory { address, size, is_64: true, prefetchable }), 2)
        }
        _ => (None, 1),
    }
}

/// Writes all ones, reads the result, restores `original`.
fn size_dword(cfg: &impl ConfigSpace, at: Bdf, i: usize, original: u32) -> u32 {
    cfg.write32(at, offset(i), u32::MAX);
    let sized = cfg.read32(at, offset(i));
    cfg.write32(at, offset(i), original);
    sized
}

/// Points BAR `index` at `address` (both halves of a 64-bit BAR), with
/// decoding off meanwhile so that a half-written 64-bit address never
/// decodes. An index past the function's BARs, or the upper half of a
/// 64-bit BAR, is ignored.
pub fn set_bar(cfg: &impl ConfigSpace, at: Bdf, index: usize, address: u64) {
    if index >= bar_count(cfg, at) {
        return;
    }
    let low = cfg.read32(at, offset(index));
    let is_64 = low & IO_SPACE == 0 && low & MEMORY_TYPE_MASK == MEMORY_TYPE_64 && index + 1 < bar_count(cfg, at);
    let command = cfg.read16(at, COMMAND);
    write_command(cfg, at, command & !(COMMAND_MEMORY | COMMAND_IO));
    // The low type bits are read-only; writing them back unchanged is clean.
    let type_bits = if low & IO_SPACE != 0 { low & 0x3 } else { low & 0xF };
    cfg.write32(at, offset(index), (address as u32 & !type_bits) | type_bits);
    if is_64 {
        cfg.write32(at, offset(index + 1), (address >> 32) as u32);
    }
    write_command(cfg, at, command);
}

#[cfg(test)]
mod tests {
    use super::super::fake::{FakeConfig, VIRTIO_NET};
    use super::*;

    #[test]
    fn virtio_net_has_a_4k_msix_bar_and_a_16k_64_bit_prefetchable_bar() {
        let cfg = FakeConfig::with_virtio_net();
        let bars = probe_bars(&cfg, VIRTIO_NET);
        assert_eq!(bars[0], None);
        assert_eq!(
            bars[1],
            Some(Bar::Memory { address: 0xFEBC_0000, size: 0x1000, is_64: false, prefetchable: false })
        );
        assert_eq!((bars[2], bars[3]), (None, None));
        assert_eq!(bars[4], Some(Bar::Memory { address: 0xFEBF_8000, size: 0x4000, is_64: true, prefetchable: true }));
        assert_eq!(bars[5], None, "the upper half of BAR4");
    }

    #[test]
    fn sizing_disables_decoding_and_restores_bars_and_command() {
        let cfg = FakeConfig::with_virtio_net();
        cfg.poke32(VIRTIO_NET, 0x04, 0x0010_0407);
        let before = cfg.snapshot(VIRTIO_NET);
        probe_bars(&cfg, VIRTIO_NET);
        assert_eq!(cfg.snapshot(VIRTIO_NET), before);
        assert!(cfg.bar_writes_with_decoding_on(VIRTIO_NET).is_empty());
    }

    #[test]
    fn an_io_bar_with_a_16_bit_decoder_has_its_size() {
        let cfg = FakeConfig::with_virtio_net();
        let legacy = Bdf { bus: 0, device: 2, function: 0 };
        cfg.add_transitional_virtio_net(legacy);
        assert_eq!(probe_bars(&cfg, legacy)[0], Some(Bar::Io { port: 0, size: 0x20 }));
    }

    #[test]
    fn set_bar_writes_both_halves_of_a_64_bit_bar_with_decoding_off() {
        let cfg = FakeConfig::with_virtio_net();
        cfg.poke32(VIRTIO_NET, 0x04, 0x0010_0006);
        set_bar(&cfg, VIRTIO_NET, 4, 0x80_0000_4000);
        set_bar(&cfg, VIRTIO_NET, 1, 0xC000_1000);
        let bars = probe_bars(&cfg, VIRTIO_NET);
        assert_eq!(
            bars[4],
            Some(Bar::Memory { address: 0x80_0000_4000, size: 0x4000, is_64: true, prefetchable: true })
        );
        assert_eq!(
            bars[1],
            Some(Bar::Memory { address: 0xC000_1000, size: 0x1000, is_64: false, prefetchable: false })
        );
        assert!(cfg.bar_writes_with_decoding_on(VIRTIO_NET).is_empty());
        assert_eq!(cfg.read16(VIRTIO_NET, COMMAND), 0x0006);
        set_bar(&cfg, VIRTIO_NET, 6, 0x1000);
        set_bar(&cfg, VIRTIO_NET, 99, 0x1000);
    }

    #[test]
    fn a_garbage_function_never_panics_and_yields_at_most_six_bars() {
        let cfg = FakeConfig::default();
        let junk = Bdf { bus: 0, device: 5, function: 0 };
        cfg.add_garbage(junk);
        let _ = probe_bars(&cfg, junk);
        set_bar(&cfg, junk, 5, u64::MAX);
    }

    #[test]
    fn a_bridge_has_two_bars_and_other_layouts_none() {
        let cfg = FakeConfig::with_virtio_net();
        cfg.poke32(VIRTIO_NET, 0x0C, 0x0001_0000);
        let bars = probe_bars(&cfg, VIRTIO_NET);
        assert!(bars[1].is_some() && bars[4].is_none());
        cfg.poke32(VIRTIO_NET, 0x0C, 0x0002_0000);
        assert_eq!(probe_bars(&cfg, VIRTIO_NET), [None; 6]);
    }
}
