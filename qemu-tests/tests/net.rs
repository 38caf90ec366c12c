//! The guest's virtio-net card from the other end of the wire: a frame
//! peer in the test sends ARP and ICMP echo requests through QEMU's dgram
//! backend and checks the replies byte for byte (on every machine and
//! transport), then bad input that must be dropped and counted; and ping
//! from the host through a tap in a network namespace the test makes,
//! with one queue and with two on two CPUs.
//!
//! Each guest is the busybox image's shell, kept at its prompt while the
//! host talks to it; at the end the test reads /proc/net/dev,
//! /proc/interrupts and /proc/ringo_net in the guest and exits with 0.

use std::io;
use std::net::{Ipv4Addr, UdpSocket};
use std::time::Duration;

use qemu_tests::Machine;
use qemu_tests::guest_test::{Boot, GuestRun, Interactive, busybox};
use qemu_tests::initramfs::busybox::PROMPT_IN_ROOT;
use qemu_tests::net::frame_peer::FramePeer;
use qemu_tests::net::frames::{self, BadKind, Echo, Host, Mac};
use qemu_tests::net::guest_stats::{self, CpuCounters, DevPackets, InterruptRow};
use qemu_tests::net::netns::Netns;
use qemu_tests::net::{DEFAULT_MAC, Net, ping};

/// The frame peer plays the guest's gateway.
const PEER: Host = Host { mac: Mac([0x02, 0, 0, 0, 0, 0x01]), ip: Ipv4Addr::new(10, 0, 9, 1) };
/// The guest, with QEMU's default MAC.
const GUEST: Host = Host { mac: Mac([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]), ip: Ipv4Addr::new(10, 0, 9, 2) };
const PEER_GUEST_IP: &str = "ip=10.0.9.2::10.0.9.1:255.255.255.0";

const TAP: &str = "rt0";
const TAP_CIDR: &str = "10.0.8.1/24";
const TAP_HOST: Ipv4Addr = Ipv4Addr::new(10, 0, 8, 1);
const TAP_GUEST: Ipv4Addr = Ipv4Addr::new(10, 0, 8, 2);
const TAP_GUEST_IP: &str = "ip=10.0.8.2::10.0.8.1:255.255.255.0";

/// The boot to the shell's first prompt (q35's firmware is slow under
/// TCG on a loaded machine), then each later console step.
const BOOT: Duration = Duration::from_secs(90);
const STEP: Duration = Duration::from_secs(30);
/// Each frame exchange, resending every 200 ms.
const REPLY: Duration = Duration::from_secs(15);
/// The flood of echo requests, and how long it may take at most.
const FLOOD_FRAMES: u32 = 20_000;
const FLOOD_LIMIT: Duration = Duration::from_secs(30);

/// The guest booted to its shell's first prompt.
fn shell(boot: Boot) -> Interactive {
    let mut shell = boot.interactive();
    shell.step_timeout(BOOT).expect(PROMPT_IN_ROOT);
    shell.step_timeout(STEP);
    shell
}

fn frame_peer() -> FramePeer {
    FramePeer::new().unwrap_or_else(|e| panic!("cannot make the frame peer's sockets: {e}"))
}

/// A guest on `machine` wired to `peer`, at its prompt.
fn peer_guest(peer: &FramePeer, machine: Machine, modern_mmio: bool) -> Interactive {
    shell(busybox().machine(machine).mmio_modern(modern_mmio).net(peer.net()).kernel_arg(PEER_GUEST_IP))
}

/// `got` is exactly `expected`, or the test fails showing both.
#[track_caller]
fn expect_frame(shell: &Interactive, what: &str, got: Option<Vec<u8>>, expected: &[u8]) {
    let Some(got) = got else {
        shell.fail(format!("no {what} within {REPLY:?} (expected {})", frames::describe(expected)));
    };
    if let Some(difference) = frames::difference(&got, expected) {
        shell.fail(format!("{what} is wrong: {difference}"));
    }
}

