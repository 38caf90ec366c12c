//! The per-CPU scheduler. Each CPU runs tasks from its own FIFO run queue
//! (ringo_sched::RunQueues) in 20 ms slices of its local APIC timer; a CPU
//! with nothing queued steals from the longest other queue, and with
//! nothing to steal it halts in its idle loop (on its boot stack, with the
//! kernel's page tables loaded) until an interrupt. A woken task goes to
//! its previous CPU if that one idles, else to another idle CPU, else back
//! to its previous CPU; an idle target is woken by an IPI.
//!
//! Sleeping uses wait keys: any number both sides agree on (an object's
//! address, a pid); a wakeup makes every task sleeping on that key
//! runnable, and sleepers recheck their condition, so spurious wakeups are
//! harmless. Sleeps with a timeout also sit in the timer list of the CPU
//! they started on, which that CPU's tick serves.
//!
//! Going to sleep on SMP: a task marks itself sleeping, registers, checks
//! its condition and calls `schedule`, which commits ("parks") it under
//! the task's `parked` lock. A wakeup before the commit only marks the task
//! running again (it is still on its CPU and `schedule` returns at once); a
//! wakeup after it queues the task. A CPU switching to a task first waits
//! until the CPU that ran it has left its stack (`on_cpu`).

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use ringo_sched::{RunQueues, TimerList, WaitTable};

use crate::arch::percpu::{self, MAX_CPUS};
use crate::arch::{apic, context, cpu, paging, tlb, trap};
use crate::process::{self, Process, TaskState};
use crate::sync::Mutex;

/// Timer ticks a task may run before another runnable task gets the CPU.
const SLICE_TICKS: u32 = 2;

/// Every wakeup also wakes sleepers on this key: poll and select wait on it.
pub const ANY_EVENT: u64 = u64::MAX;

/// A task in a run queue.
#[derive(Clone)]
struct Queued(Arc<Process>);

impl ringo_sched::Task for Queued {
    fn allowed_on(&self, cpu: usize) -> bool {
        cpu < 64 && self.0.sched.affinity.load(Ordering::Relaxed) & (1 << cpu) != 0
    }
}

/// What each CPU keeps besides its run queue. Its locks are taken with
/// interrupts off.
struct CpuSched {
    timers: Mutex<TimerList<Arc<Process>>>,
    ticks_left: AtomicU32,
    /// The task this CPU just switched away from, finished (on_cpu
    /// cleared, freed if dead) on the other side of the switch.
    prev: Mutex<Option<Arc<Process>>>,
}

static CPUS: [CpuSched; MAX_CPUS] = [const {
    CpuSched { timers: Mutex::new(TimerList::new()), ticks_left: AtomicU32::new(SLICE_TICKS), prev: Mutex::new(None) }
}; MAX_CPUS];
static RUNQ: RunQueues<Queued, MAX_CPUS> = RunQueues::new();
static WAITS: Mutex<WaitTable<Arc<Process>>> = Mutex::new(WaitTable::new());

fn here() -> usize {
    percpu::this().index
}

/// CPUs 0..n schedule tasks (after SMP bring-up).
pub fn set_online_cpus(n: usize) {
    RUNQ.set_online(n);
}

/// Whether an interrupt that arrived from kernel mode may take locks that
/// process context takes with interrupts on: it may when this CPU was
/// halted in its idle loop.
pub fn interrupted_idle() -> bool {
    percpu::installed() && RUNQ.is_idle(here())
}

/// Makes `p` runnable if it sleeps (or is new).
pub fn make_runnable(p: &Arc<Process>) {
    cpu::without_interrupts(|| {
        let mut parked = p.sched.parked.lock();
        let s = p.sched.state.load(Ordering::Acquire);
        if s != TaskState::Sleeping as u8 && s != TaskState::New as u8 {
            return;
        }
        if *parked {
            *parked = false;
            p.sched.state.store(TaskState::Runnable as u8, Ordering::Release);
            drop(parked);
            enqueue(p.clone());
        } else {
            // Still on its CPU before `schedule` committed: it keeps going.
            p.sched.state.store(TaskState::Running as u8, Ordering::Release);
        }
    });
}

