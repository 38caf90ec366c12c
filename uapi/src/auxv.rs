//! The tags of the ELF auxiliary vector (include/uapi/linux/auxvec.h and
//! the x86 and other arch headers: Linux keeps one numbering space for all
//! architectures, so tags another arch owns are listed too, which lets
//! [`name`] label anything a /proc/self/auxv dump may hold), the x86-64
//! AT_HWCAP2 bits, and Ringo's own tag.

pub const AT_NULL: u64 = 0;
pub const AT_IGNORE: u64 = 1;
pub const AT_EXECFD: u64 = 2;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_NOTELF: u64 = 10;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
/// PowerPC and SuperH only.
pub const AT_FPUCW: u64 = 18;
/// PowerPC only.
pub const AT_DCACHEBSIZE: u64 = 19;
/// PowerPC only.
pub const AT_ICACHEBSIZE: u64 = 20;
/// PowerPC only.
pub const AT_UCACHEBSIZE: u64 = 21;
/// PowerPC only.
pub const AT_IGNOREPPC: u64 = 22;
pub const AT_SECURE: u64 = 23;
pub const AT_BASE_PLATFORM: u64 = 24;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_RSEQ_FEATURE_SIZE: u64 = 27;
pub const AT_RSEQ_ALIGN: u64 = 28;
pub const AT_HWCAP3: u64 = 29;
pub const AT_HWCAP4: u64 = 30;
pub const AT_EXECFN: u64 = 31;
/// i386 only (the vsyscall entry point).
pub const AT_SYSINFO: u64 = 32;
pub const AT_SYSINFO_EHDR: u64 = 33;
/// PowerPC only, as are the cache tags up to AT_L3_CACHEGEOMETRY.
pub const AT_L1I_CACHESHAPE: u64 = 34;
pub const AT_L1D_CACHESHAPE: u64 = 35;
pub const AT_L2_CACHESHAPE: u64 = 36;
pub const AT_L3_CACHESHAPE: u64 = 37;
pub const AT_L1I_CACHESIZE: u64 = 40;
pub const AT_L1I_CACHEGEOMETRY: u64 = 41;
pub const AT_L1D_CACHESIZE: u64 = 42;
pub const AT_L1D_CACHEGEOMETRY: u64 = 43;
pub const AT_L2_CACHESIZE: u64 = 44;
pub const AT_L2_CACHEGEOMETRY: u64 = 45;
pub const AT_L3_CACHESIZE: u64 = 46;
pub const AT_L3_CACHEGEOMETRY: u64 = 47;
/// SPARC only, as are AT_ADI_NBITS and AT_ADI_UEQ.
pub const AT_ADI_BLKSZ: u64 = 48;
pub const AT_ADI_NBITS: u64 = 49;
pub const AT_ADI_UEQ: u64 = 50;
pub const AT_MINSIGSTKSZ: u64 = 51;

/// Ringo's tag for HP mode: the address of the call table a Ringo-aware
/// libc uses instead of `syscall`. Far above Linux's range so a future
/// Linux tag cannot collide with it; a plain libc ignores unknown tags.
pub const AT_RINGO_VTABLE: u64 = 0x4A50;

/// AT_HWCAP2 bit: MONITOR/MWAIT usable in ring 3 (Xeon Phi).
pub const HWCAP2_RING3MWAIT: u64 = 1 << 0;
/// AT_HWCAP2 bit: the kernel enabled RDFSBASE/WRFSBASE and friends in
/// ring 3 (CR4.FSGSBASE).
pub const HWCAP2_FSGSBASE: u64 = 1 << 1;

/// x86 Linux reports CPUID leaf 1's EDX as AT_HWCAP, unchanged.
pub const fn hwcap_from_cpuid1_edx(edx: u32) -> u64 {
    edx as u64
}

/// The tag's name as Linux's headers spell it, for diagnostics.
pub fn name(tag: u64) -> Option<&'static str> {
    TAGS.iter().find(|&&(t, _)| t == tag).map(|&(_, n)| n)
}

