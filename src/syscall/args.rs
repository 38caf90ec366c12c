//! Raw syscall registers become typed values at the boundary, so handlers
//! never see a bare `u64` where a descriptor, a user address or a path is
//! meant. Conversion itself never fails; validation happens where the value
//! is used (a bad address is EFAULT when it is read, as on Linux).

use alloc::vec;
use alloc::vec::Vec;

use ringo_uapi::Errno;

use crate::arch::uaccess;

pub trait FromArg {
    fn from_arg(raw: u64) -> Self;
}

macro_rules! plain {
    ($($t:ty),*) => { $( impl FromArg for $t { fn from_arg(raw: u64) -> Self { raw as $t } } )* };
}
plain!(u64, i64, usize, u32, i32, isize);

/// A file descriptor argument (the low 32 bits, as Linux reads `int fd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fd(pub i32);

impl FromArg for Fd {
    fn from_arg(raw: u64) -> Self {
        Fd(raw as i32)
    }
}

/// A user-space address, unchecked until used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserAddr(pub u64);

impl FromArg for UserAddr {
    fn from_arg(raw: u64) -> Self {
        UserAddr(raw)
    }
}

/// Longest path a syscall accepts (PATH_MAX, including the NUL).
pub const PATH_MAX: usize = 4096;

impl UserAddr {
    pub fn is_null(self) -> bool {
        self.0 == 0
    }

    /// `[self, self + len)` lies in user space (Linux's access_ok). Calls
    /// that may sleep check their buffers with this first, through
    /// [`crate::files::UserDst`] and [`crate::files::UserSrc`]: a kernel
    /// or wrapping address is EFAULT at once, not after the wait.
    pub fn check_range(self, len: usize) -> Result<(), Errno> {
        if uaccess::is_user_range(self.0, len) { Ok(()) } else { Err(Errno::EFAULT) }
    }

    pub fn offset(self, by: u64) -> UserAddr {
        UserAddr(self.0.wrapping_add(by))
    }

    pub fn read_bytes(self, buf: &mut [u8]) -> Result<(), Errno> {
        if uaccess::copy_from_user(buf, self.0) { Ok(()) } else { Err(Errno::EFAULT) }
    }

    pub fn write_bytes(self, buf: &[u8]) -> Result<(), Errno> {
        if uaccess::copy_to_user(self.0, buf) { Ok(()) } else { Err(Errno::EFAULT) }
    }

    pub fn zero(self, len: usize) -> Result<(), Errno> {
        if uaccess::clear_user(self.0, len) { Ok(()) } else { Err(Errno::EFAULT) }
    }

    /// Reads a plain-old-data value.
    pub fn read<T: Pod>(self) -> Result<T, Errno> {
        let mut v = T::zeroed();
        // SAFETY: T is plain old data: any byte pattern is a valid T.
        let bytes = unsafe { core::slice::from_raw_parts_mut(&mut v as *mut T as *mut u8, size_of::<T>()) };
        self.read_bytes(bytes)?;
        Ok(v)
    }

    pub fn write<T: Pod>(self, v: &T) -> Result<(), Errno> {
        // SAFETY: T is plain old data, so its bytes may be read as u8.
        let bytes = unsafe { core::slice::from_raw_parts(v as *const T as *const u8, size_of::<T>()) };
        self.write_bytes(bytes)
    }

    /// A `struct timespec` duration or deadline in nanoseconds: EINVAL
    /// unless valid, and clamped, never wrapped, past what u64 holds
    /// (u64::MAX: never), as Linux clamps to KTIME_MAX. Every timespec a
    /// syscall takes comes through here.
    pub fn read_timespec_ns(self) -> Result<u64, Errno> {
        self.read::<ringo_uapi::time::Timespec>()?.to_nanos_saturating().ok_or(Errno::EINVAL)
    }

    /// The same for a `struct timeval`.
    pub fn read_timeval_ns(self) -> Result<u64, Errno> {
        self.read::<ringo_uapi::time::Timeval>()?.to_nanos_saturating().ok_or(Errno::EINVAL)
    }

    /// select(2)'s timeval, which may spell seconds in `tv_usec`.
    pub fn read_select_timeval_ns(self) -> Result<u64, Errno> {
        let tv: ringo_uapi::time::Timeval = self.read()?;
        tv.select_timespec().to_nanos_saturating().ok_or(Errno::EINVAL)
    }

