//! A terminal line discipline (Linux's n_tty) the kernel's console wraps:
//! termios, canonical line editing with echo, raw mode with VMIN/VTIME,
//! signal characters for the foreground process group, output processing,
//! and the terminal ioctls.
//!
//! The kernel feeds received bytes to [`Tty::receive`] (from an interrupt
//! or a timer tick: it never blocks or allocates), gives the terminal a
//! [`TtyOutput`] for the device, and serves reads that say EAGAIN by
//! sleeping on [`Tty::wait_key`] (or lets [`TtyConsole`] do that through its
//! [`Sleeper`]). Job control checks (SIGTTIN/SIGTTOU for background groups),
//! output flow control (IXON stops nothing) and ECHOPRT/VREPRINT/VDISCARD
//! are not implemented.

mod console;
mod discipline;
mod input;
mod ioctl;
mod output;
mod pending;
pub(crate) mod user_memory;

use alloc::sync::Arc;
use core::sync::atomic::{Ordering, fence};

use ringo_uapi::Errno;
use ringo_uapi::signal::SIGWINCH;
use ringo_uapi::tty::{Termios, Winsize};
use spin::Mutex;

use crate::readiness::{PollEvents, new_wait_key};
use crate::vfs::{ReadBuf, WriteBuf};
use discipline::{Effects, Line};
use output::Emitter;
use pending::PendingInput;

pub use console::{Sleeper, TtyConsole};
pub use output::TtyOutput;
pub use user_memory::{UserMemory, set_user_memory};

pub struct Tty {
    line: Mutex<Line>,
    pending: PendingInput,
    output: Arc<dyn TtyOutput>,
    key: u64,
}

impl Tty {
    /// A terminal in Linux's default state (cooked, echo, 24x80), with no
    /// foreground process group until [`Tty::set_foreground_pgrp`].
    pub fn new(output: Arc<dyn TtyOutput>) -> Tty {
        Tty { line: Mutex::new(Line::new()), pending: PendingInput::new(), output, key: new_wait_key() }
    }

    /// The key the terminal wakes when input becomes readable.
    pub fn wait_key(&self) -> u64 {
        self.key
    }

    /// A byte from the device. Safe to call from an interrupt, also one that
    /// arrived while this CPU was inside another `Tty` call: the byte is then
    /// processed as that call finishes. Must not run concurrently with
    /// itself (one input path). Echo goes out through the [`TtyOutput`],
    /// signals through the installed signal sink.
    pub fn receive(&self, byte: u8) {
        // A full parking ring drops the byte, as a UART overrun would.
        let _ = self.pending.push(byte);
        fence(Ordering::SeqCst);
        self.drain_pending();
    }

    /// Processes parked bytes if nobody holds the lock; whoever holds it
    /// does so when done (`locked`). The fences pair with `receive`'s, so
    /// either the holder sees the byte or the receiver gets the lock.
    fn drain_pending(&self) {
        loop {
            fence(Ordering::SeqCst);
            if self.pending.is_empty() {
                return;
            }
            let Some(mut line) = self.line.try_lock() else { return };
            let mut fx = Effects::default();
            let mut out = Emitter::new(&*self.output);
            line.drain(&self.pending, &mut out, &mut fx);
            out.flush();
            drop(line);
            fx.deliver(self.key);
        }
    }

