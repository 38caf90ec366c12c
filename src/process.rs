//! Processes: the table, parents and children, exit and reaping, and the
//! per-task state the scheduler switches (kernel stack, saved context, FPU
//! state, FS/GS bases). One thread per process until the threads work.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU32, AtomicU64, Ordering};

use crate::sync::Mutex;

use crate::arch::trap::TrapFrame;
use crate::arch::{context, cpu, paging, percpu, power};
use crate::usermem::{AddressSpace, FaultError, SharedAspace};
use crate::{mem, sched};

pub const KERNEL_STACK_PAGES: usize = 16;
const FPU_PAGES: usize = context::FPU_AREA / 4096;

/// Linux's default soft/hard limits for the resources programs ask about.
#[derive(Clone, Copy, Debug)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_COUNT: usize = 16;

const SIGPENDING_DEFAULT: u64 = 4096;

pub fn default_limits() -> [Rlimit; RLIMIT_COUNT] {
    let inf = Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    let mut r = [inf; RLIMIT_COUNT];
    r[3] = Rlimit { cur: 8 << 20, max: RLIM_INFINITY }; // RLIMIT_STACK
    r[4] = Rlimit { cur: 0, max: RLIM_INFINITY }; // RLIMIT_CORE
    r[6] = Rlimit { cur: 4096, max: 4096 }; // RLIMIT_NPROC
    r[7] = Rlimit { cur: 1024, max: 4096 }; // RLIMIT_NOFILE
    r[8] = Rlimit { cur: 8 << 20, max: 8 << 20 }; // RLIMIT_MEMLOCK
    // Queued real-time signals (Linux derives it from memory: 1,000 to
    // 100,000); each is a siginfo on the kernel heap.
    r[ringo_uapi::system::RLIMIT_SIGPENDING as usize] = Rlimit { cur: SIGPENDING_DEFAULT, max: SIGPENDING_DEFAULT };
    r
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum TaskState {
    New = 0,
    Runnable = 1,
    Running = 2,
    Sleeping = 3,
    Stopped = 4,
    Zombie = 5,
}

/// What the scheduler keeps per task.
pub struct SchedState {
    pub state: AtomicU8,
    /// Kernel stack pointer saved by the last switch away.
    pub ctx_rsp: AtomicU64,
    pub kstack_phys: u64,
    pub kstack_top: u64,
    /// FPU/SSE/AVX state while not running (FPU_AREA bytes, page-aligned).
    pub fpu_phys: u64,
    /// Set once `schedule` has committed to taking the task off its CPU
    /// (sleeping, stopped, dead): a waker must then queue it. While clear,
    /// a task that set itself sleeping still runs, and a waker only marks
    /// it running again. The lock orders the two sides.
    pub parked: Mutex<bool>,
    /// A CPU is on the task's kernel stack (running it, or switching away
    /// from it): no other CPU may switch to it until it is clear.
    pub on_cpu: AtomicBool,
    /// The CPU it last ran on (where a wakeup tries first).
    pub cpu: AtomicU32,
    /// CPUs it may run on (sched_setaffinity), bit per CPU.
    pub affinity: AtomicU64,
}

/// What exec replaces.
pub struct Image {
    /// The executable's path (for /proc/self/exe and AT_EXECFN).
    pub exe: String,
    /// The auxiliary vector it started with (/proc/self/auxv).
    pub auxv: Vec<(u64, u64)>,
    /// argv joined with NULs (/proc/self/cmdline).
    pub cmdline: Vec<u8>,
}

/// Signal dispositions, mask, pending signals and alternate stack.
/// struct sigaction per signal as rt_sigaction passes it: handler, flags,
/// restorer, mask. Shared by the threads of a process (CLONE_SIGHAND).
pub type SigActions = [[u64; 4]; 64];

/// What the threads of one process have in common besides memory, files
/// and handlers: how many still run, and the process's exit status.
/// A POSIX timer (timer_create): when it fires, `signo` goes to the
/// process (or to thread `tid` with SIGEV_THREAD_ID) carrying `value`.
#[derive(Clone, Copy)]
pub struct PosixTimer {
    pub signo: u8,
    pub tid: Option<u32>,
    pub value: u64,
    /// Next expiry (monotonic ns, 0 = disarmed) and interval.
    pub next: u64,
    pub interval: u64,
    pub overrun: u32,
    /// CLOCK_REALTIME timers report and take absolute times in wall time.
    pub realtime: bool,
    /// The clock `next` counts in.
    pub clock: TimerClock,
}

impl PosixTimer {
    /// At `now` (in the timer's clock): whether it fires; if so it is
    /// rearmed (or disarmed) and the periods it missed are its overrun.
    pub fn expire(&mut self, now: u64) -> bool {
        if self.next == 0 || self.next > now {
            return false;
        }
        let overrun = (now - self.next).checked_div(self.interval).unwrap_or(0) as u32;
        self.next = if self.interval != 0 {
            self.next.saturating_add((overrun as u64 + 1).saturating_mul(self.interval))
        } else {
            0
        };
        self.overrun = overrun;
        true
    }
}

/// What a timer measures: wall time (monotonic), or CPU time of one
/// thread (CLOCK_THREAD_CPUTIME_ID) or of the process
/// (CLOCK_PROCESS_CPUTIME_ID, ITIMER_PROF). CPU-time timers are checked at
/// the timer ticks of the CPUs running the threads they measure.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TimerClock {
    Wall,
    Thread(u32),
    Process,
}

