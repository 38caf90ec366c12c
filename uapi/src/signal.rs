//! Signal numbers and the signal structures of x86-64 Linux
//! (asm/signal.h, asm-generic/signal-defs.h).

/// Signals are `int` in Linux system calls.
pub type Signal = i32;

pub const SIGHUP: Signal = 1;
pub const SIGINT: Signal = 2;
pub const SIGQUIT: Signal = 3;
pub const SIGILL: Signal = 4;
pub const SIGTRAP: Signal = 5;
pub const SIGABRT: Signal = 6;
pub const SIGIOT: Signal = SIGABRT;
pub const SIGBUS: Signal = 7;
pub const SIGFPE: Signal = 8;
pub const SIGKILL: Signal = 9;
pub const SIGUSR1: Signal = 10;
pub const SIGSEGV: Signal = 11;
pub const SIGUSR2: Signal = 12;
pub const SIGPIPE: Signal = 13;
pub const SIGALRM: Signal = 14;
pub const SIGTERM: Signal = 15;
pub const SIGSTKFLT: Signal = 16;
pub const SIGCHLD: Signal = 17;
pub const SIGCONT: Signal = 18;
pub const SIGSTOP: Signal = 19;
pub const SIGTSTP: Signal = 20;
pub const SIGTTIN: Signal = 21;
pub const SIGTTOU: Signal = 22;
pub const SIGURG: Signal = 23;
pub const SIGXCPU: Signal = 24;
pub const SIGXFSZ: Signal = 25;
pub const SIGVTALRM: Signal = 26;
pub const SIGPROF: Signal = 27;
pub const SIGWINCH: Signal = 28;
pub const SIGIO: Signal = 29;
pub const SIGPOLL: Signal = SIGIO;
pub const SIGPWR: Signal = 30;
pub const SIGSYS: Signal = 31;
/// The first real-time signal the kernel knows; libcs reserve 32..34 for
/// themselves and move their SIGRTMIN up.
pub const SIGRTMIN: Signal = 32;
pub const SIGRTMAX: Signal = 64;
/// Signals are numbered 1..=NSIG (Linux's `_NSIG`).
pub const NSIG: Signal = 64;

/// Names by number, index 0 unused. Real-time signals are spelled as strace
/// does: SIGRTMIN, then SIGRT_1..SIGRT_32.
const NAMES: [&str; NSIG as usize + 1] = [
    "",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
    "SIGRTMIN",
    "SIGRT_1",
    "SIGRT_2",
    "SIGRT_3",
    "SIGRT_4",
    "SIGRT_5",
    "SIGRT_6",
    "SIGRT_7",
    "SIGRT_8",
    "SIGRT_9",
    "SIGRT_10",
    "SIGRT_11",
    "SIGRT_12",
    "SIGRT_13",
    "SIGRT_14",
    "SIGRT_15",
    "SIGRT_16",
    "SIGRT_17",
    "SIGRT_18",
    "SIGRT_19",
    "SIGRT_20",
    "SIGRT_21",
    "SIGRT_22",
    "SIGRT_23",
    "SIGRT_24",
    "SIGRT_25",
    "SIGRT_26",
    "SIGRT_27",
    "SIGRT_28",
    "SIGRT_29",
    "SIGRT_30",
    "SIGRT_31",
    "SIGRT_32",
];

/// `"SIGSEGV"` for 11; None outside 1..=64.
pub const fn signal_name(sig: Signal) -> Option<&'static str> {
    if sig >= 1 && sig <= NSIG { Some(NAMES[sig as usize]) } else { None }
}

/// A signal set as rt_sigprocmask and rt_sigaction pass it: bit `sig - 1`.
pub type SigSet = u64;

/// The bit of `sig` in a [`SigSet`]; 0 for numbers outside 1..=64.
pub const fn sig_bit(sig: Signal) -> SigSet {
    if sig >= 1 && sig <= NSIG { 1 << (sig - 1) } else { 0 }
}

