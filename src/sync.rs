//! The kernel's spin lock. A CPU spinning on a lock serves the TLB flushes
//! other CPUs ask of it: the holder may be waiting for exactly that (a
//! thread changing an address space while another thread of it waits for
//! the same lock with interrupts off, as in a page fault), and a plain
//! spin would deadlock the two CPUs.

pub struct ServeTlbFlushes;

impl spin::relax::RelaxStrategy for ServeTlbFlushes {
    fn relax() {
        crate::arch::tlb::relax();
    }
}

pub type Mutex<T> = spin::mutex::Mutex<T, ServeTlbFlushes>;
pub type MutexGuard<'a, T> = spin::mutex::MutexGuard<'a, T>;
