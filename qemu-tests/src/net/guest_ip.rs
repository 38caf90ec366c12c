//! The guest's address when the user gave none: the launcher adds a Linux
//! style `ip=ADDR::GW:MASK` kernel word that fits the network it set up.
//! - QEMU's user network: slirp's guest address, 10.0.2.15 via 10.0.2.2;
//! - a tap: the address after the tap's own in its subnet, the tap being
//!   the gateway (tap 10.77.0.1/24 gives `ip=10.77.0.2::10.77.0.1:255.255.255.0`);
//!   a tap without an IPv4 address gives none.

use std::fmt;
use std::net::Ipv4Addr;
use std::process::Command;

use super::backend::Net;

/// A static IPv4 configuration for the guest's card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestIp {
    pub addr: Ipv4Addr,
    pub gateway: Ipv4Addr,
    /// Prefix length of the subnet (24 for 255.255.255.0).
    pub prefix: u8,
}

/// An IPv4 address with its prefix length, as `ip addr` shows it.
pub type Cidr = (Ipv4Addr, u8);

impl GuestIp {
    /// Where slirp puts the guest.
    pub const USER: GuestIp =
        GuestIp { addr: Ipv4Addr::new(10, 0, 2, 15), gateway: Ipv4Addr::new(10, 0, 2, 2), prefix: 24 };

    pub fn netmask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask(self.prefix))
    }

    /// The guest beside a host interface at `host`/`prefix`: the next
    /// address in the subnet (wrapping past the broadcast address to the
    /// first one), with `host` as the gateway. `None` when the subnet has
    /// no room (prefixes 31 and 32, or `host` is the network or broadcast
    /// address itself).
    pub fn beside(host: Ipv4Addr, prefix: u8) -> Option<GuestIp> {
        if !(1..=30).contains(&prefix) {
            return None;
        }
        let h = u32::from(host);
        let network = h & mask(prefix);
        let broadcast = network | !mask(prefix);
        if h == network || h == broadcast {
            return None;
        }
        let next = if h + 1 == broadcast { network + 1 } else { h + 1 };
        (next != h).then(|| GuestIp { addr: next.into(), gateway: host, prefix })
    }

    /// The kernel word, `ip=ADDR::GW:MASK`.
    pub fn kernel_word(&self) -> String {
        format!("ip={}::{}:{}", self.addr, self.gateway, self.netmask())
    }
}

impl fmt::Display for GuestIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.kernel_word())
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 { 0 } else { u32::MAX << (32 - u32::from(prefix.min(32))) }
}

/// Whether the kernel words (those before `--`) already configure the
/// address.
pub fn has_ip_word<S: AsRef<str>>(words: &[S]) -> bool {
    words.iter().map(AsRef::as_ref).take_while(|w| *w != "--").any(|w| w.starts_with("ip="))
}

/// The `ip=` the guest should get on `net`: `Ok(None)` when the network
/// needs none (no card, or a frame peer whose test chooses), `Err(why)` when
/// a tap's address cannot be had. `tap_address` looks a tap's address up
/// (see [`tap_address`]).
pub fn default_ip(net: &Net, tap_address: &dyn Fn(&str) -> Result<Cidr, String>) -> Result<Option<GuestIp>, String> {
    match net {
        Net::None | Net::Dgram { .. } => Ok(None),
        Net::User { .. } => Ok(Some(GuestIp::USER)),
        Net::Tap { ifname, .. } => {
            let (host, prefix) = tap_address(ifname)?;
            GuestIp::beside(host, prefix)
                .map(Some)
                .ok_or_else(|| format!("tap {ifname}'s subnet {host}/{prefix} has no room for the guest"))
        }
    }
}

/// The first IPv4 address in `ip -4 -o addr show` output
/// (`2: rt0    inet 10.77.0.1/24 scope global rt0\ ...`).
pub fn parse_ip_addr_show(output: &str) -> Option<Cidr> {
    output.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        words.find(|w| *w == "inet")?;
        let (addr, prefix) = words.next()?.split_once('/')?;
        Some((addr.parse().ok()?, prefix.parse().ok().filter(|p| *p <= 32)?))
    })
}

