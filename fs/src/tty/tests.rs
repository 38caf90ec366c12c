use alloc::sync::{Arc, Weak};
use alloc::vec;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::signal::{SIGINT, SIGQUIT, SIGTSTP, SIGWINCH};
use ringo_uapi::tty::*;
use spin::Mutex;

use super::*;
use crate::devfs::Console;
use crate::readiness::{PollEvents, test_hooks};

/// The device side: everything the terminal emitted.
#[derive(Default)]
struct Screen {
    shown: Mutex<Vec<u8>>,
}

impl TtyOutput for Screen {
    fn emit(&self, bytes: &[u8]) {
        self.shown.lock().extend_from_slice(bytes);
    }
}

impl Screen {
    fn take(&self) -> Vec<u8> {
        core::mem::take(&mut *self.shown.lock())
    }
}

fn terminal() -> (Tty, Arc<Screen>) {
    test_hooks::install();
    let screen = Arc::new(Screen::default());
    (Tty::new(screen.clone()), screen)
}

fn typed(tty: &Tty, keys: &[u8]) {
    for &b in keys {
        tty.receive(b);
    }
}

fn read(tty: &Tty, room: usize) -> Result<Vec<u8>, Errno> {
    let mut store = vec![0u8; room];
    let n = tty.read(&mut &mut store[..], false)?;
    store.truncate(n);
    Ok(store)
}

fn set(tty: &Tty, change: impl FnOnce(&mut Termios)) {
    let mut t = tty.termios();
    change(&mut t);
    tty.set_termios(t, false);
}

fn raw(vmin: u8, vtime: u8) -> impl FnOnce(&mut Termios) {
    move |t: &mut Termios| {
        t.c_lflag &= !(ICANON | ECHO);
        t.c_cc[VMIN] = vmin;
        t.c_cc[VTIME] = vtime;
    }
}

#[test]
fn a_typed_line_is_echoed_and_read_whole() {
    let (tty, screen) = terminal();
    typed(&tty, b"ls -l");
    assert_eq!(screen.take(), b"ls -l");
    assert_eq!(read(&tty, 100), Err(Errno::EAGAIN), "no line yet");
    assert!(!tty.poll().contains(PollEvents::IN));
    let key = tty.wait_key();
    let before = test_hooks::wakes(key);
    typed(&tty, b"\r");
    assert_eq!(screen.take(), b"\r\n", "ICRNL then ONLCR");
    assert_eq!(test_hooks::wakes(key), before + 1, "a finished line wakes readers");
    assert!(tty.poll().contains(PollEvents::READABLE | PollEvents::WRITABLE));
    assert_eq!(read(&tty, 100), Ok(b"ls -l\n".to_vec()));
    assert_eq!(read(&tty, 100), Err(Errno::EAGAIN));
}

#[test]
fn reads_return_one_line_at_a_time() {
    let (tty, _screen) = terminal();
    typed(&tty, b"first\nsecond\nthird");
    assert_eq!(tty.readable_count(), 13);
    assert_eq!(read(&tty, 3), Ok(b"fir".to_vec()), "a short buffer takes part of a line");
    assert_eq!(read(&tty, 100), Ok(b"st\n".to_vec()));
    assert_eq!(read(&tty, 100), Ok(b"second\n".to_vec()));
    assert_eq!(read(&tty, 100), Err(Errno::EAGAIN), "the third line is still being edited");
}

#[test]
fn erase_word_erase_and_kill_edit_the_line() {
    let (tty, screen) = terminal();
    typed(&tty, b"abx\x7fc\n");
    assert_eq!(screen.take(), b"abx\x08 \x08c\r\n");
    assert_eq!(read(&tty, 100), Ok(b"abc\n".to_vec()));

    typed(&tty, b"junk\x15ok\n");
    assert_eq!(screen.take(), b"junk\x08 \x08\x08 \x08\x08 \x08\x08 \x08ok\r\n");
    assert_eq!(read(&tty, 100), Ok(b"ok\n".to_vec()));

    typed(&tty, b"one two  \x17three\x08\x08\n");
    assert_eq!(read(&tty, 100), Ok(b"one thr\n".to_vec()), "^W takes the word and the blanks after it; ^H erases");

    typed(&tty, b"\x7f\n");
    assert_eq!(screen.take().last(), Some(&b'\n'));
    assert_eq!(read(&tty, 100), Ok(b"\n".to_vec()), "erasing an empty line does nothing");
}

