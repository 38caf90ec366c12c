//! TLB shootdowns. A CPU caches translations of the address space whose
//! root it has loaded; when a thread changes (or removes) a mapping that
//! threads on other CPUs may have cached, those CPUs must drop their
//! entries before the change is relied on (frames freed, copy-on-write
//! pages split). Each CPU publishes its loaded root (`active_root`), so the
//! changer asks exactly the CPUs that use the same address space.
//!
//! A request is a generation counter per CPU plus an IPI; the target
//! reloads CR3 and records the generation it served. A CPU waiting for its
//! own requests (or spinning on a lock, see `crate::sync`) serves requests
//! to itself meanwhile, so two CPUs shooting at each other with interrupts
//! off cannot deadlock.

use core::sync::atomic::Ordering;

use x86_64::registers::control::Cr3;

use super::{apic, percpu, trap};

/// Records that this CPU now uses `root` (call right before loading it).
pub fn set_active_root(root: u64) {
    percpu::this().active_root.store(root, Ordering::SeqCst);
}

/// Flushes the TLB of every other CPU that has `root` loaded, and waits
/// until they have. The caller has already changed the page tables and
/// flushed its own entries.
pub fn flush_others(root: u64) {
    let Some(me) = percpu::try_this() else { return };
    // Page-table writes must be visible before the roots are read: a CPU
    // that loads `root` after this read walks the new tables anyway.
    core::sync::atomic::fence(Ordering::SeqCst);
    let mut waiting = [(0usize, 0u64); percpu::MAX_CPUS];
    let mut count = 0;
    for i in 0..percpu::count() {
        let Some(c) = percpu::cpu(i) else { continue };
        if i == me.index || !c.online.load(Ordering::Acquire) || c.active_root.load(Ordering::SeqCst) != root {
            continue;
        }
        let generation = c.flush_requested.fetch_add(1, Ordering::SeqCst) + 1;
        apic::send_ipi(c, trap::VECTOR_TLB_FLUSH);
        waiting[count] = (i, generation);
        count += 1;
    }
    for &(i, generation) in &waiting[..count] {
        let c = percpu::cpu(i).expect("online CPU");
        spin_while(|| c.flush_done.load(Ordering::Acquire) < generation);
    }
}

/// Spins while `busy()` holds, serving the flushes asked of this CPU
/// meanwhile: every wait for another CPU goes through here, so that two
/// CPUs waiting on each other with interrupts off still make progress.
pub fn spin_while(mut busy: impl FnMut() -> bool) {
    while busy() {
        relax();
    }
}

/// One round of a spin: serve flush requests, then a pause.
pub fn relax() {
    serve_requests();
    core::hint::spin_loop();
}

/// Serves the flushes asked of this CPU (from the IPI handler, and from
/// any CPU that spins waiting for something).
pub fn serve_requests() {
    let Some(c) = percpu::try_this() else { return };
    let asked = c.flush_requested.load(Ordering::Acquire);
    if c.flush_done.load(Ordering::Acquire) < asked {
        let (frame, flags) = Cr3::read();
        // SAFETY: reloading the same root only drops cached translations.
        unsafe { Cr3::write(frame, flags) };
        // fetch_max: an interrupt serving a later request in between must
        // not be undone.
        c.flush_done.fetch_max(asked, Ordering::AcqRel);
    }
}

/// Waits until no CPU but this one has `root` loaded (before its tables
/// are freed: a CPU on its way out of a dying address space still walks
/// its kernel half).
pub fn wait_until_unused(root: u64) {
    let me = percpu::current_index();
    for i in 0..percpu::count() {
        let Some(c) = percpu::cpu(i) else { continue };
        if i == me {
            continue;
        }
        spin_while(|| c.active_root.load(Ordering::SeqCst) == root);
    }
}
