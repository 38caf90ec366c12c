//! The x86-64 Linux signal-delivery ABI: what the kernel writes on the user
//! stack when it runs a handler, what rt_sigreturn reads back, the siginfo
//! it passes, the default actions, and the wait statuses a parent sees.
//!
//! # The frame (arch/x86/kernel/signal.c, signal_64.c)
//!
//! From high addresses to low, below the interrupted `rsp` (or at the top
//! of the alternate stack):
//!
//! ```text
//!   user rsp - 128        the red zone is skipped (only on the same stack)
//!   fpstate (64-aligned)  XSAVE area (FXSAVE layout first 512 bytes), then
//!                         FP_XSTATE_MAGIC2 right after the XSAVE data
//!   ...padding...
//!   RtSigframe.info       siginfo_t (written only with SA_SIGINFO)
//!   RtSigframe.uc         ucontext: flags, link, stack_t, sigcontext, mask
//!   RtSigframe.pretcode   sa_restorer: the handler's `ret` pops it
//!                         <- rsp at handler entry, rsp ≡ 8 (mod 16)
//! ```
//!
//! The handler starts with rdi = signal, rsi = &info, rdx = &uc, rax = 0,
//! DF clear and the FPU/SSE state reset to its initial values (Linux clears
//! it so a handler never sees the interrupted code's registers; the saved
//! copy is in fpstate). x86-64 Linux requires SA_RESTORER: without it the
//! frame cannot be built and the task gets SIGSEGV instead.
//!
//! rt_sigreturn finds the frame at `rsp - 8` (the `ret` popped pretcode),
//! restores every register in the sigcontext, only the [`SIGRETURN_RFLAGS`]
//! bits of rflags, the FPU state from `fpstate`, the signal mask from
//! `uc_sigmask` and the alternate stack from `uc_stack`, and never restarts
//! the syscall that was interrupted (its result is already in rax).

use crate::signal::{
    SA_ONSTACK, SA_RESTART, SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP, SIGILL, SIGINT, SIGIO, SIGKILL,
    SIGPIPE, SIGPROF, SIGPWR, SIGQUIT, SIGRTMAX, SIGRTMIN, SIGSEGV, SIGSTKFLT, SIGSTOP, SIGSYS, SIGTERM, SIGTRAP,
    SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH, SIGXCPU, SIGXFSZ, SigSet, Signal,
    SignalStack,
};

// ---------------------------------------------------------------------------
// siginfo_t (asm-generic/siginfo.h)

// si_code values any signal may carry. Zero and negative codes mean "sent
// by a process"; positive ones "by the kernel" (SI_FROMUSER/SI_FROMKERNEL).
/// kill(2), and the kernel's SEND_SIG_NOINFO (SIGPIPE from a write names
/// the writer itself as the sender).
pub const SI_USER: i32 = 0;
/// The kernel's SEND_SIG_PRIV: alarm/setitimer expiry, SIGSEGV for a bad
/// signal frame, general-protection faults, SIGKILL from the OOM killer.
pub const SI_KERNEL: i32 = 0x80;
/// sigqueue(3) (rt_sigqueueinfo).
pub const SI_QUEUE: i32 = -1;
/// POSIX timers (timer_create); not alarm() or setitimer, which are SI_KERNEL.
pub const SI_TIMER: i32 = -2;
pub const SI_MESGQ: i32 = -3;
pub const SI_ASYNCIO: i32 = -4;
pub const SI_SIGIO: i32 = -5;
/// tkill/tgkill (musl's and glibc's raise use tkill/tgkill).
pub const SI_TKILL: i32 = -6;
pub const SI_DETHREAD: i32 = -7;

// SIGILL codes. Linux reports #UD as ILL_ILLOPN with si_addr = rip.
pub const ILL_ILLOPC: i32 = 1;
pub const ILL_ILLOPN: i32 = 2;
pub const ILL_ILLADR: i32 = 3;
pub const ILL_ILLTRP: i32 = 4;
pub const ILL_PRVOPC: i32 = 5;
pub const ILL_PRVREG: i32 = 6;
pub const ILL_COPROC: i32 = 7;
pub const ILL_BADSTK: i32 = 8;

// SIGFPE codes. #DE is FPE_INTDIV with si_addr = rip.
pub const FPE_INTDIV: i32 = 1;
pub const FPE_INTOVF: i32 = 2;
pub const FPE_FLTDIV: i32 = 3;
pub const FPE_FLTOVF: i32 = 4;
pub const FPE_FLTUND: i32 = 5;
pub const FPE_FLTRES: i32 = 6;
pub const FPE_FLTINV: i32 = 7;
pub const FPE_FLTSUB: i32 = 8;

// SIGSEGV codes, with si_addr = the faulting address (cr2).
/// No mapping at the address.
pub const SEGV_MAPERR: i32 = 1;
/// A mapping whose protection forbids the access.
pub const SEGV_ACCERR: i32 = 2;
pub const SEGV_BNDERR: i32 = 3;
pub const SEGV_PKUERR: i32 = 4;

// SIGBUS codes.
pub const BUS_ADRALN: i32 = 1;
/// An access past the end of a file mapping.
pub const BUS_ADRERR: i32 = 2;
pub const BUS_OBJERR: i32 = 3;

// SIGTRAP codes.
pub const TRAP_BRKPT: i32 = 1;
pub const TRAP_TRACE: i32 = 2;

// SIGCHLD codes (also waitid's si_code).
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

// SIGIO/SIGPOLL codes.
pub const POLL_IN: i32 = 1;
pub const POLL_OUT: i32 = 2;
pub const POLL_MSG: i32 = 3;
pub const POLL_ERR: i32 = 4;
pub const POLL_PRI: i32 = 5;
pub const POLL_HUP: i32 = 6;

/// Byte offsets inside siginfo_t of the union members, as x86-64 Linux
/// lays them out (the union starts at 16, 8-aligned). Several members
/// share a slot: that is the union. [`Siginfo`] reads and writes through
/// these; they are public for code that decodes raw user siginfo bytes.
pub mod si_offset {
    pub const UNION: usize = 16;
    // _kill, _rt, _sigchld, _timer
    pub const PID: usize = 16;
    pub const UID: usize = 20;
    pub const TIMER_ID: usize = 16;
    pub const OVERRUN: usize = 20;
    pub const VALUE: usize = 24;
    pub const SYS_PRIVATE: usize = 32;
    pub const STATUS: usize = 24;
    pub const UTIME: usize = 32;
    pub const STIME: usize = 40;
    // _sigfault
    pub const ADDR: usize = 16;
    pub const ADDR_LSB: usize = 24;
    pub const LOWER: usize = 32;
    pub const UPPER: usize = 40;
    pub const PKEY: usize = 32;
    // _sigpoll
    pub const BAND: usize = 16;
    pub const FD: usize = 24;
    // _sigsys
    pub const CALL_ADDR: usize = 16;
    pub const SYSCALL: usize = 24;
    pub const ARCH: usize = 28;
}

/// Bytes of the union after si_signo, si_errno, si_code and the padding.
const UNION_BYTES: usize = SIGINFO_SIZE - si_offset::UNION;
pub const SIGINFO_SIZE: usize = 128;

/// `siginfo_t`, 128 bytes. The union is kept as plain bytes that only the
/// constructors and accessors below touch, so every byte is always
/// initialized (a siginfo goes to user memory whole: no kernel bytes may
/// leak through padding) and no `unsafe` is needed to read a member.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    _pad: i32,
    fields: [u8; UNION_BYTES],
}

impl Siginfo {
    /// Every union member zero: what Linux's clear_siginfo() starts from.
    pub const fn new(sig: Signal, code: i32) -> Siginfo {
        Siginfo { si_signo: sig, si_errno: 0, si_code: code, _pad: 0, fields: [0; UNION_BYTES] }
    }

    /// kill(2): SI_USER with the sender's pid and uid.
    pub const fn user(sig: Signal, pid: i32, uid: u32) -> Siginfo {
        Siginfo::new(sig, SI_USER).with_sender(pid, uid)
    }

    /// tkill/tgkill (and so raise()): SI_TKILL with the sender's pid and uid.
    pub const fn tkill(sig: Signal, pid: i32, uid: u32) -> Siginfo {
        Siginfo::new(sig, SI_TKILL).with_sender(pid, uid)
    }

    /// What sigqueue(3) passes: SI_QUEUE, sender and the sigval.
    pub const fn queue(sig: Signal, pid: i32, uid: u32, value: u64) -> Siginfo {
        Siginfo::new(sig, SI_QUEUE).with_sender(pid, uid).put64(si_offset::VALUE, value)
    }

