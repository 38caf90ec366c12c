//! The formats a Ringo boot image is made of, kept apart from the kernel so
//! the host can test them and the launcher can write them:
//! - [`pvh`]: the `hvm_start_info` block a PVH loader hands the kernel;
//! - [`cmdline`]: the Linux-style kernel command line;
//! - [`ksyms`]: the symbol table the launcher embeds into the kernel ELF so
//!   that fault reports name functions.
#![cfg_attr(not(test), no_std)]

pub mod cmdline;
pub mod ksyms;
pub mod pvh;
