//! eventfd(2): a 64-bit counter behind a descriptor. Writes add to it,
//! reads take it (all of it, or one at a time with EFD_SEMAPHORE). As
//! everywhere in this crate nothing blocks: a read of zero and a write that
//! would pass the maximum say EAGAIN, and every change wakes the counter's
//! key (see [`crate::readiness`]).
//!
//! A write reads its 8 bytes before it knows whether they fit, so a retry
//! after EAGAIN must come with the caller's buffer rewound (the kernel
//! builds the source afresh for each attempt).

use alloc::sync::Arc;
use core::any::Any;

use ringo_uapi::Errno;
use ringo_uapi::events::{EFD_CLOEXEC, EFD_MAX_COUNT, EFD_NONBLOCK, EFD_SEMAPHORE};
use ringo_uapi::fs::O_RDWR;
use spin::Mutex;

use crate::anon::new_anon_ino;
use crate::fdtable::OpenFile;
use crate::readiness::{PollEvents, new_wait_key, wake};
use crate::vfs::{Inode, OpenFlags, ReadBuf, WriteBuf};

/// What /proc/self/fd shows for an eventfd.
pub const EVENTFD_NAME: &[u8] = b"anon_inode:[eventfd]";

/// Reads and writes move exactly this many bytes (one u64).
const COUNT_SIZE: usize = 8;

pub struct EventFd {
    ino: u64,
    key: u64,
    semaphore: bool,
    count: Mutex<u64>,
}

impl EventFd {
    pub fn new(initval: u32, semaphore: bool) -> Arc<EventFd> {
        Arc::new(EventFd { ino: new_anon_ino(), key: new_wait_key(), semaphore, count: Mutex::new(initval as u64) })
    }

    /// The counter now (what /proc/self/fdinfo calls eventfd-count).
    pub fn count(&self) -> u64 {
        *self.count.lock()
    }

    /// Adds `n` as a write of it would: EINVAL for u64::MAX, EAGAIN when the
    /// counter would pass [`EFD_MAX_COUNT`]. For the kernel's own signals
    /// (Linux's eventfd_signal) as well as write(2).
    pub fn add(&self, n: u64) -> Result<(), Errno> {
        if n == u64::MAX {
            return Err(Errno::EINVAL);
        }
        {
            let mut count = self.count.lock();
            if n > EFD_MAX_COUNT - *count {
                return Err(Errno::EAGAIN);
            }
            *count += n;
        }
        // Even a write of 0 wakes, as on Linux (an edge-triggered epoll sees it).
        wake(self.key);
        Ok(())
    }

    /// Takes what a read returns: the whole counter, or 1 in semaphore
    /// mode; EAGAIN while it is 0.
    pub fn take(&self) -> Result<u64, Errno> {
        let value = {
            let mut count = self.count.lock();
            if *count == 0 {
                return Err(Errno::EAGAIN);
            }
            let value = if self.semaphore { 1 } else { *count };
            *count -= value;
            value
        };
        // Writers waiting for room may go on.
        wake(self.key);
        Ok(value)
    }
}

impl Inode for EventFd {
    crate::anon::anon_inode_identity!();

    fn read_at(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        if buf.len() < COUNT_SIZE {
            return Err(Errno::EINVAL);
        }
        let value = self.take()?;
        // As on Linux the value is taken before it is copied out, so a
        // fault loses it.
        match buf.write(&value.to_le_bytes())? {
            COUNT_SIZE => Ok(COUNT_SIZE),
            _ => Err(Errno::EFAULT),
        }
    }

    fn write_at(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        if buf.len() < COUNT_SIZE {
            return Err(Errno::EINVAL);
        }
        let mut bytes = [0u8; COUNT_SIZE];
        if buf.read(&mut bytes)? != COUNT_SIZE {
            return Err(Errno::EFAULT);
        }
        self.add(u64::from_le_bytes(bytes))?;
        Ok(COUNT_SIZE)
    }

    fn append(&self, buf: &mut dyn ReadBuf, flags: OpenFlags) -> Result<(usize, u64), Errno> {
        self.write_at(0, buf, flags).map(|n| (n, 0))
    }

    fn poll(&self) -> PollEvents {
        let count = *self.count.lock();
        let mut events = PollEvents::empty();
        if count > 0 {
            events |= PollEvents::READABLE;
        }
        // Writable while a write of 1 would go in.
        if count < EFD_MAX_COUNT {
            events |= PollEvents::WRITABLE;
        }
        events
    }

    fn wait_key(&self) -> Option<u64> {
        Some(self.key)
    }
}

/// eventfd2(2): a counter starting at `initval`, in an open file for reading
/// and writing. EFD_NONBLOCK is kept on the file; EFD_CLOEXEC is for the
/// caller to apply to the descriptor; other flags are EINVAL. (eventfd(2)
/// is this with flags 0.)
pub fn new(initval: u32, flags: u32) -> Result<Arc<OpenFile>, Errno> {
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let counter = EventFd::new(initval, flags & EFD_SEMAPHORE != 0);
    OpenFile::new(counter, OpenFlags(O_RDWR | (flags & EFD_NONBLOCK)), EVENTFD_NAME.to_vec())
}

