//! The `ringo` command line: parsing and usage. The binary only wires these
//! to the library.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::accel::AccelChoice;
use crate::initramfs::{Initramfs, InitramfsError, busybox, program_guest_path};
use crate::kernel_build::Profile;
use crate::memory::MemSize;
use crate::net::guest_ip::{Cidr, default_ip, has_ip_word};
use crate::net::{Net, PortForward};
use crate::run_config::{Machine, RunConfig, kernel_cmdline};

pub const USAGE: &str = "\
usage: ringo run [OPTIONS] [PROGRAM] [KERNEL ARGS...] [-- INIT ARGS...]
       ringo image [--busybox PATH] [--output FILE]
       ringo build [--debug]
       ringo help

ringo run      builds the kernel (unless --kernel is given), boots it in QEMU
               and exits with the guest's exit status
ringo image    writes the default image (below) to
               target/ringo/default-initramfs.cpio, or FILE, and prints its path
ringo build    builds the kernel, embeds its symbols and prints the image's path

PROGRAM is the first argument that contains a `/` and names an existing file
(./app, /usr/bin/app). It is packed into an initramfs at /bin/<its name>,
beside empty /dev, /proc and /tmp, and booted as init (init=/bin/<its name>);
the run's exit status is its exit status.

Without PROGRAM, ringo run boots the default image: /bin/busybox (Debian's
busybox-static) with a link per applet in /bin (and /sbin, /usr/bin,
/usr/sbin), /etc/passwd, /etc/group, /etc/profile, /dev, /proc and a
writable /tmp, and an interactive login shell as init (init=/bin/sh -- -l)
on the serial console; `exit N` in it ends the run with status N. --add
adds files to it; words after `--` replace `-l` (-- /path/script.sh runs a
script). Without /bin/busybox (install busybox-static), with --no-image, or
with ringo.ktest=NAME, the kernel boots without an initramfs.

run options:
  --add HOST:GUEST  also pack the file or directory HOST (recursively) at the
                    absolute path GUEST; repeatable
  --no-image        without PROGRAM: no default image, only what --add packs
                    (no initramfs at all without --add)
  --busybox PATH    the busybox for the default image (default /bin/busybox)
  --smp N           CPUs (default 1)
  --mem SIZE        memory: 512M, 1G or a number of MiB (default 256M)
  --accel A         auto, kvm or tcg (default auto: KVM only where it is real)
  --machine M       microvm, microvm-pcie (microvm with a PCIe bus) or q35
                    (default microvm)
  --mmio-modern     microvm's virtio-mmio devices in their modern (v2) layout
                    instead of QEMU's default legacy one
  --net N           the guest's virtio-net card: user (QEMU's user network,
                    NAT to the host's), tap=NAME[,queues=N] (an existing tap;
                    N > 1 needs a multi_queue tap and gives a PCI card N queue
                    pairs), or none (no card); default user
  -p HOST:GUEST[/udp]
                    forward port HOST on the host's 127.0.0.1 to the guest's
                    port GUEST (TCP unless /udp); repeatable; implies --net user
  --timeout SECS    kill QEMU after SECS seconds (default 0: never)
  --initrd FILE     boot this prebuilt initramfs (cpio newc) instead
  --kernel PATH     boot this kernel image instead of building one
  --debug           build and boot the kernel's dev profile
  --hp              run init in ring 0 (adds ringo.mode=hp)

Kernel arguments are joined with spaces into the kernel command line; words
after `--` go to init unchanged. With a network card and no ip= among them,
ringo adds one: ip=10.0.2.15::10.0.2.2:255.255.255.0 for --net user; for a
tap, the address after the tap's own in its subnet, the tap as the gateway
(tap 10.77.0.1/24: ip=10.77.0.2::10.77.0.1:255.255.255.0), none if the tap
has no IPv4 address. With a terminal on stdin, Ctrl-A x quits QEMU
(Ctrl-C goes to the guest).

Exit status: the guest's (0-255); 123 guest reset or halted without a status;
124 timeout; 125 QEMU failed; 126 launcher error; 127 QEMU not installed;
2 bad arguments.
";

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Image(ImageArgs),
    Build { profile: Profile },
    Help,
}

/// `ringo image`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageArgs {
    /// `None`: [`busybox::BUSYBOX`].
    pub busybox: Option<PathBuf>,
    /// `None`: [`busybox::IMAGE_FILE`] under cargo's target directory.
    pub output: Option<PathBuf>,
}