/// Signals that can be neither caught, blocked nor ignored.
pub const UNBLOCKABLE: SigSet = sig_bit(SIGKILL) | sig_bit(SIGSTOP);

/// `sig` is in `set` (false for numbers outside 1..=64).
pub const fn sig_in(set: SigSet, sig: Signal) -> bool {
    set & sig_bit(sig) != 0
}

/// A mask as rt_sigprocmask, rt_sigaction and sigsuspend store it: Linux
/// silently drops SIGKILL and SIGSTOP rather than failing.
pub const fn blockable(set: SigSet) -> SigSet {
    set & !UNBLOCKABLE
}

/// Signals a fault raises in the faulting thread. Linux dequeues them
/// before any other pending signal, so a handler for SIGSEGV runs before,
/// say, a SIGUSR1 that was already pending with a lower number.
pub const SYNCHRONOUS: SigSet =
    sig_bit(SIGSEGV) | sig_bit(SIGBUS) | sig_bit(SIGILL) | sig_bit(SIGTRAP) | sig_bit(SIGFPE) | sig_bit(SIGSYS);

/// Signals whose default action stops the process.
pub const STOP_SIGNALS: SigSet = sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) | sig_bit(SIGTTOU);

/// The signal Linux's next_signal() delivers next from `pending` with
/// `blocked` masked: a pending synchronous signal first, else the lowest
/// number (so standard signals come in number order, then real-time ones).
pub const fn next_signal(pending: SigSet, blocked: SigSet) -> Option<Signal> {
    let mut ready = pending & !blocked;
    if ready == 0 {
        return None;
    }
    if ready & SYNCHRONOUS != 0 {
        ready &= SYNCHRONOUS;
    }
    Some(ready.trailing_zeros() as Signal + 1)
}

// rt_sigprocmask `how`.
pub const SIG_BLOCK: i32 = 0;
pub const SIG_UNBLOCK: i32 = 1;
pub const SIG_SETMASK: i32 = 2;

// Handler values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

// sa_flags.
pub const SA_NOCLDSTOP: u64 = 0x0000_0001;
pub const SA_NOCLDWAIT: u64 = 0x0000_0002;
pub const SA_SIGINFO: u64 = 0x0000_0004;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// Never supported: programs set it to learn whether the kernel clears
/// unknown flags (Linux 5.11+ does, see [`UAPI_SA_FLAGS`]).
pub const SA_UNSUPPORTED: u64 = 0x0000_0400;
pub const SA_EXPOSE_TAGBITS: u64 = 0x0000_0800;
/// The flags x86-64 rt_sigaction keeps; the others are cleared from the
/// stored action, so reading it back shows which ones the kernel knows.
pub const UAPI_SA_FLAGS: u64 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | SA_EXPOSE_TAGBITS
    | SA_RESTORER;

/// The `struct sigaction` rt_sigaction reads and writes on x86-64 (the
/// kernel's layout, which differs from glibc's: the mask comes last and is
/// `sigsetsize` = 8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct KernelSigaction {
    /// SIG_DFL, SIG_IGN or the handler's address.
    pub handler: u64,
    pub flags: u64,
    /// Where the handler returns to (x86-64 libcs always pass SA_RESTORER).
    pub restorer: u64,
    pub mask: SigSet,
}

// sigaltstack ss_flags.
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
/// Disarm the alternate stack while a handler runs on it (re-armed by
/// rt_sigreturn from uc_stack), so a handler may swapcontext away safely.
pub const SS_AUTODISARM: i32 = 1 << 31;
/// The flag bits beside the mode (SS_ONSTACK/SS_DISABLE/0).
pub const SS_FLAG_BITS: i32 = SS_AUTODISARM;
/// Linux rejects smaller alternate stacks with ENOMEM.
pub const MINSIGSTKSZ: u64 = 2048;
pub const SIGSTKSZ: u64 = 8192;

