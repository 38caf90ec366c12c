//! `ringo.ktest=smp`: every CPU QEMU gives the kernel comes online and
//! takes timer interrupts.

use qemu_tests::guest_test::ktest;

fn every_cpu_ticks(cpus: u32) {
    let run = ktest("smp").smp(cpus).run();
    run.expect_status(0);
    let banner = run.banner();
    run.check(banner.cpus == cpus, format!("banner says {} CPUs, expected {cpus}", banner.cpus));
    let online = run.cpus_online();
    for index in 0..cpus {
        match online.iter().find(|c| c.index == index) {
            Some(cpu) => run.check(cpu.ticks >= 5, format!("cpu {index} took only {} ticks, expected >= 5", cpu.ticks)),
            None => run.fail(format!("no `smp: cpu {index} (apic ..) online, .. ticks` line")),
        };
    }
    run.check(online.iter().all(|c| c.index < cpus), format!("a CPU index beyond {cpus}: {online:?}"));
    run.line_containing(&format!("ktest smp: ok, {cpus} CPUs ticking"));
}

#[test]
fn smp_1_cpu() {
    every_cpu_ticks(1);
}

#[test]
fn smp_2_cpus() {
    every_cpu_ticks(2);
}

#[test]
fn smp_4_cpus() {
    every_cpu_ticks(4);
}