impl ImageArgs {
    pub fn busybox(&self) -> &Path {
        self.busybox.as_deref().unwrap_or(Path::new(busybox::BUSYBOX))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub smp: u32,
    pub memory: MemSize,
    pub accel: AccelChoice,
    pub machine: Machine,
    /// `--mmio-modern`
    pub mmio_modern: bool,
    /// `--net`, or user when `-p` forwards ports.
    pub net: Net,
    /// `None`: no timeout.
    pub timeout: Option<Duration>,
    pub initrd: Option<PathBuf>,
    pub kernel: Option<PathBuf>,
    pub profile: Profile,
    pub hp: bool,
    /// The program to pack and boot as init.
    pub program: Option<PathBuf>,
    pub adds: Vec<Add>,
    /// `--no-image`: without a program, no default image.
    pub no_image: bool,
    /// `--busybox`; `None`: [`busybox::BUSYBOX`].
    pub busybox: Option<PathBuf>,
    /// Kernel words, then `--` and init's words verbatim when given.
    pub kernel_args: Vec<String>,
}

/// `--add HOST:GUEST`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Add {
    pub host: PathBuf,
    pub guest: String,
}

impl std::str::FromStr for Add {
    type Err = String;

    /// Splits at the last `:`, so a host path may hold colons.
    fn from_str(value: &str) -> Result<Add, String> {
        let (host, guest) = value.rsplit_once(':').ok_or("expected HOST:GUEST")?;
        if host.is_empty() {
            return Err("the host path is empty".into());
        }
        if !guest.starts_with('/') {
            return Err("the guest path must be absolute".into());
        }
        Ok(Add { host: PathBuf::from(host), guest: guest.to_string() })
    }
}

impl Default for RunArgs {
    fn default() -> Self {
        RunArgs {
            smp: 1,
            memory: MemSize::DEFAULT,
            accel: AccelChoice::Auto,
            machine: Machine::Microvm,
            mmio_modern: false,
            net: Net::User { forwards: Vec::new() },
            timeout: None,
            initrd: None,
            kernel: None,
            profile: Profile::Release,
            hp: false,
            program: None,
            adds: Vec::new(),
            no_image: false,
            busybox: None,
            kernel_args: Vec::new(),
        }
    }
}

impl RunArgs {
    /// The kernel command line (QEMU's `-append`).
    pub fn cmdline(&self) -> String {
        let mut words = self.kernel_args.clone();
        // A login shell reads /etc/profile; arguments the user gave win.
        if self.uses_image() && !words.iter().any(|w| w == "--") && !self.kernel_words().any(|w| w.starts_with("init="))
        {
            words.extend(["--".to_string(), busybox::LOGIN_ARG.to_string()]);
        }
        kernel_cmdline(self.hp, self.init_path().as_deref(), &words)
    }

    /// The kernel's own words: those before `--`.
    fn kernel_words(&self) -> impl Iterator<Item = &String> {
        self.kernel_args.iter().take_while(|w| *w != "--")
    }

    /// Where init is in the guest: the program (see [`crate::initramfs`]),
    /// or the default image's shell.
    pub fn init_path(&self) -> Option<String> {
        match &self.program {
            Some(program) => program_guest_path(program),
            None => self.uses_image().then(|| busybox::INIT.to_string()),
        }
    }

    /// The busybox the default image is made from.
    pub fn busybox(&self) -> &Path {
        self.busybox.as_deref().unwrap_or(Path::new(busybox::BUSYBOX))
    }

    /// Whether the run boots the default image: no program, no prebuilt
    /// initramfs, no --no-image, and no self-test (which runs instead of
    /// init, so the image would only cost time).
    pub fn uses_image(&self) -> bool {
        self.program.is_none()
            && self.initrd.is_none()
            && !self.no_image
            && !self.kernel_words().any(|w| w.starts_with("ringo.ktest="))
    }

    /// When the default image is wanted but the default busybox is not
    /// there, switches to booting without it (as --no-image does) and says
    /// so; `is_file` decides what exists. A busybox named with --busybox
    /// is an explicit choice, so its absence is an error later instead.
    pub fn fall_back_without_busybox(&mut self, is_file: &dyn Fn(&Path) -> bool) -> Option<String> {
        if !self.uses_image() || self.busybox.is_some() || is_file(self.busybox()) {
            return None;
        }
        self.no_image = true;
        Some(format!(
            "{} not found, so there is no shell to boot into: {}; booting without it",
            self.busybox().display(),
            busybox::INSTALL_HINT
        ))
    }

    /// The initramfs to build: around the program, the default image, or
    /// just what --add packs; `None` when there is nothing to pack.
    pub fn initramfs(&self) -> Result<Option<Initramfs>, InitramfsError> {
        let mut tree = if let Some(program) = &self.program {
            let mut tree = Initramfs::new();
            tree.add_program(program)?;
            tree
        } else if self.uses_image() {
            busybox::image(self.busybox())?
        } else if self.adds.is_empty() {
            return Ok(None);
        } else {
            Initramfs::new()
        };
        for add in &self.adds {
            tree.add_host(&add.host, &add.guest)?;
        }
        Ok(Some(tree))
    }