/// ITIMER_VIRTUAL or ITIMER_PROF: time left (ns of the process's user, or
/// user and system, CPU time, charged per tick) and the reload interval.
pub struct CpuItimer {
    pub armed: AtomicBool,
    pub left_ns: core::sync::atomic::AtomicI64,
    pub interval_ns: AtomicU64,
}

impl CpuItimer {
    const fn new() -> Self {
        CpuItimer {
            armed: AtomicBool::new(false),
            left_ns: core::sync::atomic::AtomicI64::new(0),
            interval_ns: AtomicU64::new(0),
        }
    }
}

pub struct ThreadGroup {
    pub live: AtomicU32,
    pub timers: Mutex<BTreeMap<i32, PosixTimer>>,
    /// CPU time (ns) of the process's threads that have ended.
    pub dead_cpu_ns: AtomicU64,
    /// Timer ticks (user, system) of the process's ended threads, and of
    /// its reaped children: they split CPU time into user and system time.
    pub dead_ticks: [AtomicU64; 2],
    pub children_ticks: [AtomicU64; 2],
    /// CPU time (ns) of reaped children (RUSAGE_CHILDREN).
    pub children_cpu_ns: AtomicU64,
    /// exit_group's wait status, once a thread called it.
    pub exit_status: Mutex<Option<i32>>,
    /// ITIMER_VIRTUAL and ITIMER_PROF.
    pub itimer_virtual: CpuItimer,
    pub itimer_prof: CpuItimer,
    /// Set by the last thread out once the leader holds the process's
    /// wait status: only then may the parent collect it (threads on other
    /// CPUs may still be on their way out before).
    pub ended: AtomicBool,
}

/// Per-thread signal state: mask, thread-directed pending signals,
/// alternate stack.
pub struct SignalState {
    pub mask: u64,
    /// The mask to restore after the handler of a sigsuspend wakeup.
    pub saved_mask: Option<u64>,
    /// Standard signals pending (bit sig-1) with their siginfo: sent to
    /// the process (kill) and to the thread (tkill, tgkill; dequeued first).
    pub pending: u64,
    pub info: BTreeMap<u8, crate::signals::Siginfo>,
    pub thread_pending: u64,
    pub thread_info: BTreeMap<u8, crate::signals::Siginfo>,
    /// Real-time signals queue in order, with their siginfo.
    pub rt_queue: VecDeque<crate::signals::Siginfo>,
    /// stack_t: sp, flags, size (size 0: disabled).
    pub altstack: [u64; 3],
}

impl Drop for SignalState {
    fn drop(&mut self) {
        crate::signals::forget_queued(self.rt_queue.len());
    }
}

impl SignalState {
    pub fn new() -> Self {
        SignalState {
            mask: 0,
            saved_mask: None,
            pending: 0,
            info: BTreeMap::new(),
            thread_pending: 0,
            thread_info: BTreeMap::new(),
            rt_queue: VecDeque::new(),
            altstack: [0; 3],
        }
    }
}

