//! The interface ioctls on sockets (what `ifconfig` and `ip`'s fallbacks
//! issue): SIOCGIFCONF lists lo and eth0, the others answer for one
//! interface named in a `struct ifreq` (16-byte name, then a 24-byte union
//! whose sockaddr/short/int Linux fills).

use core::net::Ipv4Addr;

use ringo_uapi::Errno;
use ringo_uapi::net::*;

use super::Interface;

/// Copies from and to the caller's memory (the system-call layer's).
pub type ReadUser<'a> = &'a dyn Fn(u64, &mut [u8]) -> Result<(), Errno>;
pub type WriteUser<'a> = &'a dyn Fn(u64, &[u8]) -> Result<(), Errno>;

/// An interface as these calls see it.
struct If {
    name: &'static str,
    index: i32,
    addr: Option<Ipv4Addr>,
    mask: Option<Ipv4Addr>,
    flags: u16,
    hw: (u16, [u8; 6]),
    mtu: i32,
}

fn interfaces() -> alloc::vec::Vec<If> {
    let mut v = alloc::vec![If {
        name: "lo",
        index: 1,
        addr: Some(Ipv4Addr::LOCALHOST),
        mask: Some(Ipv4Addr::new(255, 0, 0, 0)),
        flags: IFF_UP | IFF_LOOPBACK | IFF_RUNNING,
        hw: (ARPHRD_LOOPBACK, [0; 6]),
        mtu: 65536,
    }];
    for (i, iface) in super::interfaces().enumerate() {
        let (addr, mask, _) = Interface::addresses(iface);
        v.push(If {
            name: iface.name,
            index: 2 + i as i32,
            addr,
            mask,
            flags: IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST,
            hw: (ARPHRD_ETHER, iface.mac.0),
            mtu: 1500,
        });
    }
    v
}

fn sockaddr(a: Ipv4Addr) -> [u8; 16] {
    SockaddrIn::new(a, 0).to_bytes()
}

/// Handles `cmd` for a socket; `read`/`write` reach the user's argument.
/// None: not an interface ioctl.
pub fn ioctl(cmd: u32, read: ReadUser<'_>, write: WriteUser<'_>, arg: u64) -> Option<Result<usize, Errno>> {
    let known = [
        SIOCGIFCONF,
        SIOCGIFFLAGS,
        SIOCGIFADDR,
        SIOCGIFNETMASK,
        SIOCGIFBRDADDR,
        SIOCGIFMTU,
        SIOCGIFHWADDR,
        SIOCGIFINDEX,
        SIOCGIFMETRIC,
        SIOCGIFTXQLEN,
        SIOCGIFMAP,
    ];
    if !known.contains(&cmd) {
        return None;
    }
    Some(answer(cmd, read, write, arg))
}

fn answer(cmd: u32, read: ReadUser<'_>, write: WriteUser<'_>, arg: u64) -> Result<usize, Errno> {
    let all = interfaces();
    if cmd == SIOCGIFCONF {
        let mut conf = [0u8; IFCONF_SIZE];
        read(arg, &mut conf)?;
        let room = i32::from_ne_bytes([conf[0], conf[1], conf[2], conf[3]]);
        let buf = u64::from_ne_bytes(conf[8..16].try_into().map_err(|_| Errno::EINVAL)?);
        let with_addr: alloc::vec::Vec<&If> = all.iter().filter(|i| i.addr.is_some()).collect();
        let mut used = 0usize;
        if buf != 0 {
            for i in with_addr {
                if used + IFREQ_SIZE > room.max(0) as usize {
                    break;
                }
                let mut req = [0u8; IFREQ_SIZE];
                req[..i.name.len()].copy_from_slice(i.name.as_bytes());
                req[16..32].copy_from_slice(&sockaddr(i.addr.unwrap_or(Ipv4Addr::UNSPECIFIED)));
                write(buf + used as u64, &req)?;
                used += IFREQ_SIZE;
            }
        } else {
            used = with_addr.len() * IFREQ_SIZE;
        }
        write(arg, &(used as i32).to_ne_bytes())?;
        return Ok(0);
    }
    let mut req = [0u8; IFREQ_SIZE];
    read(arg, &mut req)?;
    let name_len = req[..IFNAMSIZ].iter().position(|&b| b == 0).unwrap_or(IFNAMSIZ);
    let name = &req[..name_len];
    let Some(i) = all.iter().find(|i| i.name.as_bytes() == name) else { return Err(Errno::ENODEV) };
    let mut out = [0u8; 24];
    match cmd {
        SIOCGIFFLAGS => out[..2].copy_from_slice(&i.flags.to_ne_bytes()),
        SIOCGIFADDR => out[..16].copy_from_slice(&sockaddr(i.addr.ok_or(Errno::EADDRNOTAVAIL)?)),
        SIOCGIFNETMASK => out[..16].copy_from_slice(&sockaddr(i.mask.ok_or(Errno::EADDRNOTAVAIL)?)),
        SIOCGIFBRDADDR => {
            let (a, m) = (i.addr.ok_or(Errno::EADDRNOTAVAIL)?, i.mask.unwrap_or(Ipv4Addr::BROADCAST));
            out[..16].copy_from_slice(&sockaddr(Ipv4Addr::from(u32::from(a) | !u32::from(m))));
        }
        SIOCGIFMTU => out[..4].copy_from_slice(&i.mtu.to_ne_bytes()),
        SIOCGIFINDEX => out[..4].copy_from_slice(&i.index.to_ne_bytes()),
        SIOCGIFMETRIC => {}
        SIOCGIFTXQLEN => out[..4].copy_from_slice(&(if i.index == 1 { 1000i32 } else { 256 }).to_ne_bytes()),
        SIOCGIFHWADDR => {
            out[..2].copy_from_slice(&i.hw.0.to_ne_bytes());
            out[2..8].copy_from_slice(&i.hw.1);
        }
        // No device map: memory, IRQ and DMA fields are zero, as for virtio on Linux.
        _ => {}
    }
    write(arg + IFNAMSIZ as u64, &out)?;
    Ok(0)
}
