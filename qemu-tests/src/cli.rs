//! The `ringo` command line: parsing and usage. The binary only wires these
//! to the library.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::accel::AccelChoice;
use crate::initramfs::{Initramfs, InitramfsError, program_guest_path};
use crate::kernel_build::Profile;
use crate::memory::MemSize;
use crate::run_config::{Machine, RunConfig, kernel_cmdline};

pub const USAGE: &str = "\
usage: ringo run [OPTIONS] [PROGRAM] [KERNEL ARGS...] [-- INIT ARGS...]
       ringo build [--debug]
       ringo help

ringo run      builds the kernel (unless --kernel is given), boots it in QEMU
               and exits with the guest's exit status
ringo build    builds the kernel, embeds its symbols and prints the image's path

PROGRAM is the first argument that contains a `/` and names an existing file
(./app, /usr/bin/app). It is packed into an initramfs at /bin/<its name>,
beside empty /dev, /proc and /tmp, and booted as init (init=/bin/<its name>);
the run's exit status is its exit status. Without PROGRAM (and --add) the
kernel boots without an initramfs.

run options:
  --add HOST:GUEST  also pack the file or directory HOST (recursively) at the
                    absolute path GUEST; repeatable
  --smp N           CPUs (default 1)
  --mem SIZE        memory: 512M, 1G or a number of MiB (default 256M)
  --accel A         auto, kvm or tcg (default auto: KVM only where it is real)
  --machine M       microvm or q35 (default microvm)
  --timeout SECS    kill QEMU after SECS seconds (default 0: never)
  --initrd FILE     boot this prebuilt initramfs (cpio newc) instead
  --kernel PATH     boot this kernel image instead of building one
  --debug           build and boot the kernel's dev profile
  --hp              run init in ring 0 (adds ringo.mode=hp)

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
    /// The program to pack and boot as init.
    pub program: Option<PathBuf>,
    pub adds: Vec<Add>,
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
            timeout: None,
            initrd: None,
            kernel: None,
            profile: Profile::Release,
            hp: false,
            program: None,
            adds: Vec::new(),
            kernel_args: Vec::new(),
        }
    }
}

impl RunArgs {
    /// The kernel command line (QEMU's `-append`).
    pub fn cmdline(&self) -> String {
        kernel_cmdline(self.hp, self.init_path().as_deref(), &self.kernel_args)
    }

    /// Where the program lands in the guest (see [`crate::initramfs`]).
    pub fn init_path(&self) -> Option<String> {
        program_guest_path(self.program.as_deref()?)
    }

    /// The initramfs to build, when there is a program or something to add.
    pub fn initramfs(&self) -> Result<Option<Initramfs>, InitramfsError> {
        if self.program.is_none() && self.adds.is_empty() {
            return Ok(None);
        }
        let mut tree = Initramfs::new();
        if let Some(program) = &self.program {
            tree.add_program(program)?;
        }
        for add in &self.adds {
            tree.add_host(&add.host, &add.guest)?;
        }
        Ok(Some(tree))
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

/// A path with a `/` but no `=` before it: kernel words (`init=/bin/sh`)
/// never look like this, a mistyped program path does.
fn looks_like_a_path(arg: &str) -> bool {
    arg.split('/').next().is_some_and(|first| !first.contains('=')) && arg.contains('/')
}

fn parse_run(mut args: impl Iterator<Item = String>, is_file: &dyn Fn(&Path) -> bool) -> Result<Command, CliError> {
    let mut run = RunArgs::default();
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
            "--debug" | "--hp" => {
                if let Some(value) = inline {
                    return Err(CliError::UnexpectedArgument(format!("{option}={value}")));
                }
                match option.as_str() {
                    "--debug" => run.profile = Profile::Debug,
                    _ => run.hp = true,
                }
            }
            "--smp" | "--mem" | "--accel" | "--machine" | "--timeout" | "--initrd" | "--kernel" | "--add" => {
                let value = match inline {
                    Some(value) => value,
                    None => args.next().ok_or_else(|| CliError::MissingValue(option.clone()))?,
                };
                set_value(&mut run, &option, value)?;
            }
            _ => return Err(CliError::UnknownOption(option)),
        }
    }
    if run.initrd.is_some() && (run.program.is_some() || !run.adds.is_empty()) {
        return Err(CliError::InitrdWithProgram);
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

    #[test]
    fn run_defaults() {
        let run = run_args("run");
        assert_eq!(run, RunArgs::default());
        assert_eq!(run.timeout, None);
        assert_eq!(run.cmdline(), "");
        assert_eq!(run.initramfs().unwrap(), None);
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
        let run = match parse(line.split_whitespace().map(String::from)) {
            Ok(Command::Run(run)) => run,
            other => panic!("`{line}` parsed as {other:?}"),
        };
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
