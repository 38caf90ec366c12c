//! Sockets with real clients and servers on both ends (issue 12): the
//! guest's programs serve the host through QEMU's user network (the host
//! reaches a guest port through a `-p` forward on 127.0.0.1; the guest
//! reaches the host's 127.0.0.1 as the gateway, 10.0.2.2), and talk to
//! themselves over loopback.
//!
//! - `go_httpserver`: programs/go/httpserver in the guest (normal and HP
//!   mode, 1 and 2 CPUs), fetched by curl, by this crate's HTTP client
//!   (keep-alive requests, new connections, a 20 MiB download checked by
//!   SHA-256, a 20 MiB upload echoed back) and by wrk, which must see no
//!   errors; the rates are printed (`--nocapture`), never asserted;
//! - `go_httpclient`: programs/go/httpclient in the guest fetching from
//!   the same server run on the host, and in its loopback mode (a Go
//!   client and server in one guest);
//! - `busybox`: Debian's busybox-static: `wget` and `nc` against host
//!   peers, `httpd` fetched from the host and from the guest's own wget;
//! - `c_servers`: programs/c/epoll_echo with 64 concurrent host
//!   connections, every byte echoed; programs/c/udp_echo answering
//!   10,000 datagrams, the loss reported (slirp may drop a few);
//! - `unix`: programs/c/unix_sockets in the guest.
//!
//! Every test that makes sense natively has a `natively` twin running the
//! same program on the host with the same client code, so a guest failure
//! is known not to be the program's.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use qemu_tests::guest_test::{GuestRun, Interactive, busybox, program};
use qemu_tests::host_process::{HostProcess, free_port, run_with_timeout};
use qemu_tests::http_client::{self, Connection};
use qemu_tests::initramfs::busybox::{BUSYBOX, PROMPT_IN_ROOT};
use qemu_tests::net::{Net, PortForward, Proto};
use qemu_tests::sha256::sha256_hex;
use qemu_tests::{go_hp, test_programs, wrk};

/// The boot to the program's first line (TCG on a loaded machine).
const BOOT: Duration = Duration::from_secs(90);
/// Each later console step.
const STEP: Duration = Duration::from_secs(60);
/// A whole non-interactive guest run.
const RUN_SECS: u64 = 180;
/// A native program's start and end.
const NATIVE: Duration = Duration::from_secs(60);
/// Enough for a 20 MiB body held twice by the Go server.
const GUEST_MIB: u64 = 512;
/// The user network's gateway, as the guest sees the host.
const GATEWAY: &str = "10.0.2.2";

const HTTP_PORT: u16 = 8080;
const ECHO_PORT: u16 = 7000;
const UDP_PORT: u16 = 7001;

/// The HTTP workload: sized for TCG (5-12x slower than the host).
const KEEP_ALIVE_REQUESTS: usize = 1000;
const NEW_CONNECTIONS: usize = 200;
const TRANSFER: usize = 20 << 20;
const WRK_THREADS: u32 = 2;
const WRK_CONNECTIONS: u32 = 32;
const WRK_DURATION: Duration = Duration::from_secs(5);
/// What the Go client fetches from `/big`.
const CLIENT_BIG: usize = 4 << 20;

/// What httpdemo answers (programs/go/internal/httpdemo).
const HELLO: &str = "hello from ringo\n";
const BYE: &str = "bye\n";

/// The epoll server's load: connections at once, bytes each way on each.
const ECHO_CONNECTIONS: usize = 64;
const ECHO_BYTES: usize = 128 * 1024;
/// The UDP server's load, how many may be in flight, the least share
/// that must come back (slirp may drop a few), and how long to wait for
/// the stragglers.
const UDP_REQUESTS: u32 = 10_000;
const UDP_WINDOW: usize = 16;
const UDP_FLOOR: f64 = 0.99;
const UDP_WAIT: Duration = Duration::from_secs(2);

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn user_net(forwards: Vec<PortForward>) -> Net {
    Net::User { forwards }
}

/// A guest booted interactively, at the line `ready` its program prints
/// once it serves.
fn started(boot: qemu_tests::guest_test::Boot, ready: &str) -> Interactive {
    let mut guest = boot.memory_mib(GUEST_MIB).interactive();
    guest.step_timeout(BOOT).expect(ready);
    guest.step_timeout(STEP);
    guest
}

/// The port in a line ending in `:PORT` or ` PORT`.
fn port_in(line: &str) -> u16 {
    line.rsplit([':', ' ']).next().and_then(|p| p.trim().parse().ok()).unwrap_or_else(|| panic!("no port in {line:?}"))
}

// ---------------------------------------------------------------------
// The HTTP workload, the same against a guest and a native server.

/// Figures for the report; no test asserts on them.
#[derive(Default)]
struct Figures(Vec<String>);

impl Figures {
    fn rate(&mut self, what: &str, count: usize, unit: &str, took: Duration) {
        let per_sec = count as f64 / took.as_secs_f64().max(1e-9);
        self.0.push(format!("{what}: {count} {unit} in {took:.2?} ({per_sec:.1} {unit}/s)"));
    }

