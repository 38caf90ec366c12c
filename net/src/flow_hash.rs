//! The channel table's hash: SipHash-2-4 (Aumasson and Bernstein, 2012)
//! keyed by 128 secret bits.
//!
//! The flow key of a received packet is chosen by whoever sent it. With an
//! unkeyed hash (OSv's `src^dst^sport^dport`, whose comment says "FIXME:
//! protection against hash attacks?") a sender can pick ports that all land
//! in one bucket and turn every lookup into a list walk under that bucket's
//! lock. SipHash is a PRF: without the key, which the kernel draws from its
//! random source at boot, the bucket of a chosen key cannot be predicted.
//! Linux keys its connection hash the same way (`inet_ehashfn` with a
//! random secret; siphash for ports and ids).
//!
//! 2-4 rather than 1-3: the flow key is 13 bytes, two compression blocks, so
//! the difference is a few dozen cycles per packet, and 2-4 is the variant
//! whose security claim the paper makes and whose test vector it gives.
//! Written here rather than taken from a crate so that the receive path has
//! no dependency for twenty lines of arithmetic.

use crate::flow::{FlowKey, Transport};

/// SipHash-2-4 of `message` under `key` (16 bytes, read as two
/// little-endian words, as in the reference implementation).
pub fn siphash24(key: &[u8; 16], message: &[u8]) -> u64 {
    let (k0, k1) = split_key(key);
    siphash::<2, 4>(k0, k1, message)
}

/// Keys are 16 bytes by construction, so both halves exist.
fn split_key(key: &[u8; 16]) -> (u64, u64) {
    let (lo, hi) = key.split_at(8);
    let word = |half: &[u8]| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(half);
        u64::from_le_bytes(bytes)
    };
    (word(lo), word(hi))
}

struct State {
    v0: u64,
    v1: u64,
    v2: u64,
    v3: u64,
}

impl State {
    fn round(&mut self) {
        self.v0 = self.v0.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(13);
        self.v1 ^= self.v0;
        self.v0 = self.v0.rotate_left(32);
        self.v2 = self.v2.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(16);
        self.v3 ^= self.v2;
        self.v0 = self.v0.wrapping_add(self.v3);
        self.v3 = self.v3.rotate_left(21);
        self.v3 ^= self.v0;
        self.v2 = self.v2.wrapping_add(self.v1);
        self.v1 = self.v1.rotate_left(17);
        self.v1 ^= self.v2;
        self.v2 = self.v2.rotate_left(32);
    }

    fn compress<const C: usize>(&mut self, m: u64) {
        self.v3 ^= m;
        for _ in 0..C {
            self.round();
        }
        self.v0 ^= m;
    }
}

/// SipHash-c-d, straight from the paper's description: 8-byte
/// little-endian blocks, then a last block holding the leftover bytes and
/// the message length mod 256 in its top byte.
fn siphash<const C: usize, const D: usize>(k0: u64, k1: u64, message: &[u8]) -> u64 {
    let mut s = State {
        v0: k0 ^ 0x736f_6d65_7073_6575,
        v1: k1 ^ 0x646f_7261_6e64_6f6d,
        v2: k0 ^ 0x6c79_6765_6e65_7261,
        v3: k1 ^ 0x7465_6462_7974_6573,
    };
    let mut blocks = message.chunks_exact(8);
    for block in &mut blocks {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(block);
        s.compress::<C>(u64::from_le_bytes(bytes));
    }
    let mut last = [0u8; 8];
    let tail = blocks.remainder();
    // A remainder is shorter than 8 bytes, so it fits before the length byte.
    if let Some(dst) = last.get_mut(..tail.len()) {
        dst.copy_from_slice(tail);
    }
    // Truncation is the specification: only the length mod 256 is mixed in.
    last[7] = message.len() as u8;
    s.compress::<C>(u64::from_le_bytes(last));
    s.v2 ^= 0xff;
    for _ in 0..D {
        s.round();
    }
    s.v0 ^ s.v1 ^ s.v2 ^ s.v3
}

/// Hashes flow keys under a secret key. Copy it freely: it is the key and
/// nothing else.
#[derive(Clone, Copy)]
pub struct FlowHasher {
    k0: u64,
    k1: u64,
}

impl FlowHasher {
    /// `key` must come from a random source the network cannot observe;
    /// the kernel draws it once at boot.
    pub fn new(key: [u8; 16]) -> Self {
        let (k0, k1) = split_key(&key);
        FlowHasher { k0, k1 }
    }

