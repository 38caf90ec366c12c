//! Kernel console output: `print!`/`println!` over the arch serial port.
//! Lines from different CPUs do not interleave: writers take one lock per
//! call. The crash path uses [`emergency_writer`], which takes no lock, so a
//! fault inside a print can still be reported.

use crate::sync::Mutex;
use core::fmt::{self, Write};

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

/// Bytes for the terminal, as they are (the line discipline has done its
/// output processing already).
pub fn write_raw(bytes: &[u8]) {
    crate::arch::without_interrupts(|| {
        let _guard = CONSOLE.lock();
        for &b in bytes {
            Serial::write_byte(b);
        }
    });
}
