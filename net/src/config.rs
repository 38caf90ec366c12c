//! Linux's `ip=` kernel parameter (Documentation/admin-guide/nfs/nfsroot.rst):
//!
//! ```text
//! ip=<client-ip>:<server-ip>:<gw-ip>:<netmask>:<hostname>:<device>:<autoconf>:<dns0-ip>:<dns1-ip>:<ntp0-ip>
//! ```
//!
//! or one word: `off`/`none`, `on`/`any`/`dhcp`, `bootp`, `rarp`, `both`.
//! We follow Linux's reading (net/ipv4/ipconfig.c): empty fields are
//! absent and so is `0.0.0.0`; with no client address autoconfiguration
//! runs unless the autoconf field says `off`; with one and no autoconf
//! method the setup is static. Where Linux silently guesses we refuse:
//! an address that does not parse, an unknown autoconf word, a
//! non-contiguous netmask or an eleventh field is an error naming the field.
//!
//! DHCP is the only autoconfiguration we implement. `bootp` and `both` select
//! it (every BOOTP server we run under, slirp and dnsmasq, speaks DHCP);
//! `rarp` alone cannot be honoured and is an error.

use alloc::string::{String, ToString};
use core::fmt;
use core::net::Ipv4Addr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpConfig {
    Off,
    Dhcp,
    Static(StaticConfig),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticConfig {
    pub addr: Ipv4Addr,
    /// Always contiguous (checked by the parser).
    pub netmask: Ipv4Addr,
    pub gateway: Option<Ipv4Addr>,
    /// As given, domain included (Linux would split off the domain part).
    pub hostname: Option<String>,
    pub device: Option<String>,
    pub dns: [Option<Ipv4Addr>; 2],
}

impl StaticConfig {
    /// The netmask as a CIDR prefix length.
    pub fn prefix_len(&self) -> u8 {
        u32::from(self.netmask).leading_ones() as u8
    }
}

/// The fields of `ip=`, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpField {
    ClientIp,
    ServerIp,
    GatewayIp,
    Netmask,
    Hostname,
    Device,
    Autoconf,
    Dns0Ip,
    Dns1Ip,
    Ntp0Ip,
    /// Anything after the tenth field.
    Extra,
}

impl IpField {
    pub fn name(self) -> &'static str {
        match self {
            IpField::ClientIp => "client-ip",
            IpField::ServerIp => "server-ip",
            IpField::GatewayIp => "gw-ip",
            IpField::Netmask => "netmask",
            IpField::Hostname => "hostname",
            IpField::Device => "device",
            IpField::Autoconf => "autoconf",
            IpField::Dns0Ip => "dns0-ip",
            IpField::Dns1Ip => "dns1-ip",
            IpField::Ntp0Ip => "ntp0-ip",
            IpField::Extra => "extra field",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpParamError {
    pub field: IpField,
    /// The text of the offending field.
    pub value: String,
}

impl fmt::Display for IpParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ip=: bad {} {:?}", self.field.name(), self.value)
    }
}

/// Linux's limits: __NEW_UTS_LEN for the host name, IFNAMSIZ - 1 for the device.
const MAX_HOSTNAME: usize = 64;
const MAX_DEVICE: usize = 15;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Autoconf {
    Off,
    Dhcp,
}

/// `value` is what follows `ip=`.
pub fn parse_ip_param(value: &str) -> Result<IpConfig, IpParamError> {
    if !value.contains(':') {
        match autoconf_word(value) {
            Some(Ok(Autoconf::Off)) => return Ok(IpConfig::Off),
            Some(Ok(Autoconf::Dhcp)) => return Ok(IpConfig::Dhcp),
            Some(Err(())) => return Err(bad(IpField::Autoconf, value)),
            // A lone address: the client-ip field.
            None => {}
        }
    }

    let mut fields: [&str; 10] = [""; 10];
    for (i, text) in value.split(':').enumerate() {
        match fields.get_mut(i) {
            Some(slot) => *slot = text,
            None => return Err(bad(IpField::Extra, text)),
        }
    }
    let [client, server, gateway, netmask_text, hostname, device, autoconf, dns0, dns1, ntp0] = fields;

    let addr = address(IpField::ClientIp, client)?;
    address(IpField::ServerIp, server)?; // checked, then unused: we boot from an initramfs
    let gateway = address(IpField::GatewayIp, gateway)?;
    let netmask = address(IpField::Netmask, netmask_text)?;
    if hostname.len() > MAX_HOSTNAME {
        return Err(bad(IpField::Hostname, hostname));
    }
    if device.len() > MAX_DEVICE {
        return Err(bad(IpField::Device, device));
    }
    let autoconf = match autoconf {
        "" => None,
        word => Some(autoconf_word(word).and_then(Result::ok).ok_or_else(|| bad(IpField::Autoconf, word))?),
    };
    let dns = [address(IpField::Dns0Ip, dns0)?, address(IpField::Dns1Ip, dns1)?];
    address(IpField::Ntp0Ip, ntp0)?;

    let addr = match (addr, autoconf) {
        (_, Some(Autoconf::Dhcp)) => return Ok(IpConfig::Dhcp),
        (None, Some(Autoconf::Off)) => return Ok(IpConfig::Off),
        (None, None) => return Ok(IpConfig::Dhcp),
        (Some(addr), _) => addr,
    };
    if addr.is_broadcast() || addr.is_multicast() {
        return Err(bad(IpField::ClientIp, client));
    }
    let netmask = match netmask {
        Some(mask) if is_contiguous(mask) => mask,
        Some(_) => return Err(bad(IpField::Netmask, netmask_text)),
        None => classful_netmask(addr).ok_or_else(|| bad(IpField::ClientIp, client))?,
    };
    Ok(IpConfig::Static(StaticConfig {
        addr,
        netmask,
        gateway,
        hostname: non_empty(hostname),
        device: non_empty(device),
        dns,
    }))
}

