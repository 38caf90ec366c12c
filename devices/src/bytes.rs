//! Little-endian reads that return `None` instead of panicking past the end.

pub fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

pub fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(array(b, at)?))
}

pub fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(array(b, at)?))
}

pub fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(array(b, at)?))
}

pub fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    b.get(at..at.checked_add(N)?)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_little_endian() {
        let b = [1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(u16_at(&b, 1), Some(0x0302));
        assert_eq!(u32_at(&b, 0), Some(0x0403_0201));
        assert_eq!(u64_at(&b, 0), Some(0x0807_0605_0403_0201));
    }

    #[test]
    fn reads_past_the_end_or_overflowing_are_none() {
        let b = [1, 2, 3];
        assert_eq!(u32_at(&b, 0), None);
        assert_eq!(u16_at(&b, 2), None);
        assert_eq!(u8_at(&b, 3), None);
        assert_eq!(u64_at(&b, usize::MAX - 2), None);
    }
}