/// A task: a thread, and (when `pid == tgid`) the process it leads.
pub struct Process {
    /// The thread id (the pid for a process's first thread).
    pub pid: u32,
    /// The process id: the first thread's id.
    pub tgid: u32,
    pub ppid: AtomicU32,
    pub aspace: Arc<SharedAspace>,
    pub files: Arc<Mutex<crate::files::Files>>,
    pub image: Arc<Mutex<Image>>,
    pub sig_actions: Arc<Mutex<SigActions>>,
    pub group: Arc<ThreadGroup>,
    pub rlimits: Mutex<[Rlimit; RLIMIT_COUNT]>,
    /// Syscall numbers already reported as unimplemented.
    pub enosys_logged: Mutex<BTreeSet<u64>>,
    pub clear_child_tid: AtomicU64,
    /// The user address of the thread's `struct robust_list_head`
    /// (set_robust_list), walked when the thread ends; 0 for none.
    pub robust_list: AtomicU64,
    pub umask: AtomicU32,
    pub pgid: AtomicU32,
    pub sid: AtomicU32,
    pub fs_base: AtomicU64,
    pub gs_base: AtomicU64,
    pub signals: Mutex<SignalState>,
    pub sched: SchedState,
    /// Wait status (as wait4 reports it) once a zombie or stopped.
    pub wait_status: AtomicI32,
    /// Set when a stop or continue has not been reported to wait yet.
    pub state_change_unreported: AtomicU8,
    pub children: Mutex<Vec<u32>>,
    /// ITIMER_REAL: next expiry (monotonic ns, 0 = off) and interval.
    pub real_timer: Mutex<(u64, u64)>,
    /// A vfork parent waits for this (exec) or the child's exit.
    pub vfork_done: AtomicBool,
    /// The current syscall returned a restartable EINTR.
    pub restart_marked: AtomicBool,
    /// Reaped: its kernel stack is gone; it must never run again.
    pub reaped: AtomicBool,
    /// Set when a signal may be pending (blocked or not), so the return
    /// to user space can skip the signal lock when nothing is.
    pub signal_hint: AtomicBool,
    /// A dead thread the scheduler frees once it has switched away.
    pub autoreap: AtomicBool,
    /// CPU time used before the current run (ns), and the TSC when the
    /// current run started (0 while not running).
    pub cpu_ns: AtomicU64,
    pub run_start_tsc: AtomicU64,
    /// Timer ticks that found this thread running in user mode and in the
    /// kernel (Linux's tick sampling): the ratio splits `cpu_ns`.
    pub ticks: [AtomicU64; 2],
    /// The thread's name (prctl PR_SET_NAME, /proc/PID/comm), NUL-padded.
    pub comm: Mutex<[u8; 16]>,
}

/// Task structures alive, in the table or not (a leak shows here).
pub static LIVE: AtomicU32 = AtomicU32::new(0);

impl Drop for Process {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

static TABLE: Mutex<BTreeMap<u32, Arc<Process>>> = Mutex::new(BTreeMap::new());
static NEXT_PID: AtomicU32 = AtomicU32::new(1);

/// The process running on this CPU.
pub fn current() -> Arc<Process> {
    try_current().expect("a process is running")
}

/// The running process, if any (none while the kernel starts init, and on
/// an idle CPU).
pub fn try_current() -> Option<Arc<Process>> {
    let p = current_ref()?;
    // SAFETY: the CPU's current-task slot holds a strong reference (see
    // `set_current`), so the count is at least one while we add ours.
    unsafe {
        Arc::increment_strong_count(p as *const Process);
        Some(Arc::from_raw(p as *const Process))
    }
}

/// Makes `next` this CPU's current task (None: the CPU goes idle). The
/// per-CPU slot owns one strong reference to the task it names.
pub fn set_current(next: Option<Arc<Process>>) {
    let new = next.map_or(0, |p| Arc::into_raw(p) as u64);
    let old = percpu::this().current_task.swap(new, Ordering::AcqRel);
    if old != 0 {
        // SAFETY: the slot's reference, made by `Arc::into_raw` above.
        drop(unsafe { Arc::from_raw(old as *const Process) });
    }
}

/// The running task without touching its reference count (the syscall
/// and signal fast paths). `None` before init runs and while idle.
pub fn current_ref() -> Option<&'static Process> {
    if !percpu::installed() {
        return None;
    }
    let p = percpu::current_task() as *const Process;
    // SAFETY: the slot holds a reference for as long as the task runs on
    // this CPU, and a task only reads its own slot: if it migrates, the
    // new CPU's slot names the same task.
    (!p.is_null()).then(|| unsafe { &*p })
}

pub fn lookup(pid: u32) -> Option<Arc<Process>> {
    TABLE.lock().get(&pid).cloned()
}

/// Every process (thread-group leaders only).
#[cfg(feature = "heap-trace")]
pub fn table_len() -> usize {
    TABLE.lock().len()
}

pub fn all() -> Vec<Arc<Process>> {
    TABLE.lock().values().filter(|p| p.pid == p.tgid).cloned().collect()
}

/// The threads of process `tgid`.
pub fn threads_of(tgid: u32) -> Vec<Arc<Process>> {
    TABLE.lock().values().filter(|p| p.tgid == tgid).cloned().collect()
}

#[derive(Debug)]
pub struct NoMemory;

/// The parts of a task that its process's threads share.
pub struct Shared {
    pub aspace: Arc<SharedAspace>,
    pub files: Arc<Mutex<crate::files::Files>>,
    pub image: Arc<Mutex<Image>>,
    pub sig_actions: Arc<Mutex<SigActions>>,
    pub group: Arc<ThreadGroup>,
    /// `Some(tgid)`: a thread of that process.
    pub tgid: Option<u32>,
}

