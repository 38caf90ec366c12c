//! Argument kinds per system call, generated from signatures.txt, so that
//! strace output and ENOSYS logs can show arguments the way strace does.

use crate::table::COUNT;

/// How one argument is shown. signatures.txt spells these in snake_case;
/// its header describes each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Int,
    Uint,
    Long,
    Size,
    Hex,
    Ptr,
    Fd,
    Dirfd,
    Str,
    Buf,
    Bytes,
    Octal,
    OpenFlags,
    OFlags,
    MmapProt,
    MmapFlags,
    MremapFlags,
    Madv,
    AtFlags,
    UnlinkatFlags,
    AccessMode,
    Whence,
    Clock,
    Signal,
    Sighow,
    Rlimit,
    FcntlCmd,
    IoctlCmd,
    ArchPrctlCode,
    CloneFlags,
    FutexOp,
    AddressFamily,
    SockType,
    Sockaddr,
    SockoptLevel,
    MsgFlags,
    ShutHow,
}

/// How the result is shown when it is not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetKind {
    Int,
    Hex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    pub kind: ArgKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: &'static str,
    pub args: &'static [Arg],
    pub ret: RetKind,
}

include!(concat!(env!("OUT_DIR"), "/signatures.rs"));

/// The signature of `nr`, if signatures.txt lists it.
pub fn signature(nr: u64) -> Option<&'static Signature> {
    usize::try_from(nr).ok().and_then(|i| SIGNATURES.get(i)).and_then(Option::as_ref)
}

/// The number of arguments `nr` takes, if known.
pub fn arity(nr: u64) -> Option<usize> {
    signature(nr).map(|s| s.args.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{IMPLEMENTED, NAMES, nr};

    #[test]
    fn every_implemented_call_has_a_signature() {
        let missing: Vec<&str> =
            (0..COUNT).filter(|&i| IMPLEMENTED[i] && SIGNATURES[i].is_none()).map(|i| NAMES[i]).collect();
        assert!(missing.is_empty(), "add these to syscalls/signatures.txt: {missing:?}");
    }

    #[test]
    fn signatures_sit_at_their_own_numbers() {
        for (i, sig) in SIGNATURES.iter().enumerate() {
            if let Some(sig) = sig {
                assert_eq!(sig.name, NAMES[i]);
            }
        }
    }

    #[test]
    fn signatures_carry_the_declared_kinds() {
        let openat = signature(nr::OPENAT).map(|s| s.args);
        let kinds: Vec<ArgKind> = openat.unwrap_or_default().iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [ArgKind::Dirfd, ArgKind::Str, ArgKind::OpenFlags, ArgKind::Octal]);
        assert_eq!(arity(nr::GETPID), Some(0));
        assert_eq!(arity(nr::MMAP), Some(6));
        assert_eq!(signature(nr::MMAP).map(|s| s.ret), Some(RetKind::Hex));
        assert_eq!(signature(nr::READ).map(|s| s.ret), Some(RetKind::Int));
        assert_eq!(signature(nr::KEXEC_LOAD), None);
        assert_eq!(arity(u64::MAX), None);
    }
}
