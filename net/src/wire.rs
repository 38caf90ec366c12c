//! Wire formats: zero-copy views over received bytes and writers that fill a
//! caller's buffer.
//!
//! A view's `parse` checks everything its accessors rely on and decodes the
//! fixed header fields there, so accessors cannot fail; the payload stays a
//! borrowed slice. All reads and writes go through the helpers below, which
//! answer `Truncated` instead of indexing past a buffer: the bytes come from
//! the network and any of them may be wrong.

pub mod arp;
pub mod ethernet;
pub mod icmp;
pub mod ipv4;
pub mod tcp;
pub mod udp;

use core::fmt;
use core::net::Ipv4Addr;

use crate::mac::MacAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The bytes end before the header does (or a writer's buffer is too small).
    Truncated,
    BadVersion,
    BadHeaderLength,
    /// A length field disagrees with the bytes that carry it.
    BadLength,
    BadChecksum,
    /// An IPv4 fragment: Ringo does not reassemble.
    Fragment,
    /// Well-formed, but a variant we do not speak (VLAN tags, non-Ethernet ARP).
    Unsupported,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireError::Truncated => "truncated",
            WireError::BadVersion => "bad version",
            WireError::BadHeaderLength => "bad header length",
            WireError::BadLength => "bad length",
            WireError::BadChecksum => "bad checksum",
            WireError::Fragment => "fragment",
            WireError::Unsupported => "unsupported",
        })
    }
}

pub(crate) fn array<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], WireError> {
    bytes.get(at..).and_then(|rest| rest.first_chunk::<N>()).copied().ok_or(WireError::Truncated)
}

pub(crate) fn u8_at(bytes: &[u8], at: usize) -> Result<u8, WireError> {
    bytes.get(at).copied().ok_or(WireError::Truncated)
}

pub(crate) fn be16(bytes: &[u8], at: usize) -> Result<u16, WireError> {
    array(bytes, at).map(u16::from_be_bytes)
}

pub(crate) fn be32(bytes: &[u8], at: usize) -> Result<u32, WireError> {
    array(bytes, at).map(u32::from_be_bytes)
}

pub(crate) fn ipv4_at(bytes: &[u8], at: usize) -> Result<Ipv4Addr, WireError> {
    array::<4>(bytes, at).map(Ipv4Addr::from)
}

pub(crate) fn mac_at(bytes: &[u8], at: usize) -> Result<MacAddr, WireError> {
    array(bytes, at).map(MacAddr)
}

/// Copies `value` into `out` at `at`.
pub(crate) fn put(out: &mut [u8], at: usize, value: &[u8]) -> Result<(), WireError> {
    let end = at.checked_add(value.len()).ok_or(WireError::Truncated)?;
    out.get_mut(at..end).ok_or(WireError::Truncated)?.copy_from_slice(value);
    Ok(())
}

/// Fails unless `out` holds at least `len` bytes, so that a writer either
/// writes its whole header or nothing.
pub(crate) fn need(out: &[u8], len: usize) -> Result<(), WireError> {
    if out.len() < len { Err(WireError::Truncated) } else { Ok(()) }
}
