//! UDP sockets: bound (explicitly, or on first send) to a port whose
//! datagrams the classifier queues to the socket's own channel.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

use ringo_fs::readiness::PollEvents;
use ringo_fs::vfs::{ReadBuf, WriteBuf};
use ringo_net::flow::Transport;
use ringo_net::flow_table::ListenerId;
use ringo_uapi::Errno;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::wire::IpAddress;

use super::Socket;
use super::tcp::check_local;
use crate::net::flows::{self, Target};
use crate::net::stack::{self, Flow};
use crate::sync::Mutex;

/// The largest UDP payload over IPv4.
const MAX_DATAGRAM: usize = 65507;
const QUEUED_DATAGRAMS: usize = 128;
const BUFFER_BYTES: usize = 256 * 1024;

struct Bound {
    cpu: usize,
    handle: SocketHandle,
    flow: Arc<Flow>,
    addr: Ipv4Addr,
    port: u16,
    listener: Option<ListenerId>,
    peer: Option<(Ipv4Addr, u16)>,
}

pub struct UdpSocket {
    state: Mutex<Option<Bound>>,
}

fn new_udp_socket() -> udp::Socket<'static> {
    let rx = udp::PacketBuffer::new(
        alloc::vec![udp::PacketMetadata::EMPTY; QUEUED_DATAGRAMS],
        alloc::vec![0u8; BUFFER_BYTES],
    );
    let tx = udp::PacketBuffer::new(
        alloc::vec![udp::PacketMetadata::EMPTY; QUEUED_DATAGRAMS],
        alloc::vec![0u8; BUFFER_BYTES],
    );
    udp::Socket::new(rx, tx)
}

fn bounce(len: usize) -> Result<Vec<u8>, Errno> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    v.resize(len, 0);
    Ok(v)
}

impl UdpSocket {
    pub fn new() -> UdpSocket {
        UdpSocket { state: Mutex::new(None) }
    }

    fn bind_locked(state: &mut Option<Bound>, sock: &Socket, addr: Ipv4Addr, port: u16) -> Result<(), Errno> {
        if state.is_some() {
            return Err(Errno::EINVAL);
        }
        check_local(addr)?;
        let port = if port == 0 {
            flows::alloc_port(Transport::Udp).ok_or(Errno::EADDRINUSE)?
        } else {
            let o = sock.options();
            if !(flows::reserve_port(Transport::Udp, port) || o.reuse_addr || o.reuse_port) {
                return Err(Errno::EADDRINUSE);
            }
            port
        };
        let s = stack::this_stack().ok_or(Errno::ENETDOWN)?;
        let flow = Flow::new(sock.key, s.cpu);
        let handle = s.run(Some(&flow), |inner| {
            let mut u = new_udp_socket();
            let local = if addr.is_unspecified() {
                smoltcp::wire::IpListenEndpoint { addr: None, port }
            } else {
                smoltcp::wire::IpListenEndpoint { addr: Some(IpAddress::Ipv4(addr)), port }
            };
            u.bind(local).map(|()| inner.sockets.add(u))
        });
        let Ok(handle) = handle else {
            flows::release_port(Transport::Udp, port);
            return Err(Errno::EINVAL);
        };
        let only = (!addr.is_unspecified()).then_some(addr);
        let listener = flows::listen(Transport::Udp, only, port, Target::Flow(flow.clone()));
        *state = Some(Bound { cpu: s.cpu, handle, flow, addr, port, listener, peer: None });
        Ok(())
    }

    pub fn bind(&self, sock: &Socket, addr: Ipv4Addr, port: u16) -> Result<(), Errno> {
        Self::bind_locked(&mut self.state.lock(), sock, addr, port)
    }

    pub fn connect(&self, sock: &Socket, addr: Ipv4Addr, port: u16) -> Result<(), Errno> {
        let mut st = self.state.lock();
        if st.is_none() {
            Self::bind_locked(&mut st, sock, Ipv4Addr::UNSPECIFIED, 0)?;
        }
        if let Some(b) = st.as_mut() {
            b.peer = (!addr.is_unspecified()).then_some((addr, port));
        }
        Ok(())
    }

