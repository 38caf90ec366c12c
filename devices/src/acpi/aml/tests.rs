//! Hand-built AML follows QEMU's hw/i386/acpi-microvm.c and
//! hw/pci-host/gpex-acpi.c as encoded by hw/acpi/aml-build.c; the real
//! tables are QEMU 7.2's (see testdata/qemu-7.2/README.md).

use super::resource::build::*;
use super::*;
use crate::acpi::sdt;
use alloc::vec;

const MICROVM_DSDT: &[u8] = include_bytes!("../../../testdata/qemu-7.2/microvm-pcie-dsdt.bin");
const Q35_DSDT: &[u8] = include_bytes!("../../../testdata/qemu-7.2/q35-dsdt.bin");

/// PkgLength + contents, in the shortest encoding (as aml-build.c does).
fn pkg(contents: &[u8]) -> Vec<u8> {
    let total = contents.len() + 1;
    let mut out = if total < 0x40 {
        vec![total as u8]
    } else {
        let total = contents.len() + 2;
        if total < 0x1000 {
            vec![0x40 | (total & 0xF) as u8, (total >> 4) as u8]
        } else {
            let total = contents.len() + 3;
            vec![0x80 | (total & 0xF) as u8, (total >> 4) as u8, (total >> 12) as u8]
        }
    };
    out.extend_from_slice(contents);
    out
}

fn scope(name: &[u8], body: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![0x10];
    v.extend(pkg(&[name, &body.concat()].concat()));
    v
}

fn device(name: &[u8], body: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![0x5B, 0x82];
    v.extend(pkg(&[name, &body.concat()].concat()));
    v
}

fn name(name: &[u8], value: Vec<u8>) -> Vec<u8> {
    [&[0x08], name, &value].concat()
}

fn string(s: &str) -> Vec<u8> {
    [&[0x0D], s.as_bytes(), &[0]].concat()
}

fn dword(v: u32) -> Vec<u8> {
    [&[0x0C][..], &v.to_le_bytes()].concat()
}

fn qword(v: u64) -> Vec<u8> {
    [&[0x0E][..], &v.to_le_bytes()].concat()
}

/// aml_int: the shortest integer encoding.
fn int(v: u64) -> Vec<u8> {
    match v {
        0 => vec![0x00],
        1 => vec![0x01],
        2..=0xFF => vec![0x0A, v as u8],
        0x100..=0xFFFF => [&[0x0B][..], &(v as u16).to_le_bytes()].concat(),
        0x1_0000..=0xFFFF_FFFF => dword(v as u32),
        _ => qword(v),
    }
}

fn buffer(bytes: &[u8]) -> Vec<u8> {
    let mut v = vec![0x11];
    v.extend(pkg(&[int(bytes.len() as u64), bytes.to_vec()].concat()));
    v
}

fn method(name: &[u8], body: &[u8]) -> Vec<u8> {
    let mut v = vec![0x14];
    v.extend(pkg(&[name, &[0x00], body].concat()));
    v
}

/// `Device(VRnn)` as acpi_dsdt_add_virtio emits it for slot `n`.
fn microvm_virtio(n: u32, base: u32, gsi: u32) -> Vec<u8> {
    let crs = template(&[memory32_fixed(base, 0x200, true), interrupt(true, false, &[gsi])]);
    device(
        format!("VR{n:02}").as_bytes(),
        &[
            name(b"_HID", string("LNRO0005")),
            name(b"_UID", int(n.into())),
            name(b"_CCA", int(1)),
            name(b"_CRS", buffer(&crs)),
        ],
    )
}

fn pcie_host_crs() -> Vec<u8> {
    template(&[
        address_space(2, 2, 0, 0, 0xFF, 0),
        address_space(4, 0, 0x01, 0xC000_0000, 0xDFFF_FFFF, 0),
        address_space(8, 0, 0x01, 0x80_0000_0000, 0xFF_FFFF_FFFF, 0),
        address_space(4, 1, 0x03, 0x0000, 0xFFFF, 0x3EFF_0000),
    ])
}

fn window(kind: WindowKind, min: u64, max: u64, translation: u64) -> Resource {
    Resource::Window { kind, min, max, translation, len: max - min + 1, prefetchable: false }
}

