//! Executable formats: turning the bytes of a static x86-64 ELF file into a
//! [`LoadPlan`] (what to map where) and building the initial user stack
//! (argc, argv, envp, auxv) the program finds at entry. Only static
//! binaries, ET_EXEC or static-pie, are accepted: Ringo has no dynamic
//! loader.
//!
//! The kernel's exec: `elf::plan` the file; map each segment;
//! `stack::standard_auxv` from the plan; `stack::build` at the stack top;
//! copy its bytes to [rsp, top); enter at `plan.entry` with rsp. On an
//! [`ElfError`], print its line and exit with its `exit_status()`.

pub mod auxv;
pub mod elf;
pub mod elf_error;
pub mod load_plan;
pub mod stack;

pub use auxv::{AuxvInputs, standard_auxv, standard_auxv_with};
pub use elf::{plan, plan_at};
pub use elf_error::ElfError;
pub use load_plan::{LoadPlan, STATIC_PIE_BASE, Segment, Tls};
pub use stack::{InitialStack, StackError};

#[cfg(test)]
mod elf_tests;
#[cfg(test)]
mod host_binaries_tests;
#[cfg(test)]
mod stack_tests;
#[cfg(test)]
mod test_elf;
