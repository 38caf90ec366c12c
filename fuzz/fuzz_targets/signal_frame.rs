//! The signal ABI's readers of user-supplied values (ringo_uapi::signal and
//! ::signal_frame): a siginfo as rt_sigqueueinfo takes it, the registers
//! rt_sigreturn takes back from a frame (rflags, selectors, the frame's
//! address), sigaltstack's new stack, where a frame goes on that stack, a
//! wait status word and a syscall's result when a signal interrupts it.
//! The input is a 128-byte siginfo followed by little-endian words.
//!
//! Invariants: siginfo bytes round-trip; rt_sigreturn never takes IF, IOPL,
//! NT or VM from the frame, and selectors come back at RPL 3; an accepted
//! alternate stack is disabled or at least MINSIGSTKSZ; a frame is laid out
//! below its stack top with the ABI's alignment, and either fits the
//! alternate stack it is meant for or says it overflows; a child event's
//! wait status decodes to the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringo_uapi::signal::{MINSIGSTKSZ, SA_ONSTACK, SIGRTMAX, SS_DISABLE, SS_FLAG_BITS, SignalStack};
use ringo_uapi::signal_frame::{
    ChildEvent, FPSTATE_ALIGN, RED_ZONE, RT_SIGFRAME_SIZE, SIGINFO_SIZE, Siginfo, fpstate_sigframe_size, frame_layout,
    restart_after_signal, sigreturn_frame_addr, sigreturn_rflags, sigreturn_selector,
};

struct Words<'a>(&'a [u8]);

impl Words<'_> {
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let n = self.0.len().min(8);
        b[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        u64::from_le_bytes(b)
    }
}

/// IF, IOPL, NT, VM, VIF, VIP, ID: never the user's to set.
const PRIVILEGED_RFLAGS: u64 = (1 << 9) | (3 << 12) | (1 << 14) | (1 << 17) | (1 << 19) | (1 << 20) | (1 << 21);

fuzz_target!(|data: &[u8]| {
    let mut raw = [0u8; SIGINFO_SIZE];
    let n = data.len().min(SIGINFO_SIZE);
    raw[..n].copy_from_slice(&data[..n]);
    let info = Siginfo::from_bytes(&raw);
    assert_eq!(info.to_bytes(), raw, "siginfo bytes do not round-trip");
    let _ =
        (info.pid(), info.uid(), info.value(), info.status(), info.addr(), info.band(), info.fd(), info.from_user());
    let mut w = Words(&data[n..]);

    let (current, saved) = (w.u64(), w.u64());
    let rflags = sigreturn_rflags(current, saved);
    assert_eq!(rflags & PRIVILEGED_RFLAGS, current & PRIVILEGED_RFLAGS, "rt_sigreturn took privileged rflags");
    assert_eq!(sigreturn_selector(saved as u16) & 3, 3);
    let _ = sigreturn_frame_addr(w.u64());

    let sp = w.u64();
    let old = SignalStack { ss_sp: w.u64(), ss_flags: w.u64() as i32, _pad: 0, ss_size: w.u64() };
    let new = SignalStack { ss_sp: w.u64(), ss_flags: w.u64() as i32, _pad: 0, ss_size: w.u64() };
    let _ = old.reported(sp);
    match old.change(sp, &new) {
        Ok(stack) => {
            assert!(!old.is_on(sp), "sigaltstack replaced the stack it runs on");
            let disabled = (new.ss_flags & !SS_FLAG_BITS) == SS_DISABLE;
            assert!(if disabled { stack.ss_size == 0 } else { stack.ss_size >= MINSIGSTKSZ }, "{stack:?}");
        }
        Err(e) => assert!(e.as_ret() < 0),
    }

    let flags = w.u64();
    let xsave = w.u64();
    let fpsize = fpstate_sigframe_size((xsave & 1 != 0).then_some((xsave >> 1) as usize & 0xffff));
    let layout = frame_layout(sp, flags, &old, fpsize);
    assert_eq!(layout.fpstate_addr % FPSTATE_ALIGN, 0);
    assert_eq!(layout.frame_addr % 16, 8, "the handler's rsp is not call-aligned");
    assert_eq!(layout.new_sp, layout.frame_addr);
    let onstack = flags & SA_ONSTACK != 0 && old.sas_ss_flags(sp.wrapping_sub(RED_ZONE)) == 0;
    let top = if onstack { old.top() } else { sp.wrapping_sub(RED_ZONE) };
    // Without wrap-around (a garbage rsp may wrap; the user copy then faults).
    let room = fpsize as u64 + RT_SIGFRAME_SIZE as u64 + FPSTATE_ALIGN + 32;
    if top >= room && (!onstack || sp >= RED_ZONE) {
        assert!(layout.frame_addr + RT_SIGFRAME_SIZE as u64 <= layout.fpstate_addr, "{layout:?}");
        assert!(layout.fpstate_addr + fpsize as u64 <= top, "{layout:?} above the stack top {top:#x}");
        if onstack && !layout.overflows_altstack {
            assert!(old.contains(layout.frame_addr));
        }
    }
    let _ = (layout.siginfo_addr(), layout.ucontext_addr());

    let status = w.u64() as i32;
    if let Some(event) = ChildEvent::from_wait_status(status) {
        let _ = (event.si_code(), event.si_status());
    }
    let sig = (w.u64() % SIGRTMAX as u64) as i32 + 1;
    let code = w.u64() as i32;
    let events = [ChildEvent::Exited(code & 0xff), ChildEvent::Stopped(sig), ChildEvent::Continued];
    for event in events {
        assert_eq!(ChildEvent::from_wait_status(event.wait_status()), Some(event));
    }
    if sig < 0x7f {
        for event in [ChildEvent::Killed(sig), ChildEvent::Dumped(sig)] {
            assert_eq!(ChildEvent::from_wait_status(event.wait_status()), Some(event));
        }
    }

    let ret = w.u64() as i64;
    let handler = w.u64();
    let _ = restart_after_signal(ret, (handler & 1 != 0).then_some(handler >> 1));
});
