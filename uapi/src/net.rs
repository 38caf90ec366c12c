//! Sockets: address families, types, levels and options, message flags,
//! and `sockaddr_in` (x86-64 Linux; checked against musl's and Linux's
//! headers).

pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;
pub const AF_PACKET: u16 = 17;

pub const SOCK_STREAM: u32 = 1;
pub const SOCK_DGRAM: u32 = 2;
pub const SOCK_RAW: u32 = 3;
pub const SOCK_SEQPACKET: u32 = 5;
/// `type` of socket(2) carries these flags beside the type.
pub const SOCK_NONBLOCK: u32 = 0o4000;
pub const SOCK_CLOEXEC: u32 = 0o2000000;
pub const SOCK_TYPE_MASK: u32 = 0xf;

pub const IPPROTO_IP: i32 = 0;
pub const IPPROTO_ICMP: i32 = 1;
pub const IPPROTO_TCP: i32 = 6;
pub const IPPROTO_UDP: i32 = 17;
pub const IPPROTO_IPV6: i32 = 41;

pub const SOL_SOCKET: i32 = 1;
pub const SO_DEBUG: i32 = 1;
pub const SO_REUSEADDR: i32 = 2;
pub const SO_TYPE: i32 = 3;
pub const SO_ERROR: i32 = 4;
pub const SO_DONTROUTE: i32 = 5;
pub const SO_BROADCAST: i32 = 6;
pub const SO_SNDBUF: i32 = 7;
pub const SO_RCVBUF: i32 = 8;
pub const SO_KEEPALIVE: i32 = 9;
pub const SO_OOBINLINE: i32 = 10;
pub const SO_LINGER: i32 = 13;
pub const SO_REUSEPORT: i32 = 15;
pub const SO_RCVLOWAT: i32 = 18;
pub const SO_SNDLOWAT: i32 = 19;
pub const SO_RCVTIMEO_OLD: i32 = 20;
pub const SO_SNDTIMEO_OLD: i32 = 21;
pub const SO_ACCEPTCONN: i32 = 30;
pub const SO_PROTOCOL: i32 = 38;
pub const SO_DOMAIN: i32 = 39;

pub const TCP_NODELAY: i32 = 1;
pub const TCP_MAXSEG: i32 = 2;
pub const TCP_CORK: i32 = 3;
pub const TCP_KEEPIDLE: i32 = 4;
pub const TCP_KEEPINTVL: i32 = 5;
pub const TCP_KEEPCNT: i32 = 6;
pub const TCP_DEFER_ACCEPT: i32 = 9;
pub const TCP_INFO: i32 = 11;
pub const TCP_QUICKACK: i32 = 12;
pub const TCP_USER_TIMEOUT: i32 = 18;
pub const TCP_FASTOPEN: i32 = 23;

pub const IP_TOS: i32 = 1;
pub const IP_TTL: i32 = 2;
pub const IPV6_V6ONLY: i32 = 26;

pub const MSG_OOB: u32 = 0x1;
pub const MSG_PEEK: u32 = 0x2;
pub const MSG_DONTROUTE: u32 = 0x4;
pub const MSG_CTRUNC: u32 = 0x8;
pub const MSG_TRUNC: u32 = 0x20;
pub const MSG_DONTWAIT: u32 = 0x40;
pub const MSG_EOR: u32 = 0x80;
pub const MSG_WAITALL: u32 = 0x100;
pub const MSG_NOSIGNAL: u32 = 0x4000;
pub const MSG_MORE: u32 = 0x8000;
pub const MSG_WAITFORONE: u32 = 0x10000;
pub const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

pub const SHUT_RD: i32 = 0;
pub const SHUT_WR: i32 = 1;
pub const SHUT_RDWR: i32 = 2;

pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;
/// The most descriptors one SCM_RIGHTS send may carry (include/net/scm.h).
pub const SCM_MAX_FD: usize = 253;

pub const SO_PASSCRED: i32 = 16;
pub const SO_PEERCRED: i32 = 17;

/// Linux's default for /proc/sys/net/core/somaxconn since 5.4 (musl's
/// header still says 128).
pub const SOMAXCONN: u32 = 4096;

pub const INADDR_ANY: u32 = 0;
pub const INADDR_LOOPBACK: u32 = 0x7f00_0001;

pub const SIOCGIFCONF: u32 = 0x8912;
pub const SIOCGIFFLAGS: u32 = 0x8913;
pub const SIOCGIFADDR: u32 = 0x8915;
pub const SIOCGIFNETMASK: u32 = 0x891b;
pub const SIOCGIFMTU: u32 = 0x8921;
pub const SIOCGIFHWADDR: u32 = 0x8927;
pub const SIOCGIFINDEX: u32 = 0x8933;

