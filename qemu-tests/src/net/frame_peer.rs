//! A frame peer: the test itself on the other end of the guest's network
//! card, sending and receiving raw Ethernet frames through QEMU's
//! `-netdev dgram` over two unix datagram sockets, one datagram a frame.
//!
//! ```no_run
//! use std::time::Duration;
//! use qemu_tests::net::{frame_peer::FramePeer, frames::{self, Host}};
//! let peer = FramePeer::new().unwrap();
//! // ... boot the guest with `.net(peer.net())` ...
//! # let (me, guest): (Host, Host) = unimplemented!();
//! let request = frames::arp_request(me, guest.ip);
//! let reply = peer.exchange(&request, |f| frames::is_arp_reply_from(f, guest.ip), Duration::from_secs(10));
//! assert_eq!(reply, Some(frames::arp_reply(guest, me)));
//! ```

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::backend::Net;

/// How often [`FramePeer::exchange`] sends its request again.
pub const RESEND_EVERY: Duration = Duration::from_millis(200);
/// Bigger than any frame QEMU forwards (its buffer is 69632 bytes).
const RECEIVE_BUFFER: usize = 70 * 1024;
/// The longest path a unix socket address holds (sun_path less the NUL).
const MAX_SOCKET_PATH: usize = 107;
/// How long a send waits for room in QEMU's socket (QEMU stops reading
/// while the guest has no free receive buffers) before it fails.
const SEND_WAIT: Duration = Duration::from_secs(1);
/// How long a blocked send in [`FramePeer::flood`] waits before it looks
/// at the deadline again.
const FLOOD_SEND_WAIT: Duration = Duration::from_millis(100);
/// How long after a flood the replies may keep coming.
const FLOOD_QUIET: Duration = Duration::from_millis(500);

/// The test's end of a [`Net::Dgram`] link. Create it before the guest
/// boots (QEMU sends to its socket); it removes its sockets when dropped.
pub struct FramePeer {
    dir: PathBuf,
    qemu_socket: PathBuf,
    peer_socket: PathBuf,
    socket: UnixDatagram,
}

/// What [`FramePeer::flood`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flood {
    /// Frames QEMU took.
    pub sent: usize,
    /// Every frame offered was sent before the deadline.
    pub complete: bool,
    /// From the first send to the last.
    pub elapsed: Duration,
    /// Frames the guest sent meanwhile (and until it was quiet for 0.5 s).
    pub received: usize,
}

impl Flood {
    /// The rate at which QEMU took frames, which its backend paces by the
    /// guest's free receive buffers: the guest's receive rate.
    pub fn frames_per_second(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl FramePeer {
    /// Binds the peer's socket in a fresh temporary directory.
    pub fn new() -> io::Result<FramePeer> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ringo-peer-{}-{n}", std::process::id()));
        let qemu_socket = dir.join("qemu.sock");
        let peer_socket = dir.join("peer.sock");
        if qemu_socket.as_os_str().len() > MAX_SOCKET_PATH {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is too long for a unix socket (set TMPDIR to a shorter directory)", qemu_socket.display()),
            ));
        }
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let socket = UnixDatagram::bind(&peer_socket)?;
        socket.set_write_timeout(Some(SEND_WAIT))?;
        Ok(FramePeer { dir, qemu_socket, peer_socket, socket })
    }

    /// The backend for the guest's [`RunConfig`](crate::RunConfig).
    pub fn net(&self) -> Net {
        Net::Dgram { qemu_socket: self.qemu_socket.clone(), peer_socket: self.peer_socket.clone() }
    }

    /// Where QEMU's end of the link is.
    pub fn qemu_socket(&self) -> &Path {
        &self.qemu_socket
    }

    /// Sends one frame to the guest. Fails while QEMU has not bound its
    /// socket yet (not started, or gone), or when it has not read for a
    /// second.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        self.socket.send_to(frame, &self.qemu_socket).map(drop)
    }

    /// The next frame the guest sent, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Vec<u8>> {
        // A zero timeout means "block for ever" to the socket.
        self.socket.set_read_timeout(Some(timeout.max(Duration::from_millis(1)))).ok()?;
        let mut buf = vec![0u8; RECEIVE_BUFFER];
        let n = self.socket.recv(&mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }

    /// Sends `request` every [`RESEND_EVERY`] (the guest may still be
    /// booting, QEMU not yet listening) until a frame for which `matches`
    /// holds arrives, at most `timeout`; other frames are skipped.
    pub fn exchange(&self, request: &[u8], matches: impl Fn(&[u8]) -> bool, timeout: Duration) -> Option<Vec<u8>> {
        self.exchange_with(request, matches, timeout, &mut |_| {})
    }

    /// [`FramePeer::exchange`], handing every frame that does not match to
    /// `other`.
    pub fn exchange_with(
        &self,
        request: &[u8],
        matches: impl Fn(&[u8]) -> bool,
        timeout: Duration,
        other: &mut dyn FnMut(&[u8]),
    ) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            // Not there yet is what the resends are for.
            let _ = self.send(request);
            let resend = (now + RESEND_EVERY).min(deadline);
            while let Some(left) = resend.checked_duration_since(Instant::now()).filter(|d| !d.is_zero()) {
                match self.recv_timeout(left) {
                    Some(frame) if matches(&frame) => return Some(frame),
                    Some(frame) => other(&frame),
                    None => break,
                }
            }
        }
    }

    /// Every frame that arrives until none has for `quiet`.
    pub fn drain(&self, quiet: Duration) -> Vec<Vec<u8>> {
        std::iter::from_fn(|| self.recv_timeout(quiet)).collect()
    }

    /// Sends `frames` as fast as QEMU takes them, until they are all sent
    /// or `limit` has passed, counting what the guest sends meanwhile (and
    /// discarding it, so the guest's replies never back up into QEMU).
    pub fn flood(&self, frames: impl IntoIterator<Item = Vec<u8>>, limit: Duration) -> io::Result<Flood> {
        let receiver = self.socket.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let counter = {
            let stop = Arc::clone(&stop);
            thread::spawn(move || count_until_quiet(&receiver, &stop))
        };
        let sent = self.send_all(frames, limit);
        stop.store(true, Ordering::Relaxed);
        let received = counter.join().map_err(|_| io::Error::other("the flood's receiver panicked"))?;
        let (sent, complete, elapsed) = sent?;
        Ok(Flood { sent, complete, elapsed, received })
    }

    fn send_all(
        &self,
        frames: impl IntoIterator<Item = Vec<u8>>,
        limit: Duration,
    ) -> io::Result<(usize, bool, Duration)> {
        let started = Instant::now();
        let deadline = started + limit;
        self.socket.set_write_timeout(Some(FLOOD_SEND_WAIT))?;
        let mut sent = 0;
        let mut complete = true;
        'frames: for frame in frames {
            loop {
                if Instant::now() >= deadline {
                    complete = false;
                    break 'frames;
                }
                match self.send(&frame) {
                    Ok(()) => break,
                    Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = self.socket.set_write_timeout(Some(SEND_WAIT));
                        return Err(e);
                    }
                }
            }
            sent += 1;
        }
        self.socket.set_write_timeout(Some(SEND_WAIT))?;
        Ok((sent, complete, started.elapsed()))
    }
}

