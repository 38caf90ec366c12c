//! Reading user memory for the decoder without trusting it: every read goes
//! through the kernel's fallible copy, and a failed read only changes what
//! is printed.

/// Lets the decoder read the traced process's memory. `read` fills all of
/// `buf` from `addr` and returns true, or returns false (leaving `buf`
/// unspecified) if any byte is not readable user memory.
pub trait UserMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool;
}

/// Longest user string shown: paths are the common case, and 64 bytes keep
/// most of them whole (strace's default is 32).
pub const STR_MAX: usize = 64;
/// Longest run of `bytes` data shown (write, sendto).
pub const BYTES_MAX: usize = 32;

const PAGE_SIZE: u64 = 4096;

/// A NUL-terminated string at `addr`, up to STR_MAX bytes, read page by page
/// so that a string ending just before an unmapped page still reads. Returns
/// the bytes before the NUL and whether the NUL was found; None if not even
/// the first byte is readable.
pub fn read_c_string<'a>(mem: &dyn UserMemory, addr: u64, buf: &'a mut [u8; STR_MAX]) -> Option<(&'a [u8], bool)> {
    let mut got = 0;
    while got < STR_MAX {
        let Some(at) = addr.checked_add(got as u64) else { break };
        let to_page_end = (PAGE_SIZE - at % PAGE_SIZE) as usize;
        let n = to_page_end.min(STR_MAX - got);
        if !mem.read(at, &mut buf[got..got + n]) {
            break;
        }
        if let Some(nul) = buf[got..got + n].iter().position(|&b| b == 0) {
            return Some((&buf[..got + nul], true));
        }
        got += n;
    }
    (got > 0).then_some((&buf[..got], false))
}

/// `len` bytes at `addr`, at most BYTES_MAX; None if unreadable.
pub fn read_bytes<'a>(mem: &dyn UserMemory, addr: u64, len: u64, buf: &'a mut [u8; BYTES_MAX]) -> Option<&'a [u8]> {
    let n = usize::try_from(len).unwrap_or(usize::MAX).min(BYTES_MAX);
    let out = &mut buf[..n];
    mem.read(addr, out).then_some(&*out)
}

/// User memory for tests: `bytes` at `base`, readable like a mapping, in
/// whole pages (the rest of each page reads as zeros).
#[cfg(test)]
pub struct FakeMemory {
    pub base: u64,
    pub bytes: Vec<u8>,
}

#[cfg(test)]
impl UserMemory for FakeMemory {
    fn read(&self, addr: u64, buf: &mut [u8]) -> bool {
        let first_page = self.base & !(PAGE_SIZE - 1);
        let end_page = (self.base + self.bytes.len() as u64).next_multiple_of(PAGE_SIZE);
        let Some(end) = addr.checked_add(buf.len() as u64) else { return false };
        if addr < first_page || end > end_page {
            return false;
        }
        for (i, b) in buf.iter_mut().enumerate() {
            let at = addr + i as u64;
            *b = at.checked_sub(self.base).and_then(|o| self.bytes.get(o as usize)).copied().unwrap_or(0);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_stops_at_its_nul() {
        let mem = FakeMemory { base: 0x1000, bytes: b"/bin/sh\0garbage".to_vec() };
        let mut buf = [0; STR_MAX];
        assert_eq!(read_c_string(&mem, 0x1000, &mut buf), Some((&b"/bin/sh"[..], true)));
    }

    #[test]
    fn a_string_ending_before_an_unmapped_page_reads() {
        // Readable up to the page end at 0x2000; the string fits before it.
        let mem = FakeMemory { base: 0x1ffc, bytes: b"abc\0".to_vec() };
        let mut buf = [0; STR_MAX];
        assert_eq!(read_c_string(&mem, 0x1ffc, &mut buf), Some((&b"abc"[..], true)));
    }

    #[test]
    fn a_long_or_cut_string_reports_no_nul() {
        let mem = FakeMemory { base: 0x1000, bytes: vec![b'x'; 100] };
        let mut buf = [0; STR_MAX];
        let (s, complete) = read_c_string(&mem, 0x1000, &mut buf).unwrap_or_default();
        assert_eq!((s.len(), complete), (STR_MAX, false));

        let cut = FakeMemory { base: 0x1ff0, bytes: vec![b'y'; 16] };
        let (s, complete) = read_c_string(&cut, 0x1ff0, &mut buf).unwrap_or_default();
        assert_eq!((s.len(), complete), (16, false));
    }

    #[test]
    fn unreadable_memory_gives_none() {
        let mem = FakeMemory { base: 0x1000, bytes: vec![1; 8] };
        let mut buf = [0; STR_MAX];
        assert_eq!(read_c_string(&mem, 0x5000, &mut buf), None);
        assert_eq!(read_c_string(&mem, u64::MAX, &mut buf), None);
        let mut bytes = [0; BYTES_MAX];
        assert_eq!(read_bytes(&mem, 0x1ff0, 32, &mut bytes), None, "crosses into an unmapped page");
        assert_eq!(read_bytes(&mem, 0x1000, 8, &mut bytes), Some(&[1u8; 8][..]));
        let capped = read_bytes(&mem, 0x1000, 100, &mut bytes).map(<[u8]>::len);
        assert_eq!(capped, Some(BYTES_MAX));
    }
}