    /// When the guest has a card and the kernel words configure no address
    /// (`ip=`), adds the `ip=` that fits the network (see
    /// [`crate::net::guest_ip`]); `tap_address` reads a tap's address on
    /// the host. Returns a note to print when there is none to add.
    pub fn add_default_ip(&mut self, tap_address: &dyn Fn(&str) -> Result<Cidr, String>) -> Option<String> {
        if has_ip_word(&self.kernel_args) {
            return None;
        }
        match default_ip(&self.net, tap_address) {
            Ok(None) => None,
            Ok(Some(ip)) => {
                let end = self.kernel_args.iter().position(|w| w == "--").unwrap_or(self.kernel_args.len());
                self.kernel_args.insert(end, ip.kernel_word());
                None
            }
            Err(why) => Some(format!("{why}, so the guest gets no ip= (give one: ip=ADDR::GW:MASK)")),
        }
    }

    /// The run of `kernel` these arguments ask for, echoing the guest.
    pub fn config(&self, kernel: PathBuf, interactive: bool) -> RunConfig {
        let mut cfg = RunConfig::new(kernel)
            .cmdline(self.cmdline())
            .smp(self.smp)
            .memory(self.memory)
            .machine(self.machine)
            .virtio_mmio_modern(self.mmio_modern)
            .net(self.net.clone())
            .accel(self.accel)
            .timeout(self.timeout)
            .interactive(interactive)
            .echo(true);
        cfg.initrd = self.initrd.clone();
        cfg
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    NoCommand,
    UnknownCommand(String),
    UnknownOption(String),
    MissingValue(String),
    BadValue {
        option: String,
        value: String,
        why: String,
    },
    UnexpectedArgument(String),
    NotUnicode,
    /// A path-like argument (`./app`, `/x`, `../app`) that names no file.
    NoSuchProgram(String),
    /// The program's name cannot go on the kernel command line.
    BadProgramName(String),
    /// `--initrd` together with a program or `--add`.
    InitrdWithProgram,
    /// `-p` with a network other than QEMU's user network (named).
    PortsNeedUserNet(String),
    /// `--mmio-modern` on a machine whose card is not on virtio-mmio.
    MmioModernNeedsMicrovm(Machine),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::NoCommand => write!(f, "no command given"),
            CliError::UnknownCommand(c) => write!(f, "unknown command `{c}`"),
            CliError::UnknownOption(o) => write!(f, "unknown option `{o}`"),
            CliError::MissingValue(o) => write!(f, "option `{o}` needs a value"),
            CliError::BadValue { option, value, why } => {
                write!(f, "bad value `{value}` for {option}: {why}")
            }
            CliError::UnexpectedArgument(a) => write!(f, "unexpected argument `{a}`"),
            CliError::NotUnicode => write!(f, "arguments must be valid UTF-8"),
            CliError::NoSuchProgram(p) => write!(f, "program `{p}` is not an existing file"),
            CliError::BadProgramName(p) => write!(f, "program `{p}`: its file name must not contain spaces"),
            CliError::InitrdWithProgram => {
                write!(f, "--initrd is a prebuilt initramfs: it cannot be combined with a program or --add")
            }
            CliError::PortsNeedUserNet(net) => {
                write!(f, "-p forwards ports through QEMU's user network (--net user), not with {net}")
            }
            CliError::MmioModernNeedsMicrovm(machine) => {
                write!(f, "--mmio-modern is for microvm's virtio-mmio devices; {machine} puts them on PCI")
            }
        }
    }
}

impl std::error::Error for CliError {}

/// Parses the arguments after the program name, looking at the file system
/// to tell the program from kernel words.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, CliError> {
    parse_with(args, &|path| path.is_file())
}

/// [`parse`] with `is_file` deciding which paths are existing files.
pub fn parse_with<I: IntoIterator<Item = String>>(
    args: I,
    is_file: &dyn Fn(&Path) -> bool,
) -> Result<Command, CliError> {
    let mut args = args.into_iter();
    let command = args.next().ok_or(CliError::NoCommand)?;
    match command.as_str() {
        "run" => parse_run(args, is_file),
        "image" => parse_image(args),
        "build" => parse_build(args),
        "help" | "--help" | "-h" => Ok(Command::Help),
        _ if command.starts_with('-') => Err(CliError::UnknownOption(command)),
        _ => Err(CliError::UnknownCommand(command)),
    }
}

fn parse_build(args: impl Iterator<Item = String>) -> Result<Command, CliError> {
    let mut profile = Profile::Release;
    for arg in args {
        match arg.as_str() {
            "--debug" => profile = Profile::Debug,
            "--help" | "-h" => return Ok(Command::Help),
            _ if arg.starts_with('-') => return Err(CliError::UnknownOption(arg)),
            _ => return Err(CliError::UnexpectedArgument(arg)),
        }
    }
    Ok(Command::Build { profile })
}

