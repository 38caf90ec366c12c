//! The benchmarks' Linux guest: Debian's kernel (linux-image-amd64) booted
//! on the same QEMU settings as Ringo, with an initramfs whose init
//! (`qemu-tests/programs/c/bench_init.c`) runs the benchmark programs one
//! after the other and powers the machine off.
//!
//! - The kernel: QEMU's PVH entry wants the uncompressed ELF `vmlinux`,
//!   which Debian ships only inside its bzImage (`/boot/vmlinuz-*`).
//!   [`extract_vmlinux`] finds the compressed payload by its magic (as
//!   Linux's scripts/extract-vmlinux does), decompresses it with the
//!   matching tool, and caches the result under cargo's target directory.
//! - The command line ([`cmdline`]): the serial console, from the start
//!   (`earlyprintk`: a guest given too little memory panics before the
//!   console is up, and the host watches for [`KERNEL_PANIC`] to stop it,
//!   since Linux halts after a panic that comes before it parsed
//!   `panic=-1`), `quiet` so the serial stream carries the programs'
//!   results, `panic=-1` so a later panic ends QEMU (with `-no-reboot`),
//!   `tsc_early_khz`: without it Linux 6.1 under TCG hangs in about 2 boots of 3 after
//!   "Marking TSC unstable" (under `-icount shift=0` the guest's TSC runs
//!   at 1 GHz), and `tsc=reliable`: on 2 CPUs under TCG Linux otherwise
//!   finds the TSCs out of sync and falls back to the jiffies clock, whose
//!   4 ms steps are all clock_gettime then sees.
//! - The initramfs ([`initramfs`]): `/bin/bench_init`, the programs in
//!   `/bin`, and empty `/dev`, `/proc`, `/sys`, which init mounts.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::initramfs::{Initramfs, InitramfsError};

/// Where Debian installs its kernels.
pub const BOOT_DIR: &str = "/boot";
/// init in the guest.
pub const INIT_PATH: &str = "/bin/bench_init";
/// What bench_init puts between two programs' command lines.
pub const PROGRAM_SEPARATOR: &str = ";";
/// bench_init's first line: the guest's "init's first output".
pub const INIT_STARTED: &str = "bench_init: start";
/// bench_init's line per file of /sys/devices/system/cpu/vulnerabilities.
pub const VULNERABILITY_PREFIX: &str = "bench_init: vulnerability ";
/// bench_init's line naming Linux's clock source: `... NAME`.
pub const CLOCKSOURCE_PREFIX: &str = "bench_init: clocksource ";
/// The clock sources fine enough to time with: the TSC (`tsc-early` until
/// Linux has refined its calibration, about a second into the boot) and
/// KVM's clock; the others here (jiffies, refined-jiffies) step by 4 ms.
pub const FINE_CLOCKSOURCES: [&str; 3] = ["tsc", "tsc-early", "kvm-clock"];
/// What Linux prints when it panics (then halts, if before `panic=` counts).
pub const KERNEL_PANIC: &str = "Kernel panic - not syncing";
/// bench_init's line after each program: `... N`.
pub const EXIT_STATUS_PREFIX: &str = "bench_init: exit status ";
/// The guest TSC frequency under `-icount shift=0`: one instruction a ns.
pub const ICOUNT_TSC_KHZ: u64 = 1_000_000;

#[derive(Debug)]
pub enum LinuxGuestError {
    /// No /boot/vmlinuz-*.
    NotInstalled,
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// No compressed payload this module knows in the image.
    NoPayload {
        image: PathBuf,
    },
    Decompress {
        image: PathBuf,
        tool: &'static str,
        why: String,
    },
    Initramfs(InitramfsError),
}

impl fmt::Display for LinuxGuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinuxGuestError::NotInstalled => write!(
                f,
                "linux-image-amd64 is not installed (no {BOOT_DIR}/vmlinuz-*): run make bench, which installs it"
            ),
            LinuxGuestError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            LinuxGuestError::NoPayload { image } => {
                write!(f, "{}: no xz, zstd or gzip payload found in the kernel image", image.display())
            }
            LinuxGuestError::Decompress { image, tool, why } => {
                write!(f, "{}: decompressing the kernel with {tool}: {why}", image.display())
            }
            LinuxGuestError::Initramfs(e) => write!(f, "the Linux guest's initramfs: {e}"),
        }
    }
}