/// Queues a runnable task where it can start soonest; wakes that CPU if
/// it idles.
fn enqueue(p: Arc<Process>) {
    let me = here();
    let last = p.sched.cpu.load(Ordering::Relaxed) as usize;
    let q = Queued(p);
    let target = RUNQ.place(&q, last, me);
    RUNQ.push(target, q);
    if target != me && RUNQ.is_idle(target) {
        send_reschedule(target);
    }
}

fn send_reschedule(cpu: usize) {
    if let Some(c) = percpu::cpu(cpu) {
        apic::send_ipi(c, trap::VECTOR_RESCHEDULE);
    }
}

/// Wake generations, hashed by key (collisions only cost a retry): a
/// retry loop ([`Retry`]) sleeps until its key was woken after its last
/// attempt, which no readiness bit can tell it.
static WAKE_GENERATIONS: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];

fn wake_generation(key: u64) -> &'static AtomicU64 {
    &WAKE_GENERATIONS[(key ^ (key >> 6) ^ (key >> 12)) as usize % WAKE_GENERATIONS.len()]
}

/// Wakes every task sleeping on `key` (and every poll/select sleeper).
pub fn wake(key: u64) {
    // Before the sleepers are taken: one that registers after this sees
    // the new generation in its condition.
    wake_generation(key).fetch_add(1, Ordering::AcqRel);
    cpu::without_interrupts(|| {
        let woken = {
            let mut w = WAITS.lock();
            let mut list = w.take(key);
            list.extend(w.take(ANY_EVENT));
            list
        };
        for p in woken {
            make_runnable(&p);
        }
    });
}

/// Wakes one task directly (a signal for it). A task running on another
/// CPU is interrupted so that it sees the signal on its way back to user
/// space, as Linux's kick_process.
pub fn wake_task(p: &Arc<Process>) {
    make_runnable(p);
    kick(p);
}

/// Interrupts `p`'s CPU if `p` runs on another one: on its way back to
/// user space it takes pending signals and leaves a CPU its affinity no
/// longer allows.
pub fn kick(p: &Arc<Process>) {
    if p.sched.state.load(Ordering::Acquire) == TaskState::Running as u8 {
        let cpu = p.sched.cpu.load(Ordering::Relaxed) as usize;
        if percpu::installed() && cpu != here() {
            send_reschedule(cpu);
        }
    }
}

/// On the way back to user space from an interrupt: leaves this CPU if
/// the task's affinity no longer allows it.
pub fn leave_if_disallowed() {
    let Some(me) = process::current_ref() else { return };
    let here = here();
    if here >= 64 || me.sched.affinity.load(Ordering::Relaxed) & (1 << here) == 0 {
        yield_now();
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
    // The deadline's entry, added once: removed on the way out unless it
    // fired (an entry left behind would hold this task until then).
    let mut timer: Option<(usize, ringo_sched::TimerKey)> = None;
    let r = loop {
        let outcome = cpu::without_interrupts(|| {
            // Sleeping first, then registered, then the condition checked:
            // a waker that changes the condition after the check finds the
            // registration, and one before it is seen by the check.
            me.sched.state.store(TaskState::Sleeping as u8, Ordering::Release);
            WAITS.lock().add(keys, &me);
            if let Some(d) = deadline
                && timer.is_none()
            {
                let cpu = here();
                timer = Some((cpu, CPUS[cpu].timers.lock().add(d, me.clone())));
            }
            let early = if ready() {
                Some(Ok(()))
            } else if me.signal_pending() {
                Some(Err(Interrupted::Signal))
            } else if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
                Some(Err(Interrupted::Timeout))
            } else {
                None
            };
            if early.is_some() {
                me.sched.state.store(TaskState::Running as u8, Ordering::Release);
                return early;
            }
            schedule();
            None
        });
        if let Some(r) = outcome {
            break r;
        }
    };
    if let Some((cpu, key)) = timer {
        cpu::without_interrupts(|| drop(CPUS[cpu].timers.lock().remove(key)));
    }
    r
}

/// A blocking call's retry loop on one wait key: `Retry::new` at the first
/// EAGAIN (its first wait trusts the poll bits, which cover a wakeup
/// between that attempt and the snapshot), `wait` after each. An object's
/// poll bits are
/// coarser than an operation (an eventfd is writable while a write of 1
/// fits, not a write of 2^63): when the bits said ready and the attempt
/// still failed with no wakeup in between, the next wait is for a wakeup
/// only, so a mismatch costs one retry instead of a spin that no signal
/// could end.
pub struct Retry {
    key: u64,
    seen: u64,
    trust_poll: bool,
}

