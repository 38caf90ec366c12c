//! The Internet checksum (RFC 1071): the one's complement of the one's
//! complement sum of 16-bit big-endian words, used by IPv4, ICMP, UDP and TCP.
//!
//! Sums are kept unfolded in a `u32` between steps so that a pseudo-header
//! and the segment can be summed separately and added; [`fold`] reduces a sum
//! to 16 bits only at the end.

use core::net::Ipv4Addr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumError {
    /// The checksum field, or the start of the summed range, lies outside
    /// the frame (a device that gave offsets we cannot trust).
    OutOfBounds,
}

/// Adds `parts`, taken as one byte stream, to `initial`. A part of odd
/// length lends its last byte to the next part, so where a buffer is split
/// into parts does not change the sum.
pub fn sum(initial: u32, parts: &[&[u8]]) -> u32 {
    let mut acc = u64::from(initial);
    let mut carry_byte: Option<u8> = None;
    for part in parts {
        let mut bytes: &[u8] = part;
        if let Some(high) = carry_byte {
            let Some((&low, rest)) = bytes.split_first() else { continue };
            acc += u64::from(u16::from_be_bytes([high, low]));
            bytes = rest;
        }
        let (words, tail) = bytes.as_chunks::<2>();
        for &word in words {
            acc += u64::from(u16::from_be_bytes(word));
        }
        carry_byte = tail.first().copied();
    }
    if let Some(high) = carry_byte {
        // RFC 1071: an odd final byte is padded with a zero byte on the right.
        acc += u64::from(u16::from_be_bytes([high, 0]));
    }
    fold_u64(acc)
}

