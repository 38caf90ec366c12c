//! ELF planning on hand-built images: every accepted shape, every error,
//! and robustness against truncated, mutated and random input.

use super::elf::{plan, plan_at};
use super::elf_error::{ElfError, HeaderFault, SegmentFault, TooBigPart, TruncatedPart};
use super::load_plan::{LoadPlan, STATIC_PIE_BASE, Segment, Tls, USER_END, USER_MIN, page_up};
use super::test_elf::{Ph, TestElf};
use goblin::elf::header::{ET_CORE, ET_DYN, ET_EXEC, ET_REL};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_NOTE, PT_TLS};
use ringo_uapi::Errno;

fn pie() -> TestElf {
    let mut elf = TestElf::static_exec();
    elf.e_type = ET_DYN;
    elf.entry = 0x140;
    elf.phdrs[0].vaddr = 0;
    elf.phdrs[1].vaddr = 0x1200;
    elf.phdrs[2].vaddr = 0x1200;
    elf
}

fn err(elf: &TestElf) -> ElfError {
    match plan(&elf.bytes()) {
        Ok(p) => panic!("accepted: {p:?}"),
        Err(e) => e,
    }
}

fn bad_segment(index: usize, fault: SegmentFault) -> ElfError {
    ElfError::BadSegment { index, fault }
}

#[test]
fn static_exec_plan_has_every_field() {
    let plan = plan(&TestElf::static_exec().bytes()).expect("valid");
    assert_eq!(
        plan,
        LoadPlan {
            entry: 0x400140,
            segments: vec![
                Segment {
                    vaddr: 0x400000,
                    memsz: 0x200,
                    file_offset: 0,
                    filesz: 0x200,
                    readable: true,
                    writable: false,
                    executable: true,
                    align: 0x1000,
                },
                Segment {
                    vaddr: 0x401200,
                    memsz: 0x1000,
                    file_offset: 0x200,
                    filesz: 0x80,
                    readable: true,
                    writable: true,
                    executable: false,
                    align: 0x1000,
                },
            ],
            phdr_vaddr: Some(0x400040),
            phent: 56,
            phnum: 4,
            is_pie: false,
            load_bias: 0,
            tls: Some(Tls { vaddr: 0x401200, filesz: 8, memsz: 16, align: 8 }),
            stack_executable: false,
            brk_start: 0x403000,
        }
    );
    let data = &plan.segments[1];
    assert_eq!(data.pages(), 0x401000..0x403000);
    assert_eq!(data.file_range(), 0x200..0x280);
    assert_eq!(data.zero_range(), 0x401280..0x402200);
}

#[test]
fn static_pie_lands_at_the_default_base() {
    let plan = plan(&pie().bytes()).expect("valid");
    assert!(plan.is_pie);
    assert_eq!(STATIC_PIE_BASE, 0x5555_5555_4000);
    assert_eq!(plan.load_bias, STATIC_PIE_BASE);
    assert_eq!(plan.entry, STATIC_PIE_BASE + 0x140);
    assert_eq!(plan.segments[0].vaddr, STATIC_PIE_BASE);
    assert_eq!(plan.segments[1].vaddr, STATIC_PIE_BASE + 0x1200);
    assert_eq!(plan.segments[1].file_offset, 0x200);
    assert_eq!(plan.phdr_vaddr, Some(STATIC_PIE_BASE + 0x40));
    assert_eq!(plan.tls.map(|t| t.vaddr), Some(STATIC_PIE_BASE + 0x1200));
    assert_eq!(plan.brk_start, STATIC_PIE_BASE + 0x3000);
}

