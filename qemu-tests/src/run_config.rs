//! How to run one guest: the settings behind QEMU's command line and the
//! launcher's own (timeout, echo).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::accel::AccelChoice;
use crate::memory::MemSize;
pub use crate::net::{DEFAULT_MAC, Net, PortForward, Proto};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Machine {
    /// The default: no firmware and no PCI, so it boots fastest.
    #[default]
    Microvm,
    /// microvm with a PCIe host bridge (`-M microvm,pcie=on`): devices on
    /// PCI with MSI-X, still without firmware tables beyond ACPI's.
    MicrovmPcie,
    Q35,
}

impl Machine {
    pub const ALL: [Machine; 3] = [Machine::Microvm, Machine::MicrovmPcie, Machine::Q35];

    /// The name `--machine` takes.
    pub fn name(self) -> &'static str {
        match self {
            Machine::Microvm => "microvm",
            Machine::MicrovmPcie => "microvm-pcie",
            Machine::Q35 => "q35",
        }
    }

    /// QEMU's `-M` value.
    pub fn qemu_arg(self) -> &'static str {
        match self {
            Machine::Microvm => "microvm",
            Machine::MicrovmPcie => "microvm,pcie=on",
            Machine::Q35 => "q35",
        }
    }

    /// Whether devices sit on PCI (otherwise on virtio-mmio).
    pub fn has_pci(self) -> bool {
        self != Machine::Microvm
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMachine(pub String);

impl fmt::Display for UnknownMachine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown machine `{}` (use microvm, microvm-pcie or q35)", self.0)
    }
}

impl std::error::Error for UnknownMachine {}

impl FromStr for Machine {
    type Err = UnknownMachine;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "microvm" => Ok(Machine::Microvm),
            "microvm-pcie" => Ok(Machine::MicrovmPcie),
            "q35" => Ok(Machine::Q35),
            _ => Err(UnknownMachine(s.to_string())),
        }
    }
}

/// The kernel command line: `ringo.mode=hp` when `hp`, `init=INIT` when
/// given and `words` choose no init themselves, then `words` (kernel words,
/// then `--` and init's arguments). An argument of init's with spaces in it
/// (or an empty one) is put in double quotes, which the kernel's parser
/// removes as Linux's does, so `sh -c 'echo a; echo b'` reaches init as
/// three arguments. (A double quote inside an argument cannot be passed.)
pub fn kernel_cmdline(hp: bool, init: Option<&str>, words: &[String]) -> String {
    let kernel_words = words.iter().take_while(|w| *w != "--");
    let chosen = kernel_words.clone().any(|w| w.starts_with("init="));
    let init = init.filter(|_| !chosen).map(|path| format!("init={path}"));
    let hp = hp.then(|| "ringo.mode=hp".to_string());
    let separator = words.iter().position(|w| w == "--");
    let words = words.iter().enumerate().map(|(i, w)| {
        let for_init = separator.is_some_and(|s| i > s);
        if for_init && (w.is_empty() || w.contains(char::is_whitespace)) { format!("\"{w}\"") } else { w.clone() }
    });
    hp.into_iter().chain(init).chain(words).collect::<Vec<_>>().join(" ")
}

pub const DEFAULT_QEMU: &str = "qemu-system-x86_64";
/// Set to another QEMU binary to use it instead of the one on PATH.
pub const QEMU_ENV: &str = "RINGO_QEMU";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One guest run. Build it with [`RunConfig::new`] and the builder methods;
/// the fields are public so callers can also read and tweak them.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub qemu: PathBuf,
    pub kernel: PathBuf,
    pub initrd: Option<PathBuf>,
    /// The kernel command line (`-append`).
    pub cmdline: String,
    pub smp: u32,
    pub memory: MemSize,
    pub machine: Machine,
    /// virtio-mmio devices in their modern (v2) layout instead of QEMU
    /// 7.2's default legacy one (`-global virtio-mmio.force-legacy=false`).
    pub virtio_mmio_modern: bool,
    /// The network card's backend; [`Net::None`]: no card.
    pub net: Net,
    /// The card's MAC address.
    pub mac: String,
    /// Run QEMU inside this network namespace (`ip netns exec NS ...`).
    pub netns: Option<String>,
    pub accel: AccelChoice,
    /// `None` waits for ever.
    pub timeout: Option<Duration>,
    /// Stdin is the user's terminal: QEMU gets it, with its monitor muxed
    /// in so Ctrl-A x quits. (A program typing on the console instead uses
    /// [`crate::run::Session`], which pipes QEMU's stdin.)
    pub interactive: bool,
    /// Copy the guest's serial output (and QEMU's stderr) to ours as it comes.
    pub echo: bool,
    /// Print the launcher's own `ringo: accelerator ...` lines.
    pub announce: bool,
    /// The `ringo` command's own: QEMU reads our stdin even when it is not
    /// a terminal (`echo ls | ringo run` types `ls` on the console), and
    /// dies with us (a SIGTERM or SIGHUP to the launcher ends the guest).
    pub owns_terminal_session: bool,
    pub extra_args: Vec<OsString>,
}