pub const SIOCGIFBRDADDR: u32 = 0x8919;
pub const SIOCGIFMETRIC: u32 = 0x891d;
pub const SIOCGIFTXQLEN: u32 = 0x8942;
pub const SIOCGIFMAP: u32 = 0x8970;

pub const IFF_UP: u16 = 0x1;
pub const IFF_BROADCAST: u16 = 0x2;
pub const IFF_LOOPBACK: u16 = 0x8;
pub const IFF_RUNNING: u16 = 0x40;
pub const IFF_MULTICAST: u16 = 0x1000;
pub const IFNAMSIZ: usize = 16;
pub const ARPHRD_ETHER: u16 = 1;
pub const ARPHRD_LOOPBACK: u16 = 772;
/// `struct ifreq` and `struct ifconf` sizes on x86-64.
pub const IFREQ_SIZE: usize = 40;
pub const IFCONF_SIZE: usize = 16;

/// `struct sockaddr_in`: port and address in network byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct SockaddrIn {
    pub family: u16,
    pub port_be: u16,
    pub addr_be: u32,
    pub zero: [u8; 8],
}

impl SockaddrIn {
    pub const SIZE: usize = 16;

    pub fn new(addr: core::net::Ipv4Addr, port: u16) -> Self {
        SockaddrIn { family: AF_INET, port_be: port.to_be(), addr_be: u32::from(addr).to_be(), zero: [0; 8] }
    }

    pub fn port(&self) -> u16 {
        u16::from_be(self.port_be)
    }

    pub fn addr(&self) -> core::net::Ipv4Addr {
        core::net::Ipv4Addr::from(u32::from_be(self.addr_be))
    }

    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..2].copy_from_slice(&self.family.to_ne_bytes());
        b[2..4].copy_from_slice(&self.port_be.to_ne_bytes());
        b[4..8].copy_from_slice(&self.addr_be.to_ne_bytes());
        b
    }

    /// From the first bytes of a user's address (`len` of them). None if
    /// too short; the family is the caller's to check.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        if b.len() < 8 {
            return None;
        }
        Some(SockaddrIn {
            family: u16::from_ne_bytes([b[0], b[1]]),
            port_be: u16::from_ne_bytes([b[2], b[3]]),
            addr_be: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
            zero: [0; 8],
        })
    }
}

/// `struct sockaddr_un`: the family, then a path (NUL-terminated unless
/// it fills `path`) or an abstract name (a NUL, then bytes the address
/// length delimits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct SockaddrUn {
    pub family: u16,
    pub path: [u8; 108],
}

impl SockaddrUn {
    pub const SIZE: usize = 110;
    /// offsetof(struct sockaddr_un, sun_path): an address of just this
    /// many bytes is unnamed.
    pub const PATH_OFFSET: usize = 2;
}

/// `struct cmsghdr` on x86-64: the length (header included) is a size_t
/// and the data starts at the next 8-byte boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Cmsghdr {
    pub len: u64,
    pub level: i32,
    pub ty: i32,
}

impl Cmsghdr {
    pub const SIZE: usize = 16;

    /// CMSG_ALIGN.
    pub const fn align(len: usize) -> usize {
        (len + 7) & !7
    }

    /// CMSG_LEN: a header and `data` bytes, unpadded.
    pub const fn len_for(data: usize) -> usize {
        Self::SIZE + data
    }

    /// CMSG_SPACE: a header and `data` bytes, padded to the next header.
    pub const fn space_for(data: usize) -> usize {
        Self::SIZE + Self::align(data)
    }

    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..8].copy_from_slice(&self.len.to_ne_bytes());
        b[8..12].copy_from_slice(&self.level.to_ne_bytes());
        b[12..16].copy_from_slice(&self.ty.to_ne_bytes());
        b
    }

    /// The header at the start of `b`; None if fewer than 16 bytes.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        let b: &[u8; 16] = b.get(..16)?.try_into().ok()?;
        let [l0, l1, l2, l3, l4, l5, l6, l7, v0, v1, v2, v3, t0, t1, t2, t3] = *b;
        Some(Cmsghdr {
            len: u64::from_ne_bytes([l0, l1, l2, l3, l4, l5, l6, l7]),
            level: i32::from_ne_bytes([v0, v1, v2, v3]),
            ty: i32::from_ne_bytes([t0, t1, t2, t3]),
        })
    }
}

/// `struct ucred` (SO_PEERCRED, SCM_CREDENTIALS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// `struct msghdr` on x86-64.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Msghdr {
    pub name: u64,
    pub namelen: u32,
    pub pad0: u32,
    pub iov: u64,
    pub iovlen: u64,
    pub control: u64,
    pub controllen: u64,
    pub flags: u32,
    pub pad1: u32,
}