impl Process {
    /// A new process with its own kernel stack and FPU area, in the table.
    pub fn create(
        ppid: u32,
        aspace: AddressSpace,
        files: crate::files::Files,
        image: Image,
        fpu_from: Option<&Process>,
    ) -> Result<Arc<Process>, NoMemory> {
        let shared = Shared {
            aspace: Arc::new(SharedAspace::new(aspace)),
            files: Arc::new(Mutex::new(files)),
            image: Arc::new(Mutex::new(image)),
            sig_actions: Arc::new(Mutex::new([[0; 4]; 64])),
            group: Arc::new(ThreadGroup {
                live: AtomicU32::new(1),
                timers: Mutex::new(BTreeMap::new()),
                dead_cpu_ns: AtomicU64::new(0),
                dead_ticks: [const { AtomicU64::new(0) }; 2],
                children_ticks: [const { AtomicU64::new(0) }; 2],
                children_cpu_ns: AtomicU64::new(0),
                exit_status: Mutex::new(None),
                ended: AtomicBool::new(false),
                itimer_virtual: CpuItimer::new(),
                itimer_prof: CpuItimer::new(),
            }),
            tgid: None,
        };
        Self::create_task(ppid, shared, fpu_from)
    }

    /// A task with the given shared parts: a new process (`tgid: None`) or
    /// a new thread of process `tgid`.
    pub fn create_task(ppid: u32, shared: Shared, fpu_from: Option<&Process>) -> Result<Arc<Process>, NoMemory> {
        let kstack = mem::alloc_frames(KERNEL_STACK_PAGES).ok_or(NoMemory)?;
        let Some(fpu) = mem::alloc_frames(FPU_PAGES) else {
            // SAFETY: just allocated, unused.
            unsafe { mem::free_frames(kstack, KERNEL_STACK_PAGES) };
            return Err(NoMemory);
        };
        let Ok(kstack_top) = paging::map_kernel_stack(kstack, KERNEL_STACK_PAGES) else {
            // SAFETY: just allocated, unused.
            unsafe {
                mem::free_frames(kstack, KERNEL_STACK_PAGES);
                mem::free_frames(fpu, FPU_PAGES);
            }
            return Err(NoMemory);
        };
        let fpu_area = paging::phys_to_virt(fpu) as *mut u8;
        match fpu_from {
            // SAFETY: both areas are FPU_AREA bytes, page-aligned.
            Some(parent) => unsafe {
                core::ptr::copy_nonoverlapping(
                    paging::phys_to_virt(parent.sched.fpu_phys) as *const u8,
                    fpu_area,
                    context::FPU_AREA,
                )
            },
            // SAFETY: a fresh page-aligned area.
            None => unsafe { context::init_fpu_area(fpu_area) },
        }
        let pid = NEXT_PID.fetch_add(1, Ordering::Relaxed);
        LIVE.fetch_add(1, Ordering::Relaxed);
        let is_thread = shared.tgid.is_some();
        let p = Arc::new(Process {
            pid,
            tgid: shared.tgid.unwrap_or(pid),
            ppid: AtomicU32::new(ppid),
            aspace: shared.aspace,
            files: shared.files,
            image: shared.image,
            sig_actions: shared.sig_actions,
            group: shared.group,
            rlimits: Mutex::new(default_limits()),
            enosys_logged: Mutex::new(BTreeSet::new()),
            clear_child_tid: AtomicU64::new(0),
            robust_list: AtomicU64::new(0),
            umask: AtomicU32::new(0o022),
            pgid: AtomicU32::new(0),
            sid: AtomicU32::new(0),
            fs_base: AtomicU64::new(0),
            gs_base: AtomicU64::new(0),
            signals: Mutex::new(SignalState::new()),
            sched: SchedState {
                state: AtomicU8::new(TaskState::New as u8),
                ctx_rsp: AtomicU64::new(0),
                kstack_phys: kstack,
                kstack_top,
                fpu_phys: fpu,
                parked: Mutex::new(true),
                on_cpu: AtomicBool::new(false),
                cpu: AtomicU32::new(crate::arch::percpu::current_index() as u32),
                affinity: AtomicU64::new(fpu_from.map_or(u64::MAX, |p| p.sched.affinity.load(Ordering::Relaxed))),
            },
            wait_status: AtomicI32::new(0),
            state_change_unreported: AtomicU8::new(0),
            children: Mutex::new(Vec::new()),
            real_timer: Mutex::new((0, 0)),
            vfork_done: AtomicBool::new(false),
            restart_marked: AtomicBool::new(false),
            reaped: AtomicBool::new(false),
            signal_hint: AtomicBool::new(false),
            autoreap: AtomicBool::new(false),
            cpu_ns: AtomicU64::new(0),
            run_start_tsc: AtomicU64::new(0),
            ticks: [const { AtomicU64::new(0) }; 2],
            comm: Mutex::new([0; 16]),
        });
        TABLE.lock().insert(pid, p.clone());
        if !is_thread && let Some(parent) = lookup(ppid) {
            parent.children.lock().push(pid);
        }
        Ok(p)
    }

