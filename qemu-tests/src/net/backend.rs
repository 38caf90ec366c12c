//! The guest's network card and what QEMU connects it to: the settings
//! behind `ringo run --net` and `-p`, as a [`RunConfig`](crate::RunConfig)
//! holds them. [`crate::qemu_command`] turns them into QEMU's arguments.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The MAC QEMU gives the card unless told otherwise (QEMU's own default).
pub const DEFAULT_MAC: &str = "52:54:00:12:34:56";
/// The id tying QEMU's `-netdev` to its `-device`.
pub const NETDEV_ID: &str = "net0";
/// Linux's limit on an interface name (IFNAMSIZ less the NUL).
const MAX_IFNAME: usize = 15;

/// What the guest's virtio-net card is plugged into.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Net {
    /// No card at all.
    #[default]
    None,
    /// QEMU's user network (slirp: the guest is 10.0.2.15 behind a NAT at
    /// 10.0.2.2), with host ports forwarded into the guest.
    User { forwards: Vec<PortForward> },
    /// An existing tap device on the host (in the run's network namespace,
    /// if it has one); `queues` > 1 needs a `multi_queue` tap and gives the
    /// PCI card one queue pair per queue.
    Tap { ifname: String, queues: u32 },
    /// QEMU's `-netdev dgram` between two unix datagram sockets: QEMU binds
    /// `qemu_socket` and sends every frame the guest transmits to
    /// `peer_socket`, one datagram per frame (see
    /// [`FramePeer`](crate::net::frame_peer::FramePeer)).
    Dgram { qemu_socket: PathBuf, peer_socket: PathBuf },
}

impl Net {
    /// Queue pairs the backend offers.
    pub fn queues(&self) -> u32 {
        match self {
            Net::Tap { queues, .. } => *queues,
            _ => 1,
        }
    }

    /// QEMU's `-netdev` value; `None` for [`Net::None`].
    pub fn netdev_arg(&self) -> Option<String> {
        let id = NETDEV_ID;
        Some(match self {
            Net::None => return None,
            Net::User { forwards } => {
                let mut arg = format!("user,id={id}");
                for forward in forwards {
                    arg.push_str(",hostfwd=");
                    arg.push_str(&forward.hostfwd());
                }
                arg
            }
            Net::Tap { ifname, queues } => {
                let mut arg = format!("tap,id={id},ifname={ifname},script=no,downscript=no");
                if *queues > 1 {
                    arg.push_str(&format!(",queues={queues}"));
                }
                arg
            }
            Net::Dgram { qemu_socket, peer_socket } => format!(
                "dgram,id={id},local.type=unix,local.path={},remote.type=unix,remote.path={}",
                qemu_option_value(&qemu_socket.to_string_lossy()),
                qemu_option_value(&peer_socket.to_string_lossy()),
            ),
        })
    }
}

/// `value` as QEMU's option parser reads it: a comma is written twice.
fn qemu_option_value(value: &str) -> String {
    value.replace(',', ",,")
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Net::None => f.write_str("no network"),
            Net::User { forwards } if forwards.is_empty() => f.write_str("user network"),
            Net::User { forwards } => {
                let list: Vec<String> = forwards.iter().map(PortForward::to_string).collect();
                write!(f, "user network, -p {}", list.join(" -p "))
            }
            Net::Tap { ifname, queues: 1 } => write!(f, "tap {ifname}"),
            Net::Tap { ifname, queues } => write!(f, "tap {ifname} with {queues} queues"),
            Net::Dgram { peer_socket, .. } => write!(f, "frame peer at {}", peer_socket.display()),
        }
    }
}

impl FromStr for Net {
    type Err = String;

    /// `none`, `user` or `tap=NAME[,queues=N]` (the CLI's `--net`).
    fn from_str(value: &str) -> Result<Net, String> {
        match value {
            "none" => return Ok(Net::None),
            "user" => return Ok(Net::User { forwards: Vec::new() }),
            _ => {}
        }
        let Some(tap) = value.strip_prefix("tap=") else {
            return Err("use user, tap=NAME[,queues=N] or none".into());
        };
        let (ifname, options) = tap.split_once(',').unwrap_or((tap, ""));
        check_ifname(ifname)?;
        let mut queues = 1;
        for option in options.split(',').filter(|o| !o.is_empty()) {
            let Some(n) = option.strip_prefix("queues=") else {
                return Err(format!("unknown tap option `{option}` (only queues=N)"));
            };
            queues = match n.parse::<u32>() {
                Ok(0) | Err(_) => return Err(format!("queues must be a number from 1, not `{n}`")),
                Ok(n) => n,
            };
        }
        Ok(Net::Tap { ifname: ifname.to_string(), queues })
    }
}

fn check_ifname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the tap's name is empty".into());
    }
    if name.len() > MAX_IFNAME {
        return Err(format!("an interface name has at most {MAX_IFNAME} characters"));
    }
    if name.contains(|c: char| c == '/' || c == ',' || c == '=' || c == ':' || c.is_whitespace() || c.is_control()) {
        return Err("an interface name cannot hold `/`, `,`, `=`, `:` or spaces".into());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
}

/// A host port forwarded to a guest port by QEMU's user network. The host
/// side listens on 127.0.0.1 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortForward {
    pub proto: Proto,
    pub host_port: u16,
    pub guest_port: u16,
}

