//! Sleeps with a deadline, kept per CPU: the timer tick of the CPU a task
//! slept on takes the entries that are due. An entry may outlive its
//! sleep (the task woke early for another reason); waking it again is
//! harmless because sleepers recheck their condition.

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::{Ordering, Reverse};

struct Entry<T> {
    deadline: u64,
    /// Insertion order, so equal deadlines fire first come, first served.
    seq: u64,
    task: T,
}

impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl<T> Eq for Entry<T> {}
impl<T> PartialOrd for Entry<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Entry<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

pub struct TimerList<T> {
    heap: BinaryHeap<Reverse<Entry<T>>>,
    seq: u64,
}

impl<T> Default for TimerList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TimerList<T> {
    pub const fn new() -> Self {
        TimerList { heap: BinaryHeap::new(), seq: 0 }
    }

    pub fn add(&mut self, deadline: u64, task: T) {
        self.seq += 1;
        self.heap.push(Reverse(Entry { deadline, seq: self.seq, task }));
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.heap.peek().map(|e| e.0.deadline)
    }

    /// Removes and returns, earliest first, every task due at `now`.
    pub fn take_due(&mut self, now: u64) -> Vec<T> {
        let mut due = Vec::new();
        while self.heap.peek().is_some_and(|e| e.0.deadline <= now) {
            due.push(self.heap.pop().expect("peeked").0.task);
        }
        due
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_entries_come_out_earliest_first() {
        let mut l = TimerList::new();
        l.add(30, 'c');
        l.add(10, 'a');
        l.add(20, 'b');
        l.add(40, 'd');
        assert_eq!(l.next_deadline(), Some(10));
        assert_eq!(l.take_due(5), alloc::vec![]);
        assert_eq!(l.take_due(30), alloc::vec!['a', 'b', 'c']);
        assert_eq!(l.len(), 1);
        assert_eq!(l.next_deadline(), Some(40));
    }

    #[test]
    fn equal_deadlines_keep_their_order() {
        let mut l = TimerList::new();
        for c in ['x', 'y', 'z'] {
            l.add(7, c);
        }
        assert_eq!(l.take_due(7), alloc::vec!['x', 'y', 'z']);
        assert!(l.is_empty());
    }
}
