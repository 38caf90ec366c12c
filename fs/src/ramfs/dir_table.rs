//! A directory's entries with stable readdir positions. Each entry gets a
//! position ("cookie") when it is inserted and keeps it, so removing entries
//! during a readdir loop (rm -r) never makes the loop skip survivors, as an
//! index into the sorted names would.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Positions 0 and 1 are `.` and `..`.
pub const FIRST_COOKIE: u64 = 2;

struct Slot<T> {
    value: T,
    cookie: u64,
}

pub struct DirTable<T> {
    by_name: BTreeMap<Vec<u8>, Slot<T>>,
    by_cookie: BTreeMap<u64, Vec<u8>>,
    next_cookie: u64,
}

impl<T: Clone> DirTable<T> {
    pub fn new() -> Self {
        DirTable { by_name: BTreeMap::new(), by_cookie: BTreeMap::new(), next_cookie: FIRST_COOKIE }
    }

    pub fn get(&self, name: &[u8]) -> Option<&T> {
        self.by_name.get(name).map(|slot| &slot.value)
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Adds or replaces `name`; a replaced entry keeps its position.
    pub fn insert(&mut self, name: &[u8], value: T) -> Option<T> {
        if let Some(slot) = self.by_name.get_mut(name) {
            return Some(core::mem::replace(&mut slot.value, value));
        }
        let cookie = self.next_cookie;
        self.next_cookie += 1;
        self.by_cookie.insert(cookie, name.to_vec());
        self.by_name.insert(name.to_vec(), Slot { value, cookie });
        None
    }

    pub fn remove(&mut self, name: &[u8]) -> Option<T> {
        let slot = self.by_name.remove(name)?;
        self.by_cookie.remove(&slot.cookie);
        Some(slot.value)
    }

    /// Entries at or after position `pos`, each with the position after it.
    pub fn starting_at(&self, pos: u64) -> impl Iterator<Item = (&[u8], &T, u64)> {
        self.by_cookie.range(pos.max(FIRST_COOKIE)..).filter_map(|(&cookie, name)| {
            self.by_name.get(name.as_slice()).map(|slot| (name.as_slice(), &slot.value, cookie + 1))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_survive_removals() {
        let mut t = DirTable::new();
        for name in [&b"c"[..], b"a", b"b", b"d"] {
            assert!(t.insert(name, name[0]).is_none());
        }
        let first_two: Vec<_> = t.starting_at(0).take(2).map(|(n, _, next)| (n.to_vec(), next)).collect();
        assert_eq!(first_two, vec![(b"c".to_vec(), 3), (b"a".to_vec(), 4)]);
        // Remove what was already returned, as rm -r does, then continue.
        t.remove(b"c");
        t.remove(b"a");
        let rest: Vec<_> = t.starting_at(4).map(|(n, v, _)| (n.to_vec(), *v)).collect();
        assert_eq!(rest, vec![(b"b".to_vec(), b'b'), (b"d".to_vec(), b'd')]);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn replacing_keeps_the_position() {
        let mut t = DirTable::new();
        t.insert(b"x", 1);
        t.insert(b"y", 2);
        assert_eq!(t.insert(b"x", 3), Some(1));
        let all: Vec<_> = t.starting_at(0).map(|(n, v, _)| (n.to_vec(), *v)).collect();
        assert_eq!(all, vec![(b"x".to_vec(), 3), (b"y".to_vec(), 2)]);
        assert_eq!(t.remove(b"x"), Some(3));
        assert!(t.get(b"x").is_none());
    }
}
