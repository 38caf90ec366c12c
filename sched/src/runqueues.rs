//! One FIFO run queue per CPU. A woken task goes where it can start
//! soonest: its previous CPU when that one is idle (its cache is warm),
//! otherwise any idle CPU it may use, otherwise back to its previous CPU.
//! A CPU whose own queue is empty steals the oldest task it may run from
//! the longest other queue, so no CPU idles while another has a backlog.
//!
//! The queue locks are held only for a push or a pop; the kernel takes
//! them with interrupts off (the timer and IPIs wake tasks too).

use alloc::collections::VecDeque;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use spin::Mutex;

/// What the queues need to know about a task.
pub trait Task: Clone {
    /// Whether the task's CPU affinity lets it run on `cpu`.
    fn allowed_on(&self, cpu: usize) -> bool;
}

pub struct RunQueues<T, const N: usize> {
    queues: [Mutex<VecDeque<T>>; N],
    /// Queue lengths readable without the locks (placement, victim choice).
    lens: [AtomicUsize; N],
    /// Set by a CPU about to halt with nothing to run.
    idle: [AtomicBool; N],
    online: AtomicUsize,
}

impl<T: Task, const N: usize> Default for RunQueues<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Task, const N: usize> RunQueues<T, N> {
    pub const fn new() -> Self {
        RunQueues {
            queues: [const { Mutex::new(VecDeque::new()) }; N],
            lens: [const { AtomicUsize::new(0) }; N],
            idle: [const { AtomicBool::new(false) }; N],
            online: AtomicUsize::new(1),
        }
    }

    /// CPUs 0..n take part (set once the application processors are up).
    pub fn set_online(&self, n: usize) {
        self.online.store(n.clamp(1, N), Ordering::Release);
    }

    pub fn online(&self) -> usize {
        self.online.load(Ordering::Acquire)
    }

    pub fn push(&self, cpu: usize, task: T) {
        let mut q = self.queues[cpu].lock();
        q.push_back(task);
        self.lens[cpu].store(q.len(), Ordering::SeqCst);
    }

    /// The oldest task of `cpu`'s own queue.
    pub fn pop(&self, cpu: usize) -> Option<T> {
        if self.lens[cpu].load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut q = self.queues[cpu].lock();
        let t = q.pop_front();
        self.lens[cpu].store(q.len(), Ordering::SeqCst);
        t
    }

    /// A task for the idle CPU `thief`, taken from the longest other queue:
    /// the oldest one allowed on `thief`.
    pub fn steal(&self, thief: usize) -> Option<T> {
        let n = self.online();
        let mut order: [usize; N] = [0; N];
        let mut count = 0;
        for cpu in (0..n).filter(|&c| c != thief && self.lens[c].load(Ordering::Relaxed) > 0) {
            order[count] = cpu;
            count += 1;
        }
        let candidates = &mut order[..count];
        candidates.sort_unstable_by_key(|&c| core::cmp::Reverse(self.lens[c].load(Ordering::Relaxed)));
        for &victim in candidates.iter() {
            let mut q = self.queues[victim].lock();
            if let Some(i) = q.iter().position(|t| t.allowed_on(thief)) {
                let t = q.remove(i);
                self.lens[victim].store(q.len(), Ordering::SeqCst);
                return t;
            }
        }
        None
    }

    pub fn len(&self, cpu: usize) -> usize {
        self.lens[cpu].load(Ordering::SeqCst)
    }

    pub fn is_empty(&self, cpu: usize) -> bool {
        self.len(cpu) == 0
    }

    /// Whether any CPU but `except` has queued work.
    pub fn others_have_work(&self, except: usize) -> bool {
        (0..self.online()).any(|c| c != except && self.lens[c].load(Ordering::Relaxed) > 0)
    }

    /// Marks `cpu` idle (about to halt) or busy. A CPU marks itself idle
    /// *before* its last look at the queues, and a waker pushes *before* it
    /// reads the mark: one of the two then sees the other (SeqCst), so a
    /// wakeup is never lost between the look and the halt.
    pub fn set_idle(&self, cpu: usize, idle: bool) {
        self.idle[cpu].store(idle, Ordering::SeqCst);
    }

    pub fn is_idle(&self, cpu: usize) -> bool {
        self.idle[cpu].load(Ordering::SeqCst)
    }