#[test]
fn control_characters_echo_as_caret_letters_and_erase_both_columns() {
    let (tty, screen) = terminal();
    typed(&tty, b"a\x01\x7f\n");
    assert_eq!(screen.take(), b"a^A\x08 \x08\x08 \x08\r\n");
    assert_eq!(read(&tty, 100), Ok(b"a\n".to_vec()));
}

#[test]
fn erasing_a_tab_moves_back_to_where_it_started() {
    let (tty, screen) = terminal();
    assert_eq!(tty.write(&mut &b"$ "[..]), Ok(2));
    typed(&tty, b"a\tb\x7f\x7f");
    let shown = screen.take();
    // "$ a" ends in column 3 and the tab reaches 8: five steps back.
    assert_eq!(shown, b"$ a\tb\x08 \x08\x08\x08\x08\x08\x08");
    typed(&tty, b"\n");
    assert_eq!(read(&tty, 100), Ok(b"a\n".to_vec()));
}

#[test]
fn eof_ends_a_line_and_on_an_empty_line_reads_zero() {
    let (tty, screen) = terminal();
    typed(&tty, b"abc\x04");
    assert_eq!(screen.take(), b"abc", "^D is not echoed");
    assert_eq!(read(&tty, 100), Ok(b"abc".to_vec()), "the line without the ^D");
    assert_eq!(read(&tty, 100), Err(Errno::EAGAIN));
    typed(&tty, b"\x04");
    assert_eq!(tty.readable_count(), 0);
    assert!(tty.poll().contains(PollEvents::IN), "end of file is readable");
    assert_eq!(read(&tty, 100), Ok(Vec::new()));
    assert_eq!(read(&tty, 100), Err(Errno::EAGAIN), "one ^D, one end of file");
}

#[test]
fn interrupt_signals_the_foreground_group_and_flushes() {
    let (tty, screen) = terminal();
    let pgid = test_hooks::fresh_pgid();
    tty.set_foreground_pgrp(pgid);
    typed(&tty, b"done\npartial\x03");
    assert_eq!(test_hooks::signals_to(pgid), [SIGINT]);
    assert_eq!(screen.take(), b"done\r\npartial^C");
    assert_eq!(read(&tty, 100), Err(Errno::EAGAIN), "the queue was flushed, the finished line too");
    typed(&tty, b"x\n");
    assert_eq!(read(&tty, 100), Ok(b"x\n".to_vec()));

    typed(&tty, b"\x1c\x1a");
    assert_eq!(test_hooks::signals_to(pgid), [SIGINT, SIGQUIT, SIGTSTP]);
    assert_eq!(screen.take(), b"x\r\n^\\^Z");
}

#[test]
fn noflsh_keeps_input_and_isig_off_makes_signal_characters_ordinary() {
    let (tty, _screen) = terminal();
    let pgid = test_hooks::fresh_pgid();
    tty.set_foreground_pgrp(pgid);
    set(&tty, |t| t.c_lflag |= NOFLSH);
    typed(&tty, b"keep\x03\n");
    assert_eq!(test_hooks::signals_to(pgid), [SIGINT]);
    assert_eq!(read(&tty, 100), Ok(b"keep\n".to_vec()));
    set(&tty, |t| t.c_lflag &= !ISIG);
    typed(&tty, b"\x03\n");
    assert_eq!(read(&tty, 100), Ok(b"\x03\n".to_vec()));
    assert_eq!(test_hooks::signals_to(pgid), [SIGINT]);
}

#[test]
fn literal_next_quotes_a_special_character() {
    let (tty, screen) = terminal();
    let pgid = test_hooks::fresh_pgid();
    tty.set_foreground_pgrp(pgid);
    typed(&tty, b"\x16\x03\n");
    assert_eq!(read(&tty, 100), Ok(b"\x03\n".to_vec()));
    assert!(test_hooks::signals_to(pgid).is_empty());
    assert_eq!(screen.take(), b"^\x08^C\r\n");
}

