//! ACPI, as far as booting needs it: the MADT's list of CPUs. Tables are
//! read through the direct map (firmware puts them in RAM or the BIOS area,
//! both mapped).

use core::ptr::NonNull;

use acpi::madt::{Madt, MadtEntry};
use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};

use super::paging::phys_to_virt;
use super::percpu::MAX_CPUS;

#[derive(Clone, Copy)]
struct DirectMap;

impl AcpiHandler for DirectMap {
    unsafe fn map_physical_region<T>(&self, phys: usize, size: usize) -> PhysicalMapping<Self, T> {
        let virt = phys_to_virt(phys as u64) as *mut T;
        // SAFETY: the direct map covers every firmware memory region, and
        // `virt` is non-null (the direct map is in the upper half).
        unsafe { PhysicalMapping::new(phys, NonNull::new_unchecked(virt), size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

/// The CPUs the firmware lists as usable.
pub struct CpuList {
    pub apic_ids: [u32; MAX_CPUS],
    pub count: usize,
    /// CPUs listed beyond MAX_CPUS.
    pub ignored: usize,
}

#[derive(Debug)]
pub enum AcpiError {
    NoRsdp,
    Tables(acpi::AcpiError),
}

impl core::fmt::Display for AcpiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            AcpiError::NoRsdp => f.write_str("no ACPI RSDP"),
            AcpiError::Tables(e) => write!(f, "ACPI tables: {e:?}"),
        }
    }
}

fn tables(rsdp: u64) -> Result<AcpiTables<DirectMap>, AcpiError> {
    // SAFETY: the RSDP address comes from the boot loader (or the BIOS-area
    // search the crate does), and tables are only read.
    unsafe {
        if rsdp != 0 {
            AcpiTables::from_rsdp(DirectMap, rsdp as usize)
        } else {
            AcpiTables::search_for_rsdp_bios(DirectMap)
        }
    }
    .map_err(|e| match e {
        acpi::AcpiError::NoValidRsdp => AcpiError::NoRsdp,
        e => AcpiError::Tables(e),
    })
}

/// A firmware table's bytes, through the direct map.
fn table_bytes(phys: usize, len: usize) -> &'static [u8] {
    // SAFETY: the direct map covers the firmware's tables, which nothing
    // writes after boot; the crate validated the length from the header.
    unsafe { core::slice::from_raw_parts(phys_to_virt(phys as u64) as *const u8, len) }
}

/// The raw tables the device layer parses (ringo_devices::acpi): whole
/// MADT and MCFG tables, and the DSDT's AML after its header.
pub struct DeviceTables {
    pub madt: Option<&'static [u8]>,
    pub mcfg: Option<&'static [u8]>,
    pub dsdt_aml: Option<&'static [u8]>,
}

pub fn device_tables(rsdp: u64) -> Result<DeviceTables, AcpiError> {
    let tables = tables(rsdp)?;
    let madt = tables.find_table::<Madt>().ok().map(|m| table_bytes(m.physical_start(), m.region_length()));
    let mcfg = tables.find_table::<acpi::mcfg::Mcfg>().ok().map(|m| table_bytes(m.physical_start(), m.region_length()));
    let dsdt_aml = tables.dsdt().ok().map(|d| table_bytes(d.address, d.length as usize));
    Ok(DeviceTables { madt, mcfg, dsdt_aml })
}

/// Reads the MADT. `rsdp` is the loader's pointer (0: search the BIOS area).
pub fn cpus(rsdp: u64) -> Result<CpuList, AcpiError> {
    let tables = tables(rsdp)?;
    let madt = tables.find_table::<Madt>().map_err(AcpiError::Tables)?;
    let mut list = CpuList { apic_ids: [0; MAX_CPUS], count: 0, ignored: 0 };
    let mut add = |id: u32, flags: u32| {
        // Bit 0: enabled; bit 1: can be brought online.
        if flags & 3 == 0 || list.apic_ids[..list.count].contains(&id) {
            return;
        }
        if list.count == MAX_CPUS {
            list.ignored += 1;
        } else {
            list.apic_ids[list.count] = id;
            list.count += 1;
        }
    };
    for entry in madt.get().entries() {
        match entry {
            MadtEntry::LocalApic(e) => add(e.apic_id as u32, e.flags),
            MadtEntry::LocalX2Apic(e) => add(e.x2apic_id, e.flags),
            _ => {}
        }
    }
    Ok(list)
}