/// The IPv4 address of the host interface `ifname` (in network namespace
/// `netns` when given), from `ip -4 -o addr show dev NAME`.
pub fn tap_address(ifname: &str, netns: Option<&str>) -> Result<Cidr, String> {
    let mut command = Command::new("ip");
    if let Some(netns) = netns {
        command.args(["-n", netns]);
    }
    let output = command
        .args(["-4", "-o", "addr", "show", "dev", ifname])
        .output()
        .map_err(|e| format!("cannot run `ip` to read tap {ifname}'s address: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("cannot read tap {ifname}'s address: {}", stderr.trim()));
    }
    parse_ip_addr_show(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| format!("tap {ifname} has no IPv4 address on the host"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    fn beside(host: &str, prefix: u8) -> Option<String> {
        GuestIp::beside(ip(host), prefix).map(|g| g.kernel_word())
    }

    #[test]
    fn user_network_is_slirps() {
        assert_eq!(GuestIp::USER.kernel_word(), "ip=10.0.2.15::10.0.2.2:255.255.255.0");
    }

    #[test]
    fn the_guest_takes_the_address_after_the_tap() {
        assert_eq!(beside("10.77.0.1", 24).as_deref(), Some("ip=10.77.0.2::10.77.0.1:255.255.255.0"));
        assert_eq!(beside("172.16.5.9", 16).as_deref(), Some("ip=172.16.5.10::172.16.5.9:255.255.0.0"));
        assert_eq!(beside("10.0.0.200", 8).as_deref(), Some("ip=10.0.0.201::10.0.0.200:255.0.0.0"));
        // Past the end of the subnet it wraps to the first address.
        assert_eq!(beside("10.0.0.254", 24).as_deref(), Some("ip=10.0.0.1::10.0.0.254:255.255.255.0"));
        assert_eq!(beside("192.168.1.5", 30).as_deref(), Some("ip=192.168.1.6::192.168.1.5:255.255.255.252"));
        assert_eq!(beside("192.168.1.6", 30).as_deref(), Some("ip=192.168.1.5::192.168.1.6:255.255.255.252"));
    }

    #[test]
    fn no_room_no_address() {
        assert_eq!(beside("10.0.0.1", 31), None);
        assert_eq!(beside("10.0.0.1", 32), None);
        assert_eq!(beside("10.0.0.1", 0), None);
        assert_eq!(beside("10.0.0.0", 24), None, "the network address");
        assert_eq!(beside("10.0.0.255", 24), None, "the broadcast address");
    }

    #[test]
    fn ip_words_are_kernel_words_only() {
        assert!(has_ip_word(&["quiet", "ip=dhcp"]));
        assert!(!has_ip_word(&["quiet", "--", "ip=1.2.3.4"]));
        assert!(!has_ip_word::<&str>(&[]));
    }

    #[test]
    fn defaults_per_network() {
        let found = |_: &str| Ok((ip("10.77.0.1"), 24));
        let missing = |name: &str| Err(format!("tap {name} has no IPv4 address on the host"));
        assert_eq!(default_ip(&Net::None, &found), Ok(None));
        assert_eq!(default_ip(&Net::User { forwards: vec![] }, &missing), Ok(Some(GuestIp::USER)));
        let tap = Net::Tap { ifname: "rt0".into(), queues: 1 };
        assert_eq!(default_ip(&tap, &found).unwrap().unwrap().kernel_word(), "ip=10.77.0.2::10.77.0.1:255.255.255.0");
        assert_eq!(default_ip(&tap, &missing), Err("tap rt0 has no IPv4 address on the host".into()));
        let full = |_: &str| Ok((ip("10.0.0.1"), 32));
        assert!(default_ip(&tap, &full).unwrap_err().contains("no room"));
        let dgram = Net::Dgram { qemu_socket: "q".into(), peer_socket: "p".into() };
        assert_eq!(default_ip(&dgram, &found), Ok(None));
    }

    #[test]
    fn ip_addr_show_output() {
        // Captured from iproute2 on Debian 12.
        let out = "2: rt0    inet 10.77.0.1/24 scope global rt0\\       valid_lft forever preferred_lft forever\n";
        assert_eq!(parse_ip_addr_show(out), Some((ip("10.77.0.1"), 24)));
        let two = "3: br0    inet 192.168.7.1/16 brd 192.168.255.255 scope global br0\\ ...\n\
                   3: br0    inet 10.1.1.1/8 scope global br0\\ ...\n";
        assert_eq!(parse_ip_addr_show(two), Some((ip("192.168.7.1"), 16)));
        assert_eq!(parse_ip_addr_show(""), None);
        assert_eq!(parse_ip_addr_show("2: rt0    inet bogus/24 scope global"), None);
        assert_eq!(parse_ip_addr_show("2: rt0    inet 10.0.0.1/33 scope global"), None);
    }
}
