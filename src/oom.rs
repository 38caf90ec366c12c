//! The OOM killer. When memory runs out for a process (a page fault, a
//! fork), the process using the most memory is killed with SIGKILL and
//! reported in Linux's words (`Out of memory: Killed process N (name)
//! total-vm:... anon-rss:...`); its memory comes back when its last thread
//! ends. Never the kernel, and init only when it is the only process left.
//! One victim at a time: until it has ended, later shortages wait for it
//! rather than kill again (Linux's "victim already exiting" rule), so one
//! shortage costs one process.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use crate::process::{self, Process};

/// The pid of the victim still on its way out (0: none).
static VICTIM: AtomicU32 = AtomicU32::new(0);

/// Memory ran out on behalf of the running process: choose and kill.
pub fn out_of_memory() {
    let pending = VICTIM.load(Ordering::Acquire);
    if pending != 0 && process::lookup(pending).is_some_and(|v| !v.group.ended.load(Ordering::Acquire)) {
        return;
    }
    let Some(Victim { process: p, resident_pages, total_vm }) = choose() else { return };
    VICTIM.store(p.pid, Ordering::Release);
    let exe = p.exe();
    let name = exe.rsplit('/').next().unwrap_or("?");
    crate::println!(
        "Out of memory: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:0kB oom_score_adj:0",
        p.pid,
        &name[..name.len().min(15)],
        total_vm / 1024,
        resident_pages * 4
    );
    // SIGKILL on every thread: nothing blocks, ignores or refuses it.
    for t in process::threads_of(p.tgid) {
        crate::signals::kill_thread(&t);
    }
}

struct Victim {
    process: Arc<Process>,
    resident_pages: usize,
    total_vm: u64,
}

/// The live process with the most resident pages; init only if alone.
/// Spaces locked elsewhere at this moment are skipped (their holder may be
/// the one waiting for memory).
fn choose() -> Option<Victim> {
    let live: alloc::vec::Vec<Arc<Process>> =
        process::all().into_iter().filter(|p| !p.group.ended.load(Ordering::Acquire)).collect();
    let init_alone = live.iter().all(|p| p.tgid == 1);
    live.into_iter()
        .filter(|p| p.tgid != 1 || init_alone)
        .filter_map(|p| {
            let (resident_pages, total_vm) = {
                let space = p.aspace.try_lock()?;
                (space.resident_pages(), space.total_vm())
            };
            Some(Victim { process: p, resident_pages, total_vm })
        })
        .max_by_key(|v| v.resident_pages)
}