/// ARP for the guest's address; the reply must be exactly the contract's.
fn expect_arp(peer: &FramePeer, shell: &Interactive) {
    // Padded to 60 bytes as a wire delivers it; the reply is 42 all the same.
    let request = frames::padded(frames::arp_request(PEER, GUEST.ip));
    let reply = peer.exchange(&request, |f| frames::is_arp_reply_from(f, GUEST.ip), REPLY);
    expect_frame(shell, "the ARP reply", reply, &frames::arp_reply(GUEST, PEER));
}

/// One echo request; the reply must be exactly the contract's. Every frame
/// that comes before it goes to `other`.
fn expect_echo(peer: &FramePeer, shell: &Interactive, echo: &Echo, other: &mut dyn FnMut(&[u8])) {
    let request = frames::padded(frames::echo_request(PEER, GUEST, echo));
    let reply = peer.exchange_with(&request, |f| frames::is_echo_reply_to(f, echo), REPLY, other);
    let what = format!("the reply to echo id {:#06x} seq {} ({} bytes)", echo.id, echo.seq, echo.payload.len());
    expect_frame(shell, &what, reply, &frames::echo_reply(GUEST, PEER, echo));
}

/// The guest's /proc files, dumped on its console at the end.
struct GuestFiles {
    net_dev: String,
    interrupts: String,
    ringo_net: String,
}

const FILES: [&str; 3] = ["/proc/net/dev", "/proc/interrupts", "/proc/ringo_net"];

/// Dumps [`FILES`] between markers (`@1` ... `@2`: the typed line says
/// `@''1`, so only the output matches), exits with 0, and checks the run
/// ended so, with no `KERNEL` fault or panic line.
fn finish_with_files(mut shell: Interactive) -> (GuestRun, GuestFiles) {
    for (i, path) in FILES.iter().enumerate() {
        let (begin, end) = (2 * i + 1, 2 * i + 2);
        shell.send(&format!("echo @''{begin}; cat {path}; echo @''{end}\n")).expect(&format!("@{end}"));
        shell.expect(PROMPT_IN_ROOT);
    }
    shell.send("exit 0\n");
    let run = shell.finish();
    run.expect_init_exit(0);
    let kernel_lines: Vec<&str> = run.serial().lines().filter(|l| l.contains("KERNEL")).collect();
    run.check(kernel_lines.is_empty(), format!("the kernel faulted: {}", kernel_lines.join("\n")));
    let file = |i: usize| {
        let lines = run.lines_between(&format!("@{}", 2 * i + 1), &format!("@{}", 2 * i + 2));
        lines.join("\n")
    };
    let files = GuestFiles { net_dev: file(0), interrupts: file(1), ringo_net: file(2) };
    (run, files)
}

impl GuestFiles {
    #[track_caller]
    fn eth0(&self, run: &GuestRun) -> DevPackets {
        match guest_stats::net_dev_packets(&self.net_dev, "eth0") {
            Some(packets) => packets,
            None => run.fail(format!("no well-formed eth0 line in /proc/net/dev:\n{}", self.net_dev)),
        }
    }

    #[track_caller]
    fn counters(&self, run: &GuestRun) -> CpuCounters {
        match CpuCounters::parse(&self.ringo_net) {
            Ok(counters) => counters,
            Err(e) => run.fail(format!("/proc/ringo_net: {e}:\n{}", self.ringo_net)),
        }
    }

    #[track_caller]
    fn interrupts(&self, run: &GuestRun) -> Vec<InterruptRow> {
        match guest_stats::parse_interrupts(&self.interrupts) {
            Ok(rows) => rows,
            Err(e) => run.fail(format!("/proc/interrupts: {e}:\n{}", self.interrupts)),
        }
    }
}

/// How the kernel reaches the card on `machine`.
fn transport(machine: Machine, modern_mmio: bool) -> &'static str {
    match machine {
        Machine::Microvm if modern_mmio => "virtio-mmio modern",
        Machine::Microvm => "virtio-mmio legacy",
        Machine::MicrovmPcie | Machine::Q35 => "virtio-pci",
    }
}

