//! The ACPI tables the firmware leaves (ringo_devices::acpi): the SDT
//! header, the MADT, the MCFG, the AML reader that finds devices in a DSDT
//! or SSDT, and `_CRS` resource templates. The first byte picks the parser
//! (low 3 bits) and whether to fix the table's signature, length and
//! checksum first (bit 3), so that mutations get past the header.
//!
//! Invariants: an accepted header's length lies within the bytes and its
//! bytes sum to zero; the body is what follows the header up to that
//! length; a MADT's and an MCFG's entries are self-consistent (an ECAM
//! address stays inside its region); AML devices have absolute paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringo_devices::acpi::sdt::{self, HEADER_LEN};
use ringo_devices::acpi::{aml, madt, mcfg};

fn fix_header(table: &mut [u8], signature: &[u8; 4]) {
    if table.len() < HEADER_LEN {
        return;
    }
    table[..4].copy_from_slice(signature);
    let len = table.len() as u32;
    table[4..8].copy_from_slice(&len.to_le_bytes());
    table[9] = 0;
    let sum = table.iter().fold(0u8, |s, b| s.wrapping_add(*b));
    table[9] = 0u8.wrapping_sub(sum);
}

fn header(table: &[u8]) {
    let _ = sdt::declared_length(table);
    let body = sdt::body(table);
    if let Ok(h) = sdt::parse_header(table) {
        let len = h.length as usize;
        assert!((HEADER_LEN..=table.len()).contains(&len));
        assert_eq!(table[..len].iter().fold(0u8, |s, b| s.wrapping_add(*b)), 0);
        assert_eq!(body, &table[HEADER_LEN..len]);
        assert_eq!(sdt::parse_expecting(table, &h.signature), Ok(h));
    }
}

fn madt(table: &[u8]) {
    let Ok(m) = madt::parse(table) else { return };
    for irq in 0..16 {
        let _ = m.isa_irq(irq);
    }
    for a in &m.io_apics {
        let found = m.io_apic_for(a.gsi_base, |_| 24);
        assert!(found.is_some(), "an IO-APIC's own first GSI routes nowhere");
    }
    assert!(m.usable_cpus().count() <= m.cpus.len());
}

fn mcfg(table: &[u8]) {
    let Ok(regions) = mcfg::parse(table) else { return };
    for r in regions {
        assert!(r.bus_start <= r.bus_end);
        for (bus, device, function, offset) in [(r.bus_start, 0, 0, 0), (r.bus_end, 31, 7, 4095)] {
            if let Some(addr) = r.config_address(bus, device, function, offset) {
                assert!(addr >= r.base && addr - r.base < r.size(), "{r:?}: {addr:#x} outside the region");
            }
        }
        assert_eq!(r.config_address(r.bus_end, 32, 0, 0), None);
    }
}

fn aml_devices(aml: &[u8]) {
    let half = aml.len() / 2;
    for devices in [aml::devices(aml), aml::devices_in_tables(&[&aml[..half], &aml[half..]])] {
        for d in devices {
            assert!(d.path.starts_with('\\'), "device path {:?} is not absolute", d.path);
            let _ = (d.is("PNP0A08"), d.integer("_ADR"), d.hid.as_ref().map(|h| h.to_string()));
        }
    }
}

fn resources(template: &[u8]) {
    let Ok(list) = aml::parse_resources(template) else { return };
    for r in list {
        if let aml::Resource::Window { min, max, len, .. } = r {
            let _ = (min, max, len);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let mut table = rest.to_vec();
    let fix = which & 8 != 0;
    match which % 8 {
        0 => {
            if fix {
                fix_header(&mut table, b"APIC");
            }
            header(&table);
            madt(&table);
        }
        1 => {
            if fix {
                fix_header(&mut table, b"MCFG");
            }
            header(&table);
            mcfg(&table);
        }
        2 | 3 => {
            if fix {
                fix_header(&mut table, b"DSDT");
            }
            header(&table);
            aml_devices(if fix { sdt::body(&table) } else { &table });
        }
        _ => resources(rest),
    }
});
