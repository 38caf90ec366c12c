//! Helpers for the in-QEMU tests: boot the kernel under TCG with a timeout,
//! then assert on its serial output. Every failed assertion prints the whole
//! serial output, so a failing test explains itself.
//!
//! ```no_run
//! use qemu_tests::guest_test::boot;
//! let run = boot("ringo.ktest=heap").run();
//! run.expect_status(0);
//! run.line_containing("ktest heap: ok");
//! ```
//!
//! A program runs as init from an initramfs laid out as the `ringo` CLI
//! does it (see [`crate::initramfs`]):
//!
//! ```no_run
//! use qemu_tests::{guest_test::program, test_programs};
//! let run = program(test_programs::c("hello")).args(["a", "b"]).kernel_arg("ringo.strace").run();
//! run.expect_init_exit(0);
//! ```
//!
//! The default busybox image (see [`crate::initramfs::busybox`]) boots a
//! login shell, or runs a script given as init's argument:
//!
//! ```no_run
//! use qemu_tests::guest_test::busybox;
//! let run = busybox().add("qemu-tests/scripts", "/scripts").args(["/scripts/pipes.sh"]).run();
//! run.expect_program_ok("pipes");
//! ```
//!
//! A test can also type on the guest's console ([`Boot::interactive`]):
//!
//! ```no_run
//! use qemu_tests::guest_test::busybox;
//! let mut shell = busybox().interactive();
//! shell.expect("# ").send("echo $((6 * 7))\n").expect("42").expect("# ");
//! shell.send("exit 3\n");
//! shell.finish().expect_init_exit(3);
//! ```
//!
//! [`boot`] and [`ktest`] boot without an initramfs, as ever.
//!
//! A guest with a network card ([`Boot::net`]; see [`crate::net`]), here
//! talking to a frame peer, or to a tap in a namespace with QEMU run in it
//! ([`Boot::netns`]):
//!
//! ```no_run
//! use qemu_tests::guest_test::busybox;
//! use qemu_tests::net::frame_peer::FramePeer;
//! let peer = FramePeer::new().unwrap();
//! let shell = busybox().net(peer.net()).kernel_arg("ip=10.0.9.2::10.0.9.1:255.255.255.0").interactive();
//! ```
//!
//! Without an `ip=` word, a guest on the user network or a tap gets the
//! launcher's default one ([`crate::net::guest_ip`]).
//!
//! Set `RINGO_TEST_VERBOSE=1` to see the guest's output live, and
//! `RINGO_KERNEL=path` to test a prebuilt image.

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::accel::AccelChoice;
use crate::initramfs::{Initramfs, TempArchive, busybox as image, program_guest_path};
use crate::kernel_build::kernel_for_tests;
use crate::memory::MemSize;
use crate::net::Net;
use crate::net::guest_ip::{default_ip, has_ip_word, tap_address};
use crate::outcome::{GuestStatus, Outcome};
use crate::run::{Session, run};
use crate::run_config::{Machine, RunConfig, kernel_cmdline};
use crate::serial_lines::{self, Banner, CpuOnline, Frame};

pub const VERBOSE_ENV: &str = "RINGO_TEST_VERBOSE";
/// What the kernel prints when init exits (contract), before its status line.
pub const INIT_EXITED_PREFIX: &str = "ringo: init exited with status ";
/// What a test program prints to stderr for each check that failed.
pub const FAIL_MARKER: &str = "FAIL:";

/// A guest about to boot with kernel command line `cmdline`.
#[must_use = "call .run() to boot it"]
pub struct Boot {
    config: RunConfig,
    /// Kernel words, before any `--`.
    words: Vec<String>,
    hp: bool,
    init: Option<Init>,
}

/// What to pack and boot as init.
struct Init {
    root: Root,
    args: Vec<String>,
    adds: Vec<(PathBuf, String)>,
}

enum Root {
    /// A host program, at /bin/<its name>.
    Program(PathBuf),
    /// The default image, made from this busybox.
    Busybox(PathBuf),
}