/// The kernel's boot line for the card names it, its MAC and `transport`.
#[track_caller]
fn expect_card_line(run: &GuestRun, transport: &str) {
    let line = run.line_containing("net: eth0: ");
    run.check(line.contains(DEFAULT_MAC), format!("the card's line does not give its MAC {DEFAULT_MAC}: {line}"));
    run.check(line.contains(transport), format!("the card's line does not say `{transport}`: {line}"));
}

fn arp_and_ping_through_the_frame_peer(machine: Machine, modern_mmio: bool) {
    let peer = frame_peer();
    let shell = peer_guest(&peer, machine, modern_mmio);
    expect_arp(&peer, &shell);
    // An empty payload (a frame padded from 42 to 60 bytes: the reply must
    // follow the IPv4 length, not the frame's), the usual 56 bytes, and
    // 1400 bytes; each with its own identifier and sequence number.
    for (id, seq, len) in [(0x0001, 1, 0), (0x1234, 2, 56), (0xfedc, 0xffff, 1400)] {
        expect_echo(&peer, &shell, &Echo::new(id, seq, len), &mut |_| {});
    }
    let (run, files) = finish_with_files(shell);
    expect_card_line(&run, transport(machine, modern_mmio));
    let eth0 = files.eth0(&run);
    run.check(
        eth0.rx_packets >= 4 && eth0.tx_packets >= 4,
        format!("/proc/net/dev counts {eth0:?} after 4 requests answered:\n{}", files.net_dev),
    );
}

#[test]
fn arp_and_ping_through_the_frame_peer_on_microvm_legacy_mmio() {
    arp_and_ping_through_the_frame_peer(Machine::Microvm, false);
}

#[test]
fn arp_and_ping_through_the_frame_peer_on_microvm_modern_mmio() {
    arp_and_ping_through_the_frame_peer(Machine::Microvm, true);
}

#[test]
fn arp_and_ping_through_the_frame_peer_on_microvm_pcie() {
    arp_and_ping_through_the_frame_peer(Machine::MicrovmPcie, false);
}

#[test]
fn arp_and_ping_through_the_frame_peer_on_q35() {
    arp_and_ping_through_the_frame_peer(Machine::Q35, false);
}

#[test]
fn bad_frames_are_dropped_and_counted() {
    let peer = frame_peer();
    let shell = peer_guest(&peer, Machine::Microvm, false);
    expect_arp(&peer, &shell);

    let bad = frames::bad_frames(PEER, GUEST);
    for frame in &bad {
        if let Err(e) = peer.send(&frame.bytes) {
            shell.fail(format!("cannot send {} ({} bytes): {e}", frame.what, frame.bytes.len()));
        }
    }
    // One queue takes frames in order: once this echo is answered, every
    // bad frame before it has been handled, and none may have been answered.
    let mut before = Vec::new();
    expect_echo(&peer, &shell, &Echo::new(0x600d, 1, 56), &mut |f| before.push(f.to_vec()));
    let answered: Vec<&str> = bad
        .iter()
        .filter(|b| b.echo.as_ref().is_some_and(|e| before.iter().any(|f| frames::is_echo_reply_to(f, e))))
        .map(|b| b.what.as_str())
        .collect();
    if !answered.is_empty() {
        shell.fail(format!("the guest answered bad frames: {}", answered.join("; ")));
    }

    // Valid requests as fast as QEMU takes them (it paces by the guest's
    // free receive buffers); the replies are counted and thrown away.
    let flood_request = |i: u32| frames::echo_request(PEER, GUEST, &Echo::new(0x7000, i as u16, 56));
    let flood = match peer.flood((0..FLOOD_FRAMES).map(flood_request), FLOOD_LIMIT) {
        Ok(flood) => flood,
        Err(e) => shell.fail(format!("the flood failed: {e}")),
    };
    eprintln!(
        "flood: {} of {FLOOD_FRAMES} echo requests taken in {:.2?} ({:.0} frames/s), {} frames back",
        flood.sent,
        flood.elapsed,
        flood.frames_per_second(),
        flood.received
    );
    // And the guest still answers.
    expect_echo(&peer, &shell, &Echo::new(0x600d, 2, 56), &mut |_| {});

    let (run, files) = finish_with_files(shell);
    expect_card_line(&run, transport(Machine::Microvm, false));
    let counters = files.counters(&run);
    for kind in BadKind::ALL {
        let sent = bad.iter().filter(|b| b.kind == kind).count() as u64;
        let Some(counted) = counters.total(kind.counter()) else {
            run.fail(format!("/proc/ringo_net has no {} counter:\n{}", kind.counter(), files.ringo_net));
        };
        let what: Vec<&str> = bad.iter().filter(|b| b.kind == kind).map(|b| b.what.as_str()).collect();
        run.check(
            counted >= sent,
            format!("{} is {counted}, but {sent} such frames were sent ({})", kind.counter(), what.join("; ")),
        );
    }
}