    fn locked<R>(&self, f: impl FnOnce(&mut Line, &mut Emitter<'_>, &mut Effects) -> R) -> R {
        let mut fx = Effects::default();
        let result = {
            let mut line = self.line.lock();
            let mut out = Emitter::new(&*self.output);
            line.drain(&self.pending, &mut out, &mut fx);
            let result = f(&mut line, &mut out, &mut fx);
            out.flush();
            result
        };
        fx.deliver(self.key);
        self.drain_pending();
        result
    }

    /// read(2): EAGAIN when the read has to wait (the kernel sleeps on
    /// [`Tty::wait_key`] unless `nonblock`). In canonical mode at most one
    /// line, and 0 for VEOF on an empty line.
    pub fn read(&self, buf: &mut dyn WriteBuf, nonblock: bool) -> Result<usize, Errno> {
        self.locked(|line, _, _| line.read(buf, nonblock))
    }

    /// For a read that waited [`Tty::read_timeout`] in vain: what VTIME's
    /// expiry returns (EAGAIN: keep waiting).
    pub fn read_expired(&self, buf: &mut dyn WriteBuf) -> Result<usize, Errno> {
        self.locked(|line, _, _| line.read_expired(buf))
    }

    /// How long, in tenths of a second, a waiting read may sleep before
    /// [`Tty::read_expired`] (VTIME in raw mode); `None`: until woken.
    pub fn read_timeout(&self) -> Option<u32> {
        self.locked(|line, _, _| line.read_timeout())
    }

    /// Whether a blocking read into `room` bytes would return now (the
    /// condition to recheck after queueing on the wait key).
    pub fn read_would_return(&self, room: usize) -> bool {
        self.locked(|line, _, _| line.read_would_return(room))
    }

    /// write(2): everything is written, through output processing.
    pub fn write(&self, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
        self.write_pausing(buf, &|| false)
    }

    /// write(2) that calls `pause` between chunks: it lets the kernel give
    /// the CPU away during a long write to a slow port, and ends the write
    /// with what it wrote when it returns true (a signal is pending), as
    /// Linux's n_tty_write does. A multi-megabyte write to the serial
    /// console once kept a CPU in the kernel past the watchdog.
    pub fn write_pausing(&self, buf: &mut dyn ReadBuf, pause: &dyn Fn() -> bool) -> Result<usize, Errno> {
        let mut chunk = [0u8; 256];
        let mut done = 0;
        while !buf.is_empty() {
            if done > 0 && pause() {
                break;
            }
            // Copy from the user before locking, so a fault in the copy
            // never happens with the terminal locked.
            let n = match buf.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            if n == 0 {
                break;
            }
            self.locked(|line, out, _| line.output(&chunk[..n], out));
            done += n;
        }
        Ok(done)
    }

    pub fn poll(&self) -> PollEvents {
        self.locked(|line, _, _| line.poll())
    }

    pub fn termios(&self) -> Termios {
        self.locked(|line, _, _| line.termios)
    }

    /// TCSETS; `flush_input` for TCSETSF.
    pub fn set_termios(&self, termios: Termios, flush_input: bool) {
        self.locked(|line, _, fx| {
            line.set_termios(termios, flush_input);
            // Switching modes can make queued input readable.
            fx.wake = true;
        });
    }

    pub fn winsize(&self) -> Winsize {
        self.locked(|line, _, _| line.winsize)
    }

    /// TIOCSWINSZ: a change sends SIGWINCH to the foreground group.
    pub fn set_winsize(&self, winsize: Winsize) {
        self.locked(|line, _, fx| {
            if line.winsize != winsize {
                line.winsize = winsize;
                fx.signal(line.foreground, SIGWINCH);
            }
        });
    }

    /// The foreground process group (0: none).
    pub fn foreground_pgrp(&self) -> i32 {
        self.locked(|line, _, _| line.foreground)
    }

    /// Who gets the terminal's signals and may read it: the kernel sets
    /// init's group when it starts; TIOCSPGRP changes it.
    pub fn set_foreground_pgrp(&self, pgid: i32) {
        self.locked(|line, _, _| line.foreground = pgid);
    }

    /// Discards input not yet read (TCFLSH TCIFLUSH).
    pub fn flush_input(&self) {
        self.locked(|line, _, _| line.flush_input());
    }

    /// FIONREAD.
    pub fn readable_count(&self) -> usize {
        self.locked(|line, _, _| line.readable_count())
    }
}

#[cfg(test)]
mod tests;
