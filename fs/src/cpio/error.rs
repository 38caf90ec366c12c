//! What can be wrong with an initramfs, said precisely enough to fix it:
//! which entry, where, and what.

use alloc::string::String;
use core::fmt;

use ringo_uapi::Errno;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpioErrorKind {
    /// The archive ends inside `what`.
    Truncated { what: &'static str, needed: usize, available: usize },
    /// Neither "070701" (newc) nor "070702" (crc).
    BadMagic([u8; 6]),
    /// A compressed archive; Ringo unpacks only uncompressed cpio.
    Compressed(&'static str),
    /// A cpio variant other than newc/crc ("odc", "binary").
    UnsupportedFormat(&'static str),
    /// A header field that is not 8 hex digits.
    BadField(&'static str),
    /// A name that is empty or not NUL-terminated.
    BadName,
    /// crc format: the data does not sum to the header's checksum.
    Checksum { expected: u32, actual: u32 },
    /// Data ended without a TRAILER!!! entry.
    MissingTrailer,
    /// A mode whose file type is none of the seven.
    UnknownType(u32),
    /// Unpacking failed in the file system: the operation and its error.
    Fs { op: &'static str, errno: Errno },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpioError {
    /// 0-based index of the entry in the archive.
    pub entry: usize,
    /// Byte offset of the entry's header.
    pub offset: usize,
    /// The entry's name once known (lossily decoded).
    pub name: Option<String>,
    pub kind: CpioErrorKind,
}

impl CpioError {
    pub(super) fn new(entry: usize, offset: usize, kind: CpioErrorKind) -> Self {
        CpioError { entry, offset, name: None, kind }
    }

    pub(super) fn named(mut self, name: &[u8]) -> Self {
        self.name = Some(String::from_utf8_lossy(name).into_owned());
        self
    }
}

impl fmt::Display for CpioErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CpioErrorKind::Truncated { what, needed, available } => {
                write!(f, "archive truncated in the {what}: needs {needed} bytes, {available} left")
            }
            CpioErrorKind::BadMagic(m) => {
                write!(f, "bad magic {:?} (expected 070701 or 070702)", String::from_utf8_lossy(m))
            }
            CpioErrorKind::Compressed(how) => write!(f, "{how}-compressed archive: unpack it first"),
            CpioErrorKind::UnsupportedFormat(which) => write!(f, "{which} cpio format: use -H newc"),
            CpioErrorKind::BadField(field) => write!(f, "header field {field} is not 8 hex digits"),
            CpioErrorKind::BadName => write!(f, "name is empty or not NUL-terminated"),
            CpioErrorKind::Checksum { expected, actual } => {
                write!(f, "checksum {actual:#010x} does not match the header's {expected:#010x}")
            }
            CpioErrorKind::MissingTrailer => write!(f, "archive ends without a TRAILER!!! entry"),
            CpioErrorKind::UnknownType(mode) => write!(f, "unknown file type in mode {mode:#o}"),
            CpioErrorKind::Fs { op, errno } => write!(f, "{op} failed: {}", errno.name()),
        }
    }
}

impl fmt::Display for CpioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "initramfs entry {} at byte {}", self.entry, self.offset)?;
        if let Some(name) = &self.name {
            write!(f, " ({name})")?;
        }
        write!(f, ": {}", self.kind)
    }
}
