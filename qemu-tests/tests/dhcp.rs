//! `ip=dhcp`: the guest asks QEMU's user network (slirp's DHCP server) for
//! an address at boot, gets 10.0.2.15 with 10.0.2.2 as its gateway, and
//! reaches a server on the host with it; `ip=off` leaves it without one.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use qemu_tests::guest_test::busybox;
use qemu_tests::net::Net;

const LEASE_LINE: &str = "net: eth0: 10.0.2.15/24, gateway 10.0.2.2 (DHCP)";

#[test]
fn dhcp_gives_the_user_networks_address_and_the_gateway_works() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a host port");
    let port = listener.local_addr().expect("its address").port();
    let server = thread::spawn(move || {
        let (mut c, _) = listener.accept().expect("the guest's connection");
        c.set_read_timeout(Some(Duration::from_secs(30))).ok();
        let mut buf = [0u8; 1024];
        let n = c.read(&mut buf).unwrap_or(0);
        let _ = c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 13\r\n\r\nleased and up");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    });
    let run = busybox()
        .net(Net::User { forwards: vec![] })
        .kernel_arg("ip=dhcp")
        .args(["-c", &format!("wget -q -O - http://10.0.2.2:{port}/ && echo; ifconfig eth0")])
        .timeout_secs(60)
        .run();
    run.expect_init_exit(0);
    run.check(run.serial().contains(LEASE_LINE), format!("no `{LEASE_LINE}` line"));
    run.check(run.serial().contains("leased and up"), "wget through the leased address got no answer");
    run.check(run.serial().contains("inet addr:10.0.2.15"), "ifconfig does not show the leased address");
    let request = server.join().expect("the host server");
    assert!(request.starts_with("GET / HTTP/1.1") || request.starts_with("GET / HTTP/1.0"), "{request:?}");
}

#[test]
fn ip_off_leaves_the_card_without_an_address() {
    let run = busybox().net(Net::User { forwards: vec![] }).kernel_arg("ip=off").args(["-c", "ifconfig eth0"]).run();
    run.expect_init_exit(0);
    run.check(run.serial().contains("net: eth0: no address (ip=off)"), "no `ip=off` line");
    run.check(!run.serial().contains("inet addr:"), "eth0 has an address");
}
