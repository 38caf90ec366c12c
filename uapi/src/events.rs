//! Event files: epoll (linux/eventpoll.h), eventfd (sys/eventfd.h) and
//! timerfd (linux/timerfd.h), with x86-64's `struct epoll_event` layout.

use crate::fs::{O_CLOEXEC, O_NONBLOCK};

pub use crate::time::Itimerspec;

/// epoll_create1 flag.
pub const EPOLL_CLOEXEC: u32 = O_CLOEXEC;

/// epoll_ctl operations.
pub const EPOLL_CTL_ADD: i32 = 1;
pub const EPOLL_CTL_DEL: i32 = 2;
pub const EPOLL_CTL_MOD: i32 = 3;

/// Event bits: the low ones are poll(2)'s (asm-generic/poll.h), the high
/// ones are flags that change how an interest reports.
pub const EPOLLIN: u32 = 0x0000_0001;
pub const EPOLLPRI: u32 = 0x0000_0002;
pub const EPOLLOUT: u32 = 0x0000_0004;
pub const EPOLLERR: u32 = 0x0000_0008;
pub const EPOLLHUP: u32 = 0x0000_0010;
pub const EPOLLNVAL: u32 = 0x0000_0020;
pub const EPOLLRDNORM: u32 = 0x0000_0040;
pub const EPOLLRDBAND: u32 = 0x0000_0080;
pub const EPOLLWRNORM: u32 = 0x0000_0100;
pub const EPOLLWRBAND: u32 = 0x0000_0200;
pub const EPOLLMSG: u32 = 0x0000_0400;
pub const EPOLLRDHUP: u32 = 0x0000_2000;
pub const EPOLL_URING_WAKE: u32 = 1 << 27;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;

/// The bits an EPOLLEXCLUSIVE interest may carry (Linux's EPOLLEXCLUSIVE_OK_BITS).
pub const EPOLLEXCLUSIVE_OK_BITS: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/// How deep epoll instances may watch each other (Linux's EP_MAX_NESTS).
pub const EP_MAX_NESTS: usize = 4;

/// `struct epoll_event`. x86-64 packs it (EPOLL_PACKED), so `data` sits at
/// offset 4 and the array user space passes has a 12-byte stride.
#[repr(C, packed)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

impl EpollEvent {
    pub const SIZE: usize = 12;

    /// The bytes user memory holds for this event.
    pub fn to_bytes(self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        let (events, data) = (self.events, self.data);
        out[..4].copy_from_slice(&events.to_le_bytes());
        out[4..].copy_from_slice(&data.to_le_bytes());
        out
    }

    pub fn from_bytes(bytes: [u8; Self::SIZE]) -> Self {
        let [e0, e1, e2, e3, d @ ..] = bytes;
        EpollEvent { events: u32::from_le_bytes([e0, e1, e2, e3]), data: u64::from_le_bytes(d) }
    }
}

/// The most events one epoll_wait may ask for (Linux's EP_MAX_EVENTS):
/// more is EINVAL.
pub const EP_MAX_EVENTS: usize = i32::MAX as usize / EpollEvent::SIZE;

/// eventfd2 flags.
pub const EFD_SEMAPHORE: u32 = 1;
pub const EFD_CLOEXEC: u32 = O_CLOEXEC;
pub const EFD_NONBLOCK: u32 = O_NONBLOCK;

/// The largest value an eventfd counter holds; a write that would pass it waits.
pub const EFD_MAX_COUNT: u64 = 0xffff_ffff_ffff_fffe;

/// timerfd_create flags.
pub const TFD_CLOEXEC: u32 = O_CLOEXEC;
pub const TFD_NONBLOCK: u32 = O_NONBLOCK;

/// timerfd_settime flags.
pub const TFD_TIMER_ABSTIME: u32 = 1 << 0;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 1 << 1;

