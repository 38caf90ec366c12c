//! Addresses from Linux's `ip=` parameter: a static address at once, or a
//! DHCP lease asked for at boot (polled, so that it works before init and
//! whatever the interrupt routing).

use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicBool, Ordering};

use ringo_net::config::{IpConfig, parse_ip_param};
use ringo_net::dhcp::{DhcpClient, DhcpEvent, Lease};

use super::Interface;
use crate::sync::Mutex;

static DHCP_ACTIVE: AtomicBool = AtomicBool::new(false);
static DHCP: Mutex<Option<(DhcpClient, Option<Lease>)>> = Mutex::new(None);

/// How long boot waits for a lease, and how often it asks again.
const DHCP_TIMEOUT_US: u64 = 4_000_000;
const DHCP_RETRY_US: u64 = 1_000_000;

pub fn dhcp_in_progress() -> bool {
    DHCP_ACTIVE.load(Ordering::Acquire)
}

/// A frame seen while DHCP runs: true if it was the client's.
pub fn dhcp_frame(iface: &Interface, frame: &[u8]) -> bool {
    let mut out = [0u8; 600];
    let event = {
        let mut guard = DHCP.lock();
        let Some((client, lease)) = guard.as_mut() else { return false };
        let event = client.handle(frame, &mut out);
        if let DhcpEvent::Bound(l) = &event {
            *lease = Some(*l);
        }
        event
    };
    match event {
        DhcpEvent::Ignored => false,
        DhcpEvent::Send(len) => {
            send(iface, &out[..len]);
            true
        }
        DhcpEvent::Bound(_) | DhcpEvent::Nak => true,
    }
}

fn send(iface: &Interface, frame: &[u8]) {
    iface.transmit(&mut |buf| {
        let n = frame.len().min(buf.len());
        buf[..n].copy_from_slice(&frame[..n]);
        n
    });
}

fn show(iface: &Interface, addr: Ipv4Addr, mask: Ipv4Addr, gateway: Option<Ipv4Addr>, how: &str) {
    let prefix = u32::from(mask).leading_ones();
    match gateway {
        Some(gw) => log::info!("net: {}: {addr}/{prefix}, gateway {gw} ({how})", iface.name),
        None => log::info!("net: {}: {addr}/{prefix} ({how})", iface.name),
    }
}

/// Applies `ip=` (`None`: the word was absent) to every interface.
pub fn configure(ip_param: Option<&str>) {
    let Some(iface) = super::interfaces().next() else {
        if ip_param.is_some() {
            log::warn!("net: ip= given, but there is no network device");
        }
        return;
    };
    let config = match ip_param.map(parse_ip_param) {
        None => {
            log::info!("net: {}: no address (no ip= on the command line)", iface.name);
            return;
        }
        Some(Err(e)) => {
            log::warn!("net: ignoring ip=: {e}");
            return;
        }
        Some(Ok(c)) => c,
    };
    match config {
        IpConfig::Off => log::info!("net: {}: no address (ip=off)", iface.name),
        IpConfig::Static(s) => {
            iface.set_address(Some(s.addr), s.netmask, s.gateway);
            show(iface, s.addr, s.netmask, s.gateway, "ip=");
        }
        IpConfig::Dhcp => dhcp(iface),
    }
}

fn dhcp(iface: &Interface) {
    let mut seed = [0u8; 4];
    crate::random::fill(&mut seed);
    let xid = u32::from_ne_bytes(seed);
    let mut out = [0u8; 600];
    let len = crate::arch::without_interrupts(|| {
        let mut client = DhcpClient::new(iface.mac, xid);
        let len = client.discover(&mut out);
        *DHCP.lock() = Some((client, None));
        len
    });
    DHCP_ACTIVE.store(true, Ordering::Release);
    send(iface, &out[..len]);
    let start = crate::arch::tsc::micros_since_boot();
    let mut last_sent = start;
    let lease = loop {
        iface.poll();
        if let Some(lease) = crate::arch::without_interrupts(|| DHCP.lock().as_ref().and_then(|(_, l)| *l)) {
            break Some(lease);
        }
        let now = crate::arch::tsc::micros_since_boot();
        if now - start > DHCP_TIMEOUT_US {
            break None;
        }
        if now - last_sent > DHCP_RETRY_US {
            let len =
                crate::arch::without_interrupts(|| DHCP.lock().as_mut().map_or(0, |(c, _)| c.retransmit(&mut out)));
            send(iface, &out[..len]);
            last_sent = now;
        }
        core::hint::spin_loop();
    };
    DHCP_ACTIVE.store(false, Ordering::Release);
    match lease {
        Some(l) => {
            iface.set_address(Some(l.addr), l.netmask, l.router);
            show(iface, l.addr, l.netmask, l.router, "DHCP");
        }
        None => log::warn!("net: {}: no DHCP answer within {} s; no address", iface.name, DHCP_TIMEOUT_US / 1_000_000),
    }
}
