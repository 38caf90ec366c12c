//! A net channel (Van Jacobson and Felderman, LCA 2006; OSv's
//! `net_channel`): a bounded lock-free queue from the receive interrupt to
//! the one thread that will do a flow's protocol work, plus the handshake
//! that lets the interrupt wake that thread only when it is waiting.
//!
//! # The wakeup protocol
//!
//! VJ's channel has a `wakecnt` so that "the producer only wakes a consumer
//! that asked"; here it is the `armed` flag.
//!
//! Consumer (the flow's reader, in recv/poll/timers):
//!
//! ```text
//! loop {
//!     while let Some(frame) = ch.pop() { process(frame) }
//!     if done { break }
//!     ch.arm();                      // "wake me"
//!     if !ch.is_empty() {            // re-check, or a push that came just
//!         ch.disarm();               // before arm() would never wake us
//!         continue;
//!     }
//!     sleep();                       // must return at once if a wake came
//! }                                  // after arm() but before sleep()
//! ```
//!
//! Producer (the receive interrupt):
//!
//! ```text
//! match ch.push(frame) {
//!     Ok(PushOutcome { wake: true }) => wake(reader),  // it asked; the request is now cleared
//!     Ok(PushOutcome { wake: false }) => {}            // it is running, or will see the frame
//!     Err(frame) => slow_path(frame),                  // full: drain the channel first, then this
//! }
//! ```
//!
//! The re-check closes the race in which the consumer finds the channel
//! empty, the producer pushes and sees no request, and only then the
//! consumer arms and sleeps with a frame waiting. `sleep` must tolerate a
//! wake that arrives before it (a "wake pending" bit in the scheduler, as
//! with `std::thread::park`), because the producer may see the request and
//! wake between `arm` and `sleep`.
//!
//! # Memory orderings
//!
//! The handshake is Dekker's: the consumer writes `armed` then reads the
//! queue, the producer writes the queue then reads `armed`, and at least
//! one of them must see the other's write. Acquire/release cannot promise
//! that (a store followed by a load of another location may be reordered,
//! on x86 too, through the store buffer), so both sides put a SeqCst fence
//! between their write and their read. By the fence rules of the C++/Rust
//! memory model, either the producer's fence comes first in the single
//! total order of SeqCst operations, and then the consumer's `is_empty`
//! after its fence sees the push, or the consumer's fence comes first, and
//! then the producer's load of `armed` sees `true`. This holds whatever
//! orderings the queue uses inside; the queue itself makes an item's
//! contents visible to whoever pops it.
//!
//! The producer claims the request with a `swap`, so that of two CPUs
//! pushing at once only one wakes the reader; it first loads `armed` so
//! that the common case (reader busy) does not write the consumer's line.
//! The counters are statistics, read without synchronising with anything:
//! Relaxed.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering, fence};

use crossbeam_queue::ArrayQueue;

/// What a successful push asks of the producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a reader that asked to be woken sleeps until the producer wakes it"]
pub struct PushOutcome {
    /// The consumer had armed the channel: wake it. Its request is cleared,
    /// so the next push says false unless it arms again.
    pub wake: bool,
}

/// Keeps what the producer writes (the counters) and what the consumer
/// writes (`armed`) on different cache lines, as VJ's channel does with its
/// producer and consumer headers.
#[repr(align(64))]
struct CacheLine<T>(T);

pub struct Channel<T> {
    queue: ArrayQueue<T>,
    armed: CacheLine<AtomicBool>,
    counters: CacheLine<Counters>,
}

struct Counters {
    pushed: AtomicU64,
    overflows: AtomicU64,
    wakeups: AtomicU64,
}

impl<T> Channel<T> {
    /// A channel holding at most `capacity` items; a capacity of 0 is taken
    /// as 1 (the queue cannot be empty-sized, and a channel that refuses
    /// everything is no use).
    pub fn new(capacity: usize) -> Self {
        Channel {
            queue: ArrayQueue::new(capacity.max(1)),
            armed: CacheLine(AtomicBool::new(false)),
            counters: CacheLine(Counters {
                pushed: AtomicU64::new(0),
                overflows: AtomicU64::new(0),
                wakeups: AtomicU64::new(0),
            }),
        }
    }

