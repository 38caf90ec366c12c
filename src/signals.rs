//! Signal generation and delivery, the Linux way: pending sets per process
//! (standard signals coalesce, real-time ones queue), dispositions from
//! rt_sigaction, delivery on the way back to ring 3 onto the user stack (or
//! the alternate stack) as an `rt_sigframe` with a full ucontext including
//! the FPU state, and rt_sigreturn to come back.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::system::RLIMIT_SIGPENDING;

use crate::arch::trap::TrapFrame;
use crate::arch::{context, paging};
use crate::process::{self, Process, TaskState};
use crate::sched;
use crate::syscall::{Pod, UserAddr};

pub const SIGKILL: u8 = 9;
pub const SIGSEGV: u8 = 11;
pub const SIGPIPE: u8 = 13;
pub const SIGCHLD: u8 = 17;
pub const SIGCONT: u8 = 18;
pub const SIGSTOP: u8 = 19;
pub const SIGTSTP: u8 = 20;
pub const SIGTTIN: u8 = 21;
pub const SIGTTOU: u8 = 22;
pub const SIGRTMIN: u8 = 32;

const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTART: u64 = 0x1000_0000;
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;
const SA_RESTORER: u64 = 0x0400_0000;
const SA_NOCLDSTOP: u64 = 1;

/// siginfo_t (128 bytes): signo, errno, code, then the union.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    pad: i32,
    /// The union: pid/uid, or addr, or pid/uid/status/utime/stime.
    pub fields: [u64; 14],
}

// SAFETY: integers only, padding spelled out.
unsafe impl Pod for Siginfo {}

pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_TKILL: i32 = -6;
pub const SI_TIMER: i32 = -2;

impl Siginfo {
    pub fn new(signo: u8, code: i32) -> Self {
        Siginfo { si_signo: signo as i32, si_errno: 0, si_code: code, pad: 0, fields: [0; 14] }
    }

    pub fn kernel(signo: u8) -> Self {
        Siginfo::new(signo, SI_KERNEL)
    }

    /// From kill/tkill: the sender's pid and uid (0).
    pub fn from_process(signo: u8, code: i32, pid: u32) -> Self {
        let mut s = Siginfo::new(signo, code);
        s.fields[0] = pid as u64;
        s
    }

    pub fn fault(signo: u8, code: i32, addr: u64) -> Self {
        let mut s = Siginfo::new(signo, code);
        s.fields[0] = addr;
        s
    }

    /// From a POSIX timer (SI_TIMER): timer id, overrun, sigev_value.
    pub fn timer(signo: u8, id: i32, overrun: u32, value: u64) -> Self {
        let mut s = Siginfo::new(signo, SI_TIMER);
        s.fields[0] = (id as u32 as u64) | ((overrun as u64) << 32);
        s.fields[1] = value;
        s
    }

    pub fn child(pid: u32, code: i32, status: i32) -> Self {
        let mut s = Siginfo::new(SIGCHLD, code);
        s.fields[0] = pid as u64;
        s.fields[1] = status as u32 as u64;
        s
    }
}

/// What a signal does by default (signal(7)).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Default {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

fn default_action(sig: u8) -> Default {
    match sig {
        3 | 4 | 5 | 6 | 7 | 8 | 11 | 24 | 25 | 31 => Default::Core,
        17 | 23 | 28 => Default::Ignore,
        19..=22 => Default::Stop,
        18 => Default::Continue,
        _ => Default::Terminate,
    }
}

fn bit(sig: u8) -> u64 {
    1u64 << (sig - 1)
}

/// Whether a signal with this handler is dropped at generation (SIG_IGN,
/// or SIG_DFL whose default is to ignore; SIGCONT's continuing happens at
/// generation, so it counts), as Linux's sig_handler_ignored.
fn ignored_with(handler: u64, sig: u8) -> bool {
    handler == SIG_IGN || (handler == SIG_DFL && matches!(default_action(sig), Default::Ignore | Default::Continue))
}

