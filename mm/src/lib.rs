//! Ringo's memory management, the parts that are pure logic and tested on the
//! host: the physical memory map ([`memmap`]) and the frame allocator
//! ([`frames`]). Page-table hardware access lives in the kernel's arch layer.
#![cfg_attr(not(test), no_std)]

pub mod frames;
pub mod memmap;
pub mod vma;

pub const PAGE_SIZE: u64 = 4096;

pub const fn align_down(x: u64, a: u64) -> u64 {
    x & !(a - 1)
}

pub const fn align_up(x: u64, a: u64) -> u64 {
    align_down(x.saturating_add(a - 1), a)
}
