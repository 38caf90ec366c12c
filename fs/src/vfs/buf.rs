//! Byte sources and sinks for file I/O. The kernel implements them over user
//! memory (where a copy can fault: EFAULT), tests over slices. Both are
//! cursors: each call consumes what it moved, and `len` is what remains.

use alloc::vec::Vec;
use ringo_uapi::Errno;

/// Where a write's data comes from (the user buffer of `write(2)`).
pub trait ReadBuf {
    /// Bytes not yet consumed.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies the next bytes into `out`; returns how many (less than
    /// `out.len()` only when the source runs out).
    fn read(&mut self, out: &mut [u8]) -> Result<usize, Errno>;
}

/// Where a read's data goes (the user buffer of `read(2)`).
pub trait WriteBuf {
    /// Room not yet filled.
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copies `data` to the sink; returns how many bytes fitted.
    fn write(&mut self, data: &[u8]) -> Result<usize, Errno>;

    /// Fills the next `n` bytes with zeros (reads of holes, /dev/zero).
    fn write_zeros(&mut self, n: usize) -> Result<usize, Errno> {
        const ZEROS: [u8; 256] = [0; 256];
        let mut done = 0;
        while done < n {
            let step = (n - done).min(ZEROS.len());
            let wrote = self.write(&ZEROS[..step])?;
            done += wrote;
            if wrote < step {
                break;
            }
        }
        Ok(done)
    }
}

impl ReadBuf for &[u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn read(&mut self, out: &mut [u8]) -> Result<usize, Errno> {
        let n = out.len().min(<[u8]>::len(self));
        let (head, tail) = self.split_at(n);
        out[..n].copy_from_slice(head);
        *self = tail;
        Ok(n)
    }
}

impl WriteBuf for &mut [u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, Errno> {
        let n = data.len().min(<[u8]>::len(self));
        let (head, tail) = core::mem::take(self).split_at_mut(n);
        head.copy_from_slice(&data[..n]);
        *self = tail;
        Ok(n)
    }
}

/// Drains up to `limit` bytes of `src` into a vector (for writes that need
/// the whole payload at once, such as procfs write handlers).
pub fn read_to_vec(src: &mut dyn ReadBuf, limit: usize) -> Result<Vec<u8>, Errno> {
    let want = src.len().min(limit);
    let mut out = Vec::new();
    out.try_reserve_exact(want).map_err(|_| Errno::ENOMEM)?;
    out.resize(want, 0);
    let got = src.read(&mut out)?;
    out.truncate(got);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_are_consuming_cursors() {
        let data = [1u8, 2, 3, 4, 5];
        let mut src: &[u8] = &data;
        let mut out = [0u8; 3];
        assert_eq!(src.read(&mut out), Ok(3));
        assert_eq!(out, [1, 2, 3]);
        assert_eq!(ReadBuf::len(&src), 2);
        assert_eq!(src.read(&mut out), Ok(2));
        assert_eq!(&out[..2], &[4, 5]);
        assert!(ReadBuf::is_empty(&src));

        let mut store = [9u8; 4];
        let mut dst: &mut [u8] = &mut store;
        assert_eq!(dst.write(b"ab"), Ok(2));
        assert_eq!(dst.write(b"cde"), Ok(2));
        assert_eq!(dst.write(b"f"), Ok(0));
        assert_eq!(&store, b"abcd");
    }

    #[test]
    fn write_zeros_stops_when_full() {
        let mut store = [7u8; 600];
        let mut dst: &mut [u8] = &mut store[..550];
        assert_eq!(dst.write_zeros(1000), Ok(550));
        assert!(store[..550].iter().all(|&b| b == 0));
        assert_eq!(store[550], 7);
    }

    #[test]
    fn read_to_vec_respects_the_limit() {
        let data = [3u8; 10];
        let mut src: &[u8] = &data;
        assert_eq!(read_to_vec(&mut src, 4), Ok(vec![3; 4]));
        assert_eq!(ReadBuf::len(&src), 6);
    }
}
