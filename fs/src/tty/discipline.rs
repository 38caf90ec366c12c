//! The line discipline proper (Linux's n_tty): what each received byte
//! does under the current termios (signals, CR/NL mapping, line editing,
//! echo) and what a read takes from the input queue.

use ringo_uapi::Errno;
use ringo_uapi::signal::{SIGINT, SIGQUIT, SIGTSTP, Signal};
use ringo_uapi::tty::{
    ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ICANON, ICRNL, IEXTEN, IGNCR, IMAXBEL, INLCR, ISIG, ISTRIP, IUCLC,
    IXON, NOFLSH, Termios, VEOF, VEOL, VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VSTART, VSTOP, VSUSP, VTIME,
    VWERASE, Winsize,
};

use super::input::{EOF_MARK, InputQueue};
use super::output::{Columns, Emitter, is_continuation, is_control};
use super::pending::PendingInput;
use crate::readiness::{PollEvents, signal_group, wake};
use crate::vfs::WriteBuf;

/// What a locked operation leaves to do once the lock is dropped: the
/// kernel's hooks may take their own locks, so they are never called with
/// the terminal's held.
#[derive(Default)]
pub(super) struct Effects {
    pub wake: bool,
    signals: [(i32, Signal); 4],
    count: usize,
}

impl Effects {
    pub fn signal(&mut self, pgid: i32, sig: Signal) {
        // Standard signals do not queue, so a repeat adds nothing.
        if pgid <= 0 || self.signals[..self.count].contains(&(pgid, sig)) || self.count == self.signals.len() {
            return;
        }
        self.signals[self.count] = (pgid, sig);
        self.count += 1;
    }

