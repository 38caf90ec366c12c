//! The launcher's errors: everything that stops it before the guest gives a
//! status. (What the guest or QEMU did is an [`Outcome`](crate::Outcome), not
//! an error.)

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

use crate::ksyms_embed::EmbedError;

#[derive(Debug)]
pub enum Error {
    /// No directory holding the kernel's workspace was found.
    NoSourceTree {
        tried: Vec<PathBuf>,
    },
    /// `RINGO_ROOT` names a directory that is not the kernel's workspace.
    NotASourceTree {
        path: PathBuf,
    },
    CargoSpawn {
        program: OsString,
        source: io::Error,
    },
    CargoFailed {
        status: ExitStatus,
    },
    /// Cargo succeeded but its output is not where it should be.
    KernelMissing {
        path: PathBuf,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Embed {
        path: PathBuf,
        source: EmbedError,
    },
    QemuNotFound {
        program: PathBuf,
    },
    QemuSpawn {
        program: PathBuf,
        source: io::Error,
    },
    QemuWait(io::Error),
}

impl Error {
    /// The `ringo` CLI's exit status for this error (see the crate docs).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::QemuNotFound { .. } => crate::outcome::EXIT_QEMU_NOT_FOUND,
            _ => crate::outcome::EXIT_LAUNCHER_ERROR,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSourceTree { tried } => {
                write!(f, "no Ringo source tree found (looked in ")?;
                for (i, dir) in tried.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}{}", dir.display())?;
                }
                write!(
                    f,
                    "); run from inside the repository, set {} to it, or pass --kernel PATH",
                    crate::source_tree::ROOT_ENV
                )
            }
            Error::NotASourceTree { path } => write!(
                f,
                "{}={} is not the Ringo repository (no Cargo.toml of package {})",
                crate::source_tree::ROOT_ENV,
                path.display(),
                crate::kernel_build::KERNEL_PACKAGE
            ),
            Error::CargoSpawn { program, source } => {
                write!(f, "cannot run {}: {source}", program.to_string_lossy())
            }
            Error::CargoFailed { status } => write!(f, "building the kernel failed ({status})"),
            Error::KernelMissing { path } => {
                write!(f, "cargo succeeded but {} does not exist", path.display())
            }
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Embed { path, source } => {
                write!(f, "embedding symbols into {}: {source}", path.display())
            }
            Error::QemuNotFound { program } => {
                write!(f, "{} not found: install QEMU with `apt-get install qemu-system-x86`", program.display())
            }
            Error::QemuSpawn { program, source } => {
                write!(f, "cannot start {}: {source}", program.display())
            }
            Error::QemuWait(source) => write!(f, "waiting for QEMU: {source}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::CargoSpawn { source, .. }
            | Error::Io { source, .. }
            | Error::QemuSpawn { source, .. }
            | Error::QemuWait(source) => Some(source),
            Error::Embed { source, .. } => Some(source),
            _ => None,
        }
    }
}
