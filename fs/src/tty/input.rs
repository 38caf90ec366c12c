//! The terminal's input queue: a fixed ring (it is filled from interrupt
//! context, so it never grows) holding completed lines followed by the line
//! being edited, with a bit per slot marking the bytes that end a line.

use alloc::boxed::Box;
use alloc::vec;

use ringo_uapi::Errno;

use crate::vfs::WriteBuf;

/// Linux's N_TTY_BUF_SIZE.
pub(super) const INPUT_SIZE: usize = 4096;

/// How VEOF ends a line: a line-ending NUL, which readers consume but never
/// deliver. No other line end can be NUL (a control character set to 0 is
/// disabled), so the pair is unambiguous.
pub(super) const EOF_MARK: u8 = 0;

pub(super) struct InputQueue {
    bytes: Box<[u8]>,
    ends: Box<[u64]>,
    head: usize,
    len: usize,
    /// Bytes from `head` a reader may take: completed lines in canonical
    /// mode, everything in raw mode. The rest is the line being edited.
    ready: usize,
}

impl InputQueue {
    pub fn new() -> InputQueue {
        InputQueue {
            bytes: vec![0; INPUT_SIZE].into_boxed_slice(),
            ends: vec![0; INPUT_SIZE / 64].into_boxed_slice(),
            head: 0,
            len: 0,
            ready: 0,
        }
    }

    fn slot(&self, i: usize) -> usize {
        (self.head + i) % INPUT_SIZE
    }

    fn byte(&self, i: usize) -> u8 {
        self.bytes[self.slot(i)]
    }

    fn ends_line(&self, i: usize) -> bool {
        let s = self.slot(i);
        self.ends[s / 64] & (1 << (s % 64)) != 0
    }

    pub fn room(&self) -> usize {
        INPUT_SIZE - self.len
    }

    pub fn ready(&self) -> usize {
        self.ready
    }

    pub fn edit_len(&self) -> usize {
        self.len - self.ready
    }

    /// Byte `i` of the line being edited.
    pub fn edit_byte(&self, i: usize) -> u8 {
        self.byte(self.ready + i)
    }

    /// Appends to the line being edited; false when the queue is full.
    pub fn push(&mut self, byte: u8, ends_line: bool) -> bool {
        if self.len == INPUT_SIZE {
            return false;
        }
        let s = self.slot(self.len);
        self.bytes[s] = byte;
        let bit = 1u64 << (s % 64);
        if ends_line {
            self.ends[s / 64] |= bit;
        } else {
            self.ends[s / 64] &= !bit;
        }
        self.len += 1;
        true
    }

    /// Makes everything queued readable (a line ended, or raw mode).
    pub fn commit(&mut self) {
        self.ready = self.len;
    }

    /// Keeps the first `keep` bytes of the line being edited.
    pub fn truncate_edit(&mut self, keep: usize) {
        self.len = self.ready + keep.min(self.edit_len());
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.ready = 0;
    }

    /// What FIONREAD reports in canonical mode: readable bytes, not counting
    /// the EOF marks readers drop.
    pub fn canonical_count(&self) -> usize {
        (0..self.ready).filter(|&i| !(self.ends_line(i) && self.byte(i) == EOF_MARK)).count()
    }

    /// Canonical read: the rest of the first readable line, as much as fits.
    /// Its end byte is delivered too, except VEOF's mark, which is consumed
    /// silently (with the last byte of the line, even when `out` is full, so
    /// the next read does not return a spurious 0).
    pub fn take_line(&mut self, out: &mut dyn WriteBuf) -> Result<usize, Errno> {
        let mut line = self.ready;
        let mut eof = false;
        if let Some(i) = (0..self.ready).find(|&i| self.ends_line(i)) {
            line = i + 1;
            eof = self.byte(i) == EOF_MARK;
        }
        let content = if eof { line - 1 } else { line };
        let copied = self.copy_out(content.min(out.len()), out)?;
        self.consume(copied);
        if eof && copied == content {
            self.consume(1);
        }
        Ok(copied)
    }

    /// Raw read: whatever is readable, as much as fits.
    pub fn take(&mut self, out: &mut dyn WriteBuf) -> Result<usize, Errno> {
        let copied = self.copy_out(self.ready.min(out.len()), out)?;
        self.consume(copied);
        Ok(copied)
    }

    /// Copies the first `n` bytes out without consuming them. A fault after
    /// some bytes were copied ends the copy with those.
    fn copy_out(&self, n: usize, out: &mut dyn WriteBuf) -> Result<usize, Errno> {
        if n == 0 {
            return Ok(0);
        }
        let first = n.min(INPUT_SIZE - self.head);
        let copied = out.write(&self.bytes[self.head..self.head + first])?;
        if copied < first || n == first {
            return Ok(copied);
        }
        Ok(copied + out.write(&self.bytes[..n - first]).unwrap_or(0))
    }

    fn consume(&mut self, n: usize) {
        self.head = (self.head + n) % INPUT_SIZE;
        self.len -= n;
        self.ready -= n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_line(q: &mut InputQueue, room: usize) -> (usize, alloc::vec::Vec<u8>) {
        let mut store = vec![0u8; room];
        let mut out: &mut [u8] = &mut store;
        let n = q.take_line(&mut out).expect("copy");
        store.truncate(n);
        (n, store)
    }

    #[test]
    fn lines_wrap_around_the_ring() {
        let mut q = InputQueue::new();
        // Move the head near the end so the next line straddles the wrap.
        for _ in 0..INPUT_SIZE - 3 {
            assert!(q.push(b'x', false));
        }
        q.commit();
        let mut sink = vec![0u8; INPUT_SIZE];
        assert_eq!(q.take(&mut &mut sink[..]), Ok(INPUT_SIZE - 3));
        for &b in b"hello" {
            q.push(b, false);
        }
        q.push(b'\n', true);
        q.commit();
        assert_eq!(read_line(&mut q, 64), (6, b"hello\n".to_vec()));
        assert_eq!(q.ready(), 0);
    }

    #[test]
    fn eof_mark_is_consumed_with_a_line_that_exactly_fits() {
        let mut q = InputQueue::new();
        for &b in b"abc" {
            q.push(b, false);
        }
        q.push(EOF_MARK, true);
        q.commit();
        assert_eq!(q.canonical_count(), 3);
        assert_eq!(read_line(&mut q, 3), (3, b"abc".to_vec()));
        assert_eq!(q.ready(), 0, "the EOF mark went with the line");
    }

    #[test]
    fn full_queue_refuses_bytes_and_truncate_drops_the_edit_line() {
        let mut q = InputQueue::new();
        for _ in 0..INPUT_SIZE {
            assert!(q.push(b'a', false));
        }
        assert!(!q.push(b'b', false));
        assert_eq!(q.room(), 0);
        q.truncate_edit(10);
        assert_eq!((q.edit_len(), q.room()), (10, INPUT_SIZE - 10));
    }
}
