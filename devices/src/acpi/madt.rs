//! The MADT ("APIC"): which CPUs exist, where the IO-APICs are and how ISA
//! IRQs are wired to them.

use alloc::vec::Vec;

use super::TableError;
use super::sdt::{self, HEADER_LEN};
use crate::bytes::{u8_at, u16_at, u32_at, u64_at};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Madt {
    /// With the type-5 override applied.
    pub local_apic_address: u64,
    /// A legacy 8259 pair is present and must be masked.
    pub pcat_compat: bool,
    pub cpus: Vec<Cpu>,
    pub io_apics: Vec<IoApic>,
    pub overrides: Vec<SourceOverride>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpu {
    pub apic_id: u32,
    /// Enabled, or online-capable (may be brought up later).
    pub usable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoApic {
    pub id: u8,
    pub address: u32,
    pub gsi_base: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceOverride {
    pub bus: u8,
    pub source: u8,
    pub gsi: u32,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    High,
    Low,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    Edge,
    Level,
}

/// Where an ISA IRQ arrives and how to program its IO-APIC pin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqRoute {
    pub gsi: u32,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

const LOCAL_APIC: u8 = 0;
const IO_APIC: u8 = 1;
const SOURCE_OVERRIDE: u8 = 2;
const LOCAL_APIC_ADDRESS_OVERRIDE: u8 = 5;
const LOCAL_X2APIC: u8 = 9;

const ENABLED: u32 = 1 << 0;
const ONLINE_CAPABLE: u32 = 1 << 1;

/// The interrupt controller entries start after the local APIC address and
/// the flags.
const ENTRIES: usize = HEADER_LEN + 8;

pub fn parse(table: &[u8]) -> Result<Madt, TableError> {
    let header = sdt::parse_expecting(table, b"APIC")?;
    let table = table.get(..header.length as usize).ok_or(TableError::Truncated)?;
    let mut madt = Madt {
        local_apic_address: u64::from(u32_at(table, HEADER_LEN).ok_or(TableError::Truncated)?),
        pcat_compat: u32_at(table, HEADER_LEN + 4).ok_or(TableError::Truncated)? & 1 != 0,
        cpus: Vec::new(),
        io_apics: Vec::new(),
        overrides: Vec::new(),
    };
    let mut at = ENTRIES;
    while at < table.len() {
        let kind = u8_at(table, at).ok_or(TableError::Malformed)?;
        let len = usize::from(u8_at(table, at + 1).ok_or(TableError::Malformed)?);
        let entry = table.get(at..at + len).ok_or(TableError::Malformed)?;
        if len < 2 {
            return Err(TableError::Malformed);
        }
        entry_into(&mut madt, kind, entry)?;
        at += len;
    }
    Ok(madt)
}

/// A known entry shorter than its fields is malformed; a longer one is a
/// later revision's and its extra bytes are ignored.
fn entry_into(madt: &mut Madt, kind: u8, e: &[u8]) -> Result<(), TableError> {
    let short = TableError::Malformed;
    match kind {
        LOCAL_APIC => {
            let apic_id = u32::from(u8_at(e, 3).ok_or(short)?);
            add_cpu(madt, apic_id, u32_at(e, 4).ok_or(short)?);
        }
        LOCAL_X2APIC => {
            let apic_id = u32_at(e, 4).ok_or(short)?;
            add_cpu(madt, apic_id, u32_at(e, 8).ok_or(short)?);
        }
        IO_APIC => madt.io_apics.push(IoApic {
            id: u8_at(e, 2).ok_or(short)?,
            address: u32_at(e, 4).ok_or(short)?,
            gsi_base: u32_at(e, 8).ok_or(short)?,
        }),
        SOURCE_OVERRIDE => {
            let flags = u16_at(e, 8).ok_or(short)?;
            madt.overrides.push(SourceOverride {
                bus: u8_at(e, 2).ok_or(short)?,
                source: u8_at(e, 3).ok_or(short)?,
                gsi: u32_at(e, 4).ok_or(short)?,
                polarity: polarity(flags),
                trigger: trigger(flags),
            });
        }
        LOCAL_APIC_ADDRESS_OVERRIDE => madt.local_apic_address = u64_at(e, 4).ok_or(short)?,
        _ => {}
    }
    Ok(())
}

/// A CPU may be listed twice (xAPIC and x2APIC entries); the first wins.
fn add_cpu(madt: &mut Madt, apic_id: u32, flags: u32) {
    if madt.cpus.iter().all(|c| c.apic_id != apic_id) {
        madt.cpus.push(Cpu { apic_id, usable: flags & (ENABLED | ONLINE_CAPABLE) != 0 });
    }
}

/// MPS INTI flags, bits 1:0. "Conforms to the bus" (and the reserved 10) is
/// ISA's active high: overrides name bus 0, ISA.
fn polarity(flags: u16) -> Polarity {
    if flags & 0b11 == 0b11 { Polarity::Low } else { Polarity::High }
}

/// MPS INTI flags, bits 3:2; "conforms" is ISA's edge.
fn trigger(flags: u16) -> Trigger {
    if (flags >> 2) & 0b11 == 0b11 { Trigger::Level } else { Trigger::Edge }
}

impl Madt {
    /// ISA IRQs are identity-mapped, active high and edge-triggered unless
    /// an override says otherwise.
    pub fn isa_irq(&self, irq: u8) -> IrqRoute {
        match self.overrides.iter().find(|o| o.bus == 0 && o.source == irq) {
            Some(o) => IrqRoute { gsi: o.gsi, polarity: o.polarity, trigger: o.trigger },
            None => IrqRoute { gsi: u32::from(irq), polarity: Polarity::High, trigger: Trigger::Edge },
        }
    }

    /// The IO-APIC (index into `io_apics`) and pin that `gsi` arrives on.
    /// `pins_of` reads an IO-APIC's redirection entry count from its
    /// version register, which only the kernel can reach.
    pub fn io_apic_for(&self, gsi: u32, pins_of: impl Fn(&IoApic) -> u32) -> Option<(usize, u32)> {
        self.io_apics.iter().enumerate().find_map(|(i, a)| {
            let pin = gsi.checked_sub(a.gsi_base)?;
            (pin < pins_of(a)).then_some((i, pin))
        })
    }

    pub fn usable_cpus(&self) -> impl Iterator<Item = &Cpu> {
        self.cpus.iter().filter(|c| c.usable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const QEMU_MICROVM_SMP2: &[u8] = include_bytes!("../../testdata/qemu-7.2/microvm-pcie-smp2-madt.bin");
    const QEMU_Q35_SMP2: &[u8] = include_bytes!("../../testdata/qemu-7.2/q35-smp2-madt.bin");

    fn madt(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = vec![0x00, 0x00, 0xE0, 0xFE, 1, 0, 0, 0];
        for e in entries {
            body.extend_from_slice(e);
        }
        sdt::build(b"APIC", 5, &body)
    }

    #[test]
    fn qemu_microvm_has_two_cpus_and_two_io_apics_and_no_overrides() {
        let m = parse(QEMU_MICROVM_SMP2).unwrap();
        assert_eq!(m.local_apic_address, 0xFEE0_0000);
        assert!(m.pcat_compat);
        assert_eq!(m.cpus, vec![Cpu { apic_id: 0, usable: true }, Cpu { apic_id: 1, usable: true }]);
        assert_eq!(
            m.io_apics,
            vec![
                IoApic { id: 0, address: 0xFEC0_0000, gsi_base: 0 },
                IoApic { id: 1, address: 0xFEC1_0000, gsi_base: 24 },
            ]
        );
        assert!(m.overrides.is_empty());
        // The virtio-mmio slot 23 interrupt (GSI 47) is pin 23 of the second IO-APIC.
        assert_eq!(m.io_apic_for(47, |_| 24), Some((1, 23)));
    }

    #[test]
    fn qemu_q35_routes_the_timer_to_gsi_2_and_pci_irqs_level_high() {
        let m = parse(QEMU_Q35_SMP2).unwrap();
        assert_eq!(m.cpus.len(), 2);
        assert_eq!(m.io_apics, vec![IoApic { id: 0, address: 0xFEC0_0000, gsi_base: 0 }]);
        assert_eq!(m.overrides.len(), 5);
        assert_eq!(m.isa_irq(0), IrqRoute { gsi: 2, polarity: Polarity::High, trigger: Trigger::Edge });
        assert_eq!(m.isa_irq(9), IrqRoute { gsi: 9, polarity: Polarity::High, trigger: Trigger::Level });
        assert_eq!(m.isa_irq(4), IrqRoute { gsi: 4, polarity: Polarity::High, trigger: Trigger::Edge });
    }

    #[test]
    fn x2apic_entries_add_cpus_and_duplicates_of_xapic_ones_are_dropped() {
        let lapic = [0, 8, 0, 3, 1, 0, 0, 0];
        let x2_dup = [9, 16, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let x2_big = [9, 16, 0, 0, 0x00, 0x01, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0];
        let m = parse(&madt(&[&lapic, &x2_dup, &x2_big])).unwrap();
        assert_eq!(m.cpus, vec![Cpu { apic_id: 3, usable: true }, Cpu { apic_id: 256, usable: true }]);
    }

    #[test]
    fn disabled_cpus_are_listed_but_not_usable() {
        let disabled = [0, 8, 1, 1, 0, 0, 0, 0];
        let m = parse(&madt(&[&disabled])).unwrap();
        assert_eq!(m.cpus, vec![Cpu { apic_id: 1, usable: false }]);
        assert_eq!(m.usable_cpus().count(), 0);
    }

    #[test]
    fn the_address_override_replaces_the_32_bit_local_apic_address() {
        let ovr = [5, 12, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00];
        assert_eq!(parse(&madt(&[&ovr])).unwrap().local_apic_address, 0x1_0000_0000);
    }

    #[test]
    fn override_flags_follow_the_mps_inti_encoding() {
        // bus 0, IRQ 11 -> GSI 11, active low (11), level (11).
        let low_level = [2, 10, 0, 11, 11, 0, 0, 0, 0x0F, 0x00];
        // Polarity 01 high, trigger 01 edge.
        let high_edge = [2, 10, 0, 3, 20, 0, 0, 0, 0x05, 0x00];
        let m = parse(&madt(&[&low_level, &high_edge])).unwrap();
        assert_eq!(m.isa_irq(11), IrqRoute { gsi: 11, polarity: Polarity::Low, trigger: Trigger::Level });
        assert_eq!(m.isa_irq(3), IrqRoute { gsi: 20, polarity: Polarity::High, trigger: Trigger::Edge });
    }

    #[test]
    fn unknown_entry_types_are_skipped() {
        let nmi = [4, 6, 0xFF, 0, 0, 1];
        let future = [0x7F, 3, 0];
        let io = [1, 12, 2, 0, 0, 0, 0xC0, 0xFE, 0, 0, 0, 0];
        let m = parse(&madt(&[&nmi, &future, &io])).unwrap();
        assert_eq!(m.io_apics.len(), 1);
    }

    #[test]
    fn an_entry_with_length_below_two_is_malformed_not_an_endless_loop() {
        assert_eq!(parse(&madt(&[&[0x7F, 0]])), Err(TableError::Malformed));
        assert_eq!(parse(&madt(&[&[0x7F, 1]])), Err(TableError::Malformed));
    }

    #[test]
    fn an_entry_running_past_the_table_end_is_malformed() {
        assert_eq!(parse(&madt(&[&[1, 12, 0, 0]])), Err(TableError::Malformed));
        assert_eq!(parse(&madt(&[&[1]])), Err(TableError::Malformed));
    }

    #[test]
    fn a_known_entry_too_short_for_its_fields_is_malformed() {
        assert_eq!(parse(&madt(&[&[1, 6, 0, 0, 0, 0]])), Err(TableError::Malformed));
    }

    #[test]
    fn another_table_is_rejected_by_signature() {
        assert_eq!(parse(&sdt::build(b"FACP", 1, &[0; 8])), Err(TableError::BadSignature));
    }

    #[test]
    fn a_gsi_beyond_every_io_apic_has_no_pin() {
        let m = parse(QEMU_MICROVM_SMP2).unwrap();
        assert_eq!(m.io_apic_for(0, |_| 24), Some((0, 0)));
        assert_eq!(m.io_apic_for(48, |_| 24), None);
        assert_eq!(m.io_apic_for(u32::MAX, |_| u32::MAX), Some((1, u32::MAX - 24)));
    }
}
