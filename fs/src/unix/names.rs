//! A table of bound names: abstract names, or the inodes path binds
//! created. A name belongs to one socket until that socket unbinds it
//! (closes); binding a taken name is EADDRINUSE. Kept as a sorted vector
//! so that growing it can fail with ENOMEM instead of aborting.

use alloc::vec::Vec;

use ringo_uapi::Errno;

use super::UnixAddr;

pub struct NameTable<K, V> {
    entries: Vec<(K, V)>,
}

impl<K: Ord, V> Default for NameTable<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord, V> NameTable<K, V> {
    pub const fn new() -> Self {
        NameTable { entries: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        let i = self.entries.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(&self.entries[i].1)
    }

    pub fn bind(&mut self, key: K, value: V) -> Result<(), Errno> {
        match self.entries.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(_) => Err(Errno::EADDRINUSE),
            Err(at) => {
                self.entries.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                self.entries.insert(at, (key, value));
                Ok(())
            }
        }
    }

    pub fn unbind(&mut self, key: &K) -> Option<V> {
        let i = self.entries.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(self.entries.remove(i).1)
    }
}

impl<V> NameTable<UnixAddr, V> {
    /// Autobind's name: the first free one of Linux's 2^20 five-hex-digit
    /// abstract names from `seed` on (ENOSPC when all are taken).
    pub fn free_auto_name(&self, seed: u32) -> Result<UnixAddr, Errno> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for i in 0..1u32 << 20 {
            let n = seed.wrapping_add(i) & 0xfffff;
            let digits: [u8; 5] = core::array::from_fn(|d| HEX[(n >> (4 * (4 - d)) & 0xf) as usize]);
            let addr = UnixAddr::abstract_name(&digits)?;
            if self.get(&addr).is_none() {
                return Ok(addr);
            }
        }
        Err(Errno::ENOSPC)
    }
}