impl std::error::Error for LinuxGuestError {}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> LinuxGuestError + '_ {
    move |source| LinuxGuestError::Io { path: path.to_path_buf(), source }
}

/// A compression format a bzImage may carry, and how to undo it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compression {
    pub name: &'static str,
    pub magic: &'static [u8],
    /// The tool and its arguments; it reads stdin and writes stdout, and
    /// must ignore what follows the stream (the bzImage's trailer).
    pub command: &'static [&'static str],
}

/// Debian's kernels are xz; the others for kernels built elsewhere.
pub const COMPRESSIONS: [Compression; 3] = [
    Compression { name: "xz", magic: b"\xfd7zXZ\x00", command: &["xz", "--single-stream", "-dc"] },
    Compression { name: "zstd", magic: b"\x28\xb5\x2f\xfd", command: &["zstd", "-dcq"] },
    Compression { name: "gzip", magic: b"\x1f\x8b\x08\x00", command: &["gzip", "-dcq"] },
];

/// Where each known payload starts, earliest first: a magic can also occur
/// by chance, so the caller tries them in order until one decompresses to
/// an ELF file.
pub fn payload_candidates(image: &[u8]) -> Vec<(usize, Compression)> {
    let mut found = Vec::new();
    for compression in COMPRESSIONS {
        let magic = compression.magic;
        let mut from = 0;
        while let Some(at) = image[from..].windows(magic.len()).position(|w| w == magic) {
            found.push((from + at, compression));
            from += at + 1;
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found
}

pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// The newest `/boot/vmlinuz-*` (by version-aware name order).
pub fn installed_kernel(boot_dir: &Path) -> Result<PathBuf, LinuxGuestError> {
    let entries = fs::read_dir(boot_dir).map_err(|_| LinuxGuestError::NotInstalled)?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("vmlinuz-"))
        .collect();
    names.sort_by(|a, b| version_order(a, b));
    names.last().map(|n| boot_dir.join(n)).ok_or(LinuxGuestError::NotInstalled)
}

/// Compares names with their digit runs as numbers: 6.1.0-9 < 6.1.0-10.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            if digits > 0 {
                out.push((rest[..digits].parse().unwrap_or(u64::MAX), String::new()));
                rest = &rest[digits..];
            } else {
                let text = rest.len() - rest.trim_start_matches(|c: char| !c.is_ascii_digit()).len();
                out.push((0, rest[..text].to_string()));
                rest = &rest[text..];
            }
        }
        out
    }
    chunks(a).cmp(&chunks(b))
}

/// The uncompressed vmlinux of `image`, cached as `cache_dir/vmlinux-<release>`
/// (the release is the image's name after `vmlinuz-`); extracted again only
/// when the image is newer than the cache.
pub fn extract_vmlinux(image: &Path, cache_dir: &Path) -> Result<PathBuf, LinuxGuestError> {
    let release =
        image.file_name().map(|n| n.to_string_lossy().trim_start_matches("vmlinuz-").to_string()).unwrap_or_default();
    let cached = cache_dir.join(format!("vmlinux-{release}"));
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(source)) = (modified(&cached), modified(image))
        && built >= source
    {
        return Ok(cached);
    }
    let bytes = fs::read(image).map_err(io_error(image))?;
    let mut last_failure = None;
    for (at, compression) in payload_candidates(&bytes) {
        match decompress(compression, &bytes[at..]) {
            Ok(out) if is_elf(&out) => {
                fs::create_dir_all(cache_dir).map_err(io_error(cache_dir))?;
                let partial = cache_dir.join(format!(".vmlinux-{release}.partial-{}", std::process::id()));
                fs::write(&partial, &out).map_err(io_error(&partial))?;
                fs::rename(&partial, &cached).map_err(io_error(&cached))?;
                return Ok(cached);
            }
            Ok(_) => {}
            Err(why) => last_failure = Some((compression.command[0], why)),
        }
    }
    Err(match last_failure {
        Some((tool, why)) => LinuxGuestError::Decompress { image: image.to_path_buf(), tool, why },
        None => LinuxGuestError::NoPayload { image: image.to_path_buf() },
    })
}