fn parse_image(mut args: impl Iterator<Item = String>) -> Result<Command, CliError> {
    let mut image = ImageArgs::default();
    while let Some(arg) = args.next() {
        let (option, inline) = match arg.split_once('=') {
            Some((option, value)) if option.starts_with("--") => (option.to_string(), Some(value.to_string())),
            _ => (arg, None),
        };
        match option.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--busybox" | "--output" => {
                let value = match inline {
                    Some(value) => value,
                    None => args.next().ok_or_else(|| CliError::MissingValue(option.clone()))?,
                };
                let slot = if option == "--busybox" { &mut image.busybox } else { &mut image.output };
                *slot = Some(PathBuf::from(value));
            }
            _ if option.starts_with('-') => return Err(CliError::UnknownOption(option)),
            _ => return Err(CliError::UnexpectedArgument(option)),
        }
    }
    Ok(Command::Image(image))
}

/// A path with a `/` but no `=` before it: kernel words (`init=/bin/sh`)
/// never look like this, a mistyped program path does.
fn looks_like_a_path(arg: &str) -> bool {
    arg.split('/').next().is_some_and(|first| !first.contains('=')) && arg.contains('/')
}

/// `--net` and `-p` as given, resolved once all are seen.
#[derive(Default)]
struct NetOptions {
    given: Option<Net>,
    forwards: Vec<PortForward>,
}

impl NetOptions {
    fn resolve(self) -> Result<Net, CliError> {
        match (self.given, self.forwards) {
            // The user network by default: a cloud app expects one.
            (given, forwards) if forwards.is_empty() => Ok(given.unwrap_or(Net::User { forwards: Vec::new() })),
            (None | Some(Net::User { .. }), forwards) => Ok(Net::User { forwards }),
            (Some(other), _) => Err(CliError::PortsNeedUserNet(other.to_string())),
        }
    }
}

fn parse_run(mut args: impl Iterator<Item = String>, is_file: &dyn Fn(&Path) -> bool) -> Result<Command, CliError> {
    let mut run = RunArgs::default();
    let mut net = NetOptions::default();
    while let Some(arg) = args.next() {
        if arg == "--" {
            run.kernel_args.push(arg);
            run.kernel_args.extend(args.by_ref());
            break;
        }
        if !arg.starts_with('-') {
            if run.program.is_none() && arg.contains('/') && is_file(Path::new(&arg)) {
                let name = Path::new(&arg).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                if name.contains(char::is_whitespace) {
                    return Err(CliError::BadProgramName(arg));
                }
                run.program = Some(PathBuf::from(arg));
            } else if run.program.is_none() && looks_like_a_path(&arg) {
                return Err(CliError::NoSuchProgram(arg));
            } else {
                run.kernel_args.push(arg);
            }
            continue;
        }
        // `--opt=value` and `--opt value` both work.
        let (option, inline) = match arg.split_once('=') {
            Some((option, value)) => (option.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        match option.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--debug" | "--hp" | "--no-image" | "--mmio-modern" => {
                if let Some(value) = inline {
                    return Err(CliError::UnexpectedArgument(format!("{option}={value}")));
                }
                match option.as_str() {
                    "--debug" => run.profile = Profile::Debug,
                    "--hp" => run.hp = true,
                    "--mmio-modern" => run.mmio_modern = true,
                    _ => run.no_image = true,
                }
            }
            "--smp" | "--mem" | "--accel" | "--machine" | "--timeout" | "--initrd" | "--kernel" | "--add"
            | "--busybox" | "--net" | "-p" => {
                let value = match inline {
                    Some(value) => value,
                    None => args.next().ok_or_else(|| CliError::MissingValue(option.clone()))?,
                };
                let bad = |why: String| CliError::BadValue { option: option.clone(), value: value.clone(), why };
                match option.as_str() {
                    "--net" => net.given = Some(value.parse().map_err(bad)?),
                    "-p" => net.forwards.push(value.parse().map_err(bad)?),
                    _ => set_value(&mut run, &option, value)?,
                }
            }
            _ => return Err(CliError::UnknownOption(option)),
        }
    }
    if run.initrd.is_some() && (run.program.is_some() || !run.adds.is_empty()) {
        return Err(CliError::InitrdWithProgram);
    }
    run.net = net.resolve()?;
    if run.mmio_modern && run.machine != Machine::Microvm {
        return Err(CliError::MmioModernNeedsMicrovm(run.machine));
    }
    Ok(Command::Run(run))
}