    /// The CPU a woken `task` should queue on. `last` is where it ran
    /// before, `here` the waker's CPU.
    pub fn place(&self, task: &T, last: usize, here: usize) -> usize {
        let n = self.online();
        let last = if last < n && task.allowed_on(last) { last } else { here };
        if self.is_idle(last) && task.allowed_on(last) {
            return last;
        }
        // Any idle CPU, looking from the one after `last` so that several
        // wakeups in a row spread out.
        if let Some(c) = (1..n).map(|i| (last + i) % n).find(|&c| self.is_idle(c) && task.allowed_on(c)) {
            return c;
        }
        if task.allowed_on(last) {
            return last;
        }
        (0..n).find(|&c| task.allowed_on(c)).unwrap_or(here)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct T {
        id: u32,
        mask: u64,
    }

    impl Task for T {
        fn allowed_on(&self, cpu: usize) -> bool {
            self.mask & (1 << cpu) != 0
        }
    }

    fn t(id: u32) -> T {
        T { id, mask: u64::MAX }
    }

    fn queues(n: usize) -> RunQueues<T, 8> {
        let q = RunQueues::new();
        q.set_online(n);
        q
    }

    #[test]
    fn each_queue_is_fifo() {
        let q = queues(2);
        q.push(0, t(1));
        q.push(0, t(2));
        q.push(1, t(3));
        assert_eq!(q.len(0), 2);
        assert_eq!(q.pop(0).map(|t| t.id), Some(1));
        assert_eq!(q.pop(0).map(|t| t.id), Some(2));
        assert_eq!(q.pop(0), None);
        assert_eq!(q.pop(1).map(|t| t.id), Some(3));
    }

    #[test]
    fn an_idle_cpu_steals_the_oldest_task_of_the_longest_queue() {
        let q = queues(3);
        q.push(1, t(10));
        q.push(2, t(20));
        q.push(2, t(21));
        assert_eq!(q.steal(0).map(|t| t.id), Some(20));
        assert_eq!(q.len(2), 1);
        // Now both have one: either is fine, but each steal takes one.
        assert!(q.steal(0).is_some());
        assert!(q.steal(0).is_some());
        assert_eq!(q.steal(0), None);
    }

    #[test]
    fn stealing_respects_affinity() {
        let q = queues(2);
        q.push(1, T { id: 1, mask: 0b10 });
        q.push(1, T { id: 2, mask: 0b11 });
        assert_eq!(q.steal(0).map(|t| t.id), Some(2));
        assert_eq!(q.steal(0), None);
        assert_eq!(q.pop(1).map(|t| t.id), Some(1));
    }

    #[test]
    fn a_thief_does_not_steal_from_itself() {
        let q = queues(2);
        q.push(0, t(1));
        assert_eq!(q.steal(0), None);
        assert!(!q.others_have_work(0));
        assert!(q.others_have_work(1));
    }

    #[test]
    fn placement_prefers_the_previous_cpu_when_idle() {
        let q = queues(4);
        for c in 0..4 {
            q.set_idle(c, true);
        }
        assert_eq!(q.place(&t(1), 2, 0), 2);
    }

    #[test]
    fn placement_finds_another_idle_cpu_when_the_previous_is_busy() {
        let q = queues(4);
        q.set_idle(3, true);
        assert_eq!(q.place(&t(1), 1, 0), 3);
        // With affinity excluding the idle CPU, back to the previous one.
        assert_eq!(q.place(&T { id: 1, mask: 0b0011 }, 1, 0), 1);
    }

    #[test]
    fn placement_stays_put_when_every_cpu_is_busy() {
        let q = queues(4);
        assert_eq!(q.place(&t(1), 1, 0), 1);
    }

    #[test]
    fn placement_honours_an_affinity_that_excludes_the_previous_cpu() {
        let q = queues(4);
        let pinned = T { id: 1, mask: 0b1000 };
        assert_eq!(q.place(&pinned, 0, 0), 3);
        q.set_idle(2, true);
        assert_eq!(q.place(&pinned, 1, 0), 3);
    }

    #[test]
    fn placement_ignores_offline_cpus() {
        let q = queues(2);
        q.set_idle(5, true);
        assert_eq!(q.place(&t(1), 7, 1), 1);
        assert_eq!(q.place(&t(1), 0, 1), 0);
    }

    #[test]
    fn wakeups_in_a_row_spread_over_idle_cpus() {
        let q = queues(4);
        for c in 1..4 {
            q.set_idle(c, true);
        }
        let first = q.place(&t(1), 0, 0);
        q.set_idle(first, false);
        let second = q.place(&t(2), 0, 0);
        assert_ne!(first, second);
        assert_ne!(first, 0);
        assert_ne!(second, 0);
    }
}
