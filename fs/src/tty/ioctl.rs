//! The terminal ioctls, with their arguments copied through the kernel's
//! [`super::UserMemory`] hook, and the byte layouts of the structures they move.

use ringo_uapi::Errno;
use ringo_uapi::tty::{
    FIONREAD, NCCS, TCFLSH, TCGETS, TCIFLUSH, TCIOFLUSH, TCOFLUSH, TCSBRK, TCSBRKP, TCSETS, TCSETSF, TCSETSW, TCXONC,
    TIOCGPGRP, TIOCGWINSZ, TIOCNOTTY, TIOCOUTQ, TIOCSCTTY, TIOCSPGRP, TIOCSWINSZ, Termios, Winsize,
};

use super::Tty;
use super::user_memory::{read_int, read_user, write_int, write_user};

const TERMIOS_SIZE: usize = 17 + NCCS;

impl Tty {
    /// ioctl(2) on the terminal; `arg` is the user pointer (or the value,
    /// for TCFLSH, TCXONC, TCSBRK). Unknown requests: ENOTTY.
    pub fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        match cmd {
            TCGETS => write_user(arg, &termios_to_bytes(&self.termios()))?,
            TCSETS | TCSETSW | TCSETSF => {
                let mut raw = [0u8; TERMIOS_SIZE];
                read_user(arg, &mut raw)?;
                // Output is written synchronously, so there is never any to
                // drain first (TCSETSW).
                self.set_termios(termios_from_bytes(&raw), cmd == TCSETSF);
            }
            TIOCGWINSZ => write_user(arg, &winsize_to_bytes(&self.winsize()))?,
            TIOCSWINSZ => {
                let mut raw = [0u8; 8];
                read_user(arg, &mut raw)?;
                self.set_winsize(winsize_from_bytes(&raw));
            }
            TIOCGPGRP => write_int(arg, self.foreground_pgrp())?,
            TIOCSPGRP => {
                let pgid = read_int(arg)?;
                if pgid < 0 {
                    return Err(Errno::EINVAL);
                }
                self.set_foreground_pgrp(pgid);
            }
            // Sessions are the kernel's; this terminal is everyone's
            // controlling terminal.
            TIOCSCTTY | TIOCNOTTY => {}
            FIONREAD => write_int(arg, i32::try_from(self.readable_count()).unwrap_or(i32::MAX))?,
            TIOCOUTQ => write_int(arg, 0)?,
            TCFLSH => match u32::try_from(arg) {
                Ok(TCIFLUSH | TCIOFLUSH) => self.flush_input(),
                Ok(TCOFLUSH) => {}
                _ => return Err(Errno::EINVAL),
            },
            // TCOOFF, TCOON, TCIOFF, TCION: accepted, as output never stops.
            TCXONC if arg <= 3 => {}
            TCXONC => return Err(Errno::EINVAL),
            // tcdrain and tcsendbreak: nothing is queued and there is no line to break.
            TCSBRK | TCSBRKP => {}
            _ => return Err(Errno::ENOTTY),
        }
        Ok(0)
    }
}

/// `struct termios` as x86-64 Linux lays it out (little-endian, packed: the
/// c_cc array starts at byte 17).
pub(super) fn termios_to_bytes(t: &Termios) -> [u8; TERMIOS_SIZE] {
    let mut raw = [0u8; TERMIOS_SIZE];
    for (i, flag) in [t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag].into_iter().enumerate() {
        raw[i * 4..i * 4 + 4].copy_from_slice(&flag.to_le_bytes());
    }
    raw[16] = t.c_line;
    raw[17..].copy_from_slice(&t.c_cc);
    raw
}

pub(super) fn termios_from_bytes(raw: &[u8; TERMIOS_SIZE]) -> Termios {
    let flag = |i: usize| u32::from_le_bytes([raw[i * 4], raw[i * 4 + 1], raw[i * 4 + 2], raw[i * 4 + 3]]);
    let mut c_cc = [0u8; NCCS];
    c_cc.copy_from_slice(&raw[17..]);
    Termios { c_iflag: flag(0), c_oflag: flag(1), c_cflag: flag(2), c_lflag: flag(3), c_line: raw[16], c_cc }
}

fn winsize_to_bytes(w: &Winsize) -> [u8; 8] {
    let mut raw = [0u8; 8];
    for (i, v) in [w.ws_row, w.ws_col, w.ws_xpixel, w.ws_ypixel].into_iter().enumerate() {
        raw[i * 2..i * 2 + 2].copy_from_slice(&v.to_le_bytes());
    }
    raw
}

fn winsize_from_bytes(raw: &[u8; 8]) -> Winsize {
    let field = |i: usize| u16::from_le_bytes([raw[i * 2], raw[i * 2 + 1]]);
    Winsize { ws_row: field(0), ws_col: field(1), ws_xpixel: field(2), ws_ypixel: field(3) }
}