fn expected_host_windows() -> Vec<Resource> {
    vec![
        window(WindowKind::BusNumber, 0, 0xFF, 0),
        window(WindowKind::Memory, 0xC000_0000, 0xDFFF_FFFF, 0),
        window(WindowKind::Memory, 0x80_0000_0000, 0xFF_FFFF_FFFF, 0),
        window(WindowKind::Io, 0, 0xFFFF, 0x3EFF_0000),
    ]
}

#[test]
fn microvm_virtio_mmio_device_is_found_with_its_memory_and_interrupt() {
    let aml = scope(b"\\_SB_", &[microvm_virtio(23, 0xFEB0_2E00, 47)]);
    let d = devices(&aml);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].path, "\\_SB_.VR23");
    assert_eq!(d[0].hid, Some(Hid::Str("LNRO0005".into())));
    assert!(d[0].is("LNRO0005"));
    assert_eq!(d[0].uid, Some(23));
    assert_eq!(d[0].integer("_CCA"), Some(1));
    assert_eq!(
        d[0].resources,
        vec![
            Resource::Memory { base: 0xFEB0_2E00, len: 0x200 },
            Resource::Irq { irqs: vec![47], level: true, active_low: false },
        ]
    );
}

#[test]
fn pcie_host_bridge_with_a_string_hid_has_its_windows() {
    let aml = scope(
        b"\\_SB_",
        &[device(
            b"PCI0",
            &[
                name(b"_HID", string("PNP0A08")),
                name(b"_CID", string("PNP0A03")),
                name(b"_SEG", int(0)),
                name(b"_BBN", int(0)),
                method(b"_OSC", &[0xA4, 0x68]),
                name(b"_CBA", qword(0xB000_0000)),
                name(b"_CRS", buffer(&pcie_host_crs())),
            ],
        )],
    );
    let d = &devices(&aml)[0];
    assert!(d.hid.as_ref().unwrap().matches("PNP0A08"));
    assert!(d.is("PNP0A03"));
    assert_eq!(d.integer("_CBA"), Some(0xB000_0000));
    assert_eq!(d.integer("_SEG"), Some(0));
    assert_eq!(d.resources, expected_host_windows());
}

#[test]
fn pcie_host_bridge_with_an_eisa_id_matches_the_same_name() {
    let eisa = eisa_id("PNP0A08").unwrap();
    assert_eq!(eisa, 0x080A_D041);
    let aml =
        scope(b"\\_SB_", &[device(b"PCI0", &[name(b"_HID", dword(eisa)), name(b"_CRS", buffer(&pcie_host_crs()))])]);
    let d = &devices(&aml)[0];
    assert_eq!(d.hid, Some(Hid::Eisa(0x080A_D041)));
    assert!(d.is("PNP0A08"));
    assert!(!d.is("PNP0A03"));
    assert_eq!(d.hid.as_ref().unwrap().to_string(), "PNP0A08");
    assert_eq!(d.resources, expected_host_windows());
}

#[test]
fn names_in_a_later_scope_with_a_dual_name_path_add_to_the_device() {
    // As q35's DSDT: Device(PCI0) first, then Scope(\_SB.PCI0) { Name(_CRS, ...) }.
    let aml = [
        scope(b"\\_SB_", &[device(b"PCI0", &[name(b"_HID", dword(eisa_id("PNP0A08").unwrap()))])]),
        scope(b"\\\x2E_SB_PCI0", &[name(b"_CRS", buffer(&pcie_host_crs()))]),
    ]
    .concat();
    let d = devices(&aml);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].resources, expected_host_windows());
}

#[test]
fn names_with_parent_and_multi_name_prefixes_reach_their_device() {
    let aml = scope(
        b"\\_SB_",
        &[
            device(b"PCI0", &[device(b"S08_", &[name(b"^\x2ES08__UID", int(9))])]),
            name(b"\\\x2F\x04_SB_PCI0S08__ADR", int(0x0001_0000)),
            device(b"PCI1", &[name(b"^\x2EPCI0_UID", int(4))]),
        ],
    );
    let d = devices(&aml);
    let pci0 = d.iter().find(|d| d.path == "\\_SB_.PCI0").unwrap();
    let s08 = d.iter().find(|d| d.path == "\\_SB_.PCI0.S08_").unwrap();
    assert_eq!(pci0.uid, Some(4));
    assert_eq!(s08.uid, Some(9));
    assert_eq!(s08.integer("_ADR"), Some(0x0001_0000));
}

