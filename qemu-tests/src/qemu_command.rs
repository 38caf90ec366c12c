//! QEMU's command line for a [`RunConfig`].
//!
//! The guest reports its exit status through `isa-debug-exit` at port 0xf4
//! (QEMU then exits with `(N << 1) | 1`); both microvm and q35 have the ISA
//! bus it needs. `-no-reboot` turns a triple fault into an exit with code 0.

use std::ffi::OsString;

use crate::accel::Accel;
use crate::run_config::{Machine, RunConfig};

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
    let machine = match cfg.machine {
        Machine::Microvm => "microvm",
        Machine::Q35 => "q35",
    };
    push(&["-M", machine]);
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
    args.extend(cfg.extra_args.iter().cloned());
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemSize;

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

    #[test]
    fn empty_cmdline_is_still_passed() {
        let args = qemu_args(&base(), Accel::Tcg);
        let i = args.iter().position(|a| a == "-append").expect("-append present");
        assert_eq!(args[i + 1], "");
    }
}
