//! A pipe's bytes and the count of its ends: the buffer side of the Linux
//! rules (capacity, sizes F_SETPIPE_SZ accepts), with no notion of who waits.

use alloc::collections::VecDeque;

use ringo_uapi::Errno;

use super::{PAGE_SIZE, PIPE_DEFAULT_SIZE, PIPE_MAX_SIZE};
use crate::vfs::{ReadBuf, WriteBuf};

pub(super) struct Ring {
    data: VecDeque<u8>,
    capacity: usize,
    pub readers: u32,
    pub writers: u32,
    /// Opens of each side so far: a FIFO end opened while the other side was
    /// absent compares these with what it saw to tell whether a partner came.
    pub reader_opens: u64,
    pub writer_opens: u64,
}

impl Ring {
    pub const fn new() -> Ring {
        Ring {
            data: VecDeque::new(),
            capacity: PIPE_DEFAULT_SIZE,
            readers: 0,
            writers: 0,
            reader_opens: 0,
            writer_opens: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.data.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn room(&self) -> usize {
        self.capacity.saturating_sub(self.data.len())
    }

    /// F_SETPIPE_SZ: rounds up to a power-of-two number of pages (at least
    /// one); EBUSY if the bytes held would not fit, EPERM above the system
    /// maximum. Returns the size now in force.
    pub fn set_capacity(&mut self, size: usize) -> Result<usize, Errno> {
        if size > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let size = size.max(PAGE_SIZE).next_power_of_two();
        if size > PIPE_MAX_SIZE {
            return Err(Errno::EPERM);
        }
        if self.data.len() > size {
            return Err(Errno::EBUSY);
        }
        self.capacity = size;
        Ok(size)
    }

    /// Moves the oldest bytes to `out`, as many as fit. A fault after some
    /// bytes moved ends the read with those; only bytes delivered leave.
    pub fn take(&mut self, out: &mut dyn WriteBuf) -> Result<usize, Errno> {
        let want = out.len().min(self.data.len());
        let (front, back) = self.data.as_slices();
        let first = want.min(front.len());
        let mut moved = out.write(&front[..first])?;
        if moved == first && want > first {
            match out.write(&back[..want - first]) {
                Ok(n) => moved += n,
                Err(e) if moved == 0 => return Err(e),
                Err(_) => {}
            }
        }
        self.data.drain(..moved);
        Ok(moved)
    }

    /// Appends up to `limit` bytes from `src`. Room is reserved up front so
    /// running out of memory fails before any byte is taken from `src`.
    pub fn put(&mut self, src: &mut dyn ReadBuf, limit: usize) -> Result<usize, Errno> {
        let want = limit.min(src.len());
        self.data.try_reserve(want).map_err(|_| Errno::ENOMEM)?;
        let mut chunk = [0u8; 512];
        let mut done = 0;
        while done < want {
            let step = (want - done).min(chunk.len());
            let got = match src.read(&mut chunk[..step]) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            self.data.extend(&chunk[..got]);
            done += got;
            if got < step {
                break;
            }
        }
        Ok(done)
    }
}
