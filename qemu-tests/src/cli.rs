//! The `ringo` command line: parsing and usage. The binary only wires these
//! to the library.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::accel::AccelChoice;
use crate::kernel_build::Profile;
use crate::memory::MemSize;
use crate::run_config::{Machine, RunConfig};

pub const USAGE: &str = "\
usage: ringo run [OPTIONS] [KERNEL ARGS...] [-- INIT ARGS...]
       ringo build [--debug]
       ringo help

ringo run      builds the kernel (unless --kernel is given), boots it in QEMU
               and exits with the guest's exit status
ringo build    builds the kernel, embeds its symbols and prints the image's path

run options:
  --smp N          CPUs (default 1)
  --mem SIZE       memory: 512M, 1G or a number of MiB (default 256M)
  --accel A        auto, kvm or tcg (default auto: KVM only where it is real)
  --machine M      microvm or q35 (default microvm)
  --timeout SECS   kill QEMU after SECS seconds (default 0: never)
  --initrd FILE    the initramfs (cpio newc)
  --kernel PATH    boot this kernel image instead of building one
  --debug          build and boot the kernel's dev profile
  --hp             run init in ring 0 (adds ringo.mode=hp)

Kernel arguments are joined with spaces into the kernel command line; words
after `--` go to init unchanged. With a terminal on stdin, Ctrl-A x quits QEMU.

Exit status: the guest's (0-255); 123 guest reset or halted without a status;
124 timeout; 125 QEMU failed; 126 launcher error; 127 QEMU not installed;
2 bad arguments.
";

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(RunArgs),
    Build { profile: Profile },
    Help,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunArgs {
    pub smp: u32,
    pub memory: MemSize,
    pub accel: AccelChoice,
    pub machine: Machine,
    /// `None`: no timeout.
    pub timeout: Option<Duration>,
    pub initrd: Option<PathBuf>,
    pub kernel: Option<PathBuf>,
    pub profile: Profile,
    pub hp: bool,
    /// Kernel words, then `--` and init's words verbatim when given.
    pub kernel_args: Vec<String>,
}

impl Default for RunArgs {
    fn default() -> Self {
        RunArgs {
            smp: 1,
            memory: MemSize::DEFAULT,
            accel: AccelChoice::Auto,
            machine: Machine::Microvm,
            timeout: None,
            initrd: None,
            kernel: None,
            profile: Profile::Release,
            hp: false,
            kernel_args: Vec::new(),
        }
    }
}

impl RunArgs {
    /// The kernel command line (QEMU's `-append`).
    pub fn cmdline(&self) -> String {
        let hp = self.hp.then_some("ringo.mode=hp");
        hp.into_iter().chain(self.kernel_args.iter().map(String::as_str)).collect::<Vec<_>>().join(" ")
    }

    /// The run of `kernel` these arguments ask for, echoing the guest.
    pub fn config(&self, kernel: PathBuf, interactive: bool) -> RunConfig {
        let mut cfg = RunConfig::new(kernel)
            .cmdline(self.cmdline())
            .smp(self.smp)
            .memory(self.memory)
            .machine(self.machine)
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
    BadValue { option: String, value: String, why: String },
    UnexpectedArgument(String),
    NotUnicode,
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
        }
    }
}

impl std::error::Error for CliError {}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, CliError> {
    let mut args = args.into_iter();
    let command = args.next().ok_or(CliError::NoCommand)?;
    match command.as_str() {
        "run" => parse_run(args),
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

fn parse_run(mut args: impl Iterator<Item = String>) -> Result<Command, CliError> {
    let mut run = RunArgs::default();
    while let Some(arg) = args.next() {
        if arg == "--" {
            run.kernel_args.push(arg);
            run.kernel_args.extend(args.by_ref());
            break;
        }
        if !arg.starts_with('-') {
            run.kernel_args.push(arg);
            continue;
        }
        // `--opt=value` and `--opt value` both work.
        let (option, inline) = match arg.split_once('=') {
            Some((option, value)) => (option.to_string(), Some(value.to_string())),
            None => (arg, None),
        };
        match option.as_str() {
            "--help" | "-h" => return Ok(Command::Help),
            "--debug" | "--hp" => {
                if let Some(value) = inline {
                    return Err(CliError::UnexpectedArgument(format!("{option}={value}")));
                }
                match option.as_str() {
                    "--debug" => run.profile = Profile::Debug,
                    _ => run.hp = true,
                }
            }
            "--smp" | "--mem" | "--accel" | "--machine" | "--timeout" | "--initrd" | "--kernel" => {
                let value = match inline {
                    Some(value) => value,
                    None => args.next().ok_or_else(|| CliError::MissingValue(option.clone()))?,
                };
                set_value(&mut run, &option, value)?;
            }
            _ => return Err(CliError::UnknownOption(option)),
        }
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

    fn parse_words(line: &str) -> Result<Command, CliError> {
        parse(line.split_whitespace().map(String::from))
    }

    fn run_args(line: &str) -> RunArgs {
        match parse_words(line) {
            Ok(Command::Run(run)) => run,
            other => panic!("`{line}` parsed as {other:?}"),
        }
    }

    #[test]
    fn run_defaults() {
        let run = run_args("run");
        assert_eq!(run, RunArgs::default());
        assert_eq!(run.timeout, None);
        assert_eq!(run.cmdline(), "");
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
        assert_eq!(run_args("run -- x").cmdline(), "-- x");
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
    fn config_carries_everything() {
        let run = run_args("run --smp 2 --mem 512M --machine q35 --initrd i.cpio --timeout 5 quiet");
        let cfg = run.config(PathBuf::from("k.elf"), true);
        assert_eq!(cfg.kernel, PathBuf::from("k.elf"));
        assert_eq!(cfg.cmdline, "quiet");
        assert_eq!((cfg.smp, cfg.memory.mib(), cfg.machine), (2, 512, Machine::Q35));
        assert_eq!(cfg.initrd, Some(PathBuf::from("i.cpio")));
        assert_eq!(cfg.timeout, Some(Duration::from_secs(5)));
        assert!(cfg.interactive && cfg.echo && cfg.announce);
    }
}