/// `stack_t` of sigaltstack, and the thread's registered alternate stack
/// (Linux's sas_ss_sp, sas_ss_flags, sas_ss_size) held in the same shape:
/// `ss_flags` then keeps the flags as sigaltstack was given them.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct SignalStack {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub _pad: i32,
    pub ss_size: u64,
}

impl SignalStack {
    /// What a new process has: nothing registered (all zero; queries
    /// still report SS_DISABLE because the size is 0).
    pub const DISABLED: SignalStack = SignalStack { ss_sp: 0, ss_flags: 0, _pad: 0, ss_size: 0 };

    /// The address just above the stack, where frames start.
    pub const fn top(&self) -> u64 {
        self.ss_sp.wrapping_add(self.ss_size)
    }

    /// `sp` points into the stack (Linux's __on_sig_stack: the top itself
    /// counts, since a push there writes below it; the bottom does not).
    pub const fn contains(&self, sp: u64) -> bool {
        sp > self.ss_sp && sp - self.ss_sp <= self.ss_size
    }

    /// The thread runs on the stack (on_sig_stack): with SS_AUTODISARM it
    /// never counts as on it, so each signal starts at the top again.
    pub const fn is_on(&self, sp: u64) -> bool {
        self.ss_flags & SS_AUTODISARM == 0 && self.contains(sp)
    }

