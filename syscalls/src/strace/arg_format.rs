//! One argument, shown according to its kind.

use super::escape::write_escaped;
use super::flag_names::*;
use super::user_memory::{BYTES_MAX, STR_MAX, UserMemory, read_bytes, read_c_string};
use crate::linux_flags::{AT_FDCWD, CSIGNAL, FUTEX_CLOCK_REALTIME, FUTEX_PRIVATE_FLAG, O_ACCMODE};
use crate::signature::ArgKind;
use core::fmt::{self, Write};

/// Writes `value` as `kind`. `next` is the following argument, the length
/// of a `Bytes` buffer.
pub fn write_arg(out: &mut impl Write, kind: ArgKind, value: u64, next: u64, mem: &dyn UserMemory) -> fmt::Result {
    // int-typed arguments live in the low 32 bits; the upper half is
    // whatever the caller left in the register.
    let int = value as u32 as i32;
    match kind {
        ArgKind::Int | ArgKind::Fd => write!(out, "{int}"),
        ArgKind::Uint => write!(out, "{}", value as u32),
        ArgKind::Long => write!(out, "{}", value as i64),
        ArgKind::Size => write!(out, "{value}"),
        ArgKind::Hex => write_hex(out, value),
        ArgKind::Ptr | ArgKind::Buf => write_ptr(out, value),
        ArgKind::Dirfd if int == AT_FDCWD => out.write_str("AT_FDCWD"),
        ArgKind::Dirfd => write!(out, "{int}"),
        ArgKind::Str => write_string(out, value, mem),
        ArgKind::Bytes => write_data(out, value, next, mem),
        ArgKind::Octal => write_octal(out, value as u32),
        ArgKind::OpenFlags => {
            write_enum(out, value & O_ACCMODE, ACCESS_MODES, true)?;
            let rest = value & !O_ACCMODE;
            if rest != 0 {
                out.write_char('|')?;
                write_flags(out, rest, OPEN_FLAGS)?;
            }
            Ok(())
        }
        ArgKind::OFlags => write_flags(out, value, OPEN_FLAGS),
        ArgKind::MmapProt if value == 0 => out.write_str("PROT_NONE"),
        ArgKind::MmapProt => write_flags(out, value, MMAP_PROT),
        ArgKind::MmapFlags => {
            let kind = value & ringo_uapi::mm::MAP_TYPE;
            write_enum(out, kind, MMAP_TYPES, true)?;
            let rest = value & !ringo_uapi::mm::MAP_TYPE;
            if rest != 0 {
                out.write_char('|')?;
                write_flags(out, rest, MMAP_FLAGS)?;
            }
            Ok(())
        }
        ArgKind::MremapFlags => write_flags(out, value, MREMAP_FLAGS),
        ArgKind::Madv => write_enum(out, int as i64 as u64, MADVICE, false),
        ArgKind::AtFlags => write_flags(out, value, AT_FLAGS),
        ArgKind::UnlinkatFlags => write_flags(out, value, UNLINKAT_FLAGS),
        ArgKind::AccessMode if value == 0 => out.write_str("F_OK"),
        ArgKind::AccessMode => write_flags(out, value, ACCESS_BITS),
        ArgKind::Whence => write_enum(out, value, WHENCE, false),
        ArgKind::Clock => write_enum(out, int as i64 as u64, CLOCKS, false),
        ArgKind::Signal => write_signal(out, int),
        ArgKind::Sighow => write_enum(out, int as i64 as u64, SIGPROCMASK_HOW, false),
        ArgKind::Rlimit => match ringo_uapi::system::RLIMIT_NAMES.get(value as u32 as usize) {
            Some(name) => out.write_str(name),
            None => write!(out, "{}", value as u32),
        },
        ArgKind::FcntlCmd => write_enum(out, int as i64 as u64, FCNTL_CMDS, false),
        ArgKind::IoctlCmd => {
            let cmd = value as u32;
            match ringo_uapi::tty::IOCTL_NAMES.iter().find(|&&(c, _)| c == cmd) {
                Some((_, name)) => out.write_str(name),
                None => write!(out, "{cmd:#x}"),
            }
        }
        ArgKind::ArchPrctlCode => write_enum(out, value, ARCH_PRCTL_CODES, true),
        ArgKind::CloneFlags => write_clone_flags(out, value),
        ArgKind::FutexOp => write_futex_op(out, value as u32 as u64),
        ArgKind::AddressFamily => write_enum(out, value as u32 as u64, ADDRESS_FAMILIES, false),
        ArgKind::SockType => write_sock_type(out, value as u32 as u64),
        ArgKind::Sockaddr => write_sockaddr(out, value, next, mem),
        ArgKind::SockoptLevel => write_enum(out, int as i64 as u64, SOCKOPT_LEVELS, false),
        ArgKind::MsgFlags if value as u32 == 0 => out.write_char('0'),
        ArgKind::MsgFlags => write_flags(out, value as u32 as u64, MSG_FLAGS),
        ArgKind::ShutHow => write_enum(out, int as i64 as u64, SHUT_HOWS, false),
    }
}

