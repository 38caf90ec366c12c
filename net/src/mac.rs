//! Ethernet (EUI-48) addresses.

use core::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);

    pub fn is_broadcast(self) -> bool {
        self == Self::BROADCAST
    }

    /// The I/G bit (the least significant bit of the first octet, the first
    /// one on the wire) marks group addresses; broadcast is one of them.
    pub fn is_multicast(self) -> bool {
        self.0[0] & 1 != 0
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_six_lowercase_hex_pairs() {
        assert_eq!(MacAddr([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]).to_string(), "52:54:00:12:34:56");
        assert_eq!(MacAddr([0xab, 0xcd, 0xef, 0x0a, 0x0b, 0xff]).to_string(), "ab:cd:ef:0a:0b:ff");
    }

    #[test]
    fn broadcast_is_all_ones_and_counts_as_multicast() {
        assert!(MacAddr::BROADCAST.is_broadcast());
        assert!(MacAddr::BROADCAST.is_multicast());
        assert!(!MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]).is_broadcast());
    }

    #[test]
    fn multicast_is_the_low_bit_of_the_first_octet() {
        assert!(MacAddr([0x01, 0x00, 0x5e, 0, 0, 1]).is_multicast());
        assert!(MacAddr([0x33, 0x33, 0, 0, 0, 1]).is_multicast());
        assert!(!MacAddr([0x52, 0x54, 0, 0x12, 0x34, 0x56]).is_multicast());
        assert!(!MacAddr([0x02, 0xff, 0xff, 0xff, 0xff, 0xff]).is_multicast());
    }
}
