//! Booting the kernel without init: the banner, and what it says about the
//! machine QEMU gave it.

use qemu_tests::Machine;
use qemu_tests::guest_test::boot;

#[test]
fn boots_on_microvm_and_powers_off() {
    let run = boot("").run();
    run.expect_status(0);
    let banner = run.banner();
    run.check(banner.cpus == 1, format!("banner says {} CPUs, expected 1", banner.cpus));
    run.check(banner.accel == "tcg", format!("banner says accel {}, expected tcg", banner.accel));
    run.expect_order("ringo: ready: ", "ringo: no init; powering off");
    run.expect_order("ringo: no init; powering off", "ringo: exit status 0");
}

#[test]
fn boots_on_q35_and_powers_off() {
    let run = boot("").machine(Machine::Q35).timeout_secs(120).run();
    run.expect_status(0);
    let banner = run.banner();
    run.check(banner.cpus == 1, format!("banner says {} CPUs, expected 1", banner.cpus));
    run.line_containing("ringo: no init; powering off");
}

/// Usable memory is what QEMU's -m gave, less at most 10% (firmware,
/// holes, the kernel image).
#[test]
fn banner_memory_follows_qemu_m() {
    let mut seen = Vec::new();
    for mib in [128u64, 512] {
        let run = boot("").memory_mib(mib).run();
        run.expect_status(0);
        let got = run.banner().memory_mib;
        run.check(
            got <= mib && got * 10 >= mib * 9,
            format!("-m {mib}M: banner says {got} MiB, expected between {} and {mib}", mib * 9 / 10),
        );
        seen.push(got);
    }
    assert!(seen[1] > seen[0], "512M gave no more memory than 128M: {seen:?}");
}