/// sigaction made `sig` ignored: its pending instances go, in every
/// thread of the process (POSIX). Threads have no list of their own yet
/// (issue 14): with more than one, the table is looked through, which
/// only a sigaction that ignores a signal does.
pub fn discard_if_ignored(p: &Arc<Process>, sig: u8, handler: u64) {
    if !ignored_with(handler, sig) {
        return;
    }
    let discard = |t: &Process| {
        let mut s = t.signals.lock();
        s.pending &= !bit(sig);
        s.thread_pending &= !bit(sig);
        s.info.remove(&sig);
        s.thread_info.remove(&sig);
        let before = s.rt_queue.len();
        s.rt_queue.retain(|i| i.si_signo as u8 != sig);
        forget_queued(before - s.rt_queue.len());
    };
    if p.group.live.load(Ordering::Acquire) > 1 {
        process::threads_of(p.tgid).iter().for_each(|t| discard(t));
    } else {
        discard(p);
    }
}

/// Whether a fault's `sig` reaches a handler: one is set and the signal
/// is not blocked (see [`force_fault_signal`]).
pub fn fault_has_handler(p: &Process, sig: u8) -> bool {
    has_handler(p, sig) && p.signals.lock().mask & bit(sig) == 0
}

pub fn has_handler(p: &Process, sig: u8) -> bool {
    let h = p.sig_actions.lock()[(sig - 1) as usize][0];
    h != SIG_DFL && h != SIG_IGN
}

/// Makes `sig` pending for `p` (dropped when ignored), and wakes it.
pub fn send(p: &Arc<Process>, sig: u8, info: Siginfo) {
    // Only a real-time signal with a sender's siginfo can be refused, and
    // the senders that care use `try_send`.
    let _ = queue(p, sig, info, false, false);
}

/// As `send`, for tkill and sigqueue: EAGAIN when the queue of real-time
/// signals is at RLIMIT_SIGPENDING and the siginfo is not kill's.
pub fn try_send(p: &Arc<Process>, sig: u8, info: Siginfo) -> Result<(), Errno> {
    queue(p, sig, info, false, false)
}

/// Real-time signals queued in every process (everyone is uid 0 here, and
/// Linux's RLIMIT_SIGPENDING counts per user): each holds a siginfo, so
/// without a bound a program that blocks one and sends it in a loop would
/// fill the kernel heap.
static QUEUED_RT: AtomicU64 = AtomicU64::new(0);

/// A task's real-time queue goes away with it.
pub fn forget_queued(n: usize) {
    QUEUED_RT.fetch_sub(n as u64, Ordering::Relaxed);
}

/// A signal for thread `p` alone (a SIGEV_THREAD_ID timer): pending on
/// the thread, as tkill's, beside the process's own instance.
pub fn send_to_thread(p: &Arc<Process>, sig: u8, info: Siginfo) {
    let _ = queue(p, sig, info, false, true);
}

/// Every process in group `pgid` (kill(-pgid), terminal signals).
/// Returns how many there were.
pub fn send_to_group(pgid: u32, sig: u8, info: Siginfo) -> usize {
    let members: alloc::vec::Vec<_> = process::all()
        .into_iter()
        .filter(|p| p.pgid.load(Ordering::Relaxed) == pgid && p.state() != TaskState::Zombie)
        .collect();
    for p in &members {
        send(p, sig, info);
    }
    members.len()
}

