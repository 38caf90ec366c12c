//! Processes. For now there is one: init, started from the initramfs and
//! run on the boot CPU until it exits, which ends the VM. The structure is
//! already per process (address space, descriptors, limits, credentials)
//! so that fork and the scheduler can add more without reshaping it.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use spin::Mutex;

use crate::arch::trap::TrapFrame;
use crate::arch::{percpu, power};
use crate::usermem::{AddressSpace, FaultError};

pub const KERNEL_STACK_PAGES: usize = 16;

/// Linux's default soft/hard limits for the resources programs ask about.
#[derive(Clone, Copy, Debug)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_COUNT: usize = 16;

fn default_rlimits() -> [Rlimit; RLIMIT_COUNT] {
    let inf = Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    let mut r = [inf; RLIMIT_COUNT];
    r[3] = Rlimit { cur: 8 << 20, max: RLIM_INFINITY }; // RLIMIT_STACK
    r[4] = Rlimit { cur: 0, max: RLIM_INFINITY }; // RLIMIT_CORE
    r[7] = Rlimit { cur: 1024, max: 4096 }; // RLIMIT_NOFILE
    r[8] = Rlimit { cur: 8 << 20, max: 8 << 20 }; // RLIMIT_MEMLOCK
    r
}

pub struct Process {
    pub pid: u32,
    pub ppid: u32,
    pub aspace: Mutex<AddressSpace>,
    pub files: Mutex<crate::files::Files>,
    /// The executable's path (for /proc/self/exe and AT_EXECFN).
    pub exe: String,
    /// The auxiliary vector it started with (/proc/self/auxv).
    pub auxv: Vec<(u64, u64)>,
    pub rlimits: Mutex<[Rlimit; RLIMIT_COUNT]>,
    /// Syscall numbers already reported as unimplemented.
    pub enosys_logged: Mutex<BTreeSet<u64>>,
    pub clear_child_tid: AtomicU64,
    pub umask: AtomicU32,
    pub pgid: AtomicU32,
    pub sid: AtomicU32,
    pub fs_base: AtomicU64,
    pub gs_base: AtomicU64,
    pub start_tsc: u64,
    /// argv joined with NULs (/proc/self/cmdline).
    pub cmdline: Vec<u8>,
    pub signals: Mutex<SignalState>,
    /// Kernel stack: (physical base, top virtual address).
    pub kernel_stack: (u64, u64),
}

/// Signal dispositions, mask and alternate stack as the program set them.
pub struct SignalState {
    /// struct sigaction as rt_sigaction passes it: handler, flags, restorer, mask.
    pub actions: [[u64; 4]; 64],
    pub mask: u64,
    /// stack_t: sp, flags, size (size 0: disabled).
    pub altstack: [u64; 3],
}

impl SignalState {
    pub const fn new() -> Self {
        SignalState { actions: [[0; 4]; 64], mask: 0, altstack: [0; 3] }
    }
}

static CURRENT: Mutex<Option<Arc<Process>>> = Mutex::new(None);

/// The process running on this CPU.
pub fn current() -> Arc<Process> {
    CURRENT.lock().clone().expect("a process is running")
}

/// The running process, if any (none while the kernel starts init).
pub fn try_current() -> Option<Arc<Process>> {
    CURRENT.lock().clone()
}

pub fn set_current(p: Arc<Process>) {
    *CURRENT.lock() = Some(p);
}

pub fn default_limits() -> [Rlimit; RLIMIT_COUNT] {
    default_rlimits()
}

/// Ends the process. init's end ends the VM, with the status a shell would
/// report (128 + signal for a death by signal).
pub fn exit(status: u8) -> ! {
    let p = current();
    crate::println!("ringo: init exited with status {status}");
    if p.pid == 1 {
        power::exit(status, "");
    }
    // Only init exists until fork lands.
    power::exit(status, "")
}

pub fn exit_by_signal(sig: u8) -> ! {
    exit(128 + sig)
}

pub const SIGILL: u8 = 4;
pub const SIGTRAP: u8 = 5;
pub const SIGBUS: u8 = 7;
pub const SIGFPE: u8 = 8;
pub const SIGSEGV: u8 = 11;

/// A page fault in user memory (from ring 3 or from a kernel copy):
/// demand paging, or an error the caller turns into SIGSEGV or EFAULT.
pub fn user_page_fault(addr: u64, write: bool, exec: bool) -> Result<(), FaultError> {
    let Some(p) = CURRENT.lock().clone() else { return Err(FaultError::Unmapped) };
    p.aspace.lock().fault(addr, write, exec)
}

/// An exception in ring 3 that nothing handled: the process dies with the
/// signal Linux would send (no handlers yet), after a Linux-like report.
pub fn user_exception(frame: &TrapFrame, fault_addr: u64) -> ! {
    let p = current();
    let name = p.exe.rsplit('/').next().unwrap_or("?");
    let sig = match frame.vector {
        0 | 16 | 19 => SIGFPE,
        1 | 3 => SIGTRAP,
        6 => SIGILL,
        17 => SIGBUS,
        _ => SIGSEGV,
    };
    match frame.vector {
        14 => crate::println!(
            "{name}[{}]: segfault at {fault_addr:x} ip {:016x} sp {:016x} error {:x} on cpu {}",
            p.pid,
            frame.rip,
            frame.rsp,
            frame.error,
            percpu::current_index()
        ),
        13 => crate::println!(
            "{name}[{}]: general protection fault ip:{:x} sp:{:x} error:{:x}",
            p.pid,
            frame.rip,
            frame.rsp,
            frame.error
        ),
        6 => crate::println!("{name}[{}]: invalid opcode ip:{:x} sp:{:x}", p.pid, frame.rip, frame.rsp),
        v => crate::println!(
            "{name}[{}]: {} ip:{:x} sp:{:x}",
            p.pid,
            crate::arch::trap::exception_name(v).0,
            frame.rip,
            frame.rsp
        ),
    }
    exit_by_signal(sig)
}

pub fn next_pid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
