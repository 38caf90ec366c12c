//! Local ports: which are bound, and the ephemeral ones handed to sockets
//! that connect or send without binding.
//!
//! The ephemeral range is Linux's default `net.ipv4.ip_local_port_range`,
//! 32768..=60999, so that programs and firewall rules that assume it keep
//! working. TCP and UDP have separate spaces, as in Linux.
//!
//! One bitmap of all 65536 ports per transport (8 KiB): `reserve` (bind)
//! must refuse any port in use, not only ephemeral ones. `alloc` scans
//! from a cursor that moves past each port it hands out, so a port that
//! was just released is not reused at once (its old segments may still be
//! in flight) and the scan usually stops at the first word it reads; a
//! count of free ephemeral ports answers exhaustion without a scan. The
//! worst case reads the range's 442 words once.
//!
//! This is bookkeeping of local ports only: a port shared by several
//! connections (the same local port to different remotes, SO_REUSEADDR,
//! SO_REUSEPORT) is the socket layer's business, which reserves the port
//! once and counts its users itself. RFC 6056's per-destination randomised
//! selection is not done; [`Ports::with_start`] at least lets the
//! kernel start the cursor at a random place, so that the first ports of a
//! boot are not the same every time.

use alloc::vec;
use alloc::vec::Vec;

use crate::flow::Transport;

pub const EPHEMERAL_FIRST: u16 = 32768;
pub const EPHEMERAL_LAST: u16 = 60999;
/// How many ports the ephemeral range holds.
pub const EPHEMERAL_COUNT: usize = (EPHEMERAL_LAST - EPHEMERAL_FIRST) as usize + 1;

const WORDS: usize = (u16::MAX as usize + 1) / 64;

#[derive(Clone, Debug)]
struct PortSpace {
    /// Bit `p % 64` of word `p / 64` is set when port `p` is in use.
    used: Vec<u64>,
    /// The next ephemeral port to try, always inside the range.
    cursor: u16,
    free_ephemeral: usize,
}

impl PortSpace {
    fn new(start: u16) -> Self {
        let offset = usize::from(start) % EPHEMERAL_COUNT;
        PortSpace {
            used: vec![0; WORDS],
            // offset < EPHEMERAL_COUNT, so the sum stays inside the range.
            cursor: EPHEMERAL_FIRST.saturating_add(u16::try_from(offset).unwrap_or(0)),
            free_ephemeral: EPHEMERAL_COUNT,
        }
    }

    fn is_used(&self, port: u16) -> bool {
        let (word, bit) = place(port);
        self.used.get(word).is_some_and(|w| w & bit != 0)
    }

    /// Marks `port` used; false if it was already.
    fn take(&mut self, port: u16) -> bool {
        let (word, bit) = place(port);
        let Some(w) = self.used.get_mut(word) else { return false };
        if *w & bit != 0 {
            return false;
        }
        *w |= bit;
        if is_ephemeral(port) {
            self.free_ephemeral = self.free_ephemeral.saturating_sub(1);
        }
        true
    }

    fn give_back(&mut self, port: u16) {
        let (word, bit) = place(port);
        if let Some(w) = self.used.get_mut(word)
            && *w & bit != 0
        {
            *w &= !bit;
            if is_ephemeral(port) {
                self.free_ephemeral += 1;
            }
        }
    }

    /// The first free port in `from..=to`.
    fn first_free(&self, from: u16, to: u16) -> Option<u16> {
        if from > to {
            return None;
        }
        let (first_word, last_word) = (usize::from(from) / 64, usize::from(to) / 64);
        for word in first_word..=last_word {
            let mut free = !self.used.get(word)?;
            if word == first_word {
                free &= u64::MAX << (from % 64);
            }
            if word == last_word {
                free &= u64::MAX >> (63 - to % 64);
            }
            if free != 0 {
                // word < 1024 and the bit < 64: the port fits 16 bits.
                return u16::try_from(word * 64 + free.trailing_zeros() as usize).ok();
            }
        }
        None
    }