/// Counts frames on `socket` until `stop` is set and none came for
/// [`FLOOD_QUIET`].
fn count_until_quiet(socket: &UnixDatagram, stop: &AtomicBool) -> usize {
    let mut buf = vec![0u8; RECEIVE_BUFFER];
    let mut count = 0;
    let mut quiet_since = None;
    let _ = socket.set_read_timeout(Some(Duration::from_millis(50)));
    loop {
        match socket.recv(&mut buf) {
            Ok(_) => {
                count += 1;
                quiet_since = None;
            }
            Err(_) if stop.load(Ordering::Relaxed) => {
                let since = *quiet_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= FLOOD_QUIET {
                    return count;
                }
            }
            Err(_) => {}
        }
    }
}

impl Drop for FramePeer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays QEMU: a socket bound where QEMU's would be, echoing every
    /// datagram back with its first byte incremented, `skip` bytes first
    /// ignored (to show the resends).
    fn fake_qemu(peer: &FramePeer, ignore_first: usize) -> thread::JoinHandle<usize> {
        let qemu = UnixDatagram::bind(peer.qemu_socket()).expect("bind the fake QEMU");
        let peer_socket = peer.peer_socket.clone();
        thread::spawn(move || {
            qemu.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 2048];
            let mut seen = 0;
            while let Ok(n) = qemu.recv(&mut buf) {
                seen += 1;
                if buf[..n] == *b"stop" {
                    break;
                }
                if seen > ignore_first {
                    buf[0] = buf[0].wrapping_add(1);
                    let _ = qemu.send_to(b"noise", &peer_socket);
                    let _ = qemu.send_to(&buf[..n], &peer_socket);
                }
            }
            seen
        })
    }

    #[test]
    fn the_link_describes_both_sockets() {
        let peer = FramePeer::new().expect("a frame peer");
        match peer.net() {
            Net::Dgram { qemu_socket, peer_socket } => {
                assert_eq!(qemu_socket.parent(), peer_socket.parent());
                assert!(peer_socket.exists(), "the peer's socket is bound");
                assert!(!qemu_socket.exists(), "QEMU binds its own");
            }
            other => panic!("{other:?}"),
        }
        let dir = peer.dir.clone();
        drop(peer);
        assert!(!dir.exists(), "removed when dropped");
    }

    #[test]
    fn sending_before_qemu_is_there_fails_and_receiving_times_out() {
        let peer = FramePeer::new().expect("a frame peer");
        assert!(peer.send(b"x").is_err());
        let started = Instant::now();
        assert_eq!(peer.recv_timeout(Duration::from_millis(100)), None);
        assert!(started.elapsed() >= Duration::from_millis(90));
        assert_eq!(peer.exchange(b"x", |_| true, Duration::from_millis(300)), None);
    }

    #[test]
    fn exchange_resends_until_the_reply_comes() {
        let peer = FramePeer::new().expect("a frame peer");
        let qemu = fake_qemu(&peer, 2);
        let mut others = Vec::new();
        let reply = peer.exchange_with(b"ab", |f| f == b"bb", Duration::from_secs(5), &mut |f| others.push(f.to_vec()));
        assert_eq!(reply.as_deref(), Some(&b"bb"[..]));
        assert_eq!(others, [b"noise".to_vec()], "the frame before the reply went to `other`");
        peer.send(b"stop").unwrap();
        assert!(qemu.join().unwrap() >= 4, "two ignored, one answered, stop");
    }

    #[test]
    fn a_flood_sends_everything_and_counts_the_replies() {
        let peer = FramePeer::new().expect("a frame peer");
        let qemu = fake_qemu(&peer, 0);
        let frames = (0..500u32).map(|i| i.to_be_bytes().to_vec());
        let flood = peer.flood(frames, Duration::from_secs(20)).expect("flood");
        assert_eq!((flood.sent, flood.complete), (500, true));
        assert_eq!(flood.received, 1000, "a reply and a noise frame each");
        assert!(flood.frames_per_second() > 0.0);
        peer.send(b"stop").unwrap();
        qemu.join().unwrap();
        assert!(peer.drain(Duration::from_millis(50)).is_empty());
    }
}