#[test]
fn input_mapping_follows_iflag() {
    let (tty, _screen) = terminal();
    set(&tty, |t| t.c_iflag = (t.c_iflag & !ICRNL) | IGNCR);
    typed(&tty, b"a\rb\n");
    assert_eq!(read(&tty, 100), Ok(b"ab\n".to_vec()), "IGNCR drops CR");
    set(&tty, |t| {
        t.c_iflag = (t.c_iflag & !IGNCR) | INLCR;
        t.c_cc[VEOL] = b';';
    });
    typed(&tty, b"x\ny;");
    assert_eq!(read(&tty, 100), Ok(b"x\ry;".to_vec()), "INLCR turns NL to CR; VEOL ends the line");
}

#[test]
fn echo_off_still_edits_and_echonl_shows_newlines() {
    let (tty, screen) = terminal();
    set(&tty, |t| t.c_lflag = (t.c_lflag & !ECHO) | ECHONL);
    typed(&tty, b"secret\x7fT\n");
    assert_eq!(screen.take(), b"\r\n");
    assert_eq!(read(&tty, 100), Ok(b"secreT\n".to_vec()));
}

#[test]
fn a_full_line_keeps_room_for_its_end() {
    let (tty, _screen) = terminal();
    set(&tty, |t| t.c_lflag &= !ECHO);
    typed(&tty, &vec![b'y'; 5000]);
    typed(&tty, b"\n");
    let line = read(&tty, 8192).expect("a line");
    assert_eq!(line.len(), 4096);
    assert!(line[..4095].iter().all(|&b| b == b'y'));
    assert_eq!(line[4095], b'\n');
}

#[test]
fn raw_mode_returns_bytes_at_once() {
    let (tty, screen) = terminal();
    set(&tty, raw(1, 0));
    assert_eq!(read(&tty, 10), Err(Errno::EAGAIN), "VMIN=1 waits for a byte");
    let key = tty.wait_key();
    let before = test_hooks::wakes(key);
    typed(&tty, b"q\x7f");
    assert_eq!(test_hooks::wakes(key), before + 2);
    assert!(tty.poll().contains(PollEvents::IN));
    assert_eq!(read(&tty, 10), Ok(b"q\x7f".to_vec()), "no line editing in raw mode");
    assert!(screen.take().is_empty(), "no echo");

    set(&tty, raw(0, 0));
    assert_eq!(read(&tty, 10), Ok(Vec::new()), "VMIN=0 VTIME=0 polls: 0, not EAGAIN");

    set(&tty, raw(3, 0));
    typed(&tty, b"ab");
    assert!(!tty.poll().contains(PollEvents::IN), "poll wants VMIN bytes");
    assert_eq!(read(&tty, 10), Err(Errno::EAGAIN));
    let mut small = [0u8; 2];
    assert_eq!(tty.read(&mut &mut small[..], false), Ok(2), "VMIN is capped by the buffer");
    typed(&tty, b"c");
    let mut store = [0u8; 10];
    assert_eq!(tty.read(&mut &mut store[..], true), Ok(1), "O_NONBLOCK takes what is there");
}

#[test]
fn vtime_waits_are_bounded_by_the_kernel_timer() {
    let (tty, _screen) = terminal();
    set(&tty, raw(0, 5));
    assert_eq!(tty.read_timeout(), Some(5));
    assert_eq!(read(&tty, 10), Err(Errno::EAGAIN));
    let mut store = [0u8; 10];
    assert_eq!(tty.read_expired(&mut &mut store[..]), Ok(0), "VMIN=0: the timeout returns 0");
    set(&tty, raw(4, 5));
    assert_eq!(tty.read_expired(&mut &mut store[..]), Err(Errno::EAGAIN), "VMIN>0: nothing yet, keep waiting");
    typed(&tty, b"zz");
    assert_eq!(tty.read_expired(&mut &mut store[..]), Ok(2));
    set(&tty, |t| t.c_lflag |= ICANON);
    assert_eq!(tty.read_timeout(), None);
}

