//! What /proc shows: a Linux-compatible subset generated from the kernel's
//! state when a file is opened.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use alloc::sync::Arc;

use ringo_fs::procfs::{DirSource, ProcDir, ProcFs};
use ringo_fs::vfs::{Inode, InodeKind};
use ringo_uapi::Errno;

use crate::arch::{cpu, percpu, tsc};
use crate::{mem, process, time};

fn cpuinfo() -> Result<Vec<u8>, Errno> {
    let mut s = String::new();
    let mut brand = [0u8; 48];
    if cpu::cpuid(0x8000_0000).0 >= 0x8000_0004 {
        for (i, leaf) in (0x8000_0002u32..=0x8000_0004).enumerate() {
            let (a, b, c, d) = cpu::cpuid(leaf);
            for (j, r) in [a, b, c, d].iter().enumerate() {
                brand[i * 16 + j * 4..i * 16 + j * 4 + 4].copy_from_slice(&r.to_le_bytes());
            }
        }
    }
    let brand = core::str::from_utf8(&brand).unwrap_or("").trim_matches(char::from(0)).trim();
    let (_, b, c, d) = cpu::cpuid(0);
    let mut vendor = [0u8; 12];
    vendor[..4].copy_from_slice(&b.to_le_bytes());
    vendor[4..8].copy_from_slice(&d.to_le_bytes());
    vendor[8..].copy_from_slice(&c.to_le_bytes());
    let vendor = core::str::from_utf8(&vendor).unwrap_or("unknown");
    for i in 0..percpu::count().max(1) {
        let _ = write!(
            s,
            "processor\t: {i}\nvendor_id\t: {vendor}\ncpu family\t: {}\nmodel name\t: {brand}\ncpu MHz\t\t: {}.{:03}\n\
             physical id\t: 0\ncore id\t\t: {i}\ncpu cores\t: {}\napicid\t\t: {}\nflags\t\t: fpu tsc msr pae apic sep pge cmov\n\n",
            cpu::cpu_family(),
            tsc::khz() / 1000,
            tsc::khz() % 1000,
            percpu::count().max(1),
            percpu::cpu(i).map_or(0, |c| c.apic_id)
        );
    }
    Ok(s.into_bytes())
}

/// Linux's fields; Slab is what the kernel heap took from the frames and
/// SUnreclaim what of it is in use (the heap keeps its free space), so
/// that MemFree + Slab - SUnreclaim is all the memory nothing holds.
fn meminfo() -> Result<Vec<u8>, Errno> {
    let f = mem::frame_stats();
    let kb = |pages: u64| pages * 4;
    let (heap, used) = (mem::HEAP.size() / 1024, mem::HEAP.in_use() / 1024);
    Ok(format!(
        "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\nBuffers:               0 kB\n\
         Cached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n\
         Slab:           {heap:8} kB\nSReclaimable:          0 kB\nSUnreclaim:     {used:8} kB\n",
        kb(f.total_pages),
        kb(f.free_pages),
        kb(f.free_pages)
    )
    .into_bytes())
}

fn uptime() -> Result<Vec<u8>, Errno> {
    let ns = time::monotonic_ns();
    let cs = ns / 10_000_000;
    Ok(format!("{}.{:02} {}.{:02}\n", cs / 100, cs % 100, cs / 100, cs % 100).into_bytes())
}

fn process(pid: u32) -> Result<alloc::sync::Arc<process::Process>, Errno> {
    process::lookup(pid).ok_or(Errno::ESRCH)
}

fn status(pid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid)?;
    let exe = p.exe();
    let name = exe.rsplit('/').next().unwrap_or("");
    let (vm, (rss, pte)) = {
        let space = p.aspace.lock();
        (space.vmas.iter().map(|v| v.len()).sum::<u64>(), space.page_usage())
    };
    let state = match p.state() {
        process::TaskState::Running | process::TaskState::Runnable | process::TaskState::New => "R (running)",
        process::TaskState::Sleeping => "S (sleeping)",
        process::TaskState::Stopped => "T (stopped)",
        process::TaskState::Zombie => "Z (zombie)",
    };
    Ok(format!(
        "Name:\t{name}\nUmask:\t{:04o}\nState:\t{state}\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t{}\n\
         Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmSize:\t{} kB\nVmRSS:\t{} kB\nVmPTE:\t{} kB\nThreads:\t{}\n",
        p.umask.load(core::sync::atomic::Ordering::Relaxed),
        p.ppid.load(core::sync::atomic::Ordering::Relaxed),
        vm / 1024,
        rss * 4,
        pte * 4,
        p.group.live.load(core::sync::atomic::Ordering::Relaxed),
    )
    .into_bytes())
}