    fn print(&self, title: &str) {
        println!("--- {title}");
        for line in &self.0 {
            println!("  {line}");
        }
    }
}

/// The bytes the uploads send: not the download's pattern, so an echo
/// cannot pass by coming from the wrong place.
fn upload_body(n: usize) -> Vec<u8> {
    let mut x: u32 = 0x1234_5678;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn first_difference(a: &[u8], b: &[u8]) -> String {
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => format!("first difference at byte {i} ({} vs {})", a[i], b[i]),
        None => format!("lengths {} vs {}", a.len(), b.len()),
    }
}

/// curl fetches `/`.
fn curl_hello(addr: SocketAddr) -> Result<(), String> {
    let mut curl = Command::new("curl");
    curl.args(["-sS", "--max-time", "60"]).arg(format!("http://{addr}/"));
    let ended =
        run_with_timeout(curl, Duration::from_secs(90)).map_err(|e| format!("curl: {e}: run ./scripts/setup.sh"))?;
    if !ended.succeeded() || ended.stdout != HELLO.trim_end() {
        return Err(format!("curl {addr}/: {:?}, stdout {:?}, stderr {:?}", ended.status, ended.stdout, ended.stderr));
    }
    Ok(())
}

/// Everything the Go server must stand: see the module comment.
fn exercise_http_server(addr: SocketAddr) -> Result<Figures, String> {
    let mut figures = Figures::default();
    curl_hello(addr)?;

    let started = Instant::now();
    let mut keep_alive = Connection::connect(addr).map_err(|e| format!("connecting to {addr}: {e}"))?;
    for i in 0..KEEP_ALIVE_REQUESTS {
        let r = keep_alive.get("/").map_err(|e| format!("keep-alive request {i}: {e}"))?;
        if r.status != 200 || r.text() != HELLO || keep_alive.is_closed() {
            return Err(format!(
                "keep-alive request {i}: {} {:?} (closed: {})",
                r.status,
                r.text(),
                keep_alive.is_closed()
            ));
        }
    }
    figures.rate("keep-alive", KEEP_ALIVE_REQUESTS, "requests", started.elapsed());

    let started = Instant::now();
    for i in 0..NEW_CONNECTIONS {
        let mut c = Connection::connect(addr).map_err(|e| format!("new connection {i}: {e}"))?;
        let r =
            c.request("GET", "/", &[("Connection", "close")], &[]).map_err(|e| format!("new connection {i}: {e}"))?;
        if r.status != 200 || r.text() != HELLO {
            return Err(format!("new connection {i}: {} {:?}", r.status, r.text()));
        }
    }
    figures.rate("new connections", NEW_CONNECTIONS, "connections", started.elapsed());

    let expected = http_client::pattern(TRANSFER);
    let started = Instant::now();
    let r = keep_alive.get(&format!("/big?n={TRANSFER}")).map_err(|e| format!("the {TRANSFER}-byte download: {e}"))?;
    let took = started.elapsed();
    if r.status != 200 || sha256_hex(&r.body) != sha256_hex(&expected) {
        return Err(format!("the download: status {}, {}", r.status, first_difference(&r.body, &expected)));
    }
    figures.rate("download (20 MiB, SHA-256 checked)", TRANSFER >> 20, "MiB", took);

    let body = upload_body(TRANSFER);
    let started = Instant::now();
    let r = keep_alive.post("/upload", &body).map_err(|e| format!("the {TRANSFER}-byte upload: {e}"))?;
    let took = started.elapsed();
    if r.status != 200 || sha256_hex(&r.body) != sha256_hex(&body) {
        return Err(format!("the upload's echo: status {}, {}", r.status, first_difference(&r.body, &body)));
    }
    figures.rate("upload and echo (20 MiB each way)", TRANSFER >> 20, "MiB", took);

    let report = wrk::run(&format!("http://{addr}/"), WRK_THREADS, WRK_CONNECTIONS, WRK_DURATION)?;
    if report.errors() != 0 || report.requests == 0 {
        return Err(format!("wrk: {report:?}"));
    }
    figures.0.push(format!(
        "wrk -t{WRK_THREADS} -c{WRK_CONNECTIONS} -d{}s: {} requests, {:.1} requests/s, {}/s, no errors",
        WRK_DURATION.as_secs(),
        report.requests,
        report.requests_per_sec,
        report.transfer_per_sec
    ));
    Ok(figures)
}

/// `/quit`: the server answers, then ends by itself.
fn quit(addr: SocketAddr) -> Result<(), String> {
    let r = http_client::get(addr, "/quit").map_err(|e| format!("/quit: {e}"))?;
    if r.status != 200 || r.text() != BYE {
        return Err(format!("/quit: {} {:?}", r.status, r.text()));
    }
    Ok(())
}

/// The requests a finished httpserver says it answered.
fn answered(line: &str) -> u64 {
    line.split("answered ").nth(1).and_then(|r| r.split(' ').next()?.parse().ok()).unwrap_or(0)
}

