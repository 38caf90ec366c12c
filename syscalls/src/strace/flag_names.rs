//! Symbolic names for flag and command arguments, and the two ways strace
//! prints them: `A|B|0x40` for bit sets, a single name for enumerations.

use crate::linux_flags::*;
use core::fmt::{self, Write};
use ringo_uapi::mm::*;
use ringo_uapi::net::*;
use ringo_uapi::time::*;

pub type Names = &'static [(u64, &'static str)];

/// The bits of `v` by name, in table order, then whatever is left in hex;
/// `0` when nothing is set. A name whose value has several bits is taken
/// only when all are present, so composite flags go before their parts.
pub fn write_flags(out: &mut impl Write, v: u64, names: Names) -> fmt::Result {
    let mut rest = v;
    let mut first = true;
    let mut sep = |out: &mut dyn Write| -> fmt::Result {
        if !core::mem::take(&mut first) {
            out.write_char('|')?;
        }
        Ok(())
    };
    for &(bits, name) in names {
        if bits != 0 && rest & bits == bits {
            sep(out)?;
            out.write_str(name)?;
            rest &= !bits;
        }
    }
    if rest != 0 {
        sep(out)?;
        write!(out, "{rest:#x}")?;
    } else if v == 0 {
        out.write_char('0')?;
    }
    Ok(())
}

/// The name of `v`, or `v` itself in decimal (hex when `hex_fallback`).
pub fn write_enum(out: &mut impl Write, v: u64, names: Names, hex_fallback: bool) -> fmt::Result {
    match names.iter().find(|&&(value, _)| value == v) {
        Some((_, name)) => out.write_str(name),
        None if hex_fallback => write!(out, "{v:#x}"),
        None => write!(out, "{}", v as i64),
    }
}

pub const ACCESS_MODES: Names = &[(O_RDONLY, "O_RDONLY"), (O_WRONLY, "O_WRONLY"), (O_RDWR, "O_RDWR")];

pub const OPEN_FLAGS: Names = &[
    (O_TMPFILE, "O_TMPFILE"),
    (O_SYNC, "O_SYNC"),
    (O_CREAT, "O_CREAT"),
    (O_EXCL, "O_EXCL"),
    (O_NOCTTY, "O_NOCTTY"),
    (O_TRUNC, "O_TRUNC"),
    (O_APPEND, "O_APPEND"),
    (O_NONBLOCK, "O_NONBLOCK"),
    (O_DSYNC, "O_DSYNC"),
    (FASYNC, "O_ASYNC"),
    (O_DIRECT, "O_DIRECT"),
    (O_LARGEFILE, "O_LARGEFILE"),
    (O_DIRECTORY, "O_DIRECTORY"),
    (O_NOFOLLOW, "O_NOFOLLOW"),
    (O_NOATIME, "O_NOATIME"),
    (O_CLOEXEC, "O_CLOEXEC"),
    (O_PATH, "O_PATH"),
];