impl Retry {
    pub fn new(key: u64) -> Retry {
        Retry { key, seen: wake_generation(key).load(Ordering::Acquire), trust_poll: true }
    }

    /// Sleeps until `key` was woken since the last attempt began, or (once
    /// per wakeup) until `ready`; a pending signal ends the loop first, as
    /// Linux's signal_pending check before each sleep.
    pub fn wait(&mut self, deadline: Option<u64>, mut ready: impl FnMut() -> bool) -> Result<(), Interrupted> {
        if process::current().signal_pending() {
            return Err(Interrupted::Signal);
        }
        let (seen, trust) = (self.seen, self.trust_poll);
        let generation = wake_generation(self.key);
        let r = wait_until(&[self.key], deadline, || generation.load(Ordering::Acquire) != seen || (trust && ready()));
        let now = generation.load(Ordering::Acquire);
        self.trust_poll = now != seen;
        self.seen = now;
        r
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

/// A preemption point for a long loop inside a system call (the kernel
/// does not preempt itself): a queued task gets the CPU, and the loop
/// counts as progress for the watchdog.
pub fn cond_resched() {
    crate::arch::watchdog::progress();
    crate::deferred_tick_work();
    yield_now();
}

/// Gives up the CPU if another task is queued here (sched_yield, the end
/// of a slice). A task whose affinity no longer allows this CPU moves.
pub fn yield_now() {
    cpu::without_interrupts(|| {
        let me_cpu = here();
        let me = process::current();
        let allowed = Queued(me.clone());
        let must_move = !ringo_sched::Task::allowed_on(&allowed, me_cpu);
        if RUNQ.is_empty(me_cpu) && !must_move {
            return;
        }
        me.sched.state.store(TaskState::Runnable as u8, Ordering::Release);
        if must_move {
            enqueue(me.clone());
        } else {
            RUNQ.push(me_cpu, allowed);
        }
        drop(me);
        schedule();
    });
}

/// From the timer interrupt of every CPU: wakes this CPU's due sleepers;
/// when the running task's slice is over, it was in ring 3 and another
/// task is queued here, switches.
pub fn tick(from_user: bool) {
    let me = here();
    let now = crate::time::monotonic_ns();
    let due = CPUS[me].timers.lock().take_due(now);
    for p in due {
        make_runnable(&p);
    }
    if me == 0 {
        // Sleepers also sit on their keys: drop the entries of tasks that
        // are no longer asleep, so the lists do not grow.
        WAITS.lock().prune(is_asleep);
    }
    if from_user {
        leave_if_disallowed();
    }
    if CPUS[me].ticks_left.fetch_sub(1, Ordering::Relaxed) <= 1 {
        CPUS[me].ticks_left.store(SLICE_TICKS, Ordering::Relaxed);
        if from_user && process::current_ref().is_some() {
            yield_now();
        }
    }
}

fn is_asleep(p: &Arc<Process>) -> bool {
    p.sched.state.load(Ordering::Relaxed) == TaskState::Sleeping as u8
}

/// The next task for CPU `me`: its own queue first, then a stolen one.
fn pick(me: usize) -> Option<Arc<Process>> {
    loop {
        let Queued(t) = RUNQ.pop(me).or_else(|| RUNQ.steal(me))?;
        if t.sched.state.load(Ordering::Acquire) == TaskState::Runnable as u8 {
            return Some(t);
        }
        // Stopped or killed while queued: it is no longer ours to run.
    }
}

/// Leaves the CPU to the next runnable task; the caller has set its own
/// state (Runnable and queued, Sleeping, Stopped, Zombie). Returns when
/// the task runs again, or at once if it was woken before it could leave.
/// Interrupts must be off.
pub fn schedule() {
    let Some(prev) = process::try_current() else {
        unreachable!("schedule without a current task");
    };
    {
        let mut parked = prev.sched.parked.lock();
        let s = prev.sched.state.load(Ordering::Acquire);
        if s == TaskState::Running as u8 {
            // Woken between setting itself asleep and getting here.
            return;
        }
        if s != TaskState::Runnable as u8 {
            *parked = true;
        }
    }
    prev.account_stop();
    let me = here();
    match pick(me) {
        Some(next) if Arc::ptr_eq(&prev, &next) => {
            // It was queued here (a yield with nothing else to run).
            next.sched.state.store(TaskState::Running as u8, Ordering::Release);
            next.account_start();
        }
        next => switch_to(Some(prev), next),
    }
    CPUS[me].ticks_left.store(SLICE_TICKS, Ordering::Relaxed);
}

/// Switches from `prev` (None: the idle loop) to `next` (None: the idle
/// loop). Interrupts are off.
fn switch_to(prev: Option<Arc<Process>>, next: Option<Arc<Process>>) {
    crate::arch::watchdog::progress();
    let this_cpu = percpu::this();
    let me = this_cpu.index;
    let save: *mut u64 = match &prev {
        Some(p) => {
            p.save_user_registers();
            p.sched.ctx_rsp.as_ptr()
        }
        None => this_cpu.idle_rsp.as_ptr(),
    };
    let next_rsp = match &next {
        Some(n) => {
            assert!(!n.reaped.load(Ordering::Acquire), "switching to reaped pid {}", n.pid);
            // Its previous CPU may still be switching away from it.
            tlb::spin_while(|| n.sched.on_cpu.load(Ordering::Acquire));
            n.sched.on_cpu.store(true, Ordering::Release);
            n.sched.cpu.store(me as u32, Ordering::Relaxed);
            n.sched.state.store(TaskState::Running as u8, Ordering::Release);
            n.account_start();
            this_cpu.set_kernel_stack(n.sched.kstack_top);
            n.aspace.activate();
            n.load_user_registers();
            n.sched.ctx_rsp.load(Ordering::Acquire)
        }
        None => {
            paging::activate_kernel_root();
            this_cpu.idle_rsp.load(Ordering::Acquire)
        }
    };
    CPUS[me].ticks_left.store(SLICE_TICKS, Ordering::Relaxed);
    process::set_current(next);
    // `prev` stays referenced until the other side has left its stack.
    *CPUS[me].prev.lock() = prev;
    // SAFETY: next_rsp was saved by a switch (or prepared for a new task,
    // or is this CPU's idle loop) and nothing else runs on that stack
    // (on_cpu was clear); interrupts are off.
    unsafe { context::switch(save, next_rsp) };
    finish_switch();
}

/// Runs first on the stack switched to (also from a new task's first
/// entry): the task switched away from may now run elsewhere, or be freed.
#[unsafe(no_mangle)]
pub extern "C" fn ringo_finish_switch() {
    finish_switch();
}

fn finish_switch() {
    let Some(prev) = CPUS[here()].prev.lock().take() else { return };
    prev.sched.on_cpu.store(false, Ordering::Release);
    if prev.autoreap.load(Ordering::Acquire) && prev.state() == TaskState::Zombie {
        process::reap_thread(&prev);
    }
}

/// Waits until no CPU is on `p`'s kernel stack (before it is freed).
pub fn wait_off_cpu(p: &Process) {
    tlb::spin_while(|| p.sched.on_cpu.load(Ordering::Acquire));
}

/// Whether a task is off every CPU for good.
pub fn is_gone(p: &Process) -> bool {
    p.state() == TaskState::Zombie && !p.sched.on_cpu.load(Ordering::Acquire)
}

/// The idle loop of this CPU, on the stack it booted on: runs whatever
/// becomes runnable, halts otherwise. Never returns.
pub fn run_idle() -> ! {
    let me = here();
    paging::activate_kernel_root();
    loop {
        cpu::disable_interrupts();
        // Idle before the last look: a waker that queues after the look
        // sees the mark and sends an IPI, which ends the halt.
        RUNQ.set_idle(me, true);
        if let Some(next) = pick(me) {
            RUNQ.set_idle(me, false);
            switch_to(None, Some(next));
            continue;
        }
        crate::idle::report_if_asked();
        cpu::enable_interrupts_and_halt();
        // An interrupt ran (with the idle mark still set, so the timer
        // knows no lock is held here); look again.
    }
}
