//! Regular-file data: a byte vector, grown with zeros by writes and
//! truncations past its end. Growth the memory budget (crate::budget)
//! refuses, or an allocation that fails, is ENOSPC (a full tmpfs) rather
//! than an abort.
//!
//! Copies to and from the caller's buffer happen under the data lock, which
//! keeps each read and write atomic. The one case that would deadlock, a
//! write whose source is a not-yet-faulted mapping of the same file, is not
//! something the kernel's fault path does today.

use alloc::vec::Vec;

use ringo_uapi::Errno;
use spin::RwLock;

use crate::vfs::{ReadBuf, WriteBuf};

/// Largest file ramfs keeps: offsets must fit the signed `off_t`.
const MAX_SIZE: u64 = i64::MAX as u64;

pub fn read(data: &RwLock<Vec<u8>>, offset: u64, buf: &mut dyn WriteBuf) -> Result<usize, Errno> {
    let data = data.read();
    let Ok(start) = usize::try_from(offset) else { return Ok(0) };
    if start >= data.len() {
        return Ok(0);
    }
    let end = data.len().min(start.saturating_add(buf.len()));
    buf.write(&data[start..end])
}

pub fn write(data: &RwLock<Vec<u8>>, offset: u64, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
    let mut data = data.write();
    write_locked(&mut data, offset, buf)
}

/// Writes at the end; returns the count and the new end.
pub fn append(data: &RwLock<Vec<u8>>, buf: &mut dyn ReadBuf) -> Result<(usize, u64), Errno> {
    let mut data = data.write();
    let end = data.len() as u64;
    let n = write_locked(&mut data, end, buf)?;
    Ok((n, end + n as u64))
}

pub fn set_len(data: &RwLock<Vec<u8>>, len: u64) -> Result<(), Errno> {
    if len > MAX_SIZE {
        return Err(Errno::EFBIG);
    }
    let len = usize::try_from(len).map_err(|_| Errno::EFBIG)?;
    let mut data = data.write();
    let old_len = data.len();
    if len > old_len {
        reserve(&mut data, len)?;
        data.resize(len, 0);
    } else {
        data.truncate(len);
        data.shrink_to(len);
    }
    Ok(())
}

/// Room for `end` bytes: the usual doubling when the memory budget
/// allows it, else just what is needed, else ENOSPC (a full tmpfs).
fn reserve(data: &mut Vec<u8>, end: usize) -> Result<(), Errno> {
    if end <= data.capacity() {
        return Ok(());
    }
    let len = data.len();
    if crate::budget::fits(end.max(data.capacity().saturating_mul(2))) {
        data.try_reserve(end - len).map_err(|_| Errno::ENOSPC)
    } else if crate::budget::fits(end) {
        data.try_reserve_exact(end - len).map_err(|_| Errno::ENOSPC)
    } else {
        Err(Errno::ENOSPC)
    }
}

fn write_locked(data: &mut Vec<u8>, offset: u64, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
    let count = buf.len();
    if count == 0 {
        return Ok(0);
    }
    let end = offset.checked_add(count as u64).filter(|&e| e <= MAX_SIZE).ok_or(Errno::EFBIG)?;
    let start = usize::try_from(offset).map_err(|_| Errno::EFBIG)?;
    let end = usize::try_from(end).map_err(|_| Errno::EFBIG)?;
    let old_len = data.len();
    if end > old_len {
        reserve(data, end)?;
        data.resize(end, 0);
    }
    match buf.read(&mut data[start..end]) {
        Ok(n) => {
            // A source shorter than it claimed: do not keep the unwritten tail.
            if start + n < end && end > old_len {
                data.truncate(old_len.max(start + n));
            }
            Ok(n)
        }
        Err(e) => {
            data.truncate(old_len);
            Err(e)
        }
    }
}
