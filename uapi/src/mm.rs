//! Memory-management numbers: mmap protections and flags, madvise advice,
//! mremap flags (asm-generic/mman-common.h, asm-generic/mman.h, asm/mman.h,
//! linux/mman.h).
//!
//! Bit flags are `u64` because `sys_mmap` and friends take them as unsigned
//! long and handlers test them against the raw register; the madvise advice
//! is an `int` in Linux and is matched as one, so it is `i32`.

pub const PROT_NONE: u64 = 0x0;
pub const PROT_READ: u64 = 0x1;
pub const PROT_WRITE: u64 = 0x2;
pub const PROT_EXEC: u64 = 0x4;
pub const PROT_SEM: u64 = 0x8;
/// mprotect only: extend the change down to the start of a grows-down mapping.
pub const PROT_GROWSDOWN: u64 = 0x0100_0000;
pub const PROT_GROWSUP: u64 = 0x0200_0000;

pub const MAP_SHARED: u64 = 0x01;
pub const MAP_PRIVATE: u64 = 0x02;
pub const MAP_SHARED_VALIDATE: u64 = 0x03;
/// The bits holding the sharing type (SHARED, PRIVATE, SHARED_VALIDATE).
pub const MAP_TYPE: u64 = 0x0f;
pub const MAP_FIXED: u64 = 0x10;
pub const MAP_ANONYMOUS: u64 = 0x20;
pub const MAP_32BIT: u64 = 0x40;
pub const MAP_GROWSDOWN: u64 = 0x0100;
pub const MAP_DENYWRITE: u64 = 0x0800;
pub const MAP_EXECUTABLE: u64 = 0x1000;
pub const MAP_LOCKED: u64 = 0x2000;
pub const MAP_NORESERVE: u64 = 0x4000;
pub const MAP_POPULATE: u64 = 0x8000;
pub const MAP_NONBLOCK: u64 = 0x01_0000;
pub const MAP_STACK: u64 = 0x02_0000;
pub const MAP_HUGETLB: u64 = 0x04_0000;
pub const MAP_SYNC: u64 = 0x08_0000;
pub const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
pub const MAP_UNINITIALIZED: u64 = 0x400_0000;
/// With MAP_HUGETLB, bits 26..32 hold log2 of the huge page size.
pub const MAP_HUGE_SHIFT: u32 = 26;
pub const MAP_HUGE_MASK: u64 = 0x3f;

pub const MADV_NORMAL: i32 = 0;
pub const MADV_RANDOM: i32 = 1;
pub const MADV_SEQUENTIAL: i32 = 2;
pub const MADV_WILLNEED: i32 = 3;
pub const MADV_DONTNEED: i32 = 4;
pub const MADV_FREE: i32 = 8;
pub const MADV_REMOVE: i32 = 9;
pub const MADV_DONTFORK: i32 = 10;
pub const MADV_DOFORK: i32 = 11;
pub const MADV_MERGEABLE: i32 = 12;
pub const MADV_UNMERGEABLE: i32 = 13;
pub const MADV_HUGEPAGE: i32 = 14;
pub const MADV_NOHUGEPAGE: i32 = 15;
pub const MADV_DONTDUMP: i32 = 16;
pub const MADV_DODUMP: i32 = 17;
pub const MADV_WIPEONFORK: i32 = 18;
pub const MADV_KEEPONFORK: i32 = 19;
pub const MADV_COLD: i32 = 20;
pub const MADV_PAGEOUT: i32 = 21;
pub const MADV_POPULATE_READ: i32 = 22;
pub const MADV_POPULATE_WRITE: i32 = 23;
pub const MADV_DONTNEED_LOCKED: i32 = 24;
pub const MADV_COLLAPSE: i32 = 25;
pub const MADV_HWPOISON: i32 = 100;
pub const MADV_SOFT_OFFLINE: i32 = 101;

pub const MREMAP_MAYMOVE: u64 = 1;
pub const MREMAP_FIXED: u64 = 2;
pub const MREMAP_DONTUNMAP: u64 = 4;