/// The netmask of the address's class (RFC 791's classes A, B, C), which
/// Linux's ipconfig assumes when `ip=` gives none: 10.0.2.15 gets
/// 255.0.0.0, 172.16.0.1 gets 255.255.0.0, 192.168.1.2 gets 255.255.255.0.
/// Class E gets 255.255.255.0 as in Linux; class D (multicast) has none.
pub fn classful_netmask(addr: Ipv4Addr) -> Option<Ipv4Addr> {
    let [first, ..] = addr.octets();
    match first {
        0..=127 => Some(Ipv4Addr::new(255, 0, 0, 0)),
        128..=191 => Some(Ipv4Addr::new(255, 255, 0, 0)),
        192..=223 | 240..=255 => Some(Ipv4Addr::new(255, 255, 255, 0)),
        224..=239 => None,
    }
}

/// Ones, then only zeros.
pub fn is_contiguous(mask: Ipv4Addr) -> bool {
    let bits = u32::from(mask);
    bits.leading_ones() + bits.trailing_zeros() == 32
}

/// `Err(())` for a word Linux knows that we cannot honour.
fn autoconf_word(word: &str) -> Option<Result<Autoconf, ()>> {
    match word {
        "" | "off" | "none" => Some(Ok(Autoconf::Off)),
        "on" | "any" | "dhcp" | "bootp" | "both" => Some(Ok(Autoconf::Dhcp)),
        "rarp" => Some(Err(())),
        _ => None,
    }
}

/// Empty and 0.0.0.0 both mean "not given", as in Linux.
fn address(field: IpField, text: &str) -> Result<Option<Ipv4Addr>, IpParamError> {
    if text.is_empty() {
        return Ok(None);
    }
    let addr: Ipv4Addr = text.parse().map_err(|_| bad(field, text))?;
    Ok(if addr.is_unspecified() { None } else { Some(addr) })
}

fn non_empty(text: &str) -> Option<String> {
    if text.is_empty() { None } else { Some(text.to_string()) }
}