fn write_hex(out: &mut impl Write, v: u64) -> fmt::Result {
    if v == 0 { out.write_char('0') } else { write!(out, "{v:#x}") }
}

fn write_ptr(out: &mut impl Write, v: u64) -> fmt::Result {
    if v == 0 { out.write_str("NULL") } else { write!(out, "{v:#x}") }
}

/// Like C's `%#03o`, which strace uses for modes: 0644, 000, 04755.
fn write_octal(out: &mut impl Write, mode: u32) -> fmt::Result {
    if mode == 0 { out.write_str("000") } else { write!(out, "0{mode:02o}") }
}

fn write_string(out: &mut impl Write, addr: u64, mem: &dyn UserMemory) -> fmt::Result {
    if addr == 0 {
        return out.write_str("NULL");
    }
    let mut buf = [0; STR_MAX];
    match read_c_string(mem, addr, &mut buf) {
        Some((text, complete)) => {
            out.write_char('"')?;
            write_escaped(out, text)?;
            out.write_char('"')?;
            if !complete {
                out.write_str("...")?;
            }
            Ok(())
        }
        None => write_ptr(out, addr),
    }
}

fn write_data(out: &mut impl Write, addr: u64, len: u64, mem: &dyn UserMemory) -> fmt::Result {
    let mut buf = [0; BYTES_MAX];
    match read_bytes(mem, addr, len, &mut buf) {
        Some(data) => {
            out.write_char('"')?;
            write_escaped(out, data)?;
            out.write_char('"')?;
            if len > BYTES_MAX as u64 {
                out.write_str("...")?;
            }
            Ok(())
        }
        None => write_ptr(out, addr),
    }
}

fn write_signal(out: &mut impl Write, sig: i32) -> fmt::Result {
    match ringo_uapi::signal::signal_name(sig) {
        Some(name) => out.write_str(name),
        None => write!(out, "{sig}"),
    }
}

/// strace's form: the CLONE_* bits, then the exit signal in the low byte.
fn write_clone_flags(out: &mut impl Write, v: u64) -> fmt::Result {
    let signal = v & CSIGNAL;
    let flags = v & !CSIGNAL;
    if flags != 0 || signal == 0 {
        write_flags(out, flags, CLONE_FLAGS)?;
    }
    if signal != 0 {
        if flags != 0 {
            out.write_char('|')?;
        }
        write_signal(out, signal as i32)?;
    }
    Ok(())
}

/// `SOCK_STREAM|SOCK_CLOEXEC`, as strace prints it.
fn write_sock_type(out: &mut impl Write, v: u64) -> fmt::Result {
    write_enum(out, v & ringo_uapi::net::SOCK_TYPE_MASK as u64, SOCK_TYPES, false)?;
    let flags = v & !(ringo_uapi::net::SOCK_TYPE_MASK as u64);
    if flags != 0 {
        out.write_char('|')?;
        write_flags(out, flags, SOCK_TYPE_FLAGS)?;
    }
    Ok(())
}

