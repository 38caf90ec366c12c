//! PCI: configuration space through ECAM (the base from ACPI's MCFG) or,
//! without one, the legacy ports 0xCF8/0xCFC; enumeration, BARs that the
//! firmware left unassigned (qboot on microvm `pcie=on` assigns none) placed
//! in the host bridge's window from the DSDT, and the virtio devices found.

mod config;

use alloc::vec::Vec;

use ringo_devices::acpi::aml::{AmlDevice, Resource, WindowKind};
use ringo_devices::acpi::mcfg::EcamRegion;
use ringo_devices::pci::{self as pcilib, Function, Window};

pub use config::Cfg;

/// Buses scanned (and mapped, with ECAM): QEMU puts its devices on bus 0,
/// and a few root ports add a bus each.
const MAX_BUSES: u8 = 8;

/// The host bridge's 32- and 64-bit memory windows, from its `_CRS`.
fn bridge_windows(devices: &[AmlDevice]) -> (Option<Window>, Option<Window>) {
    let mut mem32 = None;
    let mut mem64 = None;
    let bridges = devices.iter().filter(|d| is_host_bridge(d));
    for d in bridges {
        for r in &d.resources {
            if let Resource::Window { kind: WindowKind::Memory, min, max, len, .. } = r {
                let size = if *len != 0 { *len } else { max.saturating_sub(*min).saturating_add(1) };
                let w = Window { base: *min, size };
                if min + size <= 1 << 32 {
                    if mem32.is_none_or(|m: Window| m.size < size) {
                        mem32 = Some(w);
                    }
                } else if mem64.is_none() {
                    mem64 = Some(w);
                }
            }
        }
    }
    (mem32, mem64)
}

fn is_host_bridge(d: &AmlDevice) -> bool {
    d.is("PNP0A08") || d.is("PNP0A03")
}

/// microvm `pcie=on` has no MCFG: its host bridge says where ECAM is with
/// `_CBA`, and its bus range in `_CRS`.
fn ecam_from_dsdt(devices: &[AmlDevice]) -> Option<EcamRegion> {
    let bridge = devices.iter().find(|d| is_host_bridge(d) && d.integer("_CBA").is_some())?;
    let base = bridge.integer("_CBA")?;
    let (bus_start, bus_end) = bridge
        .resources
        .iter()
        .find_map(|r| match r {
            Resource::Window { kind: WindowKind::BusNumber, min, max, .. } => {
                Some((*min.min(&255) as u8, *max.min(&255) as u8))
            }
            _ => None,
        })
        .unwrap_or((0, 255));
    Some(EcamRegion { base, segment: 0, bus_start, bus_end })
}

pub struct Bus {
    pub cfg: Cfg,
    pub functions: Vec<Function>,
}

/// Finds the configuration mechanism, enumerates, and assigns the BARs
/// the firmware left at 0. None when there is no PCI at all (microvm).
pub fn init(mcfg: Option<&[u8]>, devices: &[AmlDevice]) -> Option<Bus> {
    let ecam: Option<EcamRegion> = mcfg
        .and_then(|t| ringo_devices::acpi::mcfg::parse(t).ok())
        .and_then(|r| r.into_iter().find(|r| r.segment == 0))
        .or_else(|| ecam_from_dsdt(devices));
    let cfg = match ecam {
        Some(region) => Cfg::ecam(region, MAX_BUSES)?,
        None if config::ports_present() => Cfg::Ports,
        None => return None,
    };
    let last_bus = match ecam {
        Some(r) => r.bus_end.min(r.bus_start.saturating_add(MAX_BUSES - 1)),
        None => MAX_BUSES - 1,
    };
    let first_bus = ecam.map_or(0, |r| r.bus_start);
    let functions = pcilib::enumerate(&cfg, first_bus, last_bus);
    if functions.is_empty() {
        return None;
    }
    let (mem32, mem64) = bridge_windows(devices);
    match mem32 {
        Some(w) => match pcilib::assign_unassigned(&cfg, &functions, w, mem64, None) {
            Ok(assigned) => {
                for a in &assigned {
                    log::debug!("pci {}: BAR{} at {:#x} ({} KiB)", a.at, a.bar, a.address, a.size >> 10);
                }
            }
            Err(e) => log::warn!("pci: cannot place every BAR: {e:?}"),
        },
        None => log::debug!("pci: no host bridge window in the DSDT; BARs stay as the firmware set them"),
    }
    log::info!("pci: {} functions via {}", functions.len(), if ecam.is_some() { "ECAM" } else { "ports 0xcf8/0xcfc" });
    Some(Bus { cfg, functions })
}
