//! The scheduler, for now on the boot CPU only: a FIFO run queue, time
//! slices from the local APIC timer (a task running in ring 3 when its slice
//! ends goes to the back of the queue), and sleeping on wait keys. A wait
//! key is any number both sides agree on (an object's address, a pid); a
//! wakeup makes every task sleeping on that key runnable, and sleepers
//! recheck their condition, so spurious wakeups are harmless.
//!
//! Per-CPU run queues, work stealing and wakeups across CPUs by IPI come
//! with the threads work; the interfaces here stay.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use spin::Mutex;

use crate::arch::{context, cpu, percpu};
use crate::process::{self, Process, TaskState};

/// Timer ticks a task may run before another runnable task gets the CPU.
const SLICE_TICKS: u32 = 2;

/// Every wakeup also wakes sleepers on this key: poll and select wait on it.
pub const ANY_EVENT: u64 = u64::MAX;

/// Taken only with interrupts off, so the timer interrupt may take it too.
/// Tasks are held by Arc here so that waking needs no process-table lock.
struct Queues {
    runnable: VecDeque<Arc<Process>>,
    /// key -> tasks sleeping on it.
    waiting: BTreeMap<u64, Vec<Arc<Process>>>,
    /// (deadline ns, task) of sleeps with a timeout.
    timed: Vec<(u64, Arc<Process>)>,
}

static QUEUES: Mutex<Queues> =
    Mutex::new(Queues { runnable: VecDeque::new(), waiting: BTreeMap::new(), timed: Vec::new() });
static TICKS_LEFT: AtomicU32 = AtomicU32::new(SLICE_TICKS);
/// Scratch slot for the context of a task that will never run again.
static DEAD_RSP: AtomicU64 = AtomicU64::new(0);
/// Set while the CPU halts in `schedule` with nothing to run: a timer
/// interrupt then interrupted no kernel code holding locks.
static IDLE: AtomicBool = AtomicBool::new(false);

/// Whether an interrupt that arrived from kernel mode may take locks that
/// process context takes with interrupts on (it may when the CPU was idle).
pub fn interrupted_idle() -> bool {
    IDLE.load(Ordering::Relaxed)
}

/// Makes `p` runnable (if it is not already).
pub fn make_runnable(p: &Arc<Process>) {
    cpu::without_interrupts(|| {
        let prev = p.sched.state.swap(TaskState::Runnable as u8, Ordering::AcqRel);
        if prev == TaskState::Sleeping as u8 || prev == TaskState::New as u8 {
            QUEUES.lock().runnable.push_back(p.clone());
        } else if prev != TaskState::Runnable as u8 {
            // Running, stopped, zombie: leave the state as it was.
            p.sched.state.store(prev, Ordering::Release);
        }
    });
}

/// Wakes every task sleeping on `key` (and every poll/select sleeper).
pub fn wake(key: u64) {
    cpu::without_interrupts(|| {
        let mut woken = Vec::new();
        {
            let mut q = QUEUES.lock();
            for k in [key, ANY_EVENT] {
                if let Some(list) = q.waiting.remove(&k) {
                    woken.extend(list);
                }
            }
        }
        for p in woken {
            make_runnable(&p);
        }
    });
}

/// Wakes one task directly (a signal for it).
pub fn wake_task(p: &Arc<Process>) {
    if p.sched.state.load(Ordering::Acquire) == TaskState::Sleeping as u8 {
        make_runnable(p);
    }
}

/// Why a sleep ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupted {
    Signal,
    Timeout,
}

/// Sleeps until `ready()` holds, a signal is pending (Err(Signal)) or the
/// monotonic deadline passes (Err(Timeout)). `ready` runs with interrupts
/// off and must not block.
pub fn wait_until(keys: &[u64], deadline: Option<u64>, mut ready: impl FnMut() -> bool) -> Result<(), Interrupted> {
    let me = process::current();
    loop {
        let outcome = cpu::without_interrupts(|| {
            if ready() {
                return Some(Ok(()));
            }
            if me.signal_pending() {
                return Some(Err(Interrupted::Signal));
            }
            if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
                return Some(Err(Interrupted::Timeout));
            }
            {
                let mut q = QUEUES.lock();
                for &k in keys {
                    q.waiting.entry(k).or_default().push(me.clone());
                }
                if let Some(d) = deadline {
                    q.timed.push((d, me.clone()));
                }
            }
            me.sched.state.store(TaskState::Sleeping as u8, Ordering::Release);
            schedule();
            None
        });
        if let Some(r) = outcome {
            return r;
        }
    }
}

/// The EINTR of a blocking call that SA_RESTART may restart: the syscall
/// exit sees the mark and restarts the call when the signal's handler
/// asks for it (or when no handler runs at all).
pub fn restartable_eintr() -> ringo_uapi::Errno {
    process::current().restart_marked.store(true, Ordering::Release);
    ringo_uapi::Errno::EINTR
}