/// (vtable calls, syscall instructions, int 0x80) from the kernel's HP line.
fn hp_counts(run: &GuestRun) -> (u64, u64, u64) {
    let line = run.line_containing("ringo: hp: ");
    let numbers: Vec<u64> =
        line["ringo: hp: ".len()..].split(", ").filter_map(|part| part.split(' ').next()?.parse().ok()).collect();
    match numbers.as_slice() {
        [vtable, insns, int80] => (*vtable, *insns, *int80),
        _ => run.fail(format!("cannot read the counts in `{line}`")),
    }
}

/// The Go server binary: the HP build works in both modes, the plain one
/// in normal mode.
fn go_binary(name: &str, hp: bool) -> PathBuf {
    if hp { go_hp::go(name) } else { test_programs::go(name) }
}

/// A native httpserver on a free port of 127.0.0.1, and that port.
fn native_http_server(binary: PathBuf) -> (HostProcess, u16) {
    let mut command = Command::new(binary);
    command.arg("127.0.0.1:0");
    let server = HostProcess::spawn(command);
    let Some(line) = server.wait_for_line("listening on 127.0.0.1:", NATIVE) else {
        panic!("{} did not start: {}", server.describe(), server.stdout_so_far());
    };
    (server, port_in(&line))
}

/// After `/quit`: the native server ended with `httpserver: ok`.
fn expect_native_server_ok(server: HostProcess) -> u64 {
    let ended = server.wait(NATIVE);
    let report = format!("{ended:?}");
    assert!(ended.succeeded(), "the native server: {report}");
    assert_eq!(ended.stdout.lines().last(), Some("httpserver: ok"), "{report}");
    assert!(!ended.stderr.contains("FAIL:"), "{report}");
    ended.stdout.lines().find(|l| l.contains("answered ")).map(answered).unwrap_or(0)
}

mod go_httpserver {
    use super::*;

    fn in_the_guest(hp: bool, cpus: u32) {
        let host_port = free_port(Proto::Tcp);
        let boot = program(go_binary("httpserver", hp))
            .args([HTTP_PORT.to_string()])
            .net(user_net(vec![PortForward::tcp(host_port, HTTP_PORT)]))
            .smp(cpus)
            .hp(hp);
        let mut guest = started(boot, &format!("listening on :{HTTP_PORT}"));
        let addr = localhost(host_port);
        let figures = exercise_http_server(addr).unwrap_or_else(|e| guest.fail(e));
        quit(addr).unwrap_or_else(|e| guest.fail(e));
        guest.expect("httpserver: answered ");
        let run = guest.finish();
        run.expect_program_ok("httpserver");
        let served = answered(run.line_containing("httpserver: answered "));
        let least = (1 + KEEP_ALIVE_REQUESTS + NEW_CONNECTIONS + 3) as u64;
        run.check(served >= least, format!("the server answered {served} requests, fewer than the {least} sent"));
        if hp {
            let (vtable, insns, int80) = hp_counts(&run);
            run.check(
                insns == 0 && int80 == 0,
                format!("{insns} syscall instructions and {int80} int 0x80 in HP mode"),
            );
            run.check(vtable > 1000, format!("only {vtable} vtable calls"));
        }
        figures.print(&format!("Go net/http in the guest, {} mode, {cpus} CPU(s)", if hp { "HP" } else { "normal" }));
    }

    #[test]
    fn normal_smp_1() {
        in_the_guest(false, 1);
    }

    #[test]
    fn normal_smp_2() {
        in_the_guest(false, 2);
    }

    #[test]
    fn hp_smp_1() {
        in_the_guest(true, 1);
    }

    #[test]
    fn hp_smp_2() {
        in_the_guest(true, 2);
    }

    fn on_the_host(binary: PathBuf, what: &str) {
        let (server, port) = native_http_server(binary);
        let addr = localhost(port);
        let figures = exercise_http_server(addr).unwrap_or_else(|e| panic!("{e}"));
        quit(addr).unwrap_or_else(|e| panic!("{e}"));
        let served = expect_native_server_ok(server);
        assert!(served >= (KEEP_ALIVE_REQUESTS + NEW_CONNECTIONS) as u64, "answered only {served}");
        figures.print(what);
    }

    #[test]
    fn natively() {
        on_the_host(test_programs::go("httpserver"), "Go net/http on the host");
    }

    /// The HP build on plain Linux: the patched runtime's fallback.
    #[test]
    fn hp_build_natively() {
        on_the_host(go_hp::go("httpserver"), "Go net/http (HP build) on the host");
    }
}

// ---------------------------------------------------------------------
// The Go client.

/// The lines httpclient prints for `/` and `/big?n=CLIENT_BIG`.
fn client_lines() -> [String; 2] {
    [
        format!("status 200 length {} sha256 {}", HELLO.len(), sha256_hex(HELLO.as_bytes())),
        format!("status 200 length {CLIENT_BIG} sha256 {}", sha256_hex(&http_client::pattern(CLIENT_BIG))),
    ]
}

fn client_urls(host: &str, port: u16) -> Vec<String> {
    vec![format!("http://{host}:{port}/"), format!("http://{host}:{port}/big?n={CLIENT_BIG}")]
}

mod go_httpclient {
    use super::*;