    /// Queues `item`; `Err(item)` when the channel is full, which counts as
    /// an overflow: the caller then takes the slow path (after draining the
    /// channel, so that the flow's order is kept), never dropping silently.
    pub fn push(&self, item: T) -> Result<PushOutcome, T> {
        if let Err(item) = self.queue.push(item) {
            self.counters.0.overflows.fetch_add(1, Ordering::Relaxed);
            return Err(item);
        }
        self.counters.0.pushed.fetch_add(1, Ordering::Relaxed);
        // Between our write (the push) and our read of `armed`: see the
        // module comment.
        fence(Ordering::SeqCst);
        let wake = self.armed.0.load(Ordering::Relaxed) && self.armed.0.swap(false, Ordering::Relaxed);
        if wake {
            self.counters.0.wakeups.fetch_add(1, Ordering::Relaxed);
        }
        Ok(PushOutcome { wake })
    }

    pub fn pop(&self) -> Option<T> {
        self.queue.pop()
    }

    /// The consumer asks to be woken by the next push. It must then check
    /// [`is_empty`](Self::is_empty) before sleeping (see the module comment).
    pub fn arm(&self) {
        self.armed.0.store(true, Ordering::Relaxed);
        // Between our write (`armed`) and the caller's read of the queue.
        fence(Ordering::SeqCst);
    }

    /// Withdraws a request made by [`arm`](Self::arm), when the re-check
    /// found items after all. Optional: a request left armed only costs one
    /// spurious wakeup.
    pub fn disarm(&self) {
        self.armed.0.store(false, Ordering::Relaxed);
    }

    /// Whether a request to be woken is pending.
    pub fn is_armed(&self) -> bool {
        self.armed.0.load(Ordering::Relaxed)
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.queue.is_full()
    }

    pub fn capacity(&self) -> usize {
        self.queue.capacity()
    }

    /// Items accepted since creation.
    pub fn pushed(&self) -> u64 {
        self.counters.0.pushed.load(Ordering::Relaxed)
    }

    /// Pushes refused because the channel was full.
    pub fn overflows(&self) -> u64 {
        self.counters.0.overflows.load(Ordering::Relaxed)
    }

    /// Pushes that answered `wake: true`.
    pub fn wakeups(&self) -> u64 {
        self.counters.0.wakeups.load(Ordering::Relaxed)
    }
}