/// `_IOW('T', 0, __u64)`: sets a timerfd's expiration count (CRIU restore).
pub const TFD_IOC_SET_TICKS: u32 = 0x4008_5400;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use core::mem::{offset_of, size_of};

    /// The header casts every EPOLL* value to `__poll_t`, which the define
    /// reader does not evaluate; this copy without the casts is what it reads.
    fn eventpoll_without_casts() -> String {
        let text = std::fs::read_to_string("/usr/include/linux/eventpoll.h")
            .unwrap_or_else(|_| panic!("/usr/include/linux/eventpoll.h missing: install linux-libc-dev"));
        let path = std::env::temp_dir().join(format!("ringo-eventpoll-{}.h", std::process::id()));
        std::fs::write(&path, text.replace("(__poll_t)", "")).expect("write the temporary header");
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn epoll_and_timerfd_numbers_match_the_linux_headers() {
        let eventpoll = eventpoll_without_casts();
        let defs = defines(&["/usr/include/asm-generic/fcntl.h", &eventpoll, "/usr/include/linux/timerfd.h"]);
        let _ = std::fs::remove_file(&eventpoll);
        for (name, value) in [
            ("EPOLL_CLOEXEC", EPOLL_CLOEXEC),
            ("EPOLLIN", EPOLLIN),
            ("EPOLLPRI", EPOLLPRI),
            ("EPOLLOUT", EPOLLOUT),
            ("EPOLLERR", EPOLLERR),
            ("EPOLLHUP", EPOLLHUP),
            ("EPOLLNVAL", EPOLLNVAL),
            ("EPOLLRDNORM", EPOLLRDNORM),
            ("EPOLLRDBAND", EPOLLRDBAND),
            ("EPOLLWRNORM", EPOLLWRNORM),
            ("EPOLLWRBAND", EPOLLWRBAND),
            ("EPOLLMSG", EPOLLMSG),
            ("EPOLLRDHUP", EPOLLRDHUP),
            ("EPOLL_URING_WAKE", EPOLL_URING_WAKE),
            ("EPOLLEXCLUSIVE", EPOLLEXCLUSIVE),
            ("EPOLLWAKEUP", EPOLLWAKEUP),
            ("EPOLLONESHOT", EPOLLONESHOT),
            ("EPOLLET", EPOLLET),
            ("TFD_TIMER_ABSTIME", TFD_TIMER_ABSTIME),
            ("TFD_TIMER_CANCEL_ON_SET", TFD_TIMER_CANCEL_ON_SET),
            ("TFD_CLOEXEC", TFD_CLOEXEC),
            ("TFD_NONBLOCK", TFD_NONBLOCK),
        ] {
            assert_same(&defs, name, value as i128);
        }
        for (name, value) in
            [("EPOLL_CTL_ADD", EPOLL_CTL_ADD), ("EPOLL_CTL_DEL", EPOLL_CTL_DEL), ("EPOLL_CTL_MOD", EPOLL_CTL_MOD)]
        {
            assert_same(&defs, name, value as i128);
        }
    }

    /// glibc declares the EFD_* flags as enumerators (`EFD_SEMAPHORE = 00000001`),
    /// which the define reader skips, so they are read here.
    #[test]
    fn eventfd_flags_match_glibc() {
        let path = "/usr/include/x86_64-linux-gnu/bits/eventfd.h";
        let text = std::fs::read_to_string(path).unwrap_or_else(|_| panic!("{path} missing: install libc6-dev"));
        let value_of = |name: &str| {
            let line = text
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with(name) && l.contains('='))
                .unwrap_or_else(|| panic!("{name} not in {path}"));
            let digits = line.split('=').nth(1).unwrap_or("").trim().trim_end_matches(',');
            let parsed = if digits.len() > 1 && digits.starts_with('0') {
                u32::from_str_radix(&digits[1..], 8)
            } else {
                digits.parse()
            };
            parsed.unwrap_or_else(|_| panic!("{name}: cannot read {digits:?}"))
        };
        assert_eq!(value_of("EFD_SEMAPHORE"), EFD_SEMAPHORE);
        assert_eq!(value_of("EFD_CLOEXEC"), EFD_CLOEXEC);
        assert_eq!(value_of("EFD_NONBLOCK"), EFD_NONBLOCK);
    }

    #[test]
    fn epoll_event_is_packed_like_x86_64() {
        assert_eq!(size_of::<EpollEvent>(), 12);
        assert_eq!(offset_of!(EpollEvent, data), 4);
        let ev = EpollEvent { events: EPOLLIN | EPOLLET, data: 0x1122_3344_5566_7788 };
        let bytes = ev.to_bytes();
        assert_eq!(bytes, [0x01, 0, 0, 0x80, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
        assert_eq!(EpollEvent::from_bytes(bytes), ev);
        assert_eq!(EP_MAX_EVENTS, 178_956_970);
        assert_eq!(size_of::<Itimerspec>(), 32);
    }

    #[test]
    fn set_ticks_ioctl_is_iow_t_0_u64() {
        // _IOW(type, nr, size) = (1 << 30) | (size << 16) | (type << 8) | nr
        assert_eq!(TFD_IOC_SET_TICKS, (1 << 30) | (8 << 16) | ((b'T' as u32) << 8));
    }
}