    /// The guest's client fetches from a native server on the host.
    fn from_the_host(hp: bool) {
        let (server, port) = native_http_server(test_programs::go("httpserver"));
        let run = program(go_binary("httpclient", hp))
            .args(client_urls(GATEWAY, port))
            .net(user_net(Vec::new()))
            .hp(hp)
            .memory_mib(GUEST_MIB)
            .timeout_secs(RUN_SECS)
            .run();
        quit(localhost(port)).unwrap_or_else(|e| run.fail(e));
        run.expect_program_ok("httpclient");
        for line in client_lines() {
            run.line_containing(&line);
        }
        let served = expect_native_server_ok(server);
        run.check(served == 3, format!("the host's server answered {served} requests, not 2 and /quit"));
    }

    #[test]
    fn normal_fetches_from_the_host() {
        from_the_host(false);
    }

    #[test]
    fn hp_fetches_from_the_host() {
        from_the_host(true);
    }

    #[test]
    fn natively_fetches_from_the_host() {
        let (server, port) = native_http_server(test_programs::go("httpserver"));
        let mut command = Command::new(test_programs::go("httpclient"));
        command.args(client_urls("127.0.0.1", port));
        let ended = run_with_timeout(command, NATIVE).expect("running httpclient");
        quit(localhost(port)).unwrap_or_else(|e| panic!("{e}"));
        assert!(ended.succeeded(), "{ended:?}");
        assert_eq!(ended.stdout.lines().last(), Some("httpclient: ok"), "{ended:?}");
        for line in client_lines() {
            assert!(ended.stdout.lines().any(|l| l == line), "no {line:?} in {ended:?}");
        }
        assert_eq!(expect_native_server_ok(server), 3);
    }

    /// A Go client and server in one guest, over 127.0.0.1 (no card).
    fn loopback(hp: bool, cpus: u32) {
        let run = program(go_binary("httpclient", hp))
            .args(["loopback"])
            .smp(cpus)
            .hp(hp)
            .memory_mib(GUEST_MIB)
            .timeout_secs(RUN_SECS)
            .run();
        run.expect_program_ok("httpclient");
        run.line_containing("httpclient: the server answered ");
    }

    #[test]
    fn loopback_normal_smp_1() {
        loopback(false, 1);
    }

    #[test]
    fn loopback_normal_smp_2() {
        loopback(false, 2);
    }

    #[test]
    fn loopback_hp_smp_2() {
        loopback(true, 2);
    }

    #[test]
    fn loopback_natively() {
        let mut command = Command::new(test_programs::go("httpclient"));
        command.arg("loopback");
        let ended = run_with_timeout(command, NATIVE).expect("running httpclient");
        assert!(ended.succeeded(), "{ended:?}");
        assert_eq!(ended.stdout.lines().last(), Some("httpclient: ok"), "{ended:?}");
    }
}

// ---------------------------------------------------------------------
// busybox.

/// The busybox image's shell at its first prompt.
fn shell(net: Net) -> Interactive {
    let mut shell = busybox().net(net).memory_mib(GUEST_MIB).interactive();
    shell.step_timeout(BOOT).expect(PROMPT_IN_ROOT);
    shell.step_timeout(STEP);
    shell
}

/// Runs `command` in the shell and waits for its status line: the typed
/// line says `@''st`, only the output `@st N`.
#[track_caller]
fn run_in_shell(shell: &mut Interactive, command: &str, status: u8) {
    shell.send(&format!("{command}; echo @''st $?\n")).expect(&format!("@st {status}")).expect(PROMPT_IN_ROOT);
}

fn exit_shell(mut shell: Interactive) {
    shell.send("exit 0\n");
    let run = shell.finish();
    run.expect_init_exit(0);
    run.check(!run.serial().contains("KERNEL"), "the kernel faulted");
}

/// A 64-hex-digit word on a line of `text` that ends with `name`.
fn digest_for(text: &str, name: &str) -> Option<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.ends_with(name))
        .filter_map(|l| l.split_whitespace().next())
        .find(|w| w.len() == 64 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .map(str::to_string)
}

/// A host TCP peer for nc: accepts one connection within `timeout`,
/// reads a line, answers `reply` and closes; sends back what it read.
fn line_peer(reply: &'static str, timeout: Duration) -> (u16, mpsc::Receiver<Result<String, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding the peer");
    let port = listener.local_addr().expect("the peer's address").port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let result = (|| {
            listener.set_nonblocking(true).map_err(|e| e.to_string())?;
            let deadline = Instant::now() + timeout;
            let mut stream = loop {
                match listener.accept() {
                    Ok((stream, _)) => break stream,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                        thread::sleep(Duration::from_millis(20))
                    }
                    Err(e) => return Err(format!("no connection: {e}")),
                }
            };
            stream.set_nonblocking(false).map_err(|e| e.to_string())?;
            stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
            let mut got = Vec::new();
            let mut byte = [0u8; 1];
            while !got.ends_with(b"\n") {
                match stream.read(&mut byte) {
                    Ok(0) => break,
                    Ok(_) => got.push(byte[0]),
                    Err(e) => return Err(format!("reading: {e}")),
                }
            }
            stream.write_all(reply.as_bytes()).map_err(|e| e.to_string())?;
            let _ = stream.shutdown(Shutdown::Both);
            Ok(String::from_utf8_lossy(&got).into_owned())
        })();
        let _ = tx.send(result);
    });
    (port, rx)
}

