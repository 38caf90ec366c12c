//! Process basics: exit, identity, the thread pointer, limits.

use core::sync::atomic::Ordering;

use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::arch::cpu;
use crate::process::{self, RLIMIT_COUNT, Rlimit, current};

pub fn exit(status: i32) -> SysResult {
    process::exit_thread((status & 0xff) << 8, false)
}

pub fn exit_group(status: i32) -> SysResult {
    process::exit(status as u8)
}

pub fn getpid() -> SysResult {
    Ok(crate::process::current_ref().map_or(0, |p| p.tgid as usize))
}

pub fn gettid() -> SysResult {
    Ok(current().pid as usize)
}

pub fn getppid() -> SysResult {
    let me = current();
    let leader = if me.pid == me.tgid { Some(me.clone()) } else { crate::process::lookup(me.tgid) };
    Ok(leader.map_or(0, |l| l.ppid.load(Ordering::Relaxed)) as usize)
}

/// Everything runs as root inside the VM: the VM is the isolation boundary.
pub fn getuid() -> SysResult {
    Ok(0)
}

pub fn set_tid_address(tidptr: UserAddr) -> SysResult {
    let p = current();
    p.clear_child_tid.store(tidptr.0, Ordering::Relaxed);
    Ok(p.pid as usize)
}

/// The head is only remembered here: nothing in it is read until the
/// thread ends (process::exit_robust_list), as on Linux, so a bad address
/// is not an error now.
pub fn set_robust_list(head: UserAddr, len: usize) -> SysResult {
    if len != super::futex::ROBUST_LIST_HEAD_LEN {
        return Err(Errno::EINVAL);
    }
    current().robust_list.store(head.0, Ordering::Relaxed);
    Ok(0)
}

/// Restartable sequences are optional; libcs fall back when told ENOSYS.
pub fn rseq(_rseq: UserAddr, _len: u32, _flags: i32, _sig: u32) -> SysResult {
    Err(Errno::ENOSYS)
}

const ARCH_SET_GS: i32 = 0x1001;
const ARCH_SET_FS: i32 = 0x1002;
const ARCH_GET_FS: i32 = 0x1003;
const ARCH_GET_GS: i32 = 0x1004;

pub fn arch_prctl(code: i32, addr: UserAddr) -> SysResult {
    let p = current();
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if addr.0 >= crate::arch::uaccess::USER_LIMIT {
                return Err(Errno::EPERM);
            }
            if code == ARCH_SET_FS {
                p.fs_base.store(addr.0, Ordering::Relaxed);
                // SAFETY: a canonical user address; FS is only used by user code.
                unsafe { cpu::wrmsr(cpu::MSR_FS_BASE, addr.0) };
            } else {
                p.gs_base.store(addr.0, Ordering::Relaxed);
                // SAFETY: in the kernel, GS is swapped: the user's GS base
                // lives in KERNEL_GS_BASE until the return to ring 3.
                unsafe { cpu::wrmsr(cpu::MSR_KERNEL_GS_BASE, addr.0) };
            }
            Ok(0)
        }
        ARCH_GET_FS => addr.write(&p.fs_base.load(Ordering::Relaxed)).map(|_| 0),
        ARCH_GET_GS => addr.write(&p.gs_base.load(Ordering::Relaxed)).map(|_| 0),
        _ => Err(Errno::EINVAL),
    }
}

fn limit_index(resource: u32) -> Result<usize, Errno> {
    let i = resource as usize;
    if i < RLIMIT_COUNT { Ok(i) } else { Err(Errno::EINVAL) }
}

pub fn getrlimit(resource: u32, rlim: UserAddr) -> SysResult {
    let r = current().rlimits.lock()[limit_index(resource)?];
    rlim.write(&[r.cur, r.max])?;
    Ok(0)
}

pub fn setrlimit(resource: u32, rlim: UserAddr) -> SysResult {
    let [cur, max]: [u64; 2] = rlim.read()?;
    set_limit(resource, cur, max)
}

fn set_limit(resource: u32, cur: u64, max: u64) -> SysResult {
    if cur > max {
        return Err(Errno::EINVAL);
    }
    let p = current();
    let mut l = p.rlimits.lock();
    let i = limit_index(resource)?;
    // Root may raise the hard limit; keep RLIMIT_NOFILE within the table.
    if i == 7 && max > 1 << 20 {
        return Err(Errno::EPERM);
    }
    l[i] = Rlimit { cur, max };
    Ok(0)
}

pub fn prlimit64(pid: i32, resource: u32, new: UserAddr, old: UserAddr) -> SysResult {
    let p = current();
    if pid != 0 && pid as u32 != p.pid {
        return Err(Errno::ESRCH);
    }
    let i = limit_index(resource)?;
    let before = p.rlimits.lock()[i];
    if !new.is_null() {
        let [cur, max]: [u64; 2] = new.read()?;
        set_limit(resource, cur, max)?;
    }
    if !old.is_null() {
        old.write(&[before.cur, before.max])?;
    }
    Ok(0)
}

/// Process groups and sessions: init starts in session 0 and group 0, as
/// on Linux, until it calls setsid. Job control comes with the shell work.
fn target(pid: i32) -> Result<alloc::sync::Arc<crate::process::Process>, Errno> {
    if pid == 0 { Ok(current()) } else { crate::process::lookup(pid as u32).ok_or(Errno::ESRCH) }
}

pub fn getpgid(pid: i32) -> SysResult {
    Ok(target(pid)?.pgid.load(Ordering::Relaxed) as usize)
}