#[test]
fn static_pie_at_a_chosen_base_honours_segment_alignment() {
    let at = plan_at(&pie().bytes(), 0x7000_0000_0000).expect("valid");
    assert_eq!(at.segments[0].vaddr, 0x7000_0000_0000);
    assert_eq!(at.entry, 0x7000_0000_0140);

    let mut huge = pie();
    huge.phdrs[1].align = 0x20_0000;
    let aligned = plan(&huge.bytes()).expect("valid");
    assert_eq!(aligned.load_bias, 0x5555_5540_0000, "rounded down to 2 MiB like Linux");
    assert_eq!(aligned.segments[1].align, 0x20_0000);

    // A PIE linked above zero still starts at the base.
    let mut high = pie();
    for p in &mut high.phdrs[..3] {
        p.vaddr += 0x10000;
    }
    high.entry += 0x10000;
    let moved = plan(&high.bytes()).expect("valid");
    assert_eq!(moved.segments[0].vaddr, STATIC_PIE_BASE);
    assert_eq!(moved.entry, STATIC_PIE_BASE + 0x140);
    assert_eq!(moved.load_bias, STATIC_PIE_BASE - 0x10000);
}

#[test]
fn odd_alignments_become_a_page() {
    let mut elf = TestElf::static_exec();
    elf.phdrs[0].align = 0;
    elf.phdrs[1].align = 0x3000;
    let plan = plan(&elf.bytes()).expect("valid");
    assert!(plan.segments.iter().all(|s| s.align == 0x1000));
}

#[test]
fn gnu_stack_decides_stack_executability() {
    let mut elf = TestElf::static_exec();
    elf.phdrs[3].flags = PF_R | PF_W | PF_X;
    assert!(plan(&elf.bytes()).expect("valid").stack_executable);
    elf.phdrs.pop();
    assert!(!plan(&elf.bytes()).expect("valid").stack_executable, "x86-64 default is non-executable");
}

#[test]
fn segments_are_sorted_and_empty_ones_dropped() {
    let mut elf = TestElf::static_exec();
    elf.phdrs.swap(0, 1);
    elf.phdrs.push(Ph::load(PF_R, 0, 0x500000, 0, 0));
    let plan = plan(&elf.bytes()).expect("valid");
    let addrs: Vec<u64> = plan.segments.iter().map(|s| s.vaddr).collect();
    assert_eq!(addrs, [0x400000, 0x401200]);
    assert_eq!(plan.phdr_vaddr, Some(0x400040));
}

#[test]
fn phdr_address_needs_a_segment_mapping_the_table() {
    let mut elf = TestElf::static_exec();
    elf.phdrs[0].offset = 0x1000;
    elf.phdrs[0].filesz = 0x100;
    elf.phdrs[0].memsz = 0x100;
    elf.phdrs[1].offset = 0x1200;
    elf.entry = 0x400010;
    assert_eq!(plan(&elf.bytes()).expect("valid").phdr_vaddr, None);
}

#[test]
fn not_elf() {
    for bytes in [&b""[..], b"\x7fEL", b"#!/bin/sh\necho hi\n", b"MZ\x90\x00", &[0u8; 128]] {
        let e = plan(bytes).expect_err("not ELF");
        assert_eq!(e, ElfError::NotElf);
        assert_eq!(e.to_string(), "not an ELF file");
        assert_eq!(e.exit_status(), 126);
        assert_eq!(e.errno(), Errno::ENOEXEC);
    }
}

#[test]
fn thirty_two_bit_programs() {
    let mut elf = TestElf::static_exec();
    elf.class = 1;
    elf.machine = goblin::elf::header::EM_386;
    assert_eq!(err(&elf), ElfError::WrongClass);
    assert_eq!(err(&elf).to_string(), "32-bit ELF; Ringo runs 64-bit x86-64 binaries");
    elf.machine = goblin::elf::header::EM_X86_64; // x32
    assert_eq!(err(&elf), ElfError::WrongClass);
    elf.class = 2;
    elf.machine = goblin::elf::header::EM_386;
    assert_eq!(err(&elf).to_string(), "ELF for i386, not x86-64");
    assert_eq!(err(&elf).exit_status(), 126);
}

