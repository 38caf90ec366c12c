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
/// Linux rejects smaller alternate stacks with ENOMEM.
pub const MINSIGSTKSZ: u64 = 2048;
pub const SIGSTKSZ: u64 = 8192;

/// `stack_t` of sigaltstack.
#[repr(C)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct SignalStack {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub _pad: i32,
    pub ss_size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::linux_headers::{assert_same, defines};
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
            ("MINSIGSTKSZ", MINSIGSTKSZ),
            ("SIGSTKSZ", SIGSTKSZ),
        ] {
            assert_same(&defs, name, value as i128);
        }
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
    fn layouts_match_x86_64_linux() {
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(offset_of!(KernelSigaction, mask), 24);
        assert_eq!(size_of::<SignalStack>(), 24);
        assert_eq!(offset_of!(SignalStack, ss_size), 16);
    }
}