/// A namespace of this test's own with tap [`TAP`] at [`TAP_CIDR`].
fn netns_with_tap(queues: u32) -> Netns {
    let netns = Netns::create("ringo-net")
        .unwrap_or_else(|e| panic!("cannot create a network namespace (these tests need root): {e}"));
    if let Err(e) = netns.add_tap(TAP, TAP_CIDR, queues) {
        panic!("cannot add tap {TAP} in namespace {}: {e}", netns.name());
    }
    netns
}

/// A guest on `machine` with `cpus` CPUs on the namespace's tap, QEMU run
/// inside the namespace, at its prompt.
fn tap_guest(netns: &Netns, machine: Machine, modern_mmio: bool, cpus: u32, queues: u32) -> Interactive {
    let net = Net::Tap { ifname: TAP.to_string(), queues };
    let boot = busybox().machine(machine).mmio_modern(modern_mmio).smp(cpus).netns(netns.name()).net(net);
    shell(boot.kernel_arg(TAP_GUEST_IP))
}

/// `count` pings from the namespace, every one answered.
fn expect_pings(netns: &Netns, shell: &Interactive, count: u32) -> ping::Ping {
    let ping = match ping::ping(Some(netns), TAP_GUEST, count) {
        Ok(ping) => ping,
        Err(e) => shell.fail(format!("cannot run busybox ping in namespace {}: {e}", netns.name())),
    };
    if ping.replies() != count as usize {
        shell.fail(format!("{} of {count} pings answered:\n{}", ping.replies(), ping.output));
    }
    ping
}

/// `count` pings from the namespace, at least `least` answered.
fn expect_most_pings(netns: &Netns, shell: &Interactive, count: u32, least: u32) {
    let ping = match ping::ping(Some(netns), TAP_GUEST, count) {
        Ok(ping) => ping,
        Err(e) => shell.fail(format!("cannot run busybox ping in namespace {}: {e}", netns.name())),
    };
    if ping.replies() < least as usize {
        shell.fail(format!("{} of {count} pings answered:\n{}", ping.replies(), ping.output));
    }
}

fn ping_through_a_tap_in_a_namespace(machine: Machine, modern_mmio: bool) {
    let netns = netns_with_tap(1);
    let shell = tap_guest(&netns, machine, modern_mmio, 1, 1);
    let ping = expect_pings(&netns, &shell, 100);
    let median = ping.median_ms().unwrap_or_default();
    eprintln!("ping {machine} (tap, TCG): median round trip {median:.3} ms of 100");
    let (run, files) = finish_with_files(shell);
    expect_card_line(&run, transport(machine, modern_mmio));
    let eth0 = files.eth0(&run);
    run.check(eth0.rx_packets >= 100 && eth0.tx_packets >= 100, format!("/proc/net/dev after 100 pings: {eth0:?}"));
}

