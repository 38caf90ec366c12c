//! AF_UNIX sockets as pure logic: the address rules of `sockaddr_un`, the
//! name tables (abstract names, and path names keyed by the inode bind
//! made), the listen backlog, a connection's two byte (or record) queues
//! with their shutdown state, a datagram socket's receive queue, and the
//! SCM_RIGHTS control messages of sendmsg/recvmsg.
//!
//! Nothing here locks, sleeps or wakes: the kernel holds each structure
//! under its own lock, calls [`crate::readiness::wake`] after a change,
//! and sleeps on EAGAIN. What SCM_RIGHTS carries is a type parameter `R`
//! (the kernel's open files); queues hand it back whole or drop it with
//! the data it came with, so descriptors are never lost or duplicated.

pub mod addr;
pub mod backlog;
pub mod cmsg;
pub mod dgram;
pub mod names;
pub mod stream;

pub use addr::{AddrKind, UnixAddr};
pub use backlog::Backlog;
pub use dgram::{Datagram, DgramQueue};
pub use names::NameTable;
pub use stream::Pair;

/// SO_SNDBUF's default (net.core.wmem_default): what a stream direction
/// holds, and what bounds a datagram.
pub const SNDBUF: usize = 212_992;

#[cfg(test)]
mod tests;
