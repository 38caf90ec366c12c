#![cfg_attr(not(test), no_std)]
//! Ringo's Linux x86-64 system call table and everything derived from it.
//!
//! `syscall_64.tbl` is the single source of truth; build.rs turns it (with
//! signatures.txt, syscall_32.tbl and i386_rules.txt) into:
//! - [`COUNT`], [`NAMES`], [`name`], [`is_implemented`], [`nr`] constants;
//! - [`implemented_syscalls!`], from which the kernel builds its dispatch
//!   table and the HP vtable;
//! - [`signature`]/[`arity`] and the strace formatting [`format_call`] /
//!   [`format_result`];
//! - [`I386_TO_X86_64`] for `int 0x80`;
//! - docs/compat.md ([`write_compat_report`]).

// First, so that its textual scope covers the tests of every module below.
include!(concat!(env!("OUT_DIR"), "/dispatch_macro.rs"));

pub mod compat_report;
pub mod i386;
pub mod linux_flags;
pub mod signature;
pub mod strace;
pub mod table;

pub use compat_report::write_compat_report;
pub use i386::{I386_COUNT, I386_ENOSYS, I386_MAPPED_COUNT, I386_NAMES, I386_TO_X86_64, i386_name, i386_to_x86_64};
pub use signature::{Arg, ArgKind, RetKind, Signature, arity, signature};
pub use strace::{UserMemory, format_call, format_result};
pub use table::{COUNT, IMPLEMENTED, IMPLEMENTED_COUNT, LINUX_SYSCALL_COUNT, NAMES, is_implemented, name, nr};
