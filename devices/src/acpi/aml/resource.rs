//! Resource templates (`_CRS` buffers): the small and large resource
//! descriptors of ACPI 6.5 section 6.4.

use alloc::vec::Vec;

use crate::acpi::TableError;
use crate::bytes::{u8_at, u16_at, u32_at, u64_at};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    Memory {
        base: u64,
        len: u64,
    },
    Io {
        base: u16,
        len: u16,
    },
    Irq {
        irqs: Vec<u32>,
        level: bool,
        active_low: bool,
    },
    /// An address space descriptor: on a host bridge, a window it forwards.
    Window {
        kind: WindowKind,
        min: u64,
        max: u64,
        translation: u64,
        len: u64,
        prefetchable: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    Memory,
    Io,
    BusNumber,
}

const SMALL_IRQ: u8 = 0x04;
const SMALL_IO: u8 = 0x08;
const SMALL_FIXED_IO: u8 = 0x09;
const SMALL_END_TAG: u8 = 0x0F;

const LARGE_MEMORY32: u8 = 0x05;
const LARGE_MEMORY32_FIXED: u8 = 0x06;
const LARGE_DWORD_ADDRESS: u8 = 0x07;
const LARGE_WORD_ADDRESS: u8 = 0x08;
const LARGE_EXTENDED_IRQ: u8 = 0x09;
const LARGE_QWORD_ADDRESS: u8 = 0x0A;
const LARGE_EXTENDED_ADDRESS: u8 = 0x0B;

/// Descriptors this reader does not know (DMA, vendor, GPIO, ...) are
/// skipped by their length. A template must end with an End tag: running
/// off the end is `Truncated`; a descriptor too short for its own fields is
/// `Malformed`.
pub fn parse_resources(template: &[u8]) -> Result<Vec<Resource>, TableError> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let tag = u8_at(template, at).ok_or(TableError::Truncated)?;
        let (data, next) = if tag & 0x80 == 0 {
            let len = usize::from(tag & 0x07);
            (template.get(at + 1..at + 1 + len).ok_or(TableError::Truncated)?, at + 1 + len)
        } else {
            let len = usize::from(u16_at(template, at + 1).ok_or(TableError::Truncated)?);
            (template.get(at + 3..at + 3 + len).ok_or(TableError::Truncated)?, at + 3 + len)
        };
        let resource = if tag & 0x80 == 0 {
            match (tag >> 3) & 0x0F {
                SMALL_END_TAG => return Ok(out),
                SMALL_IRQ => Some(irq(data)?),
                SMALL_IO => Some(Resource::Io { base: field(u16_at(data, 1))?, len: field(u8_at(data, 6))?.into() }),
                SMALL_FIXED_IO => {
                    // Fixed IO decodes 10 address bits.
                    Some(Resource::Io { base: field(u16_at(data, 0))? & 0x3FF, len: field(u8_at(data, 2))?.into() })
                }
                _ => None,
            }
        } else {
            match tag & 0x7F {
                LARGE_MEMORY32_FIXED => {
                    Some(Resource::Memory { base: field(u32_at(data, 1))?.into(), len: field(u32_at(data, 5))?.into() })
                }
                LARGE_MEMORY32 => Some(Resource::Memory {
                    base: field(u32_at(data, 1))?.into(),
                    len: field(u32_at(data, 13))?.into(),
                }),
                LARGE_WORD_ADDRESS => address(data, 3, 2, |d, at| u16_at(d, at).map(u64::from))?,
                LARGE_DWORD_ADDRESS => address(data, 3, 4, |d, at| u32_at(d, at).map(u64::from))?,
                LARGE_QWORD_ADDRESS => address(data, 3, 8, u64_at)?,
                // A revision and a reserved byte come before the fields.
                LARGE_EXTENDED_ADDRESS => address(data, 5, 8, u64_at)?,
                LARGE_EXTENDED_IRQ => Some(extended_irq(data)?),
                _ => None,
            }
        };
        out.extend(resource);
        at = next;
    }
}

fn field<T>(v: Option<T>) -> Result<T, TableError> {
    v.ok_or(TableError::Malformed)
}

/// IRQ descriptor: a 16-bit mask, then optional flags (without them the
/// IRQ is edge, active high).
fn irq(data: &[u8]) -> Result<Resource, TableError> {
    let mask = field(u16_at(data, 0))?;
    let flags = u8_at(data, 2).unwrap_or(0x01);
    Ok(Resource::Irq {
        irqs: (0..16).filter(|i| mask & (1 << i) != 0).collect(),
        level: flags & 0x01 == 0,
        active_low: flags & 0x08 != 0,
    })
}