pub fn getpgrp() -> SysResult {
    getpgid(0)
}

pub fn getsid(pid: i32) -> SysResult {
    Ok(target(pid)?.sid.load(Ordering::Relaxed) as usize)
}

pub fn setsid() -> SysResult {
    let p = current();
    if p.pgid.load(Ordering::Relaxed) == p.pid {
        return Err(Errno::EPERM);
    }
    p.sid.store(p.pid, Ordering::Relaxed);
    p.pgid.store(p.pid, Ordering::Relaxed);
    Ok(p.pid as usize)
}

pub fn setpgid(pid: i32, pgid: i32) -> SysResult {
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let p = target(pid)?;
    if p.pid != me.pid && p.ppid.load(Ordering::Relaxed) != me.pid {
        return Err(Errno::ESRCH);
    }
    if p.sid.load(Ordering::Relaxed) == p.pid || p.sid.load(Ordering::Relaxed) != me.sid.load(Ordering::Relaxed) {
        return Err(Errno::EPERM);
    }
    p.pgid.store(if pgid == 0 { p.pid } else { pgid as u32 }, Ordering::Relaxed);
    Ok(0)
}

pub fn sched_yield() -> SysResult {
    crate::sched::yield_now();
    Ok(0)
}

const PR_SET_PDEATHSIG: i32 = 1;
const PR_GET_PDEATHSIG: i32 = 2;
const PR_GET_DUMPABLE: i32 = 3;
const PR_SET_DUMPABLE: i32 = 4;
const PR_SET_NAME: i32 = 15;
const PR_GET_NAME: i32 = 16;

/// prctl: the thread's name and the few process attributes programs set
/// at start; the rest is EINVAL, as Linux says for an unknown option.
pub fn prctl(option: i32, arg2: UserAddr, _arg3: u64, _arg4: u64, _arg5: u64) -> SysResult {
    let me = current();
    match option {
        PR_SET_NAME => {
            let mut name = [0u8; 16];
            let bytes = arg2
                .read_cstr(4096)
                .or_else(|e| if e == Errno::ENAMETOOLONG { Ok(alloc::vec::Vec::new()) } else { Err(e) })?;
            let n = bytes.len().min(15);
            name[..n].copy_from_slice(&bytes[..n]);
            *me.comm.lock() = name;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = *me.comm.lock();
            if name[0] == 0 {
                let exe = me.exe();
                let base = exe.rsplit('/').next().unwrap_or("").as_bytes();
                let n = base.len().min(15);
                name[..n].copy_from_slice(&base[..n]);
            }
            arg2.write_bytes(&name)?;
            Ok(0)
        }
        // Death signals and dumpability: accepted; nothing here dumps core.
        PR_SET_PDEATHSIG | PR_SET_DUMPABLE => Ok(0),
        PR_GET_PDEATHSIG => arg2.write(&0i32).map(|_| 0),
        PR_GET_DUMPABLE => Ok(1),
        _ => Err(Errno::EINVAL),
    }
}

/// The robust list head that `pid` (0: the caller) registered.
pub fn get_robust_list(pid: i32, head: UserAddr, len: UserAddr) -> SysResult {
    let t = if pid == 0 { current() } else { process::lookup(pid as u32).ok_or(Errno::ESRCH)? };
    head.write(&t.robust_list.load(Ordering::Relaxed))?;
    len.write(&(super::futex::ROBUST_LIST_HEAD_LEN as u64))?;
    Ok(0)
}

/// getcpu: the CPU the caller runs on, and NUMA node 0 (there is one
/// node). Either pointer may be NULL; the third (a cache) is unused since
/// Linux 2.6.24.
pub fn getcpu(cpu: UserAddr, node: UserAddr, _cache: UserAddr) -> SysResult {
    let index = crate::arch::percpu::current_index() as u32;
    if !cpu.is_null() {
        cpu.write(&index)?;
    }
    if !node.is_null() {
        node.write(&0u32)?;
    }
    Ok(0)
}

fn affinity_target(pid: i32) -> Result<alloc::sync::Arc<crate::process::Process>, Errno> {
    if pid == 0 { Ok(crate::process::current()) } else { crate::process::lookup(pid as u32).ok_or(Errno::ESRCH) }
}

/// The online CPUs as a mask.
fn online_mask() -> u64 {
    let cpus = crate::arch::percpu::count().clamp(1, 64);
    if cpus == 64 { u64::MAX } else { (1u64 << cpus) - 1 }
}

/// sched_getaffinity: the task's CPUs among those the kernel brought up.
pub fn sched_getaffinity(pid: i32, size: usize, mask: UserAddr) -> SysResult {
    let t = affinity_target(pid)?;
    if size < 8 || !size.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let m = t.sched.affinity.load(Ordering::Relaxed) & online_mask();
    mask.write(&m)?;
    Ok(8)
}

/// sched_setaffinity: the task runs only on the CPUs of the mask: the
/// caller moves at once, another running task as soon as its CPU takes
/// the interrupt that tells it.
pub fn sched_setaffinity(pid: i32, size: usize, mask: UserAddr) -> SysResult {
    let t = affinity_target(pid)?;
    let first: u64 = if size >= 8 { mask.read()? } else { return Err(Errno::EINVAL) };
    let m = first & online_mask();
    if m == 0 {
        return Err(Errno::EINVAL);
    }
    t.sched.affinity.store(m, Ordering::Relaxed);
    if pid == 0 || t.pid == crate::process::current().pid {
        crate::sched::yield_now();
    } else {
        crate::sched::kick(&t);
    }
    Ok(0)
}
