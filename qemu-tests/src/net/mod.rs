//! The guest's network, from the host side:
//! - [`backend`]: what the card is plugged into ([`Net`]: QEMU's user
//!   network with port forwards, a tap, or a frame peer's sockets) and
//!   [`guest_ip`]: the `ip=` the launcher chooses to match;
//! - [`frame_peer`] and [`frames`]: a test on the other end of the wire,
//!   sending Ethernet frames built independently of the kernel and checking
//!   the replies byte for byte, and the bad input the guest must drop;
//! - [`tcp_peer`]: TCP and UDP by hand over the frame peer: a minimal
//!   client for a real connection, and malformed segments and datagrams;
//! - [`netns`] and [`ping`]: a network namespace with a tap for one test,
//!   and busybox's `ping` run in it;
//! - [`guest_stats`]: the guest's /proc/ringo_net, /proc/interrupts and
//!   /proc/net/dev read back.

pub mod backend;
pub mod frame_peer;
pub mod frames;
pub mod guest_ip;
pub mod guest_stats;
pub mod netns;
pub mod ping;
pub mod tcp_peer;

pub use backend::{DEFAULT_MAC, Net, PortForward, Proto};
