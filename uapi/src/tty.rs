//! Terminal ioctls and `struct termios` as the TCGETS family uses them on
//! x86-64 (asm-generic/ioctls.h, asm-generic/termbits.h,
//! asm-generic/termbits-common.h). This is the kernel's termios, not glibc's
//! larger one with speed fields: libc converts between them.

/// ioctl request numbers are `unsigned int` in Linux.
pub type IoctlCmd = u32;

pub const TCGETS: IoctlCmd = 0x5401;
pub const TCSETS: IoctlCmd = 0x5402;
/// TCSETS after the output drains (tcsetattr TCSADRAIN).
pub const TCSETSW: IoctlCmd = 0x5403;
/// TCSETS after draining output and discarding input (tcsetattr TCSAFLUSH).
pub const TCSETSF: IoctlCmd = 0x5404;
pub const TCSBRK: IoctlCmd = 0x5409;
pub const TCXONC: IoctlCmd = 0x540A;
pub const TCFLSH: IoctlCmd = 0x540B;
pub const TIOCSCTTY: IoctlCmd = 0x540E;
pub const TIOCGPGRP: IoctlCmd = 0x540F;
pub const TIOCSPGRP: IoctlCmd = 0x5410;
pub const TIOCOUTQ: IoctlCmd = 0x5411;
pub const TIOCGWINSZ: IoctlCmd = 0x5413;
pub const TIOCSWINSZ: IoctlCmd = 0x5414;
pub const FIONREAD: IoctlCmd = 0x541B;
pub const FIONBIO: IoctlCmd = 0x5421;
pub const TIOCNOTTY: IoctlCmd = 0x5422;
/// tcsendbreak with a duration.
pub const TCSBRKP: IoctlCmd = 0x5425;
pub const TIOCGSID: IoctlCmd = 0x5429;
pub const FIONCLEX: IoctlCmd = 0x5450;
pub const FIOCLEX: IoctlCmd = 0x5451;
pub const FIOASYNC: IoctlCmd = 0x5452;

/// Every ioctl above with its name, for strace-style decoding.
pub const IOCTL_NAMES: [(IoctlCmd, &str); 21] = [
    (TCGETS, "TCGETS"),
    (TCSETS, "TCSETS"),
    (TCSETSW, "TCSETSW"),
    (TCSETSF, "TCSETSF"),
    (TCSBRK, "TCSBRK"),
    (TCXONC, "TCXONC"),
    (TCFLSH, "TCFLSH"),
    (TIOCSCTTY, "TIOCSCTTY"),
    (TIOCGPGRP, "TIOCGPGRP"),
    (TIOCSPGRP, "TIOCSPGRP"),
    (TIOCOUTQ, "TIOCOUTQ"),
    (TIOCGWINSZ, "TIOCGWINSZ"),
    (TIOCSWINSZ, "TIOCSWINSZ"),
    (FIONREAD, "FIONREAD"),
    (FIONBIO, "FIONBIO"),
    (TIOCNOTTY, "TIOCNOTTY"),
    (TIOCGSID, "TIOCGSID"),
    (FIONCLEX, "FIONCLEX"),
    (FIOCLEX, "FIOCLEX"),
    (FIOASYNC, "FIOASYNC"),
    (TCSBRKP, "TCSBRKP"),
];

/// Number of control characters in the kernel's termios.
pub const NCCS: usize = 19;

/// `struct termios` of TCGETS/TCSETS*.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Termios {
    pub c_iflag: u32,
    pub c_oflag: u32,
    pub c_cflag: u32,
    pub c_lflag: u32,
    pub c_line: u8,
    pub c_cc: [u8; NCCS],
}

impl Termios {
    /// Linux's `tty_std_termios`: what a fresh terminal (and `stty sane`)
    /// starts with, cooked mode with echo.
    pub const LINUX_DEFAULT: Termios = Termios {
        c_iflag: ICRNL | IXON,
        c_oflag: OPOST | ONLCR,
        c_cflag: B38400 | CS8 | CREAD | HUPCL,
        c_lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
        c_line: 0,
        // INIT_C_CC: ^C ^\ DEL ^U ^D, time 0, min 1, swtc 0, ^Q ^S ^Z, eol 0,
        // ^R ^O ^W ^V, eol2 0.
        c_cc: [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0],
    };
}

