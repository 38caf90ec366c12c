//! Starting init: mount the root (the initramfs), find the program
//! (`init=` or /init, then /bin/sh), load it and enter it as pid 1.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use ringo_boot::cmdline::KernelArgs;
use ringo_fs::fdtable::OpenFile;
use ringo_fs::vfs::{InodeKind, OpenFlags};

use crate::arch::{paging, power};
use crate::boot_info::BootInfo;
use crate::process::{Image, Process};
use crate::{exec, files, println, sched};

const DEFAULT_INITS: [&str; 2] = ["/init", "/bin/sh"];
const ENV: [&str; 4] = ["HOME=/", "TERM=linux", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "SHELL=/bin/sh"];

pub fn run(boot: &BootInfo, args: &KernelArgs) -> ! {
    let initrd = boot.initrd.map(|(addr, size)| {
        // SAFETY: the loader's module, reserved in the memory map and
        // reached through the direct map; never written.
        unsafe { core::slice::from_raw_parts(paging::phys_to_virt(addr) as *const u8, size as usize) }
    });
    if let Some(archive) = initrd
        && let Ok(need) = ringo_fs::cpio::data_bytes(archive)
        && need.saturating_add(INIT_RESERVE) > free_bytes()
    {
        initramfs_too_big(need, free_bytes());
    }
    if let Err(e) = files::mount_root(initrd) {
        panic!("cannot mount the root file system: {e}");
    }
    let candidates: Vec<&str> = match args.init {
        Some(p) => vec![p],
        None => DEFAULT_INITS.to_vec(),
    };
    for path in &candidates {
        let node = files::with_ctx(|ctx| ctx.resolve(path.as_bytes(), true));
        match node {
            Ok(n) if n.kind() == InodeKind::File => start(path, &n, args),
            Ok(_) => {
                println!("ringo: {path}: not a regular file");
                power::exit(126, "");
            }
            Err(_) => {}
        }
    }
    if args.init.is_some() {
        println!("ringo: {}: not found", candidates[0]);
        power::exit(127, "");
    }
    println!("ringo: no init; powering off");
    power::exit(0, "")
}

/// Memory init and the kernel need beyond the root file system's data.
const INIT_RESERVE: u64 = 8 << 20;

pub fn free_bytes() -> u64 {
    crate::mem::frame_stats().free_pages * 4096
}

/// Says once that the initramfs does not fit and powers off: nothing could
/// run without the root file system, and unpacking on would only exhaust
/// the kernel's memory. Allocates nothing (the heap may be full).
pub fn initramfs_too_big(need: u64, free: u64) -> ! {
    println!(
        "ringo: the initramfs does not fit in memory: its files take {} MiB and {} MiB are free; give the machine more memory (ringo run --mem, QEMU -m)",
        need.div_ceil(1 << 20),
        free >> 20
    );
    power::exit(power::STATUS_MACHINE_TOO_SMALL, "initramfs too big")
}

fn start(path: &str, node: &Arc<dyn ringo_fs::vfs::Inode>, args: &KernelArgs) -> ! {
    crate::arch::watchdog::arm();
    if crate::hp::enabled() {
        log::info!("HP mode: init runs in ring 0 with the vtable at {:#x}", crate::hp::auxv_entry().1);
    }
    let bytes = match files::read_all(node) {
        Ok(b) => Arc::new(b),
        Err(e) => {
            println!("ringo: {path}: cannot read: {e}");
            power::exit(126, "");
        }
    };
    let mut argv: Vec<Vec<u8>> = vec![path.as_bytes().to_vec()];
    argv.extend(args.init_args().map(|a| a.as_bytes().to_vec()));
    let envp: Vec<Vec<u8>> = ENV.iter().map(|e| e.as_bytes().to_vec()).collect();
    let (loaded, stack_image) = match exec::load(path, bytes, &argv, &envp) {
        Ok(l) => l,
        Err(e) => {
            println!("ringo: {path}: {e}");
            power::exit(e.exit_status(), "");
        }
    };
    let mut fds = files::new_files();
    for _ in 0..3 {
        let console = files::with_ctx(|ctx| {
            OpenFile::open(
                ctx,
                b"/dev/console",
                OpenFlags(ringo_uapi::fs::O_RDWR),
                ringo_fs::vfs::Creation::new(0, 0, 0),
            )
        });
        match console {
            Ok(f) => {
                let _ = fds.table.insert(f, false);
            }
            Err(e) => log::error!("init: cannot open /dev/console: {e}"),
        }
    }
    let mut cmdline = Vec::new();
    for a in &argv {
        cmdline.extend_from_slice(a);
        cmdline.push(0);
    }
    let image = Image { exe: String::from(path), auxv: loaded.auxv, cmdline };
    let mut aspace = loaded.aspace;
    if !exec::write_stack(&mut aspace, loaded.stack_pointer, &stack_image) {
        println!("ringo: {path}: cannot set up the stack");
        power::exit(126, "");
    }
    let Ok(p) = Process::create(0, aspace, fds, image, None) else { panic!("no memory for init") };
    log::info!("starting init: {path}");
    p.start(&exec::initial_frame(loaded.entry, loaded.stack_pointer));
    // The boot stack becomes this CPU's idle loop.
    sched::run_idle()
}