#[test]
fn ping_through_a_tap_in_a_namespace_on_microvm_legacy_mmio() {
    ping_through_a_tap_in_a_namespace(Machine::Microvm, false);
}

#[test]
fn ping_through_a_tap_in_a_namespace_on_microvm_modern_mmio() {
    ping_through_a_tap_in_a_namespace(Machine::Microvm, true);
}

#[test]
fn ping_through_a_tap_in_a_namespace_on_microvm_pcie() {
    ping_through_a_tap_in_a_namespace(Machine::MicrovmPcie, false);
}

#[test]
fn ping_through_a_tap_in_a_namespace_on_q35() {
    ping_through_a_tap_in_a_namespace(Machine::Q35, false);
}

/// Datagrams to the guest's discard port from 64 source ports of the tap's
/// address: 64 flows, which the multi-queue tap spreads over its queues by
/// their hash. Runs inside the namespace.
fn send_udp_flows() -> io::Result<usize> {
    let mut sent = 0;
    for port in 40_000..40_064 {
        let socket = UdpSocket::bind((TAP_HOST, port))?;
        for _ in 0..4 {
            socket.send_to(b"ringo multiqueue", (TAP_GUEST, 9))?;
            sent += 1;
        }
    }
    Ok(sent)
}

#[test]
fn multiqueue_on_q35_with_two_cpus() {
    let netns = netns_with_tap(2);
    let shell = tap_guest(&netns, Machine::Q35, false, 2, 2);
    // The host learns the guest's MAC, then the flows, then the guest
    // still answers. Nine of ten: on a 2-queue tap about one run in six
    // misses one echo reply although the guest's counters show it sent a
    // reply to every request it received (see docs/net.md); what is tested
    // here is the queues.
    expect_most_pings(&netns, &shell, 10, 9);
    match netns.run_inside(send_udp_flows) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => shell.fail(format!("sending UDP from the namespace: {e}")),
        Err(e) => shell.fail(format!("cannot enter namespace {}: {e}", netns.name())),
    }
    expect_most_pings(&netns, &shell, 10, 9);

    let (run, files) = finish_with_files(shell);
    expect_card_line(&run, transport(Machine::Q35, false));
    run.check(
        run.line_containing("net: eth0: ").contains("2 queue pairs"),
        "the card should have 2 queue pairs on 2 CPUs with a 2-queue tap",
    );
    let rows = files.interrupts(&run);
    for queue in 0..2 {
        let name = format!("eth0-rx-{queue}");
        let Some(row) = guest_stats::interrupt_row(&rows, &name) else {
            run.fail(format!("no {name} row in /proc/interrupts:\n{}", files.interrupts));
        };
        let ok = row.per_cpu.len() >= 2
            && row.per_cpu[queue] > 0
            && row.per_cpu.iter().enumerate().all(|(cpu, &n)| cpu == queue || n == 0);
        run.check(ok, format!("{name} should be taken by CPU{queue} only, and at least once: {:?}", row.per_cpu));
    }
    let counters = files.counters(&run);
    match counters.get("rx_frames") {
        Some(rx) => run.check(
            rx.len() >= 2 && rx[0] > 0 && rx[1] > 0,
            format!("rx_frames per CPU should be above 0 on both: {rx:?}"),
        ),
        None => run.fail(format!("/proc/ringo_net has no rx_frames:\n{}", files.ringo_net)),
    };
}

/// Malformed and misplaced TCP and UDP from the frame peer while it holds
/// a real connection to a guest server (issue 12, "Bad input"): the peer
/// plays a TCP client by hand (qemu_tests::net::tcp_peer) against
/// programs/c/epoll_echo and sends datagrams to programs/c/udp_echo; in
/// between come bad data offsets, cut headers, wrong checksums, 2,000 SYNs
/// from random ports, out-of-window data and resets, acknowledgements of
/// data never sent, bad UDP lengths and overlapping fragments. The
/// connection must echo exactly what was sent (nothing of the bad input
/// reaches either server), udp_echo must have echoed only the good
/// datagrams, and the kernel never faults.
mod bad_transport {
    use super::*;
    use qemu_tests::net::tcp_peer::{self, TcpClient};
    use qemu_tests::test_programs;
    use std::time::Instant;

