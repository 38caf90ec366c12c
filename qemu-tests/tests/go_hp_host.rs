//! The Go runtime patch for Ringo's HP mode (hp/go/), proved on the host:
//! - `natively`: each Go program in qemu-tests/programs/go/, built with
//!   the patched GOROOT, passes on plain Linux, where there is no
//!   AT_RINGO_VTABLE and every site must fall back to SYSCALL;
//! - `hp_loader`: the same binary under hp/test-loader.c, which passes an
//!   AT_RINGO_VTABLE whose entries count themselves, passes too and
//!   reports many vtable calls, so the sites really call the table
//!   (clone, exit by JMP and rt_sigreturn included);
//! - the patch itself: every SYSCALL in the patched files is behind the
//!   macros, and build.sh is idempotent and says what is missing.
//!
//! No QEMU involved.

use std::fs;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use goblin::elf::Elf;
use qemu_tests::go_hp;
use qemu_tests::guest_test::FAIL_MARKER;
use qemu_tests::host_process::HostProcess;
use qemu_tests::http_client::{self, Connection};
use qemu_tests::initramfs::busybox::BUSYBOX;
use qemu_tests::sha256::sha256_hex;

/// The files with system calls the patch routes through the vtable,
/// relative to GOROOT, and how many SYSCALL sites each has in Go 1.23.
const PATCHED_FILES: [(&str, usize); 4] = [
    ("src/runtime/sys_linux_amd64.s", 40),
    ("src/runtime/time_linux_amd64.s", 2),
    ("src/internal/runtime/syscall/asm_linux_amd64.s", 1),
    ("src/syscall/asm_linux_amd64.s", 3),
];
/// The one place a SYSCALL instruction may be spelled out.
const MACRO_HEADER: &str = "src/runtime/ringo_hp_amd64.h";
/// Every Go program makes at least this many system calls before main
/// (arch_prctl, signal setup for each signal, mmaps, sched_getaffinity,
/// thread creation).
const MIN_VTABLE_CALLS: u64 = 100;
/// `file` writes this many times by default (its defaultCount).
const FILE_WRITES: u64 = 100_000;

fn args_for(name: &str) -> Vec<String> {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    match name {
        "numcpu" => vec![cpus.to_string()],
        "exec" => vec![BUSYBOX.to_string()],
        // A net/http client and server in one process, over loopback.
        "httpclient" => vec!["loopback".to_string()],
        _ => Vec::new(),
    }
}

fn output_of(command: &mut Command) -> Output {
    command.output().unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn report(name: &str, out: &Output) -> String {
    format!(
        "{name}: {}\n--- stdout\n{}--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The program's last line is `NAME: ok`, nothing failed, it exited 0.
fn assert_program_ok(name: &str, out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = report(name, out);
    assert!(!stdout.contains(FAIL_MARKER) && !stderr.contains(FAIL_MARKER), "failed checks: {report}");
    assert_eq!(stdout.lines().last(), Some(format!("{name}: ok").as_str()), "{report}");
    assert_eq!(out.status.code(), Some(0), "{report}");
}

/// (vtable calls, clones) from the loader's line on stderr.
fn vtable_counts(name: &str, out: &Output) -> (u64, u64) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("test-loader: "))
        .unwrap_or_else(|| panic!("no count from the loader: {}", report(name, out)));
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        [calls, "vtable", "calls,", clones, "clones"] => (
            calls.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
            clones.parse().unwrap_or_else(|e| panic!("{line}: {e}")),
        ),
        _ => panic!("unexpected loader line {line:?}"),
    }
}

fn natively(name: &str) {
    let out = output_of(Command::new(go_hp::go(name)).args(args_for(name)));
    assert_program_ok(name, &out);
}

fn under_the_hp_loader(name: &str) -> Output {
    output_of(Command::new(go_hp::loader()).arg(go_hp::go(name)).args(args_for(name)))
}