/// Runs the decompressor over `input`; its output, even when it complains
/// about what follows the stream, if it wrote an ELF file.
fn decompress(compression: Compression, input: &[u8]) -> Result<Vec<u8>, String> {
    let (tool, args) = compression.command.split_first().expect("a command");
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {tool}: {e}"))?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = input.to_vec();
    // Fed from a thread: the tool's output would fill its pipe otherwise.
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().map_err(|e| format!("{tool}: {e}"))?;
    let _ = feeder.join();
    if is_elf(&out.stdout) {
        return Ok(out.stdout);
    }
    Err(format!("{} ({})", out.status, String::from_utf8_lossy(&out.stderr).trim()))
}

/// The host's TSC in kHz, as Linux printed it in `/proc/cpuinfo`'s
/// `cpu MHz` (QEMU's TCG guest TSC is the host's).
pub fn host_tsc_khz() -> Option<u64> {
    parse_cpu_mhz_khz(&fs::read_to_string("/proc/cpuinfo").ok()?)
}

pub fn parse_cpu_mhz_khz(cpuinfo: &str) -> Option<u64> {
    let line = cpuinfo.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    (mhz > 0.0).then(|| (mhz * 1000.0).round() as u64)
}

/// What varies between the Linux guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinuxOptions {
    /// `mitigations=off`.
    pub mitigations_off: bool,
    /// The guest TSC in kHz, for `tsc_early_khz`.
    pub tsc_khz: u64,
}

/// The kernel command line that runs `programs` (each a command line:
/// guest path, then arguments) one after the other.
pub fn cmdline(options: LinuxOptions, programs: &[Vec<String>]) -> String {
    let mut words = vec![
        "console=ttyS0".to_string(),
        "earlyprintk=ttyS0".to_string(),
        "quiet".to_string(),
        "panic=-1".to_string(),
        format!("tsc_early_khz={}", options.tsc_khz),
        "tsc=reliable".to_string(),
    ];
    if options.mitigations_off {
        words.push("mitigations=off".to_string());
    }
    words.push(format!("rdinit={INIT_PATH}"));
    words.push("--".to_string());
    for (i, program) in programs.iter().enumerate() {
        if i > 0 {
            words.push(PROGRAM_SEPARATOR.to_string());
        }
        words.extend(program.iter().cloned());
    }
    words.join(" ")
}

/// The initramfs: bench_init, `programs` in /bin, empty /sys.
pub fn initramfs(bench_init: &Path, programs: &[&Path]) -> Result<Initramfs, LinuxGuestError> {
    let mut tree = Initramfs::new();
    tree.add_dir("/sys", 0o555).map_err(LinuxGuestError::Initramfs)?;
    for program in std::iter::once(&bench_init).chain(programs) {
        tree.add_program(program).map_err(LinuxGuestError::Initramfs)?;
    }
    Ok(tree)
}

/// `(name, text)` of each `bench_init: vulnerability NAME: TEXT` line.
pub fn vulnerabilities(serial: &str) -> Vec<(String, String)> {
    serial
        .lines()
        .filter_map(|l| l.trim_end().split_once(VULNERABILITY_PREFIX).map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once(": ").map(|(n, t)| (n.to_string(), t.to_string())))
        .collect()
}

/// The mitigations among `vulnerabilities`: the text of every entry that
/// says `Mitigation: ...` (without that prefix), with its name.
pub fn mitigations(vulnerabilities: &[(String, String)]) -> Vec<String> {
    vulnerabilities
        .iter()
        .filter_map(|(name, text)| text.strip_prefix("Mitigation: ").map(|m| format!("{name}: {m}")))
        .collect()
}

/// The clock source bench_init found in use.
pub fn clocksource(serial: &str) -> Option<&str> {
    serial.lines().find_map(|l| l.split_once(CLOCKSOURCE_PREFIX).map(|(_, name)| name.trim()))
}