/// Sleeps until the monotonic deadline (EINTR-style early end on a signal).
pub fn sleep_until(deadline: u64) -> Result<(), Interrupted> {
    match wait_until(&[], Some(deadline), || false) {
        Err(Interrupted::Timeout) => Ok(()),
        r => r,
    }
}

/// Gives up the CPU if another task is runnable.
pub fn yield_now() {
    cpu::without_interrupts(|| {
        let me = process::current();
        if QUEUES.lock().runnable.is_empty() {
            return;
        }
        make_runnable_requeue(&me);
        schedule();
    });
}

fn make_runnable_requeue(p: &Arc<Process>) {
    p.sched.state.store(TaskState::Runnable as u8, Ordering::Release);
    QUEUES.lock().runnable.push_back(p.clone());
}

/// From the timer interrupt: wakes timed-out sleepers; when the current
/// task's slice is over and it was in ring 3, switches. Work that takes
/// process locks (interval timers) only runs when the interrupt came from
/// ring 3 or the idle loop, where no such lock can be held.
pub fn tick(from_user: bool) {
    let now = crate::time::monotonic_ns();
    let due: Vec<Arc<Process>> = {
        let mut q = QUEUES.lock();
        let mut due = Vec::new();
        q.timed.retain(|(d, p)| {
            if *d <= now {
                due.push(p.clone());
                false
            } else {
                true
            }
        });
        // Sleepers also sit on their keys: drop those entries of tasks
        // that are no longer asleep, so the lists do not grow.
        q.waiting.retain(|_, list| {
            list.retain(|p| p.sched.state.load(Ordering::Relaxed) == TaskState::Sleeping as u8);
            !list.is_empty()
        });
        due
    };
    for p in due {
        wake_task(&p);
    }
    if from_user || interrupted_idle() {
        process::timer_signals(now);
        ringo_fs::timerfd::expire_due();
    }
    if TICKS_LEFT.fetch_sub(1, Ordering::Relaxed) <= 1 {
        TICKS_LEFT.store(SLICE_TICKS, Ordering::Relaxed);
        if from_user && process::try_current().is_some() {
            yield_now();
        }
    }
}

/// Runs the next runnable task; the caller has set its own state (Runnable
/// and queued, Sleeping, Zombie...). With nothing runnable the CPU halts
/// until an interrupt makes something runnable. Interrupts must be off.
pub fn schedule() {
    let prev = process::try_current();
    // Time in here (and halted in the idle loop) is nobody's CPU time.
    if let Some(p) = &prev {
        p.account_stop();
    }
    let next = loop {
        let n = QUEUES.lock().runnable.pop_front();
        match n {
            Some(n) if n.sched.state.load(Ordering::Acquire) == TaskState::Runnable as u8 => break n,
            Some(_) => continue,
            None => {
                // Nothing to run: wait for an interrupt to make something
                // runnable, on this (the previous task's) stack.
                IDLE.store(true, Ordering::Relaxed);
                cpu::enable_interrupts_and_halt();
                cpu::disable_interrupts();
                IDLE.store(false, Ordering::Relaxed);
            }
        }
    };
    next.sched.state.store(TaskState::Running as u8, Ordering::Release);
    next.account_start();
    TICKS_LEFT.store(SLICE_TICKS, Ordering::Relaxed);
    if let Some(prev) = &prev
        && Arc::ptr_eq(prev, &next)
    {
        return;
    }
    switch_to(prev, next);
}

fn switch_to(prev: Option<Arc<Process>>, next: Arc<Process>) {
    assert!(!next.reaped.load(Ordering::Acquire), "switching to reaped pid {}", next.pid);
    let this_cpu = percpu::current().expect("per-CPU block installed");
    if let Some(p) = &prev {
        p.save_user_registers();
    }
    this_cpu.set_kernel_stack(next.sched.kstack_top);
    next.aspace.lock().activate();
    next.load_user_registers();
    let next_rsp = next.sched.ctx_rsp.load(Ordering::Acquire);
    let save: *mut u64 = match &prev {
        Some(p) if p.sched.state.load(Ordering::Acquire) != TaskState::Zombie as u8 => p.sched.ctx_rsp.as_ptr(),
        _ => DEAD_RSP.as_ptr(),
    };
    if let Some(p) = &prev
        && p.autoreap.load(Ordering::Acquire)
        && p.state() == TaskState::Zombie
    {
        DEAD.lock().push(p.clone());
    }
    process::set_current(next);
    // The Arcs are dropped before switching: the process table keeps the
    // tasks alive, and a dead task's stack is only freed by its reaper.
    drop(prev);
    // SAFETY: next_rsp was saved by switch (or prepared for a new task) and
    // the task is not running; interrupts are off.
    unsafe { context::switch(save, next_rsp) };
    // Back on some task's stack: dead threads left behind can go now.
    let dead: Vec<Arc<Process>> = core::mem::take(&mut *DEAD.lock());
    for d in dead {
        process::reap_thread(&d);
    }
}

/// Dead threads to free once the CPU has left their stacks.
static DEAD: Mutex<Vec<Arc<Process>>> = Mutex::new(Vec::new());
