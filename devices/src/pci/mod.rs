//! PCI: enumeration, capabilities, BARs and their assignment, MSI-X. All of
//! it goes through [`ConfigSpace`], which the kernel implements over ECAM
//! (or ports 0xCF8/0xCFC) and the tests over a model of QEMU's devices.

mod assign;
mod bar;
mod capability;
mod enumerate;
pub mod msix;

#[cfg(test)]
mod fake;

use core::fmt;

pub use assign::{AssignError, Assignment, BarAllocator, Window, assign_unassigned};
pub use bar::{Bar, probe_bars, set_bar};
pub use capability::{CAP_MSI, CAP_MSIX, CAP_VENDOR, Capability, capabilities, find_capability};
pub use enumerate::{Function, enumerate};

/// Bus, device, function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bdf {
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

/// A function's configuration space, read and written a dword at a time.
/// An absent function reads as all ones.
pub trait ConfigSpace {
    /// `offset` is dword-aligned.
    fn read32(&self, at: Bdf, offset: u16) -> u32;
    /// `offset` is dword-aligned.
    fn write32(&self, at: Bdf, offset: u16, value: u32);

    fn read16(&self, at: Bdf, offset: u16) -> u16 {
        (self.read32(at, offset & !3) >> ((offset & 2) * 8)) as u16
    }

    fn read8(&self, at: Bdf, offset: u16) -> u8 {
        (self.read32(at, offset & !3) >> ((offset & 3) * 8)) as u8
    }

    /// A read-modify-write of the enclosing dword. Never use it on the
    /// command register: it would write the status half back and clear its
    /// write-one-to-clear bits (see [`set_command`]). An implementation
    /// with native 16-bit accesses (ECAM) may override it.
    fn write16(&self, at: Bdf, offset: u16, value: u16) {
        let dword = offset & !3;
        let shift = (offset & 2) * 8;
        let old = self.read32(at, dword);
        self.write32(at, dword, (old & !(0xFFFF << shift)) | (u32::from(value) << shift));
    }
}

pub const VENDOR_ID: u16 = 0x00;
pub const COMMAND: u16 = 0x04;
pub const STATUS: u16 = 0x06;
pub const REVISION: u16 = 0x08;
pub const HEADER_TYPE: u16 = 0x0E;
pub const BAR0: u16 = 0x10;
pub const SUBSYSTEM_VENDOR_ID: u16 = 0x2C;
pub const SUBSYSTEM_ID: u16 = 0x2E;
pub const CAPABILITIES_POINTER: u16 = 0x34;

pub const COMMAND_IO: u16 = 1 << 0;
pub const COMMAND_MEMORY: u16 = 1 << 1;
pub const COMMAND_BUS_MASTER: u16 = 1 << 2;
pub const COMMAND_INTX_DISABLE: u16 = 1 << 10;

pub const STATUS_CAPABILITIES: u16 = 1 << 4;

/// Writes the command register as a whole dword with the status half zero:
/// status bits are read-only or write-one-to-clear, so zeros leave them be.
fn write_command(cfg: &impl ConfigSpace, at: Bdf, command: u16) {
    cfg.write32(at, COMMAND, u32::from(command));
}

/// Turns memory decoding, IO decoding and bus mastering on or off, keeping
/// the other command bits (INTx disable among them).
pub fn set_command(cfg: &impl ConfigSpace, at: Bdf, memory: bool, io: bool, bus_master: bool) {
    let mut command = cfg.read16(at, COMMAND) & !(COMMAND_MEMORY | COMMAND_IO | COMMAND_BUS_MASTER);
    for (on, bit) in [(memory, COMMAND_MEMORY), (io, COMMAND_IO), (bus_master, COMMAND_BUS_MASTER)] {
        if on {
            command |= bit;
        }
    }
    write_command(cfg, at, command);
}

/// Stops the function from raising INTx (done once it uses MSI or MSI-X).
pub fn disable_intx(cfg: &impl ConfigSpace, at: Bdf) {
    write_command(cfg, at, cfg.read16(at, COMMAND) | COMMAND_INTX_DISABLE);
}

#[cfg(test)]
mod tests {
    use super::fake::{FakeConfig, VIRTIO_NET};
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bdf_displays_as_bus_colon_device_dot_function() {
        assert_eq!(Bdf { bus: 0, device: 3, function: 0 }.to_string(), "00:03.0");
        assert_eq!(Bdf { bus: 0xAB, device: 0x1F, function: 7 }.to_string(), "ab:1f.7");
    }

    #[test]
    fn sub_dword_reads_pick_their_bytes() {
        let cfg = FakeConfig::with_virtio_net();
        assert_eq!(cfg.read16(VIRTIO_NET, VENDOR_ID), 0x1AF4);
        assert_eq!(cfg.read16(VIRTIO_NET, 0x02), 0x1041);
        assert_eq!(cfg.read8(VIRTIO_NET, 0x0B), 0x02);
        assert_eq!(cfg.read8(VIRTIO_NET, CAPABILITIES_POINTER), 0x98);
    }

    #[test]
    fn set_command_changes_only_its_bits_and_never_clears_status() {
        let cfg = FakeConfig::with_virtio_net();
        // SeaBIOS left IO, memory, bus master and SERR (bit 8) on.
        assert_eq!(cfg.read16(VIRTIO_NET, COMMAND), 0x0107);
        const SERR: u16 = 1 << 8;
        cfg.set_status_error(VIRTIO_NET);
        disable_intx(&cfg, VIRTIO_NET);
        set_command(&cfg, VIRTIO_NET, true, false, true);
        assert_eq!(cfg.read16(VIRTIO_NET, COMMAND), COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE | SERR);
        assert!(cfg.read16(VIRTIO_NET, STATUS) & 0x8000 != 0, "the status error bit survives");
        set_command(&cfg, VIRTIO_NET, false, false, false);
        assert_eq!(cfg.read16(VIRTIO_NET, COMMAND), COMMAND_INTX_DISABLE | SERR);
    }

    #[test]
    fn write16_replaces_one_half_of_the_dword() {
        let cfg = FakeConfig::with_virtio_net();
        // MSI-X message control, upper half of the dword at 0x98.
        cfg.write16(VIRTIO_NET, 0x9A, 0xC000);
        assert_eq!(cfg.read32(VIRTIO_NET, 0x98), 0xC003_8411);
    }
}