    fn fpu_area(&self) -> *mut u8 {
        paging::phys_to_virt(self.sched.fpu_phys) as *mut u8
    }

    /// Saves what only the CPU holds (FPU, FS base) before switching away.
    pub fn save_user_registers(&self) {
        // SAFETY: this task's own FPU area.
        unsafe { context::save_fpu(self.fpu_area()) };
        self.fs_base.store(cpu::rdmsr(cpu::MSR_FS_BASE), Ordering::Relaxed);
    }

    /// A clean FPU state (exec).
    pub fn reset_fpu(&self) {
        // SAFETY: this task's own area; its live state is discarded.
        unsafe { context::init_fpu_area(self.fpu_area()) };
    }

    /// Loads this task's FPU state and FS/GS bases onto the CPU.
    pub fn load_user_registers(&self) {
        // SAFETY: the area holds a state saved by save_fpu or init_fpu_area;
        // the bases are user addresses (checked when set).
        unsafe {
            context::restore_fpu(self.fpu_area());
            cpu::wrmsr(cpu::MSR_FS_BASE, self.fs_base.load(Ordering::Relaxed));
            cpu::wrmsr(cpu::MSR_KERNEL_GS_BASE, self.gs_base.load(Ordering::Relaxed));
        }
    }

    /// Prepares the first switch to this task: it will enter ring 3 with
    /// `frame`.
    pub fn start(self: &Arc<Self>, frame: &TrapFrame) {
        // SAFETY: the kernel stack is this new task's, unused so far.
        let sp = unsafe { context::prepare_new_stack(self.sched.kstack_top, frame) };
        self.sched.ctx_rsp.store(sp, Ordering::Release);
        sched::make_runnable(self);
    }

    /// Where the entry from ring 3 (syscall or interrupt) saved this task's
    /// user registers: the top of its kernel stack. Valid to dereference
    /// only for the current task while it is in the kernel on behalf of
    /// ring 3, with no other reference to the frame live.
    pub fn user_frame(&self) -> *mut TrapFrame {
        (self.sched.kstack_top - size_of::<TrapFrame>() as u64) as *mut TrapFrame
    }

    /// Stops charging CPU time to this task (it leaves the CPU).
    pub fn account_stop(&self) {
        let start = self.run_start_tsc.swap(0, Ordering::AcqRel);
        if start != 0 {
            self.cpu_ns.fetch_add(crate::time::tsc_to_ns(cpu::rdtsc().saturating_sub(start)), Ordering::AcqRel);
        }
    }

    /// Starts charging CPU time to this task (it gets the CPU).
    pub fn account_start(&self) {
        self.run_start_tsc.store(cpu::rdtsc(), Ordering::Release);
    }

    /// CPU time this thread has used (CLOCK_THREAD_CPUTIME_ID).
    pub fn thread_cpu_ns(&self) -> u64 {
        let start = self.run_start_tsc.load(Ordering::Acquire);
        let running = if start != 0 { crate::time::tsc_to_ns(cpu::rdtsc().saturating_sub(start)) } else { 0 };
        self.cpu_ns.load(Ordering::Acquire) + running
    }

    /// Ticks (user, system) of the whole process: its threads, live and
    /// ended.
    pub fn process_ticks(&self) -> [u64; 2] {
        let mut t = [0; 2];
        for th in threads_of(self.tgid) {
            for (i, v) in t.iter_mut().enumerate() {
                *v += th.ticks[i].load(Ordering::Acquire);
            }
        }
        for (i, v) in t.iter_mut().enumerate() {
            *v += self.group.dead_ticks[i].load(Ordering::Acquire);
        }
        t
    }

    /// CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID, RUSAGE_SELF).
    pub fn process_cpu_ns(&self) -> u64 {
        let live: u64 = threads_of(self.tgid).iter().map(|t| t.thread_cpu_ns()).sum();
        live + self.group.dead_cpu_ns.load(Ordering::Acquire)
    }

    pub fn exe(&self) -> String {
        self.image.lock().exe.clone()
    }

    pub fn signal_pending(&self) -> bool {
        let s = self.signals.lock();
        let queued = s.pending | s.thread_pending | s.rt_queue.iter().fold(0u64, |m, i| m | 1u64 << (i.si_signo - 1));
        queued & !s.mask != 0
    }

    pub fn state(&self) -> TaskState {
        match self.sched.state.load(Ordering::Acquire) {
            0 => TaskState::New,
            1 => TaskState::Runnable,
            2 => TaskState::Running,
            3 => TaskState::Sleeping,
            4 => TaskState::Stopped,
            _ => TaskState::Zombie,
        }
    }
}