fn set_value(run: &mut RunArgs, option: &str, value: String) -> Result<(), CliError> {
    let bad = |why: String| CliError::BadValue { option: option.to_string(), value: value.clone(), why };
    match option {
        "--smp" => {
            run.smp = match value.parse::<u32>() {
                Ok(0) => return Err(bad("at least 1 CPU".into())),
                Ok(n) => n,
                Err(e) => return Err(bad(e.to_string())),
            }
        }
        "--mem" => run.memory = value.parse().map_err(|e: crate::memory::MemSizeError| bad(e.to_string()))?,
        "--accel" => run.accel = value.parse().map_err(|e: crate::accel::UnknownAccel| bad(e.to_string()))?,
        "--machine" => {
            run.machine = value.parse().map_err(|e: crate::run_config::UnknownMachine| bad(e.to_string()))?
        }
        "--timeout" => run.timeout = parse_timeout(&value).map_err(bad)?,
        "--initrd" => run.initrd = Some(PathBuf::from(value)),
        "--kernel" => run.kernel = Some(PathBuf::from(value)),
        "--add" => run.adds.push(value.parse().map_err(bad)?),
        "--busybox" => run.busybox = Some(PathBuf::from(value)),
        _ => return Err(CliError::UnknownOption(option.to_string())),
    }
    Ok(())
}

