//! The check smoltcp would otherwise make silently: a TCP or UDP packet
//! with a malformed header or a wrong checksum is dropped, and the caller
//! counts why (promise 4: a malformed packet is dropped and counted). Run
//! where the protocol work runs, on packets the device did not vouch for.

use crate::link::DropReason;
use crate::tcp::TcpSegment;
use crate::wire::WireError;
use crate::wire::ipv4::{Ipv4Packet, PROTO_TCP, PROTO_UDP};
use crate::wire::udp::UdpDatagram;

fn reason(e: WireError) -> DropReason {
    match e {
        WireError::BadChecksum => DropReason::BadChecksum,
        WireError::Fragment => DropReason::Fragment,
        _ => DropReason::BadHeader,
    }
}

/// Whether the IPv4 packet's header and, for TCP and UDP, its transport
/// header and checksum hold. Other protocols pass on to the stack.
pub fn verify(packet: &[u8]) -> Result<(), DropReason> {
    let ip = Ipv4Packet::parse(packet).map_err(reason)?;
    match ip.protocol() {
        PROTO_TCP => {
            let seg = TcpSegment::parse(ip.payload()).map_err(reason)?;
            if seg.checksum_ok(ip.src(), ip.dst()) { Ok(()) } else { Err(DropReason::BadChecksum) }
        }
        PROTO_UDP => UdpDatagram::parse_verified(ip.payload(), ip.src(), ip.dst()).map(|_| ()).map_err(reason),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::{checksum_with, internet_checksum, pseudo_header_sum};
    use core::net::Ipv4Addr;

    const SRC: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
    const DST: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 15);

    fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
        let total = 20 + payload.len();
        let mut p = vec![0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0, 0, 64, proto, 0, 0];
        p.extend_from_slice(&SRC.octets());
        p.extend_from_slice(&DST.octets());
        let c = internet_checksum(&[&p]);
        p[10..12].copy_from_slice(&c.to_be_bytes());
        p.extend_from_slice(payload);
        p
    }

    fn tcp(data_offset_words: u8, data: &[u8]) -> Vec<u8> {
        let mut t =
            vec![0x1f, 0x90, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, data_offset_words << 4, 0x18, 0xff, 0xff, 0, 0, 0, 0];
        t.extend_from_slice(data);
        let sum = pseudo_header_sum(SRC, DST, PROTO_TCP, t.len() as u16);
        let c = checksum_with(sum, &[&t]);
        t[16..18].copy_from_slice(&c.to_be_bytes());
        t
    }

    fn udp(data: &[u8], with_checksum: bool) -> Vec<u8> {
        let len = 8 + data.len();
        let mut u = vec![0x13, 0x89, 0x1b, 0x59, (len >> 8) as u8, len as u8, 0, 0];
        u.extend_from_slice(data);
        if with_checksum {
            let sum = pseudo_header_sum(SRC, DST, PROTO_UDP, len as u16);
            let c = checksum_with(sum, &[&u]);
            u[6..8].copy_from_slice(&c.to_be_bytes());
        }
        u
    }

    #[test]
    fn good_tcp_and_udp_pass() {
        assert_eq!(verify(&ipv4(PROTO_TCP, &tcp(5, b"hello"))), Ok(()));
        assert_eq!(verify(&ipv4(PROTO_UDP, &udp(b"hello", true))), Ok(()));
    }

    #[test]
    fn udp_without_a_checksum_passes() {
        assert_eq!(verify(&ipv4(PROTO_UDP, &udp(b"no sum", false))), Ok(()));
    }

    #[test]
    fn a_changed_byte_is_a_bad_checksum() {
        let mut p = ipv4(PROTO_TCP, &tcp(5, b"hello"));
        let last = p.len() - 1;
        p[last] ^= 1;
        assert_eq!(verify(&p), Err(DropReason::BadChecksum));
        let mut u = ipv4(PROTO_UDP, &udp(b"hello", true));
        let last = u.len() - 1;
        u[last] ^= 1;
        assert_eq!(verify(&u), Err(DropReason::BadChecksum));
    }

    #[test]
    fn impossible_tcp_data_offsets_are_bad_headers() {
        for words in [0u8, 4, 15] {
            assert_eq!(verify(&ipv4(PROTO_TCP, &tcp(words, b"x"))), Err(DropReason::BadHeader), "offset {words}");
        }
    }

    #[test]
    fn truncated_transport_headers_are_bad_headers() {
        assert_eq!(verify(&ipv4(PROTO_TCP, &[0u8; 10])), Err(DropReason::BadHeader));
        assert_eq!(verify(&ipv4(PROTO_UDP, &[0u8; 5])), Err(DropReason::BadHeader));
    }

    #[test]
    fn a_wrong_ip_header_checksum_is_counted_as_such() {
        let mut p = ipv4(PROTO_TCP, &tcp(5, b""));
        p[10] ^= 0xff;
        assert_eq!(verify(&p), Err(DropReason::BadChecksum));
    }

    #[test]
    fn other_protocols_pass_to_the_stack() {
        assert_eq!(verify(&ipv4(1, &[8, 0, 0, 0, 0, 0, 0, 0])), Ok(()));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            let _ = verify(&bytes);
        }
    }
}
