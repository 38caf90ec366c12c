//! QEMU's command line for a [`RunConfig`].
//!
//! The guest reports its exit status through `isa-debug-exit` at port 0xf4
//! (QEMU then exits with `(N << 1) | 1`); both microvm and q35 have the ISA
//! bus it needs. `-no-reboot` turns a triple fault into an exit with code 0.
//!
//! The network card is virtio-net: `virtio-net-device` on microvm's
//! virtio-mmio, `virtio-net-pci` on q35 and microvm `pcie=on`, where a
//! multi-queue tap also turns on `mq` with a vector per queue plus two
//! (configuration changes and the control queue).

use std::ffi::OsString;

use crate::accel::Accel;
use crate::net::backend::NETDEV_ID;
use crate::run_config::RunConfig;

/// The isa-debug-exit device, as the kernel's exit path expects it.
pub const DEBUG_EXIT_DEVICE: &str = "isa-debug-exit,iobase=0xf4,iosize=0x04";

/// `-cpu host`, except under kvm_pvm, which refuses QEMU's write of
/// IA32_ARCH_CAPABILITIES (QEMU then aborts before the guest starts): there
/// the MSR is left out, so the kernel boots far enough to report that ring 3
/// is not virtualized faithfully and the launcher can rerun under TCG.
pub fn kvm_cpu_model() -> &'static str {
    if crate::accel::KvmProbe::of_this_host().kvm_pvm_loaded { "host,-arch-capabilities" } else { "host" }
}

pub fn qemu_args(cfg: &RunConfig, accel: Accel) -> Vec<OsString> {
    let mut args: Vec<OsString> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    push(&["-M", cfg.machine.qemu_arg()]);
    if cfg.virtio_mmio_modern {
        push(&["-global", "virtio-mmio.force-legacy=false"]);
    }
    match accel {
        Accel::Tcg => push(&["-accel", "tcg", "-cpu", "max"]),
        Accel::Kvm => push(&["-accel", "kvm", "-cpu", kvm_cpu_model()]),
    }
    let memory = cfg.memory.qemu_arg();
    let smp = cfg.smp.to_string();
    push(&["-m", &memory, "-smp", &smp]);
    args.push("-kernel".into());
    args.push(cfg.kernel.clone().into());
    if let Some(initrd) = &cfg.initrd {
        args.push("-initrd".into());
        args.push(initrd.clone().into());
    }
    args.push("-append".into());
    args.push(cfg.cmdline.clone().into());
    let mut push = |items: &[&str]| args.extend(items.iter().map(OsString::from));
    push(&["-nodefaults", "-no-reboot", "-display", "none", "-device", DEBUG_EXIT_DEVICE]);
    if cfg.interactive {
        // signal=off: Ctrl-C goes to the guest; Ctrl-A x (the mux) quits.
        push(&[
            "-chardev",
            "stdio,id=con,mux=on,signal=off",
            "-serial",
            "chardev:con",
            "-mon",
            "chardev=con,mode=readline",
        ]);
    } else {
        push(&["-serial", "stdio"]);
    }
    if let Some(netdev) = cfg.net.netdev_arg() {
        push(&["-netdev", &netdev, "-device", &net_device(cfg)]);
    }
    args.extend(cfg.extra_args.iter().cloned());
    args
}