impl RunConfig {
    /// Defaults: microvm (legacy virtio-mmio), 1 CPU, 256M, no network,
    /// auto accelerator, 60 s timeout, not interactive, no echo, announcing
    /// the accelerator.
    pub fn new(kernel: impl Into<PathBuf>) -> RunConfig {
        let qemu = std::env::var_os(QEMU_ENV).filter(|v| !v.is_empty()).unwrap_or_else(|| DEFAULT_QEMU.into());
        RunConfig {
            qemu: qemu.into(),
            kernel: kernel.into(),
            initrd: None,
            cmdline: String::new(),
            smp: 1,
            memory: MemSize::DEFAULT,
            machine: Machine::Microvm,
            virtio_mmio_modern: false,
            net: Net::None,
            mac: DEFAULT_MAC.to_string(),
            netns: None,
            accel: AccelChoice::Auto,
            timeout: Some(DEFAULT_TIMEOUT),
            interactive: false,
            echo: false,
            announce: true,
            owns_terminal_session: false,
            extra_args: Vec::new(),
        }
    }

    pub fn qemu(mut self, program: impl Into<PathBuf>) -> Self {
        self.qemu = program.into();
        self
    }

    pub fn initrd(mut self, path: impl Into<PathBuf>) -> Self {
        self.initrd = Some(path.into());
        self
    }

    pub fn cmdline(mut self, cmdline: impl Into<String>) -> Self {
        self.cmdline = cmdline.into();
        self
    }

    pub fn smp(mut self, cpus: u32) -> Self {
        self.smp = cpus;
        self
    }

    pub fn memory(mut self, size: MemSize) -> Self {
        self.memory = size;
        self
    }

    pub fn machine(mut self, machine: Machine) -> Self {
        self.machine = machine;
        self
    }

    pub fn virtio_mmio_modern(mut self, modern: bool) -> Self {
        self.virtio_mmio_modern = modern;
        self
    }

    pub fn net(mut self, net: Net) -> Self {
        self.net = net;
        self
    }

    pub fn mac(mut self, mac: impl Into<String>) -> Self {
        self.mac = mac.into();
        self
    }

    pub fn netns(mut self, netns: Option<String>) -> Self {
        self.netns = netns;
        self
    }

    pub fn accel(mut self, accel: AccelChoice) -> Self {
        self.accel = accel;
        self
    }

    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn interactive(mut self, interactive: bool) -> Self {
        self.interactive = interactive;
        self
    }

    pub fn echo(mut self, echo: bool) -> Self {
        self.echo = echo;
        self
    }

    pub fn announce(mut self, announce: bool) -> Self {
        self.announce = announce;
        self
    }

    pub fn extra_arg(mut self, arg: impl Into<OsString>) -> Self {
        self.extra_args.push(arg.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_names_round_trip() {
        for m in Machine::ALL {
            assert_eq!(m.name().parse(), Ok(m));
        }
        assert_eq!("pc".parse::<Machine>(), Err(UnknownMachine("pc".into())));
        assert_eq!("microvm,pcie=on".parse::<Machine>(), Err(UnknownMachine("microvm,pcie=on".into())));
        let qemu: Vec<_> = Machine::ALL.iter().map(|m| (m.qemu_arg(), m.has_pci())).collect();
        assert_eq!(qemu, [("microvm", false), ("microvm,pcie=on", true), ("q35", true)]);
    }

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn cmdline_puts_mode_and_init_first() {
        assert_eq!(kernel_cmdline(false, None, &[]), "");
        let sh: Vec<String> = ["--", "-c", "echo a; echo b", ""].iter().map(|s| s.to_string()).collect();
        assert_eq!(kernel_cmdline(false, Some("/bin/sh"), &sh), "init=/bin/sh -- -c \"echo a; echo b\" \"\"");
        assert_eq!(kernel_cmdline(true, None, &words("quiet")), "ringo.mode=hp quiet");
        assert_eq!(kernel_cmdline(false, Some("/bin/app"), &[]), "init=/bin/app");
        assert_eq!(
            kernel_cmdline(true, Some("/bin/app"), &words("ringo.strace -- -v init=x")),
            "ringo.mode=hp init=/bin/app ringo.strace -- -v init=x"
        );
    }

    #[test]
    fn an_init_among_the_kernel_words_wins() {
        assert_eq!(kernel_cmdline(false, Some("/bin/app"), &words("init=/bin/sh quiet")), "init=/bin/sh quiet");
    }
}