const TAGS: &[(u64, &str)] = &[
    (AT_NULL, "AT_NULL"),
    (AT_IGNORE, "AT_IGNORE"),
    (AT_EXECFD, "AT_EXECFD"),
    (AT_PHDR, "AT_PHDR"),
    (AT_PHENT, "AT_PHENT"),
    (AT_PHNUM, "AT_PHNUM"),
    (AT_PAGESZ, "AT_PAGESZ"),
    (AT_BASE, "AT_BASE"),
    (AT_FLAGS, "AT_FLAGS"),
    (AT_ENTRY, "AT_ENTRY"),
    (AT_NOTELF, "AT_NOTELF"),
    (AT_UID, "AT_UID"),
    (AT_EUID, "AT_EUID"),
    (AT_GID, "AT_GID"),
    (AT_EGID, "AT_EGID"),
    (AT_PLATFORM, "AT_PLATFORM"),
    (AT_HWCAP, "AT_HWCAP"),
    (AT_CLKTCK, "AT_CLKTCK"),
    (AT_FPUCW, "AT_FPUCW"),
    (AT_DCACHEBSIZE, "AT_DCACHEBSIZE"),
    (AT_ICACHEBSIZE, "AT_ICACHEBSIZE"),
    (AT_UCACHEBSIZE, "AT_UCACHEBSIZE"),
    (AT_IGNOREPPC, "AT_IGNOREPPC"),
    (AT_SECURE, "AT_SECURE"),
    (AT_BASE_PLATFORM, "AT_BASE_PLATFORM"),
    (AT_RANDOM, "AT_RANDOM"),
    (AT_HWCAP2, "AT_HWCAP2"),
    (AT_RSEQ_FEATURE_SIZE, "AT_RSEQ_FEATURE_SIZE"),
    (AT_RSEQ_ALIGN, "AT_RSEQ_ALIGN"),
    (AT_HWCAP3, "AT_HWCAP3"),
    (AT_HWCAP4, "AT_HWCAP4"),
    (AT_EXECFN, "AT_EXECFN"),
    (AT_SYSINFO, "AT_SYSINFO"),
    (AT_SYSINFO_EHDR, "AT_SYSINFO_EHDR"),
    (AT_L1I_CACHESHAPE, "AT_L1I_CACHESHAPE"),
    (AT_L1D_CACHESHAPE, "AT_L1D_CACHESHAPE"),
    (AT_L2_CACHESHAPE, "AT_L2_CACHESHAPE"),
    (AT_L3_CACHESHAPE, "AT_L3_CACHESHAPE"),
    (AT_L1I_CACHESIZE, "AT_L1I_CACHESIZE"),
    (AT_L1I_CACHEGEOMETRY, "AT_L1I_CACHEGEOMETRY"),
    (AT_L1D_CACHESIZE, "AT_L1D_CACHESIZE"),
    (AT_L1D_CACHEGEOMETRY, "AT_L1D_CACHEGEOMETRY"),
    (AT_L2_CACHESIZE, "AT_L2_CACHESIZE"),
    (AT_L2_CACHEGEOMETRY, "AT_L2_CACHEGEOMETRY"),
    (AT_L3_CACHESIZE, "AT_L3_CACHESIZE"),
    (AT_L3_CACHEGEOMETRY, "AT_L3_CACHEGEOMETRY"),
    (AT_ADI_BLKSZ, "AT_ADI_BLKSZ"),
    (AT_ADI_NBITS, "AT_ADI_NBITS"),
    (AT_ADI_UEQ, "AT_ADI_UEQ"),
    (AT_MINSIGSTKSZ, "AT_MINSIGSTKSZ"),
    (AT_RINGO_VTABLE, "AT_RINGO_VTABLE"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `#define AT_x N` in the C headers present on the host must be
    /// a tag here with the same number; linux-libc-dev's header is the
    /// kernel's own, the libc ones add the arch-specific tags.
    #[test]
    fn every_tag_in_the_host_headers_matches() {
        let headers = [
            "/usr/include/linux/auxvec.h",
            "/usr/include/x86_64-linux-gnu/asm/auxvec.h",
            "/usr/include/elf.h",
            "/usr/include/x86_64-linux-musl/elf.h",
        ];
        let mut checked = 0;
        for f in headers {
            let Ok(text) = std::fs::read_to_string(f) else {
                panic!(
                    "{f} missing: install linux-libc-dev, libc6-dev and musl-tools (scripts/setup.sh installs gcc and musl-tools, which bring them)"
                );
            };
            for line in text.lines() {
                let w: Vec<_> = line.split_whitespace().collect();
                // AT_VECTOR_SIZE_* are array sizes, not tags.
                if w.len() >= 3 && w[0] == "#define" && w[1].starts_with("AT_") && !w[1].starts_with("AT_VECTOR_SIZE") {
                    let Ok(value) = w[2].parse::<u64>() else { continue };
                    assert_eq!(name(value), Some(w[1]), "{f}: {} = {value}", w[1]);
                    checked += 1;
                }
            }
        }
        assert!(checked >= 20, "only {checked} AT_ tags found in the host headers: install linux-libc-dev");
    }

    #[test]
    fn tags_are_unique_and_ringo_tag_is_outside_linux_range() {
        for (i, &(t, n)) in TAGS.iter().enumerate() {
            assert!(TAGS[i + 1..].iter().all(|&(u, _)| u != t), "{n} listed twice");
        }
        assert_eq!(name(AT_RINGO_VTABLE), Some("AT_RINGO_VTABLE"));
        const { assert!(AT_RINGO_VTABLE > AT_MINSIGSTKSZ * 64) };
        assert_eq!(name(52), None);
    }

    #[test]
    fn hwcap_is_cpuid_edx() {
        assert_eq!(hwcap_from_cpuid1_edx(0x178b_fbff), 0x178b_fbff);
        assert_eq!(HWCAP2_FSGSBASE, 2);
    }
}
