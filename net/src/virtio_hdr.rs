//! The header in front of every virtio-net frame (virtio 1.2, 5.1.6
//! "struct virtio_net_hdr"), little-endian. It is 10 bytes on legacy devices
//! without VIRTIO_NET_F_MRG_RXBUF and 12 otherwise, the last two being
//! `num_buffers`.

use crate::checksum::{ChecksumError, complete_partial_checksum};
use crate::link::ChecksumState;

pub const LEGACY_LEN: usize = 10;
pub const MODERN_LEN: usize = 12;

/// Only the checksum of `frame[csum_start..]` is missing; it goes at
/// `csum_start + csum_offset`, where the pseudo-header sum already is.
pub const F_NEEDS_CSUM: u8 = 1;
/// The device checked the TCP/UDP checksum (receive only).
pub const F_DATA_VALID: u8 = 2;
pub const GSO_NONE: u8 = 0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VirtioNetHdr {
    pub flags: u8,
    pub gso_type: u8,
    pub hdr_len: u16,
    pub gso_size: u16,
    pub csum_start: u16,
    pub csum_offset: u16,
    /// How many receive buffers the frame spans; 1 when the header has no
    /// such field (the spec says a device without MRG_RXBUF means 1).
    pub num_buffers: u16,
}

impl VirtioNetHdr {
    /// Reads a header of `len` bytes (LEGACY_LEN or MODERN_LEN) from the
    /// front of `bytes`; None for any other `len` or too few bytes.
    pub fn read(bytes: &[u8], len: usize) -> Option<Self> {
        if len != LEGACY_LEN && len != MODERN_LEN {
            return None;
        }
        let head = bytes.get(..len)?;
        let le16 = |at: usize| head.get(at..)?.first_chunk::<2>().map(|b| u16::from_le_bytes(*b));
        Some(VirtioNetHdr {
            flags: *head.first()?,
            gso_type: *head.get(1)?,
            hdr_len: le16(2)?,
            gso_size: le16(4)?,
            csum_start: le16(6)?,
            csum_offset: le16(8)?,
            num_buffers: if len == MODERN_LEN { le16(10)? } else { 1 },
        })
    }

    /// Writes the header as `len` bytes (LEGACY_LEN or MODERN_LEN) to the
    /// front of `out`; returns `len`, or 0 (nothing written) for another
    /// `len` or an `out` shorter than it.
    pub fn write(&self, out: &mut [u8], len: usize) -> usize {
        if len != LEGACY_LEN && len != MODERN_LEN {
            return 0;
        }
        let [h0, h1] = self.hdr_len.to_le_bytes();
        let [g0, g1] = self.gso_size.to_le_bytes();
        let [s0, s1] = self.csum_start.to_le_bytes();
        let [o0, o1] = self.csum_offset.to_le_bytes();
        let [n0, n1] = self.num_buffers.to_le_bytes();
        let bytes = [self.flags, self.gso_type, h0, h1, g0, g1, s0, s1, o0, o1, n0, n1];
        match (out.get_mut(..len), bytes.get(..len)) {
            (Some(head), Some(src)) => {
                head.copy_from_slice(src);
                len
            }
            _ => 0,
        }
    }
}

