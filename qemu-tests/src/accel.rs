//! Choosing QEMU's accelerator.
//!
//! `/dev/kvm` is not always real KVM: `kvm_pvm` (visible as
//! /sys/module/kvm_pvm) virtualizes in software and runs an ordinary guest
//! kernel's ring 3 wrongly (a ring-3 `syscall` arrives at CPL 3). So `auto`
//! takes KVM only when /dev/kvm opens read-write and kvm_pvm is absent.

use std::fmt;
use std::fs::OpenOptions;
use std::path::Path;
use std::str::FromStr;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccelChoice {
    #[default]
    Auto,
    Kvm,
    Tcg,
}

/// What QEMU runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    /// QEMU's name, also the one the kernel's banner prints.
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

impl fmt::Display for Accel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for AccelChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccelChoice::Auto => "auto",
            AccelChoice::Kvm => "kvm",
            AccelChoice::Tcg => "tcg",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownAccel(pub String);

impl fmt::Display for UnknownAccel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown accelerator `{}` (use auto, kvm or tcg)", self.0)
    }
}

impl std::error::Error for UnknownAccel {}

impl FromStr for AccelChoice {
    type Err = UnknownAccel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(AccelChoice::Auto),
            "kvm" => Ok(AccelChoice::Kvm),
            "tcg" => Ok(AccelChoice::Tcg),
            _ => Err(UnknownAccel(s.to_string())),
        }
    }
}

/// What the host offers; a plain struct so the choice can be tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvmProbe {
    pub dev_kvm_opens: bool,
    pub kvm_pvm_loaded: bool,
}

impl KvmProbe {
    pub fn of_this_host() -> KvmProbe {
        KvmProbe {
            dev_kvm_opens: OpenOptions::new().read(true).write(true).open("/dev/kvm").is_ok(),
            kvm_pvm_loaded: Path::new("/sys/module/kvm_pvm").exists(),
        }
    }
}

const PVM_REASON: &str = "/dev/kvm is kvm_pvm, which does not run guest ring 3 faithfully";

/// The accelerator and, when it is not plain KVM-because-it-works, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccelDecision {
    pub accel: Accel,
    pub reason: Option<String>,
}

impl AccelDecision {
    /// The line the launcher prints to stderr.
    pub fn announcement(&self) -> String {
        match &self.reason {
            Some(reason) => format!("ringo: accelerator {} ({reason})", self.accel),
            None => format!("ringo: accelerator {}", self.accel),
        }
    }
}

pub fn choose(choice: AccelChoice, probe: KvmProbe) -> AccelDecision {
    let (accel, reason) = match choice {
        AccelChoice::Tcg => (Accel::Tcg, Some("requested".to_string())),
        AccelChoice::Kvm if probe.kvm_pvm_loaded => (Accel::Kvm, Some(format!("requested, although {PVM_REASON}"))),
        AccelChoice::Kvm => (Accel::Kvm, Some("requested".to_string())),
        AccelChoice::Auto if probe.kvm_pvm_loaded => (Accel::Tcg, Some(PVM_REASON.to_string())),
        AccelChoice::Auto if !probe.dev_kvm_opens => {
            (Accel::Tcg, Some("/dev/kvm cannot be opened read-write".to_string()))
        }
        AccelChoice::Auto => (Accel::Kvm, None),
    };
    AccelDecision { accel, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL_KVM: KvmProbe = KvmProbe { dev_kvm_opens: true, kvm_pvm_loaded: false };
    const PVM: KvmProbe = KvmProbe { dev_kvm_opens: true, kvm_pvm_loaded: true };
    const NO_KVM: KvmProbe = KvmProbe { dev_kvm_opens: false, kvm_pvm_loaded: false };

    #[test]
    fn auto_takes_kvm_only_where_it_is_real() {
        assert_eq!(choose(AccelChoice::Auto, REAL_KVM).announcement(), "ringo: accelerator kvm");
        assert_eq!(
            choose(AccelChoice::Auto, PVM).announcement(),
            "ringo: accelerator tcg (/dev/kvm is kvm_pvm, which does not run guest ring 3 faithfully)"
        );
        let no_kvm = choose(AccelChoice::Auto, NO_KVM);
        assert_eq!(no_kvm.accel, Accel::Tcg);
        assert_eq!(no_kvm.announcement(), "ringo: accelerator tcg (/dev/kvm cannot be opened read-write)");
        let pvm_unopenable = KvmProbe { dev_kvm_opens: false, kvm_pvm_loaded: true };
        assert_eq!(choose(AccelChoice::Auto, pvm_unopenable).accel, Accel::Tcg);
    }

    #[test]
    fn explicit_choices_are_obeyed() {
        for probe in [REAL_KVM, PVM, NO_KVM] {
            assert_eq!(choose(AccelChoice::Tcg, probe).accel, Accel::Tcg);
            assert_eq!(choose(AccelChoice::Kvm, probe).accel, Accel::Kvm);
        }
        assert_eq!(choose(AccelChoice::Tcg, REAL_KVM).announcement(), "ringo: accelerator tcg (requested)");
        assert!(choose(AccelChoice::Kvm, PVM).announcement().contains("kvm_pvm"));
    }

    #[test]
    fn parses_names() {
        assert_eq!("auto".parse(), Ok(AccelChoice::Auto));
        assert_eq!("kvm".parse(), Ok(AccelChoice::Kvm));
        assert_eq!("tcg".parse(), Ok(AccelChoice::Tcg));
        for choice in [AccelChoice::Auto, AccelChoice::Kvm, AccelChoice::Tcg] {
            assert_eq!(choice.to_string().parse(), Ok(choice));
        }
        assert_eq!("hvf".parse::<AccelChoice>(), Err(UnknownAccel("hvf".into())));
    }
}
