//! Ringo's network below TCP, as pure logic the host can test: what the
//! virtio-net driver does with a frame before (and besides) handing it to
//! the TCP/IP layer.
//!
//! - [`virtio_hdr`]: the header in front of every virtio-net frame, and what
//!   it says about the frame's checksum.
//! - [`link`]: the receive decision for one frame: drop it (and why), answer
//!   it (ARP, ping), or deliver it to TCP/UDP.
//! - [`wire`]: bounds-checked views and writers for Ethernet, ARP, IPv4,
//!   ICMP and UDP; [`checksum`]: the Internet checksum; [`mac`]: addresses.
//! - [`config`]: Linux's `ip=` parameter; [`dhcp`]: the DHCP client used
//!   when it says `dhcp`.
//! - [`stats`]: interface counters and /proc/net/dev.
//! - Net channels (Van Jacobson's, as in OSv): [`flow`] classifies a frame
//!   into a flow key from its headers, [`flow_hash`] hashes that key under a
//!   secret, [`flow_table`] maps keys (and listening ports) to their
//!   [`channel`], the bounded lock-free queue from the receive interrupt to
//!   the flow's reader; [`ports`] hands out ephemeral ports; [`tcp`] is the
//!   TCP header view they need.
//!
//! Everything here takes bytes that came from the network and must never
//! panic on them: parsers return errors, writers report a buffer that is too
//! small, and nothing indexes a slice unchecked. Nothing here allocates on
//! the per-frame path, keeps global state or knows about the hardware.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod channel;
pub mod checksum;
pub mod config;
pub mod dhcp;
pub mod flow;
pub mod flow_hash;
pub mod flow_table;
pub mod link;
pub mod mac;
pub mod ports;
pub mod stats;
pub mod virtio_hdr;
pub mod wire;

pub use wire::tcp;
pub mod transport_check;

pub use mac::MacAddr;