fn extended_irq(data: &[u8]) -> Result<Resource, TableError> {
    let flags = field(u8_at(data, 0))?;
    let count = usize::from(field(u8_at(data, 1))?);
    let irqs = (0..count).map(|i| field(u32_at(data, 2 + 4 * i))).collect::<Result<Vec<_>, _>>()?;
    Ok(Resource::Irq { irqs, level: flags & 0x02 == 0, active_low: flags & 0x04 != 0 })
}

/// Address space descriptors share one layout: type, general flags,
/// type-specific flags, then (from `fields`) granularity, min, max,
/// translation and length, each `width` bytes. Vendor-defined types (192+)
/// and unknown ones yield nothing.
fn address(
    data: &[u8],
    fields: usize,
    width: usize,
    read: impl Fn(&[u8], usize) -> Option<u64>,
) -> Result<Option<Resource>, TableError> {
    let kind = match field(u8_at(data, 0))? {
        0 => WindowKind::Memory,
        1 => WindowKind::Io,
        2 => WindowKind::BusNumber,
        _ => return Ok(None),
    };
    let type_flags = field(u8_at(data, 2))?;
    let at = |n: usize| field(read(data, fields + width * n));
    Ok(Some(Resource::Window {
        kind,
        min: at(1)?,
        max: at(2)?,
        translation: at(3)?,
        len: at(4)?,
        // _MEM = 3: cacheable and prefetchable (Linux's reading, too).
        prefetchable: kind == WindowKind::Memory && (type_flags >> 1) & 0b11 == 0b11,
    }))
}

#[cfg(test)]
pub(crate) mod build {
    //! Descriptor encoders for tests, following QEMU's hw/acpi/aml-build.c.
    use alloc::vec::Vec;

    pub fn end_tag() -> Vec<u8> {
        alloc::vec![0x79, 0x00]
    }

    pub fn memory32_fixed(base: u32, len: u32, read_write: bool) -> Vec<u8> {
        let mut d = alloc::vec![0x86, 9, 0, u8::from(read_write)];
        d.extend_from_slice(&base.to_le_bytes());
        d.extend_from_slice(&len.to_le_bytes());
        d
    }

    /// `Interrupt(ResourceConsumer, level/edge, high/low, Exclusive) { irqs }`.
    pub fn interrupt(level: bool, active_low: bool, irqs: &[u32]) -> Vec<u8> {
        let flags = 0x01 | if level { 0 } else { 0x02 } | if active_low { 0x04 } else { 0 };
        let mut d = alloc::vec![0x89];
        d.extend_from_slice(&(2 + 4 * irqs.len() as u16).to_le_bytes());
        d.push(flags);
        d.push(irqs.len() as u8);
        for i in irqs {
            d.extend_from_slice(&i.to_le_bytes());
        }
        d
    }

    /// An address space descriptor with `width`-byte fields (2, 4 or 8).
    /// `type_flags` is QEMU's: for memory, bit 0 read-write and bits 2:1 the
    /// caching (3 = prefetchable); for IO, 3 = both ranges.
    pub fn address_space(width: usize, kind: u8, type_flags: u8, min: u64, max: u64, translation: u64) -> Vec<u8> {
        let tag = match width {
            2 => 0x88,
            4 => 0x87,
            _ => 0x8A,
        };
        let len = max.wrapping_sub(min).wrapping_add(1);
        // General flags: producer, min and max fixed (MIF | MAF), as QEMU's windows.
        let mut d = alloc::vec![tag, 0, 0, kind, 0x0C, type_flags];
        for v in [0, min, max, translation, len] {
            d.extend_from_slice(&v.to_le_bytes()[..width]);
        }
        let body = (d.len() - 3) as u16;
        d[1..3].copy_from_slice(&body.to_le_bytes());
        d
    }

    pub fn io(min: u16, max: u16, align: u8, len: u8) -> Vec<u8> {
        let mut d = alloc::vec![0x47, 0x01];
        d.extend_from_slice(&min.to_le_bytes());
        d.extend_from_slice(&max.to_le_bytes());
        d.extend_from_slice(&[align, len]);
        d
    }