fn stat(pid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid)?;
    let exe = p.exe();
    let name = exe.rsplit('/').next().unwrap_or("");
    let st = match p.state() {
        process::TaskState::Sleeping => 'S',
        process::TaskState::Stopped => 'T',
        process::TaskState::Zombie => 'Z',
        _ => 'R',
    };
    let o = core::sync::atomic::Ordering::Relaxed;
    Ok(format!(
        "{pid} ({name}) {st} {} {} {} 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 0 0 0\n",
        p.ppid.load(o),
        p.pgid.load(o),
        p.sid.load(o)
    )
    .into_bytes())
}

fn comm(pid: u32) -> Result<Vec<u8>, Errno> {
    let p = process(pid)?;
    let name = *p.comm.lock();
    let mut out: Vec<u8> = if name[0] != 0 {
        name.iter().take_while(|&&b| b != 0).copied().collect()
    } else {
        let exe = p.exe();
        exe.rsplit('/').next().unwrap_or("").as_bytes().iter().take(15).copied().collect()
    };
    out.push(b'\n');
    Ok(out)
}

fn maps(pid: u32) -> Result<Vec<u8>, Errno> {
    Ok(process(pid)?.aspace.lock().maps_text().into_bytes())
}

fn auxv(pid: u32) -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    for (k, v) in &process(pid)?.image.lock().auxv {
        out.extend_from_slice(&k.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

fn cmdline(pid: u32) -> Result<Vec<u8>, Errno> {
    Ok(process(pid)?.image.lock().cmdline.clone())
}

/// The per-process directories, listed from the process table.
struct Pids;

impl DirSource for Pids {
    fn list(&self) -> Vec<(Vec<u8>, InodeKind)> {
        process::all().iter().map(|p| (format!("{}", p.pid).into_bytes(), InodeKind::Dir)).collect()
    }

    fn lookup(&self, dir: &Arc<ProcDir>, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let pid: u32 = core::str::from_utf8(name).ok().and_then(|s| s.parse().ok()).ok_or(Errno::ENOENT)?;
        process::lookup(pid).ok_or(Errno::ENOENT)?;
        let d = dir.new_dir(name, 0o555, None);
        d.add_file(b"status", 0o444, move || status(pid))?;
        d.add_file(b"stat", 0o444, move || stat(pid))?;
        d.add_file(b"comm", 0o444, move || comm(pid))?;
        d.add_file(b"maps", 0o444, move || maps(pid))?;
        d.add_file(b"auxv", 0o400, move || auxv(pid))?;
        d.add_file(b"cmdline", 0o444, move || cmdline(pid))?;
        let exe = d.new_magic_link(
            b"exe",
            move || Ok(process(pid)?.exe().into_bytes()),
            move || crate::files::with_ctx(|ctx| ctx.resolve(process(pid)?.exe().as_bytes(), true)),
        );
        d.add(b"exe", exe)?;
        Ok(d)
    }
}

pub fn pid_source() -> Arc<dyn DirSource> {
    Arc::new(Pids)
}

/// Fills /proc: system files, and `self` linking to the current process's
/// directory (the per-process directories come from [`pid_source`]).
pub fn populate(fs: &ProcFs) {
    let root = fs.root();
    let added = (|| -> Result<(), Errno> {
        root.add_file(b"cpuinfo", 0o444, cpuinfo)?;
        root.add_file(b"meminfo", 0o444, meminfo)?;
        root.add_file(b"uptime", 0o444, uptime)?;
        #[cfg(feature = "heap-trace")]
        root.add_file(b"ringo_heap", 0o444, || Ok(mem::trace::report().into_bytes()))?;
        // How system calls arrived (HP mode's proof of no `syscall`).
        root.add_file(b"ringo_syscalls", 0o444, || Ok(crate::hp::counts_text().into_bytes()))?;
        root.add_file(b"interrupts", 0o444, || Ok(crate::arch::vectors::proc_interrupts().into_bytes()))?;
        // Where the network's work happened, per CPU.
        root.add_file(b"ringo_net", 0o444, || Ok(crate::net::proc_ringo_net().into_bytes()))?;
        let net = root.add_dir(b"net", 0o555, None)?;
        net.add_file(b"dev", 0o444, || Ok(crate::net::proc_net_dev().into_bytes()))?;
        net.add_file(b"tcp", 0o444, || Ok(crate::net::procfs::tcp().into_bytes()))?;
        net.add_file(b"udp", 0o444, || Ok(crate::net::procfs::udp().into_bytes()))?;
        // Go reads the listen backlog limit here.
        let sys = root.add_dir(b"sys", 0o555, None)?;
        let core = sys.add_dir(b"net", 0o555, None)?.add_dir(b"core", 0o555, None)?;
        core.add_file(b"somaxconn", 0o444, || Ok(format!("{}\n", ringo_uapi::net::SOMAXCONN).into_bytes()))?;
        root.add_symlink(b"self", || Ok(format!("{}", process::current().pid).into_bytes()))?;
        Ok(())
    })();
    if let Err(e) = added {
        log::error!("procfs: {e}");
    }
}
