//! Ringo's device layer as pure logic, tested on the host: the kernel maps
//! firmware tables and PCI config space and hands the bytes (or a
//! [`pci::ConfigSpace`]) to this crate, which decides what they mean.
//!
//! - [`acpi`]: the SDT header, MADT (CPUs, IO-APICs, ISA overrides), MCFG
//!   (ECAM regions) and a small reader of the DSDT's AML that finds devices
//!   and their static `_CRS` resources (virtio-mmio on microvm, the PCIe host
//!   bridge windows).
//! - [`pci`]: enumeration, capability lists, BAR sizing and assignment from
//!   the host bridge window, the command register, MSI-X tables and x86 MSI
//!   messages.
//! - [`interrupts`]: the vector allocator behind the kernel's vector registry
//!   and the `/proc/interrupts` text.
//! - [`virtqueue`]: the event-index notification rule and the buffer-slot
//!   bookkeeping of the virtio-net driver.
//!
//! Everything here reads bytes that firmware or a device produced and may be
//! garbage: every parser is total (bounds-checked, no panic, bounded loops
//! and recursion) and reports what it could not understand as an error or by
//! skipping it, never by guessing.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod acpi;
mod bytes;
pub mod interrupts;
pub mod pci;
pub mod virtqueue;