fn bad(field: IpField, value: &str) -> IpParamError {
    IpParamError { field, value: value.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn static_config(value: &str) -> StaticConfig {
        match parse_ip_param(value) {
            Ok(IpConfig::Static(s)) => s,
            other => panic!("{value}: {other:?}"),
        }
    }

    fn error(value: &str) -> (IpField, String) {
        let e = parse_ip_param(value).unwrap_err();
        (e.field, e.value)
    }

    #[test]
    fn address_gateway_and_netmask_give_a_static_setup() {
        let s = static_config("10.0.2.15::10.0.2.2:255.255.255.0");
        assert_eq!(
            s,
            StaticConfig {
                addr: Ipv4Addr::new(10, 0, 2, 15),
                netmask: Ipv4Addr::new(255, 255, 255, 0),
                gateway: Some(Ipv4Addr::new(10, 0, 2, 2)),
                hostname: None,
                device: None,
                dns: [None, None],
            }
        );
        assert_eq!(s.prefix_len(), 24);
    }

    #[test]
    fn the_single_words_select_off_or_dhcp() {
        for word in ["dhcp", "on", "any", "bootp", "both"] {
            assert_eq!(parse_ip_param(word), Ok(IpConfig::Dhcp), "{word}");
        }
        for word in ["off", "none", ""] {
            assert_eq!(parse_ip_param(word), Ok(IpConfig::Off), "{word:?}");
        }
    }

    #[test]
    fn rarp_cannot_be_honoured() {
        assert_eq!(error("rarp"), (IpField::Autoconf, "rarp".into()));
        assert_eq!(error(":::::eth0:rarp"), (IpField::Autoconf, "rarp".into()));
    }

    #[test]
    fn an_address_with_autoconf_off_is_static_with_the_classful_netmask() {
        let s = static_config("10.0.2.15:::::eth0:off");
        assert_eq!(s.addr, Ipv4Addr::new(10, 0, 2, 15));
        assert_eq!(s.netmask, Ipv4Addr::new(255, 0, 0, 0));
        assert_eq!(s.prefix_len(), 8);
        assert_eq!(s.device.as_deref(), Some("eth0"));
        assert_eq!(s.gateway, None);
    }

    #[test]
    fn a_lone_address_is_static() {
        assert_eq!(static_config("192.168.7.9").netmask, Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(static_config("172.16.0.1").netmask, Ipv4Addr::new(255, 255, 0, 0));
    }

    #[test]
    fn no_address_with_autoconf_dhcp_or_nothing_means_dhcp() {
        assert_eq!(parse_ip_param(":::::eth0:dhcp"), Ok(IpConfig::Dhcp));
        assert_eq!(parse_ip_param(":::::eth0:"), Ok(IpConfig::Dhcp));
        assert_eq!(parse_ip_param("0.0.0.0::10.0.2.2"), Ok(IpConfig::Dhcp));
    }

    #[test]
    fn no_address_with_autoconf_off_means_off() {
        assert_eq!(parse_ip_param(":::::eth0:off"), Ok(IpConfig::Off));
        assert_eq!(parse_ip_param("::::::none"), Ok(IpConfig::Off));
    }

    #[test]
    fn autoconf_dhcp_wins_over_a_given_address() {
        assert_eq!(parse_ip_param("10.0.2.15:::::eth0:dhcp"), Ok(IpConfig::Dhcp));
    }

    #[test]
    fn every_field_is_read() {
        let s = static_config("10.0.2.15:10.0.2.2:10.0.2.2:255.255.255.0:ringo:eth0:none:10.0.2.3:8.8.8.8:10.0.2.4");
        assert_eq!(s.hostname.as_deref(), Some("ringo"));
        assert_eq!(s.device.as_deref(), Some("eth0"));
        assert_eq!(s.dns, [Some(Ipv4Addr::new(10, 0, 2, 3)), Some(Ipv4Addr::new(8, 8, 8, 8))]);
    }

    #[test]
    fn zero_fields_count_as_absent() {
        let s = static_config("10.0.2.15::0.0.0.0:0.0.0.0");
        assert_eq!(s.gateway, None);
        assert_eq!(s.netmask, Ipv4Addr::new(255, 0, 0, 0));
    }

    #[test]
    fn a_bad_address_names_its_field() {
        assert_eq!(error("10.0.2.256"), (IpField::ClientIp, "10.0.2.256".into()));
        assert_eq!(error("10.0.2.15:x"), (IpField::ServerIp, "x".into()));
        assert_eq!(error("10.0.2.15::10.0.2"), (IpField::GatewayIp, "10.0.2".into()));
        assert_eq!(error("10.0.2.15:::255.255.255.0::::1.2.3.4.5"), (IpField::Dns0Ip, "1.2.3.4.5".into()));
        assert_eq!(error("10.0.2.15::::::::dns"), (IpField::Dns1Ip, "dns".into()));
        assert_eq!(error("10.0.2.15:::::::::ntp"), (IpField::Ntp0Ip, "ntp".into()));
        assert_eq!(error("dhcpp"), (IpField::ClientIp, "dhcpp".into()));
    }

    #[test]
    fn a_non_contiguous_netmask_is_refused() {
        assert_eq!(error("10.0.2.15:::255.0.255.0"), (IpField::Netmask, "255.0.255.0".into()));
        assert_eq!(error("10.0.2.15:::0.255.255.255"), (IpField::Netmask, "0.255.255.255".into()));
    }

    #[test]
    fn a_group_or_broadcast_client_address_is_refused() {
        assert_eq!(error("224.0.0.1").0, IpField::ClientIp);
        assert_eq!(error("255.255.255.255:::255.255.255.0").0, IpField::ClientIp);
    }

    #[test]
    fn unknown_autoconf_words_overlong_names_and_extra_fields_are_refused() {
        assert_eq!(error("10.0.2.15::::::static"), (IpField::Autoconf, "static".into()));
        assert_eq!(error(":::::eth0:dhcp:::::x"), (IpField::Extra, "".into()));
        let long_device = format!(":::::{}:dhcp", "e".repeat(16));
        assert_eq!(error(&long_device).0, IpField::Device);
        let long_host = format!("10.0.2.15::::{}", "h".repeat(65));
        assert_eq!(error(&long_host).0, IpField::Hostname);
    }

    #[test]
    fn errors_display_the_field_and_the_value() {
        assert_eq!(
            parse_ip_param("10.0.2.15:::255.0.255.0").unwrap_err().to_string(),
            "ip=: bad netmask \"255.0.255.0\""
        );
    }

    #[test]
    fn contiguity_and_prefix_lengths() {
        for (mask, ok) in
            [([0, 0, 0, 0], true), ([255, 255, 255, 255], true), ([255, 255, 254, 0], true), ([255, 255, 0, 1], false)]
        {
            assert_eq!(is_contiguous(Ipv4Addr::from(mask)), ok, "{mask:?}");
        }
        let s = StaticConfig { netmask: Ipv4Addr::new(255, 255, 240, 0), ..static_config("10.1.2.3") };
        assert_eq!(s.prefix_len(), 20);
    }
}