    /// Linux's sas_ss_flags(sp): SS_DISABLE when none is registered,
    /// SS_ONSTACK while running on it, else 0.
    pub const fn sas_ss_flags(&self, sp: u64) -> i32 {
        if self.ss_size == 0 {
            SS_DISABLE
        } else if self.is_on(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }

    /// What sigaltstack reports as the old stack when the thread's rsp is
    /// `sp`: the mode computed now, plus the SS_AUTODISARM flag if set.
    pub const fn reported(&self, sp: u64) -> SignalStack {
        SignalStack {
            ss_sp: self.ss_sp,
            ss_flags: self.sas_ss_flags(sp) | (self.ss_flags & SS_FLAG_BITS),
            _pad: 0,
            ss_size: self.ss_size,
        }
    }

    /// What a signal frame's uc_stack receives: the registration as
    /// stored, flags included verbatim (Linux's __save_altstack), so that
    /// rt_sigreturn can register it again.
    pub const fn saved_in_frame(&self) -> SignalStack {
        SignalStack { _pad: 0, ..*self }
    }

    /// The registration after `sigaltstack(new, ...)` by a thread whose
    /// rsp is `sp` (Linux's do_sigaltstack): EPERM while running on the
    /// current one, EINVAL for an unknown mode, ENOMEM below MINSIGSTKSZ.
    /// SS_DISABLE clears address and size; SS_ONSTACK as a mode means 0.
    pub const fn change(&self, sp: u64, new: &SignalStack) -> Result<SignalStack, crate::Errno> {
        if self.is_on(sp) {
            return Err(crate::Errno::EPERM);
        }
        let mode = new.ss_flags & !SS_FLAG_BITS;
        if mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE {
            return Err(crate::Errno::EINVAL);
        }
        if mode == SS_DISABLE {
            return Ok(SignalStack { ss_sp: 0, ss_flags: new.ss_flags, _pad: 0, ss_size: 0 });
        }
        if new.ss_size < MINSIGSTKSZ {
            return Err(crate::Errno::ENOMEM);
        }
        Ok(SignalStack { _pad: 0, ..*new })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};
    use core::mem::{offset_of, size_of};

    #[test]
    fn numbers_and_names_match_the_linux_headers() {
        let defs = defines(&["/usr/include/x86_64-linux-gnu/asm/signal.h", "/usr/include/asm-generic/signal-defs.h"]);
        for sig in 1..SIGRTMIN {
            let name = signal_name(sig).unwrap_or_default();
            assert_same(&defs, name, sig as i128);
        }
        for (name, value) in [
            ("SIGIOT", SIGIOT),
            ("SIGPOLL", SIGPOLL),
            ("SIGRTMIN", SIGRTMIN),
            ("SIG_BLOCK", SIG_BLOCK),
            ("SIG_UNBLOCK", SIG_UNBLOCK),
            ("SIG_SETMASK", SIG_SETMASK),
        ] {
            assert_same(&defs, name, value as i128);
        }
        for (name, value) in [
            ("SA_NOCLDSTOP", SA_NOCLDSTOP),
            ("SA_NOCLDWAIT", SA_NOCLDWAIT),
            ("SA_SIGINFO", SA_SIGINFO),
            ("SA_RESTORER", SA_RESTORER),
            ("SA_ONSTACK", SA_ONSTACK),
            ("SA_RESTART", SA_RESTART),
            ("SA_NODEFER", SA_NODEFER),
            ("SA_RESETHAND", SA_RESETHAND),
            ("SA_UNSUPPORTED", SA_UNSUPPORTED),
            ("SA_EXPOSE_TAGBITS", SA_EXPOSE_TAGBITS),
            ("MINSIGSTKSZ", MINSIGSTKSZ),
            ("SIGSTKSZ", SIGSTKSZ),
        ] {
            assert_same(&defs, name, value as i128);
        }
        let defs = defines(&["/usr/include/linux/signal.h"]);
        for (name, value) in [("SS_ONSTACK", SS_ONSTACK), ("SS_DISABLE", SS_DISABLE), ("SS_AUTODISARM", SS_AUTODISARM)]
        {
            // The header's values are unsigned (1U << 31).
            assert_same(&defs, name, value as u32 as i128);
        }
        assert_same(&defs, "SS_FLAG_BITS", SS_FLAG_BITS as u32 as i128);
    }

    #[test]
    fn names_cover_1_to_64_and_nothing_else() {
        assert_eq!(signal_name(SIGSEGV), Some("SIGSEGV"));
        assert_eq!(signal_name(SIGSYS), Some("SIGSYS"));
        assert_eq!(signal_name(SIGRTMIN), Some("SIGRTMIN"));
        assert_eq!(signal_name(33), Some("SIGRT_1"));
        assert_eq!(signal_name(SIGRTMAX), Some("SIGRT_32"));
        assert_eq!(signal_name(0), None);
        assert_eq!(signal_name(65), None);
        assert_eq!(signal_name(-1), None);
    }

    #[test]
    fn signal_set_bits() {
        assert_eq!(sig_bit(SIGHUP), 1);
        assert_eq!(sig_bit(SIGRTMAX), 1 << 63);
        assert_eq!(sig_bit(0), 0);
        assert_eq!(UNBLOCKABLE, (1 << 8) | (1 << 18));
    }

    #[test]
    fn masks_and_delivery_order() {
        let set = sig_bit(SIGUSR1) | sig_bit(SIGKILL) | sig_bit(SIGSTOP) | sig_bit(40);
        assert!(sig_in(set, SIGUSR1) && sig_in(set, 40) && !sig_in(set, SIGUSR2) && !sig_in(set, 0));
        assert_eq!(blockable(set), sig_bit(SIGUSR1) | sig_bit(40));
        assert_eq!(blockable(!0), !UNBLOCKABLE);

        assert_eq!(next_signal(0, 0), None);
        // Lowest number first among standard signals, then real-time ones.
        let pending = sig_bit(SIGUSR2) | sig_bit(SIGUSR1) | sig_bit(SIGHUP) | sig_bit(SIGRTMIN + 1);
        assert_eq!(next_signal(pending, 0), Some(SIGHUP));
        assert_eq!(next_signal(pending, sig_bit(SIGHUP)), Some(SIGUSR1));
        assert_eq!(next_signal(sig_bit(SIGRTMIN + 1) | sig_bit(SIGRTMAX), 0), Some(SIGRTMIN + 1));
        // Synchronous signals overtake lower-numbered ones.
        assert_eq!(next_signal(sig_bit(SIGHUP) | sig_bit(SIGSEGV), 0), Some(SIGSEGV));
        assert_eq!(next_signal(sig_bit(SIGHUP) | sig_bit(SIGSYS) | sig_bit(SIGFPE), 0), Some(SIGFPE));
        assert_eq!(next_signal(sig_bit(SIGHUP) | sig_bit(SIGSEGV), sig_bit(SIGSEGV)), Some(SIGHUP));
        assert_eq!(next_signal(sig_bit(SIGUSR1), sig_bit(SIGUSR1)), None);
        assert_eq!(STOP_SIGNALS.count_ones(), 4);
    }

    #[test]
    fn unknown_sigaction_flags_are_dropped() {
        assert_eq!(UAPI_SA_FLAGS & SA_UNSUPPORTED, 0);
        for known in [SA_SIGINFO, SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND, SA_NOCLDSTOP] {
            assert_eq!(UAPI_SA_FLAGS & known, known);
        }
    }

    #[test]
    fn altstack_registration_and_queries() {
        let none = SignalStack::DISABLED;
        assert_eq!(none.sas_ss_flags(0x7fff_0000), SS_DISABLE);
        assert_eq!(none.reported(0x7fff_0000).ss_flags, SS_DISABLE);
        // The frame gets the stored flags: 0 for a process that never
        // called sigaltstack, as Linux's handlers see in uc_stack.
        assert_eq!(none.saved_in_frame().ss_flags, 0);

        let want = SignalStack { ss_sp: 0x10_0000, ss_flags: 0, _pad: 0, ss_size: 0x4000 };
        let alt = none.change(0x7fff_0000, &want).unwrap();
        assert_eq!(alt, want);
        assert_eq!((alt.top(), alt.contains(0x10_4000), alt.contains(0x10_0000)), (0x10_4000, true, false));
        assert_eq!(alt.reported(0x7fff_0000).ss_flags, 0);
        assert_eq!(alt.reported(0x10_2000).ss_flags, SS_ONSTACK);
        assert_eq!(alt.change(0x10_2000, &none), Err(crate::Errno::EPERM), "cannot change it while on it");

        let small = SignalStack { ss_size: MINSIGSTKSZ - 1, ..want };
        assert_eq!(none.change(0, &small), Err(crate::Errno::ENOMEM));
        let bad = SignalStack { ss_flags: 4, ..want };
        assert_eq!(none.change(0, &bad), Err(crate::Errno::EINVAL));
        // SS_ONSTACK as a mode is accepted (old programs pass it) as 0.
        let onstack = SignalStack { ss_flags: SS_ONSTACK, ..want };
        assert!(none.change(0, &onstack).is_ok());

        let off = SignalStack { ss_flags: SS_DISABLE, ..want };
        let disabled = alt.change(0x7fff_0000, &off).unwrap();
        assert_eq!((disabled.ss_sp, disabled.ss_size, disabled.sas_ss_flags(0x10_2000)), (0, 0, SS_DISABLE));

        let auto = SignalStack { ss_flags: SS_AUTODISARM, ..want };
        let auto = none.change(0, &auto).unwrap();
        assert!(!auto.is_on(0x10_2000) && auto.contains(0x10_2000));
        assert_eq!(auto.reported(0x10_2000).ss_flags, SS_AUTODISARM);
        assert!(auto.change(0x10_2000, &off).is_ok(), "an autodisarmed stack may be changed from on it");
    }

    #[test]
    fn layouts_match_x86_64_linux() {
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(offset_of!(KernelSigaction, mask), 24);
        assert_eq!(size_of::<SignalStack>(), 24);
        assert_eq!(offset_of!(SignalStack, ss_size), 16);
    }
}
