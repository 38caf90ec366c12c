//! ELF load plans (ringo_fs::binfmt::plan): the bytes of an executable
//! become what to map where. Beyond not panicking, an accepted plan must be
//! one the kernel can map without further checks: every segment's file
//! bytes inside the file, no bss smaller than the file part, every segment
//! in user space above mmap_min_addr, sorted and disjoint, the entry in
//! user space, and the brk heap above everything.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringo_fs::binfmt::load_plan::{PAGE_SIZE, USER_END, USER_MIN, page_up};
use ringo_fs::binfmt::{self, LoadPlan, STATIC_PIE_BASE};

fn check(plan: &LoadPlan, file: &[u8]) {
    assert!(!plan.segments.is_empty(), "a plan with nothing to map");
    assert!((USER_MIN..USER_END).contains(&plan.entry), "entry {:#x} outside user space", plan.entry);
    let mut previous_end = 0u64;
    for seg in &plan.segments {
        assert!(seg.memsz > 0 && seg.filesz <= seg.memsz, "{seg:?}");
        let end = seg.vaddr.checked_add(seg.memsz).expect("segment end overflows");
        assert!(seg.vaddr & !(PAGE_SIZE - 1) >= USER_MIN && end <= USER_END, "{seg:?} outside user space");
        assert!(seg.vaddr >= previous_end, "{seg:?} overlaps the segment before it");
        previous_end = end;
        let range = seg.file_range();
        assert!(range.start <= range.end && range.end <= file.len(), "{seg:?} reads past the file");
        assert!(seg.align.is_power_of_two() && seg.align >= PAGE_SIZE, "{seg:?}");
        assert_eq!(seg.vaddr % PAGE_SIZE, seg.file_offset % PAGE_SIZE, "{seg:?} cannot be mapped from the file");
        let pages = seg.pages();
        assert!(pages.start <= seg.vaddr && pages.end >= end);
    }
    assert_eq!(plan.brk_start, page_up(previous_end), "brk does not start after the last segment");
    if let Some(tls) = plan.tls {
        assert!(tls.filesz <= tls.memsz && tls.vaddr.checked_add(tls.memsz).is_some_and(|e| e <= USER_END));
    }
    if plan.is_pie {
        assert_eq!(plan.load_bias % PAGE_SIZE, 0, "a PIE bias that is not page-aligned");
    } else {
        assert_eq!(plan.load_bias, 0);
    }
    if let Some(phdr) = plan.phdr_vaddr {
        let table = u64::from(plan.phnum) * u64::from(plan.phent);
        assert!(
            plan.segments.iter().any(|s| s.vaddr <= phdr && phdr + table <= s.vaddr + s.filesz),
            "AT_PHDR {phdr:#x} is not inside a segment's file bytes"
        );
    }
    let auxv = binfmt::standard_auxv(plan, 0);
    assert!(!auxv.is_empty());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(plan) = binfmt::plan(data) {
        check(&plan, data);
    }
    // A PIE base that is not page- or segment-aligned, and one near the top.
    for base in [STATIC_PIE_BASE + 0x123, USER_END - PAGE_SIZE] {
        if let Ok(plan) = binfmt::plan_at(data, base) {
            check(&plan, data);
        }
    }
});