#[test]
fn leaving_canonical_mode_releases_the_partial_line() {
    let (tty, _screen) = terminal();
    typed(&tty, b"half");
    set(&tty, raw(1, 0));
    assert_eq!(read(&tty, 10), Ok(b"half".to_vec()));
    typed(&tty, b"raw");
    set(&tty, |t| t.c_lflag |= ICANON);
    assert_eq!(read(&tty, 10), Ok(b"raw".to_vec()), "raw input stays readable back in canonical mode");
}

#[test]
fn a_long_write_pauses_between_chunks_and_ends_when_told() {
    let (tty, screen) = terminal();
    let data = vec![b'x'; 1000];
    let pauses = Mutex::new(0);
    let pause = || {
        *pauses.lock() += 1;
        false
    };
    assert_eq!(tty.write_pausing(&mut &data[..], &pause), Ok(1000));
    assert_eq!(*pauses.lock(), 3, "a pause before each chunk but the first (256 bytes each)");
    assert_eq!(screen.take().len(), 1000);
    // A signal arrives during the write: it ends with the chunks written.
    assert_eq!(tty.write_pausing(&mut &data[..], &|| true), Ok(256));
    assert_eq!(screen.take().len(), 256);
}

#[test]
fn output_processing_follows_oflag() {
    let (tty, screen) = terminal();
    assert_eq!(tty.write(&mut &b"a\nb\n"[..]), Ok(4));
    assert_eq!(screen.take(), b"a\r\nb\r\n");
    set(&tty, |t| t.c_oflag |= OCRNL | ONOCR);
    assert_eq!(tty.write(&mut &b"\rx\r"[..]), Ok(3));
    assert_eq!(screen.take(), b"x\n", "ONOCR drops a CR at column 0, OCRNL maps the other");
    set(&tty, |t| t.c_oflag &= !OPOST);
    assert_eq!(tty.write(&mut &b"a\nb"[..]), Ok(3));
    assert_eq!(screen.take(), b"a\nb");
}