    fn alloc(&mut self) -> Option<u16> {
        if self.free_ephemeral == 0 {
            return None;
        }
        let port = self
            .first_free(self.cursor, EPHEMERAL_LAST)
            .or_else(|| self.first_free(EPHEMERAL_FIRST, self.cursor.checked_sub(1)?))?;
        if !self.take(port) {
            return None;
        }
        self.cursor = if port >= EPHEMERAL_LAST { EPHEMERAL_FIRST } else { port + 1 };
        Some(port)
    }
}

fn place(port: u16) -> (usize, u64) {
    (usize::from(port) / 64, 1u64 << (port % 64))
}

fn is_ephemeral(port: u16) -> bool {
    (EPHEMERAL_FIRST..=EPHEMERAL_LAST).contains(&port)
}

#[derive(Clone, Debug)]
pub struct Ports {
    tcp: PortSpace,
    udp: PortSpace,
}

impl Default for Ports {
    fn default() -> Self {
        Self::new()
    }
}

impl Ports {
    /// All ports free; the first ephemeral port handed out is 32768.
    pub fn new() -> Self {
        Self::with_start(0)
    }

    /// Like [`new`](Self::new), but the cursor starts `start` ports into
    /// the range (modulo its size): pass a random number.
    pub fn with_start(start: u16) -> Self {
        Ports { tcp: PortSpace::new(start), udp: PortSpace::new(start) }
    }

    fn space(&self, transport: Transport) -> &PortSpace {
        match transport {
            Transport::Tcp => &self.tcp,
            Transport::Udp => &self.udp,
        }
    }

    fn space_mut(&mut self, transport: Transport) -> &mut PortSpace {
        match transport {
            Transport::Tcp => &mut self.tcp,
            Transport::Udp => &mut self.udp,
        }
    }

    /// A free ephemeral port, now in use; None when all 28232 are (Linux's
    /// connect() then fails with EADDRNOTAVAIL).
    pub fn alloc(&mut self, transport: Transport) -> Option<u16> {
        self.space_mut(transport).alloc()
    }

    /// Binds `port`, inside the ephemeral range or not; false if it is in
    /// use already, or is 0 (which asks for an ephemeral port: call
    /// [`alloc`](Self::alloc)).
    pub fn reserve(&mut self, transport: Transport, port: u16) -> bool {
        port != 0 && self.space_mut(transport).take(port)
    }

    /// Frees `port`; freeing a free port does nothing.
    pub fn release(&mut self, transport: Transport, port: u16) {
        self.space_mut(transport).give_back(port);
    }

    pub fn is_used(&self, transport: Transport, port: u16) -> bool {
        self.space(transport).is_used(port)
    }

