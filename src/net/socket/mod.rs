//! AF_INET sockets as files: each is an inode (S_IFSOCK) whose reads,
//! writes and readiness go to its smoltcp socket on its home stack (the
//! CPU that created it, or its listener's). Nothing here sleeps: an
//! operation that cannot proceed arms the flow's channel (so the receive
//! interrupt wakes this socket's key) and says EAGAIN; the system-call
//! layer sleeps on [`Inode::wait_key`] and retries, as for pipes.

mod tcp;
mod udp;

use alloc::sync::Arc;
use core::any::Any;
use core::net::Ipv4Addr;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use ringo_fs::readiness::{PollEvents, new_wait_key};
use ringo_fs::vfs::{Inode, OpenFlags, ReadBuf, WriteBuf};
use ringo_uapi::Errno;

use crate::sync::Mutex;

pub use tcp::TcpSocket;
pub use udp::UdpSocket;

/// Options kept for getsockopt and applied where smoltcp has them.
#[derive(Clone, Copy, Default)]
pub struct Options {
    pub reuse_addr: bool,
    pub reuse_port: bool,
    pub keepalive: bool,
    pub broadcast: bool,
    pub nodelay: bool,
    pub cork: bool,
    pub rcvbuf: u32,
    pub sndbuf: u32,
    pub linger: (i32, i32),
    pub tos: u32,
    pub keepidle: u32,
    pub keepintvl: u32,
    pub keepcnt: u32,
    /// SO_RCVTIMEO / SO_SNDTIMEO in ns (0: none).
    pub rcvtimeo_ns: u64,
    pub sndtimeo_ns: u64,
}

pub enum Proto {
    Tcp(TcpSocket),
    Udp(UdpSocket),
}

pub struct Socket {
    ino: u64,
    /// Connected sockets and UDP sockets wait here; a listener waits on
    /// its stack's key (see [`Inode::wait_key`]).
    pub key: u64,
    pub proto: Proto,
    pub opts: Mutex<Options>,
    /// A pending error for SO_ERROR (errno value, 0 for none).
    pub error: AtomicU32,
    pub shut_rd: AtomicBool,
}

impl Socket {
    pub fn tcp() -> Arc<Socket> {
        Self::with(Proto::Tcp(TcpSocket::new()))
    }

    pub fn udp() -> Arc<Socket> {
        Self::with(Proto::Udp(UdpSocket::new()))
    }

    fn with(proto: Proto) -> Arc<Socket> {
        Arc::new(Socket {
            ino: crate::net::sockfs::new_ino(),
            key: new_wait_key(),
            proto,
            opts: Mutex::new(Options::default()),
            error: AtomicU32::new(0),
            shut_rd: AtomicBool::new(false),
        })
    }

    pub fn of(node: &Arc<dyn Inode>) -> Option<Arc<Socket>> {
        let any: Arc<dyn Any + Send + Sync> = node.clone();
        any.downcast::<Socket>().ok()
    }

    pub fn options(&self) -> Options {
        crate::arch::without_interrupts(|| *self.opts.lock())
    }

    pub fn set_options(&self, f: impl FnOnce(&mut Options)) {
        crate::arch::without_interrupts(|| f(&mut self.opts.lock()));
        if let Proto::Tcp(t) = &self.proto {
            t.apply_options(&self.options());
        }
    }

    pub fn take_error(&self) -> u32 {
        self.error.swap(0, Ordering::AcqRel)
    }

    pub fn local(&self) -> Option<(Ipv4Addr, u16)> {
        match &self.proto {
            Proto::Tcp(t) => t.local(),
            Proto::Udp(u) => u.local(),
        }
    }

    pub fn peer(&self) -> Option<(Ipv4Addr, u16)> {
        match &self.proto {
            Proto::Tcp(t) => t.peer(),
            Proto::Udp(u) => u.peer(),
        }
    }

    /// Bytes waiting to be read (FIONREAD).
    pub fn pending(&self) -> usize {
        match &self.proto {
            Proto::Tcp(t) => t.pending(),
            Proto::Udp(u) => u.pending(),
        }
    }
}

impl Inode for Socket {
    crate::net::sockfs::socket_inode_identity!();

    fn read_at(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        match &self.proto {
            Proto::Tcp(t) => {
                if self.shut_rd.load(Ordering::Relaxed) {
                    return Ok(0);
                }
                t.recv(self, buf, false)
            }
            Proto::Udp(u) => u.recv(self, buf, false).map(|(n, _)| n),
        }
    }

    fn write_at(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        match &self.proto {
            Proto::Tcp(t) => t.send(self, buf),
            Proto::Udp(u) => u.send(self, buf, None),
        }
    }

    fn poll(&self) -> PollEvents {
        match &self.proto {
            Proto::Tcp(t) => t.poll(self),
            Proto::Udp(u) => u.poll(self),
        }
    }

    fn wait_key(&self) -> Option<u64> {
        match &self.proto {
            Proto::Tcp(t) => Some(t.wait_key(self)),
            Proto::Udp(_) => Some(self.key),
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        match &self.proto {
            Proto::Tcp(t) => t.close(),
            Proto::Udp(u) => u.close(),
        }
    }
}
