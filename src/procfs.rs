//! What /proc shows: a Linux-compatible subset generated from the kernel's
//! state when a file is opened.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use ringo_fs::procfs::ProcFs;
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

fn meminfo() -> Result<Vec<u8>, Errno> {
    let f = mem::frame_stats();
    let kb = |pages: u64| pages * 4;
    Ok(format!(
        "MemTotal:       {:8} kB\nMemFree:        {:8} kB\nMemAvailable:   {:8} kB\nBuffers:               0 kB\n\
         Cached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
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

fn status() -> Result<Vec<u8>, Errno> {
    let p = process::current();
    let name = p.exe.rsplit('/').next().unwrap_or("");
    let vm: u64 = p.aspace.lock().vmas.iter().map(|v| v.len()).sum();
    Ok(format!(
        "Name:\t{name}\nUmask:\t{:04o}\nState:\tR (running)\nTgid:\t{pid}\nPid:\t{pid}\nPPid:\t{}\n\
         Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nVmSize:\t{} kB\nThreads:\t1\n",
        p.umask.load(core::sync::atomic::Ordering::Relaxed),
        p.ppid,
        vm / 1024,
        pid = p.pid
    )
    .into_bytes())
}

fn maps() -> Result<Vec<u8>, Errno> {
    Ok(process::current().aspace.lock().maps_text().into_bytes())
}

fn auxv() -> Result<Vec<u8>, Errno> {
    let mut out = Vec::new();
    for (k, v) in &process::current().auxv {
        out.extend_from_slice(&k.to_le_bytes());
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

fn cmdline() -> Result<Vec<u8>, Errno> {
    Ok(process::current().cmdline.clone())
}

/// Fills /proc. There is one process, init (pid 1): its directory shows
/// the current process, and `/proc/self` links to it. Per-process
/// directories listed from the process table come with fork.
pub fn populate(fs: &ProcFs) {
    let root = fs.root();
    let added = (|| -> Result<(), Errno> {
        root.add_file(b"cpuinfo", 0o444, cpuinfo)?;
        root.add_file(b"meminfo", 0o444, meminfo)?;
        root.add_file(b"uptime", 0o444, uptime)?;
        root.add_symlink(b"self", || Ok(format!("{}", process::current().pid).into_bytes()))?;
        let me = root.add_dir(b"1", 0o555, None)?;
        me.add_file(b"status", 0o444, status)?;
        me.add_file(b"maps", 0o444, maps)?;
        me.add_file(b"auxv", 0o400, auxv)?;
        me.add_file(b"cmdline", 0o444, cmdline)?;
        let exe = me.new_magic_link(
            b"exe",
            || Ok(process::current().exe.clone().into_bytes()),
            || crate::files::with_ctx(|ctx| ctx.resolve(process::current().exe.as_bytes(), true)),
        );
        me.add(b"exe", exe)?;
        Ok(())
    })();
    if let Err(e) = added {
        log::error!("procfs: {e}");
    }
}