/// The eventfd an open file is, if it is one.
pub fn eventfd_of(file: &OpenFile) -> Option<Arc<EventFd>> {
    let node: Arc<dyn Any + Send + Sync> = file.inode().clone();
    node.downcast::<EventFd>().ok()
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use ringo_uapi::fs::{O_CLOEXEC, O_NONBLOCK};

    use super::*;
    use crate::readiness::test_hooks;

    fn read_count(f: &OpenFile) -> Result<u64, Errno> {
        let mut out = [0u8; 8];
        assert_eq!(f.read(&mut &mut out[..])?, 8);
        Ok(u64::from_le_bytes(out))
    }

    fn write_count(f: &OpenFile, n: u64) -> Result<usize, Errno> {
        f.write(&mut &n.to_le_bytes()[..])
    }

    #[test]
    fn reads_take_the_whole_counter() {
        let f = new(3, 0).expect("eventfd");
        assert_eq!(write_count(&f, 4), Ok(8));
        assert_eq!(read_count(&f), Ok(7));
        assert_eq!(read_count(&f), Err(Errno::EAGAIN), "a zero counter has nothing to read");
        assert_eq!(write_count(&f, 0), Ok(8), "writing 0 is allowed");
        assert_eq!(read_count(&f), Err(Errno::EAGAIN), "and adds nothing");
    }

    #[test]
    fn semaphore_mode_hands_out_ones() {
        let f = new(2, EFD_SEMAPHORE).expect("eventfd");
        assert_eq!(write_count(&f, 1), Ok(8));
        assert_eq!(read_count(&f), Ok(1));
        assert_eq!(read_count(&f), Ok(1));
        assert_eq!(read_count(&f), Ok(1));
        assert_eq!(read_count(&f), Err(Errno::EAGAIN));
    }

    #[test]
    fn overflowing_writes_say_eagain_and_change_nothing() {
        let f = new(0, EFD_NONBLOCK).expect("eventfd");
        assert_eq!(write_count(&f, EFD_MAX_COUNT - 1), Ok(8));
        assert!(f.poll().contains(PollEvents::WRITABLE), "one more fits");
        assert_eq!(write_count(&f, 2), Err(Errno::EAGAIN));
        assert_eq!(write_count(&f, 1), Ok(8));
        assert!(!f.poll().intersects(PollEvents::OUT), "full: not even 1 fits");
        assert_eq!(write_count(&f, 1), Err(Errno::EAGAIN));
        assert_eq!(write_count(&f, u64::MAX), Err(Errno::EINVAL), "u64::MAX is never a valid write");
        assert_eq!(read_count(&f), Ok(EFD_MAX_COUNT));
        assert!(f.poll().contains(PollEvents::WRITABLE));
    }

    #[test]
    fn buffers_shorter_than_eight_bytes_are_einval() {
        let f = new(5, 0).expect("eventfd");
        let mut small = [0u8; 7];
        assert_eq!(f.read(&mut &mut small[..]), Err(Errno::EINVAL));
        assert_eq!(f.write(&mut &[1u8; 4][..]), Err(Errno::EINVAL));
        // Longer buffers move 8 bytes.
        let mut big = [0xffu8; 16];
        assert_eq!(f.read(&mut &mut big[..]), Ok(8));
        assert_eq!(&big[..8], &5u64.to_le_bytes());
        assert_eq!(&big[8..], &[0xff; 8]);
        let mut long: Vec<u8> = 9u64.to_le_bytes().to_vec();
        long.extend_from_slice(&[1, 2, 3]);
        assert_eq!(f.write(&mut &long[..]), Ok(8));
        assert_eq!(read_count(&f), Ok(9));
    }

    #[test]
    fn poll_follows_the_counter() {
        let f = new(0, 0).expect("eventfd");
        assert_eq!(f.poll(), PollEvents::WRITABLE);
        assert_eq!(write_count(&f, 1), Ok(8));
        assert_eq!(f.poll(), PollEvents::READABLE | PollEvents::WRITABLE);
        assert_eq!(read_count(&f), Ok(1));
        assert_eq!(f.poll(), PollEvents::WRITABLE);
    }

    #[test]
    fn changes_wake_the_key() {
        test_hooks::install();
        let f = new(0, 0).expect("eventfd");
        let key = f.wait_key().expect("an eventfd has a wait key");
        assert_eq!(test_hooks::wakes(key), 0);
        assert_eq!(write_count(&f, 2), Ok(8));
        assert_eq!(test_hooks::wakes(key), 1);
        assert_eq!(read_count(&f), Ok(2));
        assert_eq!(test_hooks::wakes(key), 2);
        assert_eq!(read_count(&f), Err(Errno::EAGAIN));
        assert_eq!(test_hooks::wakes(key), 2, "a refused read changes nothing");
    }

    #[test]
    fn flags_and_file_identity() {
        assert_eq!(new(0, 0x8).err(), Some(Errno::EINVAL));
        let f = new(1, EFD_NONBLOCK | EFD_CLOEXEC).expect("eventfd");
        assert!(f.flags().nonblock());
        assert_eq!(f.flags().bits() & O_CLOEXEC, 0, "close-on-exec belongs to the descriptor");
        assert!(f.flags().readable() && f.flags().writable());
        assert_eq!(f.path(), EVENTFD_NAME);
        let meta = f.metadata();
        assert_eq!(meta.kind, crate::vfs::InodeKind::Anonymous);
        assert_eq!(meta.mode(), 0o600);
        assert_eq!(f.lseek(0, 0), Err(Errno::ESPIPE));
        assert!(eventfd_of(&f).is_some_and(|e| e.count() == 1));
        assert!(!new(0, 0).expect("eventfd").flags().contains(O_NONBLOCK));
    }

    #[test]
    fn kernel_side_add_and_take() {
        let counter = EventFd::new(0, false);
        assert_eq!(counter.add(5), Ok(()));
        assert_eq!(counter.add(EFD_MAX_COUNT), Err(Errno::EAGAIN));
        assert_eq!(counter.take(), Ok(5));
        assert_eq!(counter.take(), Err(Errno::EAGAIN));
    }
}
