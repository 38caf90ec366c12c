//! A [`Console`] (what /dev/console and /dev/tty reach) made of a [`Tty`]
//! and the kernel's way of putting a thread to sleep, so the kernel's
//! console is these two pieces and an input interrupt calling `receive`.

use alloc::sync::Arc;

use ringo_uapi::Errno;

use super::Tty;
use crate::devfs::Console;
use crate::vfs::{ReadBuf, WriteBuf};

/// The kernel's wait primitive, as a terminal read needs it.
pub trait Sleeper: Send + Sync {
    /// Sleeps until `wake(key)` (see [`crate::readiness`]), checking
    /// `ready` after queueing on `key` and before sleeping, so a wake that
    /// comes in between is not lost. `ready` takes the terminal's lock and
    /// may itself call `wake`, so call it with no wait-queue lock held.
    /// `timeout` is in tenths of a second.
    /// Returns whether the timeout ran out; EINTR (or the kernel's restart
    /// code) when a signal interrupts the sleep.
    fn sleep(&self, key: u64, ready: &dyn Fn() -> bool, timeout: Option<u32>) -> Result<bool, Errno>;

    /// Between the chunks of a long write: a preemption point. True when
    /// a signal is pending, which ends the write with what it wrote.
    fn pause(&self) -> bool {
        false
    }
}

pub struct TtyConsole {
    tty: Arc<Tty>,
    sleeper: Arc<dyn Sleeper>,
}

impl TtyConsole {
    pub fn new(tty: Arc<Tty>, sleeper: Arc<dyn Sleeper>) -> Self {
        TtyConsole { tty, sleeper }
    }

    pub fn tty(&self) -> &Arc<Tty> {
        &self.tty
    }
}

impl Console for TtyConsole {
    fn poll(&self) -> crate::readiness::PollEvents {
        self.tty.poll()
    }

    fn wait_key(&self) -> Option<u64> {
        Some(self.tty.wait_key())
    }

    fn write(&self, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
        self.tty.write_pausing(buf, &|| self.sleeper.pause())
    }

    fn read(&self, buf: &mut dyn WriteBuf, nonblock: bool) -> Result<usize, Errno> {
        loop {
            match self.tty.read(buf, nonblock) {
                Err(Errno::EAGAIN) if !nonblock => {}
                done => return done,
            }
            let room = buf.len();
            let ready = || self.tty.read_would_return(room);
            if self.sleeper.sleep(self.tty.wait_key(), &ready, self.tty.read_timeout())? {
                match self.tty.read_expired(buf) {
                    Err(Errno::EAGAIN) => {}
                    done => return done,
                }
            }
        }
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        self.tty.ioctl(cmd, arg)
    }
}