    pub fn template(items: &[Vec<u8>]) -> Vec<u8> {
        let mut t: Vec<u8> = items.concat();
        t.extend(end_tag());
        t
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use alloc::vec;

    #[test]
    fn qemu_microvm_virtio_mmio_crs_is_a_memory_range_and_a_level_interrupt() {
        let t = template(&[memory32_fixed(0xFEB0_2E00, 0x200, true), interrupt(true, false, &[47])]);
        assert_eq!(
            parse_resources(&t),
            Ok(vec![
                Resource::Memory { base: 0xFEB0_2E00, len: 0x200 },
                Resource::Irq { irqs: vec![47], level: true, active_low: false },
            ])
        );
    }

    #[test]
    fn address_space_descriptors_become_windows_of_their_kind() {
        let t = template(&[
            address_space(2, 2, 0, 0, 0xFF, 0),
            address_space(4, 0, 0x01, 0xC000_0000, 0xDFFF_FFFF, 0),
            address_space(8, 0, 0x07, 0x80_0000_0000, 0x8F_FFFF_FFFF, 0),
            address_space(4, 1, 0x03, 0x1000, 0xFFFF, 0),
        ]);
        let w = |kind, min, max, prefetchable| Resource::Window {
            kind,
            min,
            max,
            translation: 0,
            len: max - min + 1,
            prefetchable,
        };
        assert_eq!(
            parse_resources(&t),
            Ok(vec![
                w(WindowKind::BusNumber, 0, 0xFF, false),
                w(WindowKind::Memory, 0xC000_0000, 0xDFFF_FFFF, false),
                w(WindowKind::Memory, 0x80_0000_0000, 0x8F_FFFF_FFFF, true),
                w(WindowKind::Io, 0x1000, 0xFFFF, false),
            ])
        );
    }

    #[test]
    fn small_irq_io_and_fixed_io_descriptors_are_read() {
        // IRQNoFlags() {1}; IRQ(Level, ActiveLow, Shared) {5, 9}; IO(Decode16, 0x60, 0x60, 1, 1); FixedIO(0x3F8, 8).
        let t = [0x22, 0x02, 0x00, 0x23, 0x20, 0x02, 0x18]
            .into_iter()
            .chain(io(0x60, 0x60, 1, 1))
            .chain([0x4B, 0xF8, 0x03, 0x08])
            .chain(end_tag())
            .collect::<Vec<u8>>();
        assert_eq!(
            parse_resources(&t),
            Ok(vec![
                Resource::Irq { irqs: vec![1], level: false, active_low: false },
                Resource::Irq { irqs: vec![5, 9], level: true, active_low: true },
                Resource::Io { base: 0x60, len: 1 },
                Resource::Io { base: 0x3F8, len: 8 },
            ])
        );
    }

    #[test]
    fn memory32_reports_its_minimum_and_length() {
        let mut d = vec![0x85, 17, 0, 1];
        for v in [0xFED0_0000u32, 0xFED0_0000, 0x1000, 0x400] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(parse_resources(&template(&[d])), Ok(vec![Resource::Memory { base: 0xFED0_0000, len: 0x400 }]));
    }

    #[test]
    fn unknown_and_vendor_descriptors_are_skipped() {
        let dma = vec![0x2A, 0x04, 0x00];
        let vendor_large = vec![0x84, 0x03, 0x00, 1, 2, 3];
        let vendor_space = address_space(4, 0xC0, 0, 0, 0xFF, 0);
        let t = template(&[dma, vendor_large, vendor_space, io(0x70, 0x70, 1, 2)]);
        assert_eq!(parse_resources(&t), Ok(vec![Resource::Io { base: 0x70, len: 2 }]));
    }

    #[test]
    fn a_template_without_an_end_tag_is_truncated() {
        assert_eq!(parse_resources(&memory32_fixed(0, 0x200, true)), Err(TableError::Truncated));
        assert_eq!(parse_resources(&[]), Err(TableError::Truncated));
        assert_eq!(parse_resources(&[0x86, 0x09]), Err(TableError::Truncated));
    }

    #[test]
    fn a_descriptor_shorter_than_its_fields_is_malformed() {
        assert_eq!(parse_resources(&[0x86, 0x02, 0x00, 1, 0, 0x79, 0]), Err(TableError::Malformed));
        // Extended interrupt claiming 3 interrupts but holding one.
        assert_eq!(parse_resources(&[0x89, 0x06, 0x00, 0x01, 0x03, 47, 0, 0, 0, 0x79, 0]), Err(TableError::Malformed));
    }

    #[test]
    fn extended_address_space_windows_are_read() {
        let mut d = vec![0x8B, 53, 0, 0, 0x0C, 0x07, 1, 0];
        for v in [0u64, 0x1_0000_0000, 0x1_FFFF_FFFF, 0, 0x1_0000_0000, 0] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(
            parse_resources(&template(&[d])),
            Ok(vec![Resource::Window {
                kind: WindowKind::Memory,
                min: 0x1_0000_0000,
                max: 0x1_FFFF_FFFF,
                translation: 0,
                len: 0x1_0000_0000,
                prefetchable: true,
            }])
        );
    }
}