#[test]
fn an_unknown_term_ends_its_package_but_not_the_outer_walk() {
    let garbage_device = device(b"BAD0", &[vec![0x70, 0x0A, 0x01, 0x60], name(b"_UID", int(7))]);
    let aml = scope(b"\\_SB_", &[garbage_device, microvm_virtio(0, 0xFEB0_0000, 24)]);
    let d = devices(&aml);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0].uid, None, "the name after the unknown opcode is not read");
    assert_eq!(d[1].uid, Some(0));
}

#[test]
fn methods_fields_regions_mutexes_and_packages_are_skipped() {
    let region = [&[0x5B, 0x80][..], b"PCST", &[0x01], &int(0xAE00), &int(8)].concat();
    let field = [&[0x5B, 0x81][..], &pkg(&[b"PCST".as_slice(), &[0x01, 0x00, 0x20]].concat())].concat();
    let mutex = [&[0x5B, 0x01][..], b"BLCK", &[0x00]].concat();
    let package = name(b"_S5_", [&[0x12][..], &pkg(&[0x02, 0x00, 0x00])].concat());
    let aml = scope(
        b"\\_SB_",
        &[region, field, mutex, package, method(b"_STA", &[0xA4, 0x0A, 0x0F]), microvm_virtio(1, 0xFEB0_0200, 25)],
    );
    let d = devices(&aml);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].uid, Some(1));
}

#[test]
fn a_crs_that_is_a_method_gives_no_resources() {
    let aml = device(b"LNKA", &[name(b"_HID", dword(eisa_id("PNP0C0F").unwrap())), method(b"_CRS", &[0xA4, 0x00])]);
    let d = devices(&aml);
    assert!(d[0].is("PNP0C0F"));
    assert!(d[0].resources.is_empty());
}

#[test]
fn nesting_beyond_the_depth_cap_is_skipped_not_recursed() {
    let mut aml = microvm_virtio(5, 0xFEB0_0A00, 29);
    for _ in 0..200 {
        aml = scope(b"DEEP", &[aml]);
    }
    assert!(devices(&aml).is_empty());
    let mut shallow = microvm_virtio(5, 0xFEB0_0A00, 29);
    for _ in 0..10 {
        shallow = scope(b"DEEP", &[shallow]);
    }
    assert_eq!(devices(&shallow)[0].uid, Some(5));
}

#[test]
fn truncated_or_random_aml_never_panics() {
    let aml = scope(b"\\_SB_", &[microvm_virtio(23, 0xFEB0_2E00, 47), microvm_virtio(22, 0xFEB0_2C00, 46)]);
    for cut in 0..aml.len() {
        let _ = devices(&aml[..cut]);
    }
    let mut x = 0x1234_5678u32;
    for _ in 0..2000 {
        let bytes: Vec<u8> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                [0x10, 0x5B, 0x82, 0x08, 0x11, 0x14, 0x2E, 0x2F, 0x5C, 0x5E, b'A', 0xFF, 0x40][(x % 13) as usize]
            })
            .collect();
        let _ = devices(&bytes);
    }
    for q in [MICROVM_DSDT, Q35_DSDT] {
        let body = sdt::body(q);
        for cut in (0..body.len()).step_by(7) {
            let _ = devices(&body[..cut]);
        }
    }
}

#[test]
fn eisa_ids_round_trip() {
    assert_eq!(eisa_id("PNP0A03"), Some(0x030A_D041));
    assert_eq!(Hid::Eisa(0x030A_D041).to_string(), "PNP0A03");
    assert_eq!(eisa_id("pnp0a03"), None);
    assert_eq!(eisa_id("PNP0A0"), None);
    assert_eq!(eisa_id("PNP0AXY"), None);
}

