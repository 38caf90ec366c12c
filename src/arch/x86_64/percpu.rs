//! Per-CPU data, reached through GS: `gs:[0]` holds a pointer to the CPU's
//! own [`PerCpu`]. Each CPU owns its GDT and TSS (the TSS holds its IST
//! stacks) and its local APIC handle.

use alloc::boxed::Box;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable};
use x86_64::structures::tss::TaskStateSegment;

use super::cpu;

pub const MAX_CPUS: usize = 64;
/// Offsets the assembly entry paths use (checked at compile time below).
pub const GS_KERNEL_RSP: usize = 16;
pub const GS_USER_RSP: usize = 24;
pub const GS_CURRENT_TASK: usize = 32;
/// IST slots (1-based in the IDT, 0-based in the TSS).
pub const IST_DOUBLE_FAULT: u16 = 1;
pub const IST_NMI: u16 = 2;
pub const IST_MACHINE_CHECK: u16 = 3;
/// Every other vector enters here and moves to the right stack at once
/// (see `idt`): an app in ring 0 (HP mode) must never get a frame pushed
/// onto its own stack.
pub const IST_SWITCH: u16 = 4;
const IST_STACK_PAGES: usize = 4;

/// Segment selectors, in the order SYSCALL/SYSRET require (kernel code,
/// kernel data, user data, user code), the same layout as Linux.
pub const KERNEL_CS: u16 = 0x08;
pub const KERNEL_DS: u16 = 0x10;
pub const USER_DS: u16 = 0x18 | 3;
pub const USER_CS: u16 = 0x20 | 3;

#[repr(C)]
pub struct PerCpu {
    /// Must stay first: `gs:[0]`.
    self_ptr: *const PerCpu,
    pub index: usize,
    /// `gs:[16]`: the stack the syscall entry switches to (the running
    /// task's kernel stack top).
    pub kernel_rsp: AtomicU64,
    /// `gs:[24]`: where the syscall entry parks the user stack pointer.
    user_rsp: UnsafeCell<u64>,
    /// `gs:[32]`: the task running here (an opaque pointer the scheduler
    /// owns; 0 while the CPU idles). One `mov` reads it, so a task reading
    /// its own pointer cannot be migrated halfway.
    pub current_task: AtomicU64,
    /// Stack pointer of this CPU's idle loop while a task runs.
    pub idle_rsp: AtomicU64,
    /// The page-table root loaded in CR3 here: TLB shootdowns go to the
    /// CPUs whose root is the changed address space's.
    pub active_root: AtomicU64,
    /// TLB flushes asked of this CPU, and done by it (generations).
    pub flush_requested: AtomicU64,
    pub flush_done: AtomicU64,
    pub apic_id: u32,
    pub ticks: AtomicU64,
    /// Device interrupts taken here, by vector (for /proc/interrupts).
    pub irq_counts: [AtomicU64; super::vectors::DEVICE_VECTORS],
    pub online: AtomicBool,
    /// Top of the stack this CPU's kernel code runs on (for backtraces).
    pub stack_top: AtomicU64,
    /// Tops of the IST stacks (index IST number - 1), for fault reports.
    pub ist_tops: [u64; 4],
    /// System calls entered and task switches (see watchdog.rs).
    pub progress: AtomicU64,
    pub watch: WatchState,
    /// The system call this CPU last entered, 511 outside one (heap-trace).
    #[cfg(feature = "heap-trace")]
    pub in_syscall: core::sync::atomic::AtomicU32,
    gdt: UnsafeCell<GlobalDescriptorTable<8>>,
    tss: UnsafeCell<TaskStateSegment>,
    pub(super) lapic: UnsafeCell<Option<x2apic::lapic::LocalApic>>,
}

