//! What the PVH loader handed over, read once at boot: the command line, the
//! memory map (sanitised, with the kernel's own reservations), the ACPI RSDP
//! and the boot modules (the initramfs).

use ringo_boot::pvh::{HvmMemmapEntry, HvmModlistEntry, HvmStartInfo};
use ringo_mm::memmap::{Kind, MemoryMap};

use crate::arch::paging::{self, phys_to_virt};

const CMDLINE_MAX: usize = 4096;
/// Real-mode memory, BIOS data, the AP trampoline page: never handed out.
const LOW_MEMORY: u64 = 0x10_0000;

pub struct BootInfo {
    pub cmdline: &'static str,
    pub memmap: MemoryMap,
    pub rsdp: u64,
    /// The first module (the initramfs): physical address and size.
    pub initrd: Option<(u64, u64)>,
}

#[derive(Debug)]
pub enum BootInfoError {
    BadMagic(u32),
    NoMemoryMap,
}

impl core::fmt::Display for BootInfoError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            BootInfoError::BadMagic(m) => write!(f, "hvm_start_info magic is {m:#x}, not a PVH loader's"),
            BootInfoError::NoMemoryMap => f.write_str("the PVH loader gave no memory map (hvm_start_info version 0)"),
        }
    }
}

static mut CMDLINE: [u8; CMDLINE_MAX] = [0; CMDLINE_MAX];

/// Reads a `T` at physical `addr` through the boot direct map.
///
/// # Safety
/// `addr` must lie in the first GiB and hold a `T` the loader wrote.
unsafe fn read_phys<T: Copy>(addr: u64) -> T {
    // SAFETY: forwarded to the caller; unaligned reads are allowed.
    unsafe { (phys_to_virt(addr) as *const T).read_unaligned() }
}

/// # Safety
/// Call once, on the boot CPU, while the boot page tables are active;
/// `start_info` is the physical address the loader passed in `ebx`.
pub unsafe fn parse(start_info: u64) -> Result<BootInfo, BootInfoError> {
    // SAFETY: the loader put the structures in low memory, which the boot
    // tables map; we only read them.
    let si: HvmStartInfo = unsafe { read_phys(start_info) };
    if !si.is_valid() {
        return Err(BootInfoError::BadMagic(si.magic));
    }

    let mut len = 0;
    if si.cmdline_paddr != 0 {
        // SAFETY: CMDLINE is only written here, before any reader exists.
        let buf = unsafe { &mut *core::ptr::addr_of_mut!(CMDLINE) };
        while len < CMDLINE_MAX - 1 {
            // SAFETY: a NUL-terminated string from the loader.
            let b: u8 = unsafe { read_phys(si.cmdline_paddr + len as u64) };
            if b == 0 {
                break;
            }
            buf[len] = b;
            len += 1;
        }
    }
    // SAFETY: written above and never again.
    let bytes: &'static [u8] = unsafe { &(&*core::ptr::addr_of!(CMDLINE))[..len] };
    // A command line that is not UTF-8 keeps its valid prefix.
    let cmdline = match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
    };

    if !si.has_memmap() {
        return Err(BootInfoError::NoMemoryMap);
    }
    let mut memmap = MemoryMap::new();
    for i in 0..si.memmap_entries as u64 {
        // SAFETY: the loader's e820 table, `memmap_entries` long.
        let e: HvmMemmapEntry = unsafe { read_phys(si.memmap_paddr + i * size_of::<HvmMemmapEntry>() as u64) };
        memmap.add(e.addr, e.size, Kind::from_e820(e.kind));
    }

    let initrd = (si.nr_modules > 0 && si.modlist_paddr != 0).then(|| {
        // SAFETY: the loader's module list has `nr_modules` entries.
        let m: HvmModlistEntry = unsafe { read_phys(si.modlist_paddr) };
        (m.paddr, m.size)
    });

    memmap.reserve(0, LOW_MEMORY);
    let img = paging::image_layout();
    memmap.reserve(paging::kernel_virt_to_phys(img.start), paging::kernel_virt_to_phys(img.end));
    if let Some((addr, size)) = initrd {
        memmap.reserve(addr, addr + size);
    }
    Ok(BootInfo { cmdline, memmap, rsdp: si.rsdp_paddr, initrd })
}