    /// A signal the kernel sends on its own account (SEND_SIG_PRIV):
    /// SI_KERNEL, pid and uid 0. Linux uses this for SIGALRM from alarm()
    /// and setitimer(ITIMER_REAL), SIGVTALRM/SIGPROF from the other
    /// itimers, and SIGSEGV when a signal frame cannot be written.
    pub const fn kernel(sig: Signal) -> Siginfo {
        Siginfo::new(sig, SI_KERNEL)
    }

    /// A POSIX timer's expiry: SI_TIMER with the kernel's timer id, the
    /// overrun count and the sigev_value given to timer_create.
    pub const fn timer(sig: Signal, timer_id: i32, overrun: i32, value: u64) -> Siginfo {
        Siginfo::new(sig, SI_TIMER)
            .put32(si_offset::TIMER_ID, timer_id as u32)
            .put32(si_offset::OVERRUN, overrun as u32)
            .put64(si_offset::VALUE, value)
    }

    /// A synchronous fault: SIGSEGV (SEGV_MAPERR/SEGV_ACCERR with the data
    /// address), SIGBUS, SIGFPE or SIGILL (the instruction's address),
    /// SIGTRAP. Linux's force_sig_fault.
    pub const fn fault(sig: Signal, code: i32, addr: u64) -> Siginfo {
        Siginfo::new(sig, code).put64(si_offset::ADDR, addr)
    }

    /// SIGCHLD for `event` of child `pid` owned by `uid`, with its user
    /// and system time in clock ticks (do_notify_parent and
    /// do_notify_parent_cldstop). waitid's result is the same minus the
    /// times, which waitid leaves alone.
    pub const fn child(event: ChildEvent, pid: i32, uid: u32, utime: i64, stime: i64) -> Siginfo {
        Siginfo::new(SIGCHLD, event.si_code())
            .with_sender(pid, uid)
            .put32(si_offset::STATUS, event.si_status() as u32)
            .put64(si_offset::UTIME, utime as u64)
            .put64(si_offset::STIME, stime as u64)
    }

    /// SIGIO/SIGPOLL for `fd` with the poll `band` (POLLIN and friends).
    pub const fn poll(sig: Signal, code: i32, band: i64, fd: i32) -> Siginfo {
        Siginfo::new(sig, code).put64(si_offset::BAND, band as u64).put32(si_offset::FD, fd as u32)
    }

    /// A siginfo as user memory holds it (rt_sigqueueinfo's argument).
    pub fn from_bytes(bytes: &[u8; SIGINFO_SIZE]) -> Siginfo {
        let word = |at: usize| i32::from_ne_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        let mut fields = [0; UNION_BYTES];
        fields.copy_from_slice(&bytes[si_offset::UNION..]);
        Siginfo { si_signo: word(0), si_errno: word(4), si_code: word(8), _pad: word(12), fields }
    }

    /// The 128 bytes to copy to user memory.
    pub fn to_bytes(&self) -> [u8; SIGINFO_SIZE] {
        let mut out = [0; SIGINFO_SIZE];
        out[0..4].copy_from_slice(&self.si_signo.to_ne_bytes());
        out[4..8].copy_from_slice(&self.si_errno.to_ne_bytes());
        out[8..12].copy_from_slice(&self.si_code.to_ne_bytes());
        out[12..16].copy_from_slice(&self._pad.to_ne_bytes());
        out[si_offset::UNION..].copy_from_slice(&self.fields);
        out
    }

    /// si_pid: the sender (kill, tkill, sigqueue) or the child (SIGCHLD).
    pub const fn pid(&self) -> i32 {
        self.get32(si_offset::PID) as i32
    }

    /// si_uid, beside si_pid.
    pub const fn uid(&self) -> u32 {
        self.get32(si_offset::UID)
    }

    /// si_value (sival_ptr; sival_int is its low 32 bits): sigqueue, timers.
    pub const fn value(&self) -> u64 {
        self.get64(si_offset::VALUE)
    }

    /// si_timerid (Linux's si_tid) of a POSIX timer signal.
    pub const fn timer_id(&self) -> i32 {
        self.get32(si_offset::TIMER_ID) as i32
    }

    pub const fn overrun(&self) -> i32 {
        self.get32(si_offset::OVERRUN) as i32
    }

    /// si_status of SIGCHLD: the exit code, or the signal.
    pub const fn status(&self) -> i32 {
        self.get32(si_offset::STATUS) as i32
    }

    pub const fn utime(&self) -> i64 {
        self.get64(si_offset::UTIME) as i64
    }

    pub const fn stime(&self) -> i64 {
        self.get64(si_offset::STIME) as i64
    }

    /// si_addr of a fault.
    pub const fn addr(&self) -> u64 {
        self.get64(si_offset::ADDR)
    }

    pub const fn band(&self) -> i64 {
        self.get64(si_offset::BAND) as i64
    }

    pub const fn fd(&self) -> i32 {
        self.get32(si_offset::FD) as i32
    }

    /// Sent by a process (kill, tkill, sigqueue...), not by the kernel.
    /// rt_sigqueueinfo refuses to let a process forge the other kind for
    /// anyone but itself (si_code >= 0 or SI_TKILL gives EPERM).
    pub const fn from_user(&self) -> bool {
        self.si_code <= 0
    }

    const fn with_sender(self, pid: i32, uid: u32) -> Siginfo {
        self.put32(si_offset::PID, pid as u32).put32(si_offset::UID, uid)
    }

    const fn put32(mut self, at: usize, v: u32) -> Siginfo {
        let b = v.to_ne_bytes();
        let i = at - si_offset::UNION;
        self.fields[i] = b[0];
        self.fields[i + 1] = b[1];
        self.fields[i + 2] = b[2];
        self.fields[i + 3] = b[3];
        self
    }

    const fn put64(self, at: usize, v: u64) -> Siginfo {
        self.put32(at, v as u32).put32(at + 4, (v >> 32) as u32)
    }

    const fn get32(&self, at: usize) -> u32 {
        let i = at - si_offset::UNION;
        u32::from_ne_bytes([self.fields[i], self.fields[i + 1], self.fields[i + 2], self.fields[i + 3]])
    }

    const fn get64(&self, at: usize) -> u64 {
        self.get32(at) as u64 | (self.get32(at + 4) as u64) << 32
    }
}

// ---------------------------------------------------------------------------
// Children: SIGCHLD codes and wait statuses

/// What happened to a child, as SIGCHLD, waitid and wait4 report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildEvent {
    /// exit/exit_group with this code (only its low 8 bits survive).
    Exited(i32),
    /// Ended by a signal without a core dump.
    Killed(Signal),
    /// Ended by a signal whose default action dumps core.
    Dumped(Signal),
    /// Stopped by this signal.
    Stopped(Signal),
    /// Resumed by SIGCONT.
    Continued,
}

impl ChildEvent {
    pub const fn si_code(self) -> i32 {
        match self {
            ChildEvent::Exited(_) => CLD_EXITED,
            ChildEvent::Killed(_) => CLD_KILLED,
            ChildEvent::Dumped(_) => CLD_DUMPED,
            ChildEvent::Stopped(_) => CLD_STOPPED,
            ChildEvent::Continued => CLD_CONTINUED,
        }
    }

    /// si_status: the exit code, or the signal (SIGCONT for Continued).
    pub const fn si_status(self) -> i32 {
        match self {
            ChildEvent::Exited(code) => code & 0xff,
            ChildEvent::Killed(sig) | ChildEvent::Dumped(sig) | ChildEvent::Stopped(sig) => sig,
            ChildEvent::Continued => SIGCONT,
        }
    }

    /// The status word wait4 stores.
    pub const fn wait_status(self) -> i32 {
        match self {
            ChildEvent::Exited(code) => wait_status::exited(code),
            ChildEvent::Killed(sig) => wait_status::signaled(sig, false),
            ChildEvent::Dumped(sig) => wait_status::signaled(sig, true),
            ChildEvent::Stopped(sig) => wait_status::stopped(sig),
            ChildEvent::Continued => wait_status::CONTINUED,
        }
    }

    /// The event a wait4 status word encodes; None for words no kernel
    /// produces (such as a "stopped" word with signal 0).
    pub const fn from_wait_status(status: i32) -> Option<ChildEvent> {
        use wait_status as w;
        if w::if_continued(status) {
            Some(ChildEvent::Continued)
        } else if w::if_exited(status) {
            Some(ChildEvent::Exited(w::exit_status(status)))
        } else if w::if_stopped(status) {
            if w::stop_sig(status) == 0 { None } else { Some(ChildEvent::Stopped(w::stop_sig(status))) }
        } else if w::core_dump(status) {
            Some(ChildEvent::Dumped(w::term_sig(status)))
        } else {
            Some(ChildEvent::Killed(w::term_sig(status)))
        }
    }
}

