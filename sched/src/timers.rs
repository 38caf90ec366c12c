//! Sleeps with a deadline, kept per CPU: the timer tick of the CPU a task
//! slept on takes the entries that are due. A sleep that ends for another
//! reason removes its entry with the key `add` gave: an entry left behind
//! would hold its task until the deadline, which for a clamped "forever"
//! timeout never comes (the fuzzer saw each such sleep keep a dead task's
//! kernel stack).

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// An entry's place: its deadline, then insertion order, so equal
/// deadlines fire first come, first served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    deadline: u64,
    seq: u64,
}

pub struct TimerList<T> {
    entries: BTreeMap<TimerKey, T>,
    seq: u64,
}

impl<T> Default for TimerList<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> TimerList<T> {
    pub const fn new() -> Self {
        TimerList { entries: BTreeMap::new(), seq: 0 }
    }

    pub fn add(&mut self, deadline: u64, task: T) -> TimerKey {
        self.seq += 1;
        let key = TimerKey { deadline, seq: self.seq };
        self.entries.insert(key, task);
        key
    }

    /// Takes the entry back if it has not fired.
    pub fn remove(&mut self, key: TimerKey) -> Option<T> {
        self.entries.remove(&key)
    }

    /// The earliest deadline, if any.
    pub fn next_deadline(&self) -> Option<u64> {
        self.entries.first_key_value().map(|(k, _)| k.deadline)
    }

    /// Removes and returns, earliest first, every task due at `now`.
    pub fn take_due(&mut self, now: u64) -> Vec<T> {
        let mut due = Vec::new();
        while self.entries.first_key_value().is_some_and(|(k, _)| k.deadline <= now) {
            if let Some((_, task)) = self.entries.pop_first() {
                due.push(task);
            }
        }
        due
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
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

    #[test]
    fn a_removed_entry_never_fires() {
        let mut l = TimerList::new();
        let a = l.add(10, 'a');
        l.add(10, 'b');
        let far = l.add(u64::MAX, 'z');
        assert_eq!(l.remove(a), Some('a'));
        assert_eq!(l.remove(a), None, "removed once");
        assert_eq!(l.remove(far), Some('z'), "a far deadline does not keep its task");
        assert_eq!(l.take_due(10), alloc::vec!['b']);
        assert!(l.is_empty());
    }
}