/// `struct mmsghdr`.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Mmsghdr {
    pub hdr: Msghdr,
    pub len: u32,
    pub pad: u32,
}

/// `struct linger`.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Linger {
    pub onoff: i32,
    pub linger: i32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use core::mem::{offset_of, size_of};

    #[test]
    fn socket_numbers_match_musl_and_linux_headers() {
        let defs = defines(&[
            "/usr/include/x86_64-linux-musl/sys/socket.h",
            "/usr/include/x86_64-linux-musl/netinet/in.h",
            "/usr/include/x86_64-linux-musl/netinet/tcp.h",
            "/usr/include/asm-generic/socket.h",
            "/usr/include/linux/sockios.h",
        ]);
        let all: [(&str, i128); 65] = [
            ("AF_UNSPEC", AF_UNSPEC as i128),
            ("AF_UNIX", AF_UNIX as i128),
            ("AF_INET", AF_INET as i128),
            ("AF_INET6", AF_INET6 as i128),
            ("AF_NETLINK", AF_NETLINK as i128),
            ("AF_PACKET", AF_PACKET as i128),
            ("SOCK_STREAM", SOCK_STREAM as i128),
            ("SOCK_DGRAM", SOCK_DGRAM as i128),
            ("SOCK_RAW", SOCK_RAW as i128),
            ("SOCK_SEQPACKET", SOCK_SEQPACKET as i128),
            ("SOCK_NONBLOCK", SOCK_NONBLOCK as i128),
            ("SOCK_CLOEXEC", SOCK_CLOEXEC as i128),
            ("IPPROTO_IP", IPPROTO_IP as i128),
            ("IPPROTO_ICMP", IPPROTO_ICMP as i128),
            ("IPPROTO_TCP", IPPROTO_TCP as i128),
            ("IPPROTO_UDP", IPPROTO_UDP as i128),
            ("IPPROTO_IPV6", IPPROTO_IPV6 as i128),
            ("SOL_SOCKET", SOL_SOCKET as i128),
            ("SO_DEBUG", SO_DEBUG as i128),
            ("SO_REUSEADDR", SO_REUSEADDR as i128),
            ("SO_TYPE", SO_TYPE as i128),
            ("SO_ERROR", SO_ERROR as i128),
            ("SO_DONTROUTE", SO_DONTROUTE as i128),
            ("SO_BROADCAST", SO_BROADCAST as i128),
            ("SO_SNDBUF", SO_SNDBUF as i128),
            ("SO_RCVBUF", SO_RCVBUF as i128),
            ("SO_KEEPALIVE", SO_KEEPALIVE as i128),
            ("SO_OOBINLINE", SO_OOBINLINE as i128),
            ("SO_LINGER", SO_LINGER as i128),
            ("SO_REUSEPORT", SO_REUSEPORT as i128),
            ("SO_RCVLOWAT", SO_RCVLOWAT as i128),
            ("SO_SNDLOWAT", SO_SNDLOWAT as i128),
            ("SO_RCVTIMEO_OLD", SO_RCVTIMEO_OLD as i128),
            ("SO_SNDTIMEO_OLD", SO_SNDTIMEO_OLD as i128),
            ("SO_ACCEPTCONN", SO_ACCEPTCONN as i128),
            ("SO_PROTOCOL", SO_PROTOCOL as i128),
            ("SO_DOMAIN", SO_DOMAIN as i128),
            ("TCP_NODELAY", TCP_NODELAY as i128),
            ("TCP_MAXSEG", TCP_MAXSEG as i128),
            ("TCP_CORK", TCP_CORK as i128),
            ("TCP_KEEPIDLE", TCP_KEEPIDLE as i128),
            ("TCP_KEEPINTVL", TCP_KEEPINTVL as i128),
            ("TCP_KEEPCNT", TCP_KEEPCNT as i128),
            ("TCP_DEFER_ACCEPT", TCP_DEFER_ACCEPT as i128),
            ("TCP_INFO", TCP_INFO as i128),
            ("TCP_QUICKACK", TCP_QUICKACK as i128),
            ("TCP_USER_TIMEOUT", TCP_USER_TIMEOUT as i128),
            ("TCP_FASTOPEN", TCP_FASTOPEN as i128),
            ("IP_TOS", IP_TOS as i128),
            ("IP_TTL", IP_TTL as i128),
            ("IPV6_V6ONLY", IPV6_V6ONLY as i128),
            ("MSG_PEEK", MSG_PEEK as i128),
            ("MSG_TRUNC", MSG_TRUNC as i128),
            ("MSG_DONTWAIT", MSG_DONTWAIT as i128),
            ("MSG_WAITALL", MSG_WAITALL as i128),
            ("MSG_NOSIGNAL", MSG_NOSIGNAL as i128),
            ("MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC as i128),
            ("SHUT_RDWR", SHUT_RDWR as i128),
            ("SCM_RIGHTS", SCM_RIGHTS as i128),
            ("SCM_CREDENTIALS", SCM_CREDENTIALS as i128),
            ("SO_PASSCRED", SO_PASSCRED as i128),
            ("SO_PEERCRED", SO_PEERCRED as i128),
            ("MSG_CTRUNC", MSG_CTRUNC as i128),
            ("SIOCGIFCONF", SIOCGIFCONF as i128),
            ("SIOCGIFHWADDR", SIOCGIFHWADDR as i128),
        ];
        for (name, value) in all {
            assert_same(&defs, name, value);
        }
        for (name, value) in [
            ("SIOCGIFBRDADDR", SIOCGIFBRDADDR),
            ("SIOCGIFMETRIC", SIOCGIFMETRIC),
            ("SIOCGIFTXQLEN", SIOCGIFTXQLEN),
            ("SIOCGIFMAP", SIOCGIFMAP),
            ("SIOCGIFFLAGS", SIOCGIFFLAGS),
            ("SIOCGIFADDR", SIOCGIFADDR),
            ("SIOCGIFNETMASK", SIOCGIFNETMASK),
            ("SIOCGIFMTU", SIOCGIFMTU),
            ("SIOCGIFINDEX", SIOCGIFINDEX),
        ] {
            assert_same(&defs, name, value as i128);
        }
    }

    #[test]
    fn interface_flags_match_musl() {
        let defs = defines(&["/usr/include/x86_64-linux-musl/net/if.h", "/usr/include/x86_64-linux-musl/net/if_arp.h"]);
        for (name, value) in [
            ("IFF_UP", IFF_UP),
            ("IFF_BROADCAST", IFF_BROADCAST),
            ("IFF_LOOPBACK", IFF_LOOPBACK),
            ("IFF_RUNNING", IFF_RUNNING),
            ("IFF_MULTICAST", IFF_MULTICAST),
            ("ARPHRD_ETHER", ARPHRD_ETHER),
            ("ARPHRD_LOOPBACK", ARPHRD_LOOPBACK),
        ] {
            assert_same(&defs, name, value as i128);
        }
    }

    #[test]
    fn socket_structures_have_linux_layouts() {
        assert_eq!(size_of::<SockaddrIn>(), 16);
        assert_eq!(size_of::<Msghdr>(), 56);
        assert_eq!(offset_of!(Msghdr, iov), 16);
        assert_eq!(offset_of!(Msghdr, control), 32);
        assert_eq!(offset_of!(Msghdr, flags), 48);
        assert_eq!(size_of::<Mmsghdr>(), 64);
        assert_eq!(size_of::<Linger>(), 8);
        assert_eq!(size_of::<SockaddrUn>(), SockaddrUn::SIZE);
        assert_eq!(offset_of!(SockaddrUn, path), SockaddrUn::PATH_OFFSET);
        assert_eq!(size_of::<Cmsghdr>(), Cmsghdr::SIZE);
        assert_eq!(offset_of!(Cmsghdr, level), 8);
        assert_eq!(offset_of!(Cmsghdr, ty), 12);
        assert_eq!(size_of::<Ucred>(), 12);
        // CMSG_LEN(sizeof(int)) and CMSG_SPACE(sizeof(int)) as glibc and musl compute them.
        assert_eq!(Cmsghdr::len_for(4), 20);
        assert_eq!(Cmsghdr::space_for(4), 24);
        assert_eq!(Cmsghdr::space_for(8), 24);
        let h = Cmsghdr { len: 20, level: SOL_SOCKET, ty: SCM_RIGHTS };
        assert_eq!(Cmsghdr::from_bytes(&h.to_bytes()), Some(h));
        assert_eq!(Cmsghdr::from_bytes(&[0; 15]), None);
    }

    #[test]
    fn sockaddr_in_keeps_network_byte_order() {
        let a = SockaddrIn::new(core::net::Ipv4Addr::new(10, 0, 2, 15), 8080);
        let b = a.to_bytes();
        assert_eq!(&b[..8], &[2, 0, 0x1f, 0x90, 10, 0, 2, 15]);
        let back = SockaddrIn::from_bytes(&b).expect("16 bytes");
        assert_eq!((back.addr(), back.port()), (core::net::Ipv4Addr::new(10, 0, 2, 15), 8080));
    }
}
