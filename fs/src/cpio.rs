//! The initramfs unpacker: "newc" (070701) and "crc" (070702) cpio
//! archives, read by [`entries`] and unpacked into a directory by [`unpack`].
//! Garbage never panics: every malformed input is a [`CpioError`] naming the
//! entry, its offset and the problem.

mod error;
mod reader;
mod unpack;

pub use error::{CpioError, CpioErrorKind};
pub use reader::{Entries, Entry, HEADER_LEN, TRAILER, entries};
pub use unpack::{UnpackSummary, data_bytes, unpack};

#[cfg(test)]
mod tests;
