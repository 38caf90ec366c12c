//! Linux's i386 numbering for `int 0x80`, translated to x86-64 numbers for
//! the calls whose arguments mean the same on both ABIs. The rule and its
//! exceptions are in syscalls/i386_rules.txt; build.rs applies them to
//! syscalls/syscall_32.tbl.

include!(concat!(env!("OUT_DIR"), "/i386.rs"));

/// I386_TO_X86_64 value for an i386 call that gets -ENOSYS.
pub const I386_ENOSYS: u16 = u16::MAX;

/// The x86-64 number that serves i386 call `nr`, or None for -ENOSYS.
pub fn i386_to_x86_64(nr: u64) -> Option<u64> {
    let i = usize::try_from(nr).ok()?;
    I386_TO_X86_64.get(i).copied().filter(|&n| n != I386_ENOSYS).map(u64::from)
}

/// The Linux name of i386 call `nr`, for logs of refused calls.
pub fn i386_name(nr: u64) -> Option<&'static str> {
    let i = usize::try_from(nr).ok()?;
    I386_NAMES.get(i).copied().filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{self, nr};
    use std::collections::BTreeMap;

    #[test]
    fn i386_table_matches_unistd_32_h() {
        let path = "/usr/include/x86_64-linux-gnu/asm/unistd_32.h";
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} missing: install linux-libc-dev");
        };
        let mut linux = BTreeMap::new();
        for line in text.lines() {
            let w: Vec<&str> = line.split_whitespace().collect();
            if let ["#define", define, nr] = w[..]
                && let (Some(name), Ok(nr)) = (define.strip_prefix("__NR_"), nr.parse::<u64>())
            {
                linux.insert(nr, name.to_string());
            }
        }
        assert!(!linux.is_empty(), "{path} defines no __NR_ numbers");
        assert_eq!(I386_COUNT as u64, linux.keys().last().copied().unwrap_or(0) + 1);
        for nr in 0..I386_COUNT as u64 {
            assert_eq!(i386_name(nr), linux.get(&nr).map(String::as_str), "i386 number {nr}");
        }
    }

    /// i386 number -> x86-64 name, for readable assertions.
    fn target(nr32: u64) -> Option<&'static str> {
        i386_to_x86_64(nr32).and_then(table::name)
    }

    #[test]
    fn calls_with_the_same_arguments_map() {
        assert_eq!(i386_to_x86_64(1), Some(nr::EXIT));
        assert_eq!(i386_to_x86_64(3), Some(nr::READ));
        assert_eq!(i386_to_x86_64(4), Some(nr::WRITE));
        assert_eq!(i386_to_x86_64(5), Some(nr::OPEN), "allowed despite compat_sys_open");
        assert_eq!(i386_to_x86_64(6), Some(nr::CLOSE));
        assert_eq!(i386_to_x86_64(20), Some(nr::GETPID));
        assert_eq!(i386_to_x86_64(45), Some(nr::BRK));
        assert_eq!(i386_to_x86_64(252), Some(nr::EXIT_GROUP));
        assert_eq!(target(122), Some("uname"), "sys_newuname on both");
        assert_eq!(target(199), Some("getuid"), "getuid32 is the 32-bit uid call");
        assert_eq!(target(239), Some("sendfile"), "sendfile64 is x86-64's sendfile");
        assert_eq!(target(52), Some("umount2"));
        assert_eq!(target(403), Some("clock_gettime"), "clock_gettime64");
        assert_eq!(target(295), Some("openat"));
        assert_eq!(target(383), Some("statx"));
        assert_eq!(target(435), Some("clone3"));
    }

    #[test]
    fn calls_whose_arguments_differ_get_enosys() {
        let refused = [
            (18, "oldstat: __old_kernel_stat"),
            (19, "lseek: compat entry"),
            (24, "getuid: 16-bit uid"),
            (13, "time: 32-bit time_t"),
            (90, "mmap: old_mmap takes a struct"),
            (102, "socketcall"),
            (106, "stat: compat struct stat"),
            (108, "fstat"),
            (117, "ipc"),
            (140, "_llseek: offset in a register pair"),
            (145, "readv: 8-byte iovec (deny rule)"),
            (146, "writev (deny rule)"),
            (174, "rt_sigaction: compat entry"),
            (180, "pread64: offset in a register pair"),
            (192, "mmap2: no x86-64 sys_mmap_pgoff"),
            (194, "ftruncate64"),
            (221, "fcntl64: struct flock64"),
            (243, "set_thread_area: x86-64 has none"),
            (265, "clock_gettime: 32-bit timespec"),
            (67, "sigaction"),
            (82, "select"),
            (222, "unassigned"),
        ];
        for (nr32, why) in refused {
            assert_eq!(i386_to_x86_64(nr32), None, "i386 {nr32} ({why})");
        }
        assert_eq!(i386_to_x86_64(I386_COUNT as u64), None);
        assert_eq!(i386_to_x86_64(u64::MAX), None);
    }

    #[test]
    fn every_mapping_lands_on_a_call_of_the_same_family() {
        let mut mapped = 0;
        for nr32 in 0..I386_COUNT as u64 {
            let Some(nr64) = i386_to_x86_64(nr32) else { continue };
            mapped += 1;
            let (n32, n64) = (i386_name(nr32).unwrap_or(""), table::name(nr64).unwrap_or(""));
            // Same name, or the i386 name is the x86-64 one with a width suffix.
            let same = n32 == n64 || n32.strip_prefix(n64).is_some_and(|s| ["32", "64", "_time64"].contains(&s));
            assert!(same, "i386 {n32} ({nr32}) -> x86-64 {n64} ({nr64})");
        }
        assert_eq!(mapped, I386_MAPPED_COUNT);
    }
}