impl Root {
    fn init_path(&self) -> Option<String> {
        match self {
            Root::Program(program) => program_guest_path(program),
            Root::Busybox(_) => Some(image::INIT.to_string()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Root::Program(program) => format!("{} as init", program.display()),
            Root::Busybox(busybox) => format!("the busybox image ({})", busybox.display()),
        }
    }
}

pub fn boot(cmdline: &str) -> Boot {
    boot_kernel(kernel_for_tests(), cmdline)
}

fn boot_kernel(kernel: PathBuf, cmdline: &str) -> Boot {
    let verbose = std::env::var_os(VERBOSE_ENV).is_some_and(|v| !v.is_empty());
    let config = RunConfig::new(kernel)
        .cmdline(cmdline)
        .accel(AccelChoice::Tcg)
        .timeout(Some(Duration::from_secs(60)))
        .echo(verbose)
        .announce(false);
    Boot { config, words: cmdline.split_whitespace().map(String::from).collect(), hp: false, init: None }
}

/// The host program `path` booted as init from an initramfs (at
/// `/bin/<its file name>`), with no kernel words yet.
pub fn program(path: impl AsRef<Path>) -> Boot {
    with_init(boot(""), Root::Program(path.as_ref().to_path_buf()))
}

/// The default busybox image (from [`image::BUSYBOX`]), its shell as init:
/// a login shell when given no [`Boot::args`], as `ringo run` boots it.
pub fn busybox() -> Boot {
    with_init(boot(""), Root::Busybox(PathBuf::from(image::BUSYBOX)))
}

fn with_init(mut boot: Boot, root: Root) -> Boot {
    boot.init = Some(Init { root, args: Vec::new(), adds: Vec::new() });
    boot.refresh_cmdline();
    boot
}

/// `boot("ringo.ktest=<name>")`.
pub fn ktest(name: &str) -> Boot {
    boot(&format!("ringo.ktest={name}"))
}

impl Boot {
    /// Arguments for init (after `--` on the kernel command line; one with
    /// spaces is quoted there, see [`kernel_cmdline`]). A double quote
    /// cannot be passed.
    #[track_caller]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let Some(init) = self.init.as_mut() else {
            panic!("args() needs a program() or busybox()");
        };
        for arg in args {
            let arg = arg.into();
            assert!(!arg.contains('"'), "init argument {arg:?} cannot be passed on the kernel command line");
            init.args.push(arg);
        }
        self.refresh_cmdline();
        self
    }

    /// Packs the host file or directory `host` at `guest` too.
    #[track_caller]
    pub fn add(mut self, host: impl AsRef<Path>, guest: &str) -> Self {
        let Some(init) = self.init.as_mut() else {
            panic!("add() needs a program() or busybox()");
        };
        init.adds.push((host.as_ref().to_path_buf(), guest.to_string()));
        self
    }

    /// Runs init in ring 0 (`ringo.mode=hp`).
    pub fn hp(mut self, hp: bool) -> Self {
        self.hp = hp;
        self.refresh_cmdline();
        self
    }

    /// One more kernel word, such as `ringo.strace` or `init=/bin/other`.
    #[track_caller]
    pub fn kernel_arg(mut self, word: &str) -> Self {
        assert!(!word.is_empty() && !word.contains(char::is_whitespace), "kernel word {word:?}");
        self.words.push(word.to_string());
        self.refresh_cmdline();
        self
    }

    fn refresh_cmdline(&mut self) {
        let mut words = self.words.clone();
        let mut init_path = None;
        if let Some(init) = &self.init {
            init_path = init.root.init_path();
            if !init.args.is_empty() {
                words.push("--".to_string());
                words.extend(init.args.iter().cloned());
            } else if matches!(init.root, Root::Busybox(_)) {
                words.extend(["--".to_string(), image::LOGIN_ARG.to_string()]);
            }
        }
        self.config.cmdline = kernel_cmdline(self.hp, init_path.as_deref(), &words);
    }

    /// The initramfs for init, written to a temporary file.
    fn pack(&self) -> Option<TempArchive> {
        let init = self.init.as_ref()?;
        let tree = match &init.root {
            Root::Program(program) => {
                let mut tree = Initramfs::new();
                tree.add_program(program).map(|_| tree)
            }
            Root::Busybox(busybox) => image::image(busybox),
        };
        let packed = tree.and_then(|mut tree| {
            init.adds.iter().try_for_each(|(host, guest)| tree.add_host(host, guest))?;
            tree.write_temp()
        });
        Some(packed.unwrap_or_else(|e| panic!("cannot pack {} into an initramfs: {e}", init.root.describe())))
    }

    /// The default `ip=` for the network when the words give none.
    fn add_default_ip(&mut self) {
        if has_ip_word(&self.words) {
            return;
        }
        let netns = self.config.netns.clone();
        match default_ip(&self.config.net, &|tap| tap_address(tap, netns.as_deref())) {
            Ok(Some(ip)) => {
                self.words.push(ip.kernel_word());
                self.refresh_cmdline();
            }
            Ok(None) => {}
            Err(why) => eprintln!("{why}: the guest gets no ip="),
        }
    }

    /// Packs the initramfs and says what runs, for messages.
    fn prepare(mut self) -> (RunConfig, Option<TempArchive>, String) {
        self.add_default_ip();
        let archive = self.pack();
        let mut config = self.config;
        let mut what = format!(
            "`{}` on {}, -smp {}, -m {}, accel {}",
            config.cmdline, config.machine, config.smp, config.memory, config.accel
        );
        if config.net != Net::None {
            what.push_str(&format!(", {}, MAC {}", config.net, config.mac));
            if config.virtio_mmio_modern {
                what.push_str(", modern virtio-mmio");
            }
        }
        if let Some(netns) = &config.netns {
            what.push_str(&format!(", QEMU in network namespace {netns}"));
        }
        if let Some(archive) = &archive {
            config.initrd = Some(archive.path().to_path_buf());
            if let Some(init) = &self.init {
                what = format!("{}, {what}", init.root.describe());
            }
        }
        (config, archive, what)
    }

    pub fn smp(mut self, cpus: u32) -> Self {
        self.config.smp = cpus;
        self
    }

    /// Guest memory in MiB.
    pub fn memory_mib(mut self, mib: u64) -> Self {
        self.config.memory = MemSize::from_mib(mib).unwrap_or_else(|| panic!("a guest needs more than 0 MiB"));
        self
    }

    pub fn machine(mut self, machine: Machine) -> Self {
        self.config.machine = machine;
        self
    }

    /// The network card's backend (default: no card).
    pub fn net(mut self, net: Net) -> Self {
        self.config.net = net;
        self
    }

    /// The card's MAC (default [`crate::net::DEFAULT_MAC`]).
    pub fn mac(mut self, mac: &str) -> Self {
        self.config.mac = mac.to_string();
        self
    }

    /// Runs QEMU inside the network namespace `name` (where the tap is).
    pub fn netns(mut self, name: &str) -> Self {
        self.config.netns = Some(name.to_string());
        self
    }

    /// microvm's virtio-mmio devices in their modern (v2) layout.
    pub fn mmio_modern(mut self, modern: bool) -> Self {
        self.config.virtio_mmio_modern = modern;
        self
    }

    pub fn timeout_secs(mut self, secs: u64) -> Self {
        self.config.timeout = Some(Duration::from_secs(secs));
        self
    }

    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Boots and waits for the guest; panics only if QEMU cannot be run
    /// (or the program cannot be packed).
    pub fn run(self) -> GuestRun {
        let (config, _archive, what) = self.prepare();
        match run(&config) {
            Ok(outcome) => GuestRun { outcome, what },
            Err(e) => panic!("cannot run {what}: {e}"),
        }
    }

    /// Boots the guest for a test to type on its console (see
    /// [`Interactive`]); panics only if QEMU cannot be started. Each step
    /// waits at most the boot's timeout (60 s unless [`Boot::timeout_secs`]
    /// says otherwise; [`Interactive::step_timeout`] changes it).
    pub fn interactive(self) -> Interactive {
        let step = self.config.timeout.unwrap_or(DEFAULT_STEP);
        let (config, archive, what) = self.prepare();
        match Session::start(&config) {
            Ok(session) => Interactive { session: Some(session), _archive: archive, what, step },
            Err(e) => panic!("cannot start {what}: {e}"),
        }
    }
}

