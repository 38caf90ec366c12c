//! The host side of Ringo, shared by the `ringo` CLI and the in-QEMU tests:
//! - [`kernel_build`]: build the kernel with cargo, then
//!   [`ksyms_embed`] its symbol table into a copy QEMU boots;
//! - [`run_config`], [`qemu_command`], [`accel`], [`memory`]: what to run;
//!   [`net`]: the guest's network (backends, the default `ip=`, and for
//!   tests a frame peer, network namespaces with taps, ping);
//! - [`run`]: run QEMU with a timeout, streaming the serial console, and
//!   decode the guest's exit status into an [`Outcome`] ([`outcome`] also
//!   lists the CLI's exit statuses);
//! - [`cli`]: the `ringo` command line;
//! - [`initramfs`]: the archive around a program booted as init;
//! - [`guest_test`] and [`serial_lines`]: booting the kernel in tests and
//!   reading the lines it prints by contract;
//! - [`test_programs`] and [`bad_elf`]: the project's guest programs,
//!   built on demand, and files the loader must refuse; [`go_hp`]: the Go
//!   programs built with the HP-mode runtime patch, and a host-side HP
//!   loader;
//! - [`http_client`], [`sha256`], [`host_process`] and [`wrk`]: the
//!   socket tests' own HTTP client, digests, host-side peers (native
//!   servers, ports) and the wrk load generator;
//! - [`bench`] and [`linux_guest`]: `make bench`, Ringo against a Linux
//!   guest booted on the same QEMU settings.

pub mod accel;
pub mod bad_elf;
pub mod bench;
pub mod cli;
pub mod error;
pub mod fuzz;
pub mod go_hp;
pub mod guest_test;
pub mod host_process;
pub mod http_client;
pub mod initramfs;
pub mod kernel_build;
pub mod ksyms_embed;
pub mod linux_guest;
pub mod memory;
pub mod net;
pub mod outcome;
pub mod qemu_command;
pub mod run;
pub mod run_config;
pub mod serial_lines;
pub mod sha256;
pub mod source_tree;
#[cfg(test)]
mod test_elf;
pub mod test_programs;
pub mod wrk;

pub use accel::{Accel, AccelChoice};
pub use error::Error;
pub use kernel_build::{Profile, build_kernel, kernel_for_tests};
pub use memory::MemSize;
pub use outcome::{GuestStatus, Outcome};
pub use run::run;
pub use run_config::{Machine, RunConfig};
