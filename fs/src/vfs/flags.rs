//! Typed wrappers for the flag words files are opened and renamed with.

use ringo_uapi::Errno;
use ringo_uapi::fs::{
    O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, RENAME_EXCHANGE, RENAME_NOREPLACE,
    RENAME_WHITEOUT,
};

/// open(2) flags; on an open file, its status flags (what F_GETFL returns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenFlags(pub u32);

impl OpenFlags {
    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn contains(self, bits: u32) -> bool {
        self.0 & bits == bits
    }

    /// O_PATH descriptors can neither read nor write.
    pub const fn readable(self) -> bool {
        let acc = self.0 & O_ACCMODE;
        !self.contains(O_PATH) && (acc == O_RDONLY || acc == O_RDWR)
    }

    pub const fn writable(self) -> bool {
        let acc = self.0 & O_ACCMODE;
        !self.contains(O_PATH) && (acc == O_WRONLY || acc == O_RDWR)
    }

    pub const fn nonblock(self) -> bool {
        self.contains(O_NONBLOCK)
    }

    pub const fn append(self) -> bool {
        self.contains(O_APPEND)
    }

    pub const fn path_only(self) -> bool {
        self.contains(O_PATH)
    }
}

/// renameat2(2) flags, validated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenameFlags(u32);

impl RenameFlags {
    pub const NONE: RenameFlags = RenameFlags(0);
    pub const NOREPLACE: RenameFlags = RenameFlags(RENAME_NOREPLACE);
    pub const EXCHANGE: RenameFlags = RenameFlags(RENAME_EXCHANGE);

    /// Unknown bits, NOREPLACE with EXCHANGE, and WHITEOUT (overlay file
    /// systems only) are EINVAL as on Linux.
    pub fn from_bits(bits: u32) -> Result<Self, Errno> {
        let known = RENAME_NOREPLACE | RENAME_EXCHANGE;
        if bits & !known != 0 || bits & RENAME_WHITEOUT != 0 || bits == known {
            return Err(Errno::EINVAL);
        }
        Ok(RenameFlags(bits))
    }

    pub const fn noreplace(self) -> bool {
        self.0 & RENAME_NOREPLACE != 0
    }

    pub const fn exchange(self) -> bool {
        self.0 & RENAME_EXCHANGE != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringo_uapi::fs::O_CLOEXEC;

    #[test]
    fn access_modes() {
        assert!(OpenFlags(O_RDONLY).readable() && !OpenFlags(O_RDONLY).writable());
        assert!(!OpenFlags(O_WRONLY).readable() && OpenFlags(O_WRONLY).writable());
        assert!(OpenFlags(O_RDWR | O_CLOEXEC).readable() && OpenFlags(O_RDWR).writable());
        assert!(!OpenFlags(O_PATH | O_RDWR).readable() && !OpenFlags(O_PATH | O_RDWR).writable());
        assert!(OpenFlags(O_APPEND | O_NONBLOCK).append() && OpenFlags(O_NONBLOCK).nonblock());
    }

    #[test]
    fn rename_flag_validation() {
        assert_eq!(RenameFlags::from_bits(0), Ok(RenameFlags::NONE));
        assert!(RenameFlags::from_bits(RENAME_NOREPLACE).is_ok_and(|f| f.noreplace() && !f.exchange()));
        assert!(RenameFlags::from_bits(RENAME_EXCHANGE).is_ok_and(|f| f.exchange()));
        assert_eq!(RenameFlags::from_bits(RENAME_EXCHANGE | RENAME_NOREPLACE), Err(Errno::EINVAL));
        assert_eq!(RenameFlags::from_bits(RENAME_WHITEOUT), Err(Errno::EINVAL));
        assert_eq!(RenameFlags::from_bits(1 << 9), Err(Errno::EINVAL));
    }
}