/// How long an interactive step waits when the boot has no timeout.
const DEFAULT_STEP: Duration = Duration::from_secs(60);

/// A guest a test types on, step by step; every step that fails panics
/// with the whole transcript so far. Steps chain:
/// `shell.expect("# ").send("ls\n").expect("bin")`. [`Interactive::expect`]
/// searches the output after the previous match, so a pattern is not
/// found twice. Dropped without [`Interactive::finish`], QEMU is killed.
pub struct Interactive {
    /// Always `Some` until `finish` takes it.
    session: Option<Session>,
    /// Kept until QEMU is gone.
    _archive: Option<TempArchive>,
    what: String,
    step: Duration,
}

impl Interactive {
    fn session(&mut self) -> &mut Session {
        self.session.as_mut().expect("the session lives until finish()")
    }

    /// How long later steps wait.
    pub fn step_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.step = timeout;
        self
    }

    /// Types `input` (`\n` is Enter, `\x03` Ctrl-C, `\x7f` Backspace).
    #[track_caller]
    pub fn send(&mut self, input: &str) -> &mut Self {
        if let Err(e) = self.session().send(input) {
            self.fail(format!("sending {input:?}: {e}"));
        }
        self
    }

    /// Waits for `pattern` after the previous match, at most the step
    /// timeout.
    #[track_caller]
    pub fn expect(&mut self, pattern: &str) -> &mut Self {
        let step = self.step;
        self.expect_within(pattern, step)
    }

    /// Waits for `pattern` after the previous match, at most `timeout`.
    #[track_caller]
    pub fn expect_within(&mut self, pattern: &str, timeout: Duration) -> &mut Self {
        let started = Instant::now();
        match self.session().expect(pattern, timeout) {
            Ok(_) => self,
            Err(e) => self.fail(format!("after {:.1?} of waiting: {e}", started.elapsed())),
        }
    }

    /// Everything the guest printed so far, control characters as they came.
    pub fn transcript(&self) -> String {
        self.session.as_ref().map(Session::transcript).unwrap_or_default()
    }

    /// Time since QEMU started.
    pub fn elapsed(&self) -> Duration {
        self.session.as_ref().map(Session::elapsed).unwrap_or_default()
    }

    /// Fails the test with `why` and the transcript, control characters
    /// made visible (line editing shows in them).
    #[track_caller]
    pub fn fail(&self, why: impl Display) -> ! {
        panic!(
            "{why}\n\
             run: {what}, typed on, {elapsed:.2?} in\n\
             ------- transcript (control characters escaped) -------\n{transcript}\n\
             --------------------------------------------------------",
            what = self.what,
            elapsed = self.elapsed(),
            transcript = visible(&self.transcript()),
        )
    }

    /// Waits for the guest to end by itself (at most the step timeout) and
    /// returns the run, for the usual assertions on its status and output.
    #[track_caller]
    pub fn finish(mut self) -> GuestRun {
        let session = self.session.take().expect("finish() is called once");
        match session.finish(self.step) {
            Ok(outcome) => GuestRun { outcome, what: std::mem::take(&mut self.what) },
            Err(e) => panic!("waiting for {} to end: {e}", self.what),
        }
    }
}