/// Folds the carries of a sum back into its low 16 bits.
pub fn fold(sum: u32) -> u16 {
    let mut s = sum;
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

fn fold_u64(acc: u64) -> u32 {
    let mut s = acc;
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u32
}

/// The checksum to store in a header whose checksum field is zero while
/// `parts` are summed (or to compare against zero when the field holds the
/// received checksum: a correct message then yields 0).
pub fn internet_checksum(parts: &[&[u8]]) -> u16 {
    checksum_with(0, parts)
}

/// [`internet_checksum`] starting from a partial sum, typically
/// [`pseudo_header_sum`].
pub fn checksum_with(initial: u32, parts: &[&[u8]]) -> u16 {
    !fold(sum(initial, parts))
}

/// The sum of the IPv4 pseudo-header that UDP and TCP checksums cover
/// (RFC 768, RFC 793): source, destination, zero, protocol, and the length
/// of the UDP datagram or TCP segment.
pub fn pseudo_header_sum(src: Ipv4Addr, dst: Ipv4Addr, proto: u8, len: u16) -> u32 {
    let [s0, s1, s2, s3] = src.octets();
    let [d0, d1, d2, d3] = dst.octets();
    sum(0, &[&[s0, s1, s2, s3, d0, d1, d2, d3, 0, proto], &len.to_be_bytes()])
}

/// Finishes a checksum the sender left for us, with virtio-net's
/// `VIRTIO_NET_HDR_F_NEEDS_CSUM` semantics (the same as Linux's
/// CHECKSUM_PARTIAL): the 16-bit field at `csum_start + csum_offset` already
/// holds the folded pseudo-header sum, so summing `frame[csum_start..]` with
/// that field in place and storing the complement gives the full checksum.
pub fn complete_partial_checksum(frame: &mut [u8], csum_start: usize, csum_offset: usize) -> Result<(), ChecksumError> {
    let field = csum_start.checked_add(csum_offset).ok_or(ChecksumError::OutOfBounds)?;
    let field_end = field.checked_add(2).ok_or(ChecksumError::OutOfBounds)?;
    if field_end > frame.len() {
        return Err(ChecksumError::OutOfBounds);
    }
    let covered = frame.get(csum_start..).ok_or(ChecksumError::OutOfBounds)?;
    let mut csum = internet_checksum(&[covered]);
    // In UDP a stored 0 means "no checksum", so a computed 0 goes out as its
    // other one's complement form 0xffff, as Linux does (CSUM_MANGLED_0);
    // for TCP the two forms are the same number.
    if csum == 0 {
        csum = 0xffff;
    }
    frame.get_mut(field..field_end).ok_or(ChecksumError::OutOfBounds)?.copy_from_slice(&csum.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 1071 section 3.
    const RFC1071_EXAMPLE: [u8; 8] = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];

    #[test]
    fn sums_the_rfc1071_example() {
        assert_eq!(fold(sum(0, &[&RFC1071_EXAMPLE])), 0xddf2);
        assert_eq!(internet_checksum(&[&RFC1071_EXAMPLE]), !0xddf2);
    }

    #[test]
    fn a_known_ipv4_header_checks_to_zero() {
        // A header whose stored checksum (0xb861) is right.
        let header = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
            0x00, 0xc7,
        ];
        assert_eq!(internet_checksum(&[&header]), 0);
        let mut zeroed = header;
        zeroed[10] = 0;
        zeroed[11] = 0;
        assert_eq!(internet_checksum(&[&zeroed]), 0xb861);
    }

    #[test]
    fn splitting_the_input_at_odd_offsets_does_not_change_the_checksum() {
        let data: Vec<u8> = (0..=200u8).map(|b| b.wrapping_mul(37)).collect();
        let whole = internet_checksum(&[&data]);
        for cut in 0..data.len() {
            let (a, b) = data.split_at(cut);
            assert_eq!(internet_checksum(&[a, b]), whole, "cut at {cut}");
        }
        let (a, rest) = data.split_at(3);
        let (b, c) = rest.split_at(1);
        assert_eq!(internet_checksum(&[a, &[], b, &[], c]), whole);
    }

    #[test]
    fn an_odd_final_byte_is_padded_with_zero() {
        assert_eq!(internet_checksum(&[&[0x12]]), !0x1200);
        assert_eq!(internet_checksum(&[&[0x12, 0x34, 0x56]]), !(0x1234u16 + 0x5600));
    }

    #[test]
    fn carries_wrap_around() {
        assert_eq!(fold(sum(0, &[&[0xff, 0xff, 0x00, 0x02]])), 0x0002);
        assert_eq!(fold(0x0001_fffe), 0xffff);
        assert_eq!(fold(0xffff_ffff), 0xffff);
    }

    #[test]
    fn pseudo_header_covers_addresses_protocol_and_length() {
        let s = pseudo_header_sum(Ipv4Addr::new(10, 0, 2, 15), Ipv4Addr::new(10, 0, 2, 2), 17, 0x1c);
        assert_eq!(s, 0x0a00 + 0x020f + 0x0a00 + 0x0202 + 0x0011 + 0x001c);
    }

    /// A UDP datagram 10.0.2.15:1234 -> 10.0.2.2:53 carrying "hi!".
    fn udp_datagram() -> [u8; 11] {
        [0x04, 0xd2, 0x00, 0x35, 0x00, 0x0b, 0x00, 0x00, b'h', b'i', b'!']
    }

    #[test]
    fn completing_a_partial_checksum_gives_the_full_checksum() {
        let src = Ipv4Addr::new(10, 0, 2, 15);
        let dst = Ipv4Addr::new(10, 0, 2, 2);
        let udp = udp_datagram();
        let expected = checksum_with(pseudo_header_sum(src, dst, 17, 11), &[&udp]);

        // A frame with 14 bytes of Ethernet and 20 of IPv4 in front.
        let mut frame = vec![0xaa; 34];
        frame.extend_from_slice(&udp);
        let partial = fold(pseudo_header_sum(src, dst, 17, 11));
        frame[34 + 6..34 + 8].copy_from_slice(&partial.to_be_bytes());

        complete_partial_checksum(&mut frame, 34, 6).unwrap();
        assert_eq!(u16::from_be_bytes([frame[40], frame[41]]), expected);
        assert_eq!(checksum_with(pseudo_header_sum(src, dst, 17, 11), &[&frame[34..]]), 0);
        assert_eq!(&frame[..34], &[0xaa; 34][..], "bytes before csum_start are untouched");
    }

    #[test]
    fn a_computed_zero_is_stored_as_ffff() {
        // Two bytes whose sum with the (zero) field is 0xffff: checksum 0.
        let mut frame = [0xff, 0xff, 0x00, 0x00];
        complete_partial_checksum(&mut frame, 0, 2).unwrap();
        assert_eq!(frame, [0xff, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn partial_checksum_offsets_outside_the_frame_are_refused() {
        let mut frame = [0u8; 20];
        assert_eq!(complete_partial_checksum(&mut frame, 18, 1), Err(ChecksumError::OutOfBounds));
        assert_eq!(complete_partial_checksum(&mut frame, 21, 0), Err(ChecksumError::OutOfBounds));
        assert_eq!(complete_partial_checksum(&mut frame, usize::MAX, 1), Err(ChecksumError::OutOfBounds));
        assert_eq!(complete_partial_checksum(&mut frame, 1, usize::MAX - 1), Err(ChecksumError::OutOfBounds));
        assert_eq!(frame, [0u8; 20]);
        assert_eq!(complete_partial_checksum(&mut frame, 18, 0), Ok(()));
    }
}