    pub fn send(&self, sock: &Socket, buf: &mut dyn ReadBuf, to: Option<(Ipv4Addr, u16)>) -> Result<usize, Errno> {
        let len = buf.len();
        if len > MAX_DATAGRAM {
            return Err(Errno::EMSGSIZE);
        }
        let mut data = bounce(len)?;
        let n = buf.read(&mut data)?;
        let mut st = self.state.lock();
        if st.is_none() {
            Self::bind_locked(&mut st, sock, Ipv4Addr::UNSPECIFIED, 0)?;
        }
        let Some(b) = st.as_ref() else { return Err(Errno::EINVAL) };
        let (ip, port) = to.or(b.peer).ok_or(Errno::EDESTADDRREQ)?;
        if port == 0 {
            return Err(Errno::EINVAL);
        }
        let s = stack::stack(b.cpu).ok_or(Errno::ENETDOWN)?;
        let r = s.run(Some(&b.flow), |inner| {
            let u = inner.sockets.get_mut::<udp::Socket>(b.handle);
            u.send_slice(&data[..n], (IpAddress::Ipv4(ip), port))
        });
        match r {
            Ok(()) => Ok(n),
            Err(udp::SendError::BufferFull) => {
                b.flow.channel.arm();
                Err(Errno::EAGAIN)
            }
            Err(udp::SendError::Unaddressable) => Err(Errno::ENETUNREACH),
        }
    }

    /// One datagram into `buf` (the rest of a longer one is lost, as on
    /// Linux); its length and sender.
    pub fn recv(&self, _sock: &Socket, buf: &mut dyn WriteBuf, peek: bool) -> Result<(usize, (Ipv4Addr, u16)), Errno> {
        let st = self.state.lock();
        let Some(b) = st.as_ref() else { return Err(Errno::EAGAIN) };
        let s = stack::stack(b.cpu).ok_or(Errno::ENETDOWN)?;
        let mut data = bounce(buf.len().min(MAX_DATAGRAM))?;
        for _ in 0..2 {
            let r = s.run(Some(&b.flow), |inner| {
                let u = inner.sockets.get_mut::<udp::Socket>(b.handle);
                let r = if peek {
                    u.peek_slice(&mut data).map(|(n, m)| (n, m.endpoint))
                } else {
                    u.recv_slice(&mut data).map(|(n, m)| (n, m.endpoint))
                };
                r.ok()
            });
            if let Some((n, from)) = r {
                let from = (
                    match from.addr {
                        IpAddress::Ipv4(v) => v,
                    },
                    from.port,
                );
                let written = buf.write(&data[..n])?;
                return Ok((written, from));
            }
            b.flow.channel.arm();
            if b.flow.channel.is_empty() {
                break;
            }
        }
        Err(Errno::EAGAIN)
    }

    pub fn poll(&self, _sock: &Socket) -> PollEvents {
        let st = self.state.lock();
        let Some(b) = st.as_ref() else { return PollEvents::WRITABLE };
        let Some(s) = stack::stack(b.cpu) else { return PollEvents::empty() };
        let mut ev = PollEvents::empty();
        for _ in 0..2 {
            ev = s.run(Some(&b.flow), |inner| {
                let u = inner.sockets.get::<udp::Socket>(b.handle);
                let mut ev = PollEvents::empty();
                if u.can_recv() {
                    ev |= PollEvents::READABLE;
                }
                if u.can_send() {
                    ev |= PollEvents::WRITABLE;
                }
                ev
            });
            if ev.contains(PollEvents::IN) {
                return ev;
            }
            b.flow.channel.arm();
            if b.flow.channel.is_empty() {
                break;
            }
        }
        ev
    }

    pub fn close(&self) {
        let Some(b) = self.state.lock().take() else { return };
        if let Some(l) = b.listener {
            flows::unlisten(l);
        }
        if let Some(s) = stack::stack(b.cpu) {
            s.run(None, |inner| {
                inner.sockets.remove(b.handle);
            });
        }
        flows::release_port(Transport::Udp, b.port);
    }

    pub fn local(&self) -> Option<(Ipv4Addr, u16)> {
        Some(self.state.lock().as_ref().map_or((Ipv4Addr::UNSPECIFIED, 0), |b| (b.addr, b.port)))
    }

    pub fn peer(&self) -> Option<(Ipv4Addr, u16)> {
        self.state.lock().as_ref().and_then(|b| b.peer)
    }

    pub fn pending(&self) -> usize {
        let st = self.state.lock();
        let Some(b) = st.as_ref() else { return 0 };
        stack::stack(b.cpu).map_or(0, |s| {
            s.run(Some(&b.flow), |inner| {
                let u = inner.sockets.get_mut::<udp::Socket>(b.handle);
                u.peek().map_or(0, |(d, _)| d.len())
            })
        })
    }
}

impl Default for UdpSocket {
    fn default() -> Self {
        Self::new()
    }
}