/// `text` with CR LF as a line break and every other control character
/// escaped (`\r`, `\u{1b}`, `\u{8}`), so a failure shows what the line
/// editor sent.
fn visible(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.replace("\r\n", "\n").chars() {
        if c == '\n' || !c.is_control() {
            shown.push(c);
        } else {
            shown.extend(c.escape_default());
        }
    }
    shown
}

/// N from a `ringo: init exited with status N` line (anything may follow N).
fn init_exit_status(line: &str) -> Option<u8> {
    let rest = &line[line.find(INIT_EXITED_PREFIX)? + INIT_EXITED_PREFIX.len()..];
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// A finished guest run, with assertions that show the serial output.
pub struct GuestRun {
    pub outcome: Outcome,
    what: String,
}

impl GuestRun {
    pub fn serial(&self) -> &str {
        &self.outcome.serial
    }

    /// Fails the test with `why` and everything the run printed.
    #[track_caller]
    pub fn fail(&self, why: impl Display) -> ! {
        let o = &self.outcome;
        panic!(
            "{why}\n\
             run: {what}; {status} after {wall:.2?}\n\
             ------- serial output -------\n{serial}\n\
             ------- QEMU stderr -------\n{stderr}\n\
             -----------------------------",
            what = self.what,
            status = o.status,
            wall = o.wall,
            serial = o.serial.trim_end(),
            stderr = o.qemu_stderr.trim_end(),
        )
    }

    #[track_caller]
    pub fn check(&self, ok: bool, why: impl Display) -> &Self {
        if !ok {
            self.fail(why);
        }
        self
    }

    /// The guest exited with exactly `status`, from its status line.
    #[track_caller]
    pub fn expect_status(&self, status: u8) -> &Self {
        let got = &self.outcome.status;
        self.check(*got == GuestStatus::Exited(status), format!("expected guest exit status {status}, got: {got}"))
    }

    /// Init exited with `status`: the kernel's `init exited` line says so,
    /// and so does the run's exit status.
    #[track_caller]
    pub fn expect_init_exit(&self, status: u8) -> &Self {
        let said = self.serial().lines().find_map(init_exit_status);
        let line = format!("{INIT_EXITED_PREFIX}{status}");
        match said {
            Some(n) if n == status => {}
            Some(n) => self.fail(format!("init exited with status {n}, expected {status}")),
            None => self.fail(format!("no `{line}` line: init did not run, or ended otherwise")),
        }
        self.expect_status(status)
    }

    /// No test program reported a failed check.
    #[track_caller]
    pub fn expect_no_failures(&self) -> &Self {
        let failures: Vec<&str> = self.serial().lines().filter(|l| l.contains(FAIL_MARKER)).collect();
        self.check(failures.is_empty(), format!("{} failed checks:\n{}", failures.len(), failures.join("\n")))
    }

    /// A test program (see qemu-tests/programs/c/check.h) ran to its end with
    /// every check passed: `<name>: ok`, no `FAIL:`, init exit status 0.
    #[track_caller]
    pub fn expect_program_ok(&self, name: &str) -> &Self {
        self.expect_no_failures();
        let ok = format!("{name}: ok");
        self.check(self.serial().lines().any(|l| l.trim_end() == ok), format!("no `{ok}` line"));
        self.expect_init_exit(0)
    }

    /// The lines after the first one containing `after` and before the
    /// first later one containing `before` (to the end without one).
    #[track_caller]
    pub fn lines_between(&self, after: &str, before: &str) -> Vec<&str> {
        let Some(start) = self.line_index(after) else {
            self.fail(format!("no line contains `{after}`"));
        };
        self.serial().lines().skip(start + 1).take_while(|l| !l.contains(before)).collect()
    }

    /// The first line containing `needle`.
    #[track_caller]
    pub fn line_containing(&self, needle: &str) -> &str {
        // A match, not a closure: #[track_caller] does not reach into one.
        match self.serial().lines().find(|l| l.contains(needle)) {
            Some(line) => line,
            None => self.fail(format!("no line contains `{needle}`")),
        }
    }

    /// Index of the first line containing `needle`, for checking order.
    pub fn line_index(&self, needle: &str) -> Option<usize> {
        self.serial().lines().position(|l| l.contains(needle))
    }

    /// `first` appears on a line before `second` does.
    #[track_caller]
    pub fn expect_order(&self, first: &str, second: &str) -> &Self {
        match (self.line_index(first), self.line_index(second)) {
            (Some(a), Some(b)) if a < b => self,
            (Some(_), Some(_)) => self.fail(format!("`{first}` should come before `{second}`")),
            (None, _) => self.fail(format!("no line contains `{first}`")),
            (_, None) => self.fail(format!("no line contains `{second}`")),
        }
    }

    /// The boot banner.
    #[track_caller]
    pub fn banner(&self) -> Banner {
        match self.serial().lines().find_map(serial_lines::parse_banner) {
            Some(banner) => banner,
            None => self.fail(format!("no well-formed `{}...` banner", serial_lines::BANNER_PREFIX)),
        }
    }

    /// Every `smp: cpu <i> (apic <a>) online, <t> ticks` line.
    pub fn cpus_online(&self) -> Vec<CpuOnline> {
        self.serial().lines().filter_map(serial_lines::parse_cpu_online).collect()
    }

    /// The frames of the first backtrace; fails when there is none.
    #[track_caller]
    pub fn backtrace(&self) -> Vec<Frame> {
        let frames = serial_lines::first_backtrace(self.serial());
        if frames.is_empty() {
            self.fail(format!("no `{}` line followed by frames", serial_lines::BACKTRACE_HEADER));
        }
        frames
    }

    /// Some backtrace frame's symbol contains `name`.
    #[track_caller]
    pub fn expect_frame(&self, name: &str) -> &Self {
        let frames = self.backtrace();
        self.check(frames.iter().any(|f| f.symbol.contains(name)), format!("no backtrace frame names `{name}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_made_visible() {
        assert_eq!(visible("a\r\nb\x08 \x08c\x1b[K\nd\r"), "a\nb\\u{8} \\u{8}c\\u{1b}[K\nd\\r");
    }

    #[test]
    fn busybox_boots_a_login_shell_unless_given_arguments() {
        // Not busybox() itself: that builds the kernel.
        let boot = |cmdline: &str| boot_kernel(PathBuf::from("k.elf"), cmdline);
        let busybox = || with_init(boot(""), Root::Busybox(PathBuf::from("/bin/busybox")));
        assert_eq!(busybox().config().cmdline, "init=/bin/sh -- -l");
        assert_eq!(busybox().args(["/scripts/x.sh"]).config().cmdline, "init=/bin/sh -- /scripts/x.sh");
        assert_eq!(busybox().kernel_arg("quiet").config().cmdline, "init=/bin/sh quiet -- -l");
        assert_eq!(boot("quiet").config().cmdline, "quiet", "boot() has no init");
        assert!(boot("").pack().is_none(), "boot() packs no initramfs");
    }

    #[test]
    fn a_network_without_ip_gets_the_default() {
        let boot = || boot_kernel(PathBuf::from("k.elf"), "quiet");
        let user = boot().net(Net::User { forwards: vec![] });
        let (config, _, what) = user.prepare();
        assert_eq!(config.cmdline, "quiet ip=10.0.2.15::10.0.2.2:255.255.255.0");
        assert!(what.contains("user network, MAC 52:54:00:12:34:56"), "{what}");
        let given = boot().kernel_arg("ip=10.0.9.2::10.0.9.1:255.255.255.0").net(Net::User { forwards: vec![] });
        assert_eq!(given.prepare().0.cmdline, "quiet ip=10.0.9.2::10.0.9.1:255.255.255.0");
        let peer = Net::Dgram { qemu_socket: "q".into(), peer_socket: "p".into() };
        let (config, _, what) = boot().net(peer).mmio_modern(true).netns("ns1").mac("02:00:00:00:00:09").prepare();
        assert_eq!(config.cmdline, "quiet");
        assert_eq!((config.mac.as_str(), config.netns.as_deref()), ("02:00:00:00:00:09", Some("ns1")));
        assert!(config.virtio_mmio_modern);
        assert!(what.ends_with("modern virtio-mmio, QEMU in network namespace ns1"), "{what}");
    }

    #[test]
    fn init_exit_lines() {
        assert_eq!(init_exit_status("ringo: init exited with status 139"), Some(139));
        assert_eq!(init_exit_status("[ 0.1] ringo: init exited with status 1 (signal 11)"), Some(1));
        assert_eq!(init_exit_status("ringo: init exited with status 256"), None);
        assert_eq!(init_exit_status("ringo: init exited with status "), None);
        assert_eq!(init_exit_status("ringo: exit status 0"), None);
    }
}