// SAFETY: the UnsafeCell fields are only touched by the CPU that owns the
// structure (GDT/TSS at bring-up, the APIC handle with interrupts off); the
// rest are atomics or set before the CPU starts.
unsafe impl Sync for PerCpu {}
// SAFETY: as above; the structure is created on one CPU and handed to another
// before that one starts.
unsafe impl Send for PerCpu {}

const _: () = {
    assert!(core::mem::offset_of!(PerCpu, kernel_rsp) == GS_KERNEL_RSP);
    assert!(core::mem::offset_of!(PerCpu, user_rsp) == GS_USER_RSP);
    assert!(core::mem::offset_of!(PerCpu, current_task) == GS_CURRENT_TASK);
};

/// Set once the boot CPU has installed its block: from then on every CPU
/// that runs kernel code past its own bring-up has GS set.
static INSTALLED: AtomicBool = AtomicBool::new(false);

pub fn installed() -> bool {
    INSTALLED.load(Ordering::Acquire)
}

static CPUS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static CPU_COUNT: AtomicU64 = AtomicU64::new(0);

impl PerCpu {
    /// Allocates the per-CPU block of CPU `index` with fresh IST stacks.
    pub fn new(index: usize, apic_id: u32) -> &'static PerCpu {
        assert!(index < MAX_CPUS);
        let pc: &'static mut PerCpu = Box::leak(Box::new(PerCpu {
            self_ptr: core::ptr::null(),
            index,
            kernel_rsp: AtomicU64::new(0),
            user_rsp: UnsafeCell::new(0),
            current_task: AtomicU64::new(0),
            idle_rsp: AtomicU64::new(0),
            active_root: AtomicU64::new(0),
            flush_requested: AtomicU64::new(0),
            flush_done: AtomicU64::new(0),
            apic_id,
            ticks: AtomicU64::new(0),
            irq_counts: [const { AtomicU64::new(0) }; super::vectors::DEVICE_VECTORS],
            online: AtomicBool::new(false),
            stack_top: AtomicU64::new(0),
            ist_tops: [0; 4],
            progress: AtomicU64::new(0),
            #[cfg(feature = "heap-trace")]
            in_syscall: core::sync::atomic::AtomicU32::new(511),
            watch: WatchState::default(),
            gdt: UnsafeCell::new(GlobalDescriptorTable::empty()),
            tss: UnsafeCell::new(TaskStateSegment::new()),
            lapic: UnsafeCell::new(None),
        }));
        pc.self_ptr = pc as *const PerCpu;
        let tss = pc.tss.get_mut();
        for ist in [IST_DOUBLE_FAULT, IST_NMI, IST_MACHINE_CHECK, IST_SWITCH] {
            // Guarded like every kernel stack. At boot, so memory is there;
            // a CPU without its IST stacks could not report a fault.
            let Some(top) = super::paging::new_guarded_stack(IST_STACK_PAGES) else {
                panic!("no memory for the IST stacks of cpu {index}");
            };
            tss.interrupt_stack_table[(ist - 1) as usize] = VirtAddr::new(top);
            pc.ist_tops[(ist - 1) as usize] = top;
        }
        CPUS[index].store(pc as *const PerCpu as u64, Ordering::Release);
        CPU_COUNT.fetch_max(index as u64 + 1, Ordering::AcqRel);
        pc
    }

    /// Loads this CPU's GDT, segments, TSS and GS base. Call on the CPU it
    /// belongs to, once, with interrupts off.
    pub fn install(&'static self) {
        // SAFETY: only the owning CPU reaches here, once, before anything
        // else refers to its GDT or TSS; both live forever (leaked).
        unsafe {
            let gdt = &mut *self.gdt.get();
            let tss: &'static TaskStateSegment = &*self.tss.get();
            let kcs = gdt.append(Descriptor::kernel_code_segment());
            let kds = gdt.append(Descriptor::kernel_data_segment());
            let uds = gdt.append(Descriptor::user_data_segment());
            let ucs = gdt.append(Descriptor::user_code_segment());
            let tss_sel = gdt.append(Descriptor::tss_segment(tss));
            debug_assert_eq!((kcs.0, kds.0, uds.0, ucs.0), (KERNEL_CS, KERNEL_DS & !3, USER_DS, USER_CS));
            (*self.gdt.get()).load();
            CS::set_reg(kcs);
            for set in [DS::set_reg, ES::set_reg, SS::set_reg] {
                set(kds);
            }
            load_tss(tss_sel);
            cpu::wrmsr(cpu::MSR_GS_BASE, self as *const PerCpu as u64);
            cpu::wrmsr(cpu::MSR_KERNEL_GS_BASE, 0);
        }
        INSTALLED.store(true, Ordering::Release);
    }

    /// Sets the stack the CPU switches to on entry from ring 3, by an
    /// interrupt (TSS) or by `syscall` (gs:[16]). Call on the owning CPU.
    pub fn set_kernel_stack(&self, top: u64) {
        self.kernel_rsp.store(top, Ordering::Relaxed);
        self.set_ring0_stack(top);
    }

    /// Sets the stack the CPU switches to on an interrupt from ring 3.
    pub fn set_ring0_stack(&self, top: u64) {
        // SAFETY: only the owning CPU updates its TSS, with interrupts off.
        unsafe { (*self.tss.get()).privilege_stack_table[0] = VirtAddr::new(top) };
    }
}

