//! The MCFG: where each PCI segment's ECAM (memory-mapped config space) is.

use alloc::vec::Vec;

use super::TableError;
use super::sdt::{self, HEADER_LEN};
use crate::bytes::{u8_at, u16_at, u64_at};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcamRegion {
    /// The address of `bus_start`'s config space (not of bus 0).
    pub base: u64,
    pub segment: u16,
    pub bus_start: u8,
    pub bus_end: u8,
}

/// 4 KiB of config space per function.
pub const FUNCTION_SPACE: u64 = 1 << 12;

impl EcamRegion {
    /// The physical address of a function's config register, or `None`
    /// when the function is outside this region or the numbers are out of
    /// range.
    pub fn config_address(&self, bus: u8, device: u8, function: u8, offset: u16) -> Option<u64> {
        if !(self.bus_start..=self.bus_end).contains(&bus) || device >= 32 || function >= 8 || offset >= 4096 {
            return None;
        }
        let rel = u64::from(bus - self.bus_start) << 20
            | u64::from(device) << 15
            | u64::from(function) << 12
            | u64::from(offset);
        self.base.checked_add(rel)
    }

    /// The bytes the kernel must map for the whole region.
    pub fn size(&self) -> u64 {
        (u64::from(self.bus_end.saturating_sub(self.bus_start)) + 1) << 20
    }
}

/// Header plus 8 reserved bytes.
const ENTRIES: usize = HEADER_LEN + 8;
const ENTRY_LEN: usize = 16;

pub fn parse(table: &[u8]) -> Result<Vec<EcamRegion>, TableError> {
    let header = sdt::parse_expecting(table, b"MCFG")?;
    let table = table.get(..header.length as usize).ok_or(TableError::Truncated)?;
    let entries = table.get(ENTRIES..).ok_or(TableError::Truncated)?;
    if entries.len() % ENTRY_LEN != 0 {
        return Err(TableError::Malformed);
    }
    entries
        .chunks_exact(ENTRY_LEN)
        .map(|e| {
            let region = EcamRegion {
                base: u64_at(e, 0).ok_or(TableError::Truncated)?,
                segment: u16_at(e, 8).ok_or(TableError::Truncated)?,
                bus_start: u8_at(e, 10).ok_or(TableError::Truncated)?,
                bus_end: u8_at(e, 11).ok_or(TableError::Truncated)?,
            };
            if region.bus_end < region.bus_start {
                return Err(TableError::Malformed);
            }
            Ok(region)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const QEMU_Q35: &[u8] = include_bytes!("../../testdata/qemu-7.2/q35-mcfg.bin");

    fn mcfg(entries: &[[u8; 16]]) -> Vec<u8> {
        let mut body = vec![0; 8];
        for e in entries {
            body.extend_from_slice(e);
        }
        sdt::build(b"MCFG", 1, &body)
    }

    fn entry(base: u64, segment: u16, start: u8, end: u8) -> [u8; 16] {
        let mut e = [0; 16];
        e[..8].copy_from_slice(&base.to_le_bytes());
        e[8..10].copy_from_slice(&segment.to_le_bytes());
        e[10] = start;
        e[11] = end;
        e
    }

    #[test]
    fn qemu_q35_has_one_region_at_0xb0000000_for_buses_0_to_255() {
        let r = parse(QEMU_Q35).unwrap();
        assert_eq!(r, vec![EcamRegion { base: 0xB000_0000, segment: 0, bus_start: 0, bus_end: 255 }]);
        assert_eq!(r[0].size(), 256 << 20);
    }

    #[test]
    fn config_address_is_base_plus_bus_device_function_offset() {
        let r = EcamRegion { base: 0xB000_0000, segment: 0, bus_start: 0, bus_end: 255 };
        assert_eq!(r.config_address(0, 1, 0, 0), Some(0xB000_8000));
        assert_eq!(r.config_address(1, 31, 7, 0xFFC), Some(0xB000_0000 + (1 << 20) + (31 << 15) + (7 << 12) + 0xFFC));
    }

    #[test]
    fn config_address_counts_buses_from_bus_start() {
        let r = EcamRegion { base: 0xE000_0000, segment: 1, bus_start: 0x10, bus_end: 0x1F };
        assert_eq!(r.config_address(0x10, 0, 0, 0), Some(0xE000_0000));
        assert_eq!(r.config_address(0x11, 0, 0, 4), Some(0xE010_0004));
        assert_eq!(r.size(), 16 << 20);
    }

    #[test]
    fn config_address_outside_the_region_or_ranges_is_none() {
        let r = EcamRegion { base: 0xE000_0000, segment: 0, bus_start: 0x10, bus_end: 0x1F };
        assert_eq!(r.config_address(0x0F, 0, 0, 0), None);
        assert_eq!(r.config_address(0x20, 0, 0, 0), None);
        assert_eq!(r.config_address(0x10, 32, 0, 0), None);
        assert_eq!(r.config_address(0x10, 0, 8, 0), None);
        assert_eq!(r.config_address(0x10, 0, 0, 4096), None);
        let top = EcamRegion { base: u64::MAX - 10, segment: 0, bus_start: 0, bus_end: 0 };
        assert_eq!(top.config_address(0, 1, 0, 0), None);
    }

    #[test]
    fn several_segments_are_listed_in_order() {
        let t = mcfg(&[entry(0xB000_0000, 0, 0, 255), entry(0x40_0000_0000, 1, 0, 63)]);
        let r = parse(&t).unwrap();
        assert_eq!(r[1], EcamRegion { base: 0x40_0000_0000, segment: 1, bus_start: 0, bus_end: 63 });
    }

    #[test]
    fn a_partial_entry_or_a_reversed_bus_range_is_malformed() {
        let mut body = vec![0; 8];
        body.extend_from_slice(&entry(0xB000_0000, 0, 0, 255)[..12]);
        assert_eq!(parse(&sdt::build(b"MCFG", 1, &body)), Err(TableError::Malformed));
        assert_eq!(parse(&mcfg(&[entry(0xB000_0000, 0, 5, 4)])), Err(TableError::Malformed));
    }

    #[test]
    fn a_table_without_the_reserved_bytes_is_truncated() {
        assert_eq!(parse(&sdt::build(b"MCFG", 1, &[0; 4])), Err(TableError::Truncated));
    }
}
