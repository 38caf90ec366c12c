//! A model of PCI config space for the tests: per-register writable masks
//! (which is what BAR sizing reads back), write-one-to-clear status bits,
//! absent functions reading all ones, and a function that answers garbage.
//! The virtio-net-pci image is QEMU 7.2's, read from a q35 guest's ECAM.

use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use std::collections::HashMap;

use super::{Bdf, ConfigSpace};

pub const VIRTIO_NET: Bdf = Bdf { bus: 0, device: 1, function: 0 };

const QEMU_VIRTIO_NET_PCI: &[u8; 256] = include_bytes!("../../testdata/qemu-7.2/q35-virtio-net-pci-config.bin");

#[derive(Clone)]
struct Func {
    regs: [u32; 64],
    writable: [u32; 64],
    rw1c: [u32; 64],
    garbage: bool,
}

#[derive(Default)]
pub struct FakeConfig {
    funcs: RefCell<HashMap<Bdf, Func>>,
    /// BAR writes made while the command register had decoding on.
    decoding_on_writes: RefCell<Vec<(Bdf, u16, u32)>>,
    noise: Cell<u32>,
}

fn endpoint(image: &[u8; 256], bar_masks: [u32; 6]) -> Func {
    let mut f = Func { regs: [0; 64], writable: [0; 64], rw1c: [0; 64], garbage: false };
    for (i, r) in f.regs.iter_mut().enumerate() {
        *r = u32::from_le_bytes(image[i * 4..i * 4 + 4].try_into().unwrap());
    }
    // Command: IO, memory, bus master, parity, SERR, INTx disable.
    f.writable[1] = 0x0000_0547;
    // Status: the error bits.
    f.rw1c[1] = 0xF900_0000;
    f.writable[4..10].copy_from_slice(&bar_masks);
    // Interrupt line.
    f.writable[15] = 0x0000_00FF;
    f
}

fn virtio_net() -> Func {
    let mut f = endpoint(QEMU_VIRTIO_NET_PCI, [0, 0xFFFF_F000, 0, 0, 0xFFFF_C000, 0xFFFF_FFFF]);
    // MSI-X message control: enable and function mask.
    f.writable[0x98 / 4] = 0xC000_0000;
    f
}

impl FakeConfig {
    pub fn with_virtio_net() -> Self {
        let cfg = FakeConfig::default();
        cfg.funcs.borrow_mut().insert(VIRTIO_NET, virtio_net());
        cfg
    }

    pub fn mirror_from_virtio_net(&self, at: Bdf) {
        self.funcs.borrow_mut().insert(at, virtio_net());
    }

    pub fn mirror(&self, from: Bdf, to: Bdf) {
        let f = self.funcs.borrow()[&from].clone();
        self.funcs.borrow_mut().insert(to, f);
    }

    /// QEMU's transitional virtio-net-pci (1af4:1000) as qboot leaves it:
    /// BAR0 a 32-port legacy IO BAR with a 16-bit decoder, BAR1 and BAR4 as
    /// the modern device's, nothing assigned.
    pub fn add_transitional_virtio_net(&self, at: Bdf) {
        let mut f = virtio_net();
        f.regs[0] = 0x1000_1AF4;
        f.regs[4] = 0x0000_0001;
        f.writable[4] = 0x0000_FFE0;
        self.funcs.borrow_mut().insert(at, f);
        self.clear_bars(at);
    }

    /// ICH9's LPC bridge (multi-function) at 00:1f.0 and AHCI at 00:1f.2.
    pub fn add_ich9_lpc_and_sata(&self) {
        let mut lpc = [0u8; 256];
        lpc[..16].copy_from_slice(&[0x86, 0x80, 0x18, 0x29, 0, 0, 0, 0, 0x02, 0x00, 0x01, 0x06, 0, 0, 0x80, 0]);
        let mut sata = [0u8; 256];
        sata[..16].copy_from_slice(&[0x86, 0x80, 0x22, 0x29, 0, 0, 0, 0, 0x02, 0x01, 0x06, 0x01, 0, 0, 0x00, 0]);
        let mut funcs = self.funcs.borrow_mut();
        funcs.insert(Bdf { bus: 0, device: 31, function: 0 }, endpoint(&lpc, [0; 6]));
        funcs.insert(Bdf { bus: 0, device: 31, function: 2 }, endpoint(&sata, [0, 0, 0, 0, 0xFFFF_FFE0, 0xFFFF_F000]));
    }

    pub fn add_garbage(&self, at: Bdf) {
        let f = Func { regs: [0; 64], writable: [0; 64], rw1c: [0; 64], garbage: true };
        self.funcs.borrow_mut().insert(at, f);
    }

    /// Writes a register as is, bypassing the masks.
    pub fn poke32(&self, at: Bdf, offset: u16, value: u32) {
        self.funcs.borrow_mut().get_mut(&at).unwrap().regs[usize::from(offset / 4)] = value;
    }

    pub fn set_status_error(&self, at: Bdf) {
        self.funcs.borrow_mut().get_mut(&at).unwrap().regs[1] |= 0x8000_0000;
    }

    /// Zeroes the address bits of every BAR, as firmware that assigns
    /// nothing leaves them.
    pub fn clear_bars(&self, at: Bdf) {
        let mut funcs = self.funcs.borrow_mut();
        let f = funcs.get_mut(&at).unwrap();
        for i in 4..10 {
            f.regs[i] &= !f.writable[i];
        }
    }

    pub fn snapshot(&self, at: Bdf) -> [u32; 64] {
        self.funcs.borrow()[&at].regs
    }

    pub fn bar_writes_with_decoding_on(&self, at: Bdf) -> Vec<(u16, u32)> {
        self.decoding_on_writes.borrow().iter().filter(|w| w.0 == at).map(|w| (w.1, w.2)).collect()
    }

    fn noise(&self, offset: u16) -> u32 {
        let mut x = self.noise.get() ^ (u32::from(offset) << 16 | 0x9E37);
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.noise.set(x);
        x
    }
}

impl ConfigSpace for FakeConfig {
    fn read32(&self, at: Bdf, offset: u16) -> u32 {
        let funcs = self.funcs.borrow();
        match funcs.get(&at) {
            None => u32::MAX,
            // A present but nonsensical function: a fixed id, then noise
            // that changes on every read.
            Some(f) if f.garbage => {
                if offset == 0 {
                    0x0BAD_F00D
                } else {
                    self.noise(offset)
                }
            }
            Some(f) => f.regs.get(usize::from(offset / 4)).copied().unwrap_or(0),
        }
    }

    fn write32(&self, at: Bdf, offset: u16, value: u32) {
        let mut funcs = self.funcs.borrow_mut();
        let Some(f) = funcs.get_mut(&at) else { return };
        let i = usize::from(offset / 4);
        if f.garbage || i >= 64 {
            return;
        }
        if (0x10..0x28).contains(&offset) && f.regs[1] & 0x3 != 0 {
            self.decoding_on_writes.borrow_mut().push((at, offset, value));
        }
        f.regs[i] = (f.regs[i] & !f.writable[i]) | (value & f.writable[i]);
        f.regs[i] &= !(value & f.rw1c[i]);
    }
}
