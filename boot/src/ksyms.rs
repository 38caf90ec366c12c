//! The kernel's symbol table, as the launcher embeds it into the `.ksyms`
//! section of the linked kernel ELF (the PVH loader loads only PT_LOAD
//! segments, so the ELF's own `.symtab` is not in memory at run time).
//!
//! Layout, little endian:
//! - header: magic (8 bytes), symbol count (u32), byte length of the
//!   strings area (u32);
//! - `count` entries of 16 bytes, sorted by address: start address (u64),
//!   size in bytes (u32), offset of the name in the strings area (u32);
//! - the strings area: each name as a u16 length followed by UTF-8 bytes.
//!
//! An all-zero section (the launcher has not run) decodes as "no table".

extern crate alloc;
use alloc::vec::Vec;

pub const MAGIC: [u8; 8] = *b"RKSYMS01";
pub const SECTION: &str = ".ksyms";
const HEADER: usize = 16;
const ENTRY: usize = 16;

/// One function of the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol<'a> {
    pub addr: u64,
    pub size: u32,
    pub name: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeError {
    TooLarge { needed: usize, capacity: usize },
    NameTooLong,
}

/// Encodes `symbols` (any order) into a table of at most `capacity` bytes.
pub fn encode(symbols: &[Symbol<'_>], capacity: usize) -> Result<Vec<u8>, EncodeError> {
    let mut sorted: Vec<&Symbol<'_>> = symbols.iter().collect();
    sorted.sort_by_key(|s| (s.addr, core::cmp::Reverse(s.size)));
    sorted.dedup_by_key(|s| s.addr);

    let mut strings = Vec::new();
    let mut entries = Vec::with_capacity(sorted.len() * ENTRY);
    for s in &sorted {
        let len = u16::try_from(s.name.len()).map_err(|_| EncodeError::NameTooLong)?;
        entries.extend_from_slice(&s.addr.to_le_bytes());
        entries.extend_from_slice(&s.size.to_le_bytes());
        entries.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        strings.extend_from_slice(&len.to_le_bytes());
        strings.extend_from_slice(s.name.as_bytes());
    }
    let needed = HEADER + entries.len() + strings.len();
    if needed > capacity {
        return Err(EncodeError::TooLarge { needed, capacity });
    }
    let mut out = Vec::with_capacity(needed);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    out.extend_from_slice(&(strings.len() as u32).to_le_bytes());
    out.extend_from_slice(&entries);
    out.extend_from_slice(&strings);
    Ok(out)
}

/// A decoded view of an embedded table.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    entries: &'a [u8],
    strings: &'a [u8],
}

impl<'a> Table<'a> {
    /// `None` when `bytes` holds no table or a damaged one.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        if bytes.len() < HEADER || bytes[..8] != MAGIC {
            return None;
        }
        let count = u32::from_le_bytes(bytes[8..12].try_into().ok()?) as usize;
        let strings_len = u32::from_le_bytes(bytes[12..16].try_into().ok()?) as usize;
        let entries_end = HEADER.checked_add(count.checked_mul(ENTRY)?)?;
        let strings_end = entries_end.checked_add(strings_len)?;
        if strings_end > bytes.len() {
            return None;
        }
        Some(Table { entries: &bytes[HEADER..entries_end], strings: &bytes[entries_end..strings_end] })
    }

    pub fn len(&self) -> usize {
        self.entries.len() / ENTRY
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn entry(&self, i: usize) -> (u64, u32, usize) {
        let e = &self.entries[i * ENTRY..(i + 1) * ENTRY];
        let word = |r: core::ops::Range<usize>| {
            let mut b = [0u8; 8];
            b[..r.len()].copy_from_slice(&e[r]);
            u64::from_le_bytes(b)
        };
        (word(0..8), word(8..12) as u32, word(12..16) as usize)
    }

    fn name(&self, off: usize) -> &'a str {
        let Some(len) = self.strings.get(off..off + 2) else { return "?" };
        let len = u16::from_le_bytes([len[0], len[1]]) as usize;
        self.strings.get(off + 2..off + 2 + len).and_then(|b| core::str::from_utf8(b).ok()).unwrap_or("?")
    }

    /// The function containing `addr` and the offset into it.
    pub fn lookup(&self, addr: u64) -> Option<(&'a str, u64)> {
        // Index of the first entry starting above addr.
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.entry(mid).0 <= addr {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let (start, size, off) = self.entry(lo.checked_sub(1)?);
        let within = addr - start;
        // Size 0 (assembly labels) covers up to the next symbol.
        (size == 0 || within < size as u64).then(|| (self.name(off), within))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sym(addr: u64, size: u32, name: &str) -> Symbol<'_> {
        Symbol { addr, size, name }
    }

    #[test]
    fn round_trip_and_lookup() {
        let syms = [sym(0x3000, 0x10, "c"), sym(0x1000, 0x100, "a::b"), sym(0x2000, 0, "entry_stub")];
        let bytes = encode(&syms, 4096).unwrap();
        let t = Table::new(&bytes).unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.lookup(0x1000), Some(("a::b", 0)));
        assert_eq!(t.lookup(0x10ff), Some(("a::b", 0xff)));
        assert_eq!(t.lookup(0x1100), None, "past the end of a sized symbol");
        assert_eq!(t.lookup(0x2fff), Some(("entry_stub", 0xfff)), "unsized runs to the next");
        assert_eq!(t.lookup(0x3008), Some(("c", 8)));
        assert_eq!(t.lookup(0xfff), None, "below the first symbol");
    }

    #[test]
    fn duplicate_addresses_keep_the_larger_symbol() {
        let bytes = encode(&[sym(0x10, 0, "alias"), sym(0x10, 8, "real")], 4096).unwrap();
        let t = Table::new(&bytes).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t.lookup(0x14), Some(("real", 4)));
    }

    #[test]
    fn empty_or_damaged_sections_decode_as_none() {
        assert!(Table::new(&[0u8; 64]).is_none());
        let mut bytes = encode(&[sym(1, 1, "x")], 4096).unwrap();
        bytes.truncate(bytes.len() - 1);
        assert!(Table::new(&bytes).is_none());
    }

    #[test]
    fn capacity_is_enforced() {
        let err = encode(&[sym(1, 1, "long_name")], 20).unwrap_err();
        assert!(matches!(err, EncodeError::TooLarge { capacity: 20, .. }));
    }
}
