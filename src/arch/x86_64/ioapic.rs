//! IO-APICs, as the MADT lists them: each owns the GSIs from its base up to
//! its pin count. Every pin starts masked; a driver routes one GSI to a
//! vector it got from [`super::vectors`] on the CPU that should take it.

use alloc::vec::Vec;

use crate::sync::Mutex;
use ringo_devices::acpi::madt::{Madt, Polarity, Trigger};

const IOREGSEL: u64 = 0x00;
const IOWIN: u64 = 0x10;
const REG_VERSION: u32 = 0x01;
const REG_REDIRECTION: u32 = 0x10;
const MASKED: u32 = 1 << 16;
const LEVEL: u32 = 1 << 15;
const ACTIVE_LOW: u32 = 1 << 13;

struct IoApic {
    virt: u64,
    gsi_base: u32,
    pins: u32,
}

impl IoApic {
    fn read(&self, reg: u32) -> u32 {
        // SAFETY: `virt` maps this IO-APIC's register window uncached; the
        // select-then-access pair runs under the IOAPICS lock.
        unsafe {
            core::ptr::write_volatile((self.virt + IOREGSEL) as *mut u32, reg);
            core::ptr::read_volatile((self.virt + IOWIN) as *const u32)
        }
    }

    fn write(&self, reg: u32, value: u32) {
        // SAFETY: as in `read`.
        unsafe {
            core::ptr::write_volatile((self.virt + IOREGSEL) as *mut u32, reg);
            core::ptr::write_volatile((self.virt + IOWIN) as *mut u32, value);
        }
    }
}

static IOAPICS: Mutex<Vec<IoApic>> = Mutex::new(Vec::new());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    /// No IO-APIC owns this GSI.
    NoSuchGsi(u32),
}

/// Maps every IO-APIC of the MADT and masks all its pins (boot CPU, once).
pub fn init(madt: &Madt) {
    let mut list = IOAPICS.lock();
    for entry in &madt.io_apics {
        let virt = match super::paging::map_mmio(entry.address as u64, 4096) {
            Ok(v) => v,
            Err(e) => {
                log::warn!("IO-APIC {} at {:#x}: cannot map it ({e:?})", entry.id, entry.address);
                continue;
            }
        };
        let mut apic = IoApic { virt, gsi_base: entry.gsi_base, pins: 0 };
        apic.pins = ((apic.read(REG_VERSION) >> 16) & 0xff) + 1;
        for pin in 0..apic.pins {
            apic.write(REG_REDIRECTION + 2 * pin, MASKED);
        }
        log::debug!(
            "IO-APIC {} at {:#x}: GSIs {}..{}",
            entry.id,
            entry.address,
            entry.gsi_base,
            entry.gsi_base + apic.pins
        );
        list.push(apic);
    }
}

/// Delivers GSI `gsi` as `vector` to the CPU with APIC ID `apic_id`
/// (fixed delivery, physical destination) and unmasks it.
pub fn route(gsi: u32, vector: u8, apic_id: u32, trigger: Trigger, polarity: Polarity) -> Result<(), RouteError> {
    let list = IOAPICS.lock();
    let apic =
        list.iter().find(|a| (a.gsi_base..a.gsi_base + a.pins).contains(&gsi)).ok_or(RouteError::NoSuchGsi(gsi))?;
    let pin = gsi - apic.gsi_base;
    let mut low = vector as u32;
    if trigger == Trigger::Level {
        low |= LEVEL;
    }
    if polarity == Polarity::Low {
        low |= ACTIVE_LOW;
    }
    // The destination first, while the entry is still masked.
    apic.write(REG_REDIRECTION + 2 * pin + 1, (apic_id & 0xff) << 24);
    apic.write(REG_REDIRECTION + 2 * pin, low);
    Ok(())
}

/// The number of IO-APICs found (a second one means QEMU microvm's
/// virtio-mmio lines start at GSI 24).
pub fn count() -> usize {
    IOAPICS.lock().len()
}
