//! `sockaddr_un` as Linux reads and reports it. A path name keeps the bytes
//! up to its first NUL (or the end of the address) and is reported with
//! one NUL after it: `offsetof(sun_path) + strlen + 1`, which is 111 for a
//! path filling all 108 bytes. An abstract name (first byte NUL) is every
//! byte the length covers. Two bytes, just the family, is unnamed.

use core::cmp::Ordering;

use ringo_uapi::Errno;
use ringo_uapi::net::{AF_UNIX, SockaddrUn};

/// The longest encoding: the family, 108 path bytes and the NUL Linux adds.
pub const MAX_LEN: usize = SockaddrUn::SIZE + 1;
const OFF: usize = SockaddrUn::PATH_OFFSET;

/// An address as reported (getsockname, accept, recvfrom): its bytes are
/// the `sockaddr_un` and `len()` the length to report. Fixed size, so it
/// is copied around without allocating.
#[derive(Clone, Copy)]
pub struct UnixAddr {
    len: u8,
    bytes: [u8; MAX_LEN],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddrKind<'a> {
    Unnamed,
    /// The path, without its NUL.
    Path(&'a [u8]),
    /// The name after the leading NUL.
    Abstract(&'a [u8]),
}

impl UnixAddr {
    pub const UNNAMED: UnixAddr = {
        let mut bytes = [0u8; MAX_LEN];
        let fam = AF_UNIX.to_ne_bytes();
        bytes[0] = fam[0];
        bytes[1] = fam[1];
        UnixAddr { len: OFF as u8, bytes }
    };

    /// A user's address of `sa.len()` bytes, with unix_validate_addr's
    /// checks: EINVAL for a wrong family or a length outside 2..=110.
    /// (bind and connect refuse the 2-byte unnamed one themselves.)
    pub fn parse(sa: &[u8]) -> Result<UnixAddr, Errno> {
        if sa.len() < OFF || sa.len() > SockaddrUn::SIZE {
            return Err(Errno::EINVAL);
        }
        if u16::from_ne_bytes([sa[0], sa[1]]) != AF_UNIX {
            return Err(Errno::EINVAL);
        }
        let mut a = UnixAddr::UNNAMED;
        let path = &sa[OFF..];
        let kept = match path.first() {
            None => return Ok(a),
            Some(0) => path.len(),
            Some(_) => path.iter().position(|&b| b == 0).unwrap_or(path.len()),
        };
        a.bytes[OFF..OFF + kept].copy_from_slice(&path[..kept]);
        // A path is reported with its terminating NUL (already zero).
        a.len = (OFF + kept + usize::from(path[0] != 0)) as u8;
        Ok(a)
    }

    /// An abstract name (autobind's), without the leading NUL.
    pub fn abstract_name(name: &[u8]) -> Result<UnixAddr, Errno> {
        if name.len() + 1 > SockaddrUn::SIZE - OFF {
            return Err(Errno::EINVAL);
        }
        let mut a = UnixAddr::UNNAMED;
        a.bytes[OFF + 1..OFF + 1 + name.len()].copy_from_slice(name);
        a.len = (OFF + 1 + name.len()) as u8;
        Ok(a)
    }

    /// The `sockaddr_un` bytes to copy out (truncated to the caller's room;
    /// the length reported is `len()` regardless).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.kind() == AddrKind::Unnamed
    }

    pub fn kind(&self) -> AddrKind<'_> {
        let path = &self.bytes[OFF..self.len as usize];
        match path.first() {
            None => AddrKind::Unnamed,
            Some(0) => AddrKind::Abstract(&path[1..]),
            Some(_) => AddrKind::Path(&path[..path.len() - 1]),
        }
    }
}

impl PartialEq for UnixAddr {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for UnixAddr {}

impl PartialOrd for UnixAddr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UnixAddr {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl core::fmt::Debug for UnixAddr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kind() {
            AddrKind::Unnamed => write!(f, "UnixAddr(unnamed)"),
            AddrKind::Path(p) => write!(f, "UnixAddr({:?})", alloc::string::String::from_utf8_lossy(p)),
            AddrKind::Abstract(n) => write!(f, "UnixAddr(@{:?})", alloc::string::String::from_utf8_lossy(n)),
        }
    }
}
