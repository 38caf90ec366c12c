//! The system as a program sees it: uname, sysinfo, usage, randomness.

use alloc::vec;
use core::sync::atomic::Ordering;

use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::{mem, time};

/// Ringo presents itself as Linux so that programs that check the kernel
/// (glibc, Go, busybox) take their Linux paths; the version says what it is.
const SYSNAME: &str = "Linux";
const RELEASE: &str = "6.1.0-ringo";
const MACHINE: &str = "x86_64";

pub fn uname(buf: UserAddr) -> SysResult {
    let mut u = [[0u8; 65]; 6];
    let version = concat!("#1 SMP Ringo ", env!("CARGO_PKG_VERSION"));
    for (field, s) in u.iter_mut().zip([SYSNAME, "ringo", RELEASE, version, MACHINE, "(none)"]) {
        field[..s.len()].copy_from_slice(s.as_bytes());
    }
    buf.write(&u)?;
    Ok(0)
}

/// struct sysinfo (112 bytes on x86-64).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Sysinfo {
    uptime: i64,
    loads: [u64; 3],
    totalram: u64,
    freeram: u64,
    sharedram: u64,
    bufferram: u64,
    totalswap: u64,
    freeswap: u64,
    procs: u16,
    pad: u16,
    pad2: u32,
    totalhigh: u64,
    freehigh: u64,
    mem_unit: u32,
    pad3: [u8; 4],
}

// SAFETY: integers only; the explicit pad fields leave no implicit padding.
unsafe impl super::Pod for Sysinfo {}

pub fn sysinfo(info: UserAddr) -> SysResult {
    let f = mem::frame_stats();
    let s = Sysinfo {
        uptime: (time::monotonic_ns() / 1_000_000_000) as i64,
        totalram: f.total_pages * 4096,
        freeram: f.free_pages * 4096,
        procs: 1,
        mem_unit: 1,
        ..Default::default()
    };
    info.write(&s)?;
    Ok(0)
}

pub fn getrusage(who: i32, usage: UserAddr) -> SysResult {
    // RUSAGE_SELF 0, RUSAGE_CHILDREN -1, RUSAGE_THREAD 1.
    if !matches!(who, -1..=1) {
        return Err(Errno::EINVAL);
    }
    let me = crate::process::current();
    let (ns, ticks) = match who {
        0 => (me.process_cpu_ns(), me.process_ticks()),
        1 => (me.thread_cpu_ns(), [0, 1].map(|i| me.ticks[i].load(Ordering::Acquire))),
        _ => (
            me.group.children_cpu_ns.load(Ordering::Acquire),
            [0, 1].map(|i| me.group.children_ticks[i].load(Ordering::Acquire)),
        ),
    };
    let (user, system) = crate::process::split_cpu_time(ns, ticks);
    let mut r = [0i64; 18];
    for (i, t) in [user, system].into_iter().enumerate() {
        r[2 * i] = (t / 1_000_000_000) as i64;
        r[2 * i + 1] = ((t % 1_000_000_000) / 1000) as i64;
    }
    usage.write(&r)?;
    Ok(0)
}

const GRND_NONBLOCK: u32 = 1;
const GRND_RANDOM: u32 = 2;
const GRND_INSECURE: u32 = 4;

pub fn getrandom(buf: UserAddr, len: usize, flags: u32) -> SysResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL);
    }
    let len = len.min(32 << 20);
    let mut tmp = vec![0u8; len.min(4096)];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(tmp.len());
        crate::random::fill(&mut tmp[..n]);
        buf.offset(done as u64).write_bytes(&tmp[..n])?;
        done += n;
    }
    Ok(len)
}