#[test]
fn real_qemu_microvm_dsdt_lists_virtio_mmio_slot_23_and_the_gpex_host_bridge() {
    assert_eq!(sdt::parse_expecting(MICROVM_DSDT, b"DSDT").map(|h| h.length), Ok(3010));
    let d = devices(sdt::body(MICROVM_DSDT));
    let virtio: Vec<_> = d.iter().filter(|d| d.is("LNRO0005")).collect();
    assert_eq!(virtio.len(), 1);
    assert_eq!(virtio[0].path, "\\_SB_.VR23");
    assert_eq!(virtio[0].uid, Some(23));
    assert_eq!(
        virtio[0].resources,
        vec![
            Resource::Memory { base: 0xFEB0_2E00, len: 0x200 },
            Resource::Irq { irqs: vec![47], level: true, active_low: false },
        ]
    );
    let host = d.iter().find(|d| d.is("PNP0A08")).unwrap();
    assert_eq!(host.path, "\\_SB_.PCI0");
    assert!(host.is("PNP0A03"));
    assert_eq!(host.integer("_CBA"), Some(0xE000_0000), "from Method(_CBA) {{ Return (0xE0000000) }}");
    assert_eq!(
        host.resources,
        vec![
            window(WindowKind::BusNumber, 0, 0xFF, 0),
            window(WindowKind::Memory, 0xC000_0000, 0xDFFF_FFFF, 0),
            window(WindowKind::Memory, 0xC0_0000_0000, 0xFF_FFFF_FFFF, 0),
        ]
    );
    let links: Vec<_> = d.iter().filter(|d| d.is("PNP0C0F")).map(|d| d.resources.clone()).collect();
    assert_eq!(links.len(), 4);
    assert_eq!(links[0], vec![Resource::Irq { irqs: vec![16], level: true, active_low: false }]);
}

#[test]
fn real_qemu_q35_dsdt_gives_the_host_bridge_windows_from_a_later_scope() {
    let d = devices(sdt::body(Q35_DSDT));
    let host = d.iter().find(|d| d.is("PNP0A08")).unwrap();
    assert_eq!(host.path, "\\_SB_.PCI0");
    assert_eq!(host.hid, Some(Hid::Eisa(0x080A_D041)));
    assert_eq!(
        host.resources,
        vec![
            window(WindowKind::BusNumber, 0, 0xFF, 0),
            Resource::Io { base: 0xCF8, len: 8 },
            window(WindowKind::Io, 0, 0xCF7, 0),
            window(WindowKind::Io, 0xD00, 0xFFFF, 0),
            window(WindowKind::Memory, 0xA_0000, 0xB_FFFF, 0),
            window(WindowKind::Memory, 0x400_0000, 0xAFFF_FFFF, 0),
            window(WindowKind::Memory, 0xC000_0000, 0xFEBF_FFFF, 0),
            window(WindowKind::Memory, 0x1_0000_0000, 0x8_FFFF_FFFF, 0),
        ]
    );
    let hpet = d.iter().find(|d| d.is("PNP0103")).unwrap();
    assert_eq!(hpet.resources, vec![Resource::Memory { base: 0xFED0_0000, len: 0x400 }]);
    let rtc = d.iter().find(|d| d.is("PNP0B00")).unwrap();
    assert_eq!(rtc.path, "\\_SB_.PCI0.SF8_.RTC_");
    assert_eq!(
        rtc.resources,
        vec![Resource::Io { base: 0x70, len: 8 }, Resource::Irq { irqs: vec![8], level: false, active_low: false }]
    );
    let gsi_links = d.iter().filter(|d| d.path.starts_with("\\_SB_.GSI")).count();
    assert_eq!(gsi_links, 8);
}

#[test]
fn a_method_returning_a_constant_reads_as_a_name() {
    let crs = template(&[memory32_fixed(0xFED0_0000, 0x400, false)]);
    let ret = |v: Vec<u8>| [vec![0xA4], v].concat();
    let aml = device(
        b"HPET",
        &[
            method(b"_CBA", &ret(dword(0xE000_0000))),
            method(b"_CRS", &ret(buffer(&crs))),
            method(b"_STA", &[0xA0, 0x03, 0x01, 0xA4, 0x00]),
        ],
    );
    let d = &devices(&aml)[0];
    assert_eq!(d.integer("_CBA"), Some(0xE000_0000));
    assert_eq!(d.integer("_STA"), None);
    assert_eq!(d.resources, vec![Resource::Memory { base: 0xFED0_0000, len: 0x400 }]);
}