    const ECHO_PORT: u16 = 7000;
    const UDP_PORT: u16 = 7001;
    const CLIENT_PORT: u16 = 40_000;
    const UDP_CLIENT_PORT: u16 = 40_001;
    const SYNS: usize = 2000;
    /// A connection's handshake, an echo, the closing FINs.
    const TCP_WAIT: Duration = Duration::from_secs(30);
    /// The guest's answers to bad input (challenge ACKs, RSTs) taken.
    const SETTLE_QUIET: Duration = Duration::from_millis(500);
    const SETTLE_LIMIT: Duration = Duration::from_secs(10);

    /// The bytes of the `round`th echo: different each time, so an old
    /// echo resent cannot pass for a new one.
    fn message(round: u8, len: usize) -> Vec<u8> {
        (0..len).map(|i| b'a' + ((i * 7 + usize::from(round) * 3) % 26) as u8).collect()
    }

    fn echo(shell: &Interactive, client: &mut TcpClient, round: u8, len: usize) {
        let data = message(round, len);
        let result = client.send(&data, TCP_WAIT).and_then(|()| client.expect_data(&data, TCP_WAIT));
        if let Err(e) = result {
            shell.fail(format!("echo {round} ({len} bytes): {e}"));
        }
        if !client.unread().is_empty() {
            let extra = String::from_utf8_lossy(client.unread()).into_owned();
            shell.fail(format!("echo {round}: more came back than was sent: {extra:?}"));
        }
    }