pub const MS_ASYNC: u64 = 1;
pub const MS_INVALIDATE: u64 = 2;
pub const MS_SYNC: u64 = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linux_headers::{assert_same, defines};

    #[test]
    fn numbers_match_the_linux_headers() {
        let defs = defines(&[
            "/usr/include/asm-generic/hugetlb_encode.h",
            "/usr/include/asm-generic/mman-common.h",
            "/usr/include/asm-generic/mman.h",
            "/usr/include/x86_64-linux-gnu/asm/mman.h",
            "/usr/include/linux/mman.h",
        ]);
        let bits = [
            ("PROT_NONE", PROT_NONE),
            ("PROT_READ", PROT_READ),
            ("PROT_WRITE", PROT_WRITE),
            ("PROT_EXEC", PROT_EXEC),
            ("PROT_SEM", PROT_SEM),
            ("PROT_GROWSDOWN", PROT_GROWSDOWN),
            ("PROT_GROWSUP", PROT_GROWSUP),
            ("MAP_SHARED", MAP_SHARED),
            ("MAP_PRIVATE", MAP_PRIVATE),
            ("MAP_SHARED_VALIDATE", MAP_SHARED_VALIDATE),
            ("MAP_TYPE", MAP_TYPE),
            ("MAP_FIXED", MAP_FIXED),
            ("MAP_ANONYMOUS", MAP_ANONYMOUS),
            ("MAP_32BIT", MAP_32BIT),
            ("MAP_GROWSDOWN", MAP_GROWSDOWN),
            ("MAP_DENYWRITE", MAP_DENYWRITE),
            ("MAP_EXECUTABLE", MAP_EXECUTABLE),
            ("MAP_LOCKED", MAP_LOCKED),
            ("MAP_NORESERVE", MAP_NORESERVE),
            ("MAP_POPULATE", MAP_POPULATE),
            ("MAP_NONBLOCK", MAP_NONBLOCK),
            ("MAP_STACK", MAP_STACK),
            ("MAP_HUGETLB", MAP_HUGETLB),
            ("MAP_SYNC", MAP_SYNC),
            ("MAP_FIXED_NOREPLACE", MAP_FIXED_NOREPLACE),
            ("MAP_UNINITIALIZED", MAP_UNINITIALIZED),
            ("MAP_HUGE_SHIFT", MAP_HUGE_SHIFT as u64),
            ("MAP_HUGE_MASK", MAP_HUGE_MASK),
            ("MREMAP_MAYMOVE", MREMAP_MAYMOVE),
            ("MREMAP_FIXED", MREMAP_FIXED),
            ("MREMAP_DONTUNMAP", MREMAP_DONTUNMAP),
            ("MS_ASYNC", MS_ASYNC),
            ("MS_INVALIDATE", MS_INVALIDATE),
            ("MS_SYNC", MS_SYNC),
        ];
        for (name, value) in bits {
            assert_same(&defs, name, value as i128);
        }
        let advice = [
            ("MADV_NORMAL", MADV_NORMAL),
            ("MADV_RANDOM", MADV_RANDOM),
            ("MADV_SEQUENTIAL", MADV_SEQUENTIAL),
            ("MADV_WILLNEED", MADV_WILLNEED),
            ("MADV_DONTNEED", MADV_DONTNEED),
            ("MADV_FREE", MADV_FREE),
            ("MADV_REMOVE", MADV_REMOVE),
            ("MADV_DONTFORK", MADV_DONTFORK),
            ("MADV_DOFORK", MADV_DOFORK),
            ("MADV_MERGEABLE", MADV_MERGEABLE),
            ("MADV_UNMERGEABLE", MADV_UNMERGEABLE),
            ("MADV_HUGEPAGE", MADV_HUGEPAGE),
            ("MADV_NOHUGEPAGE", MADV_NOHUGEPAGE),
            ("MADV_DONTDUMP", MADV_DONTDUMP),
            ("MADV_DODUMP", MADV_DODUMP),
            ("MADV_WIPEONFORK", MADV_WIPEONFORK),
            ("MADV_KEEPONFORK", MADV_KEEPONFORK),
            ("MADV_COLD", MADV_COLD),
            ("MADV_PAGEOUT", MADV_PAGEOUT),
            ("MADV_POPULATE_READ", MADV_POPULATE_READ),
            ("MADV_POPULATE_WRITE", MADV_POPULATE_WRITE),
            ("MADV_DONTNEED_LOCKED", MADV_DONTNEED_LOCKED),
            ("MADV_COLLAPSE", MADV_COLLAPSE),
            ("MADV_HWPOISON", MADV_HWPOISON),
            ("MADV_SOFT_OFFLINE", MADV_SOFT_OFFLINE),
        ];
        for (name, value) in advice {
            assert_same(&defs, name, value as i128);
        }
    }
}