/// The `-device` for the card on `cfg.net`.
fn net_device(cfg: &RunConfig) -> String {
    let model = if cfg.machine.has_pci() { "virtio-net-pci" } else { "virtio-net-device" };
    let mut device = format!("{model},netdev={NETDEV_ID},mac={}", cfg.mac);
    let queues = cfg.net.queues();
    if cfg.machine.has_pci() && queues > 1 {
        device.push_str(&format!(",mq=on,vectors={}", 2 * queues + 2));
    }
    device
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemSize;
    use crate::net::{Net, PortForward};
    use crate::run_config::Machine;

    fn line(args: &[OsString]) -> String {
        args.iter().map(|a| a.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
    }

    fn base() -> RunConfig {
        RunConfig::new("/k/ringo.elf").qemu("qemu-system-x86_64")
    }

    #[test]
    fn default_microvm_tcg_run() {
        let args = qemu_args(&base().cmdline("quiet ringo.ktest=smp"), Accel::Tcg);
        assert_eq!(
            line(&args),
            "-M microvm -accel tcg -cpu max -m 256M -smp 1 -kernel /k/ringo.elf -append quiet ringo.ktest=smp \
             -nodefaults -no-reboot -display none -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio"
        );
        let append = args.iter().position(|a| a == "-append").map(|i| &args[i + 1]);
        assert_eq!(append.map(|a| a.to_string_lossy().into_owned()), Some("quiet ringo.ktest=smp".into()));
    }

    #[test]
    fn q35_kvm_with_initrd_and_sizes() {
        let cfg = base()
            .machine(Machine::Q35)
            .smp(4)
            .memory(MemSize::from_mib(1024).expect("nonzero"))
            .initrd("/tmp/app.cpio")
            .extra_arg("-S");
        let text = line(&qemu_args(&cfg, Accel::Kvm));
        let expected = format!(
            "-M q35 -accel kvm -cpu {} -m 1024M -smp 4 -kernel /k/ringo.elf -initrd /tmp/app.cpio -append  -nodefaults",
            kvm_cpu_model()
        );
        assert!(text.starts_with(&expected), "{text}");
        assert!(text.ends_with("-serial stdio -S"), "{text}");
    }

    #[test]
    fn interactive_muxes_the_monitor_onto_stdio() {
        let text = line(&qemu_args(&base().interactive(true), Accel::Tcg));
        assert!(
            text.contains("-chardev stdio,id=con,mux=on,signal=off -serial chardev:con -mon chardev=con,mode=readline")
        );
        assert!(!text.contains("-serial stdio"));
    }

    /// What follows the serial console: the network and extra arguments.
    fn after_serial(cfg: &RunConfig) -> String {
        let text = line(&qemu_args(cfg, Accel::Tcg));
        text.split_once("-serial stdio").map(|(_, rest)| rest.trim().to_string()).unwrap_or_default()
    }

    #[test]
    fn no_network_by_default() {
        assert_eq!(after_serial(&base()), "");
    }

    #[test]
    fn user_network_on_microvm() {
        let cfg = base().net(Net::User { forwards: vec![PortForward::tcp(8080, 80), PortForward::udp(5353, 53)] });
        assert_eq!(
            after_serial(&cfg),
            "-netdev user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53 \
             -device virtio-net-device,netdev=net0,mac=52:54:00:12:34:56"
        );
    }

    #[test]
    fn modern_mmio_is_a_global_after_the_machine() {
        let cfg = base().virtio_mmio_modern(true).net(Net::User { forwards: vec![] });
        let text = line(&qemu_args(&cfg, Accel::Tcg));
        assert!(text.starts_with("-M microvm -global virtio-mmio.force-legacy=false -accel tcg"), "{text}");
        assert!(text.ends_with("-device virtio-net-device,netdev=net0,mac=52:54:00:12:34:56"), "{text}");
    }

    #[test]
    fn tap_on_each_machine() {
        let tap = |queues| Net::Tap { ifname: "rt0".into(), queues };
        let single = "-netdev tap,id=net0,ifname=rt0,script=no,downscript=no";
        assert_eq!(
            after_serial(&base().net(tap(1)).mac("02:00:00:00:00:02")),
            format!("{single} -device virtio-net-device,netdev=net0,mac=02:00:00:00:00:02")
        );
        let q35 = base().machine(Machine::Q35).smp(2).net(tap(2));
        assert_eq!(
            after_serial(&q35),
            format!("{single},queues=2 -device virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,mq=on,vectors=6")
        );
        let pcie = base().machine(Machine::MicrovmPcie).net(tap(1));
        let text = line(&qemu_args(&pcie, Accel::Tcg));
        assert!(text.starts_with("-M microvm,pcie=on -accel tcg"), "{text}");
        assert!(
            text.ends_with(&format!("{single} -device virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56")),
            "{text}"
        );
        let four = base().machine(Machine::MicrovmPcie).net(tap(4));
        assert!(after_serial(&four).ends_with(",mq=on,vectors=10"));
        // virtio-mmio has one interrupt: no multiqueue there.
        let mmio = after_serial(&base().net(tap(2)));
        assert_eq!(mmio, format!("{single},queues=2 -device virtio-net-device,netdev=net0,mac=52:54:00:12:34:56"));
    }

    #[test]
    fn frame_peer_sockets() {
        let dgram = Net::Dgram { qemu_socket: "/tmp/p/qemu.sock".into(), peer_socket: "/tmp/p/peer.sock".into() };
        assert_eq!(
            after_serial(&base().machine(Machine::Q35).net(dgram).extra_arg("-S")),
            "-netdev dgram,id=net0,local.type=unix,local.path=/tmp/p/qemu.sock,remote.type=unix,\
             remote.path=/tmp/p/peer.sock -device virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56 -S"
        );
    }

    #[test]
    fn empty_cmdline_is_still_passed() {
        let args = qemu_args(&base(), Accel::Tcg);
        let i = args.iter().position(|a| a == "-append").expect("-append present");
        assert_eq!(args[i + 1], "");
    }
}