impl PortForward {
    pub fn tcp(host_port: u16, guest_port: u16) -> PortForward {
        PortForward { proto: Proto::Tcp, host_port, guest_port }
    }

    pub fn udp(host_port: u16, guest_port: u16) -> PortForward {
        PortForward { proto: Proto::Udp, host_port, guest_port }
    }

    /// QEMU's `hostfwd=` value.
    pub fn hostfwd(&self) -> String {
        format!("{}:127.0.0.1:{}-:{}", self.proto.name(), self.host_port, self.guest_port)
    }
}

impl fmt::Display for PortForward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host_port, self.guest_port)?;
        if self.proto == Proto::Udp {
            f.write_str("/udp")?;
        }
        Ok(())
    }
}

impl FromStr for PortForward {
    type Err = String;

    /// `HOST:GUEST`, `HOST:GUEST/tcp` or `HOST:GUEST/udp`, as docker's `-p`.
    fn from_str(value: &str) -> Result<PortForward, String> {
        let (ports, proto) = match value.rsplit_once('/') {
            Some((ports, "tcp")) => (ports, Proto::Tcp),
            Some((ports, "udp")) => (ports, Proto::Udp),
            Some((_, other)) => return Err(format!("unknown protocol `{other}` (tcp or udp)")),
            None => (value, Proto::Tcp),
        };
        let (host, guest) = ports.split_once(':').ok_or("expected HOST:GUEST[/udp]")?;
        let port = |text: &str, side: &str| match text.parse::<u16>() {
            Ok(0) | Err(_) => Err(format!("the {side} port must be a number from 1 to 65535, not `{text}`")),
            Ok(port) => Ok(port),
        };
        Ok(PortForward { proto, host_port: port(host, "host")?, guest_port: port(guest, "guest")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_values_parse() {
        assert_eq!("none".parse(), Ok(Net::None));
        assert_eq!("user".parse(), Ok(Net::User { forwards: vec![] }));
        assert_eq!("tap=rt0".parse(), Ok(Net::Tap { ifname: "rt0".into(), queues: 1 }));
        assert_eq!("tap=rt0,queues=4".parse(), Ok(Net::Tap { ifname: "rt0".into(), queues: 4 }));
        for bad in [
            "",
            "tap",
            "tap=",
            "tap=a,b",
            "tap=rt0,queues=0",
            "tap=rt0,queues=x",
            "tap=rt0,queue=2",
            "tap=a/b",
            "tap=0123456789abcdef",
            "bridge",
            "User",
        ] {
            assert!(bad.parse::<Net>().is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn port_forwards_parse_like_docker() {
        assert_eq!("8080:80".parse(), Ok(PortForward::tcp(8080, 80)));
        assert_eq!("8080:80/tcp".parse(), Ok(PortForward::tcp(8080, 80)));
        assert_eq!("5353:53/udp".parse(), Ok(PortForward::udp(5353, 53)));
        for bad in ["80", "0:80", "80:0", "65536:80", "a:80", "80:80/sctp", ":80", "1:2:3", "8080:80/"] {
            assert!(bad.parse::<PortForward>().is_err(), "{bad:?} should not parse");
        }
        for text in ["8080:80", "5353:53/udp"] {
            assert_eq!(text.parse::<PortForward>().map(|p| p.to_string()), Ok(text.to_string()));
        }
    }

    #[test]
    fn descriptions() {
        let shown: Vec<String> = [
            Net::None,
            Net::User { forwards: vec![] },
            Net::User { forwards: vec![PortForward::tcp(8080, 80), PortForward::udp(53, 53)] },
            Net::Tap { ifname: "rt0".into(), queues: 1 },
            Net::Tap { ifname: "rt0".into(), queues: 2 },
            Net::Dgram { qemu_socket: "/t/q".into(), peer_socket: "/t/p".into() },
        ]
        .iter()
        .map(Net::to_string)
        .collect();
        assert_eq!(
            shown,
            [
                "no network",
                "user network",
                "user network, -p 8080:80 -p 53:53/udp",
                "tap rt0",
                "tap rt0 with 2 queues",
                "frame peer at /t/p"
            ]
        );
    }

    #[test]
    fn netdev_values() {
        assert_eq!(Net::None.netdev_arg(), None);
        assert_eq!(Net::User { forwards: vec![] }.netdev_arg().as_deref(), Some("user,id=net0"));
        let user = Net::User { forwards: vec![PortForward::tcp(8080, 80), PortForward::udp(5353, 53)] };
        assert_eq!(
            user.netdev_arg().as_deref(),
            Some("user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53")
        );
        let tap = |queues| Net::Tap { ifname: "rt0".into(), queues };
        assert_eq!(tap(1).netdev_arg().as_deref(), Some("tap,id=net0,ifname=rt0,script=no,downscript=no"));
        assert_eq!(tap(2).netdev_arg().as_deref(), Some("tap,id=net0,ifname=rt0,script=no,downscript=no,queues=2"));
        let dgram = Net::Dgram { qemu_socket: "/tmp/p,1/qemu".into(), peer_socket: "/tmp/p,1/peer".into() };
        assert_eq!(
            dgram.netdev_arg().as_deref(),
            Some("dgram,id=net0,local.type=unix,local.path=/tmp/p,,1/qemu,remote.type=unix,remote.path=/tmp/p,,1/peer")
        );
    }
}
