//! PCI configuration space access, for ringo_devices' enumeration and the
//! virtio crate's transport alike.

use ringo_devices::acpi::mcfg::EcamRegion;
use ringo_devices::pci::{Bdf, ConfigSpace};
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};
use x86_64::instructions::port::Port;

use crate::sync::Mutex;

/// 0xCF8/0xCFC take two accesses: one CPU at a time.
static PORTS: Mutex<()> = Mutex::new(());

#[derive(Clone, Copy)]
pub enum Cfg {
    /// The mapped ECAM window of buses `bus_start..bus_start + buses`.
    Ecam {
        virt: u64,
        bus_start: u8,
        buses: u8,
    },
    Ports,
}

/// Whether a host bridge answers on the legacy ports (bus 0, device 0).
pub fn ports_present() -> bool {
    Cfg::Ports.read32(Bdf { bus: 0, device: 0, function: 0 }, 0) != 0xffff_ffff
}

impl Cfg {
    pub fn ecam(region: EcamRegion, max_buses: u8) -> Option<Cfg> {
        let buses = (region.bus_end.saturating_sub(region.bus_start) as u16 + 1).min(max_buses as u16) as u8;
        let virt = crate::arch::paging::map_mmio(region.base, (buses as u64) << 20).ok()?;
        Some(Cfg::Ecam { virt, bus_start: region.bus_start, buses })
    }

    fn ecam_address(virt: u64, bus_start: u8, buses: u8, at: Bdf, offset: u16) -> Option<u64> {
        let bus = at.bus.checked_sub(bus_start).filter(|&b| b < buses)?;
        if at.device >= 32 || at.function >= 8 || offset >= 4096 {
            return None;
        }
        Some(
            virt + ((bus as u64) << 20)
                + ((at.device as u64) << 15)
                + ((at.function as u64) << 12)
                + (offset & !3) as u64,
        )
    }

    fn port_address(at: Bdf, offset: u16) -> u32 {
        0x8000_0000
            | (at.bus as u32) << 16
            | ((at.device & 31) as u32) << 11
            | ((at.function & 7) as u32) << 8
            | (offset & 0xfc) as u32
    }
}

impl ConfigSpace for Cfg {
    fn read32(&self, at: Bdf, offset: u16) -> u32 {
        match *self {
            Cfg::Ecam { virt, bus_start, buses } => match Cfg::ecam_address(virt, bus_start, buses, at, offset) {
                // SAFETY: inside the mapped ECAM window; config reads have
                // no side effects.
                Some(a) => unsafe { core::ptr::read_volatile(a as *const u32) },
                None => 0xffff_ffff,
            },
            Cfg::Ports => {
                if offset >= 256 {
                    return 0xffff_ffff;
                }
                crate::arch::without_interrupts(|| {
                    let _g = PORTS.lock();
                    // SAFETY: the PCI configuration ports, address then data.
                    unsafe {
                        Port::<u32>::new(0xcf8).write(Cfg::port_address(at, offset));
                        Port::<u32>::new(0xcfc).read()
                    }
                })
            }
        }
    }

    fn write32(&self, at: Bdf, offset: u16, value: u32) {
        match *self {
            Cfg::Ecam { virt, bus_start, buses } => {
                if let Some(a) = Cfg::ecam_address(virt, bus_start, buses, at, offset) {
                    // SAFETY: inside the mapped ECAM window.
                    unsafe { core::ptr::write_volatile(a as *mut u32, value) }
                }
            }
            Cfg::Ports => {
                if offset >= 256 {
                    return;
                }
                crate::arch::without_interrupts(|| {
                    let _g = PORTS.lock();
                    // SAFETY: the PCI configuration ports, address then data.
                    unsafe {
                        Port::<u32>::new(0xcf8).write(Cfg::port_address(at, offset));
                        Port::<u32>::new(0xcfc).write(value);
                    }
                })
            }
        }
    }
}

fn bdf(df: DeviceFunction) -> Bdf {
    Bdf { bus: df.bus, device: df.device, function: df.function }
}

impl ConfigurationAccess for Cfg {
    fn read_word(&self, device_function: DeviceFunction, register_offset: u8) -> u32 {
        self.read32(bdf(device_function), register_offset as u16)
    }

    fn write_word(&mut self, device_function: DeviceFunction, register_offset: u8, data: u32) {
        self.write32(bdf(device_function), register_offset as u16, data)
    }

    unsafe fn unsafe_clone(&self) -> Self {
        *self
    }
}