/// What a received frame's header says about its checksum; `frame` starts
/// after the header, where `csum_start` counts from. A frame with
/// NEEDS_CSUM (sent by the host with its checksum left to do, e.g. by a
/// local tap peer) has it completed in place, and then counts as verified:
/// it never crossed a wire that could corrupt it.
pub fn rx_checksum_state(hdr: &VirtioNetHdr, frame: &mut [u8]) -> Result<ChecksumState, ChecksumError> {
    if hdr.flags & F_NEEDS_CSUM != 0 {
        complete_partial_checksum(frame, usize::from(hdr.csum_start), usize::from(hdr.csum_offset))?;
        Ok(ChecksumState::Verified)
    } else if hdr.flags & F_DATA_VALID != 0 {
        Ok(ChecksumState::Verified)
    } else {
        Ok(ChecksumState::Unverified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODERN: [u8; 12] = [0x01, 0x00, 0x36, 0x00, 0xdc, 0x05, 0x22, 0x00, 0x06, 0x00, 0x02, 0x00];

    #[test]
    fn reads_a_modern_header_little_endian() {
        let hdr = VirtioNetHdr::read(&MODERN, MODERN_LEN).unwrap();
        assert_eq!(
            hdr,
            VirtioNetHdr {
                flags: F_NEEDS_CSUM,
                gso_type: GSO_NONE,
                hdr_len: 0x36,
                gso_size: 1500,
                csum_start: 34,
                csum_offset: 6,
                num_buffers: 2,
            }
        );
    }

    #[test]
    fn a_legacy_header_has_no_num_buffers_field_and_counts_as_one_buffer() {
        let hdr = VirtioNetHdr::read(&MODERN[..10], LEGACY_LEN).unwrap();
        assert_eq!(hdr.csum_offset, 6);
        assert_eq!(hdr.num_buffers, 1);
    }

    #[test]
    fn reading_needs_a_known_length_and_enough_bytes() {
        assert_eq!(VirtioNetHdr::read(&MODERN[..11], MODERN_LEN), None);
        assert_eq!(VirtioNetHdr::read(&MODERN, 11), None);
        assert_eq!(VirtioNetHdr::read(&[], LEGACY_LEN), None);
    }

    #[test]
    fn writes_what_it_reads() {
        let hdr = VirtioNetHdr::read(&MODERN, MODERN_LEN).unwrap();
        let mut out = [0xeeu8; 14];
        assert_eq!(hdr.write(&mut out, MODERN_LEN), 12);
        assert_eq!(out[..12], MODERN);
        assert_eq!(out[12..], [0xee, 0xee]);
        let mut legacy = [0xeeu8; 12];
        assert_eq!(hdr.write(&mut legacy, LEGACY_LEN), 10);
        assert_eq!(legacy[..10], MODERN[..10]);
        assert_eq!(legacy[10..], [0xee, 0xee], "num_buffers only in the 12-byte form");
    }

    #[test]
    fn writing_refuses_a_short_buffer_or_an_unknown_length() {
        let hdr = VirtioNetHdr::default();
        assert_eq!(hdr.write(&mut [0u8; 11], MODERN_LEN), 0);
        assert_eq!(hdr.write(&mut [0u8; 16], 16), 0);
    }

    #[test]
    fn needs_csum_completes_the_checksum_in_place_and_counts_as_verified() {
        // Sum of the two bytes after the (zero) field is 0x1234: checksum !0x1234.
        let mut frame = [0xaa, 0x00, 0x00, 0x12, 0x34];
        let hdr = VirtioNetHdr { flags: F_NEEDS_CSUM, csum_start: 1, csum_offset: 0, ..Default::default() };
        assert_eq!(rx_checksum_state(&hdr, &mut frame), Ok(ChecksumState::Verified));
        assert_eq!(frame, [0xaa, 0xed, 0xcb, 0x12, 0x34]);
    }

    #[test]
    fn needs_csum_with_offsets_outside_the_frame_is_an_error() {
        let mut frame = [0u8; 8];
        let hdr = VirtioNetHdr { flags: F_NEEDS_CSUM, csum_start: 4, csum_offset: 3, ..Default::default() };
        assert_eq!(rx_checksum_state(&hdr, &mut frame), Err(ChecksumError::OutOfBounds));
    }

    #[test]
    fn data_valid_is_verified_and_no_flag_is_unverified() {
        let mut frame = [0u8; 8];
        let valid = VirtioNetHdr { flags: F_DATA_VALID, ..Default::default() };
        assert_eq!(rx_checksum_state(&valid, &mut frame), Ok(ChecksumState::Verified));
        assert_eq!(rx_checksum_state(&VirtioNetHdr::default(), &mut frame), Ok(ChecksumState::Unverified));
        assert_eq!(frame, [0u8; 8]);
    }
}
