//! The kernel's check that ring transitions are virtualized faithfully, and
//! the launcher's answer to it. Needs a host whose /dev/kvm is kvm_pvm (as on
//! the project's development and CI machines); elsewhere there is nothing
//! unfaithful to detect, and the test says so and passes.

use std::time::Duration;

use qemu_tests::accel::{Accel, AccelChoice, KvmProbe};
use qemu_tests::{GuestStatus, RunConfig, kernel_for_tests, run::run_with};

#[test]
fn unfaithful_kvm_is_reported_and_the_launcher_reruns_under_tcg() {
    let probe = KvmProbe::of_this_host();
    if !(probe.kvm_pvm_loaded && probe.dev_kvm_opens) {
        eprintln!("no usable kvm_pvm on this host: no unfaithful hypervisor to detect");
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