/// The status word of wait4/waitpid (Linux's exit_code, and the glibc and
/// musl W* macros that decode it). Bits 0-6: the terminating signal, or
/// 0x7f for "stopped"; bit 7: core dumped; bits 8-15: the exit code or the
/// stop signal; 0xffff alone: continued.
pub mod wait_status {
    use crate::signal::Signal;

    /// exit(code): the low 8 bits of the code, shifted up.
    pub const fn exited(code: i32) -> i32 {
        (code & 0xff) << 8
    }

    /// Ended by `sig`, with bit 7 when it dumped core.
    pub const fn signaled(sig: Signal, core: bool) -> i32 {
        (sig & 0x7f) | if core { 0x80 } else { 0 }
    }

    pub const fn stopped(sig: Signal) -> i32 {
        ((sig & 0xff) << 8) | 0x7f
    }

    pub const CONTINUED: i32 = 0xffff;

    /// WIFEXITED
    pub const fn if_exited(status: i32) -> bool {
        term_sig(status) == 0
    }

    /// WEXITSTATUS
    pub const fn exit_status(status: i32) -> i32 {
        (status & 0xff00) >> 8
    }

    /// WIFSIGNALED: neither exited (0) nor stopped (0x7f) in the low bits.
    pub const fn if_signaled(status: i32) -> bool {
        (((status & 0x7f) + 1) as i8 >> 1) > 0
    }

    /// WTERMSIG
    pub const fn term_sig(status: i32) -> Signal {
        status & 0x7f
    }

    /// WCOREDUMP
    pub const fn core_dump(status: i32) -> bool {
        status & 0x80 != 0
    }

    /// WIFSTOPPED
    pub const fn if_stopped(status: i32) -> bool {
        status & 0xff == 0x7f
    }

    /// WSTOPSIG
    pub const fn stop_sig(status: i32) -> Signal {
        exit_status(status)
    }

    /// WIFCONTINUED
    pub const fn if_continued(status: i32) -> bool {
        status == CONTINUED
    }
}

// ---------------------------------------------------------------------------
// Default actions (signal(7))

/// What a signal does when its disposition is SIG_DFL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process (wait status: the signal).
    Terminate,
    /// Nothing; the signal is discarded (not even left pending).
    Ignore,
    /// End the process "with a core dump" (wait status: signal | 0x80;
    /// Ringo writes no core file, but the status says what Linux's would).
    Core,
    /// Stop the process until SIGCONT.
    Stop,
    /// Resume a stopped process; otherwise nothing.
    Continue,
}

/// The default action of `sig`; None outside 1..=64. Real-time signals
/// terminate; SIGKILL and SIGSTOP cannot be caught, but their defaults are
/// reported here like the others'.
pub const fn default_action(sig: Signal) -> Option<DefaultAction> {
    use DefaultAction::*;
    Some(match sig {
        SIGHUP | SIGINT | SIGKILL | SIGUSR1 | SIGUSR2 | SIGPIPE | SIGALRM | SIGTERM | SIGSTKFLT | SIGVTALRM
        | SIGPROF | SIGIO | SIGPWR => Terminate,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ | SIGSYS => Core,
        SIGCHLD | SIGURG | SIGWINCH => Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Continue,
        SIGRTMIN..=SIGRTMAX => Terminate,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Syscall restart after a signal (arch/x86/kernel/signal.c handle_signal)

/// Kernel-internal results a blocking syscall returns, as `-value`, when a
/// signal interrupts it; user space never sees them. They decide between
/// restarting the call and returning EINTR.
/// Restart if the handler has SA_RESTART (or there is no handler).
pub const ERESTARTSYS: i64 = 512;
/// Always restart (nothing observable happened yet).
pub const ERESTARTNOINTR: i64 = 513;
/// Restart only when no handler runs (pause, sigsuspend: EINTR otherwise).
pub const ERESTARTNOHAND: i64 = 514;
/// Like ERESTARTNOHAND, but a restart goes through restart_syscall (219)
/// with adjusted arguments (nanosleep's remaining time).
pub const ERESTART_RESTARTBLOCK: i64 = 516;

/// What the interrupted syscall's registers become before the signal is
/// handled (or, with no handler to run, before returning to user space).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Not a restart code: rax keeps the result.
    Keep,
    /// rax = -EINTR.
    Eintr,
    /// rax = orig_rax and rip -= 2, so the `syscall` runs again.
    Again,
    /// rax = restart_syscall's number (219) and rip -= 2.
    RestartSyscall,
}

/// How a syscall that returned `ret` (a raw result, -errno on failure)
/// continues when a signal arrives: `handler_flags` is the sa_flags of the
/// handler about to run, None when no handler runs (ignored, or a default
/// action that does not end the process).
pub const fn restart_after_signal(ret: i64, handler_flags: Option<u64>) -> Restart {
    // wrapping_neg: any i64 may be a result (lseek, mmap...), and -i64::MIN
    // overflows; i64::MIN wraps to itself, no restart code, so Keep.
    match (ret.wrapping_neg(), handler_flags) {
        (ERESTARTSYS | ERESTARTNOINTR | ERESTARTNOHAND, None) => Restart::Again,
        (ERESTART_RESTARTBLOCK, None) => Restart::RestartSyscall,
        (ERESTARTNOHAND | ERESTART_RESTARTBLOCK, Some(_)) => Restart::Eintr,
        (ERESTARTSYS, Some(flags)) if flags & SA_RESTART == 0 => Restart::Eintr,
        (ERESTARTSYS | ERESTARTNOINTR, Some(_)) => Restart::Again,
        _ => Restart::Keep,
    }
}

/// The length of the `syscall` instruction, which a restart re-executes.
pub const SYSCALL_INSN_LEN: u64 = 2;

// ---------------------------------------------------------------------------
// The FPU state (asm/sigcontext.h: _fpstate_64, _fpx_sw_bytes, _header)

/// "FPXS": fx_sw_bytes.magic1 when the area holds XSAVE data.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// "FPXE": the u32 Linux writes right after the XSAVE data, at
/// `fpstate + xstate_size`, so sigreturn can tell a full XSAVE image from
/// a legacy one that user space copied without the extended part.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
pub const FP_XSTATE_MAGIC2_SIZE: usize = 4;
/// The legacy FXSAVE image, also the first part of any XSAVE image.
pub const FXSAVE_SIZE: usize = 512;
/// Where the XSAVE header starts inside an XSAVE image.
pub const XSAVE_HEADER_OFFSET: usize = 512;
/// x87 and SSE: the xfeatures bits Linux always sets in the saved header
/// so that a sigreturn restores them even if user space cleared the bits.
pub const XFEATURE_MASK_FPSSE: u64 = 0b11;
/// The x87 control word after FNINIT (all exceptions masked, extended
/// precision, round to nearest): a handler starts with it.
pub const FCW_DEFAULT: u16 = 0x037f;
/// MXCSR after reset (all exceptions masked, round to nearest).
pub const MXCSR_DEFAULT: u32 = 0x1f80;
/// The FPU area must be 64-byte aligned for XSAVE/XRSTOR.
pub const FPSTATE_ALIGN: u64 = 64;

/// `struct _fpx_sw_bytes`: the 48 bytes at offset 464 of the FXSAVE image
/// that the hardware leaves to software. Linux fills them on delivery.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FpxSwBytes {
    /// FP_XSTATE_MAGIC1 for an XSAVE image, 0 for a plain FXSAVE one.
    pub magic1: u32,
    /// xstate_size + FP_XSTATE_MAGIC2_SIZE: the bytes the area occupies.
    pub extended_size: u32,
    /// The xfeatures present in the image (the kernel's user_xfeatures).
    pub xfeatures: u64,
    /// The XSAVE data's size: FP_XSTATE_MAGIC2 sits at this offset.
    pub xstate_size: u32,
    pub padding: [u32; 7],
}

impl FpxSwBytes {
    /// A plain FXSAVE image (CPUs without XSAVE): all zero.
    pub const LEGACY: FpxSwBytes =
        FpxSwBytes { magic1: 0, extended_size: 0, xfeatures: 0, xstate_size: 0, padding: [0; 7] };

    /// For an XSAVE image of `xstate_size` bytes holding `xfeatures`.
    pub const fn xsave(xstate_size: u32, xfeatures: u64) -> FpxSwBytes {
        FpxSwBytes {
            magic1: FP_XSTATE_MAGIC1,
            extended_size: xstate_size + FP_XSTATE_MAGIC2_SIZE as u32,
            xfeatures,
            xstate_size,
            padding: [0; 7],
        }
    }

    /// Where FP_XSTATE_MAGIC2 must be, relative to the area, when these
    /// bytes claim an XSAVE image; None for a legacy one.
    pub const fn magic2_offset(&self) -> Option<usize> {
        if self.magic1 == FP_XSTATE_MAGIC1 { Some(self.xstate_size as usize) } else { None }
    }
}

/// `struct _fpstate_64`: the FXSAVE image (512 bytes), which is also the
/// legacy region at the start of every XSAVE image.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FpState64 {
    /// x87 control word.
    pub cwd: u16,
    /// x87 status word.
    pub swd: u16,
    /// The abridged tag word FXSAVE stores (1 bit per register, 0 = empty).
    pub twd: u16,
    pub fop: u16,
    pub rip: u64,
    pub rdp: u64,
    pub mxcsr: u32,
    pub mxcsr_mask: u32,
    /// st0..st7, 16 bytes each.
    pub st_space: [u32; 32],
    /// xmm0..xmm15, 16 bytes each.
    pub xmm_space: [u32; 64],
    pub reserved2: [u32; 12],
    pub sw_reserved: FpxSwBytes,
}