const NC_SENT: &str = "ping from nc\n";
const NC_REPLY: &str = "pong from the host\n";
const HTTPD_TEXT: &str = "hello from busybox httpd\n";
const HTTPD_BIG: usize = 1 << 20;

/// GET `path` from a server that may still be starting (slirp accepts
/// the host's connection before the guest has answered), a few times.
fn get_with_retries(addr: SocketAddr, path: &str) -> Result<http_client::Response, String> {
    let mut last = String::new();
    for _ in 0..10 {
        match http_client::get(addr, path) {
            Ok(r) => return Ok(r),
            Err(e) => last = e.to_string(),
        }
        thread::sleep(Duration::from_secs(1));
    }
    Err(format!("GET {path} from {addr}: {last}"))
}

/// busybox httpd's pages, fetched by this crate's client and curl.
fn check_httpd(addr: SocketAddr, big_digest: &str) -> Result<(), String> {
    let r = get_with_retries(addr, "/index.html")?;
    if r.status != 200 || r.text() != HTTPD_TEXT {
        return Err(format!("/index.html: {} {:?}", r.status, r.text()));
    }
    let r = get_with_retries(addr, "/big")?;
    if r.status != 200 || r.body.len() != HTTPD_BIG || sha256_hex(&r.body) != big_digest {
        return Err(format!("/big: status {}, {} bytes, SHA-256 {}", r.status, r.body.len(), sha256_hex(&r.body)));
    }
    let mut curl = Command::new("curl");
    curl.args(["-sS", "--max-time", "60"]).arg(format!("http://{addr}/index.html"));
    let ended = run_with_timeout(curl, Duration::from_secs(90)).map_err(|e| format!("curl: {e}"))?;
    if !ended.succeeded() || ended.stdout != HTTPD_TEXT.trim_end() {
        return Err(format!("curl: {ended:?}"));
    }
    Ok(())
}

mod busybox_tools {
    use super::*;

