//! The kernel's check that ring transitions are virtualized faithfully, and
//! the launcher's answer to it. On a host whose /dev/kvm is kvm_pvm (the
//! project's development and CI machines) the check must fire and the
//! launcher rerun under TCG; elsewhere `--accel auto` must pick KVM where
//! it is real, TCG otherwise, and boot.

use std::time::Duration;

use qemu_tests::accel::{Accel, AccelChoice, KvmProbe};
use qemu_tests::{GuestStatus, RunConfig, kernel_for_tests, run::run_with};

#[test]
fn unfaithful_kvm_is_reported_and_the_launcher_reruns_under_tcg() {
    let probe = KvmProbe::of_this_host();
    if !(probe.kvm_pvm_loaded && probe.dev_kvm_opens) {
        let cfg = RunConfig::new(kernel_for_tests()).timeout(Some(Duration::from_secs(120))).announce(false);
        let run = qemu_tests::run(&cfg).expect("the launcher's run");
        let expected = if probe.dev_kvm_opens { Accel::Kvm } else { Accel::Tcg };
        assert_eq!(run.accel, expected, "--accel auto on a host without kvm_pvm ({probe:?})");
        assert!(matches!(run.status, GuestStatus::Exited(0)), "{:?}\n{}", run.status, run.serial);
        return;
    }
    let cfg = RunConfig::new(kernel_for_tests())
        .accel(AccelChoice::Kvm)
        .timeout(Some(Duration::from_secs(120)))
        .announce(false);

    let under_kvm = run_with(&cfg, Accel::Kvm).expect("QEMU runs under kvm_pvm");
    assert!(
        matches!(under_kvm.status, GuestStatus::Exited(71)),
        "expected status 71 under kvm_pvm, got {:?}\n{}",
        under_kvm.status,
        under_kvm.serial
    );
    let lines: Vec<_> =
        under_kvm.serial.lines().filter(|l| l.contains("does not virtualize ring transitions")).collect();
    assert_eq!(lines.len(), 1, "expected one diagnosis line:\n{}", under_kvm.serial);
    assert!(lines[0].contains("run under TCG"), "the line does not say what to do: {}", lines[0]);

    let rerun = qemu_tests::run(&cfg).expect("the launcher's run");
    assert_eq!(rerun.accel, Accel::Tcg, "the launcher did not rerun under TCG");
    assert!(matches!(rerun.status, GuestStatus::Exited(0)), "rerun: {:?}\n{}", rerun.status, rerun.serial);
    assert!(rerun.serial.contains("accel tcg"), "{}", rerun.serial);
}