    /// A NUL-terminated string of at most `max - 1` bytes.
    pub fn read_cstr(self, max: usize) -> Result<Vec<u8>, Errno> {
        let mut buf = vec![0u8; max];
        let n = uaccess::strncpy_from_user(&mut buf, self.0).ok_or(Errno::EFAULT)?;
        if n >= max {
            return Err(Errno::ENAMETOOLONG);
        }
        buf.truncate(n);
        Ok(buf)
    }

    /// How many pointers a NULL-terminated array (argv, envp) holds;
    /// E2BIG past `max`.
    fn count_pointers(self, max: usize) -> Result<usize, Errno> {
        if self.is_null() {
            return Ok(0);
        }
        for i in 0..=max {
            let p: u64 = self.offset(8 * i as u64).read()?;
            if p == 0 {
                return Ok(i);
            }
        }
        Err(Errno::E2BIG)
    }
}

/// A list of strings copied in from user space (argv, envp).
pub type Strings = Vec<Vec<u8>>;

/// execve's argv and envp, copied in as Linux does (fs/exec.c): the
/// pointers are counted first and charged a word each, then every string
/// (at most MAX_ARG_STRLEN with its NUL) out of what is left of `space`
/// (see ringo_fs::binfmt::stack::arg_space); past it, E2BIG. Each string
/// takes the heap it needs, no more, and running out of heap is ENOMEM.
pub fn read_exec_strings(argv: UserAddr, envp: UserAddr, space: usize) -> Result<(Strings, Strings), Errno> {
    use ringo_fs::binfmt::stack::MAX_ARG_STRLEN;
    let argc = argv.count_pointers(space / 8)?;
    let envc = envp.count_pointers(space / 8)?;
    // An empty argv still gets one (empty) string.
    let pointers = (argc.max(1) + envc) * 8;
    let mut left = space.checked_sub(pointers).filter(|&l| l > 0).ok_or(Errno::E2BIG)?;
    let mut scratch = Vec::new();
    scratch.try_reserve_exact(MAX_ARG_STRLEN).map_err(|_| Errno::ENOMEM)?;
    scratch.resize(MAX_ARG_STRLEN, 0);
    let mut read_all = |array: UserAddr, count: usize| -> Result<Strings, Errno> {
        let mut out = Vec::new();
        out.try_reserve_exact(count).map_err(|_| Errno::ENOMEM)?;
        for i in 0..count {
            let p: u64 = array.offset(8 * i as u64).read()?;
            let n = uaccess::strncpy_from_user(&mut scratch, p).ok_or(Errno::EFAULT)?;
            // n == MAX_ARG_STRLEN: no NUL within the longest allowed string.
            if n >= MAX_ARG_STRLEN || n + 1 > left {
                return Err(Errno::E2BIG);
            }
            left -= n + 1;
            let mut s = Vec::new();
            s.try_reserve_exact(n).map_err(|_| Errno::ENOMEM)?;
            s.extend_from_slice(&scratch[..n]);
            out.push(s);
        }
        Ok(out)
    };
    let args = read_all(argv, argc)?;
    let env = read_all(envp, envc)?;
    Ok((args, env))
}

/// Types that may be copied to and from user memory byte for byte.
///
/// # Safety
/// Every byte pattern must be a valid value, and the type must have no
/// padding that could leak kernel memory when written out (or the writer
/// must zero it).
pub unsafe trait Pod: Copy {
    fn zeroed() -> Self {
        // SAFETY: the trait's contract: all-zero bytes are a valid value.
        unsafe { core::mem::zeroed() }
    }
}

// SAFETY: integers: every bit pattern is valid, no padding.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for i64 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: u32 flags, a u8 and a byte array: no padding, any value valid.
unsafe impl Pod for ringo_uapi::tty::Termios {}
// SAFETY: four u16: no padding, any value valid.
unsafe impl Pod for ringo_uapi::tty::Winsize {}
// SAFETY: the uapi file structures spell their padding as fields.
unsafe impl Pod for ringo_uapi::fs::Stat {}
// SAFETY: as above.
unsafe impl Pod for ringo_uapi::fs::Statx {}
// SAFETY: as above.
unsafe impl Pod for ringo_uapi::fs::Statfs {}
// SAFETY: two i64: no padding, any value valid.
unsafe impl Pod for ringo_uapi::time::Timespec {}
// SAFETY: as above.
unsafe impl Pod for ringo_uapi::time::Timeval {}
// SAFETY: four i64 (two timespecs): no padding, any value valid.
unsafe impl Pod for ringo_uapi::time::Itimerspec {}
// SAFETY: arrays of Pod are Pod.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}
// SAFETY: plain integers, every bit pattern valid; padding fields are
// named, so the structure has no uninitialised bytes.
unsafe impl Pod for ringo_uapi::net::Msghdr {}
