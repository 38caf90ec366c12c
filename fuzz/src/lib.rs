//! Helpers the fuzz targets share. Checksums are the one thing a mutation
//! fuzzer cannot get right by chance, so the network targets can have them
//! fixed before a frame goes in; without that, nearly every mutated packet
//! would stop at the first checksum check.

use core::net::Ipv4Addr;

use ringo_net::MacAddr;
use ringo_net::checksum::{checksum_with, internet_checksum, pseudo_header_sum};
use ringo_net::wire::ethernet;
use ringo_net::wire::ipv4::{self, Ipv4Header};
use ringo_net::wire::udp;

/// Rewrites the IPv4 header checksum and the TCP, UDP or ICMP checksum of
/// an Ethernet frame carrying IPv4, as far as its length fields allow; any
/// other frame is left alone.
pub fn fix_checksums(frame: &mut [u8]) {
    if frame.len() < ethernet::HEADER_LEN || frame[12..14] != ethernet::ETHERTYPE_IPV4.to_be_bytes() {
        return;
    }
    fix_ipv4_checksums(&mut frame[ethernet::HEADER_LEN..]);
}

/// [`fix_checksums`] for a packet without a link header.
pub fn fix_ipv4_checksums(packet: &mut [u8]) {
    let Some(&version_ihl) = packet.first() else { return };
    let header_len = usize::from(version_ihl & 0x0f) * 4;
    if header_len < ipv4::MIN_HEADER_LEN || header_len > packet.len() {
        return;
    }
    packet[10..12].fill(0);
    let c = internet_checksum(&[&packet[..header_len]]);
    packet[10..12].copy_from_slice(&c.to_be_bytes());
    let total = usize::from(u16::from_be_bytes([packet[2], packet[3]])).clamp(header_len, packet.len());
    let src = Ipv4Addr::new(packet[12], packet[13], packet[14], packet[15]);
    let dst = Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]);
    let protocol = packet[9];
    let payload = &mut packet[header_len..total];
    let field = match protocol {
        ipv4::PROTO_ICMP => 2,
        ipv4::PROTO_TCP => 16,
        ipv4::PROTO_UDP => 6,
        _ => return,
    };
    if payload.len() < field + 2 {
        return;
    }
    payload[field..field + 2].fill(0);
    let c = match protocol {
        ipv4::PROTO_ICMP => internet_checksum(&[payload]),
        ipv4::PROTO_TCP => checksum_with(pseudo_header_sum(src, dst, protocol, payload.len() as u16), &[payload]),
        _ => {
            let len = usize::from(u16::from_be_bytes([payload[4], payload[5]])).min(payload.len());
            let datagram = &payload[..len];
            match checksum_with(pseudo_header_sum(src, dst, protocol, len as u16), &[datagram]) {
                0 => 0xffff,
                c => c,
            }
        }
    };
    payload[field..field + 2].copy_from_slice(&c.to_be_bytes());
}

/// A UDP datagram carrying `payload` in an IPv4 packet in an Ethernet
/// frame, every header and checksum right (built with the crate's writers).
pub fn udp_frame(
    (dst_mac, src_mac): (MacAddr, MacAddr),
    (src, src_port): (Ipv4Addr, u16),
    (dst, dst_port): (Ipv4Addr, u16),
    payload: &[u8],
) -> Option<Vec<u8>> {
    let udp_at = ethernet::HEADER_LEN + ipv4::MIN_HEADER_LEN;
    let mut f = vec![0u8; udp_at + udp::HEADER_LEN + payload.len()];
    f[udp_at + udp::HEADER_LEN..].copy_from_slice(payload);
    udp::write_header(&mut f[udp_at..], (src, src_port), (dst, dst_port), payload.len()).ok()?;
    let ip = Ipv4Header {
        src,
        dst,
        protocol: ipv4::PROTO_UDP,
        ttl: 64,
        identification: 1,
        payload_len: udp::HEADER_LEN + payload.len(),
    };
    ip.write(&mut f[ethernet::HEADER_LEN..]).ok()?;
    ethernet::write_header(&mut f, dst_mac, src_mac, ethernet::ETHERTYPE_IPV4).ok()?;
    Some(f)
}
