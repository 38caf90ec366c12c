//! The Xen PVH boot ABI as QEMU, Firecracker and cloud-hypervisor implement it:
//! the loader enters the kernel's 32-bit entry point (named by the ELF note of
//! type [`XEN_ELFNOTE_PHYS32_ENTRY`]) with paging off and `ebx` holding the
//! physical address of an [`HvmStartInfo`].

/// ELF note type that names the 32-bit physical entry point.
pub const XEN_ELFNOTE_PHYS32_ENTRY: u32 = 18;
/// `HvmStartInfo::magic`.
pub const HVM_START_MAGIC: u32 = 0x336e_c578;

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HvmStartInfo {
    pub magic: u32,
    pub version: u32,
    pub flags: u32,
    pub nr_modules: u32,
    pub modlist_paddr: u64,
    pub cmdline_paddr: u64,
    pub rsdp_paddr: u64,
    /// Present from version 1.
    pub memmap_paddr: u64,
    pub memmap_entries: u32,
    pub reserved: u32,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct HvmModlistEntry {
    pub paddr: u64,
    pub size: u64,
    pub cmdline_paddr: u64,
    pub reserved: u64,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HvmMemmapEntry {
    pub addr: u64,
    pub size: u64,
    pub kind: u32,
    pub reserved: u32,
}

impl HvmStartInfo {
    pub fn is_valid(&self) -> bool {
        self.magic == HVM_START_MAGIC
    }

    /// The e820 table is only there from version 1 of the structure.
    pub fn has_memmap(&self) -> bool {
        self.version >= 1 && self.memmap_paddr != 0 && self.memmap_entries != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::size_of;

    #[test]
    fn layouts_match_the_xen_header() {
        assert_eq!(size_of::<HvmStartInfo>(), 56);
        assert_eq!(size_of::<HvmModlistEntry>(), 32);
        assert_eq!(size_of::<HvmMemmapEntry>(), 24);
    }

    #[test]
    fn memmap_needs_version_1() {
        let mut si =
            HvmStartInfo { magic: HVM_START_MAGIC, memmap_paddr: 0x1000, memmap_entries: 3, ..Default::default() };
        assert!(si.is_valid());
        assert!(!si.has_memmap());
        si.version = 1;
        assert!(si.has_memmap());
    }
}
