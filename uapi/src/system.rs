//! uname, sysinfo, resource limits and usage (linux/utsname.h,
//! linux/sysinfo.h, asm-generic/resource.h, linux/resource.h).
//!
//! Structures copied out to user space spell their padding as fields so that
//! `Default` zeroes every byte and no kernel memory leaks through the gaps.

use crate::time::Timeval;

/// Each `struct new_utsname` field: 64 characters and a NUL.
pub const UTS_FIELD_LEN: usize = 65;

/// `struct new_utsname`, what uname(2) fills on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: [u8; UTS_FIELD_LEN],
    pub nodename: [u8; UTS_FIELD_LEN],
    pub release: [u8; UTS_FIELD_LEN],
    pub version: [u8; UTS_FIELD_LEN],
    pub machine: [u8; UTS_FIELD_LEN],
    pub domainname: [u8; UTS_FIELD_LEN],
}

// `Default` is only derived for arrays of up to 32 elements.
impl Default for Utsname {
    fn default() -> Self {
        Utsname {
            sysname: [0; UTS_FIELD_LEN],
            nodename: [0; UTS_FIELD_LEN],
            release: [0; UTS_FIELD_LEN],
            version: [0; UTS_FIELD_LEN],
            machine: [0; UTS_FIELD_LEN],
            domainname: [0; UTS_FIELD_LEN],
        }
    }
}

