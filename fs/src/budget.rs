//! How much more file data memory can take. ramfs keeps file data on the
//! kernel heap, and a program filling /tmp must get ENOSPC while the
//! kernel still has memory for itself (its heap also holds what every
//! other system call needs). The kernel installs the answer; without one
//! (host tests) everything fits.

use spin::Once;

pub trait MemoryBudget: Send + Sync {
    /// Whether a block of `bytes` more may be taken for file data.
    fn fits(&self, bytes: usize) -> bool;
}

static BUDGET: Once<&'static dyn MemoryBudget> = Once::new();

pub fn set_budget(budget: &'static dyn MemoryBudget) {
    BUDGET.call_once(|| budget);
}

pub fn fits(bytes: usize) -> bool {
    BUDGET.get().is_none_or(|b| b.fits(bytes))
}