pub const AT_FLAGS: Names = &[
    (AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"),
    (AT_EACCESS, "AT_EACCESS"),
    (AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"),
    (AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"),
    (AT_EMPTY_PATH, "AT_EMPTY_PATH"),
    (AT_STATX_FORCE_SYNC, "AT_STATX_FORCE_SYNC"),
    (AT_STATX_DONT_SYNC, "AT_STATX_DONT_SYNC"),
    (AT_RECURSIVE, "AT_RECURSIVE"),
];

pub const UNLINKAT_FLAGS: Names = &[(AT_REMOVEDIR, "AT_REMOVEDIR")];

pub const ACCESS_BITS: Names = &[(R_OK, "R_OK"), (W_OK, "W_OK"), (X_OK, "X_OK")];

pub const MMAP_PROT: Names = &[
    (PROT_READ, "PROT_READ"),
    (PROT_WRITE, "PROT_WRITE"),
    (PROT_EXEC, "PROT_EXEC"),
    (PROT_SEM, "PROT_SEM"),
    (PROT_GROWSDOWN, "PROT_GROWSDOWN"),
    (PROT_GROWSUP, "PROT_GROWSUP"),
];

pub const MMAP_TYPES: Names =
    &[(MAP_SHARED, "MAP_SHARED"), (MAP_PRIVATE, "MAP_PRIVATE"), (MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE")];

pub const MMAP_FLAGS: Names = &[
    (MAP_FIXED, "MAP_FIXED"),
    (MAP_ANONYMOUS, "MAP_ANONYMOUS"),
    (MAP_32BIT, "MAP_32BIT"),
    (MAP_GROWSDOWN, "MAP_GROWSDOWN"),
    (MAP_DENYWRITE, "MAP_DENYWRITE"),
    (MAP_EXECUTABLE, "MAP_EXECUTABLE"),
    (MAP_LOCKED, "MAP_LOCKED"),
    (MAP_NORESERVE, "MAP_NORESERVE"),
    (MAP_POPULATE, "MAP_POPULATE"),
    (MAP_NONBLOCK, "MAP_NONBLOCK"),
    (MAP_STACK, "MAP_STACK"),
    (MAP_HUGETLB, "MAP_HUGETLB"),
    (MAP_SYNC, "MAP_SYNC"),
    (MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"),
    (MAP_UNINITIALIZED, "MAP_UNINITIALIZED"),
];

pub const MREMAP_FLAGS: Names =
    &[(MREMAP_MAYMOVE, "MREMAP_MAYMOVE"), (MREMAP_FIXED, "MREMAP_FIXED"), (MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP")];

pub const MADVICE: Names = &[
    (MADV_NORMAL as u64, "MADV_NORMAL"),
    (MADV_RANDOM as u64, "MADV_RANDOM"),
    (MADV_SEQUENTIAL as u64, "MADV_SEQUENTIAL"),
    (MADV_WILLNEED as u64, "MADV_WILLNEED"),
    (MADV_DONTNEED as u64, "MADV_DONTNEED"),
    (MADV_FREE as u64, "MADV_FREE"),
    (MADV_REMOVE as u64, "MADV_REMOVE"),
    (MADV_DONTFORK as u64, "MADV_DONTFORK"),
    (MADV_DOFORK as u64, "MADV_DOFORK"),
    (MADV_MERGEABLE as u64, "MADV_MERGEABLE"),
    (MADV_UNMERGEABLE as u64, "MADV_UNMERGEABLE"),
    (MADV_HUGEPAGE as u64, "MADV_HUGEPAGE"),
    (MADV_NOHUGEPAGE as u64, "MADV_NOHUGEPAGE"),
    (MADV_DONTDUMP as u64, "MADV_DONTDUMP"),
    (MADV_DODUMP as u64, "MADV_DODUMP"),
    (MADV_WIPEONFORK as u64, "MADV_WIPEONFORK"),
    (MADV_KEEPONFORK as u64, "MADV_KEEPONFORK"),
    (MADV_COLD as u64, "MADV_COLD"),
    (MADV_PAGEOUT as u64, "MADV_PAGEOUT"),
    (MADV_POPULATE_READ as u64, "MADV_POPULATE_READ"),
    (MADV_POPULATE_WRITE as u64, "MADV_POPULATE_WRITE"),
    (MADV_DONTNEED_LOCKED as u64, "MADV_DONTNEED_LOCKED"),
    (MADV_COLLAPSE as u64, "MADV_COLLAPSE"),
    (MADV_HWPOISON as u64, "MADV_HWPOISON"),
    (MADV_SOFT_OFFLINE as u64, "MADV_SOFT_OFFLINE"),
];

pub const WHENCE: Names = &[
    (SEEK_SET, "SEEK_SET"),
    (SEEK_CUR, "SEEK_CUR"),
    (SEEK_END, "SEEK_END"),
    (SEEK_DATA, "SEEK_DATA"),
    (SEEK_HOLE, "SEEK_HOLE"),
];

pub const CLOCKS: Names = &[
    (CLOCK_REALTIME as u64, "CLOCK_REALTIME"),
    (CLOCK_MONOTONIC as u64, "CLOCK_MONOTONIC"),
    (CLOCK_PROCESS_CPUTIME_ID as u64, "CLOCK_PROCESS_CPUTIME_ID"),
    (CLOCK_THREAD_CPUTIME_ID as u64, "CLOCK_THREAD_CPUTIME_ID"),
    (CLOCK_MONOTONIC_RAW as u64, "CLOCK_MONOTONIC_RAW"),
    (CLOCK_REALTIME_COARSE as u64, "CLOCK_REALTIME_COARSE"),
    (CLOCK_MONOTONIC_COARSE as u64, "CLOCK_MONOTONIC_COARSE"),
    (CLOCK_BOOTTIME as u64, "CLOCK_BOOTTIME"),
    (CLOCK_REALTIME_ALARM as u64, "CLOCK_REALTIME_ALARM"),
    (CLOCK_BOOTTIME_ALARM as u64, "CLOCK_BOOTTIME_ALARM"),
    (CLOCK_TAI as u64, "CLOCK_TAI"),
];

pub const SIGPROCMASK_HOW: Names = &[
    (ringo_uapi::signal::SIG_BLOCK as u64, "SIG_BLOCK"),
    (ringo_uapi::signal::SIG_UNBLOCK as u64, "SIG_UNBLOCK"),
    (ringo_uapi::signal::SIG_SETMASK as u64, "SIG_SETMASK"),
];

pub const FCNTL_CMDS: Names = &[
    (F_DUPFD, "F_DUPFD"),
    (F_GETFD, "F_GETFD"),
    (F_SETFD, "F_SETFD"),
    (F_GETFL, "F_GETFL"),
    (F_SETFL, "F_SETFL"),
    (F_GETLK, "F_GETLK"),
    (F_SETLK, "F_SETLK"),
    (F_SETLKW, "F_SETLKW"),
    (F_SETOWN, "F_SETOWN"),
    (F_GETOWN, "F_GETOWN"),
    (F_SETSIG, "F_SETSIG"),
    (F_GETSIG, "F_GETSIG"),
    (F_SETOWN_EX, "F_SETOWN_EX"),
    (F_GETOWN_EX, "F_GETOWN_EX"),
    (F_OFD_GETLK, "F_OFD_GETLK"),
    (F_OFD_SETLK, "F_OFD_SETLK"),
    (F_OFD_SETLKW, "F_OFD_SETLKW"),
    (F_SETLEASE, "F_SETLEASE"),
    (F_GETLEASE, "F_GETLEASE"),
    (F_NOTIFY, "F_NOTIFY"),
    (F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"),
    (F_SETPIPE_SZ, "F_SETPIPE_SZ"),
    (F_GETPIPE_SZ, "F_GETPIPE_SZ"),
    (F_ADD_SEALS, "F_ADD_SEALS"),
    (F_GET_SEALS, "F_GET_SEALS"),
];

pub const ARCH_PRCTL_CODES: Names = &[
    (ARCH_SET_GS, "ARCH_SET_GS"),
    (ARCH_SET_FS, "ARCH_SET_FS"),
    (ARCH_GET_FS, "ARCH_GET_FS"),
    (ARCH_GET_GS, "ARCH_GET_GS"),
    (ARCH_GET_CPUID, "ARCH_GET_CPUID"),
    (ARCH_SET_CPUID, "ARCH_SET_CPUID"),
    (ARCH_GET_XCOMP_SUPP, "ARCH_GET_XCOMP_SUPP"),
    (ARCH_GET_XCOMP_PERM, "ARCH_GET_XCOMP_PERM"),
    (ARCH_REQ_XCOMP_PERM, "ARCH_REQ_XCOMP_PERM"),
    (ARCH_GET_XCOMP_GUEST_PERM, "ARCH_GET_XCOMP_GUEST_PERM"),
    (ARCH_REQ_XCOMP_GUEST_PERM, "ARCH_REQ_XCOMP_GUEST_PERM"),
    (ARCH_MAP_VDSO_X32, "ARCH_MAP_VDSO_X32"),
    (ARCH_MAP_VDSO_32, "ARCH_MAP_VDSO_32"),
    (ARCH_MAP_VDSO_64, "ARCH_MAP_VDSO_64"),
];

pub const FUTEX_CMDS: Names = &[
    (FUTEX_WAIT, "FUTEX_WAIT"),
    (FUTEX_WAKE, "FUTEX_WAKE"),
    (FUTEX_FD, "FUTEX_FD"),
    (FUTEX_REQUEUE, "FUTEX_REQUEUE"),
    (FUTEX_CMP_REQUEUE, "FUTEX_CMP_REQUEUE"),
    (FUTEX_WAKE_OP, "FUTEX_WAKE_OP"),
    (FUTEX_LOCK_PI, "FUTEX_LOCK_PI"),
    (FUTEX_UNLOCK_PI, "FUTEX_UNLOCK_PI"),
    (FUTEX_TRYLOCK_PI, "FUTEX_TRYLOCK_PI"),
    (FUTEX_WAIT_BITSET, "FUTEX_WAIT_BITSET"),
    (FUTEX_WAKE_BITSET, "FUTEX_WAKE_BITSET"),
    (FUTEX_WAIT_REQUEUE_PI, "FUTEX_WAIT_REQUEUE_PI"),
    (FUTEX_CMP_REQUEUE_PI, "FUTEX_CMP_REQUEUE_PI"),
    (FUTEX_LOCK_PI2, "FUTEX_LOCK_PI2"),
];

pub const CLONE_FLAGS: Names = &[
    (CLONE_NEWTIME, "CLONE_NEWTIME"),
    (CLONE_VM, "CLONE_VM"),
    (CLONE_FS, "CLONE_FS"),
    (CLONE_FILES, "CLONE_FILES"),
    (CLONE_SIGHAND, "CLONE_SIGHAND"),
    (CLONE_PIDFD, "CLONE_PIDFD"),
    (CLONE_PTRACE, "CLONE_PTRACE"),
    (CLONE_VFORK, "CLONE_VFORK"),
    (CLONE_PARENT, "CLONE_PARENT"),
    (CLONE_THREAD, "CLONE_THREAD"),
    (CLONE_NEWNS, "CLONE_NEWNS"),
    (CLONE_SYSVSEM, "CLONE_SYSVSEM"),
    (CLONE_SETTLS, "CLONE_SETTLS"),
    (CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"),
    (CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"),
    (CLONE_DETACHED, "CLONE_DETACHED"),
    (CLONE_UNTRACED, "CLONE_UNTRACED"),
    (CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"),
    (CLONE_NEWCGROUP, "CLONE_NEWCGROUP"),
    (CLONE_NEWUTS, "CLONE_NEWUTS"),
    (CLONE_NEWIPC, "CLONE_NEWIPC"),
    (CLONE_NEWUSER, "CLONE_NEWUSER"),
    (CLONE_NEWPID, "CLONE_NEWPID"),
    (CLONE_NEWNET, "CLONE_NEWNET"),
    (CLONE_IO, "CLONE_IO"),
];

pub const ADDRESS_FAMILIES: Names = &[
    (AF_UNSPEC as u64, "AF_UNSPEC"),
    (AF_UNIX as u64, "AF_UNIX"),
    (AF_INET as u64, "AF_INET"),
    (AF_INET6 as u64, "AF_INET6"),
    (AF_NETLINK as u64, "AF_NETLINK"),
    (AF_PACKET as u64, "AF_PACKET"),
];

pub const SOCK_TYPES: Names = &[
    (SOCK_STREAM as u64, "SOCK_STREAM"),
    (SOCK_DGRAM as u64, "SOCK_DGRAM"),
    (SOCK_RAW as u64, "SOCK_RAW"),
    (SOCK_SEQPACKET as u64, "SOCK_SEQPACKET"),
];

pub const SOCK_TYPE_FLAGS: Names = &[(SOCK_NONBLOCK as u64, "SOCK_NONBLOCK"), (SOCK_CLOEXEC as u64, "SOCK_CLOEXEC")];

pub const SOCKOPT_LEVELS: Names = &[
    (SOL_SOCKET as u64, "SOL_SOCKET"),
    (IPPROTO_IP as u64, "SOL_IP"),
    (IPPROTO_TCP as u64, "SOL_TCP"),
    (IPPROTO_UDP as u64, "SOL_UDP"),
    (IPPROTO_IPV6 as u64, "SOL_IPV6"),
];

pub const MSG_FLAGS: Names = &[
    (MSG_OOB as u64, "MSG_OOB"),
    (MSG_PEEK as u64, "MSG_PEEK"),
    (MSG_DONTROUTE as u64, "MSG_DONTROUTE"),
    (MSG_CTRUNC as u64, "MSG_CTRUNC"),
    (MSG_TRUNC as u64, "MSG_TRUNC"),
    (MSG_DONTWAIT as u64, "MSG_DONTWAIT"),
    (MSG_EOR as u64, "MSG_EOR"),
    (MSG_WAITALL as u64, "MSG_WAITALL"),
    (MSG_NOSIGNAL as u64, "MSG_NOSIGNAL"),
    (MSG_MORE as u64, "MSG_MORE"),
    (MSG_WAITFORONE as u64, "MSG_WAITFORONE"),
    (MSG_CMSG_CLOEXEC as u64, "MSG_CMSG_CLOEXEC"),
];

pub const SHUT_HOWS: Names =
    &[(SHUT_RD as u64, "SHUT_RD"), (SHUT_WR as u64, "SHUT_WR"), (SHUT_RDWR as u64, "SHUT_RDWR")];

#[cfg(test)]
mod tests {
    use super::*;
    use ringo_uapi::linux_headers::{assert_same, defines};

    fn flags(v: u64, names: Names) -> String {
        let mut s = String::new();
        write_flags(&mut s, v, names).unwrap_or_default();
        s
    }

    #[test]
    fn bit_sets_print_names_then_leftover_hex() {
        assert_eq!(flags(0, OPEN_FLAGS), "0");
        assert_eq!(flags(O_CREAT | O_CLOEXEC, OPEN_FLAGS), "O_CREAT|O_CLOEXEC");
        assert_eq!(flags(O_SYNC | O_APPEND, OPEN_FLAGS), "O_SYNC|O_APPEND");
        assert_eq!(flags(O_DSYNC, OPEN_FLAGS), "O_DSYNC");
        assert_eq!(flags(MAP_FIXED | 0x8000_0000_0000, MMAP_FLAGS), "MAP_FIXED|0x800000000000");
        assert_eq!(flags(0x8000_0000_0000, MMAP_FLAGS), "0x800000000000");
    }

    #[test]
    fn enumerations_print_a_name_or_the_number() {
        let mut s = String::new();
        write_enum(&mut s, 2, WHENCE, false).unwrap_or_default();
        s.push(' ');
        write_enum(&mut s, 99, WHENCE, false).unwrap_or_default();
        s.push(' ');
        write_enum(&mut s, 0x9999, ARCH_PRCTL_CODES, true).unwrap_or_default();
        assert_eq!(s, "SEEK_END 99 0x9999");
    }

    /// Every name in `table` that Linux's headers define has Linux's value.
    fn check(table: Names, defs: &std::collections::HashMap<String, i128>) {
        for &(value, name) in table {
            assert_same(defs, name, value as i128);
        }
    }

    #[test]
    fn local_numbers_match_the_linux_headers() {
        let defs = defines(&[
            "/usr/include/asm-generic/fcntl.h",
            "/usr/include/linux/fcntl.h",
            "/usr/include/linux/fs.h",
            "/usr/include/x86_64-linux-gnu/asm/prctl.h",
            "/usr/include/linux/futex.h",
            "/usr/include/linux/sched.h",
        ]);
        check(ACCESS_MODES, &defs);
        check(&OPEN_FLAGS[..9], &defs);
        check(&OPEN_FLAGS[10..], &defs);
        assert_same(&defs, "FASYNC", FASYNC as i128);
        assert_same(&defs, "O_ACCMODE", O_ACCMODE as i128);
        assert_same(&defs, "AT_FDCWD", AT_FDCWD as i128);
        check(AT_FLAGS, &defs);
        check(UNLINKAT_FLAGS, &defs);
        check(FCNTL_CMDS, &defs);
        check(WHENCE, &defs);
        check(ARCH_PRCTL_CODES, &defs);
        check(FUTEX_CMDS, &defs);
        assert_same(&defs, "FUTEX_PRIVATE_FLAG", FUTEX_PRIVATE_FLAG as i128);
        assert_same(&defs, "FUTEX_CLOCK_REALTIME", FUTEX_CLOCK_REALTIME as i128);
        check(CLONE_FLAGS, &defs);
        assert_same(&defs, "CSIGNAL", CSIGNAL as i128);
    }

    #[test]
    fn access_mode_bits_match_unistd_h() {
        // F_OK and friends live in the C library's unistd.h, not in Linux's.
        let defs = defines(&["/usr/include/unistd.h"]);
        check(ACCESS_BITS, &defs);
        assert_same(&defs, "F_OK", F_OK as i128);
    }
}