    #[test]
    fn wget_fetches_from_the_host() {
        let (server, port) = native_http_server(test_programs::go("httpserver"));
        let mut shell = shell(user_net(Vec::new()));
        shell.send(&format!("wget -q -O - http://{GATEWAY}:{port}/\n")).expect(HELLO.trim_end()).expect(PROMPT_IN_ROOT);
        let big = 1 << 20;
        run_in_shell(&mut shell, &format!("wget -q -O /tmp/big 'http://{GATEWAY}:{port}/big?n={big}'"), 0);
        run_in_shell(&mut shell, "sha256sum /tmp/big", 0);
        let digest = digest_for(&shell.transcript(), "/tmp/big");
        let expected = sha256_hex(&http_client::pattern(big));
        if digest.as_deref() != Some(expected.as_str()) {
            shell.fail(format!("the guest's copy has SHA-256 {digest:?}, not {expected}"));
        }
        exit_shell(shell);
        quit(localhost(port)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(expect_native_server_ok(server), 3);
    }

    #[test]
    fn wget_natively() {
        let (server, port) = native_http_server(test_programs::go("httpserver"));
        let mut command = Command::new(BUSYBOX);
        command.args(["wget", "-q", "-O", "-"]).arg(format!("http://127.0.0.1:{port}/"));
        let ended = run_with_timeout(command, NATIVE).expect("running busybox wget");
        quit(localhost(port)).unwrap_or_else(|e| panic!("{e}"));
        assert!(ended.succeeded() && ended.stdout == HELLO.trim_end(), "{ended:?}");
        expect_native_server_ok(server);
    }

    #[test]
    fn nc_talks_to_a_host_peer() {
        let (port, peer) = line_peer(NC_REPLY, BOOT + STEP);
        let mut shell = shell(user_net(Vec::new()));
        // The typed line holds `ping` and `nc`, never `pong`.
        run_in_shell(&mut shell, &format!("echo {} | nc {GATEWAY} {port}", NC_SENT.trim_end()), 0);
        let got = peer.recv_timeout(STEP).unwrap_or_else(|_| shell.fail("the peer did not finish"));
        match got {
            Ok(line) if line == NC_SENT => {}
            other => shell.fail(format!("the host peer read {other:?}, not {NC_SENT:?}")),
        }
        if !shell.transcript().contains(NC_REPLY.trim_end()) {
            shell.fail(format!("nc did not print {NC_REPLY:?}"));
        }
        exit_shell(shell);
    }

    #[test]
    fn nc_natively() {
        let (port, peer) = line_peer(NC_REPLY, NATIVE);
        let mut command = Command::new("sh");
        command.arg("-c").arg(format!("echo {} | {BUSYBOX} nc 127.0.0.1 {port}", NC_SENT.trim_end()));
        let ended = run_with_timeout(command, NATIVE).expect("running busybox nc");
        assert_eq!(peer.recv_timeout(NATIVE).expect("the peer's result"), Ok(NC_SENT.to_string()));
        assert!(ended.succeeded() && ended.stdout == NC_REPLY.trim_end(), "{ended:?}");
    }

    /// httpd in the guest, fetched from the host through a forward and by
    /// the guest's own wget over loopback.
    #[test]
    fn httpd_serves_the_host_and_the_guest() {
        let host_port = free_port(Proto::Tcp);
        let mut shell = shell(user_net(vec![PortForward::tcp(host_port, HTTP_PORT)]));
        run_in_shell(&mut shell, &format!("mkdir -p /www && echo {} > /www/index.html", HTTPD_TEXT.trim_end()), 0);
        run_in_shell(&mut shell, &format!("head -c {HTTPD_BIG} /dev/urandom > /www/big && sha256sum /www/big"), 0);
        let Some(digest) = digest_for(&shell.transcript(), "/www/big") else {
            shell.fail("sha256sum printed no digest");
        };
        run_in_shell(&mut shell, &format!("httpd -p {HTTP_PORT} -h /www"), 0);
        check_httpd(localhost(host_port), &digest).unwrap_or_else(|e| shell.fail(e));
        shell
            .send(&format!("wget -q -O - http://127.0.0.1:{HTTP_PORT}/index.html | tr a-z A-Z\n"))
            .expect(&HTTPD_TEXT.trim_end().to_uppercase())
            .expect(PROMPT_IN_ROOT);
        exit_shell(shell);
    }

    #[test]
    fn httpd_natively() {
        let dir = test_programs::output_dir().join(format!("sockets-www-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the web root");
        std::fs::write(dir.join("index.html"), HTTPD_TEXT).expect("index.html");
        let big = upload_body(HTTPD_BIG);
        std::fs::write(dir.join("big"), &big).expect("big");
        let port = free_port(Proto::Tcp);
        let mut command = Command::new(BUSYBOX);
        command.args(["httpd", "-f", "-p"]).arg(format!("127.0.0.1:{port}")).arg("-h").arg(&dir);
        let server = HostProcess::spawn(command);
        let result = check_httpd(localhost(port), &sha256_hex(&big));
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
        result.unwrap_or_else(|e| panic!("{e}"));
    }
}

// ---------------------------------------------------------------------
// The C servers.

/// Byte `i` of echo connection `c`'s stream.
fn echo_byte(c: usize, i: usize) -> u8 {
    ((i * 11 + c * 5 + 7) % 241) as u8
}

/// `connections` at once to `addr`, each sending `bytes` (a writer
/// thread, then a half-close) while reading the echo; every byte checked.
/// The connections are opened one after another, then all transfer at
/// once: QEMU's user network accepts forwarded connections with a listen
/// backlog of one, and the host resets connects that overflow it before
/// the guest sees their SYN (seen in a packet dump: 58 SYNs reached the
/// guest for 64 simultaneous connects, none was refused there).
fn echo_clients(addr: SocketAddr, connections: usize, bytes: usize) -> Result<Duration, String> {
    let started = Instant::now();
    let mut streams = Vec::with_capacity(connections);
    for c in 0..connections {
        streams.push(TcpStream::connect_timeout(&addr, STEP).map_err(|e| format!("{c}: connect: {e}"))?);
    }
    let results: Vec<Result<(), String>> = thread::scope(|scope| {
        let handles: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(c, stream)| {
                scope.spawn(move || -> Result<(), String> {
                    stream.set_read_timeout(Some(STEP)).map_err(|e| e.to_string())?;
                    stream.set_write_timeout(Some(STEP)).map_err(|e| e.to_string())?;
                    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
                    let sender = thread::spawn(move || -> Result<(), String> {
                        let data: Vec<u8> = (0..bytes).map(|i| echo_byte(c, i)).collect();
                        for chunk in data.chunks(8192) {
                            writer.write_all(chunk).map_err(|e| format!("{c}: write: {e}"))?;
                        }
                        writer.shutdown(Shutdown::Write).map_err(|e| format!("{c}: shutdown: {e}"))
                    });
                    let mut reader = stream;
                    let mut got = Vec::with_capacity(bytes);
                    reader.read_to_end(&mut got).map_err(|e| format!("{c}: read after {} bytes: {e}", got.len()))?;
                    sender.join().map_err(|_| format!("{c}: the writer panicked"))??;
                    if got.len() != bytes {
                        return Err(format!("{c}: {} bytes echoed, not {bytes}", got.len()));
                    }
                    if let Some(i) = (0..bytes).find(|&i| got[i] != echo_byte(c, i)) {
                        return Err(format!("{c}: byte {i} is {}, not {}", got[i], echo_byte(c, i)));
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a client panicked".into()))).collect()
    });
    let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if errors.is_empty() { Ok(started.elapsed()) } else { Err(errors.join("\n")) }
}

/// The line epoll_echo prints at its end for this load.
fn epoll_totals() -> String {
    format!("epoll_echo: {ECHO_CONNECTIONS} connections, {} bytes echoed", ECHO_CONNECTIONS * ECHO_BYTES)
}

/// Datagram `i` of the UDP load: its number, then bytes of its own.
fn udp_datagram(i: u32) -> Vec<u8> {
    let len = 4 + (i as usize * 53) % 1000;
    let mut d = i.to_le_bytes().to_vec();
    d.extend((4..len).map(|k| (i as usize + k * 3) as u8));
    d
}

/// What the UDP load saw.
struct UdpOutcome {
    answered: u32,
    bad: u32,
    took: Duration,
    /// The server's `bye N`.
    server_count: Option<u32>,
}

/// UDP_REQUESTS datagrams to `addr`, at most UDP_WINDOW unanswered at a
/// time; a window that gets no answer within UDP_WAIT is given up.
fn udp_load(addr: SocketAddr) -> Result<UdpOutcome, String> {
    let socket = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    socket.connect(addr).map_err(|e| e.to_string())?;
    socket.set_read_timeout(Some(UDP_WAIT)).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(300);
    let mut in_flight = std::collections::HashSet::new();
    let (mut next, mut answered, mut bad) = (0u32, 0u32, 0u32);
    let mut buf = vec![0u8; 2048];
    while (next < UDP_REQUESTS || !in_flight.is_empty()) && Instant::now() < deadline {
        while next < UDP_REQUESTS && in_flight.len() < UDP_WINDOW {
            socket.send(&udp_datagram(next)).map_err(|e| format!("send {next}: {e}"))?;
            in_flight.insert(next);
            next += 1;
        }
        match socket.recv(&mut buf) {
            Ok(n) if n >= 4 => {
                let i = u32::from_le_bytes(buf[..4].try_into().expect("4 bytes"));
                if in_flight.remove(&i) {
                    if buf[..n] == udp_datagram(i)[..] {
                        answered += 1;
                    } else {
                        bad += 1;
                    }
                }
            }
            Ok(_) => bad += 1,
            // Nothing for UDP_WAIT: what is in flight is lost.
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                in_flight.clear()
            }
            Err(e) => return Err(format!("recv: {e}")),
        }
    }
    let took = started.elapsed();
    let mut server_count = None;
    for _ in 0..5 {
        socket.send(b"quit").map_err(|e| format!("send quit: {e}"))?;
        match socket.recv(&mut buf) {
            Ok(n) if buf[..n].starts_with(b"bye ") => {
                server_count = String::from_utf8_lossy(&buf[4..n]).trim().parse().ok();
                break;
            }
            _ => continue,
        }
    }
    Ok(UdpOutcome { answered, bad, took, server_count })
}

/// The UDP load's verdict: no wrong answer, at least UDP_FLOOR answered,
/// the server counted at least what came back.
fn judge_udp(outcome: &UdpOutcome) -> Result<String, String> {
    let lost = UDP_REQUESTS - outcome.answered - outcome.bad;
    let summary = format!(
        "{} of {UDP_REQUESTS} datagrams answered ({lost} lost, {} wrong) in {:.2?}, server counted {:?}",
        outcome.answered, outcome.bad, outcome.took, outcome.server_count
    );
    let floor = (UDP_REQUESTS as f64 * UDP_FLOOR) as u32;
    let counted_enough = outcome.server_count.is_some_and(|n| n >= outcome.answered && n <= UDP_REQUESTS);
    if outcome.bad > 0 || outcome.answered < floor || !counted_enough {
        return Err(summary);
    }
    Ok(summary)
}

mod c_servers {
    use super::*;

    #[test]
    fn epoll_echo_in_the_guest() {
        let host_port = free_port(Proto::Tcp);
        let boot = program(test_programs::c("epoll_echo"))
            .args([ECHO_PORT.to_string(), ECHO_CONNECTIONS.to_string()])
            .net(user_net(vec![PortForward::tcp(host_port, ECHO_PORT)]));
        let mut guest = started(boot, &format!("epoll_echo: listening {ECHO_PORT}"));
        let took = echo_clients(localhost(host_port), ECHO_CONNECTIONS, ECHO_BYTES).unwrap_or_else(|e| guest.fail(e));
        guest.expect(&epoll_totals());
        let run = guest.finish();
        run.expect_program_ok("epoll_echo");
        println!("epoll_echo in the guest: {}, in {took:.2?}", run.line_containing("epoll_echo: 64 connections"));
    }

    #[test]
    fn epoll_echo_natively() {
        let mut command = Command::new(test_programs::c("epoll_echo"));
        command.args(["0", &ECHO_CONNECTIONS.to_string()]);
        let server = HostProcess::spawn(command);
        let line = server.wait_for_line("epoll_echo: listening ", NATIVE).expect("the server's port");
        echo_clients(localhost(port_in(&line)), ECHO_CONNECTIONS, ECHO_BYTES).unwrap_or_else(|e| panic!("{e}"));
        let ended = server.wait(NATIVE);
        assert!(ended.succeeded(), "{ended:?}");
        assert!(ended.stdout.contains(&epoll_totals()), "{ended:?}");
        assert_eq!(ended.stdout.lines().last(), Some("epoll_echo: ok"), "{ended:?}");
    }

    #[test]
    fn udp_echo_in_the_guest() {
        let host_port = free_port(Proto::Udp);
        let boot = program(test_programs::c("udp_echo"))
            .args([UDP_PORT.to_string()])
            .net(user_net(vec![PortForward::udp(host_port, UDP_PORT)]));
        let mut guest = started(boot, &format!("udp_echo: listening {UDP_PORT}"));
        let outcome = udp_load(localhost(host_port)).unwrap_or_else(|e| guest.fail(e));
        let summary = judge_udp(&outcome).unwrap_or_else(|e| guest.fail(e));
        guest.expect("udp_echo: echoed ");
        let run = guest.finish();
        run.expect_program_ok("udp_echo");
        println!("udp_echo in the guest: {summary}");
    }

    #[test]
    fn udp_echo_natively() {
        let mut command = Command::new(test_programs::c("udp_echo"));
        command.arg("0");
        let server = HostProcess::spawn(command);
        let line = server.wait_for_line("udp_echo: listening ", NATIVE).expect("the server's port");
        let outcome = udp_load(localhost(port_in(&line))).unwrap_or_else(|e| panic!("{e}"));
        let summary = judge_udp(&outcome).unwrap_or_else(|e| panic!("{e}"));
        let ended = server.wait(NATIVE);
        assert!(ended.succeeded(), "{ended:?}");
        assert_eq!(ended.stdout.lines().last(), Some("udp_echo: ok"), "{ended:?}");
        println!("udp_echo on the host: {summary}");
    }
}

// ---------------------------------------------------------------------
// AF_UNIX (natively: programs_native.rs runs it with every C program).

mod unix {
    use super::*;

    fn in_the_guest(cpus: u32) {
        let run = program(test_programs::c("unix_sockets")).smp(cpus).timeout_secs(RUN_SECS).run();
        run.expect_program_ok("unix_sockets");
    }

    #[test]
    fn smp_1() {
        in_the_guest(1);
    }

    #[test]
    fn smp_2() {
        in_the_guest(2);
    }
}

/// Van Jacobson's claim, made visible: two flows whose readers are pinned
/// to CPU 0 and CPU 1. The one receive interrupt (virtio-mmio, CPU 0)
/// only classifies; each flow's TCP segments are processed by its reader,
/// on its CPU (`/proc/ringo_net`'s `segments` row per CPU).
mod net_channels {
    use super::*;

    const PORTS: [u16; 2] = [7100, 7101];
    const BYTES: usize = 2 << 20;

    /// The counter row `name` of a /proc/ringo_net dump: one value per CPU.
    fn row(output: &str, name: &str) -> Vec<u64> {
        output
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect())
            .unwrap_or_default()
    }

    fn send(addr: SocketAddr) -> Result<String, String> {
        let mut s = TcpStream::connect_timeout(&addr, STEP).map_err(|e| format!("connect {addr}: {e}"))?;
        s.set_read_timeout(Some(STEP)).map_err(|e| e.to_string())?;
        let chunk = vec![0x5au8; 64 * 1024];
        for _ in 0..BYTES / chunk.len() {
            s.write_all(&chunk).map_err(|e| format!("write: {e}"))?;
        }
        let mut answer = String::new();
        s.read_to_string(&mut answer).map_err(|e| format!("read: {e}"))?;
        Ok(answer)
    }

    #[test]
    fn each_flow_is_processed_on_its_readers_cpu() {
        let hosts = [free_port(Proto::Tcp), free_port(Proto::Tcp)];
        let boot = program(test_programs::c("net_channels"))
            .args([PORTS[0].to_string(), PORTS[1].to_string(), BYTES.to_string()])
            .smp(2)
            .net(user_net(vec![PortForward::tcp(hosts[0], PORTS[0]), PortForward::tcp(hosts[1], PORTS[1])]));
        let guest = started(boot, &format!("net_channels: listening on {} (cpu 0) and {} (cpu 1)", PORTS[0], PORTS[1]));
        let answers: Vec<Result<String, String>> = thread::scope(|scope| {
            let handles: Vec<_> = hosts.iter().map(|&p| scope.spawn(move || send(localhost(p)))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a sender panicked".into()))).collect()
        });
        for a in &answers {
            match a {
                Ok(line) if line.trim_end() == format!("got {BYTES}") => {}
                other => guest.fail(format!("a flow's answer: {other:?}")),
            }
        }
        let run = guest.finish();
        run.expect_program_ok("net_channels");
        let out = run.serial();
        let (segments, classified) = (row(out, "segments"), row(out, "classified"));
        println!("net_channels: segments per CPU {segments:?}, classified per CPU {classified:?}");
        // 2 MiB is some 1,400 full segments per flow.
        let each = (BYTES / 1460 / 2) as u64;
        run.check(
            segments.len() == 2 && segments.iter().all(|&n| n >= each),
            format!("segments per CPU {segments:?}: each reader's CPU should have processed its flow (>= {each})"),
        );
        run.check(
            classified.len() == 2 && classified[0] >= 2 * each && classified[1] == 0,
            format!("classified per CPU {classified:?}: only CPU 0 takes the card's interrupt"),
        );
    }
}