#[test]
fn foreign_machines_are_named() {
    let mut elf = TestElf::static_exec();
    elf.machine = goblin::elf::header::EM_AARCH64;
    assert_eq!(err(&elf), ElfError::WrongMachine(183));
    assert_eq!(err(&elf).to_string(), "ELF for aarch64, not x86-64");
    elf.class = 1;
    elf.machine = goblin::elf::header::EM_ARM;
    assert_eq!(err(&elf).to_string(), "ELF for arm, not x86-64", "machine wins over class");
    elf.machine = 0x1234;
    assert_eq!(err(&elf).to_string(), "ELF for machine 4660, not x86-64");

    // Big-endian files store e_machine big-endian: ppc64 = 21.
    let mut bytes = TestElf::static_exec().bytes();
    bytes[5] = 2;
    bytes[18..20].copy_from_slice(&21u16.to_be_bytes());
    assert_eq!(plan(&bytes).expect_err("ppc64").to_string(), "ELF for ppc64, not x86-64");
}

#[test]
fn objects_and_core_dumps_are_not_executables() {
    let mut elf = TestElf::static_exec();
    elf.e_type = ET_REL;
    assert_eq!(err(&elf), ElfError::WrongType(ET_REL));
    assert_eq!(err(&elf).to_string(), "not an executable: a relocatable object (.o)");
    elf.e_type = ET_CORE;
    assert_eq!(err(&elf).to_string(), "not an executable: a core dump");
    elf.e_type = 0xfe00;
    assert_eq!(err(&elf).to_string(), "not an executable: unknown ELF type");
    assert_eq!(err(&elf).exit_status(), 126);
}

fn with_interpreter(mut elf: TestElf, path: &[u8]) -> TestElf {
    elf.blobs.push((0x160, path.to_vec()));
    elf.phdrs.insert(
        1,
        Ph {
            p_type: PT_INTERP,
            flags: PF_R,
            offset: 0x160,
            vaddr: 0x400160,
            filesz: path.len() as u64,
            memsz: 0,
            align: 1,
        },
    );
    elf
}

#[test]
fn dynamic_binaries_name_their_interpreter() {
    for base in [TestElf::static_exec(), pie()] {
        let elf = with_interpreter(base, b"/lib64/ld-linux-x86-64.so.2\0");
        let e = err(&elf);
        assert_eq!(e, ElfError::Dynamic { interpreter: "/lib64/ld-linux-x86-64.so.2".into() });
        assert_eq!(e.to_string(), "dynamically linked (needs /lib64/ld-linux-x86-64.so.2); Ringo runs static binaries");
        assert_eq!(e.exit_status(), 127);
        assert_eq!(e.errno(), Errno::ENOENT);
    }
    let long = with_interpreter(TestElf::static_exec(), &[b'x'; 1000]);
    let ElfError::Dynamic { interpreter } = err(&long) else { panic!("not dynamic") };
    assert_eq!(interpreter.len(), 256, "a garbage path is cut short");

    let mut cut = with_interpreter(TestElf::static_exec(), b"/lib/ld-musl-x86_64.so.1\0");
    cut.phdrs[1].filesz = 0x10_0000;
    assert_eq!(err(&cut), ElfError::Truncated(TruncatedPart::Segment(1)));
}

#[test]
fn nothing_to_load() {
    let mut elf = TestElf::static_exec();
    elf.phdrs.clear();
    assert_eq!(err(&elf), ElfError::NoLoadableSegments);
    elf.phdrs.push(Ph { p_type: PT_NOTE, flags: PF_R, offset: 0, vaddr: 0, filesz: 0, memsz: 0, align: 4 });
    assert_eq!(err(&elf), ElfError::NoLoadableSegments);
    elf.phdrs.push(Ph::load(PF_R, 0, 0x400000, 0, 0));
    assert_eq!(err(&elf), ElfError::NoLoadableSegments);
    assert_eq!(err(&elf).to_string(), "corrupt ELF: no loadable segments");
}

