//! One open file's end of a pipe: what read(2), write(2) and poll(2) on it
//! do, and the reader/writer count it holds for as long as the open file
//! lives (dup'd descriptors share the open file, so they share one count).

use alloc::sync::Arc;

use ringo_uapi::Errno;
use ringo_uapi::tty::FIONREAD;

use super::ring::Ring;
use super::{PIPE_BUF, Pipe};
use crate::readiness::{PollEvents, wake};
use crate::tty::user_memory::write_int;
use crate::vfs::{Inode, InodeKind, Metadata, NodeId, OpenFlags, ReadBuf, WriteBuf};

pub(super) struct PipeEnd {
    pipe: Arc<Pipe>,
    reads: bool,
    writes: bool,
    // Linux blocks open(2) of a FIFO until the other side shows up. Nothing
    // here blocks, so the end opens at once and, until a partner has opened
    // (its side's open count moved past these marks), acts as if still in
    // that open: reads and writes wait instead of seeing EOF or EPIPE, and
    // poll reports no hang-up.
    writer_mark: Option<u64>,
    blocking_reader: bool,
    reader_mark: Option<u64>,
    /// The FIFO's own node, for fstat; `None` for an unnamed pipe.
    node: Option<Arc<dyn Inode>>,
}

impl PipeEnd {
    /// Counts a new reader and/or writer per the access mode, with FIFO open
    /// rules: a non-blocking write-only open with no reader is ENXIO.
    pub fn open(pipe: &Arc<Pipe>, flags: OpenFlags, node: Option<Arc<dyn Inode>>) -> Result<PipeEnd, Errno> {
        let (reads, writes) = (flags.readable(), flags.writable());
        let mut end = PipeEnd {
            pipe: pipe.clone(),
            reads,
            writes,
            writer_mark: None,
            blocking_reader: false,
            reader_mark: None,
            node,
        };
        let mut ring = pipe.ring.lock();
        match (reads, writes) {
            (true, false) => {
                if ring.writers == 0 {
                    end.writer_mark = Some(ring.writer_opens);
                    end.blocking_reader = !flags.nonblock();
                }
            }
            (false, true) => {
                if ring.readers == 0 {
                    if flags.nonblock() {
                        return Err(Errno::ENXIO);
                    }
                    end.reader_mark = Some(ring.reader_opens);
                }
            }
            (true, true) => {}
            (false, false) => return Err(Errno::EINVAL),
        }
        if reads {
            ring.readers += 1;
            ring.reader_opens += 1;
        }
        if writes {
            ring.writers += 1;
            ring.writer_opens += 1;
        }
        drop(ring);
        // Ends waiting for a partner may now go on.
        wake(pipe.key);
        Ok(end)
    }

    fn awaiting_writer(&self, ring: &Ring) -> bool {
        self.writer_mark == Some(ring.writer_opens)
    }

    fn awaiting_reader(&self, ring: &Ring) -> bool {
        self.reader_mark == Some(ring.reader_opens)
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut ring = self.pipe.ring.lock();
        if self.reads {
            ring.readers = ring.readers.saturating_sub(1);
        }
        if self.writes {
            ring.writers = ring.writers.saturating_sub(1);
        }
        drop(ring);
        // The other side may now see EOF or EPIPE.
        wake(self.pipe.key);
    }
}

impl Inode for PipeEnd {
    fn metadata(&self) -> Metadata {
        match &self.node {
            Some(node) => node.metadata(),
            None => self.pipe.metadata(),
        }
    }

    fn kind(&self) -> InodeKind {
        InodeKind::Fifo
    }

    fn node_id(&self) -> NodeId {
        self.metadata().id()
    }

    fn read_at(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        if !self.reads {
            return Err(Errno::EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let mut ring = self.pipe.ring.lock();
        if ring.is_empty() {
            let waiting = ring.writers > 0 || (self.blocking_reader && self.awaiting_writer(&ring));
            return if waiting { Err(Errno::EAGAIN) } else { Ok(0) };
        }
        let n = ring.take(buf)?;
        drop(ring);
        wake(self.pipe.key);
        Ok(n)
    }

    fn write_at(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        if !self.writes {
            return Err(Errno::EBADF);
        }
        let want = buf.len();
        if want == 0 {
            return Ok(0);
        }
        let mut ring = self.pipe.ring.lock();
        if ring.readers == 0 {
            return Err(if self.awaiting_reader(&ring) { Errno::EAGAIN } else { Errno::EPIPE });
        }
        let room = ring.room();
        // Writes of up to PIPE_BUF bytes go in whole or not at all.
        if room == 0 || (want <= PIPE_BUF && room < want) {
            return Err(Errno::EAGAIN);
        }
        let n = ring.put(buf, room)?;
        drop(ring);
        wake(self.pipe.key);
        Ok(n)
    }

    fn append(&self, buf: &mut dyn ReadBuf, flags: OpenFlags) -> Result<(usize, u64), Errno> {
        self.write_at(0, buf, flags).map(|n| (n, 0))
    }

    fn seekable(&self) -> bool {
        false
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        match cmd {
            FIONREAD => {
                let queued = self.pipe.ring.lock().len();
                write_int(arg, i32::try_from(queued).unwrap_or(i32::MAX))?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self) -> PollEvents {
        let ring = self.pipe.ring.lock();
        let mut events = PollEvents::empty();
        if self.reads {
            if !ring.is_empty() {
                events |= PollEvents::READABLE;
            }
            if ring.writers == 0 && !self.awaiting_writer(&ring) {
                events |= PollEvents::HUP;
            }
        }
        if self.writes && !self.awaiting_reader(&ring) {
            // Writable only with room for an atomic write, so a poller is
            // never told to go ahead with a write that would say EAGAIN.
            if ring.room() >= PIPE_BUF {
                events |= PollEvents::WRITABLE;
            }
            if ring.readers == 0 {
                events |= PollEvents::ERR;
            }
        }
        events
    }

    fn wait_key(&self) -> Option<u64> {
        Some(self.pipe.key)
    }
}
