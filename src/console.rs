//! Kernel console output: `print!`/`println!` over the arch serial port.
//! Lines from different CPUs do not interleave: writers take one lock per
//! call. The crash path uses [`emergency_writer`], which takes no lock, so a
//! fault inside a print can still be reported.

use core::fmt::{self, Write};
use spin::Mutex;

use crate::arch::serial::Serial;

struct ConsoleWriter;

impl Write for ConsoleWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        Serial::write_bytes(s.as_bytes());
        Ok(())
    }
}

static CONSOLE: Mutex<()> = Mutex::new(());

pub fn init() {
    Serial::init();
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    crate::arch::without_interrupts(|| {
        let _guard = CONSOLE.lock();
        let _ = ConsoleWriter.write_fmt(args);
    });
}

/// A writer that ignores the console lock: only for reports of a crash,
/// when the lock may be held by the code that crashed.
pub fn emergency_writer() -> impl Write {
    ConsoleWriter
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::console::_print(format_args!($($arg)*)));
}

#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::console::_print(format_args!("{}\n", format_args!($($arg)*))));
}

/// The serial port as /dev/console and /dev/tty. Output goes straight to
/// the UART (with the terminal's \n -> \r\n); input is read raw, a line at
/// a time when the settings say canonical (no line editing yet: that comes
/// with the tty line discipline).
pub struct SerialConsole {
    termios: spin::Mutex<ringo_uapi::tty::Termios>,
    winsize: spin::Mutex<ringo_uapi::tty::Winsize>,
}

impl SerialConsole {
    pub fn new() -> Self {
        SerialConsole {
            termios: spin::Mutex::new(ringo_uapi::tty::Termios::LINUX_DEFAULT),
            winsize: spin::Mutex::new(ringo_uapi::tty::Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 }),
        }
    }
}

impl ringo_fs::devfs::Console for SerialConsole {
    fn write(&self, buf: &mut dyn ringo_fs::vfs::ReadBuf) -> Result<usize, ringo_uapi::Errno> {
        let mut chunk = [0u8; 256];
        let mut done = 0;
        while !buf.is_empty() {
            let n = buf.read(&mut chunk)?;
            if n == 0 {
                break;
            }
            crate::arch::without_interrupts(|| {
                let _guard = CONSOLE.lock();
                Serial::write_bytes(&chunk[..n]);
            });
            done += n;
        }
        Ok(done)
    }

    fn read(&self, buf: &mut dyn ringo_fs::vfs::WriteBuf, nonblock: bool) -> Result<usize, ringo_uapi::Errno> {
        let canonical = self.termios.lock().c_lflag & ringo_uapi::tty::ICANON != 0;
        let mut done = 0;
        while done < buf.len() {
            match Serial::read_byte() {
                Some(b) => {
                    let b = if b == b'\r' { b'\n' } else { b };
                    buf.write(&[b])?;
                    done += 1;
                    if canonical && b == b'\n' {
                        break;
                    }
                }
                None if done > 0 && !canonical => break,
                None if nonblock => {
                    return if done > 0 { Ok(done) } else { Err(ringo_uapi::Errno::EAGAIN) };
                }
                None => crate::arch::cpu::enable_interrupts_and_halt(),
            }
        }
        Ok(done)
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, ringo_uapi::Errno> {
        use crate::syscall::UserAddr;
        use ringo_uapi::tty::*;
        let user = UserAddr(arg as u64);
        match cmd {
            TCGETS => user.write(&*self.termios.lock()).map(|_| 0),
            TCSETS | TCSETSW | TCSETSF => {
                let t: Termios = user.read()?;
                *self.termios.lock() = t;
                Ok(0)
            }
            TIOCGWINSZ => user.write(&*self.winsize.lock()).map(|_| 0),
            TIOCSWINSZ => {
                *self.winsize.lock() = user.read()?;
                Ok(0)
            }
            TIOCGPGRP => user.write(&(crate::process::current().pid as i32)).map(|_| 0),
            TIOCSPGRP => Ok(0),
            _ => Err(ringo_uapi::Errno::ENOTTY),
        }
    }
}