/// Splits `ns` of CPU time into (user, system) in the ratio of the ticks
/// that sampled it; without a tick it all counts as user time.
pub fn split_cpu_time(ns: u64, ticks: [u64; 2]) -> (u64, u64) {
    let total = ticks[0] + ticks[1];
    if total == 0 {
        return (ns, 0);
    }
    let user = (ns as u128 * ticks[0] as u128 / total as u128) as u64;
    (user, ns - user)
}

/// The wait key a parent sleeps on for its children.
pub fn child_key(ppid: u32) -> u64 {
    0x1_0000_0000 | ppid as u64
}

/// Ends the current process (every thread) with a wait status: exit_group
/// and fatal signals.
pub fn exit_with(wait_status: i32) -> ! {
    exit_thread(wait_status, true)
}

/// Ends the calling thread (`group`: and every other thread of its
/// process). The last thread out makes the process a zombie for its
/// parent; init's end ends the VM, with the status a shell would report.
pub fn exit_thread(wait_status: i32, group: bool) -> ! {
    let me = current();
    if group {
        {
            let mut st = me.group.exit_status.lock();
            if st.is_none() {
                *st = Some(wait_status);
            }
        }
        for t in threads_of(me.tgid) {
            if t.pid != me.pid {
                crate::signals::kill_thread(&t);
            }
        }
    }
    // Before the tid word and the memory go, as Linux orders it: a joiner
    // woken by CLEARTID finds the thread's robust mutexes marked.
    crate::syscall::exit_robust_list(&me);
    // CLONE_CHILD_CLEARTID: zero the thread id and wake one joiner.
    let ctid = me.clear_child_tid.swap(0, Ordering::AcqRel);
    if ctid != 0 && crate::arch::uaccess::copy_to_user(ctid, &0u32.to_le_bytes()) {
        crate::syscall::futex_wake(&me, ctid, 1);
    }
    let last = me.group.live.fetch_sub(1, Ordering::AcqRel) == 1;
    let status = me.group.exit_status.lock().unwrap_or(wait_status);
    let shell_status = if status & 0x7f == 0 { (status >> 8) & 0xff } else { 128 + (status & 0x7f) };
    if last && me.tgid == 1 {
        if crate::hp::enabled() {
            crate::println!("{}", crate::hp::summary());
        }
        // A server's last answer may still be in its sockets: close init's
        // files and let the network deliver what they hold (bounded).
        drop(core::mem::replace(&mut me.files.lock().table, ringo_fs::fdtable::FdTable::new()));
        crate::net::flush_before_poweroff();
        crate::println!("ringo: init exited with status {shell_status}");
        power::exit(shell_status as u8, "");
    }
    let leader = if me.pid == me.tgid { Some(me.clone()) } else { lookup(me.tgid) };
    if last {
        // Descriptors and memory go now; the leader's kernel stack and
        // table entry stay until the parent reaps the zombie.
        let files = core::mem::replace(&mut me.files.lock().table, ringo_fs::fdtable::FdTable::new());
        drop(files);
        reparent_children(&me);
        // This CPU switches to the kernel's tables before the old space
        // is torn down. (That takes no frame: under memory exhaustion the
        // dead process's memory must still come back.)
        me.aspace.replace(AddressSpace::dead()).destroy();
    }
    cpu::disable_interrupts();
    me.account_stop();
    if me.pid != me.tgid {
        me.group.dead_cpu_ns.fetch_add(me.cpu_ns.load(Ordering::Acquire), Ordering::AcqRel);
        for i in 0..2 {
            me.group.dead_ticks[i].fetch_add(me.ticks[i].load(Ordering::Acquire), Ordering::AcqRel);
        }
    }
    if me.pid != me.tgid {
        // A thread other than the first is never waited for.
        me.autoreap.store(true, Ordering::Release);
    }
    me.sched.state.store(TaskState::Zombie as u8, Ordering::Release);
    if last && let Some(leader) = &leader {
        leader.wait_status.store(status, Ordering::Release);
        me.group.ended.store(true, Ordering::Release);
        let ppid = leader.ppid.load(Ordering::Relaxed);
        if let Some(parent) = lookup(ppid) {
            let code = if status & 0x7f == 0 { 1 } else { 2 };
            crate::signals::send_child_signal(&parent, leader.pid, code, shell_status);
        }
        sched::wake(child_key(ppid));
        sched::wake(crate::syscall::vfork_key(leader.pid));
    }
    drop(me);
    drop(leader);
    sched::schedule();
    unreachable!("a zombie was scheduled");
}