impl FpState64 {
    /// The state after FNINIT and a reset MXCSR, as a handler starts.
    pub const INIT: FpState64 = FpState64 {
        cwd: FCW_DEFAULT,
        swd: 0,
        twd: 0,
        fop: 0,
        rip: 0,
        rdp: 0,
        mxcsr: MXCSR_DEFAULT,
        mxcsr_mask: 0,
        st_space: [0; 32],
        xmm_space: [0; 64],
        reserved2: [0; 12],
        sw_reserved: FpxSwBytes::LEGACY,
    };
}

/// `struct _header`: the XSAVE header at offset 512 of an XSAVE image.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct XStateHeader {
    /// XSTATE_BV: which components hold saved (non-initial) state.
    pub xfeatures: u64,
    /// XCOMP_BV; 0 in the standard format Linux gives user space.
    pub xcomp_bv: u64,
    pub reserved: [u64; 6],
}

/// The bytes the FPU area takes on the signal stack (Linux's
/// xstate_sigframe_size): the XSAVE size plus the trailing magic when the
/// CPU has XSAVE (`xsave_size` is CPUID 0xd's size for the enabled
/// features), else the 512-byte FXSAVE image alone.
pub const fn fpstate_sigframe_size(xsave_size: Option<usize>) -> usize {
    match xsave_size {
        Some(size) => size + FP_XSTATE_MAGIC2_SIZE,
        None => FXSAVE_SIZE,
    }
}

// ---------------------------------------------------------------------------
// sigcontext, ucontext, rt_sigframe (asm/sigcontext.h, asm-generic/ucontext.h,
// arch/x86/include/asm/sigframe.h)

/// `struct sigcontext` of x86-64 (256 bytes); glibc's and musl's
/// `mcontext_t` have the same layout, gregs[REG_R8..=REG_CR2] being the
/// first 23 words.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigContext {
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rsp: u64,
    pub rip: u64,
    pub eflags: u64,
    pub cs: u16,
    /// Always 0: Linux saves neither gs nor fs here (nor their bases).
    pub gs: u16,
    pub fs: u16,
    /// Saved since UC_SIGCONTEXT_SS.
    pub ss: u16,
    /// The exception's error code (the page-fault error code for SIGSEGV).
    pub err: u64,
    /// The exception vector (14 for a page fault).
    pub trapno: u64,
    /// The first word of the blocked mask before the handler: uc_sigmask.
    pub oldmask: u64,
    /// The faulting address of a page fault.
    pub cr2: u64,
    /// User address of the FPU area (FpState64 first), 0 for none.
    pub fpstate: u64,
    pub reserved1: [u64; 8],
}

// uc_flags bits (asm/ucontext.h). Linux sets UC_SIGCONTEXT_SS and, for
// 64-bit code, UC_STRICT_RESTORE_SS always, and UC_FP_XSTATE when the CPU
// has XSAVE.
pub const UC_FP_XSTATE: u64 = 0x1;
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

/// uc_flags for a frame interrupting 64-bit code.
pub const fn uc_flags(xsave: bool) -> u64 {
    UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | if xsave { UC_FP_XSTATE } else { 0 }
}

/// The kernel's `struct ucontext` (304 bytes). Its mask is the kernel's
/// 8-byte sigset; the libcs' ucontext_t is larger (a 128-byte sigset and
/// more) but agrees on everything up to and including these 8 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UContext {
    pub uc_flags: u64,
    /// Always 0 from the kernel.
    pub uc_link: u64,
    /// The thread's alternate stack as sigaltstack registered it (Linux
    /// writes sas_ss_sp, sas_ss_flags and sas_ss_size as stored, see
    /// SignalStack::saved_in_frame); rt_sigreturn re-registers it.
    pub uc_stack: SignalStack,
    pub uc_mcontext: SigContext,
    /// The mask to restore on rt_sigreturn: the one before the handler.
    pub uc_sigmask: SigSet,
}

/// `struct rt_sigframe` of x86-64 (440 bytes); the FPU area is not part of
/// it but lies above it at `uc.uc_mcontext.fpstate`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtSigframe {
    /// sa_restorer: where the handler's `ret` goes (libc's __restore_rt,
    /// which calls rt_sigreturn).
    pub pretcode: u64,
    pub uc: UContext,
    /// Written only for SA_SIGINFO handlers; the space is there regardless.
    pub info: Siginfo,
}

pub const RT_SIGFRAME_SIZE: usize = core::mem::size_of::<RtSigframe>();

/// The rflags bits rt_sigreturn takes from the saved context (Linux's
/// FIX_EFLAGS: CF PF AF ZF SF TF DF OF AC RF); the others (IF, IOPL, VM,
/// NT...) stay the kernel's.
pub const SIGRETURN_RFLAGS: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x4_0000 | 0x1_0000;

/// rflags after rt_sigreturn: `current` with the user-controllable bits
/// taken from `saved`.
pub const fn sigreturn_rflags(current: u64, saved: u64) -> u64 {
    (current & !SIGRETURN_RFLAGS) | (saved & SIGRETURN_RFLAGS)
}

/// The segment selectors rt_sigreturn puts back are forced to RPL 3, so
/// a forged frame cannot return to ring 0.
pub const fn sigreturn_selector(saved: u16) -> u16 {
    saved | 3
}

/// Where rt_sigreturn finds the frame: the handler's `ret` popped pretcode.
pub const fn sigreturn_frame_addr(user_rsp: u64) -> u64 {
    user_rsp.wrapping_sub(8)
}

// ---------------------------------------------------------------------------
// Placing the frame (get_sigframe)

/// The System V x86-64 red zone below rsp, which a leaf function may use
/// without moving rsp; a frame on the same stack goes below it.
pub const RED_ZONE: u64 = 128;

/// Where a signal frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameLayout {
    /// The RtSigframe; 8 more than a multiple of 16, like rsp right after a
    /// `call`, so the handler sees the ABI's alignment.
    pub frame_addr: u64,
    /// The FPU area (64-byte aligned), right above the frame.
    pub fpstate_addr: u64,
    /// rsp for the handler: the frame's address (pretcode on top).
    pub new_sp: u64,
    /// True when the frame would not fit on the alternate stack it is
    /// meant for (already on it, or switching to it). Linux then refuses
    /// to write anything and forces SIGSEGV instead of corrupting memory
    /// below the alternate stack.
    pub overflows_altstack: bool,
}

impl FrameLayout {
    /// rsi for the handler. Wraps like [`frame_layout`]: a frame placed
    /// from a garbage rsp may sit at the very top of the address space.
    pub const fn siginfo_addr(&self) -> u64 {
        self.frame_addr.wrapping_add(core::mem::offset_of!(RtSigframe, info) as u64)
    }

    /// rdx for the handler.
    pub const fn ucontext_addr(&self) -> u64 {
        self.frame_addr.wrapping_add(core::mem::offset_of!(RtSigframe, uc) as u64)
    }
}

