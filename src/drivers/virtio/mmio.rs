//! virtio-mmio discovery on QEMU microvm: the transports sit at
//! 0xfeb00000 + n * 0x200; the DSDT names each one that has a device,
//! with its interrupt (LNRO0005 devices). Without a DSDT entry the line
//! is QEMU's: GSI 24 + n with a second IO-APIC, else 5 + n.

use alloc::vec::Vec;
use core::ptr::NonNull;

use ringo_devices::acpi::aml::{AmlDevice, Resource};
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};

const SLOTS_BASE: u64 = 0xfeb0_0000;
const SLOT_SIZE: u64 = 0x200;
const MAX_SLOTS: u64 = 24;
const MAGIC: u32 = 0x7472_6976; // "virt"
/// virtio-mmio registers the driver uses directly (virtio 1.2, 4.2.2).
pub const REG_QUEUE_NOTIFY: u64 = 0x50;
pub const REG_INTERRUPT_STATUS: u64 = 0x60;
pub const REG_INTERRUPT_ACK: u64 = 0x64;

pub struct MmioDevice {
    pub transport: MmioTransport<'static>,
    /// The slot's registers, mapped.
    pub regs: u64,
    pub phys: u64,
    pub gsi: u32,
    pub level: bool,
    pub active_low: bool,
}

/// The slot's interrupt as the DSDT gives it.
fn dsdt_irq(devices: &[AmlDevice], phys: u64) -> Option<(u32, bool, bool)> {
    let dev = devices.iter().find(|d| {
        d.hid.as_ref().is_some_and(|h| h.matches("LNRO0005"))
            && d.resources.iter().any(|r| matches!(r, Resource::Memory { base, .. } if *base == phys))
    })?;
    dev.resources.iter().find_map(|r| match r {
        Resource::Irq { irqs, level, active_low } => irqs.first().map(|&g| (g, *level, *active_low)),
        _ => None,
    })
}

/// Every slot with a device behind it.
pub fn probe(devices: &[AmlDevice]) -> Vec<MmioDevice> {
    let mut found = Vec::new();
    let Ok(window) = crate::arch::paging::map_mmio(SLOTS_BASE, MAX_SLOTS * SLOT_SIZE) else {
        log::warn!("virtio-mmio: cannot map the slots at {SLOTS_BASE:#x}");
        return found;
    };
    let fallback_base = if crate::arch::ioapic::count() > 1 { 24 } else { 5 };
    for n in 0..MAX_SLOTS {
        let regs = window + n * SLOT_SIZE;
        // SAFETY: the slot's registers are mapped uncached; reading the
        // magic and device ID has no side effect.
        let (magic, device_id) = unsafe {
            (core::ptr::read_volatile(regs as *const u32), core::ptr::read_volatile((regs + 8) as *const u32))
        };
        if magic != MAGIC || device_id == 0 {
            continue;
        }
        // SAFETY: a virtio-mmio register block, mapped for ever, used only
        // through this transport and the driver's doorbell/ISR registers.
        let header = unsafe { NonNull::new_unchecked(regs as *mut VirtIOHeader) };
        // SAFETY: as above.
        let transport = match unsafe { MmioTransport::new(header, SLOT_SIZE as usize) } {
            Ok(t) => t,
            Err(e) => {
                log::warn!("virtio-mmio slot {n}: {e:?}");
                continue;
            }
        };
        let phys = SLOTS_BASE + n * SLOT_SIZE;
        let (gsi, level, active_low) = dsdt_irq(devices, phys).unwrap_or((fallback_base + n as u32, true, false));
        found.push(MmioDevice { transport, regs, phys, gsi, level, active_low });
    }
    found
}