/// A process's children go to init.
fn reparent_children(me: &Arc<Process>) {
    let Some(holder) = lookup(me.tgid) else { return };
    let orphans: Vec<u32> = core::mem::take(&mut *holder.children.lock());
    let Some(init) = lookup(1) else { return };
    for pid in orphans {
        if let Some(c) = lookup(pid) {
            c.ppid.store(1, Ordering::Relaxed);
            init.children.lock().push(pid);
            if c.state() == TaskState::Zombie {
                sched::wake(child_key(1));
            }
        }
    }
}

/// Frees a dead thread nobody waits for (called once it no longer runs).
pub fn reap_thread(p: &Arc<Process>) {
    if p.reaped.swap(true, Ordering::AcqRel) {
        return;
    }
    TABLE.lock().remove(&p.pid);
    paging::unmap_kernel_stack(p.sched.kstack_top, KERNEL_STACK_PAGES);
    // SAFETY: the thread is dead and switched away from for good.
    unsafe {
        mem::free_frames(p.sched.kstack_phys, KERNEL_STACK_PAGES);
        mem::free_frames(p.sched.fpu_phys, FPU_PAGES);
    }
}

pub fn exit(status: u8) -> ! {
    exit_with((status as i32) << 8)
}

pub fn exit_by_signal(sig: u8) -> ! {
    exit_with(sig as i32)
}

/// Claims a dead process for one waiter: of threads racing to wait for
/// the same zombie exactly one wins (true) and must [`reap`] it; the others
/// look again, no longer seeing it, as on Linux.
pub fn claim_zombie(p: &Process) -> bool {
    p.state() == TaskState::Zombie
        && p.reaped.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok()
}

/// Whether a waiter has claimed the process (it is going away).
pub fn is_claimed(p: &Process) -> bool {
    p.reaped.load(Ordering::Acquire)
}

/// Frees a zombie claimed by [`claim_zombie`]: its kernel stack, FPU area
/// and table entry.
pub fn reap(p: &Arc<Process>) {
    let child_total = p.cpu_ns.load(Ordering::Acquire)
        + p.group.dead_cpu_ns.load(Ordering::Acquire)
        + p.group.children_cpu_ns.load(Ordering::Acquire);
    // Its CPU may still be switching away from it.
    sched::wait_off_cpu(p);
    TABLE.lock().remove(&p.pid);
    if let Some(parent) = lookup(p.ppid.load(Ordering::Relaxed)) {
        parent.children.lock().retain(|&c| c != p.pid);
        parent.group.children_cpu_ns.fetch_add(child_total, Ordering::AcqRel);
        // The leader's own ticks, its ended threads', its reaped children's.
        for (i, slot) in parent.group.children_ticks.iter().enumerate() {
            let theirs = p.ticks[i].load(Ordering::Acquire)
                + p.group.dead_ticks[i].load(Ordering::Acquire)
                + p.group.children_ticks[i].load(Ordering::Acquire);
            slot.fetch_add(theirs, Ordering::AcqRel);
        }
    }
    paging::unmap_kernel_stack(p.sched.kstack_top, KERNEL_STACK_PAGES);
    // SAFETY: a zombie never runs again; its stack and FPU area are unused.
    unsafe {
        mem::free_frames(p.sched.kstack_phys, KERNEL_STACK_PAGES);
        mem::free_frames(p.sched.fpu_phys, FPU_PAGES);
    }
}

pub const SIGILL: u8 = 4;
pub const SIGTRAP: u8 = 5;
pub const SIGBUS: u8 = 7;
pub const SIGFPE: u8 = 8;
pub const SIGSEGV: u8 = 11;

/// Sends a POSIX timer's signal: to its thread (SIGEV_THREAD_ID), which
/// keeps it apart from a process-wide instance of the same signal, or to
/// the process.
fn fire_posix_timer(leader: &Arc<Process>, id: i32, t: &PosixTimer) {
    if t.signo == 0 {
        // SIGEV_NONE: only timer_gettime sees it.
        return;
    }
    let info = crate::signals::Siginfo::timer(t.signo, id, t.overrun, t.value);
    match t.tid.and_then(lookup) {
        Some(thread) => crate::signals::send_to_thread(&thread, t.signo, info),
        None => crate::signals::send(leader, t.signo, info),
    }
}

const SIGVTALRM: u8 = 26;
const SIGPROF: u8 = 27;

