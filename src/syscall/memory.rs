//! mmap and friends, over the process's AddressSpace.

use ringo_mm::vma::{Backing, Prot, Role, Vma};
use ringo_uapi::{Errno, SysResult};

use super::{Fd, UserAddr};
use crate::process::current;
use crate::usermem::PAGE;

const PROT_MASK: u64 = 0x7;
const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_GROWSDOWN: u64 = 0x100;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;
const MADV_DONTNEED: i32 = 4;

fn page_len(len: u64) -> Result<u64, Errno> {
    if len == 0 {
        return Err(Errno::EINVAL);
    }
    len.checked_next_multiple_of(PAGE).ok_or(Errno::ENOMEM)
}

pub fn mmap(addr: UserAddr, len: u64, prot: u64, flags: u64, fd: Fd, offset: u64) -> SysResult {
    let len = page_len(len)?;
    if prot & !PROT_MASK != 0 && prot & !(PROT_MASK | 0x0100_0000 | 0x0200_0000) != 0 {
        return Err(Errno::EINVAL);
    }
    let shared = match flags & 0x3 {
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        MAP_PRIVATE => false,
        _ => return Err(Errno::EINVAL),
    };
    if !offset.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let backing = if flags & MAP_ANONYMOUS != 0 {
        Backing::Anonymous
    } else {
        if shared {
            // Shared file mappings need a page cache; none yet.
            return Err(Errno::ENODEV);
        }
        let file = crate::files::page_source(fd)?;
        Backing::File { file, offset, file_len: u64::MAX - offset }
    };
    let p = current();
    let mut aspace = p.aspace.lock();
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    let start = if fixed {
        if !addr.0.is_multiple_of(PAGE) {
            return Err(Errno::EINVAL);
        }
        addr.0
    } else {
        aspace.vmas.find_free(len, addr.0 & !(PAGE - 1))?
    };
    let role = if flags & MAP_GROWSDOWN != 0 { Role::Stack } else { Role::Mapping };
    let vma = Vma {
        start,
        end: start.checked_add(len).ok_or(Errno::ENOMEM)?,
        prot: Prot::from_bits(prot),
        shared,
        backing,
        role,
    };
    aspace.map(vma, flags & MAP_FIXED_NOREPLACE == 0).map(|a| a as usize)
}

pub fn munmap(addr: UserAddr, len: u64) -> SysResult {
    if !addr.0.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    current().aspace.lock().unmap(addr.0, page_len(len)?)?;
    Ok(0)
}

pub fn mprotect(addr: UserAddr, len: u64, prot: u64) -> SysResult {
    if !addr.0.is_multiple_of(PAGE) || prot & !PROT_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    current().aspace.lock().protect(addr.0, page_len(len)?, Prot::from_bits(prot))?;
    Ok(0)
}

pub fn brk(addr: UserAddr) -> SysResult {
    Ok(current().aspace.lock().set_brk(addr.0) as usize)
}

pub fn madvise(addr: UserAddr, len: u64, advice: i32) -> SysResult {
    if !addr.0.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let len = page_len(len)?;
    if advice == MADV_DONTNEED {
        let p = current();
        let mut a = p.aspace.lock();
        let mut cursor = addr.0;
        while cursor < addr.0 + len {
            if a.vmas.find(cursor).is_none() {
                return Err(Errno::ENOMEM);
            }
            cursor += PAGE;
        }
        a.discard(addr.0, len);
    }
    // Other advice is a hint: accepted and ignored.
    Ok(0)
}

pub fn mremap(old: UserAddr, old_len: u64, new_len: u64, flags: u64, new_addr: UserAddr) -> SysResult {
    if !old.0.is_multiple_of(PAGE) || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0 {
        return Err(Errno::EINVAL);
    }
    let old_len = old_len.next_multiple_of(PAGE);
    let new_len = page_len(new_len)?;
    let p = current();
    let mut a = p.aspace.lock();
    let vma = a.vmas.find(old.0).ok_or(Errno::EFAULT)?.clone();
    if vma.start != old.0 || old_len == 0 || vma.end - vma.start < old_len {
        return Err(Errno::EFAULT);
    }
    if flags & MREMAP_FIXED == 0 {
        if new_len <= old_len {
            if new_len < old_len {
                a.unmap(old.0 + new_len, old_len - new_len)?;
            }
            return Ok(old.0 as usize);
        }
        if vma.end == old.0 + old_len && !a.vmas.overlaps(vma.end, old.0 + new_len) {
            a.vmas.resize_in_place(old.0, new_len)?;
            return Ok(old.0 as usize);
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM);
        }
    } else if flags & MREMAP_MAYMOVE == 0 || !new_addr.0.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    // Move: a new area with the same backing, pages carried over.
    let to = if flags & MREMAP_FIXED != 0 {
        a.unmap(new_addr.0, new_len)?;
        new_addr.0
    } else {
        a.vmas.find_free(new_len, 0)?
    };
    let moved = old_len.min(new_len);
    let mut area = vma.clone();
    area.start = to;
    area.end = to + new_len;
    a.vmas.insert(area, false)?;
    a.move_pages(old.0, to, moved)?;
    a.unmap(old.0, old_len)?;
    Ok(to as usize)
}

/// mincore: every mapped page counts as resident (there is no swap and
/// no page cache to evict); unmapped ranges are ENOMEM.
pub fn mincore(addr: UserAddr, len: u64, vec: UserAddr) -> SysResult {
    if !addr.0.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let pages = page_len(len.max(1))? / PAGE;
    {
        let p = current();
        let a = p.aspace.lock();
        for i in 0..pages {
            if a.vmas.find(addr.0 + i * PAGE).is_none() {
                return Err(Errno::ENOMEM);
            }
        }
    }
    let ones = alloc::vec![1u8; pages as usize];
    vec.write_bytes(&ones)?;
    Ok(0)
}
