//! Scheduling policy as plain data structures, so that the host can test
//! it: per-CPU run queues with wakeup placement and work stealing
//! ([`runqueues`]), deadline lists for sleeps with a timeout ([`timers`]),
//! and the table of tasks sleeping on wait keys ([`waits`]). The kernel
//! supplies the tasks, the CPU numbers, interrupts-off and IPIs.

#![no_std]

extern crate alloc;

pub mod runqueues;
pub mod timers;
pub mod waits;

pub use runqueues::{RunQueues, Task};
pub use timers::{TimerKey, TimerList};
pub use waits::WaitTable;