    pub fn hash(&self, k: &FlowKey) -> u64 {
        siphash::<2, 4>(self.k0, self.k1, &encode(k))
    }
}

/// Hand-written so that a FlowHasher never prints its key in a log.
impl core::fmt::Debug for FlowHasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("FlowHasher { .. }")
    }
}

/// The key as bytes: transport, local address and port, remote address and
/// port, in network order. Fixed-size and unambiguous, so that two
/// different keys never hash the same message.
fn encode(k: &FlowKey) -> [u8; 13] {
    let mut out = [0u8; 13];
    out[0] = match k.transport {
        Transport::Tcp => 6,
        Transport::Udp => 17,
    };
    out[1..5].copy_from_slice(&k.local.0.octets());
    out[5..7].copy_from_slice(&k.local.1.to_be_bytes());
    out[7..11].copy_from_slice(&k.remote.0.octets());
    out[11..13].copy_from_slice(&k.remote.1.to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::Ipv4Addr;

    fn reference_key() -> [u8; 16] {
        core::array::from_fn(|i| i as u8)
    }

    #[test]
    fn matches_the_test_vector_of_the_siphash_paper() {
        // Appendix A: key 00..0f, message 00..0e, SipHash-2-4 = a129ca6149be45e5.
        let message: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(&reference_key(), &message), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn matches_the_reference_implementations_first_vectors() {
        // vectors.h of the reference code: messages 00, 00 01, ... under key 00..0f.
        let expected: [u64; 4] =
            [0x726f_db47_dd0e_0e31, 0x74f8_39c5_93dc_67fd, 0x0d6c_8009_d9a9_4f5a, 0x8567_6696_d7fb_7e2d];
        let message: Vec<u8> = (0..4).collect();
        for (len, want) in expected.iter().enumerate() {
            assert_eq!(siphash24(&reference_key(), &message[..len]), *want, "length {len}");
        }
    }

    #[test]
    #[allow(deprecated)]
    fn agrees_with_std_siphasher_at_every_length_across_two_blocks() {
        use std::hash::{Hasher, SipHasher};
        let key: [u8; 16] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
        let (k0, k1) = split_key(&key);
        let message: Vec<u8> = (0..64u8).map(|b| b.wrapping_mul(101)).collect();
        for len in 0..=message.len() {
            let mut std_hasher = SipHasher::new_with_keys(k0, k1);
            std_hasher.write(&message[..len]);
            assert_eq!(siphash24(&key, &message[..len]), std_hasher.finish(), "length {len}");
        }
    }

    fn key(local_port: u16, remote_port: u16) -> FlowKey {
        FlowKey {
            transport: Transport::Tcp,
            local: (Ipv4Addr::new(10, 0, 2, 15), local_port),
            remote: (Ipv4Addr::new(10, 0, 2, 2), remote_port),
        }
    }

    #[test]
    fn a_flow_hashes_the_same_every_time_under_one_key() {
        let hasher = FlowHasher::new(reference_key());
        assert_eq!(hasher.hash(&key(80, 40000)), hasher.hash(&key(80, 40000)));
        assert_eq!(hasher.hash(&key(80, 40000)), FlowHasher::new(reference_key()).hash(&key(80, 40000)));
    }

    #[test]
    fn every_field_of_the_key_changes_the_hash() {
        let hasher = FlowHasher::new(reference_key());
        let base = key(80, 40000);
        let variants = [
            FlowKey { transport: Transport::Udp, ..base },
            FlowKey { local: (Ipv4Addr::new(10, 0, 2, 16), 80), ..base },
            FlowKey { local: (base.local.0, 81), ..base },
            FlowKey { remote: (Ipv4Addr::new(10, 0, 2, 3), 40000), ..base },
            FlowKey { remote: (base.remote.0, 40001), ..base },
            // Swapping the two ends is a different flow.
            FlowKey { local: base.remote, remote: base.local, ..base },
        ];
        for v in variants {
            assert_ne!(hasher.hash(&v), hasher.hash(&base), "{v:?}");
        }
    }

    #[test]
    fn a_different_secret_gives_a_different_hash() {
        let mut other = reference_key();
        other[15] ^= 1;
        assert_ne!(FlowHasher::new(reference_key()).hash(&key(80, 1)), FlowHasher::new(other).hash(&key(80, 1)));
    }

    #[test]
    fn the_debug_form_does_not_show_the_secret() {
        assert_eq!(format!("{:?}", FlowHasher::new([0xab; 16])), "FlowHasher { .. }");
    }
}