#[test]
fn broken_segments() {
    type Breakage = fn(&mut TestElf);
    let cases: [(Breakage, ElfError, &str); 7] = [
        (
            |e| e.phdrs[1].filesz = 0x2000,
            bad_segment(1, SegmentFault::FileLargerThanMemory),
            "corrupt ELF: segment 1 has more file data than memory",
        ),
        (
            |e| e.phdrs[1].vaddr = 0x4001f0,
            bad_segment(1, SegmentFault::MisalignedOffset),
            "corrupt ELF: segment 1 has file offset and address misaligned to pages",
        ),
        (
            |e| e.phdrs[0].memsz = 0x1300,
            bad_segment(1, SegmentFault::Overlaps(0)),
            "corrupt ELF: segment 1 overlaps segment 0",
        ),
        (
            |e| e.phdrs[1].vaddr = 0xffff_ffff_ffff_f200,
            bad_segment(1, SegmentFault::AddressOverflow),
            "corrupt ELF: segment 1 wraps around the address space",
        ),
        (
            |e| e.phdrs[1].vaddr = 0xffff_8000_0000_0200,
            bad_segment(1, SegmentFault::KernelHalf),
            "corrupt ELF: segment 1 reaches into kernel space",
        ),
        (
            |e| e.phdrs[1].vaddr = 0x7fff_ffff_e200,
            bad_segment(1, SegmentFault::KernelHalf),
            "corrupt ELF: segment 1 reaches into kernel space",
        ),
        (
            |e| {
                e.phdrs[0].vaddr = 0;
                e.entry = 0x140 + 0x10000;
            },
            bad_segment(0, SegmentFault::BelowMinAddress),
            "corrupt ELF: segment 0 maps below 64 KiB",
        ),
    ];
    for (break_it, expected, line) in cases {
        let mut elf = TestElf::static_exec();
        break_it(&mut elf);
        let e = err(&elf);
        assert_eq!(e, expected);
        assert_eq!(e.to_string(), line);
        assert_eq!(e.exit_status(), 126);
        assert_eq!(e.errno(), Errno::ENOEXEC);
    }
}

#[test]
fn broken_tls() {
    let mut elf = TestElf::static_exec();
    elf.phdrs[2].filesz = 32;
    assert_eq!(err(&elf), bad_segment(2, SegmentFault::FileLargerThanMemory));
    elf.phdrs[2].filesz = 8;
    elf.phdrs[2].vaddr = u64::MAX - 4;
    assert_eq!(err(&elf), bad_segment(2, SegmentFault::KernelHalf));
}

#[test]
fn truncated_files() {
    let full = TestElf::static_exec().bytes();
    assert_eq!(plan(&full[..10]).expect_err("short"), ElfError::Truncated(TruncatedPart::Header));
    assert_eq!(plan(&full[..40]).expect_err("short"), ElfError::Truncated(TruncatedPart::Header));
    assert_eq!(plan(&full[..40]).expect_err("short").to_string(), "truncated ELF file: the ELF header is cut short");
    let e = plan(&full[..100]).expect_err("short");
    assert_eq!(e, ElfError::Truncated(TruncatedPart::ProgramHeaders));
    assert_eq!(e.to_string(), "truncated ELF file: the program headers end past the end of the file");
    let e = plan(&full[..0x250]).expect_err("short");
    assert_eq!(e, ElfError::Truncated(TruncatedPart::Segment(1)));
    assert_eq!(e.to_string(), "truncated ELF file: segment 1's data ends past the end of the file");
    assert_eq!(e.exit_status(), 126);

    // Offsets near 2^64 must not wrap around into the file.
    let mut bytes = full.clone();
    bytes[32..40].copy_from_slice(&(u64::MAX - 8).to_le_bytes());
    assert_eq!(plan(&bytes).expect_err("wraps"), ElfError::Truncated(TruncatedPart::ProgramHeaders));
    let mut bytes = full.clone();
    let segment_1_offset = 64 + 56 + 8;
    bytes[segment_1_offset..segment_1_offset + 8].copy_from_slice(&(u64::MAX - 0xdff).to_le_bytes());
    assert_eq!(plan(&bytes).expect_err("wraps"), ElfError::Truncated(TruncatedPart::Segment(1)));
}

