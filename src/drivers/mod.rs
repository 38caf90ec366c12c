//! Device drivers and the device layer they share: ACPI's device tables,
//! IO-APIC routing (in arch), PCI, the virtio transports, virtio-net.

pub mod pci;
pub mod virtio;
pub mod virtio_net;

use alloc::vec::Vec;

use ringo_devices::acpi::aml::AmlDevice;

/// Finds the devices and starts their drivers. After the other CPUs are
/// up: a multiqueue device gets one queue pair per CPU.
pub fn init(rsdp: u64) {
    let tables = match crate::arch::acpi::device_tables(rsdp) {
        Ok(t) => t,
        Err(e) => {
            log::warn!("devices: {e}; no devices");
            return;
        }
    };
    match tables.madt.map(ringo_devices::acpi::madt::parse) {
        Some(Ok(madt)) => crate::arch::ioapic::init(&madt),
        Some(Err(e)) => log::warn!("devices: unusable MADT ({e:?}): no IO-APIC"),
        None => log::warn!("devices: no MADT: no IO-APIC"),
    }
    let aml: Vec<AmlDevice> = tables.dsdt_aml.map(ringo_devices::acpi::aml::devices).unwrap_or_default();

    for dev in virtio::mmio::probe(&aml) {
        use virtio_drivers::transport::{DeviceType, Transport};
        if dev.transport.device_type() != DeviceType::Network {
            continue;
        }
        let legacy = dev.transport.version() == virtio_drivers::transport::mmio::MmioVersion::Legacy;
        let attachment = virtio_net::Attachment::Mmio {
            regs: dev.regs,
            gsi: dev.gsi,
            level: dev.level,
            active_low: dev.active_low,
            legacy,
        };
        start_net(virtio_net::VirtioNet::new(dev.transport, &attachment), attachment, dev.phys);
    }

    if let Some(bus) = pci::init(tables.mcfg, &aml) {
        for f in &bus.functions {
            let Some((transport, extras)) = virtio::pci::PciVirtio::probe(bus.cfg, f) else { continue };
            use virtio_drivers::transport::{DeviceType, Transport};
            if transport.device_type() != DeviceType::Network {
                continue;
            }
            let at = extras.at;
            let attachment = virtio_net::Attachment::Pci(extras);
            let dev = virtio_net::VirtioNet::new(transport, &attachment);
            let phys = ((at.bus as u64) << 8) | ((at.device as u64) << 3) | at.function as u64;
            start_net(dev, attachment, phys);
        }
    }
}

fn start_net(
    dev: Result<virtio_net::VirtioNet, virtio_net::SetupError>,
    attachment: virtio_net::Attachment,
    location: u64,
) {
    match dev {
        Ok(dev) => {
            if virtio_net::start(dev, attachment).is_none() {
                log::warn!("net: a second network device ({location:#x}) is not supported yet; ignored");
            }
        }
        Err(e) => log::warn!("net: virtio-net at {location:#x}: {e}"),
    }
}