/// `struct winsize` of TIOCGWINSZ/TIOCSWINSZ.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Winsize {
    pub ws_row: u16,
    pub ws_col: u16,
    pub ws_xpixel: u16,
    pub ws_ypixel: u16,
}

// c_cc indices.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSWTC: usize = 7;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VDISCARD: usize = 13;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;

// c_iflag bits.
pub const IGNBRK: u32 = 0x001;
pub const BRKINT: u32 = 0x002;
pub const IGNPAR: u32 = 0x004;
pub const PARMRK: u32 = 0x008;
pub const INPCK: u32 = 0x010;
pub const ISTRIP: u32 = 0x020;
pub const INLCR: u32 = 0x040;
pub const IGNCR: u32 = 0x080;
pub const ICRNL: u32 = 0x100;
pub const IUCLC: u32 = 0x0200;
pub const IXON: u32 = 0x0400;
pub const IXANY: u32 = 0x800;
pub const IXOFF: u32 = 0x1000;
pub const IMAXBEL: u32 = 0x2000;
pub const IUTF8: u32 = 0x4000;

// c_oflag bits.
pub const OPOST: u32 = 0x01;
pub const OLCUC: u32 = 0x02;
pub const ONLCR: u32 = 0x04;
pub const OCRNL: u32 = 0x08;
pub const ONOCR: u32 = 0x10;
pub const ONLRET: u32 = 0x20;
pub const OFILL: u32 = 0x40;
pub const OFDEL: u32 = 0x80;

// c_cflag bits.
pub const CBAUD: u32 = 0x0000_100f;
pub const B0: u32 = 0x0;
pub const B9600: u32 = 0x0000_000d;
pub const B38400: u32 = 0x0000_000f;
pub const B115200: u32 = 0x0000_1002;
pub const CSIZE: u32 = 0x0000_0030;
pub const CS5: u32 = 0x0000_0000;
pub const CS6: u32 = 0x0000_0010;
pub const CS7: u32 = 0x0000_0020;
pub const CS8: u32 = 0x0000_0030;
pub const CSTOPB: u32 = 0x0000_0040;
pub const CREAD: u32 = 0x0000_0080;
pub const PARENB: u32 = 0x0000_0100;
pub const PARODD: u32 = 0x0000_0200;
pub const HUPCL: u32 = 0x0000_0400;
pub const CLOCAL: u32 = 0x0000_0800;
pub const CRTSCTS: u32 = 0x8000_0000;

// c_lflag bits.
pub const ISIG: u32 = 0x00001;
pub const ICANON: u32 = 0x00002;
pub const XCASE: u32 = 0x00004;
pub const ECHO: u32 = 0x00008;
pub const ECHOE: u32 = 0x00010;
pub const ECHOK: u32 = 0x00020;
pub const ECHONL: u32 = 0x00040;
pub const NOFLSH: u32 = 0x00080;
pub const TOSTOP: u32 = 0x00100;
pub const ECHOCTL: u32 = 0x00200;
pub const ECHOPRT: u32 = 0x00400;
pub const ECHOKE: u32 = 0x00800;
pub const FLUSHO: u32 = 0x01000;
pub const PENDIN: u32 = 0x04000;
pub const IEXTEN: u32 = 0x08000;
pub const EXTPROC: u32 = 0x10000;

