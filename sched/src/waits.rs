//! Tasks sleeping on wait keys. A key is any number both sides agree on
//! (an object's address, a pid); a wakeup takes every task sleeping on it,
//! and sleepers recheck their condition, so spurious wakeups are harmless.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

pub struct WaitTable<T> {
    waiting: BTreeMap<u64, Vec<T>>,
}

impl<T: Clone> Default for WaitTable<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> WaitTable<T> {
    pub const fn new() -> Self {
        WaitTable { waiting: BTreeMap::new() }
    }

    /// Registers `task` as sleeping on each of `keys`.
    pub fn add(&mut self, keys: &[u64], task: &T) {
        for &k in keys {
            self.waiting.entry(k).or_default().push(task.clone());
        }
    }

    /// Removes and returns every task sleeping on `key`.
    pub fn take(&mut self, key: u64) -> Vec<T> {
        self.waiting.remove(&key).unwrap_or_default()
    }

    /// Drops the entries `asleep` says are stale (tasks woken through
    /// another key or a timeout), so the lists do not grow.
    pub fn prune(&mut self, mut asleep: impl FnMut(&T) -> bool) {
        self.waiting.retain(|_, list| {
            list.retain(&mut asleep);
            !list.is_empty()
        });
    }

    pub fn keys(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wakeup_takes_every_sleeper_on_its_key_only() {
        let mut w = WaitTable::new();
        w.add(&[1, 2], &'a');
        w.add(&[1], &'b');
        w.add(&[3], &'c');
        assert_eq!(w.take(1), alloc::vec!['a', 'b']);
        assert_eq!(w.take(1), alloc::vec![]);
        assert_eq!(w.take(2), alloc::vec!['a']);
        assert_eq!(w.keys(), 1);
    }

    #[test]
    fn pruning_drops_stale_entries_and_empty_keys() {
        let mut w = WaitTable::new();
        w.add(&[1], &1u32);
        w.add(&[1], &2u32);
        w.add(&[2], &3u32);
        w.prune(|t| *t != 2 && *t != 3);
        assert_eq!(w.keys(), 1);
        assert_eq!(w.take(1), alloc::vec![1]);
    }
}
