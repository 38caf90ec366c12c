//! The terminal's output side: the post-processing c_oflag asks for
//! (OPOST: ONLCR, OCRNL, ONOCR, ONLRET, OLCUC), the cursor column it implies
//! (erasing a tab needs it), and batching of bytes to the device.

use ringo_uapi::tty::{IUTF8, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, Termios};

/// Where the terminal's bytes go: the UART or virtio console. Called with
/// the terminal's lock held, from process context and from the input path
/// (echo), which the kernel may run in an interrupt: it must not sleep and
/// must be safe against the interrupt arriving while it runs.
pub trait TtyOutput: Send + Sync {
    fn emit(&self, bytes: &[u8]);
}

/// Collects bytes for one locked operation and hands them to the device in
/// batches.
pub(super) struct Emitter<'a> {
    sink: &'a dyn TtyOutput,
    buf: [u8; 128],
    len: usize,
}

impl<'a> Emitter<'a> {
    pub fn new(sink: &'a dyn TtyOutput) -> Self {
        Emitter { sink, buf: [0; 128], len: 0 }
    }

    pub fn raw(&mut self, byte: u8) {
        if self.len == self.buf.len() {
            self.flush();
        }
        self.buf[self.len] = byte;
        self.len += 1;
    }

    pub fn flush(&mut self) {
        if self.len > 0 {
            self.sink.emit(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

pub(super) const fn is_control(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// A UTF-8 continuation byte, which takes no column (with IUTF8).
pub(super) const fn is_continuation(c: u8, termios: &Termios) -> bool {
    termios.c_iflag & IUTF8 != 0 && c & 0xc0 == 0x80
}

/// The output column, and the column the line being edited started at.
#[derive(Default)]
pub(super) struct Columns {
    pub now: usize,
    pub line_start: usize,
}

impl Columns {
    /// Sends one byte through output processing.
    pub fn put(&mut self, termios: &Termios, byte: u8, out: &mut Emitter<'_>) {
        let oflag = termios.c_oflag;
        if oflag & OPOST == 0 {
            self.track(termios, byte);
            out.raw(byte);
            return;
        }
        match byte {
            b'\n' => {
                if oflag & ONLRET != 0 {
                    self.now = 0;
                }
                if oflag & ONLCR != 0 {
                    self.now = 0;
                    out.raw(b'\r');
                }
                self.line_start = self.now;
                out.raw(b'\n');
            }
            b'\r' => {
                if oflag & ONOCR != 0 && self.now == 0 {
                    return;
                }
                if oflag & OCRNL != 0 {
                    if oflag & ONLRET != 0 {
                        self.now = 0;
                        self.line_start = 0;
                    }
                    out.raw(b'\n');
                    return;
                }
                self.now = 0;
                self.line_start = 0;
                out.raw(b'\r');
            }
            _ => {
                let byte = if oflag & OLCUC != 0 { byte.to_ascii_uppercase() } else { byte };
                self.track(termios, byte);
                out.raw(byte);
            }
        }
    }

    fn track(&mut self, termios: &Termios, byte: u8) {
        match byte {
            b'\n' | b'\r' => self.now = 0,
            b'\t' => self.now = (self.now | 7) + 1,
            0x08 => self.now = self.now.saturating_sub(1),
            c if is_control(c) || is_continuation(c, termios) => {}
            _ => self.now += 1,
        }
    }
}