    /// One datagram to udp_echo (sent once: a resend would be echoed
    /// twice and change its count) and the reply it must get.
    fn udp_round(peer: &FramePeer, shell: &Interactive, payload: &[u8], reply: &[u8]) {
        let udp = tcp_peer::udp_bytes((PEER.ip, UDP_CLIENT_PORT), (GUEST.ip, UDP_PORT), payload);
        let frame = tcp_peer::ip_frame(PEER, GUEST, tcp_peer::PROTO_UDP, 0x4242, tcp_peer::DF, &udp);
        if let Err(e) = peer.send(&frame) {
            shell.fail(format!("cannot send a datagram: {e}"));
        }
        let deadline = Instant::now() + REPLY;
        while let Some(left) = deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
            let Some(got) = peer.recv_timeout(left) else { break };
            if let Some(asker) = tcp_peer::is_arp_request_for(&got, PEER.ip) {
                let _ = peer.send(&frames::arp_reply(PEER, asker));
            }
            if let Some((UDP_PORT, data)) = tcp_peer::parse_udp(&got, GUEST.ip, PEER.ip, UDP_CLIENT_PORT) {
                if data == reply {
                    return;
                }
                shell.fail(format!(
                    "udp_echo answered {:?} to {:?}",
                    String::from_utf8_lossy(&data),
                    String::from_utf8_lossy(payload)
                ));
            }
        }
        shell.fail(format!("no answer {:?} within {REPLY:?}", String::from_utf8_lossy(reply)));
    }

    fn send_all(peer: &FramePeer, shell: &Interactive, bad: &[tcp_peer::BadInput]) {
        for b in bad {
            if let Err(e) = peer.send(&b.bytes) {
                shell.fail(format!("cannot send {} ({} bytes): {e}", b.what, b.bytes.len()));
            }
        }
    }

    /// The guest's replies to bad input taken (and ARP answered).
    fn settle(shell: &Interactive, client: &mut TcpClient) {
        if let Err(e) = client.pump(SETTLE_QUIET, SETTLE_LIMIT) {
            shell.fail(e);
        }
    }

    #[test]
    fn malformed_tcp_and_udp_leave_a_real_connection_working() {
        let peer = frame_peer();
        let boot = busybox()
            .add(test_programs::c("epoll_echo"), "/bin/epoll_echo")
            .add(test_programs::c("udp_echo"), "/bin/udp_echo")
            .net(peer.net())
            .kernel_arg(PEER_GUEST_IP);
        let mut shell = shell(boot);
        expect_arp(&peer, &shell);
        shell.send(&format!("/bin/udp_echo {UDP_PORT} &\n")).expect(&format!("udp_echo: listening {UDP_PORT}"));
        shell.send(&format!("/bin/epoll_echo {ECHO_PORT} 1\n")).expect(&format!("epoll_echo: listening {ECHO_PORT}"));

        let mut client = TcpClient::connect(&peer, PEER, GUEST, CLIENT_PORT, ECHO_PORT, 0x1000_0000, TCP_WAIT)
            .unwrap_or_else(|e| shell.fail(format!("the handshake: {e}")));
        echo(&shell, &mut client, 1, 3000);
        udp_round(&peer, &shell, b"good 1", b"good 1");

        let bad_tcp = tcp_peer::bad_tcp(&client);
        send_all(&peer, &shell, &bad_tcp);
        settle(&shell, &mut client);
        echo(&shell, &mut client, 2, 100);

        let flood = tcp_peer::syn_flood(PEER, GUEST, ECHO_PORT, SYNS, CLIENT_PORT);
        let flood = peer.flood(flood, FLOOD_LIMIT).unwrap_or_else(|e| shell.fail(format!("the SYN flood: {e}")));
        eprintln!("SYN flood: {} of {SYNS} taken in {:.2?}, {} frames back", flood.sent, flood.elapsed, flood.received);
        if !flood.complete {
            shell.fail(format!("the guest took only {} of {SYNS} SYNs in {FLOOD_LIMIT:?}", flood.sent));
        }
        echo(&shell, &mut client, 3, 2000);

        let bad_udp = tcp_peer::bad_udp(PEER, GUEST, UDP_CLIENT_PORT, UDP_PORT);
        send_all(&peer, &shell, &bad_udp);
        settle(&shell, &mut client);
        udp_round(&peer, &shell, b"good 2", b"good 2");
        // Only the two good datagrams were echoed.
        udp_round(&peer, &shell, b"quit", b"bye 2");

        echo(&shell, &mut client, 4, 1500);
        if client.resets_seen > 0 {
            shell.fail(format!("the guest reset the connection ({} RSTs)", client.resets_seen));
        }
        if let Err(e) = client.close(TCP_WAIT) {
            shell.fail(format!("closing: {e}"));
        }
        shell.expect("epoll_echo: ok").expect(PROMPT_IN_ROOT);
        shell.send("wait\n").expect(PROMPT_IN_ROOT);

        let (run, files) = finish_with_files(shell);
        run.check(run.serial().contains("udp_echo: ok"), "udp_echo did not end with ok");
        let counters = files.counters(&run);
        // Fragments are dropped and counted by the classifier; wrong TCP and
        // UDP checksums where the protocol work runs, before smoltcp.
        let fragments = bad_tcp.iter().chain(&bad_udp).filter(|b| b.fragment).count() as u64;
        let counted = counters.total("drop_fragment").unwrap_or_else(|| run.fail("no drop_fragment counter"));
        run.check(counted >= fragments, format!("drop_fragment is {counted}, but {fragments} fragments were sent"));
        let bad_sums = bad_tcp.iter().chain(&bad_udp).filter(|b| b.bad_checksum).count() as u64;
        let counted = counters.total("drop_bad_checksum").unwrap_or_else(|| run.fail("no drop_bad_checksum counter"));
        run.check(counted >= bad_sums, format!("drop_bad_checksum is {counted}, but {bad_sums} were sent"));
        let bad_headers = counters.total("drop_bad_header").unwrap_or(0);
        run.check(bad_headers > 0, "no malformed transport header was counted (drop_bad_header is 0)");
        eprintln!("/proc/ringo_net after the bad input:\n{}", files.ringo_net);
    }
}