fn hp_loader(name: &str) {
    let out = under_the_hp_loader(name);
    assert_program_ok(name, &out);
    let (calls, clones) = vtable_counts(name, &out);
    let least = if name == "file" { FILE_WRITES } else { MIN_VTABLE_CALLS };
    assert!(calls >= least, "{name}: only {calls} vtable calls (want >= {least}): {}", report(name, &out));
    // sysmon alone is a thread of its own.
    assert!(clones >= 1, "{name}: no thread was created through the vtable: {}", report(name, &out));
}

/// HP mode has one app and no execve: os/exec must fail cleanly with
/// ENOSYS through the vfork-style clone entry, not crash or hang.
fn exec_under_the_hp_loader_reports_enosys() {
    let out = under_the_hp_loader("exec");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = report("exec", &out);
    assert!(stderr.contains("fork/exec /bin/busybox: function not implemented"), "{report}");
    assert_eq!(out.status.code(), Some(1), "a clean failure, not a signal: {report}");
    let (calls, _) = vtable_counts("exec", &out);
    assert!(calls >= MIN_VTABLE_CALLS, "{report}");
}

/// `mod NAME { natively, hp_loader }` per Go program.
macro_rules! go_programs {
    ($($module:ident => $name:literal),* $(,)?) => {
        $(
            mod $module {
                #[test]
                fn natively() {
                    super::natively($name);
                }

                #[test]
                fn hp_loader() {
                    if $name == "exec" {
                        super::exec_under_the_hp_loader_reports_enosys();
                    } else {
                        super::hp_loader($name);
                    }
                }
            }
        )*

        /// Every program in qemu-tests/programs/go/ has its tests here
        /// (httpserver, which serves until told to quit, separately).
        #[test]
        fn every_go_program_is_tested() {
            let mut tested = vec![$($name),*, "httpserver"];
            tested.sort();
            assert_eq!(go_hp::go_names(), tested, "Go programs vs. tests here");
        }
    };
}

go_programs! {
    go_goroutines => "goroutines",
    go_timers => "timers",
    go_cpubound => "cpubound",
    go_preempt => "preempt",
    go_profile => "profile",
    go_fileio => "fileio",
    go_exec => "exec",
    go_nilpanic => "nilpanic",
    go_numcpu => "numcpu",
    go_file => "file",
    go_server => "server",
    go_httpclient => "httpclient",
}