/// Linux's get_sigframe for a 64-bit frame. `user_sp` is the interrupted
/// rsp, `sa_flags` the handler's flags (SA_ONSTACK matters), `altstack`
/// the thread's registered alternate stack, `fpstate_size` the bytes of
/// the FPU area ([`fpstate_sigframe_size`]).
///
/// The red zone is skipped first; then with SA_ONSTACK and an alternate
/// stack the thread is not already on, the frame goes to that stack's top
/// instead (no red zone there: nothing of the interrupted code lives on
/// it). Arithmetic wraps, so a garbage rsp yields an address the user
/// copy will fault on, which Linux turns into SIGSEGV too.
pub fn frame_layout(user_sp: u64, sa_flags: u64, altstack: &SignalStack, fpstate_size: usize) -> FrameLayout {
    let nested_altstack = altstack.is_on(user_sp);
    let mut sp = user_sp.wrapping_sub(RED_ZONE);
    let mut entering_altstack = false;
    if sa_flags & SA_ONSTACK != 0 && altstack.sas_ss_flags(sp) == 0 {
        sp = altstack.top();
        entering_altstack = true;
    }
    let fpstate_addr = sp.wrapping_sub(fpstate_size as u64) & !(FPSTATE_ALIGN - 1);
    let frame_addr = (fpstate_addr.wrapping_sub(RT_SIGFRAME_SIZE as u64) & !15).wrapping_sub(8);
    // Linux checks the frame's lowest byte against the raw bounds
    // (__on_sig_stack), whatever SS_AUTODISARM says.
    let overflows_altstack = (nested_altstack || entering_altstack) && !altstack.contains(frame_addr);
    FrameLayout { frame_addr, fpstate_addr, new_sp: frame_addr, overflows_altstack }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use crate::signal::{MINSIGSTKSZ, SA_SIGINFO, SS_AUTODISARM, SS_ONSTACK};
    use core::mem::{offset_of, size_of};
    use std::collections::HashMap;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, ExitStatus};

    /// Compiles `body` (statements using `P(name, value)`) with the host's
    /// C compiler against `includes` and runs it: the values by name. The
    /// compiler is part of the project's setup (scripts/setup.sh); without
    /// it these comparisons would test nothing, so its absence fails.
    fn c_probe(tag: &str, includes: &[&str], body: &str) -> HashMap<String, i128> {
        let dir = std::env::temp_dir().join(format!("ringo-uapi-probe-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, exe) = (dir.join("probe.c"), dir.join("probe"));
        let mut text = String::from("#define _GNU_SOURCE\n#include <stddef.h>\n#include <stdio.h>\n");
        for inc in includes {
            text.push_str(&format!("#include <{inc}>\n"));
        }
        text.push_str("#define P(name, v) printf(\"%s %lld\\n\", name, (long long)(v))\n");
        text.push_str(&format!("int main(void) {{\n{body}\nreturn 0;\n}}\n"));
        std::fs::write(&src, text).unwrap();
        let cc = Command::new("cc").arg(&src).arg("-o").arg(&exe).output().expect("cc (gcc) must be installed");
        assert!(cc.status.success(), "probe does not compile:\n{}", String::from_utf8_lossy(&cc.stderr));
        let out = Command::new(&exe).output().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (name, v) = l.rsplit_once(' ').unwrap();
                (name.to_string(), v.parse().unwrap())
            })
            .collect()
    }

    /// (name, C expression, our value): one probe line each.
    fn compare(tag: &str, includes: &[&str], items: &[(&str, &str, usize)]) {
        let body: String = items.iter().map(|(name, expr, _)| format!("P(\"{name}\", {expr});\n")).collect();
        let got = c_probe(tag, includes, &body);
        for (name, expr, ours) in items {
            assert_eq!(got[*name], *ours as i128, "{name} ({expr}): the header says {}, we say {ours}", got[*name]);
        }
    }

    const KERNEL_HEADERS: [&str; 4] = ["asm/signal.h", "asm/siginfo.h", "asm/sigcontext.h", "asm/ucontext.h"];

    #[test]
    fn siginfo_matches_the_kernel_headers() {
        use si_offset::*;
        let s = "siginfo_t";
        let items: Vec<(String, String, usize)> = [
            ("sizeof", format!("sizeof({s})"), size_of::<Siginfo>()),
            ("alignof", format!("_Alignof({s})"), align_of::<Siginfo>()),
            ("si_signo", format!("offsetof({s}, si_signo)"), offset_of!(Siginfo, si_signo)),
            ("si_errno", format!("offsetof({s}, si_errno)"), offset_of!(Siginfo, si_errno)),
            ("si_code", format!("offsetof({s}, si_code)"), offset_of!(Siginfo, si_code)),
            ("union", format!("offsetof({s}, _sifields)"), UNION),
            ("si_pid", format!("offsetof({s}, si_pid)"), PID),
            ("si_uid", format!("offsetof({s}, si_uid)"), UID),
            ("si_tid", format!("offsetof({s}, si_tid)"), TIMER_ID),
            ("si_overrun", format!("offsetof({s}, si_overrun)"), OVERRUN),
            ("si_value", format!("offsetof({s}, si_value)"), VALUE),
            ("si_sys_private", format!("offsetof({s}, si_sys_private)"), SYS_PRIVATE),
            ("si_status", format!("offsetof({s}, si_status)"), STATUS),
            ("si_utime", format!("offsetof({s}, si_utime)"), UTIME),
            ("si_stime", format!("offsetof({s}, si_stime)"), STIME),
            ("si_addr", format!("offsetof({s}, si_addr)"), ADDR),
            ("si_addr_lsb", format!("offsetof({s}, si_addr_lsb)"), ADDR_LSB),
            ("si_lower", format!("offsetof({s}, si_lower)"), LOWER),
            ("si_upper", format!("offsetof({s}, si_upper)"), UPPER),
            ("si_pkey", format!("offsetof({s}, si_pkey)"), PKEY),
            ("si_band", format!("offsetof({s}, si_band)"), BAND),
            ("si_fd", format!("offsetof({s}, si_fd)"), FD),
            ("si_call_addr", format!("offsetof({s}, si_call_addr)"), CALL_ADDR),
            ("si_syscall", format!("offsetof({s}, si_syscall)"), SYSCALL),
            ("si_arch", format!("offsetof({s}, si_arch)"), ARCH),
        ]
        .into_iter()
        .map(|(n, e, v)| (n.to_string(), e, v))
        .collect();
        let items: Vec<(&str, &str, usize)> = items.iter().map(|(n, e, v)| (n.as_str(), e.as_str(), *v)).collect();
        compare("siginfo", &KERNEL_HEADERS, &items);
        assert_eq!(size_of::<Siginfo>(), SIGINFO_SIZE);
    }

    #[test]
    fn frame_structures_match_the_kernel_headers() {
        macro_rules! fields {
            ($rust:ty, $c:literal: $($f:ident),+) => {
                vec![
                    (concat!($c, " size"), concat!("sizeof(", $c, ")"), size_of::<$rust>()),
                    $((concat!($c, ".", stringify!($f)), concat!("offsetof(", $c, ", ", stringify!($f), ")"),
                       offset_of!($rust, $f)),)+
                ]
            };
        }
        let mut items = fields!(SigContext, "struct sigcontext":
            r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags,
            cs, gs, fs, ss, err, trapno, oldmask, cr2, fpstate, reserved1);
        items.extend(fields!(UContext, "struct ucontext": uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask));
        items.extend(fields!(SignalStack, "stack_t": ss_sp, ss_flags, ss_size));
        items.extend(fields!(FpState64, "struct _fpstate_64":
            cwd, swd, twd, fop, rip, rdp, mxcsr, mxcsr_mask, st_space, xmm_space, reserved2, sw_reserved));
        items.extend(fields!(FpxSwBytes, "struct _fpx_sw_bytes":
            magic1, extended_size, xfeatures, xstate_size, padding));
        items.extend(fields!(XStateHeader, "struct _header": xfeatures));
        items.push(("_xstate.xstate_hdr", "offsetof(struct _xstate, xstate_hdr)", XSAVE_HEADER_OFFSET));
        items.push(("magic2 size", "FP_XSTATE_MAGIC2_SIZE", FP_XSTATE_MAGIC2_SIZE));
        compare("frame", &KERNEL_HEADERS, &items);

        // Linux's own definitions, which no uapi header carries.
        assert_eq!(size_of::<SigContext>(), 256);
        assert_eq!(size_of::<UContext>(), 304);
        assert_eq!(size_of::<FpState64>(), FXSAVE_SIZE);
        assert_eq!(offset_of!(FpState64, sw_reserved), 464);
        assert_eq!(size_of::<FpxSwBytes>(), 48);
        assert_eq!(size_of::<XStateHeader>(), 64);
        assert_eq!(RT_SIGFRAME_SIZE, 440);
        assert_eq!(offset_of!(RtSigframe, pretcode), 0);
        assert_eq!(offset_of!(RtSigframe, uc), 8);
        assert_eq!(offset_of!(RtSigframe, info), 312);
    }

    /// The libc's view of the same frame: a handler reads
    /// uc->uc_mcontext.gregs[REG_RIP] and friends, which must land on our
    /// sigcontext fields.
    #[test]
    fn glibc_ucontext_agrees_with_the_kernel_frame() {
        let mc = offset_of!(UContext, uc_mcontext);
        let regs = [
            ("REG_R8", offset_of!(SigContext, r8)),
            ("REG_R15", offset_of!(SigContext, r15)),
            ("REG_RDI", offset_of!(SigContext, rdi)),
            ("REG_RSI", offset_of!(SigContext, rsi)),
            ("REG_RBP", offset_of!(SigContext, rbp)),
            ("REG_RBX", offset_of!(SigContext, rbx)),
            ("REG_RDX", offset_of!(SigContext, rdx)),
            ("REG_RAX", offset_of!(SigContext, rax)),
            ("REG_RCX", offset_of!(SigContext, rcx)),
            ("REG_RSP", offset_of!(SigContext, rsp)),
            ("REG_RIP", offset_of!(SigContext, rip)),
            ("REG_EFL", offset_of!(SigContext, eflags)),
            ("REG_CSGSFS", offset_of!(SigContext, cs)),
            ("REG_ERR", offset_of!(SigContext, err)),
            ("REG_TRAPNO", offset_of!(SigContext, trapno)),
            ("REG_OLDMASK", offset_of!(SigContext, oldmask)),
            ("REG_CR2", offset_of!(SigContext, cr2)),
        ];
        let exprs: Vec<(String, String, usize)> = regs
            .iter()
            .map(|(r, o)| (r.to_string(), format!("offsetof(ucontext_t, uc_mcontext.gregs[{r}])"), mc + o))
            .collect();
        let mut items: Vec<(&str, &str, usize)> = exprs.iter().map(|(n, e, v)| (n.as_str(), e.as_str(), *v)).collect();
        items.extend([
            ("fpregs", "offsetof(ucontext_t, uc_mcontext.fpregs)", mc + offset_of!(SigContext, fpstate)),
            ("mcontext", "offsetof(ucontext_t, uc_mcontext)", mc),
            ("uc_stack", "offsetof(ucontext_t, uc_stack)", offset_of!(UContext, uc_stack)),
            ("uc_sigmask", "offsetof(ucontext_t, uc_sigmask)", offset_of!(UContext, uc_sigmask)),
            ("fpstate size", "sizeof(struct _libc_fpstate)", size_of::<FpState64>()),
            ("mxcsr", "offsetof(struct _libc_fpstate, mxcsr)", offset_of!(FpState64, mxcsr)),
            ("xmm", "offsetof(struct _libc_fpstate, _xmm)", offset_of!(FpState64, xmm_space)),
            ("libc siginfo", "sizeof(siginfo_t)", SIGINFO_SIZE),
            ("libc si_addr", "offsetof(siginfo_t, si_addr)", si_offset::ADDR),
            ("libc si_value", "offsetof(siginfo_t, si_value)", si_offset::VALUE),
            ("libc si_status", "offsetof(siginfo_t, si_status)", si_offset::STATUS),
        ]);
        compare("glibc", &["signal.h", "sys/ucontext.h"], &items);
    }

    #[test]
    fn constants_match_the_headers() {
        let defs = defines(&[
            "/usr/include/asm-generic/siginfo.h",
            "/usr/include/x86_64-linux-gnu/asm/sigcontext.h",
            "/usr/include/x86_64-linux-gnu/asm/ucontext.h",
        ]);
        let items = [
            ("SI_USER", SI_USER),
            ("SI_KERNEL", SI_KERNEL),
            ("SI_QUEUE", SI_QUEUE),
            ("SI_TIMER", SI_TIMER),
            ("SI_MESGQ", SI_MESGQ),
            ("SI_ASYNCIO", SI_ASYNCIO),
            ("SI_SIGIO", SI_SIGIO),
            ("SI_TKILL", SI_TKILL),
            ("SI_DETHREAD", SI_DETHREAD),
            ("ILL_ILLOPC", ILL_ILLOPC),
            ("ILL_ILLOPN", ILL_ILLOPN),
            ("ILL_ILLADR", ILL_ILLADR),
            ("ILL_ILLTRP", ILL_ILLTRP),
            ("ILL_PRVOPC", ILL_PRVOPC),
            ("ILL_PRVREG", ILL_PRVREG),
            ("ILL_COPROC", ILL_COPROC),
            ("ILL_BADSTK", ILL_BADSTK),
            ("FPE_INTDIV", FPE_INTDIV),
            ("FPE_INTOVF", FPE_INTOVF),
            ("FPE_FLTDIV", FPE_FLTDIV),
            ("FPE_FLTOVF", FPE_FLTOVF),
            ("FPE_FLTUND", FPE_FLTUND),
            ("FPE_FLTRES", FPE_FLTRES),
            ("FPE_FLTINV", FPE_FLTINV),
            ("FPE_FLTSUB", FPE_FLTSUB),
            ("SEGV_MAPERR", SEGV_MAPERR),
            ("SEGV_ACCERR", SEGV_ACCERR),
            ("SEGV_BNDERR", SEGV_BNDERR),
            ("BUS_ADRALN", BUS_ADRALN),
            ("BUS_ADRERR", BUS_ADRERR),
            ("BUS_OBJERR", BUS_OBJERR),
            ("TRAP_BRKPT", TRAP_BRKPT),
            ("TRAP_TRACE", TRAP_TRACE),
            ("CLD_EXITED", CLD_EXITED),
            ("CLD_KILLED", CLD_KILLED),
            ("CLD_DUMPED", CLD_DUMPED),
            ("CLD_TRAPPED", CLD_TRAPPED),
            ("CLD_STOPPED", CLD_STOPPED),
            ("CLD_CONTINUED", CLD_CONTINUED),
            ("POLL_IN", POLL_IN),
            ("POLL_OUT", POLL_OUT),
            ("POLL_MSG", POLL_MSG),
            ("POLL_ERR", POLL_ERR),
            ("POLL_PRI", POLL_PRI),
            ("POLL_HUP", POLL_HUP),
            ("SI_MAX_SIZE", SIGINFO_SIZE as i32),
        ];
        for (name, value) in items {
            assert_same(&defs, name, value as i128);
        }
        // SEGV_PKUERR sits behind an #ifdef in the header.
        assert_eq!(SEGV_PKUERR, 4);
        for (name, value) in [
            ("FP_XSTATE_MAGIC1", FP_XSTATE_MAGIC1 as u64),
            ("FP_XSTATE_MAGIC2", FP_XSTATE_MAGIC2 as u64),
            ("UC_FP_XSTATE", UC_FP_XSTATE),
            ("UC_SIGCONTEXT_SS", UC_SIGCONTEXT_SS),
            ("UC_STRICT_RESTORE_SS", UC_STRICT_RESTORE_SS),
        ] {
            assert_same(&defs, name, value as i128);
        }
        assert_eq!(&FP_XSTATE_MAGIC1.to_le_bytes(), b"SXPF");
        assert_eq!(&FP_XSTATE_MAGIC2.to_le_bytes(), b"EXPF");
    }

    #[test]
    fn siginfo_constructors_put_each_member_where_linux_has_it() {
        fn at32(b: &[u8; 128], at: usize) -> u32 {
            u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
        }
        fn at64(b: &[u8; 128], at: usize) -> u64 {
            u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
        }
        fn head(b: &[u8; 128]) -> (u32, u32, i32) {
            (at32(b, 0), at32(b, 4), at32(b, 8) as i32)
        }

        let kill = Siginfo::user(SIGTERM, 42, 1000).to_bytes();
        assert_eq!(head(&kill), (15, 0, SI_USER));
        assert_eq!((at32(&kill, 16), at32(&kill, 20)), (42, 1000));
        assert!(kill[24..].iter().all(|&b| b == 0));

        let tkill = Siginfo::tkill(SIGUSR1, 7, 0);
        assert_eq!((tkill.si_code, tkill.pid(), tkill.uid()), (-6, 7, 0));
        assert!(tkill.from_user());

        let q = Siginfo::queue(SIGRTMIN + 1, 9, 5, 0x1234_5678_9abc).to_bytes();
        assert_eq!(head(&q), (33, 0, SI_QUEUE));
        assert_eq!((at32(&q, 16), at32(&q, 20), at64(&q, 24)), (9, 5, 0x1234_5678_9abc));

        let alarm = Siginfo::kernel(SIGALRM);
        assert_eq!((alarm.si_code, alarm.pid(), alarm.uid()), (0x80, 0, 0));
        assert!(!alarm.from_user());
        assert!(alarm.to_bytes()[16..].iter().all(|&b| b == 0));

        let t = Siginfo::timer(SIGALRM, 3, 2, 77).to_bytes();
        assert_eq!(head(&t), (14, 0, SI_TIMER));
        assert_eq!((at32(&t, 16), at32(&t, 20), at64(&t, 24)), (3, 2, 77));

        let segv = Siginfo::fault(SIGSEGV, SEGV_MAPERR, 0xdead_0000_0000).to_bytes();
        assert_eq!(head(&segv), (11, 0, 1));
        assert_eq!(at64(&segv, 16), 0xdead_0000_0000);
        let acc = Siginfo::fault(SIGSEGV, SEGV_ACCERR, 0x40_1000);
        assert_eq!((acc.si_code, acc.addr()), (2, 0x40_1000));
        for (sig, code) in [(SIGBUS, BUS_ADRERR), (SIGFPE, FPE_INTDIV), (SIGILL, ILL_ILLOPN)] {
            let f = Siginfo::fault(sig, code, 0x40_2000);
            assert_eq!((f.si_signo, f.si_code, f.addr()), (sig, code, 0x40_2000));
        }

        let cases = [
            (ChildEvent::Exited(3), CLD_EXITED, 3),
            (ChildEvent::Exited(256 + 7), CLD_EXITED, 7),
            (ChildEvent::Killed(SIGKILL), CLD_KILLED, 9),
            (ChildEvent::Dumped(SIGSEGV), CLD_DUMPED, 11),
            (ChildEvent::Stopped(SIGSTOP), CLD_STOPPED, 19),
            (ChildEvent::Continued, CLD_CONTINUED, SIGCONT),
        ];
        for (event, code, status) in cases {
            let c = Siginfo::child(event, 1234, 0, 5, 6).to_bytes();
            assert_eq!(head(&c), (17, 0, code), "{event:?}");
            assert_eq!((at32(&c, 16), at32(&c, 20), at32(&c, 24) as i32), (1234, 0, status), "{event:?}");
            assert_eq!((at64(&c, 32), at64(&c, 40)), (5, 6));
        }

        let p = Siginfo::poll(SIGIO, POLL_IN, 0x41, 3);
        assert_eq!((p.band(), p.fd()), (0x41, 3));
    }

    #[test]
    fn siginfo_round_trips_through_user_bytes() {
        let info = Siginfo::child(ChildEvent::Dumped(SIGABRT), -1, u32::MAX, -2, i64::MIN);
        let back = Siginfo::from_bytes(&info.to_bytes());
        assert_eq!(back, info);
        assert_eq!(
            (back.pid(), back.uid(), back.status(), back.utime(), back.stime()),
            (-1, u32::MAX, 6, -2, i64::MIN)
        );
        let mut raw = [0xa5; 128];
        raw[8..12].copy_from_slice(&(-1i32).to_le_bytes());
        let from_user = Siginfo::from_bytes(&raw);
        assert_eq!(from_user.to_bytes(), raw);
        assert_eq!(from_user.si_code, SI_QUEUE);
        assert_eq!(from_user.value(), 0xa5a5_a5a5_a5a5_a5a5);
    }

    /// std's ExitStatus decodes a raw status with the libc's W* macros:
    /// our encoding must mean to them what it means to us.
    #[test]
    fn wait_statuses_mean_what_the_libc_macros_say() {
        for code in [0, 1, 42, 255] {
            let st = ExitStatus::from_raw(wait_status::exited(code));
            assert_eq!((st.code(), st.signal(), st.stopped_signal(), st.continued()), (Some(code), None, None, false));
        }
        assert_eq!(wait_status::exited(256 + 3), wait_status::exited(3), "only the low 8 bits survive");
        for sig in [SIGHUP, SIGKILL, SIGSEGV, SIGTERM, SIGRTMIN, SIGRTMAX] {
            for core in [false, true] {
                let st = ExitStatus::from_raw(wait_status::signaled(sig, core));
                assert_eq!((st.code(), st.signal(), st.core_dumped()), (None, Some(sig), core), "{sig} {core}");
                assert!(!st.continued() && st.stopped_signal().is_none());
            }
        }
        for sig in [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU] {
            let st = ExitStatus::from_raw(wait_status::stopped(sig));
            assert_eq!((st.code(), st.signal(), st.stopped_signal()), (None, None, Some(sig)));
        }
        let st = ExitStatus::from_raw(wait_status::CONTINUED);
        assert!(st.continued());
        assert_eq!((st.code(), st.signal(), st.stopped_signal()), (None, None, None));
    }

    #[test]
    fn wait_status_decoders_invert_the_encoders() {
        let events = [
            ChildEvent::Exited(0),
            ChildEvent::Exited(255),
            ChildEvent::Killed(SIGTERM),
            ChildEvent::Killed(SIGRTMAX),
            ChildEvent::Dumped(SIGQUIT),
            ChildEvent::Stopped(SIGTSTP),
            ChildEvent::Continued,
        ];
        for event in events {
            let status = event.wait_status();
            assert_eq!(ChildEvent::from_wait_status(status), Some(event), "{status:#x}");
            let st = ExitStatus::from_raw(status);
            assert_eq!(wait_status::if_exited(status), st.code().is_some(), "{status:#x}");
            assert_eq!(wait_status::if_signaled(status), st.signal().is_some(), "{status:#x}");
            assert_eq!(wait_status::if_stopped(status), st.stopped_signal().is_some(), "{status:#x}");
            assert_eq!(wait_status::if_continued(status), st.continued(), "{status:#x}");
        }
        assert_eq!(wait_status::exited(0), 0);
        assert_eq!(wait_status::signaled(SIGSEGV, true), 0x8b);
        assert_eq!(wait_status::stopped(SIGSTOP), 0x137f);
        assert_eq!(ChildEvent::from_wait_status(0x7f), None);
    }

    #[test]
    fn default_actions_follow_signal_7() {
        use DefaultAction::*;
        let table = [
            (SIGHUP, Terminate),
            (SIGINT, Terminate),
            (SIGQUIT, Core),
            (SIGILL, Core),
            (SIGTRAP, Core),
            (SIGABRT, Core),
            (SIGBUS, Core),
            (SIGFPE, Core),
            (SIGKILL, Terminate),
            (SIGUSR1, Terminate),
            (SIGSEGV, Core),
            (SIGUSR2, Terminate),
            (SIGPIPE, Terminate),
            (SIGALRM, Terminate),
            (SIGTERM, Terminate),
            (SIGSTKFLT, Terminate),
            (SIGCHLD, Ignore),
            (SIGCONT, Continue),
            (SIGSTOP, Stop),
            (SIGTSTP, Stop),
            (SIGTTIN, Stop),
            (SIGTTOU, Stop),
            (SIGURG, Ignore),
            (SIGXCPU, Core),
            (SIGXFSZ, Core),
            (SIGVTALRM, Terminate),
            (SIGPROF, Terminate),
            (SIGWINCH, Ignore),
            (SIGIO, Terminate),
            (SIGPWR, Terminate),
            (SIGSYS, Core),
        ];
        assert_eq!(table.len(), 31);
        for (sig, action) in table {
            assert_eq!(default_action(sig), Some(action), "signal {sig}");
        }
        for sig in SIGRTMIN..=SIGRTMAX {
            assert_eq!(default_action(sig), Some(Terminate), "signal {sig}");
        }
        assert_eq!(default_action(0), None);
        assert_eq!(default_action(65), None);
        assert_eq!(default_action(-1), None);
    }

    #[test]
    fn interrupted_syscalls_restart_as_linux_decides() {
        let eintr = -4;
        let with_restart = Some(SA_RESTART | SA_SIGINFO);
        let without = Some(SA_SIGINFO);
        assert_eq!(restart_after_signal(-ERESTARTSYS, with_restart), Restart::Again);
        assert_eq!(restart_after_signal(-ERESTARTSYS, without), Restart::Eintr);
        assert_eq!(restart_after_signal(-ERESTARTSYS, None), Restart::Again);
        assert_eq!(restart_after_signal(-ERESTARTNOINTR, without), Restart::Again);
        assert_eq!(restart_after_signal(-ERESTARTNOHAND, with_restart), Restart::Eintr);
        assert_eq!(restart_after_signal(-ERESTARTNOHAND, None), Restart::Again);
        assert_eq!(restart_after_signal(-ERESTART_RESTARTBLOCK, with_restart), Restart::Eintr);
        assert_eq!(restart_after_signal(-ERESTART_RESTARTBLOCK, None), Restart::RestartSyscall);
        for ret in [0, 17, eintr, -11] {
            assert_eq!(restart_after_signal(ret, with_restart), Restart::Keep);
            assert_eq!(restart_after_signal(ret, None), Restart::Keep);
        }
    }

    #[test]
    fn a_frame_from_a_garbage_rsp_wraps_instead_of_overflowing() {
        // Found by fuzz/fuzz_targets/signal_frame.rs: rsp 0x440 puts the
        // frame near 2^64, and the handler's rsi and rdx overflowed.
        let layout = frame_layout(0x440, 0, &SignalStack::DISABLED, fpstate_sigframe_size(None));
        assert!(layout.frame_addr > u64::MAX - RT_SIGFRAME_SIZE as u64);
        assert_eq!(layout.siginfo_addr(), layout.frame_addr.wrapping_add(offset_of!(RtSigframe, info) as u64));
        assert_eq!(layout.ucontext_addr(), layout.frame_addr.wrapping_add(offset_of!(RtSigframe, uc) as u64));
    }

    #[test]
    fn results_at_the_ends_of_the_range_are_kept() {
        // Found by fuzz/fuzz_targets/signal_frame.rs: -i64::MIN overflowed.
        for ret in [i64::MIN, i64::MIN + 1, i64::MAX] {
            assert_eq!(restart_after_signal(ret, Some(SA_RESTART)), Restart::Keep);
            assert_eq!(restart_after_signal(ret, None), Restart::Keep);
        }
    }

    #[test]
    fn fpu_software_bytes() {
        // A typical AVX machine: XSAVE data of 832 bytes (x87, SSE, AVX).
        let sw = FpxSwBytes::xsave(832, 0b111);
        assert_eq!((sw.magic1, sw.extended_size, sw.xstate_size), (FP_XSTATE_MAGIC1, 836, 832));
        assert_eq!(sw.magic2_offset(), Some(832));
        assert_eq!(FpxSwBytes::LEGACY.magic2_offset(), None);
        assert_eq!(fpstate_sigframe_size(Some(832)), 836);
        assert_eq!(fpstate_sigframe_size(None), 512);
        assert_eq!((FpState64::INIT.cwd, FpState64::INIT.mxcsr), (0x37f, 0x1f80));
        assert_eq!(uc_flags(true), 7);
        assert_eq!(uc_flags(false), 6);
    }

    #[test]
    fn sigreturn_keeps_privileged_flags() {
        // IF (0x200) and IOPL (0x3000) stay the kernel's; DF, TF, CF, AC
        // come from the frame.
        let current = 0x202;
        let saved = 0x3000 | 0x400 | 0x100 | 0x1 | 0x4_0000;
        assert_eq!(sigreturn_rflags(current, saved), 0x202 | 0x400 | 0x100 | 0x1 | 0x4_0000);
        assert_eq!(sigreturn_rflags(current, 0), 0x202);
        assert_eq!(SIGRETURN_RFLAGS, 0x50dd5);
        assert_eq!(sigreturn_selector(0x20), 0x23);
        assert_eq!(sigreturn_frame_addr(0x7fff_1000), 0x7fff_0ff8);
    }

    const NO_ALTSTACK: SignalStack = SignalStack::DISABLED;
    const FP: usize = 836;

    fn altstack(sp: u64, size: u64) -> SignalStack {
        SignalStack { ss_sp: sp, ss_flags: 0, _pad: 0, ss_size: size }
    }

    /// The invariants of every frame: alignment as after a `call`, the
    /// FPU area 64-aligned above the frame, nothing overlapping.
    fn check_shape(l: &FrameLayout, top: u64, fp: usize) {
        assert_eq!(l.new_sp, l.frame_addr);
        assert_eq!((l.new_sp + 8) % 16, 0, "{l:x?}");
        assert_eq!(l.fpstate_addr % 64, 0, "{l:x?}");
        assert!(l.fpstate_addr + fp as u64 <= top, "{l:x?} top {top:#x}");
        assert!(l.fpstate_addr + fp as u64 > top - 64, "no more than the alignment is wasted: {l:x?}");
        assert!(l.frame_addr + RT_SIGFRAME_SIZE as u64 <= l.fpstate_addr, "{l:x?}");
        assert!(l.frame_addr + RT_SIGFRAME_SIZE as u64 + 24 > l.fpstate_addr, "{l:x?}");
        assert_eq!(l.siginfo_addr(), l.frame_addr + 312);
        assert_eq!(l.ucontext_addr(), l.frame_addr + 8);
    }

    #[test]
    fn frames_on_the_same_stack_skip_the_red_zone() {
        for sp in (0x7fff_f000u64..0x7fff_f040).chain([0x7fff_ffff_e008, 0x7fff_ffff_e00f]) {
            for fp in [512, 836, 2696] {
                let l = frame_layout(sp, 0, &NO_ALTSTACK, fp);
                check_shape(&l, sp - RED_ZONE, fp);
                assert!(!l.overflows_altstack);
            }
        }
        // One worked example: 0x7fff_e000 - 128 - 836 = 0x7fff_dc3c, down to
        // 64: 0x7fff_dc00; minus 440 = 0x7fff_da48, down to 16 and 8 less.
        let l = frame_layout(0x7fff_e000, SA_SIGINFO, &NO_ALTSTACK, FP);
        assert_eq!((l.fpstate_addr, l.frame_addr), (0x7fff_dc00, 0x7fff_da38));
    }

    #[test]
    fn sa_onstack_switches_to_the_top_of_the_altstack() {
        let alt = altstack(0x10_0000, 0x4000);
        let l = frame_layout(0x7fff_e000, SA_ONSTACK, &alt, FP);
        check_shape(&l, 0x10_4000, FP);
        assert!(alt.contains(l.frame_addr) && !l.overflows_altstack);

        // Without SA_ONSTACK the alternate stack is not used.
        let l = frame_layout(0x7fff_e000, SA_SIGINFO, &alt, FP);
        check_shape(&l, 0x7fff_e000 - RED_ZONE, FP);

        // SA_ONSTACK without an alternate stack: the normal stack.
        let l = frame_layout(0x7fff_e000, SA_ONSTACK, &NO_ALTSTACK, FP);
        check_shape(&l, 0x7fff_e000 - RED_ZONE, FP);
    }

    #[test]
    fn a_nested_signal_stays_below_the_current_altstack_frame() {
        let alt = altstack(0x10_0000, 0x4000);
        let inner_sp = 0x10_3000;
        let l = frame_layout(inner_sp, SA_ONSTACK, &alt, FP);
        check_shape(&l, inner_sp - RED_ZONE, FP);
        assert!(!l.overflows_altstack);

        // Too close to the bottom: no room for another frame.
        let l = frame_layout(0x10_0400, SA_ONSTACK, &alt, FP);
        assert!(l.overflows_altstack, "{l:x?}");
        // A nested signal without SA_ONSTACK still may not run off it.
        let l = frame_layout(0x10_0400, 0, &alt, FP);
        assert!(l.overflows_altstack, "{l:x?}");
    }

    #[test]
    fn a_too_small_altstack_overflows() {
        let alt = altstack(0x10_0000, MINSIGSTKSZ);
        // 2048 bytes hold the 440-byte frame and a 512-byte FXSAVE area...
        assert!(!frame_layout(0x7fff_e000, SA_ONSTACK, &alt, 512).overflows_altstack);
        // ...but not an AVX-512 XSAVE area (2696 bytes + magic).
        assert!(frame_layout(0x7fff_e000, SA_ONSTACK, &alt, 2700).overflows_altstack);
    }

    #[test]
    fn autodisarm_restarts_at_the_top_even_when_on_the_altstack() {
        let mut alt = altstack(0x10_0000, 0x4000);
        alt.ss_flags = SS_AUTODISARM;
        let l = frame_layout(0x10_3000, SA_ONSTACK, &alt, FP);
        check_shape(&l, 0x10_4000, FP);
        assert!(!l.overflows_altstack);
    }

    #[test]
    fn the_frame_records_the_altstack_flags_linux_would() {
        let alt = altstack(0x10_0000, 0x4000);
        assert_eq!(alt.saved_in_frame(), alt);
        // Never registered: Linux's handlers see flags 0 there, not SS_DISABLE.
        assert_eq!(NO_ALTSTACK.saved_in_frame().ss_flags, 0);
        assert_eq!(alt.sas_ss_flags(0x10_3000), SS_ONSTACK);
    }
}