impl<T> core::fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Channel")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("armed", &self.is_armed())
            .field("pushed", &self.pushed())
            .field("overflows", &self.overflows())
            .field("wakeups", &self.wakeups())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    #[test]
    fn items_come_out_in_the_order_they_went_in() {
        let ch = Channel::new(4);
        for i in 0..4 {
            assert!(ch.push(i).is_ok());
        }
        assert_eq!(ch.len(), 4);
        assert_eq!((0..4).map(|_| ch.pop().unwrap()).collect::<Vec<_>>(), [0, 1, 2, 3]);
        assert_eq!(ch.pop(), None);
        assert!(ch.is_empty());
    }

    #[test]
    fn a_full_channel_returns_the_item_and_counts_an_overflow() {
        let ch = Channel::new(2);
        assert!(ch.push("a").is_ok());
        assert!(ch.push("b").is_ok());
        assert!(ch.is_full());
        assert_eq!(ch.push("c"), Err("c"));
        assert_eq!(ch.push("d"), Err("d"));
        assert_eq!((ch.pushed(), ch.overflows()), (2, 2));
        assert_eq!(ch.pop(), Some("a"));
        assert!(ch.push("e").is_ok());
        assert_eq!((ch.pushed(), ch.overflows()), (3, 2));
    }

    #[test]
    fn a_zero_capacity_is_taken_as_one() {
        let ch = Channel::new(0);
        assert_eq!(ch.capacity(), 1);
        assert!(ch.push(1).is_ok());
        assert_eq!(ch.push(2), Err(2));
    }

    #[test]
    fn a_push_asks_for_a_wakeup_only_when_the_consumer_armed() {
        let ch = Channel::new(8);
        assert_eq!(ch.push(1), Ok(PushOutcome { wake: false }));
        ch.arm();
        assert!(ch.is_armed());
        assert_eq!(ch.push(2), Ok(PushOutcome { wake: true }));
        // The request was cleared by the push that answered it.
        assert!(!ch.is_armed());
        assert_eq!(ch.push(3), Ok(PushOutcome { wake: false }));
        assert_eq!(ch.wakeups(), 1);
    }

    #[test]
    fn a_refused_push_does_not_consume_the_wakeup_request() {
        let ch = Channel::new(1);
        assert!(ch.push(1).is_ok());
        ch.arm();
        assert_eq!(ch.push(2), Err(2));
        assert!(ch.is_armed());
    }

    #[test]
    fn disarm_withdraws_the_request() {
        let ch = Channel::new(8);
        ch.arm();
        ch.disarm();
        assert_eq!(ch.push(1), Ok(PushOutcome { wake: false }));
    }

    #[test]
    fn a_push_between_the_consumers_last_pop_and_its_arm_is_seen_by_the_recheck() {
        // The interleaving the re-check exists for, played in order.
        let ch = Channel::new(8);
        assert_eq!(ch.pop(), None); // consumer: drained, about to sleep
        assert_eq!(ch.push(7), Ok(PushOutcome { wake: false })); // producer: nobody asked
        ch.arm(); // consumer
        assert!(!ch.is_empty(), "the re-check must find the frame instead of sleeping");
    }

    #[test]
    fn only_one_of_two_racing_producers_is_told_to_wake() {
        for _ in 0..200 {
            let ch = Arc::new(Channel::new(4));
            ch.arm();
            let producers: Vec<_> = (0..2)
                .map(|i| {
                    let ch = Arc::clone(&ch);
                    std::thread::spawn(move || ch.push(i).unwrap().wake)
                })
                .collect();
            let wakes = producers.into_iter().map(|p| p.join().unwrap()).filter(|&w| w).count();
            assert_eq!(wakes, 1);
        }
    }

    /// A sleep/wake primitive with a pending-wake bit, as the protocol
    /// requires of the kernel's: a wake before the sleep is not lost.
    #[derive(Default)]
    struct Event {
        pending: Mutex<bool>,
        cond: Condvar,
    }

    impl Event {
        fn wake(&self) {
            *self.pending.lock().unwrap() = true;
            self.cond.notify_one();
        }

        /// False when it timed out with no wake.
        fn sleep(&self, timeout: Duration) -> bool {
            let pending = self.pending.lock().unwrap();
            let (mut pending, _) = self.cond.wait_timeout_while(pending, timeout, |p| !*p).unwrap();
            std::mem::replace(&mut *pending, false)
        }
    }

    /// Runs a producer and a consumer on two threads. The producer sends
    /// bursts of 1 to 3 items and after each burst waits until the consumer
    /// has taken them all, as a client waits for a reply: then every burst
    /// ends with the consumer going to sleep, and a wakeup lost at the end
    /// of any burst stalls both. `arm_then_check` false plays a consumer that
    /// skips the re-check after arming. Returns false on a stall.
    fn play_bursts(bursts: u64, arm_then_check: bool) -> bool {
        use std::sync::atomic::AtomicU64;
        use std::time::Instant;
        let ch = Arc::new(Channel::<u64>::new(64));
        let event = Arc::new(Event::default());
        let consumed = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let total: u64 = (0..bursts).map(|b| b % 3 + 1).sum();

        let consumer = {
            let (ch, event, consumed, stop) =
                (Arc::clone(&ch), Arc::clone(&event), Arc::clone(&consumed), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut next = 0u64;
                while next < total && !stop.load(Ordering::Relaxed) {
                    while let Some(item) = ch.pop() {
                        assert_eq!(item, next, "items out of order");
                        next += 1;
                        consumed.store(next, Ordering::Release);
                    }
                    if next == total {
                        break;
                    }
                    if arm_then_check {
                        ch.arm();
                        if !ch.is_empty() {
                            ch.disarm();
                            continue;
                        }
                    } else {
                        // The broken order: a push landing here is missed.
                        std::thread::yield_now();
                        ch.arm();
                    }
                    event.sleep(Duration::from_secs(10));
                }
            })
        };

        let mut sent = 0u64;
        let mut stalled = false;
        'bursts: for burst in 0..bursts {
            for _ in 0..burst % 3 + 1 {
                // Never full: at most 3 items are outstanding.
                if ch.push(sent).unwrap().wake {
                    event.wake();
                }
                sent += 1;
            }
            // A consumer that followed the protocol is woken within
            // microseconds; a second is a wakeup that never came (its own
            // 10 s timeout only lets it exit if the harness breaks).
            let deadline = Instant::now() + Duration::from_secs(1);
            while consumed.load(Ordering::Acquire) < sent {
                if Instant::now() > deadline {
                    stalled = true;
                    break 'bursts;
                }
                std::thread::yield_now();
            }
        }
        stop.store(true, Ordering::Relaxed);
        event.wake();
        consumer.join().unwrap();
        !stalled
    }

    #[test]
    fn a_consumer_that_rechecks_after_arming_never_sleeps_through_a_push() {
        assert!(play_bursts(20_000, true), "lost wakeup");
    }

    #[test]
    fn a_consumer_that_arms_without_rechecking_can_sleep_through_a_push() {
        // The same harness catches the race the protocol closes, so the
        // test above is not passing for want of trying.
        assert!(!play_bursts(1_000_000, false), "the missing re-check went unnoticed");
    }
}
