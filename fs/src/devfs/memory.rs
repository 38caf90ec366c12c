//! The memory devices (major 1): null, zero, full, random and urandom.

use alloc::sync::Arc;

use ringo_uapi::Errno;

use super::RandomSource;
use crate::vfs::{Device, OpenFlags, ReadBuf, WriteBuf};

/// /dev/null.
pub struct Null;

impl Device for Null {
    fn read(&self, _offset: u64, _buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Ok(0)
    }

    // The write benchmarks' hot path: the data is never looked at, so the
    // user buffer is not even copied.
    fn write(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}

/// /dev/zero.
pub struct Zero;

impl Device for Zero {
    fn read(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        let n = buf.len();
        buf.write_zeros(n)
    }

    fn write(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}

/// /dev/full: reads like /dev/zero, every write fails with ENOSPC.
pub struct Full;

impl Device for Full {
    fn read(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        let n = buf.len();
        buf.write_zeros(n)
    }

    fn write(&self, _offset: u64, _buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Err(Errno::ENOSPC)
    }
}

/// /dev/random and /dev/urandom (which never block on Linux 5.6+ either).
pub struct Random(pub Arc<dyn RandomSource>);

impl Device for Random {
    fn read(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        let mut chunk = [0u8; 256];
        let mut done = 0;
        while !buf.is_empty() {
            let step = buf.len().min(chunk.len());
            self.0.fill(&mut chunk[..step]);
            let wrote = buf.write(&chunk[..step])?;
            done += wrote;
            if wrote < step {
                break;
            }
        }
        Ok(done)
    }

    /// Writing mixes entropy into the pool on Linux; here it is accepted and dropped.
    fn write(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        Ok(buf.len())
    }
}
