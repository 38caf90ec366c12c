//! Finding the functions on a range of buses by brute force: firmware may
//! not have numbered bridges, and QEMU's guests have one or two buses.

use alloc::vec::Vec;

use super::{Bdf, ConfigSpace, HEADER_TYPE, REVISION, SUBSYSTEM_VENDOR_ID, VENDOR_ID};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Function {
    pub at: Bdf,
    pub vendor: u16,
    pub device: u16,
    pub class: u8,
    pub subclass: u8,
    pub prog_if: u8,
    pub revision: u8,
    /// The layout (0 endpoint, 1 PCI bridge, 2 CardBus), without the
    /// multi-function bit.
    pub header_type: u8,
    /// Zero for functions that are not endpoints.
    pub subsystem_vendor: u16,
    pub subsystem_id: u16,
}

const MULTI_FUNCTION: u8 = 0x80;

pub fn enumerate(cfg: &impl ConfigSpace, bus_start: u8, bus_end: u8) -> Vec<Function> {
    let mut found = Vec::new();
    for bus in bus_start..=bus_end {
        for device in 0..32 {
            let first = Bdf { bus, device, function: 0 };
            let Some(f0) = read(cfg, first) else { continue };
            found.push(f0);
            if cfg.read8(first, HEADER_TYPE) & MULTI_FUNCTION != 0 {
                found.extend((1..8).filter_map(|function| read(cfg, Bdf { bus, device, function })));
            }
        }
    }
    found
}

fn read(cfg: &impl ConfigSpace, at: Bdf) -> Option<Function> {
    let id = cfg.read32(at, VENDOR_ID);
    let vendor = id as u16;
    // All ones is an absent function; zero is never a valid vendor either.
    if vendor == 0xFFFF || vendor == 0x0000 {
        return None;
    }
    let class = cfg.read32(at, REVISION);
    let header_type = cfg.read8(at, HEADER_TYPE) & !MULTI_FUNCTION;
    let subsystem = if header_type == 0 { cfg.read32(at, SUBSYSTEM_VENDOR_ID) } else { 0 };
    Some(Function {
        at,
        vendor,
        device: (id >> 16) as u16,
        class: (class >> 24) as u8,
        subclass: (class >> 16) as u8,
        prog_if: (class >> 8) as u8,
        revision: class as u8,
        header_type,
        subsystem_vendor: subsystem as u16,
        subsystem_id: (subsystem >> 16) as u16,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fake::{FakeConfig, VIRTIO_NET};
    use super::*;

    #[test]
    fn virtio_net_pci_is_found_with_its_ids_and_class() {
        let cfg = FakeConfig::with_virtio_net();
        let found = enumerate(&cfg, 0, 0);
        let net = found.iter().find(|f| f.at == VIRTIO_NET).unwrap();
        assert_eq!(
            *net,
            Function {
                at: VIRTIO_NET,
                vendor: 0x1AF4,
                device: 0x1041,
                class: 0x02,
                subclass: 0x00,
                prog_if: 0x00,
                revision: 0x01,
                header_type: 0,
                subsystem_vendor: 0x1AF4,
                subsystem_id: 0x1100,
            }
        );
    }

    #[test]
    fn functions_above_zero_are_probed_only_on_multi_function_devices() {
        let cfg = FakeConfig::with_virtio_net();
        // 00:1f is multi-function (ISA bridge .0, SATA .2); 00:01 is not, so its
        // mirrored function 1 (as some devices decode) must not be listed.
        cfg.add_ich9_lpc_and_sata();
        cfg.mirror(VIRTIO_NET, Bdf { bus: 0, device: 1, function: 1 });
        let at: Vec<_> = enumerate(&cfg, 0, 0).iter().map(|f| f.at.to_string()).collect();
        assert_eq!(at, ["00:01.0", "00:1f.0", "00:1f.2"]);
        let lpc = enumerate(&cfg, 0, 0)[1];
        assert_eq!((lpc.header_type, lpc.class, lpc.subclass), (0, 0x06, 0x01));
    }

    #[test]
    fn the_whole_bus_range_is_walked_including_bus_255() {
        let cfg = FakeConfig::default();
        let far = Bdf { bus: 255, device: 31, function: 0 };
        cfg.mirror_from_virtio_net(far);
        assert_eq!(enumerate(&cfg, 250, 255).iter().map(|f| f.at).collect::<Vec<_>>(), [far]);
        assert!(enumerate(&cfg, 0, 254).is_empty());
    }

    #[test]
    fn a_garbage_function_is_listed_but_nothing_panics() {
        let cfg = FakeConfig::with_virtio_net();
        let junk = Bdf { bus: 0, device: 5, function: 0 };
        cfg.add_garbage(junk);
        let found = enumerate(&cfg, 0, 0);
        assert!(found.iter().any(|f| f.at == junk));
        assert!(found.len() <= 1 + 8);
    }
}