/// The exit status of each program bench_init ran, in order.
pub fn exit_statuses(serial: &str) -> Vec<i32> {
    serial.lines().filter_map(|l| l.split_once(EXIT_STATUS_PREFIX).and_then(|(_, n)| n.trim().parse().ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_found_in_order() {
        let mut image = vec![0u8; 64];
        image.extend_from_slice(b"\x1f\x8b\x08\x00gz");
        image.extend_from_slice(b"\xfd7zXZ\x00xz");
        let found: Vec<_> = payload_candidates(&image).into_iter().map(|(at, c)| (at, c.name)).collect();
        assert_eq!(found, [(64, "gzip"), (70, "xz")]);
        assert!(payload_candidates(b"nothing here").is_empty());
    }

    #[test]
    fn a_real_payload_decompresses_to_elf() {
        // xz-utils is on every Debian system (dpkg depends on it).
        let mut child = Command::new("xz")
            .arg("-zc")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("xz: {e}: install xz-utils"));
        child.stdin.take().unwrap().write_all(b"\x7fELF rest of the kernel").unwrap();
        let compressed = child.wait_with_output().unwrap().stdout;
        let mut image = b"bzImage setup code".to_vec();
        image.extend_from_slice(&compressed);
        image.extend_from_slice(b"\x00\x10\x00\x00trailer");
        let (at, c) = payload_candidates(&image)[0];
        assert_eq!(c.name, "xz");
        assert_eq!(decompress(c, &image[at..]).unwrap(), b"\x7fELF rest of the kernel");
    }

    #[test]
    fn versions_compare_as_numbers() {
        let mut names = vec!["vmlinuz-6.1.0-10-amd64", "vmlinuz-6.1.0-9-amd64", "vmlinuz-5.10.0-30-amd64"];
        names.sort_by(|a, b| version_order(a, b));
        assert_eq!(names, ["vmlinuz-5.10.0-30-amd64", "vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-10-amd64"]);
    }

    #[test]
    fn no_kernel_says_how_to_get_one() {
        let dir = std::env::temp_dir().join(format!("ringo-noboot-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let err = installed_kernel(&dir).unwrap_err();
        assert!(err.to_string().contains("linux-image-amd64 is not installed"), "{err}");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn cpu_mhz_becomes_khz() {
        assert_eq!(parse_cpu_mhz_khz("model name\t: X\ncpu MHz\t\t: 2445.406\n"), Some(2_445_406));
        assert_eq!(parse_cpu_mhz_khz("model name\t: X\n"), None);
    }

    #[test]
    fn cmdline_runs_the_programs_in_turn() {
        let options = LinuxOptions { mitigations_off: true, tsc_khz: 1_000_000 };
        let programs = vec![
            vec!["/bin/syscall_cost".to_string(), "100".to_string()],
            vec!["/bin/file".to_string(), "5".to_string()],
        ];
        assert_eq!(
            cmdline(options, &programs),
            "console=ttyS0 earlyprintk=ttyS0 quiet panic=-1 tsc_early_khz=1000000 tsc=reliable mitigations=off rdinit=/bin/bench_init \
             -- /bin/syscall_cost 100 ; /bin/file 5"
        );
        let shipped = LinuxOptions { mitigations_off: false, tsc_khz: 2_445_406 };
        assert!(!cmdline(shipped, &[]).contains("mitigations"));
    }

    #[test]
    fn init_lines_are_read_back() {
        let serial = "[    0.6] PCI: Fatal\nbench_init: start\n\
                      bench_init: vulnerability spectre_v2: Mitigation: Retpolines; STIBP: disabled\n\
                      bench_init: vulnerability mds: Not affected\n\
                      bench_init: vulnerability spectre_v1: Mitigation: usercopy/swapgs barriers\n\
                      bench_init: clocksource tsc\nhello\nbench_init: exit status 3\n";
        let v = vulnerabilities(serial);
        assert_eq!(v.len(), 3);
        assert_eq!(v[1], ("mds".to_string(), "Not affected".to_string()));
        assert_eq!(
            mitigations(&v),
            ["spectre_v2: Retpolines; STIBP: disabled", "spectre_v1: usercopy/swapgs barriers"]
        );
        assert_eq!(exit_statuses(serial), [3]);
        assert_eq!(clocksource(serial), Some("tsc"));
        assert_eq!(clocksource("bench_init: start\n"), None);
        assert_eq!(exit_statuses("bench_init: exit status 0\nbench_init: exit status 1\n"), [0, 1]);
        assert!(exit_statuses("bench_init: start\n").is_empty());
    }
}