/// From every CPU's timer tick: charges the tick to the running process's
/// CPU-time timers and, when the tick interrupted the app (where no
/// process lock can be held), fires those that expired: ITIMER_VIRTUAL,
/// ITIMER_PROF and POSIX timers on CPU-time clocks.
pub fn cpu_timers_tick(from_user: bool, tick_ns: u64) {
    let Some(me) = current_ref() else { return };
    me.ticks[usize::from(!from_user)].fetch_add(1, Ordering::Relaxed);
    let g = &me.group;
    let mut fire: [Option<u8>; 2] = [None, None];
    for (slot, (t, sig, counts)) in
        [(&g.itimer_virtual, SIGVTALRM, from_user), (&g.itimer_prof, SIGPROF, true)].into_iter().enumerate()
    {
        if !counts || !t.armed.load(Ordering::Acquire) {
            continue;
        }
        let left = t.left_ns.fetch_sub(tick_ns as i64, Ordering::AcqRel) - tick_ns as i64;
        if left <= 0 && from_user {
            let interval = t.interval_ns.load(Ordering::Acquire);
            if interval == 0 {
                t.armed.store(false, Ordering::Release);
            } else {
                t.left_ns.fetch_add(interval as i64, Ordering::AcqRel);
            }
            fire[slot] = Some(sig);
        }
    }
    if !from_user {
        return;
    }
    let Some(me) = try_current() else { return };
    for sig in fire.into_iter().flatten() {
        crate::signals::send(&me, sig, crate::signals::Siginfo::kernel(sig));
    }
    let mut due = Vec::new();
    {
        let mut timers = me.group.timers.lock();
        if timers.values().all(|t| t.clock == TimerClock::Wall) {
            return;
        }
        let mut process_now = None;
        for (&id, t) in timers.iter_mut() {
            let now = match t.clock {
                TimerClock::Wall => continue,
                TimerClock::Thread(tid) if tid == me.pid => me.thread_cpu_ns(),
                TimerClock::Thread(_) => continue,
                TimerClock::Process => *process_now.get_or_insert_with(|| me.process_cpu_ns()),
            };
            if t.expire(now) {
                due.push((id, *t));
            }
        }
    }
    if due.is_empty() {
        return;
    }
    let Some(leader) = lookup(me.tgid) else { return };
    for (id, t) in due {
        fire_posix_timer(&leader, id, &t);
    }
}

/// A page fault in user memory (from ring 3 or from a kernel copy):
/// demand paging, or an error the caller turns into SIGSEGV or EFAULT.
pub fn user_page_fault(addr: u64, write: bool, exec: bool) -> Result<(), FaultError> {
    let Some(p) = try_current() else { return Err(FaultError::Unmapped) };
    let r = p.aspace.lock().fault(addr, write, exec);
    if r == Err(FaultError::OutOfMemory) {
        crate::oom::out_of_memory();
    }
    r
}

/// An exception in ring 3 that demand paging did not resolve: the
/// signal Linux would send, with a Linux-like report when it is fatal.
pub fn user_exception(frame: &mut TrapFrame, fault_addr: u64, fault: Option<FaultError>) {
    let p = current();
    if fault == Some(FaultError::OutOfMemory) {
        // The OOM killer has chosen: this process (SIGKILL is pending and
        // ends it now), or another whose memory will come back: the access
        // is tried again once it has had the CPU.
        drop(p);
        if !crate::signals::deliver_pending(frame) {
            sched::yield_now();
        }
        return;
    }
    let sig = match frame.vector {
        0 | 16 | 19 => SIGFPE,
        1 | 3 => SIGTRAP,
        6 => SIGILL,
        17 => SIGBUS,
        _ => SIGSEGV,
    };
    let code = match fault {
        Some(FaultError::Forbidden) => 2,
        _ => 1,
    };
    let handled = crate::signals::fault_has_handler(&p, sig);
    if !handled {
        let exe = p.exe();
        let name = exe.rsplit('/').next().unwrap_or("?");
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
    }
    crate::signals::force_fault_signal(&p, sig, code, fault_addr);
    crate::signals::deliver_pending(frame);
}

/// ITIMER_REAL expiries, from the timer tick.
pub fn timer_signals(now: u64) {
    let due: Vec<Arc<Process>> = {
        let table = TABLE.lock();
        table
            .values()
            .filter(|p| {
                let t = p.real_timer.lock();
                t.0 != 0 && t.0 <= now
            })
            .cloned()
            .collect()
    };
    for p in due {
        {
            let mut t = p.real_timer.lock();
            *t = if t.1 != 0 { (now.saturating_add(t.1), t.1) } else { (0, 0) };
        }
        crate::signals::send(&p, 14, crate::signals::Siginfo::kernel(14));
    }
    // POSIX timers: one signal per expiry, missed periods counted as overrun.
    for leader in all() {
        let mut fired = Vec::new();
        {
            let mut timers = leader.group.timers.lock();
            for (&id, t) in timers.iter_mut() {
                if t.clock == TimerClock::Wall && t.expire(now) {
                    fired.push((id, *t));
                }
            }
        }
        for (id, t) in fired {
            fire_posix_timer(&leader, id, &t);
        }
    }
}