/// What the watchdog (watchdog.rs) last saw on and from this CPU.
#[derive(Default)]
pub struct WatchState {
    pub seen_progress: AtomicU64,
    /// TSC when `seen_progress` last changed.
    pub progress_tsc: AtomicU64,
    pub neighbour_ticks: AtomicU64,
    pub neighbour_tsc: AtomicU64,
    pub nmi_sent: AtomicBool,
    pub nmi_requested: AtomicBool,
}

/// The current CPU's block, or `None` before [`PerCpu::install`] ran here.
pub fn current() -> Option<&'static PerCpu> {
    if cpu::rdmsr(cpu::MSR_GS_BASE) == 0 {
        return None;
    }
    let p: u64;
    // SAFETY: GS base points at an installed PerCpu whose first field is
    // its own address.
    unsafe { core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags)) };
    // SAFETY: installed PerCpu blocks are leaked, so live forever.
    Some(unsafe { &*(p as *const PerCpu) })
}

/// The running task's pointer (`current_task`) of this CPU. Only for code
/// that runs after [`PerCpu::install`] (every task does).
pub fn current_task() -> u64 {
    let p: u64;
    // SAFETY: GS points at this CPU's installed PerCpu; one load of an
    // aligned u64 field at its fixed offset.
    unsafe {
        core::arch::asm!("mov {}, gs:[{off}]", out(reg) p, off = const GS_CURRENT_TASK, options(nostack, readonly, preserves_flags))
    };
    p
}

/// This CPU's block, for code that runs after [`PerCpu::install`]: no MSR
/// read to check that GS is set up.
pub fn this() -> &'static PerCpu {
    let p: u64;
    // SAFETY: as in `current`, with GS installed by the caller's contract.
    unsafe {
        core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags));
        &*(p as *const PerCpu)
    }
}

/// This CPU's block once GS is set up, without reading the GS MSR (for
/// paths that run often: IPIs, shootdowns, spins).
pub fn try_this() -> Option<&'static PerCpu> {
    installed().then(this)
}

pub fn current_index() -> usize {
    current().map_or(0, |c| c.index)
}

pub fn cpu(index: usize) -> Option<&'static PerCpu> {
    let p = CPUS.get(index)?.load(Ordering::Acquire);
    // SAFETY: non-zero entries point at leaked PerCpu blocks.
    (p != 0).then(|| unsafe { &*(p as *const PerCpu) })
}

pub fn count() -> usize {
    CPU_COUNT.load(Ordering::Acquire) as usize
}