/// `forced`: a fault the process cannot refuse, even as init.
fn queue(p: &Arc<Process>, sig: u8, info: Siginfo, forced: bool, to_thread: bool) -> Result<(), Errno> {
    if sig == 0 || sig > 64 || p.state() == TaskState::Zombie {
        return Ok(());
    }
    let handler = p.sig_actions.lock()[(sig - 1) as usize][0];
    let rt_limit = p.rlimits.lock()[RLIMIT_SIGPENDING as usize].cur;
    {
        let mut s = p.signals.lock();
        let ignored = handler == SIG_IGN || (handler == SIG_DFL && default_action(sig) == Default::Ignore);
        if sig == SIGCONT || sig == SIGKILL {
            // Continue a stopped process; a pending stop is cancelled.
            let stops = bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
            s.pending &= !stops;
            s.thread_pending &= !stops;
        }
        if matches!(sig, SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU) {
            s.pending &= !bit(SIGCONT);
            s.thread_pending &= !bit(SIGCONT);
        }
        if ignored && sig != SIGCONT && s.mask & bit(sig) == 0 {
            return Ok(());
        }
        // init only receives the signals it handles (Linux's
        // SIGNAL_UNKILLABLE), except the faults it causes itself, and the
        // ones it blocks (Linux never drops a blocked signal: sigwait
        // takes it, or a handler set before unblocking).
        if !forced && p.tgid == 1 && handler == SIG_DFL && s.mask & bit(sig) == 0 {
            return Ok(());
        }
        if sig >= SIGRTMIN {
            if QUEUED_RT.load(Ordering::Relaxed) >= rt_limit && !forced {
                // Linux: a sender's siginfo that cannot be queued is
                // EAGAIN; kill's and the kernel's signal is still made
                // pending, its siginfo lost, so one entry per signal.
                if info.si_code < 0 && info.si_code != SI_USER {
                    return Err(Errno::EAGAIN);
                }
                if s.rt_queue.iter().any(|i| i.si_signo == sig as i32) {
                    return Ok(());
                }
            }
            s.rt_queue.try_reserve(1).map_err(|_| Errno::EAGAIN)?;
            s.rt_queue.push_back(info);
            QUEUED_RT.fetch_add(1, Ordering::Relaxed);
        } else if info.si_code == SI_TKILL || to_thread {
            if s.thread_pending & bit(sig) == 0 {
                s.thread_pending |= bit(sig);
                s.thread_info.insert(sig, info);
            }
        } else if s.pending & bit(sig) == 0 {
            s.pending |= bit(sig);
            s.info.insert(sig, info);
        }
        p.signal_hint.store(true, Ordering::Release);
    }
    // One sender continues a stopped task: two racing (a SIGCONT and a
    // SIGKILL) that both saw it stopped once both stored Sleeping, the
    // second over the Zombie the first one's SIGKILL had made of it, and
    // the dead task was scheduled again (a kernel panic, seed
    // 10333101403239965979 over 10^7 calls).
    if (sig == SIGCONT || sig == SIGKILL) && leave_stop(p) {
        p.wait_status.store(0xffff, Ordering::Release);
        p.state_change_unreported.store(1, Ordering::Release);
        sched::make_runnable(p);
        notify_parent_state(p, 6, SIGCONT as i32);
    }
    sched::wake_task(p);
    Ok(())
}

/// Ends another thread of an exiting process: SIGKILL that nothing blocks,
/// ignores or refuses (not even init's threads).
pub fn kill_thread(t: &Arc<Process>) {
    if t.state() == TaskState::Zombie {
        return;
    }
    {
        let mut s = t.signals.lock();
        s.mask &= !bit(SIGKILL);
        s.thread_pending |= bit(SIGKILL);
        s.thread_info.insert(SIGKILL, Siginfo::kernel(SIGKILL));
    }
    t.signal_hint.store(true, Ordering::Release);
    // A stopped thread goes on to die: left stopped, its process would
    // never end.
    leave_stop(t);
    sched::wake_task(t);
}