    pub fn deliver(self, key: u64) {
        for &(pgid, sig) in &self.signals[..self.count] {
            signal_group(pgid, sig);
        }
        if self.wake {
            wake(key);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Erase {
    Char,
    Word,
    Line,
}

pub(super) struct Line {
    pub termios: Termios,
    pub winsize: Winsize,
    /// The foreground process group (TIOCSPGRP); 0 for none.
    pub foreground: i32,
    pub input: InputQueue,
    pub columns: Columns,
    /// VLNEXT was typed: the next byte is taken literally.
    literal_next: bool,
}

impl Line {
    pub fn new() -> Line {
        Line {
            termios: Termios::LINUX_DEFAULT,
            winsize: Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 },
            foreground: 0,
            input: InputQueue::new(),
            columns: Columns::default(),
            literal_next: false,
        }
    }

    fn lflag(&self, bit: u32) -> bool {
        self.termios.c_lflag & bit != 0
    }

    fn iflag(&self, bit: u32) -> bool {
        self.termios.c_iflag & bit != 0
    }

    fn canonical(&self) -> bool {
        self.lflag(ICANON)
    }

    /// Whether `c` is control character `index`; 0 disables one (_POSIX_VDISABLE).
    fn is_cc(&self, c: u8, index: usize) -> bool {
        let cc = self.termios.c_cc[index];
        cc != 0 && c == cc
    }

    pub fn drain(&mut self, pending: &PendingInput, out: &mut Emitter<'_>, fx: &mut Effects) {
        while let Some(byte) = pending.pop() {
            self.receive(byte, out, fx);
        }
    }

    /// One received byte, in n_tty's order: stripping, literal-next, flow
    /// control characters, signals, CR/NL mapping, line editing, storage.
    pub fn receive(&mut self, byte: u8, out: &mut Emitter<'_>, fx: &mut Effects) {
        let mut c = byte;
        if self.iflag(ISTRIP) {
            c &= 0x7f;
        }
        if self.iflag(IUCLC) && self.lflag(IEXTEN) {
            c = c.to_ascii_lowercase();
        }
        if self.literal_next {
            self.literal_next = false;
            self.ordinary(c, out, fx);
            return;
        }
        // Output is never stopped (no flow control), but the characters
        // are still consumed rather than read.
        if self.iflag(IXON) && (self.is_cc(c, VSTART) || self.is_cc(c, VSTOP)) {
            return;
        }
        if self.lflag(ISIG) {
            for (index, sig) in [(VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)] {
                if self.is_cc(c, index) {
                    self.signal_char(c, sig, out, fx);
                    return;
                }
            }
        }
        if c == b'\r' {
            if self.iflag(IGNCR) {
                return;
            }
            if self.iflag(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && self.iflag(INLCR) {
            c = b'\r';
        }
        if self.canonical() && self.line_editing(c, out, fx) {
            return;
        }
        self.ordinary(c, out, fx);
    }

    /// Canonical-mode specials; false when `c` is an ordinary byte.
    fn line_editing(&mut self, c: u8, out: &mut Emitter<'_>, fx: &mut Effects) -> bool {
        let extended = self.lflag(IEXTEN);
        // ^H erases too: serial terminals send it for Backspace where
        // terminal emulators send DEL (Linux would store it as a character).
        if self.is_cc(c, VERASE) || c == 0x08 {
            self.erase(Erase::Char, c, out);
        } else if self.is_cc(c, VKILL) {
            self.erase(Erase::Line, c, out);
        } else if extended && self.is_cc(c, VWERASE) {
            self.erase(Erase::Word, c, out);
        } else if extended && self.is_cc(c, VLNEXT) {
            self.literal_next = true;
            if self.lflag(ECHO) && self.lflag(ECHOCTL) {
                // A placeholder the literal byte's echo overwrites.
                self.put(b'^', out);
                self.put(0x08, out);
            }
        } else if c == b'\n' {
            if self.lflag(ECHO) || self.lflag(ECHONL) {
                self.put(b'\n', out);
            }
            self.end_line(b'\n', fx);
        } else if self.is_cc(c, VEOF) {
            self.end_line(EOF_MARK, fx);
        } else if self.is_cc(c, VEOL) || (extended && self.is_cc(c, VEOL2)) {
            if self.lflag(ECHO) {
                self.echo_edit(c, out);
            }
            self.end_line(c, fx);
        } else {
            return false;
        }
        true
    }

    fn ordinary(&mut self, c: u8, out: &mut Emitter<'_>, fx: &mut Effects) {
        // In canonical mode the last slot is kept for the byte that ends the
        // line, so a full line can still be finished and read.
        let needed = if self.canonical() { 2 } else { 1 };
        if self.input.room() < needed {
            if self.lflag(ECHO) && self.iflag(IMAXBEL) {
                self.put(0x07, out);
            }
            return;
        }
        if self.lflag(ECHO) {
            self.echo_edit(c, out);
        }
        self.input.push(c, false);
        if !self.canonical() {
            self.input.commit();
            fx.wake = true;
        }
    }

    fn end_line(&mut self, stored: u8, fx: &mut Effects) {
        self.input.push(stored, true);
        self.input.commit();
        fx.wake = true;
    }

    fn signal_char(&mut self, c: u8, sig: Signal, out: &mut Emitter<'_>, fx: &mut Effects) {
        fx.signal(self.foreground, sig);
        if !self.lflag(NOFLSH) {
            self.flush_input();
        }
        if self.lflag(ECHO) {
            self.echo(c, out);
        }
    }

    pub fn flush_input(&mut self) {
        self.input.clear();
        self.literal_next = false;
    }

    /// Echo of a byte entering the line being edited.
    fn echo_edit(&mut self, c: u8, out: &mut Emitter<'_>) {
        if c == b'\n' {
            self.put(b'\n', out);
            return;
        }
        if self.input.edit_len() == 0 {
            self.columns.line_start = self.columns.now;
        }
        self.echo(c, out);
    }

    /// Control characters show as ^X with ECHOCTL (tab excepted).
    fn echo(&mut self, c: u8, out: &mut Emitter<'_>) {
        if self.lflag(ECHOCTL) && is_control(c) && c != b'\t' {
            self.put(b'^', out);
            self.put(c ^ 0x40, out);
        } else {
            self.put(c, out);
        }
    }

    fn put(&mut self, c: u8, out: &mut Emitter<'_>) {
        self.columns.put(&self.termios, c, out);
    }

    /// VERASE, VWERASE, VKILL, with n_tty's echo: "\b \b" per column with
    /// ECHOE (and per character for the kill with ECHOKE), the erase
    /// character itself without ECHOE, the kill character then a newline
    /// without ECHOKE.
    fn erase(&mut self, kind: Erase, c: u8, out: &mut Emitter<'_>) {
        if self.input.edit_len() == 0 {
            return;
        }
        let echo = self.lflag(ECHO);
        if kind == Erase::Line {
            if !echo {
                self.input.truncate_edit(0);
                return;
            }
            if !(self.lflag(ECHOK) && self.lflag(ECHOKE) && self.lflag(ECHOE)) {
                self.input.truncate_edit(0);
                self.echo(c, out);
                if self.lflag(ECHOK) {
                    self.put(b'\n', out);
                }
                return;
            }
        }
        let mut seen_word = false;
        while self.input.edit_len() > 0 {
            let mut start = self.input.edit_len() - 1;
            while start > 0 && is_continuation(self.input.edit_byte(start), &self.termios) {
                start -= 1;
            }
            let lead = self.input.edit_byte(start);
            if is_continuation(lead, &self.termios) {
                // Never erase part of a character.
                break;
            }
            if kind == Erase::Word {
                if lead.is_ascii_alphanumeric() || lead == b'_' {
                    seen_word = true;
                } else if seen_word {
                    break;
                }
            }
            self.input.truncate_edit(start);
            if echo {
                self.echo_erased(kind, lead, out);
            }
            if kind == Erase::Char {
                break;
            }
        }
    }

    fn echo_erased(&mut self, kind: Erase, lead: u8, out: &mut Emitter<'_>) {
        if kind == Erase::Char && !self.lflag(ECHOE) {
            let erase = self.termios.c_cc[VERASE];
            self.echo(erase, out);
        } else if lead == b'\t' {
            // Back to where the tab started: recompute that column from the
            // start of the line, as what remains of it was echoed.
            let mut col = self.columns.line_start;
            for i in 0..self.input.edit_len() {
                match self.input.edit_byte(i) {
                    b'\t' => col = (col | 7) + 1,
                    b if is_control(b) => col += if self.lflag(ECHOCTL) { 2 } else { 0 },
                    b if is_continuation(b, &self.termios) => {}
                    _ => col += 1,
                }
            }
            for _ in col..self.columns.now {
                self.put(0x08, out);
            }
        } else {
            let width = match (is_control(lead), self.lflag(ECHOCTL)) {
                (true, true) => 2,
                (true, false) => 0,
                (false, _) => 1,
            };
            for _ in 0..width {
                for b in *b"\x08 \x08" {
                    self.put(b, out);
                }
            }
        }
    }

    /// Sets new termios; `flush` (TCSETSF) discards pending input. Leaving
    /// canonical mode makes the line being edited readable as it stands.
    pub fn set_termios(&mut self, termios: Termios, flush: bool) {
        let was_canonical = self.canonical();
        self.termios = termios;
        if flush {
            self.flush_input();
        }
        if was_canonical && !self.canonical() {
            self.input.commit();
        }
    }

    /// Raw-mode VMIN/VTIME, approximated where a timer is involved: VMIN=0
    /// VTIME=0 returns what is there (0 if nothing); VMIN>0 VTIME=0 waits for
    /// min(VMIN, room) bytes; with VTIME>0 the read waits (for any byte, or
    /// for VMIN) and the kernel's timer ends the wait with [`Line::read_expired`],
    /// the timer starting at the wait rather than at the first byte.
    pub fn read(&mut self, buf: &mut dyn WriteBuf, nonblock: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.canonical() {
            if self.input.ready() == 0 {
                return Err(Errno::EAGAIN);
            }
            return self.input.take_line(buf);
        }
        let (vmin, vtime) = (usize::from(self.termios.c_cc[VMIN]), self.termios.c_cc[VTIME]);
        let ready = self.input.ready();
        if ready == 0 {
            return if vmin == 0 && vtime == 0 { Ok(0) } else { Err(Errno::EAGAIN) };
        }
        if !nonblock && ready < vmin.min(buf.len()) {
            return Err(Errno::EAGAIN);
        }
        self.input.take(buf)
    }

    /// A read whose VTIME timer ran out: whatever is there, or (with VMIN>0
    /// and nothing there) keep waiting, as Linux's timer only starts with a byte.
    pub fn read_expired(&mut self, buf: &mut dyn WriteBuf) -> Result<usize, Errno> {
        if self.canonical() {
            return self.read(buf, false);
        }
        if self.input.ready() == 0 && self.termios.c_cc[VMIN] > 0 {
            return Err(Errno::EAGAIN);
        }
        self.input.take(buf)
    }

    /// Tenths of a second a waiting raw read may last (VTIME), if limited.
    pub fn read_timeout(&self) -> Option<u32> {
        let vtime = self.termios.c_cc[VTIME];
        (!self.canonical() && vtime > 0).then_some(u32::from(vtime))
    }

    /// Whether a blocking read into `room` bytes would return now.
    pub fn read_would_return(&self, room: usize) -> bool {
        let ready = self.input.ready();
        if self.canonical() {
            return ready > 0;
        }
        let vmin = usize::from(self.termios.c_cc[VMIN]);
        ready > 0 && ready >= vmin.min(room.max(1))
    }

    /// POLLIN with a line (canonical) or with VMIN bytes (raw, no VTIME),
    /// as n_tty's poll says; output never waits.
    pub fn poll(&self) -> PollEvents {
        let ready = self.input.ready();
        let readable = if self.canonical() {
            ready > 0
        } else {
            let (vmin, vtime) = (self.termios.c_cc[VMIN], self.termios.c_cc[VTIME]);
            let needed = if vtime == 0 && vmin > 0 { usize::from(vmin) } else { 1 };
            ready >= needed
        };
        let mut events = PollEvents::WRITABLE;
        if readable {
            events |= PollEvents::READABLE;
        }
        events
    }

    /// FIONREAD: bytes a reader can take now.
    pub fn readable_count(&self) -> usize {
        if self.canonical() { self.input.canonical_count() } else { self.input.ready() }
    }

    /// Process output (write(2)), through output processing.
    pub fn output(&mut self, bytes: &[u8], out: &mut Emitter<'_>) {
        for &b in bytes {
            self.put(b, out);
        }
    }
}