#[test]
fn broken_headers() {
    let mut elf = TestElf::static_exec();
    elf.phentsize = 32;
    assert_eq!(err(&elf), ElfError::BadHeader(HeaderFault::ProgramHeaderSize(32)));
    assert_eq!(err(&elf).to_string(), "corrupt ELF header: program header entries of 32 bytes, not 56");
    let mut elf = TestElf::static_exec();
    elf.data = 7;
    assert_eq!(err(&elf).to_string(), "corrupt ELF header: unknown byte order 7");
    let mut elf = TestElf::static_exec();
    elf.class = 9;
    assert_eq!(err(&elf).to_string(), "corrupt ELF header: unknown class 9");
    let mut bytes = TestElf::static_exec().bytes();
    bytes[5] = 2;
    bytes[18..20].copy_from_slice(&62u16.to_be_bytes());
    assert_eq!(plan(&bytes).expect_err("BE").to_string(), "corrupt ELF header: big-endian x86-64");
}

#[test]
fn entry_outside_user_space() {
    for entry in [0, 0xffff_ffff_8000_0000, USER_END] {
        let mut elf = TestElf::static_exec();
        elf.entry = entry;
        assert_eq!(err(&elf), ElfError::BadEntry(entry));
    }
    let mut elf = TestElf::static_exec();
    elf.entry = 0xffff_ffff_8000_0000;
    assert_eq!(err(&elf).to_string(), "corrupt ELF: entry point 0xffffffff80000000 is outside user space");
}

#[test]
fn too_big() {
    let mut elf = TestElf::static_exec();
    elf.phnum = Some(1171);
    let e = err(&elf);
    assert_eq!(e, ElfError::TooBig(TooBigPart::ProgramHeaders));
    assert_eq!(e.to_string(), "ELF too big: over 64 KiB of program headers");
    assert_eq!(e.errno(), Errno::ENOEXEC);

    let mut wide = pie();
    wide.phdrs[1].memsz = 0x4000_0000_0000;
    let e = err(&wide);
    assert!(matches!(e, ElfError::TooBig(TooBigPart::Image { .. })), "{e:?}");
    assert!(e.to_string().starts_with("ELF too big: a 0x"), "{e}");
    assert_eq!(e.errno(), Errno::ENOMEM);
    assert_eq!(e.exit_status(), 126);
}

#[test]
fn every_error_is_one_line() {
    let errors = [
        ElfError::NotElf,
        ElfError::Truncated(TruncatedPart::Header),
        ElfError::BadHeader(HeaderFault::BigEndian),
        ElfError::WrongClass,
        ElfError::WrongMachine(40),
        ElfError::WrongType(ET_REL),
        ElfError::Dynamic { interpreter: "/lib/ld-musl-x86_64.so.1".into() },
        ElfError::NoLoadableSegments,
        bad_segment(3, SegmentFault::Overlaps(2)),
        ElfError::BadEntry(0),
        ElfError::TooBig(TooBigPart::Image { span: 1 << 46 }),
    ];
    for e in errors {
        let line = e.to_string();
        assert!(!line.is_empty() && !line.contains('\n') && line.len() < 120, "{line:?}");
    }
}

/// What every accepted plan must satisfy, whatever the input.
fn assert_sound(plan: &LoadPlan, file_len: usize) {
    assert!(!plan.segments.is_empty());
    assert!((USER_MIN..USER_END).contains(&plan.entry));
    for s in &plan.segments {
        assert!(s.filesz <= s.memsz);
        assert!(s.vaddr >= USER_MIN && s.vaddr + s.memsz <= USER_END);
        assert!(s.file_range().end <= file_len);
        assert_eq!(s.vaddr % 4096, s.file_offset % 4096);
        assert!(s.align.is_power_of_two() && s.align >= 4096);
    }
    for pair in plan.segments.windows(2) {
        assert!(pair[0].vaddr + pair[0].memsz <= pair[1].vaddr);
    }
    let last = plan.segments.last().expect("nonempty");
    assert_eq!(plan.brk_start, page_up(last.vaddr + last.memsz));
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for elf in [TestElf::static_exec(), pie(), with_interpreter(TestElf::static_exec(), b"/lib/ld.so\0")] {
        let full = elf.bytes();
        for len in 0..full.len() {
            assert!(plan(&full[..len]).is_err(), "accepted a file cut at {len}");
        }
        assert!(plan(&full).is_ok() || elf.phdrs.iter().any(|p| p.p_type == PT_INTERP));
    }
}