/// Seconds, fractions allowed; 0 means no timeout.
fn parse_timeout(value: &str) -> Result<Option<Duration>, String> {
    let secs: f64 = value.parse().map_err(|_| "not a number of seconds".to_string())?;
    let timeout = Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())?;
    Ok((!timeout.is_zero()).then_some(timeout))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::initramfs::busybox::test_support::FakeBusybox;

    /// The files that exist as far as these tests are concerned.
    const FILES: [&str; 4] = ["./app", "/opt/tool", "dir/prog", "./my app"];

    fn parse_args(args: &[&str]) -> Result<Command, CliError> {
        parse_with(args.iter().map(|a| a.to_string()), &|p| FILES.iter().any(|f| Path::new(f) == p))
    }

    fn parse_words(line: &str) -> Result<Command, CliError> {
        parse_args(&line.split_whitespace().collect::<Vec<_>>())
    }

    fn run_args(line: &str) -> RunArgs {
        match parse_words(line) {
            Ok(Command::Run(run)) => run,
            other => panic!("`{line}` parsed as {other:?}"),
        }
    }

    /// [`run_args`] against the real file system.
    fn run_args_real(line: &str) -> RunArgs {
        match parse(line.split_whitespace().map(String::from)) {
            Ok(Command::Run(run)) => run,
            other => panic!("`{line}` parsed as {other:?}"),
        }
    }

    #[test]
    fn run_defaults() {
        let run = run_args("run");
        assert_eq!(run, RunArgs::default());
        assert_eq!(run.timeout, None);
        assert!(run.uses_image());
        assert_eq!(run.busybox(), Path::new("/bin/busybox"));
        assert_eq!(run.init_path().as_deref(), Some("/bin/sh"));
        assert_eq!(run.cmdline(), "init=/bin/sh -- -l");
    }

    #[test]
    fn the_default_image_boots_a_login_shell_unless_told_otherwise() {
        for (line, cmdline) in [
            ("run quiet", "init=/bin/sh quiet -- -l"),
            ("run --hp", "ringo.mode=hp init=/bin/sh -- -l"),
            ("run -- /scripts/x.sh a", "init=/bin/sh -- /scripts/x.sh a"),
            ("run init=/bin/ash", "init=/bin/ash"),
            ("run init=/bin/ash -- -i", "init=/bin/ash -- -i"),
            ("run --add a:/a", "init=/bin/sh -- -l"),
        ] {
            let run = run_args(line);
            assert!(run.uses_image(), "{line}");
            assert_eq!(run.cmdline(), cmdline, "{line}");
        }
    }

    #[test]
    fn no_image_without_a_program_boots_nothing() {
        for line in ["run --no-image", "run ringo.ktest=smp", "run --initrd i.cpio", "run ./app"] {
            let run = run_args(line);
            assert!(!run.uses_image(), "{line}");
        }
        let bare = run_args("run --no-image quiet");
        assert_eq!((bare.cmdline(), bare.init_path()), ("quiet".to_string(), None));
        assert_eq!(bare.initramfs().unwrap(), None);
        assert_eq!(run_args("run ringo.ktest=smp").cmdline(), "ringo.ktest=smp");
        assert_eq!(parse_words("run --no-image=yes"), Err(CliError::UnexpectedArgument("--no-image=yes".into())));
    }

    #[test]
    fn a_missing_busybox_falls_back_to_no_image() {
        let mut run = run_args("run quiet");
        let note = run.fall_back_without_busybox(&|_| false).expect("a note");
        assert!(note.contains("/bin/busybox not found") && note.contains("install busybox-static"), "{note}");
        assert!(run.no_image && !run.uses_image());
        assert_eq!(run.cmdline(), "quiet");
        assert_eq!(run.initramfs().unwrap(), None);

        let mut present = run_args("run");
        assert_eq!(present.fall_back_without_busybox(&|p| p == Path::new("/bin/busybox")), None);
        assert!(present.uses_image());
        // Named explicitly, or not needed: no fallback.
        for line in ["run --busybox /opt/bb", "run ./app", "run --no-image"] {
            let mut run = run_args(line);
            let before = run.clone();
            assert_eq!(run.fall_back_without_busybox(&|_| false), None, "{line}");
            assert_eq!(run, before, "{line}");
        }
        let explicit = run_args("run --busybox /nonexistent/busybox");
        let err = explicit.initramfs().unwrap_err();
        assert!(err.to_string().contains("install busybox-static"), "{err}");
    }

    #[test]
    fn the_image_holds_busybox_and_the_adds() {
        let fake = FakeBusybox::listing("cli");
        let extra = fake.0.with_file_name("extra.sh");
        std::fs::write(&extra, "echo hi\n").unwrap();
        let line = format!("run --busybox {} --add {}:/scripts/extra.sh", fake.0.display(), extra.display());
        let run = run_args_real(&line);
        let paths = run.initramfs().unwrap().expect("an initramfs").guest_paths();
        for expected in ["/bin/busybox", "/bin/sh", "/usr/bin/env", "/etc/profile", "/scripts/extra.sh", "/tmp"] {
            assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
        }
    }

    #[test]
    fn image_command() {
        assert_eq!(parse_words("image"), Ok(Command::Image(ImageArgs::default())));
        let args = ImageArgs { busybox: Some("bb".into()), output: Some("o.cpio".into()) };
        assert_eq!(parse_words("image --busybox bb --output=o.cpio"), Ok(Command::Image(args.clone())));
        assert_eq!(args.busybox(), Path::new("bb"));
        assert_eq!(ImageArgs::default().busybox(), Path::new("/bin/busybox"));
        assert_eq!(parse_words("image --help"), Ok(Command::Help));
        assert_eq!(parse_words("image x"), Err(CliError::UnexpectedArgument("x".into())));
        assert_eq!(parse_words("image --force"), Err(CliError::UnknownOption("--force".into())));
        assert_eq!(parse_words("image --output"), Err(CliError::MissingValue("--output".into())));
    }

    #[test]
    fn run_with_every_option() {
        let run = run_args(
            "run --smp 4 --mem 1G --accel tcg --machine q35 --timeout 30 --initrd app.cpio --kernel k.elf --debug --hp quiet",
        );
        assert_eq!(run.smp, 4);
        assert_eq!(run.memory.mib(), 1024);
        assert_eq!(run.accel, AccelChoice::Tcg);
        assert_eq!(run.machine, Machine::Q35);
        assert_eq!(run.timeout, Some(Duration::from_secs(30)));
        assert_eq!(run.initrd, Some(PathBuf::from("app.cpio")));
        assert_eq!(run.kernel, Some(PathBuf::from("k.elf")));
        assert_eq!(run.profile, Profile::Debug);
        assert_eq!(run.cmdline(), "ringo.mode=hp quiet");
    }

    #[test]
    fn equals_form_and_options_between_kernel_words() {
        let run = run_args("run ringo.ktest=smp --smp=2 quiet --timeout=0.5");
        assert_eq!(run.smp, 2);
        assert_eq!(run.timeout, Some(Duration::from_millis(500)));
        assert_eq!(run.cmdline(), "ringo.ktest=smp quiet");
    }

    #[test]
    fn words_after_double_dash_go_through_verbatim() {
        let run = run_args("run --hp init=/bin/app -- -v --smp 9 --");
        assert_eq!(run.smp, 1);
        assert_eq!(run.cmdline(), "ringo.mode=hp init=/bin/app -- -v --smp 9 --");
        assert_eq!(run_args("run -- x").cmdline(), "init=/bin/sh -- x");
        assert_eq!(run_args("run --no-image -- x").cmdline(), "-- x");
    }

    #[test]
    fn timeout_zero_means_none() {
        assert_eq!(run_args("run --timeout 0").timeout, None);
    }

    #[test]
    fn build_and_help() {
        assert_eq!(parse_words("build"), Ok(Command::Build { profile: Profile::Release }));
        assert_eq!(parse_words("build --debug"), Ok(Command::Build { profile: Profile::Debug }));
        for line in ["help", "--help", "-h", "run --help", "run quiet -h", "build --help"] {
            assert_eq!(parse_words(line), Ok(Command::Help), "{line}");
        }
    }

    #[test]
    fn errors() {
        assert_eq!(parse_words(""), Err(CliError::NoCommand));
        assert_eq!(parse_words("boot"), Err(CliError::UnknownCommand("boot".into())));
        assert_eq!(parse_words("--smp"), Err(CliError::UnknownOption("--smp".into())));
        assert_eq!(parse_words("run --cpus 2"), Err(CliError::UnknownOption("--cpus".into())));
        assert_eq!(parse_words("run --smp"), Err(CliError::MissingValue("--smp".into())));
        assert_eq!(parse_words("build x"), Err(CliError::UnexpectedArgument("x".into())));
        assert_eq!(parse_words("build --release"), Err(CliError::UnknownOption("--release".into())));
        assert_eq!(parse_words("run --hp=yes"), Err(CliError::UnexpectedArgument("--hp=yes".into())));
        for bad in [
            "--smp 0",
            "--smp two",
            "--mem 0",
            "--mem 5X",
            "--accel hvf",
            "--machine pc",
            "--timeout -1",
            "--timeout soon",
        ] {
            assert!(
                matches!(parse_words(&format!("run {bad}")), Err(CliError::BadValue { .. })),
                "{bad} should be a bad value"
            );
        }
    }

    #[test]
    fn the_first_existing_path_is_the_program() {
        let run = run_args("run --smp 2 ./app quiet /opt/tool -- -v ./app");
        assert_eq!(run.program, Some(PathBuf::from("./app")));
        assert_eq!(run.kernel_args, ["quiet", "/opt/tool", "--", "-v", "./app"]);
        assert_eq!(run.init_path().as_deref(), Some("/bin/app"));
        assert_eq!(run.cmdline(), "init=/bin/app quiet /opt/tool -- -v ./app");
        assert_eq!(run_args("run init=/bin/x dir/prog").program, Some(PathBuf::from("dir/prog")));
        assert_eq!(run_args("run --hp /opt/tool").cmdline(), "ringo.mode=hp init=/bin/tool");
        assert_eq!(run_args("run -- ./app").program, None);
        assert_eq!(run_args("run app").program, None, "no slash: a kernel word");
    }

    #[test]
    fn an_explicit_init_wins_over_the_program() {
        let run = run_args("run ./app init=/bin/sh");
        assert_eq!(run.program, Some(PathBuf::from("./app")));
        assert_eq!(run.cmdline(), "init=/bin/sh");
    }

    #[test]
    fn a_missing_program_is_an_error() {
        assert_eq!(parse_words("run ./nope"), Err(CliError::NoSuchProgram("./nope".into())));
        assert_eq!(parse_words("run ../x/y"), Err(CliError::NoSuchProgram("../x/y".into())));
        assert_eq!(parse_words("run dir/typo"), Err(CliError::NoSuchProgram("dir/typo".into())));
        assert_eq!(run_args("run ringo.x=/a/b").kernel_args, ["ringo.x=/a/b"]);
        assert_eq!(parse_args(&["run", "./my app"]), Err(CliError::BadProgramName("./my app".into())));
    }

    #[test]
    fn adds_are_host_colon_guest() {
        let run = run_args("run --add a:/x --add=b:c:/y/z ./app");
        let add = |host: &str, guest: &str| Add { host: host.into(), guest: guest.into() };
        assert_eq!(run.adds, [add("a", "/x"), add("b:c", "/y/z")]);
        for bad in ["nocolon", "a:relative", ":/x"] {
            assert!(
                matches!(parse_words(&format!("run --add {bad}")), Err(CliError::BadValue { .. })),
                "{bad} should be a bad value"
            );
        }
    }

    #[test]
    fn initrd_excludes_a_program_and_adds() {
        assert_eq!(parse_words("run --initrd i.cpio ./app"), Err(CliError::InitrdWithProgram));
        assert_eq!(parse_words("run --add a:/a --initrd i.cpio"), Err(CliError::InitrdWithProgram));
        assert_eq!(run_args("run --initrd i.cpio").initramfs().unwrap(), None);
    }

    #[test]
    fn a_real_program_is_packed_at_its_init_path() {
        let dir = std::env::temp_dir().join(format!("ringo-cli-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let program = dir.join("prog");
        std::fs::write(&program, "\x7fELF").unwrap();
        let extra = dir.join("extra.txt");
        std::fs::write(&extra, "x").unwrap();
        let line = format!("run {} --add {}:/etc/extra.txt", program.display(), extra.display());
        let run = run_args_real(&line);
        assert_eq!(run.program.as_deref(), Some(program.as_path()));
        let tree = run.initramfs().unwrap().expect("an initramfs");
        let paths = tree.guest_paths();
        for expected in ["/bin/prog", "/etc/extra.txt", "/dev", "/proc", "/tmp"] {
            assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
        }
        assert_eq!(run.cmdline(), "init=/bin/prog");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn networks() {
        assert_eq!(run_args("run").net, Net::User { forwards: vec![] });
        assert_eq!(run_args("run --net none").net, Net::None);
        assert_eq!(run_args("run --net user").net, Net::User { forwards: vec![] });
        assert_eq!(run_args("run --net=tap=rt0").net, Net::Tap { ifname: "rt0".into(), queues: 1 });
        assert_eq!(run_args("run --net tap=rt0,queues=2 --smp 2").net, Net::Tap { ifname: "rt0".into(), queues: 2 });
        // The last --net wins, as the other options do.
        assert_eq!(run_args("run --net user --net none").net, Net::None);
        for bad in ["--net", "--net=", "--net bridge", "--net tap=", "--net tap=rt0,queues=0", "--net tap=a,b=c"] {
            let parsed = parse_words(&format!("run {bad}"));
            assert!(
                matches!(parsed, Err(CliError::BadValue { .. }) | Err(CliError::MissingValue(_))),
                "{bad}: {parsed:?}"
            );
        }
    }

    #[test]
    fn port_forwards_imply_the_user_network() {
        let forwards = vec![PortForward::tcp(8080, 80), PortForward::udp(5353, 53)];
        let user = Net::User { forwards: forwards.clone() };
        assert_eq!(run_args("run -p 8080:80 -p=5353:53/udp").net, user);
        assert_eq!(run_args("run -p 8080:80 --net user -p 5353:53/udp").net, user);
        assert_eq!(
            run_args("run --net user -p 8080:80 quiet -- -p 1:2").net,
            Net::User { forwards: vec![forwards[0]] }
        );
        for bad in ["-p 80", "-p 0:80", "-p 8080:80/sctp", "-p 99999:80", "-p"] {
            let parsed = parse_words(&format!("run {bad}"));
            assert!(
                matches!(parsed, Err(CliError::BadValue { .. }) | Err(CliError::MissingValue(_))),
                "{bad}: {parsed:?}"
            );
        }
        for (line, net) in [("run -p 1:2 --net tap=rt0", "tap rt0"), ("run --net none -p 1:2", "no network")] {
            match parse_words(line) {
                Err(e @ CliError::PortsNeedUserNet(_)) => assert!(e.to_string().contains(net), "{e}"),
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn machines_and_modern_mmio() {
        assert_eq!(run_args("run --machine microvm-pcie").machine, Machine::MicrovmPcie);
        let modern = run_args("run --mmio-modern");
        assert!(modern.mmio_modern);
        assert!(modern.config(PathBuf::from("k"), false).virtio_mmio_modern);
        assert!(!run_args("run").mmio_modern);
        assert_eq!(parse_words("run --mmio-modern=yes"), Err(CliError::UnexpectedArgument("--mmio-modern=yes".into())));
        for machine in [Machine::Q35, Machine::MicrovmPcie] {
            let line = format!("run --machine {machine} --mmio-modern");
            assert_eq!(parse_words(&line), Err(CliError::MmioModernNeedsMicrovm(machine)), "{line}");
        }
        assert!(matches!(parse_words("run --machine microvm,pcie=on"), Err(CliError::BadValue { .. })));
    }

    #[test]
    fn the_default_ip_fits_the_network() {
        let tap = |_: &str| Ok(("10.77.0.1".parse().unwrap(), 24));
        let no_address = |name: &str| Err(format!("tap {name} has no IPv4 address on the host"));
        let mut user = run_args("run --net user quiet");
        assert_eq!(user.add_default_ip(&no_address), None);
        assert_eq!(user.cmdline(), "init=/bin/sh quiet ip=10.0.2.15::10.0.2.2:255.255.255.0 -- -l");

        let mut on_tap = run_args("run --net tap=rt0 ./app -- -v");
        assert_eq!(on_tap.add_default_ip(&tap), None);
        assert_eq!(on_tap.cmdline(), "init=/bin/app ip=10.77.0.2::10.77.0.1:255.255.255.0 -- -v");

        let mut bare = run_args("run --net tap=rt0");
        let note = bare.add_default_ip(&no_address).expect("a note");
        assert!(note.contains("tap rt0 has no IPv4 address") && note.contains("no ip="), "{note}");
        assert_eq!(bare.cmdline(), "init=/bin/sh -- -l");

        let mut given = run_args("run --net user ip=10.1.1.2::10.1.1.1:255.255.255.0");
        let before = given.clone();
        assert_eq!(given.add_default_ip(&tap), None);
        assert_eq!(given, before, "the user's ip= wins");

        let mut none = run_args("run --net none");
        assert_eq!(none.add_default_ip(&tap), None);
        assert_eq!(none.cmdline(), "init=/bin/sh -- -l");
    }

    #[test]
    fn config_carries_everything() {
        let run =
            run_args("run --smp 2 --mem 512M --machine q35 --initrd i.cpio --timeout 5 --net tap=t,queues=2 quiet");
        let cfg = run.config(PathBuf::from("k.elf"), true);
        assert_eq!(cfg.net, Net::Tap { ifname: "t".into(), queues: 2 });
        assert_eq!(
            (cfg.mac.as_str(), cfg.netns.as_deref(), cfg.virtio_mmio_modern),
            ("52:54:00:12:34:56", None, false)
        );
        assert_eq!(cfg.kernel, PathBuf::from("k.elf"));
        assert_eq!(cfg.cmdline, "quiet");
        assert_eq!((cfg.smp, cfg.memory.mib(), cfg.machine), (2, 512, Machine::Q35));
        assert_eq!(cfg.initrd, Some(PathBuf::from("i.cpio")));
        assert_eq!(cfg.timeout, Some(Duration::from_secs(5)));
        assert!(cfg.interactive && cfg.echo && cfg.announce);
    }
}