/// Takes a stopped task out of its stop (to be woken); true for the one
/// caller that did, when several race (a SIGCONT and a SIGKILL both once
/// set it running, the second over its zombie).
fn leave_stop(t: &Process) -> bool {
    t.sched
        .state
        .compare_exchange(TaskState::Stopped as u8, TaskState::Sleeping as u8, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// A fault signal that cannot be blocked or ignored (as Linux's
/// force_sig_fault): unblocked and reset to default if it was ignored.
pub fn force_fault_signal(p: &Arc<Process>, sig: u8, code: i32, addr: u64) {
    // Blocked or ignored, the fault's signal kills (Linux resets the
    // action, as the faulting instruction cannot be skipped): a handler
    // would only ever run once the thread unblocks it, after the fault.
    let blocked = {
        let mut s = p.signals.lock();
        let blocked = s.mask & bit(sig) != 0;
        s.mask &= !bit(sig);
        blocked
    };
    {
        let mut actions = p.sig_actions.lock();
        if blocked || actions[(sig - 1) as usize][0] == SIG_IGN {
            actions[(sig - 1) as usize][0] = SIG_DFL;
        }
    }
    // Forced: never refused.
    let _ = queue(p, sig, Siginfo::fault(sig, code, addr), true, false);
}

fn notify_parent_state(child: &Arc<Process>, code: i32, status: i32) {
    if let Some(parent) = process::lookup(child.ppid.load(Ordering::Relaxed)) {
        let flags = parent.sig_actions.lock()[(SIGCHLD - 1) as usize][1];
        if flags & SA_NOCLDSTOP == 0 {
            send(&parent, SIGCHLD, Siginfo::child(child.pid, code, status));
        }
        sched::wake(process::child_key(parent.pid));
    }
}

/// SIGCHLD to a parent for an exit (code CLD_EXITED/CLD_KILLED).
pub fn send_child_signal(parent: &Arc<Process>, child: u32, code: i32, status: i32) {
    send(parent, SIGCHLD, Siginfo::child(child, code, status));
}

/// Signals a fault raises: delivered before any other, as Linux does.
const SYNCHRONOUS: u64 = (1 << 3) | (1 << 4) | (1 << 6) | (1 << 7) | (1 << 10) | (1 << 30);

fn lowest(set: u64) -> u8 {
    let preferred = if set & SYNCHRONOUS != 0 { set & SYNCHRONOUS } else { set };
    preferred.trailing_zeros() as u8 + 1
}

/// Takes the next deliverable signal, Linux's order: the thread's own
/// (tkill) before the process's, faults first, then by number; standard
/// signals before real-time ones, which come by number and then in the
/// order they were queued.
/// Takes the next pending signal that `allowed` admits (None: the
/// unblocked ones, for delivery): the thread's own standard signals first,
/// then the process's, then queued real-time ones.
fn dequeue(p: &Process, allowed: Option<u64>) -> Option<Siginfo> {
    let mut s = p.signals.lock();
    let blocked = match allowed {
        Some(set) => !set,
        None => s.mask,
    };
    let standard = (1u64 << 31) - 1;
    let thread_ready = s.thread_pending & !blocked & standard;
    if thread_ready != 0 {
        let sig = lowest(thread_ready);
        s.thread_pending &= !bit(sig);
        return Some(s.thread_info.remove(&sig).unwrap_or(Siginfo::kernel(sig)));
    }
    let ready = s.pending & !blocked & standard;
    if ready != 0 {
        let sig = lowest(ready);
        s.pending &= !bit(sig);
        return Some(s.info.remove(&sig).unwrap_or(Siginfo::kernel(sig)));
    }
    let signo = s.rt_queue.iter().map(|i| i.si_signo).filter(|&n| blocked & bit(n as u8) == 0).min()?;
    let idx = s.rt_queue.iter().position(|i| i.si_signo == signo)?;
    let info = s.rt_queue.remove(idx)?;
    forget_queued(1);
    Some(info)
}

/// The frame a handler runs with (Linux's struct rt_sigframe, without the
/// FPU area, which follows at `fpstate`).
#[repr(C)]
#[derive(Clone, Copy)]
struct RtSigframe {
    pretcode: u64,
    // struct ucontext
    uc_flags: u64,
    uc_link: u64,
    uc_stack: [u64; 3],
    /// struct sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp,
    /// rip, eflags, cs/gs/fs/ss (u16 each), err, trapno, oldmask, cr2,
    /// fpstate, reserved[8].
    mcontext: [u64; 32],
    uc_sigmask: u64,
    info: Siginfo,
}

// SAFETY: integers only; no implicit padding (all u64 and the Siginfo).
unsafe impl Pod for RtSigframe {}

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;

fn save_context(f: &TrapFrame, fpstate: u64, mask: u64, trapno: u64, err: u64, cr2: u64) -> [u64; 32] {
    let mut m = [0u64; 32];
    m[..8].copy_from_slice(&[f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15]);
    m[8..18].copy_from_slice(&[f.rdi, f.rsi, f.rbp, f.rbx, f.rdx, f.rax, f.rcx, f.rsp, f.rip, f.rflags]);
    // cs, gs, fs, ss as four u16 in one word.
    m[18] = (f.cs & 0xffff) | ((f.ss & 0xffff) << 48);
    m[19] = err;
    m[20] = trapno;
    m[21] = mask;
    m[22] = cr2;
    m[23] = fpstate;
    m
}

/// Delivers pending signals before a return to ring 3. A default action
/// may end or stop the process here. Returns whether a handler's frame was
/// set up (the registers to return with changed).
#[inline]
pub fn deliver_pending(frame: &mut TrapFrame) -> bool {
    // The check every return to user space makes, inline; the delivery
    // itself out of line.
    if !process::current_ref().is_some_and(|p| p.signal_hint.load(Ordering::Acquire)) {
        return false;
    }
    deliver_pending_slow(frame)
}

#[cold]
#[inline(never)]
fn deliver_pending_slow(frame: &mut TrapFrame) -> bool {
    // A default action that ends the process runs here, with no reference
    // to the task left on this stack: exit never returns to drop one, and
    // the task would never be freed.
    match take_pending(frame) {
        Ok(delivered) => delivered,
        Err(wait_status) => process::exit_with(wait_status),
    }
}

/// Acts on pending signals: Ok(whether a handler's frame was set up), or
/// Err(the wait status) when one ends the process.
fn take_pending(frame: &mut TrapFrame) -> Result<bool, i32> {
    let Some(p) = process::try_current() else { return Ok(false) };
    let mut delivered = false;
    loop {
        let Some(info) = dequeue(&p, None) else {
            let s = p.signals.lock();
            let anything = s.pending | s.thread_pending != 0 || !s.rt_queue.is_empty();
            p.signal_hint.store(anything, Ordering::Release);
            return Ok(delivered);
        };
        let sig = info.si_signo as u8;
        let action = p.sig_actions.lock()[(sig - 1) as usize];
        if action[0] == SIG_DFL && p.tgid == 1 && sig != SIGKILL && sig != SIGSTOP && info.si_code <= 0 {
            // A signal init blocked and then unblocked without a handler:
            // as at generation, init is not killed by what others send.
            continue;
        }
        match action[0] {
            SIG_IGN => continue,
            SIG_DFL => match default_action(sig) {
                Default::Ignore | Default::Continue => continue,
                Default::Stop => {
                    stop(&p, sig);
                    continue;
                }
                Default::Terminate => return Err(sig as i32),
                Default::Core => return Err(sig as i32 | 0x80),
            },
            handler => {
                if setup_frame(&p, frame, sig, &info, &action, handler).is_err() {
                    // No room for the frame: Linux kills with SIGSEGV.
                    return Err(SIGSEGV as i32);
                }
                delivered = true;
                // Like Linux, keep going: another deliverable signal gets
                // its frame on top, so its handler runs first and returns
                // into this one.
            }
        }
    }
}

fn stop(p: &Arc<Process>, sig: u8) {
    p.wait_status.store(((sig as i32) << 8) | 0x7f, Ordering::Release);
    p.state_change_unreported.store(1, Ordering::Release);
    crate::arch::cpu::without_interrupts(|| {
        // Stopped before the parent hears of it: a waitpid woken earlier
        // found the child still running, slept again and was never woken
        // (stopkill.c hung at its second round). A SIGCONT that comes
        // before `schedule` finds the task still on its CPU and lets it
        // go on.
        p.sched.state.store(TaskState::Stopped as u8, Ordering::Release);
        notify_parent_state(p, 5, sig as i32);
        sched::schedule();
    });
}

fn setup_frame(
    p: &Arc<Process>,
    frame: &mut TrapFrame,
    sig: u8,
    info: &Siginfo,
    action: &[u64; 4],
    handler: u64,
) -> Result<(), ringo_uapi::Errno> {
    let (flags, restorer, handler_mask) = (action[1], action[2], action[3]);
    if flags & SA_RESTORER == 0 {
        // x86-64 handlers return through sa_restorer; without one Linux
        // refuses to build the frame.
        return Err(ringo_uapi::Errno::EFAULT);
    }
    let (old_mask, altstack) = {
        let s = p.signals.lock();
        (s.saved_mask.unwrap_or(s.mask), s.altstack)
    };
    let on_alt = altstack[2] != 0 && frame.rsp > altstack[0] && frame.rsp <= altstack[0] + altstack[2];
    let mut sp = if flags & SA_ONSTACK != 0 && altstack[2] != 0 && !on_alt {
        altstack[0] + altstack[2]
    } else {
        frame.rsp - 128 // the red zone
    };
    // The FPU state, 64-byte aligned, above the frame.
    sp = (sp - context::FPU_AREA as u64) & !63;
    let fpstate = sp;
    p.save_user_registers();
    let area = paging::phys_to_virt(p.sched.fpu_phys) as *const u8;
    // SAFETY: the task's own FPU area, FPU_AREA bytes.
    let fpu = unsafe { core::slice::from_raw_parts(area, context::FPU_AREA) };
    UserAddr(fpstate).write_bytes(fpu)?;
    // A fault's trap number and address, as the CPU reported them.
    let from_fault = frame.vector < 32;
    let trapno = if from_fault { frame.vector } else { 0 };
    let cr2 = if frame.vector == 14 { info.fields[0] } else { 0 };
    // The frame: at handler entry (rsp + 8) is 16-byte aligned.
    sp = ((sp - size_of::<RtSigframe>() as u64) & !15) - 8;
    let rf = RtSigframe {
        pretcode: restorer,
        uc_flags: UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS,
        uc_link: 0,
        // The flags as they were set (Linux saves them, not a summary).
        uc_stack: [altstack[0], altstack[1], altstack[2]],
        mcontext: save_context(frame, fpstate, old_mask, trapno, frame.error, cr2),
        uc_sigmask: old_mask,
        info: *info,
    };
    UserAddr(sp).write(&rf)?;
    // The handler starts with a clean FPU (MXCSR 0x1f80, FCW 0x37f), as on
    // Linux; sigreturn brings the interrupted state back from the frame.
    p.reset_fpu();
    p.load_user_registers();
    {
        let mut s = p.signals.lock();
        s.saved_mask = None;
        s.mask |= handler_mask | if flags & SA_NODEFER == 0 { bit(sig) } else { 0 };
        s.mask &= !(bit(SIGKILL) | bit(SIGSTOP));
        if flags & SA_RESETHAND != 0 {
            p.sig_actions.lock()[(sig - 1) as usize] = [SIG_DFL, 0, 0, 0];
        }
    }
    frame.rsp = sp;
    frame.rip = handler;
    frame.rdi = sig as u64;
    frame.rsi = sp + core::mem::offset_of!(RtSigframe, info) as u64;
    frame.rdx = sp + 8;
    frame.rax = 0;
    frame.rflags &= !(1 << 10); // DF clear, as the ABI requires
    Ok(())
}

/// rt_sigreturn: restores the context saved in the frame at the user rsp.
pub fn sigreturn(frame: &mut TrapFrame) -> Result<(), ringo_uapi::Errno> {
    let p = process::current();
    // The handler's `ret` popped pretcode: the frame starts 8 below.
    let base = frame.rsp - 8;
    let rf: RtSigframe = UserAddr(base).read()?;
    let m = rf.mcontext;
    frame.r8 = m[0];
    frame.r9 = m[1];
    frame.r10 = m[2];
    frame.r11 = m[3];
    frame.r12 = m[4];
    frame.r13 = m[5];
    frame.r14 = m[6];
    frame.r15 = m[7];
    frame.rdi = m[8];
    frame.rsi = m[9];
    frame.rbp = m[10];
    frame.rbx = m[11];
    frame.rdx = m[12];
    frame.rax = m[13];
    frame.rcx = m[14];
    let rsp = m[15];
    let rip = m[16];
    // An HP app may also resume at a vtable stub (a call restarted after
    // a handler).
    let rip_ok =
        rip < crate::arch::uaccess::USER_LIMIT || (crate::hp::enabled() && crate::arch::hp_entry::is_stub(rip));
    if !rip_ok || rsp >= crate::arch::uaccess::USER_LIMIT {
        return Err(ringo_uapi::Errno::EFAULT);
    }
    frame.rsp = rsp;
    frame.rip = rip;
    // Only the flags user code may change (arithmetic, DF, TF, AC...).
    const USER_FLAGS: u64 = 0x0004_0dd5 | (1 << 8) | (1 << 10);
    frame.rflags = (frame.rflags & !USER_FLAGS) | (m[17] & USER_FLAGS) | (1 << 9);
    let fpstate = m[23];
    if fpstate != 0 {
        let area = paging::phys_to_virt(p.sched.fpu_phys) as *mut u8;
        // SAFETY: the task's own FPU area.
        let buf = unsafe { core::slice::from_raw_parts_mut(area, context::FPU_AREA) };
        // Even a copy that failed half-way leaves an area that loads.
        let read = UserAddr(fpstate).read_bytes(buf);
        context::sanitize_user_fpu(buf);
        read?;
        p.load_user_registers();
    }
    let mut s = p.signals.lock();
    s.mask = rf.uc_sigmask & !(bit(SIGKILL) | bit(SIGSTOP));
    Ok(())
}

/// What a blocked syscall returns when a signal interrupts it: restart it
/// (SA_RESTART, or nothing to run) or EINTR. Called with the would-be
/// result; `nr` is the syscall number, to set up the restart.
pub fn restart_or_eintr(frame: &mut TrapFrame, nr: u64) -> i64 {
    let p = process::current();
    let s = p.signals.lock();
    let pending = (s.pending | s.thread_pending) & !s.mask;
    let sig = if pending != 0 { pending.trailing_zeros() as u8 + 1 } else { 0 };
    let restart = sig == 0 || {
        let a = p.sig_actions.lock()[(sig - 1) as usize];
        a[0] == SIG_IGN || (a[0] == SIG_DFL && default_action(sig) == Default::Ignore) || a[1] & SA_RESTART != 0
    };
    if restart {
        if frame.vector == crate::arch::hp_entry::HP_CALL_VECTOR {
            // A vtable call: resume at the entry, as if just called.
            crate::arch::hp_entry::rewind_call(frame, nr);
        } else {
            // Back over the 2-byte `syscall`, with the number in rax again.
            frame.rip -= 2;
        }
        nr as i64
    } else {
        ringo_uapi::Errno::EINTR.as_ret()
    }
}

/// The pending set (rt_sigpending).
pub fn pending(p: &Process) -> u64 {
    let s = p.signals.lock();
    s.pending | s.thread_pending | s.rt_queue.iter().fold(0u64, |m, i| m | bit(i.si_signo as u8))
}

/// Takes a pending signal in `set` (rt_sigtimedwait), blocked or not:
/// waiting for blocked signals is what sigwait is for. SIGKILL and SIGSTOP
/// are never taken this way.
pub fn take_from_set(p: &Process, set: u64) -> Option<Siginfo> {
    dequeue(p, Some(waitable(set)))
}

/// The signals of `set` that sigwait may take (not SIGKILL or SIGSTOP).
pub fn waitable(set: u64) -> u64 {
    set & !(bit(SIGKILL) | bit(SIGSTOP))
}

/// SIGPIPE for a write to a pipe without readers: Linux sends it as
/// SI_USER from the writer itself.
pub fn sigpipe(p: &Arc<Process>) {
    send(p, SIGPIPE, Siginfo::from_process(SIGPIPE, SI_USER, p.pid));
}

/// rt_sigqueueinfo: the caller's siginfo, with the signal number forced.
pub fn queue_user_info(p: &Arc<Process>, sig: u8, mut info: Siginfo) -> Result<(), Errno> {
    info.si_signo = sig as i32;
    try_send(p, sig, info)
}