impl Rng {
    /// Mostly values a loader has edge cases for, sometimes anything.
    fn field(&mut self) -> u64 {
        const EDGES: [u64; 12] =
            [0, 1, 8, 0x40, 0x1000, 0x1200, 0x40_0000, 0x40_1200, USER_END, 1 << 63, u64::MAX, u64::MAX - 0xfff];
        match self.next() % 4 {
            0 => self.next(),
            1 => self.next() % 0x2000,
            _ => EDGES[(self.next() % 12) as usize],
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut kinds = std::collections::HashSet::new();
    for round in 0..40_000 {
        let len = (rng.next() % 600) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Most runs get a plausible header and program headers of random
        // fields, to reach the segment checks rather than stop at the magic.
        if round % 4 != 0 && len >= 64 {
            bytes[..8].copy_from_slice(b"\x7fELF\x02\x01\x01\x00");
            let e_type = [ET_EXEC, ET_DYN, ET_REL][(rng.next() % 3) as usize];
            bytes[16..18].copy_from_slice(&e_type.to_le_bytes());
            bytes[18..20].copy_from_slice(&62u16.to_le_bytes());
            bytes[24..32].copy_from_slice(&rng.field().to_le_bytes());
            bytes[32..40].copy_from_slice(&64u64.to_le_bytes());
            bytes[54..56].copy_from_slice(&56u16.to_le_bytes());
            let phnum = rng.next() % 6;
            bytes[56..58].copy_from_slice(&(phnum as u16).to_le_bytes());
            for i in 0..phnum as usize {
                let at = 64 + i * 56;
                if at + 56 > len {
                    break;
                }
                let p_type = [PT_LOAD, PT_LOAD, PT_LOAD, PT_INTERP, PT_TLS, PT_NOTE][(rng.next() % 6) as usize];
                bytes[at..at + 4].copy_from_slice(&p_type.to_le_bytes());
                for field in 1..7 {
                    bytes[at + 8 * field..at + 8 * field + 8].copy_from_slice(&rng.field().to_le_bytes());
                }
            }
        }
        match plan(&bytes) {
            Ok(plan) => assert_sound(&plan, bytes.len()),
            Err(e) => {
                kinds.insert(core::mem::discriminant(&e));
            }
        }
    }
    // Deterministic: this seed reaches segment checks, truncations, PT_INTERP,
    // empty plans and more.
    assert!(kinds.len() >= 6, "random input reached only {} kinds of error", kinds.len());
}

#[test]
fn mutated_valid_files_are_sound_or_refused() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let bases = [TestElf::static_exec().bytes(), pie().bytes()];
    let mut accepted = 0;
    for round in 0..30_000 {
        let mut bytes = bases[round % 2].clone();
        for _ in 0..1 + rng.next() % 4 {
            let at = (rng.next() % 300) as usize;
            let interesting = [0x00, 0xff, 0x80, 0x10, 0x40, 0x7f, rng.next() as u8];
            bytes[at] = interesting[(rng.next() % 7) as usize];
        }
        match plan(&bytes) {
            Ok(plan) => {
                assert_sound(&plan, bytes.len());
                accepted += 1;
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    assert!(accepted > 1000, "mutations of don't-care bytes should still load ({accepted})");
}

#[test]
fn program_header_types_we_ignore_do_not_matter() {
    let mut elf = TestElf::static_exec();
    elf.phdrs.push(Ph {
        p_type: PT_NOTE,
        flags: PF_R,
        offset: u64::MAX,
        vaddr: u64::MAX,
        filesz: 9,
        memsz: 0,
        align: 3,
    });
    elf.phdrs.push(Ph { p_type: 0x6474e552, flags: 0, offset: 0, vaddr: 0, filesz: 0, memsz: 0, align: 1 });
    let plan = plan(&elf.bytes()).expect("valid");
    assert_eq!(plan.phnum, 6);
    assert_eq!(plan.segments.len(), 2);
}