/// The web server under the HP loader: its netpoller (epoll, accept4,
/// non-blocking reads and writes) goes through the vtable and serves this
/// crate's client; then `/quit` ends it with `httpserver: ok`.
#[test]
fn httpserver_serves_under_the_hp_loader() {
    const BIG: usize = 1 << 20;
    let wait = Duration::from_secs(60);
    let mut command = Command::new(go_hp::loader());
    command.arg(go_hp::go("httpserver")).arg("127.0.0.1:0");
    let server = HostProcess::spawn(command);
    let line = server
        .wait_for_line("listening on 127.0.0.1:", wait)
        .unwrap_or_else(|| panic!("the server did not start: {}", server.stdout_so_far()));
    let port: u16 = line.rsplit(':').next().and_then(|p| p.parse().ok()).expect("a port");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut connection = Connection::connect(addr).expect("connecting");
    let hello = connection.get("/").expect("GET /");
    assert_eq!((hello.status, hello.text().as_str()), (200, "hello from ringo\n"));
    let big = connection.get(&format!("/big?n={BIG}")).expect("GET /big");
    assert_eq!(sha256_hex(&big.body), sha256_hex(&http_client::pattern(BIG)), "/big's bytes");
    let upload: Vec<u8> = (0..BIG).map(|i| (i % 256) as u8).collect();
    assert_eq!(connection.post("/upload", &upload).expect("POST /upload").body, upload, "the echo");
    assert_eq!(http_client::get(addr, "/quit").expect("GET /quit").text(), "bye\n");
    let ended = server.wait(wait);
    let out = Output {
        status: ended.status.unwrap_or_else(|| panic!("the server did not end: {ended:?}")),
        stdout: ended.stdout.into_bytes(),
        stderr: ended.stderr.into_bytes(),
    };
    assert_program_ok("httpserver", &out);
    let (calls, clones) = vtable_counts("httpserver", &out);
    assert!(calls >= MIN_VTABLE_CALLS && clones >= 1, "{}", report("httpserver", &out));
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn syscall_instructions(text: &str) -> usize {
    text.lines().filter(|l| l.split("//").next().unwrap_or("").split_whitespace().next() == Some("SYSCALL")).count()
}

/// The patched tree routes every SYSCALL site through a macro, and the
/// site counts match what the patch was written against.
#[test]
fn every_syscall_site_is_patched() {
    let goroot = go_hp::goroot();
    for (file, sites) in PATCHED_FILES {
        let text = read(&goroot.join(file));
        assert_eq!(syscall_instructions(&text), 0, "{file} still has a bare SYSCALL");
        let macros = text.lines().filter(|l| l.trim_start().starts_with("RINGO_SYSCALL")).count();
        assert_eq!(macros, sites, "{file}: RINGO_SYSCALL sites");
        let original = read(&Path::new("/usr/lib/go-1.23").join(file));
        assert_eq!(syscall_instructions(&original), sites, "Debian's {file}: SYSCALL sites");
    }
    assert_eq!(syscall_instructions(&read(&goroot.join(MACRO_HEADER))), 3, "one SYSCALL per macro");
}

/// The binaries come from the patched runtime, not Debian's.
#[test]
fn the_programs_carry_the_patched_runtime() {
    for name in ["goroutines", "file"] {
        let bytes = fs::read(go_hp::go(name)).expect("reading the build");
        let elf = Elf::parse(&bytes).expect("an ELF");
        let names: Vec<&str> = elf.syms.iter().filter_map(|s| elf.strtab.get_at(s.st_name)).collect();
        for symbol in ["runtime.ringo_vtable", "runtime.ringo_call", "runtime.ringo_jmp"] {
            assert!(names.contains(&symbol), "{name} lacks {symbol}");
        }
        assert_eq!(elf.header.e_type, goblin::elf::header::ET_EXEC, "{name}: the loader needs a fixed-address ELF");
    }
}

/// A second run with the same patch leaves the tree alone.
#[test]
fn build_sh_does_nothing_when_the_patch_is_unchanged() {
    let goroot = go_hp::goroot();
    let stamp = goroot.join(go_hp::STAMP);
    let before = fs::metadata(&stamp).and_then(|m| m.modified()).expect("the stamp");
    let paths = go_hp::paths();
    let out = output_of(Command::new("bash").arg(paths.root.join(go_hp::BUILD_SCRIPT)).arg(&goroot));
    assert!(out.status.success(), "{}", report("build.sh", &out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), goroot.to_string_lossy(), "prints the GOROOT");
    assert!(out.stderr.is_empty(), "a rebuild was announced: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(fs::metadata(&stamp).and_then(|m| m.modified()).expect("the stamp"), before);
    let sha = output_of(Command::new("sha256sum").arg(paths.root.join(go_hp::PATCH)));
    let patch_hash = String::from_utf8_lossy(&sha.stdout).split_whitespace().next().unwrap_or("").to_string();
    assert_eq!(read(&stamp).trim(), patch_hash, "the stamp holds the patch's hash");
}

/// Without golang-1.23-src, build.sh stops and names the package.
#[test]
fn build_sh_names_the_missing_source_package() {
    let base = std::env::temp_dir().join(format!("ringo-go-hp-nosrc-{}", std::process::id()));
    let bin = base.join("bin");
    fs::create_dir_all(&bin).expect("a fake GOROOT");
    std::os::unix::fs::symlink("/usr/lib/go-1.23/bin/go", bin.join("go")).expect("linking go");
    let out_dir = base.join("out");
    let out = output_of(
        Command::new("bash").arg(go_hp::paths().root.join(go_hp::BUILD_SCRIPT)).arg(&out_dir).env("GO_HP_BASE", &base),
    );
    let _ = fs::remove_dir_all(&base);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{}", report("build.sh", &out));
    assert!(stderr.contains("golang-1.23-src"), "{stderr}");
    assert!(!out_dir.exists(), "nothing is built");
}