/// strace's form of a `sockaddr` of `len` bytes:
/// `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("10.0.2.15")}`.
fn write_sockaddr(out: &mut impl Write, addr: u64, len: u64, mem: &dyn UserMemory) -> fmt::Result {
    if addr == 0 {
        return out.write_str("NULL");
    }
    let mut buf = [0u8; BYTES_MAX];
    let Some(b) = read_bytes(mem, addr, len.min(16), &mut buf) else { return write_ptr(out, addr) };
    if b.len() < 2 {
        return write_ptr(out, addr);
    }
    let family = u16::from_ne_bytes([b[0], b[1]]) as u64;
    out.write_str("{sa_family=")?;
    write_enum(out, family, ADDRESS_FAMILIES, false)?;
    if family == ringo_uapi::net::AF_INET as u64 && b.len() >= 8 {
        write!(
            out,
            ", sin_port=htons({}), sin_addr=inet_addr(\"{}.{}.{}.{}\")",
            u16::from_be_bytes([b[2], b[3]]),
            b[4],
            b[5],
            b[6],
            b[7]
        )?;
    }
    out.write_char('}')
}

/// `FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME`, as strace prints it.
fn write_futex_op(out: &mut impl Write, op: u64) -> fmt::Result {
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let Some((_, name)) = FUTEX_CMDS.iter().find(|&&(c, _)| c == cmd) else {
        return write!(out, "{op:#x}");
    };
    out.write_str(name)?;
    if op & FUTEX_PRIVATE_FLAG != 0 {
        out.write_str("_PRIVATE")?;
    }
    if op & FUTEX_CLOCK_REALTIME != 0 {
        out.write_str("|FUTEX_CLOCK_REALTIME")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::user_memory::FakeMemory;
    use super::*;

    fn shown(kind: ArgKind, value: u64) -> String {
        let mem = FakeMemory { base: 0x1000, bytes: b"hello\0".to_vec() };
        let mut s = String::new();
        write_arg(&mut s, kind, value, 5, &mem).unwrap_or_default();
        s
    }

    #[test]
    fn numbers_keep_their_c_types() {
        assert_eq!(shown(ArgKind::Int, 0xffff_ffff), "-1");
        assert_eq!(shown(ArgKind::Int, 0x1234_0000_0005), "5");
        assert_eq!(shown(ArgKind::Fd, (-1i64) as u64), "-1");
        assert_eq!(shown(ArgKind::Uint, 0xffff_ffff), "4294967295");
        assert_eq!(shown(ArgKind::Long, (-2i64) as u64), "-2");
        assert_eq!(shown(ArgKind::Size, 4096), "4096");
        assert_eq!(shown(ArgKind::Hex, 0), "0");
        assert_eq!(shown(ArgKind::Hex, 255), "0xff");
        assert_eq!(shown(ArgKind::Ptr, 0), "NULL");
        assert_eq!(shown(ArgKind::Buf, 0x7fff_0000), "0x7fff0000");
    }

    #[test]
    fn descriptors_and_modes() {
        assert_eq!(shown(ArgKind::Dirfd, (-100i64) as u64), "AT_FDCWD");
        assert_eq!(shown(ArgKind::Dirfd, 0xffff_ff9c), "AT_FDCWD");
        assert_eq!(shown(ArgKind::Dirfd, 3), "3");
        assert_eq!(shown(ArgKind::Octal, 0o644), "0644");
        assert_eq!(shown(ArgKind::Octal, 0), "000");
        assert_eq!(shown(ArgKind::Octal, 0o4755), "04755");
        assert_eq!(shown(ArgKind::Octal, 0o7), "007");
        assert_eq!(shown(ArgKind::AccessMode, 0), "F_OK");
        assert_eq!(shown(ArgKind::AccessMode, 6), "R_OK|W_OK");
    }

    #[test]
    fn user_strings_and_data() {
        assert_eq!(shown(ArgKind::Str, 0x1000), "\"hello\"");
        assert_eq!(shown(ArgKind::Str, 0), "NULL");
        assert_eq!(shown(ArgKind::Str, 0x9000), "0x9000");
        assert_eq!(shown(ArgKind::Bytes, 0x1000), "\"hello\"");
        assert_eq!(shown(ArgKind::Bytes, 0x9000), "0x9000");
    }

    #[test]
    fn flags_and_commands_by_name() {
        assert_eq!(shown(ArgKind::OpenFlags, 0), "O_RDONLY");
        assert_eq!(shown(ArgKind::OpenFlags, 0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(shown(ArgKind::OpenFlags, 0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(shown(ArgKind::OpenFlags, 3), "0x3");
        assert_eq!(shown(ArgKind::OFlags, 0), "0");
        assert_eq!(shown(ArgKind::OFlags, 0o2004000), "O_NONBLOCK|O_CLOEXEC");
        assert_eq!(shown(ArgKind::MmapProt, 0), "PROT_NONE");
        assert_eq!(shown(ArgKind::MmapProt, 3), "PROT_READ|PROT_WRITE");
        assert_eq!(shown(ArgKind::MmapFlags, 0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(shown(ArgKind::MmapFlags, 0x4022), "MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE");
        assert_eq!(shown(ArgKind::MmapFlags, 0x11), "MAP_SHARED|MAP_FIXED");
        assert_eq!(shown(ArgKind::Madv, 4), "MADV_DONTNEED");
        assert_eq!(shown(ArgKind::MremapFlags, 1), "MREMAP_MAYMOVE");
        assert_eq!(shown(ArgKind::AtFlags, 0x1100), "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
        assert_eq!(shown(ArgKind::AtFlags, 0x200), "AT_EACCESS");
        assert_eq!(shown(ArgKind::UnlinkatFlags, 0x200), "AT_REMOVEDIR");
        assert_eq!(shown(ArgKind::Whence, 1), "SEEK_CUR");
        assert_eq!(shown(ArgKind::Clock, 1), "CLOCK_MONOTONIC");
        assert_eq!(shown(ArgKind::Clock, 0xffff_fffe), "-2");
        assert_eq!(shown(ArgKind::Signal, 11), "SIGSEGV");
        assert_eq!(shown(ArgKind::Signal, 0), "0");
        assert_eq!(shown(ArgKind::Sighow, 2), "SIG_SETMASK");
        assert_eq!(shown(ArgKind::Rlimit, 7), "RLIMIT_NOFILE");
        assert_eq!(shown(ArgKind::Rlimit, 99), "99");
        assert_eq!(shown(ArgKind::FcntlCmd, 1030), "F_DUPFD_CLOEXEC");
        assert_eq!(shown(ArgKind::IoctlCmd, 0x5401), "TCGETS");
        assert_eq!(shown(ArgKind::IoctlCmd, 0x5413), "TIOCGWINSZ");
        assert_eq!(shown(ArgKind::IoctlCmd, 0x8004_5430), "0x80045430");
        assert_eq!(shown(ArgKind::ArchPrctlCode, 0x1002), "ARCH_SET_FS");
        assert_eq!(shown(ArgKind::ArchPrctlCode, 0x3001), "0x3001");
    }

    #[test]
    fn clone_and_futex_in_strace_form() {
        assert_eq!(shown(ArgKind::CloneFlags, 0x11), "SIGCHLD");
        assert_eq!(
            shown(ArgKind::CloneFlags, 0x3d0f00),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|\
             CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID"
        );
        assert_eq!(shown(ArgKind::CloneFlags, 0x1200011), "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
        assert_eq!(shown(ArgKind::CloneFlags, 0), "0");
        assert_eq!(shown(ArgKind::FutexOp, 128), "FUTEX_WAIT_PRIVATE");
        assert_eq!(shown(ArgKind::FutexOp, 1), "FUTEX_WAKE");
        assert_eq!(shown(ArgKind::FutexOp, 9 | 128 | 256), "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME");
        assert_eq!(shown(ArgKind::FutexOp, 99 | 128), "0xe3");
    }

    #[test]
    fn socket_arguments_read_like_strace() {
        assert_eq!(shown(ArgKind::AddressFamily, 2), "AF_INET");
        assert_eq!(shown(ArgKind::SockType, 1 | 0o2000000 | 0o4000), "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC");
        assert_eq!(shown(ArgKind::SockoptLevel, 6), "SOL_TCP");
        assert_eq!(shown(ArgKind::MsgFlags, 0x4040), "MSG_DONTWAIT|MSG_NOSIGNAL");
        assert_eq!(shown(ArgKind::ShutHow, 1), "SHUT_WR");
        let sa = [2u8, 0, 0x1f, 0x90, 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 0, 0];
        let mem = FakeMemory { base: 0x1000, bytes: sa.to_vec() };
        let mut s = String::new();
        write_arg(&mut s, ArgKind::Sockaddr, 0x1000, 16, &mem).unwrap_or_default();
        assert_eq!(s, "{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"10.0.2.15\")}");
    }
}