// TCFLSH arguments.
pub const TCIFLUSH: u32 = 0;
pub const TCOFLUSH: u32 = 1;
pub const TCIOFLUSH: u32 = 2;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use core::mem::{offset_of, size_of};

    #[test]
    fn numbers_match_the_linux_headers() {
        let defs = defines(&[
            "/usr/include/asm-generic/ioctls.h",
            "/usr/include/asm-generic/termbits-common.h",
            "/usr/include/asm-generic/termbits.h",
        ]);
        for (cmd, name) in IOCTL_NAMES {
            assert_same(&defs, name, cmd as i128);
        }
        let indices = [
            ("VINTR", VINTR),
            ("VQUIT", VQUIT),
            ("VERASE", VERASE),
            ("VKILL", VKILL),
            ("VEOF", VEOF),
            ("VTIME", VTIME),
            ("VMIN", VMIN),
            ("VSWTC", VSWTC),
            ("VSTART", VSTART),
            ("VSTOP", VSTOP),
            ("VSUSP", VSUSP),
            ("VEOL", VEOL),
            ("VREPRINT", VREPRINT),
            ("VDISCARD", VDISCARD),
            ("VWERASE", VWERASE),
            ("VLNEXT", VLNEXT),
            ("VEOL2", VEOL2),
            ("NCCS", NCCS),
        ];
        for (name, value) in indices {
            assert_same(&defs, name, value as i128);
        }
        let bits = [
            ("IGNBRK", IGNBRK),
            ("BRKINT", BRKINT),
            ("IGNPAR", IGNPAR),
            ("PARMRK", PARMRK),
            ("INPCK", INPCK),
            ("ISTRIP", ISTRIP),
            ("INLCR", INLCR),
            ("IGNCR", IGNCR),
            ("ICRNL", ICRNL),
            ("IUCLC", IUCLC),
            ("IXON", IXON),
            ("IXANY", IXANY),
            ("IXOFF", IXOFF),
            ("IMAXBEL", IMAXBEL),
            ("IUTF8", IUTF8),
            ("OPOST", OPOST),
            ("OLCUC", OLCUC),
            ("ONLCR", ONLCR),
            ("OCRNL", OCRNL),
            ("ONOCR", ONOCR),
            ("ONLRET", ONLRET),
            ("OFILL", OFILL),
            ("OFDEL", OFDEL),
            ("CBAUD", CBAUD),
            ("B0", B0),
            ("B9600", B9600),
            ("B38400", B38400),
            ("B115200", B115200),
            ("CSIZE", CSIZE),
            ("CS5", CS5),
            ("CS6", CS6),
            ("CS7", CS7),
            ("CS8", CS8),
            ("CSTOPB", CSTOPB),
            ("CREAD", CREAD),
            ("PARENB", PARENB),
            ("PARODD", PARODD),
            ("HUPCL", HUPCL),
            ("CLOCAL", CLOCAL),
            ("CRTSCTS", CRTSCTS),
            ("ISIG", ISIG),
            ("ICANON", ICANON),
            ("XCASE", XCASE),
            ("ECHO", ECHO),
            ("ECHOE", ECHOE),
            ("ECHOK", ECHOK),
            ("ECHONL", ECHONL),
            ("NOFLSH", NOFLSH),
            ("TOSTOP", TOSTOP),
            ("ECHOCTL", ECHOCTL),
            ("ECHOPRT", ECHOPRT),
            ("ECHOKE", ECHOKE),
            ("FLUSHO", FLUSHO),
            ("PENDIN", PENDIN),
            ("IEXTEN", IEXTEN),
            ("EXTPROC", EXTPROC),
            ("TCIFLUSH", TCIFLUSH),
            ("TCOFLUSH", TCOFLUSH),
            ("TCIOFLUSH", TCIOFLUSH),
        ];
        for (name, value) in bits {
            assert_same(&defs, name, value as i128);
        }
    }

    #[test]
    fn layouts_match_x86_64_linux() {
        assert_eq!(size_of::<Termios>(), 36);
        assert_eq!(offset_of!(Termios, c_line), 16);
        assert_eq!(offset_of!(Termios, c_cc), 17);
        assert_eq!(size_of::<Winsize>(), 8);
    }

    #[test]
    fn the_default_terminal_is_cooked_with_echo() {
        let t = Termios::LINUX_DEFAULT;
        assert_ne!(t.c_lflag & ICANON, 0);
        assert_ne!(t.c_lflag & ECHO, 0);
        assert_eq!(t.c_cc[VINTR], 0x03);
        assert_eq!(t.c_cc[VERASE], 0x7f);
        assert_eq!(t.c_cc[VEOF], 0x04);
        assert_eq!(t.c_cc[VMIN], 1);
        assert_eq!(t.c_cc[VSUSP], 0x1a);
        // Linux prints it as "speed 38400 baud; ... -parenb cs8" in stty.
        assert_eq!(t.c_cflag & CSIZE, CS8);
        assert_eq!(t.c_cflag & CBAUD, B38400);
    }
}
