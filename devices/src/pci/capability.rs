//! The capability list: a linked list in config space, which a broken or
//! hostile device can make cyclic.

use alloc::vec::Vec;

use super::{Bdf, CAPABILITIES_POINTER, ConfigSpace, STATUS, STATUS_CAPABILITIES};

pub const CAP_MSI: u8 = 0x05;
pub const CAP_VENDOR: u8 = 0x09;
pub const CAP_MSIX: u8 = 0x11;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    pub id: u8,
    pub offset: u8,
}

/// 192 bytes of capability space hold at most 48 four-byte capabilities, so
/// a longer walk has met a cycle.
const MAX_CAPABILITIES: usize = 48;

/// The first capabilities start after the 64-byte header.
const FIRST_OFFSET: u8 = 0x40;

pub fn capabilities(cfg: &impl ConfigSpace, at: Bdf) -> Vec<Capability> {
    let mut caps = Vec::new();
    if cfg.read16(at, STATUS) & STATUS_CAPABILITIES == 0 {
        return caps;
    }
    let mut next = cfg.read8(at, CAPABILITIES_POINTER) & !3;
    while next >= FIRST_OFFSET && caps.len() < MAX_CAPABILITIES {
        let header = cfg.read16(at, u16::from(next));
        caps.push(Capability { id: header as u8, offset: next });
        next = (header >> 8) as u8 & !3;
    }
    caps
}

/// The offset of the first capability with `id`.
pub fn find_capability(cfg: &impl ConfigSpace, at: Bdf, id: u8) -> Option<u8> {
    capabilities(cfg, at).into_iter().find(|c| c.id == id).map(|c| c.offset)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{FakeConfig, VIRTIO_NET};
    use super::*;
    use alloc::vec;

    #[test]
    fn virtio_net_lists_msix_then_five_vendor_capabilities() {
        let cfg = FakeConfig::with_virtio_net();
        let caps = capabilities(&cfg, VIRTIO_NET);
        let cap = |id, offset| Capability { id, offset };
        assert_eq!(
            caps,
            vec![
                cap(CAP_MSIX, 0x98),
                cap(CAP_VENDOR, 0x84),
                cap(CAP_VENDOR, 0x70),
                cap(CAP_VENDOR, 0x60),
                cap(CAP_VENDOR, 0x50),
                cap(CAP_VENDOR, 0x40),
            ]
        );
        assert_eq!(find_capability(&cfg, VIRTIO_NET, CAP_MSIX), Some(0x98));
        assert_eq!(find_capability(&cfg, VIRTIO_NET, CAP_MSI), None);
    }

    #[test]
    fn without_the_status_bit_there_is_no_list() {
        let cfg = FakeConfig::with_virtio_net();
        cfg.poke32(VIRTIO_NET, 0x04, 0x0000_0000);
        assert!(capabilities(&cfg, VIRTIO_NET).is_empty());
    }

    #[test]
    fn a_cyclic_list_stops_after_48_entries() {
        let cfg = FakeConfig::with_virtio_net();
        // 0x40's next pointer back to 0x84.
        cfg.poke32(VIRTIO_NET, 0x40, 0x0110_8409);
        let caps = capabilities(&cfg, VIRTIO_NET);
        assert_eq!(caps.len(), 48);
        assert_eq!(caps[6], Capability { id: CAP_VENDOR, offset: 0x84 });
    }

    #[test]
    fn pointers_into_the_header_end_the_list_and_low_bits_are_masked() {
        let cfg = FakeConfig::with_virtio_net();
        // 0x98 -> 0x87 (masked to 0x84); 0x84 -> 0x3C (header) ends.
        cfg.poke32(VIRTIO_NET, 0x98, 0x0003_8711);
        cfg.poke32(VIRTIO_NET, 0x84, 0x0514_3C09);
        let offsets: Vec<u8> = capabilities(&cfg, VIRTIO_NET).iter().map(|c| c.offset).collect();
        assert_eq!(offsets, [0x98, 0x84]);
    }

    #[test]
    fn a_garbage_function_yields_a_bounded_list() {
        let cfg = FakeConfig::default();
        let junk = Bdf { bus: 0, device: 5, function: 0 };
        cfg.add_garbage(junk);
        assert!(capabilities(&cfg, junk).len() <= 48);
    }
}