/// A NUL-terminated utsname field; text past 64 bytes is cut, as Linux's
/// sethostname refuses longer names anyway.
pub const fn uts_field(text: &str) -> [u8; UTS_FIELD_LEN] {
    let bytes = text.as_bytes();
    let mut out = [0u8; UTS_FIELD_LEN];
    let mut i = 0;
    while i < bytes.len() && i < UTS_FIELD_LEN - 1 {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// `struct sysinfo` on x86-64.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages, scaled by 1 << SI_LOAD_SHIFT.
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub pad: u16,
    pub _pad_to_totalhigh: u32,
    pub totalhigh: u64,
    pub freehigh: u64,
    /// The unit of the *ram and *swap fields, in bytes.
    pub mem_unit: u32,
    pub _pad_to_end: u32,
}

pub const SI_LOAD_SHIFT: u32 = 16;

/// getrlimit/setrlimit/prlimit64 resource numbers (`unsigned int`).
pub const RLIMIT_CPU: u32 = 0;
pub const RLIMIT_FSIZE: u32 = 1;
pub const RLIMIT_DATA: u32 = 2;
pub const RLIMIT_STACK: u32 = 3;
pub const RLIMIT_CORE: u32 = 4;
pub const RLIMIT_RSS: u32 = 5;
pub const RLIMIT_NPROC: u32 = 6;
pub const RLIMIT_NOFILE: u32 = 7;
pub const RLIMIT_MEMLOCK: u32 = 8;
pub const RLIMIT_AS: u32 = 9;
pub const RLIMIT_LOCKS: u32 = 10;
pub const RLIMIT_SIGPENDING: u32 = 11;
pub const RLIMIT_MSGQUEUE: u32 = 12;
pub const RLIMIT_NICE: u32 = 13;
pub const RLIMIT_RTPRIO: u32 = 14;
pub const RLIMIT_RTTIME: u32 = 15;
pub const RLIM_NLIMITS: u32 = 16;
pub const RLIM_INFINITY: u64 = !0;

/// The RLIMIT_* names, indexed by number.
pub const RLIMIT_NAMES: [&str; RLIM_NLIMITS as usize] = [
    "RLIMIT_CPU",
    "RLIMIT_FSIZE",
    "RLIMIT_DATA",
    "RLIMIT_STACK",
    "RLIMIT_CORE",
    "RLIMIT_RSS",
    "RLIMIT_NPROC",
    "RLIMIT_NOFILE",
    "RLIMIT_MEMLOCK",
    "RLIMIT_AS",
    "RLIMIT_LOCKS",
    "RLIMIT_SIGPENDING",
    "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",
    "RLIMIT_RTPRIO",
    "RLIMIT_RTTIME",
];

/// `struct rlimit` (and `struct rlimit64`, identical on x86-64).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

pub const RUSAGE_SELF: i32 = 0;
pub const RUSAGE_CHILDREN: i32 = -1;
pub const RUSAGE_THREAD: i32 = 1;

/// `struct rusage`.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    /// Maximum resident set size, in KiB.
    pub ru_maxrss: i64,
    pub ru_ixrss: i64,
    pub ru_idrss: i64,
    pub ru_isrss: i64,
    pub ru_minflt: i64,
    pub ru_majflt: i64,
    pub ru_nswap: i64,
    pub ru_inblock: i64,
    pub ru_oublock: i64,
    pub ru_msgsnd: i64,
    pub ru_msgrcv: i64,
    pub ru_nsignals: i64,
    pub ru_nvcsw: i64,
    pub ru_nivcsw: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use core::mem::{offset_of, size_of};

    #[test]
    fn numbers_match_the_linux_headers() {
        let defs = defines(&[
            "/usr/include/asm-generic/resource.h",
            "/usr/include/linux/resource.h",
            "/usr/include/linux/utsname.h",
            "/usr/include/linux/sysinfo.h",
        ]);
        let limits = [
            RLIMIT_CPU,
            RLIMIT_FSIZE,
            RLIMIT_DATA,
            RLIMIT_STACK,
            RLIMIT_CORE,
            RLIMIT_RSS,
            RLIMIT_NPROC,
            RLIMIT_NOFILE,
            RLIMIT_MEMLOCK,
            RLIMIT_AS,
            RLIMIT_LOCKS,
            RLIMIT_SIGPENDING,
            RLIMIT_MSGQUEUE,
            RLIMIT_NICE,
            RLIMIT_RTPRIO,
            RLIMIT_RTTIME,
        ];
        for (i, value) in limits.into_iter().enumerate() {
            assert_eq!(value as usize, i);
            assert_same(&defs, RLIMIT_NAMES[i], value as i128);
        }
        assert_same(&defs, "RLIM_NLIMITS", RLIM_NLIMITS as i128);
        assert_same(&defs, "RLIM_INFINITY", RLIM_INFINITY as i128);
        assert_same(&defs, "RUSAGE_SELF", RUSAGE_SELF as i128);
        assert_same(&defs, "RUSAGE_CHILDREN", RUSAGE_CHILDREN as i128);
        assert_same(&defs, "RUSAGE_THREAD", RUSAGE_THREAD as i128);
        assert_same(&defs, "__NEW_UTS_LEN", (UTS_FIELD_LEN - 1) as i128);
        assert_same(&defs, "SI_LOAD_SHIFT", SI_LOAD_SHIFT as i128);
    }

    #[test]
    fn layouts_match_x86_64_linux() {
        assert_eq!(size_of::<Utsname>(), 6 * 65);
        assert_eq!(offset_of!(Utsname, machine), 4 * 65);
        assert_eq!(size_of::<Sysinfo>(), 112);
        assert_eq!(offset_of!(Sysinfo, procs), 80);
        assert_eq!(offset_of!(Sysinfo, totalhigh), 88);
        assert_eq!(offset_of!(Sysinfo, mem_unit), 104);
        assert_eq!(size_of::<Rlimit>(), 16);
        assert_eq!(size_of::<Rusage>(), 144);
        assert_eq!(offset_of!(Rusage, ru_maxrss), 32);
        assert_eq!(offset_of!(Rusage, ru_nivcsw), 136);
    }

    #[test]
    fn uts_fields_are_nul_terminated_and_cut_at_64() {
        let f = uts_field("Linux");
        assert_eq!(&f[..6], b"Linux\0");
        let long = uts_field(core::str::from_utf8(&[b'x'; 100]).unwrap_or(""));
        assert_eq!(long[63], b'x');
        assert_eq!(long[64], 0);
        assert_eq!(Utsname::default().sysname, [0; 65]);
    }
}