    /// How many ephemeral ports `alloc` can still hand out.
    pub fn free_ephemeral(&self, transport: Transport) -> usize {
        self.space(transport).free_ephemeral
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_range_is_linuxs_default() {
        assert_eq!((EPHEMERAL_FIRST, EPHEMERAL_LAST, EPHEMERAL_COUNT), (32768, 60999, 28232));
    }

    #[test]
    fn allocation_walks_the_range_in_order_from_the_start() {
        let mut ports = Ports::new();
        assert_eq!(ports.alloc(Transport::Tcp), Some(32768));
        assert_eq!(ports.alloc(Transport::Tcp), Some(32769));
        assert!(ports.is_used(Transport::Tcp, 32768));
        assert_eq!(ports.free_ephemeral(Transport::Tcp), EPHEMERAL_COUNT - 2);
    }

    #[test]
    fn tcp_and_udp_ports_are_separate() {
        let mut ports = Ports::new();
        assert!(ports.reserve(Transport::Tcp, 53));
        assert!(ports.reserve(Transport::Udp, 53));
        assert_eq!(ports.alloc(Transport::Tcp), Some(32768));
        assert_eq!(ports.alloc(Transport::Udp), Some(32768));
        assert!(!ports.is_used(Transport::Udp, 32769));
    }

    #[test]
    fn a_bound_port_is_refused_twice_and_free_again_after_release() {
        let mut ports = Ports::new();
        assert!(ports.reserve(Transport::Tcp, 80));
        assert!(!ports.reserve(Transport::Tcp, 80));
        ports.release(Transport::Tcp, 80);
        assert!(!ports.is_used(Transport::Tcp, 80));
        assert!(ports.reserve(Transport::Tcp, 80));
    }

    #[test]
    fn port_zero_cannot_be_reserved() {
        let mut ports = Ports::new();
        assert!(!ports.reserve(Transport::Udp, 0));
        assert!(!ports.is_used(Transport::Udp, 0));
    }

    #[test]
    fn the_extreme_ports_can_be_bound() {
        let mut ports = Ports::new();
        assert!(ports.reserve(Transport::Tcp, 1));
        assert!(ports.reserve(Transport::Tcp, u16::MAX));
        assert!(ports.is_used(Transport::Tcp, u16::MAX));
    }

    #[test]
    fn allocation_skips_ports_that_are_bound() {
        let mut ports = Ports::new();
        for port in 32768..32768 + 100 {
            assert!(ports.reserve(Transport::Tcp, port));
        }
        assert_eq!(ports.alloc(Transport::Tcp), Some(32868));
    }

    #[test]
    fn binding_outside_the_range_leaves_the_ephemeral_count_alone() {
        let mut ports = Ports::new();
        ports.reserve(Transport::Tcp, 8080);
        ports.reserve(Transport::Tcp, 61000);
        assert_eq!(ports.free_ephemeral(Transport::Tcp), EPHEMERAL_COUNT);
        ports.reserve(Transport::Tcp, 40000);
        assert_eq!(ports.free_ephemeral(Transport::Tcp), EPHEMERAL_COUNT - 1);
        ports.release(Transport::Tcp, 40000);
        ports.release(Transport::Tcp, 40000);
        assert_eq!(ports.free_ephemeral(Transport::Tcp), EPHEMERAL_COUNT);
    }

    #[test]
    fn a_released_port_is_not_handed_out_again_before_the_cursor_comes_round() {
        let mut ports = Ports::new();
        let first = ports.alloc(Transport::Tcp).unwrap();
        ports.release(Transport::Tcp, first);
        assert_ne!(ports.alloc(Transport::Tcp), Some(first));
    }

    #[test]
    fn every_ephemeral_port_is_handed_out_once_then_none() {
        let mut ports = Ports::with_start(12345);
        let mut seen = HashSet::new();
        while let Some(port) = ports.alloc(Transport::Udp) {
            assert!(is_ephemeral(port), "{port}");
            assert!(seen.insert(port), "{port} twice");
        }
        assert_eq!(seen.len(), EPHEMERAL_COUNT);
        assert_eq!(ports.free_ephemeral(Transport::Udp), 0);
        assert_eq!(ports.alloc(Transport::Udp), None);
        // The other transport is untouched.
        assert_eq!(ports.free_ephemeral(Transport::Tcp), EPHEMERAL_COUNT);
    }

    #[test]
    fn when_exhausted_a_released_port_is_the_next_one_handed_out() {
        let mut ports = Ports::new();
        while ports.alloc(Transport::Tcp).is_some() {}
        for port in [32768, 45000, 60999] {
            ports.release(Transport::Tcp, port);
            assert_eq!(ports.alloc(Transport::Tcp), Some(port));
            assert_eq!(ports.alloc(Transport::Tcp), None);
        }
    }

    #[test]
    fn the_cursor_wraps_from_the_top_of_the_range_to_the_bottom() {
        let mut ports = Ports::with_start(u16::try_from(EPHEMERAL_COUNT - 1).unwrap());
        assert_eq!(ports.alloc(Transport::Tcp), Some(60999));
        assert_eq!(ports.alloc(Transport::Tcp), Some(32768));
    }

    #[test]
    fn a_start_past_the_range_wraps_into_it() {
        let mut ports = Ports::with_start(u16::MAX);
        let port = ports.alloc(Transport::Tcp).unwrap();
        assert!(is_ephemeral(port));
        assert_eq!(usize::from(port - EPHEMERAL_FIRST), usize::from(u16::MAX) % EPHEMERAL_COUNT);
    }

    #[test]
    fn a_wrapped_scan_finds_a_free_port_below_the_cursor() {
        let mut ports = Ports::with_start(100);
        for port in EPHEMERAL_FIRST + 100..=EPHEMERAL_LAST {
            assert!(ports.reserve(Transport::Tcp, port));
        }
        assert_eq!(ports.alloc(Transport::Tcp), Some(EPHEMERAL_FIRST));
    }
}