#[test]
fn termios_round_trips_through_the_ioctls() {
    let (tty, _screen) = terminal();
    let mut t = Termios::default();
    assert_eq!(tty.ioctl(TCGETS, &mut t as *mut Termios as usize), Ok(0));
    assert_eq!(t, Termios::LINUX_DEFAULT);
    t.c_lflag &= !(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 7;
    t.c_cflag = B115200 | CS8 | CREAD;
    assert_eq!(tty.ioctl(TCSETS, &t as *const Termios as usize), Ok(0));
    let mut back = Termios::default();
    assert_eq!(tty.ioctl(TCGETS, &mut back as *mut Termios as usize), Ok(0));
    assert_eq!(back, t);
    assert_eq!(tty.ioctl(TCGETS, 0), Err(Errno::EFAULT));

    typed(&tty, b"gone");
    t.c_lflag |= ICANON;
    assert_eq!(tty.ioctl(TCSETSF, &t as *const Termios as usize), Ok(0));
    assert_eq!(tty.readable_count(), 0, "TCSETSF discards input");
}

#[test]
fn window_size_process_group_and_queue_ioctls() {
    let (tty, _screen) = terminal();
    let pgid = test_hooks::fresh_pgid();
    assert_eq!(tty.ioctl(TIOCSPGRP, &pgid as *const i32 as usize), Ok(0));
    let mut got: i32 = 0;
    assert_eq!(tty.ioctl(TIOCGPGRP, &mut got as *mut i32 as usize), Ok(0));
    assert_eq!(got, pgid);
    assert_eq!(tty.ioctl(TIOCSPGRP, &-5i32 as *const i32 as usize), Err(Errno::EINVAL));

    let mut ws = Winsize::default();
    assert_eq!(tty.ioctl(TIOCGWINSZ, &mut ws as *mut Winsize as usize), Ok(0));
    assert_eq!((ws.ws_row, ws.ws_col), (24, 80));
    let bigger = Winsize { ws_row: 50, ws_col: 132, ws_xpixel: 0, ws_ypixel: 0 };
    assert_eq!(tty.ioctl(TIOCSWINSZ, &bigger as *const Winsize as usize), Ok(0));
    assert_eq!(tty.ioctl(TIOCSWINSZ, &bigger as *const Winsize as usize), Ok(0));
    assert_eq!(tty.winsize(), bigger);
    assert_eq!(test_hooks::signals_to(pgid), [SIGWINCH], "only a change signals");

    typed(&tty, b"12\n3");
    let mut n: i32 = -1;
    assert_eq!(tty.ioctl(FIONREAD, &mut n as *mut i32 as usize), Ok(0));
    assert_eq!(n, 3, "a finished line counts, the line being edited does not");
    assert_eq!(tty.ioctl(TCFLSH, 99), Err(Errno::EINVAL));
    assert_eq!(tty.ioctl(TCFLSH, TCIFLUSH as usize), Ok(0));
    assert_eq!(tty.readable_count(), 0);
    for accepted in [TIOCSCTTY, TIOCNOTTY, TCXONC, TCSBRK, TCSBRKP] {
        assert_eq!(tty.ioctl(accepted, 0), Ok(0), "{accepted:#x}");
    }
    assert_eq!(tty.ioctl(TCXONC, 9), Err(Errno::EINVAL));
    assert_eq!(tty.ioctl(0x5432, 0), Err(Errno::ENOTTY));
}

/// An output that types a key whenever the terminal emits, as an input
/// interrupt would while the terminal's lock is held.
struct Interrupting {
    tty: Mutex<Weak<Tty>>,
    shown: Mutex<Vec<u8>>,
}

impl TtyOutput for Interrupting {
    fn emit(&self, bytes: &[u8]) {
        self.shown.lock().extend_from_slice(bytes);
        if bytes.contains(&b'!')
            && let Some(tty) = self.tty.lock().upgrade()
        {
            tty.receive(b'k');
        }
    }
}

#[test]
fn input_arriving_while_locked_is_processed_on_release() {
    test_hooks::install();
    let out = Arc::new(Interrupting { tty: Mutex::new(Weak::new()), shown: Mutex::new(Vec::new()) });
    let tty = Arc::new(Tty::new(out.clone()));
    *out.tty.lock() = Arc::downgrade(&tty);
    assert_eq!(tty.write(&mut &b"!"[..]), Ok(1));
    assert_eq!(*out.shown.lock(), b"!k", "the parked key was echoed once the write let go");
    typed(&tty, b"\n");
    assert_eq!(read(&tty, 10), Ok(b"k\n".to_vec()));
}

/// A sleeper that, instead of sleeping, types the next scripted keys (the
/// "interrupt" that would have woken the reader).
struct Typist {
    tty: Arc<Tty>,
    script: Mutex<Vec<&'static [u8]>>,
    sleeps: Mutex<usize>,
}

impl Sleeper for Typist {
    fn sleep(&self, key: u64, ready: &dyn Fn() -> bool, _timeout: Option<u32>) -> Result<bool, Errno> {
        assert_eq!(key, self.tty.wait_key());
        assert!(!ready(), "the console sleeps only when the read would wait");
        *self.sleeps.lock() += 1;
        let next = self.script.lock().pop().ok_or(Errno::EINTR)?;
        typed(&self.tty, next);
        Ok(false)
    }
}

#[test]
fn the_console_sleeps_until_a_line_arrives() {
    let (tty, screen) = terminal();
    let tty = Arc::new(tty);
    let typist =
        Arc::new(Typist { tty: tty.clone(), script: Mutex::new(vec![b"lo\n", b"hel"]), sleeps: Mutex::new(0) });
    let console = TtyConsole::new(tty.clone(), typist.clone());
    let mut store = [0u8; 32];
    assert_eq!(console.read(&mut &mut store[..], false), Ok(6));
    assert_eq!(&store[..6], b"hello\n");
    assert_eq!(*typist.sleeps.lock(), 2);
    assert_eq!(console.read(&mut &mut store[..], true), Err(Errno::EAGAIN), "O_NONBLOCK never sleeps");
    assert_eq!(console.read(&mut &mut store[..], false), Err(Errno::EINTR), "a signal ends the wait");
    assert_eq!(console.write(&mut &b"ok\n"[..]), Ok(3));
    assert!(screen.take().ends_with(b"ok\r\n"));
    let mut t = Termios::default();
    assert_eq!(console.ioctl(TCGETS, &mut t as *mut Termios as usize), Ok(0));
    assert_eq!(t, Termios::LINUX_DEFAULT);
}
