//! Ringo: a guest kernel for cloud VMs that run one app.
//!
//! Boot order (each step needs the ones before it): console, traps (no IST
//! yet), boot info, memory (frames, page tables, heap), this CPU's GDT/TSS/GS,
//! the TSC clock, ACPI's CPU list, local APICs and their timers, the ring-3
//! sanity probe, the other CPUs. Then the banner, and init (a self-test for
//! now: there is no user space yet).
#![no_std]
#![no_main]

extern crate alloc;

mod arch;
mod backtrace;
mod boot_info;
mod console;
mod drivers;
mod exec;
mod files;
mod fshooks;
mod hp;
mod idle;
mod init;
mod ktest;
mod logger;
mod mem;
mod net;
mod oom;
mod panic;
mod process;
mod procfs;
mod random;
mod sched;
mod signals;
mod sync;
mod syscall;
mod time;
mod usermem;

use ringo_boot::cmdline::{KernelArgs, ParamError};

use arch::ring3_probe::Verdict;
use arch::{acpi, apic, cpu, idt, percpu, power, smp, tsc};

const VERSION: &str = env!("CARGO_PKG_VERSION");

#[unsafe(no_mangle)]
extern "C" fn kernel_entry(start_info: u64) -> ! {
    console::init();
    logger::init();
    idt::init(false);

    // SAFETY: first thing after entry, boot tables active, boot CPU.
    let boot = match unsafe { boot_info::parse(start_info) } {
        Ok(b) => b,
        Err(e) => panic!("unusable boot information from the loader: {e}"),
    };
    let args = KernelArgs::parse(boot.cmdline, |e| match e {
        ParamError::BadValue { key, value } => log::warn!("ignoring {key}={value}: bad value"),
        ParamError::MissingValue { key } => log::warn!("ignoring {key}: it needs a value"),
    });
    logger::set_loglevel(args.loglevel);
    let (khz, source) = tsc::calibrate();
    log::info!("Ringo {VERSION}; command line: {}", boot.cmdline);
    log::info!("TSC {} MHz ({source:?})", khz / 1000);
    if boot.memmap.dropped() > 0 {
        log::warn!("memory map: {} entries did not fit and were ignored", boot.memmap.dropped());
    }

    if let Some((addr, size)) = boot.initrd {
        log::info!("initrd: {size} bytes at {addr:#x}");
    }
    // SAFETY: boot CPU, boot tables active, the map holds all reservations.
    if let Err(e) = unsafe { mem::init(&boot.memmap) } {
        panic!("memory setup failed: {e}");
    }
    log::debug!("page tables and heap ready");
    let bsp = percpu::PerCpu::new(0, apic::current_apic_id());
    bsp.install();
    idt::init(true);
    if args.mode == ringo_boot::cmdline::Mode::Hp {
        // Before SMAP and the other CPUs: both depend on the mode.
        hp::enable();
    }
    arch::enable_cpu_features();
    arch::uaccess::enable_smap();
    arch::syscall_entry::init();
    let frames = mem::frame_stats();
    log::info!(
        "memory: {} MiB usable, {} MiB free after kernel setup",
        boot.memmap.usable_bytes(4096) >> 20,
        (frames.free_pages * 4096) >> 20
    );

    apic::mask_legacy_pic();
    if let Err(e) = apic::init_global() {
        panic!("cannot map the local APIC: {e:?}");
    }
    let initial = apic::calibrate_timer();
    log::info!(
        "local APIC: {} mode, timer {HZ} Hz (count {initial})",
        if apic::is_x2apic() { "x2APIC" } else { "xAPIC" },
        HZ = apic::HZ
    );
    apic::init_local(bsp);
    bsp.online.store(true, core::sync::atomic::Ordering::Release);

    match arch::ring3_probe::run() {
        Verdict::Faithful => log::debug!("ring 3: syscall arrives in ring 0"),
        v => {
            let detail = match v {
                Verdict::WrongCpl(cpl) => alloc::format!("syscall from ring 3 arrived at CPL {cpl}"),
                Verdict::FaultedInRing3(vec, rip) => alloc::format!(
                    "syscall from ring 3 reached the kernel entry in ring 3: {} at {rip:#x}",
                    arch::trap::exception_name(vec).0
                ),
                Verdict::Faithful => unreachable!(),
            };
            println!(
                "ringo: this hypervisor does not virtualize ring transitions faithfully ({detail}); run under TCG (-accel tcg)"
            );
            power::exit(power::STATUS_UNFAITHFUL_HYPERVISOR, "unfaithful hypervisor");
        }
    }

    arch::enable_user_fpu();
    arch::context::init_fpu_saving();
    time::init();
    let cpus = match acpi::cpus(boot.rsdp) {
        Ok(list) => {
            if list.ignored > 0 {
                log::warn!("ACPI lists {} CPUs beyond the {} supported", list.ignored, percpu::MAX_CPUS);
            }
            smp::start_aps(&list.apic_ids[..list.count])
        }
        Err(e) => {
            log::warn!("no ACPI CPU list ({e}); running on the boot CPU only");
            1
        }
    };

    sched::set_online_cpus(cpus);
    net::start(cpus);
    drivers::init(boot.rsdp);
    let boot_us = tsc::micros_since_boot();
    println!(
        "ringo: ready: {cpus} CPUs, {} MiB memory, accel {}, boot {}.{:03} ms",
        boot.memmap.usable_bytes(4096) >> 20,
        cpu::accelerator_name(),
        boot_us / 1000,
        boot_us % 1000
    );

    if let Some(name) = args.ktest {
        ktest::run(name, &boot.memmap);
    }
    net::configure(args.params().find(|p| p.key == "ip").map(|p| p.value.unwrap_or("")));
    log::info!("syscalls: {} of {} implemented", syscall::implemented(), ringo_syscalls::COUNT);
    fshooks::install();
    if args.strace {
        syscall::enable_strace();
    }
    init::run(&boot, &args)
}

/// Every CPU's timer tick: the scheduler; on the boot CPU also console
/// input and the process-wide timers.
static DEFERRED_TICK_WORK: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

fn tick_work() {
    fshooks::poll_serial_input();
    process::timer_signals(time::monotonic_ns());
    ringo_fs::timerfd::expire_due();
}

/// The boot CPU's timer work that a tick could not do because it
/// interrupted the kernel: from a preemption point in process context, so
/// that a long system call does not hold back every timer and signal.
pub fn deferred_tick_work() {
    if DEFERRED_TICK_WORK.swap(false, core::sync::atomic::Ordering::Relaxed) {
        cpu::without_interrupts(tick_work);
    }
}

pub fn tick(from_user: bool) {
    // Terminal input may signal process groups, timers signal processes:
    // only where no process lock can be held by the interrupted code; else
    // at the next preemption point of a long system call.
    if arch::percpu::current_index() == 0 {
        if from_user || sched::interrupted_idle() {
            DEFERRED_TICK_WORK.store(false, core::sync::atomic::Ordering::Relaxed);
            tick_work();
        } else {
            DEFERRED_TICK_WORK.store(true, core::sync::atomic::Ordering::Relaxed);
        }
    }
    process::cpu_timers_tick(from_user, 1_000_000_000 / arch::apic::HZ as u64);
    net::tick();
    sched::tick(from_user);
}
