//! Guest memory sizes as the CLI and tests spell them: `512M`, `1G`, `256`.

use std::fmt;
use std::str::FromStr;

/// A guest memory size, whole MiB (QEMU's `-m` unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemSize {
    mib: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemSizeError {
    Empty,
    NotANumber(String),
    UnknownUnit(String),
    Zero,
    TooLarge(String),
}

impl MemSize {
    pub const DEFAULT: MemSize = MemSize { mib: 256 };

    /// `None` for 0 MiB, which no guest boots in.
    pub const fn from_mib(mib: u64) -> Option<MemSize> {
        if mib == 0 { None } else { Some(MemSize { mib }) }
    }

    pub const fn mib(self) -> u64 {
        self.mib
    }

    /// The value of QEMU's `-m`.
    pub fn qemu_arg(self) -> String {
        format!("{}M", self.mib)
    }
}

impl Default for MemSize {
    fn default() -> Self {
        MemSize::DEFAULT
    }
}

impl fmt::Display for MemSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}M", self.mib)
    }
}

impl FromStr for MemSize {
    type Err = MemSizeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.is_empty() {
            return Err(MemSizeError::Empty);
        }
        let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (digits, unit) = text.split_at(digits_end);
        if digits.is_empty() {
            return Err(MemSizeError::NotANumber(text.to_string()));
        }
        let scale: u64 = match unit.to_ascii_lowercase().as_str() {
            "" | "m" | "mb" | "mib" => 1,
            "g" | "gb" | "gib" => 1024,
            "t" | "tb" | "tib" => 1024 * 1024,
            _ => return Err(MemSizeError::UnknownUnit(unit.to_string())),
        };
        let count: u64 = digits.parse().map_err(|_| MemSizeError::TooLarge(text.to_string()))?;
        let mib = count.checked_mul(scale).ok_or_else(|| MemSizeError::TooLarge(text.to_string()))?;
        MemSize::from_mib(mib).ok_or(MemSizeError::Zero)
    }
}

impl fmt::Display for MemSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemSizeError::Empty => write!(f, "empty memory size"),
            MemSizeError::NotANumber(s) => {
                write!(f, "`{s}` is not a memory size (like 512M, 1G or 256)")
            }
            MemSizeError::UnknownUnit(u) => write!(f, "unknown memory unit `{u}` (use M or G)"),
            MemSizeError::Zero => write!(f, "memory size must be more than 0"),
            MemSizeError::TooLarge(s) => write!(f, "memory size `{s}` is too large"),
        }
    }
}

impl std::error::Error for MemSizeError {}

/// Guest memory the kernel and init need besides the initramfs.
const KERNEL_NEEDS_MIB: u64 = 16;

/// The launcher's warning before boot when an initramfs of `bytes` cannot
/// fit in `mem`: QEMU loads the archive into guest memory and the kernel
/// copies its files out of it, so the guest needs about twice its size
/// plus the kernel's own. (The guest then says so itself and stops.)
pub fn initramfs_warning(bytes: u64, mem: MemSize) -> Option<String> {
    let image_mib = bytes.div_ceil(1 << 20);
    let need_mib = 2 * image_mib + KERNEL_NEEDS_MIB;
    (need_mib > mem.mib()).then(|| {
        format!(
            "ringo: warning: the initramfs is {image_mib} MiB, which needs about {need_mib} MiB of guest memory (loaded, then unpacked) and --mem is {} MiB",
            mem.mib()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mib(text: &str) -> Result<u64, MemSizeError> {
        text.parse::<MemSize>().map(MemSize::mib)
    }

    #[test]
    fn accepts_mib_gib_and_plain_numbers() {
        assert_eq!(mib("512M"), Ok(512));
        assert_eq!(mib("512m"), Ok(512));
        assert_eq!(mib("128MiB"), Ok(128));
        assert_eq!(mib("1G"), Ok(1024));
        assert_eq!(mib("2gib"), Ok(2048));
        assert_eq!(mib("256"), Ok(256));
        assert_eq!(mib(" 64 "), Ok(64));
    }

    #[test]
    fn rejects_nonsense() {
        assert_eq!(mib(""), Err(MemSizeError::Empty));
        assert_eq!(mib("M"), Err(MemSizeError::NotANumber("M".into())));
        assert_eq!(mib("-5M"), Err(MemSizeError::NotANumber("-5M".into())));
        assert_eq!(mib("1.5G"), Err(MemSizeError::UnknownUnit(".5G".into())));
        assert_eq!(mib("12K"), Err(MemSizeError::UnknownUnit("K".into())));
        assert_eq!(mib("0"), Err(MemSizeError::Zero));
        assert_eq!(mib("0G"), Err(MemSizeError::Zero));
        assert!(matches!(mib("99999999999999999999M"), Err(MemSizeError::TooLarge(_))));
        assert!(matches!(mib("18014398509481984T"), Err(MemSizeError::TooLarge(_))));
    }

    #[test]
    fn qemu_gets_mebibytes() {
        assert_eq!(MemSize::default().qemu_arg(), "256M");
        assert_eq!(mib("1G").map(|m| MemSize::from_mib(m).map(MemSize::qemu_arg)), Ok(Some("1024M".into())));
    }

    #[test]
    fn an_initramfs_too_big_for_the_memory_is_warned_about() {
        let m256 = MemSize::from_mib(256).expect("256");
        assert_eq!(initramfs_warning(100 << 20, m256), None, "100 MiB loaded and unpacked fits in 256");
        let w = initramfs_warning(1800 << 20, m256).expect("1.8 GB does not fit in 256 MiB");
        assert!(w.contains("1800 MiB") && w.contains("3616 MiB") && w.contains("--mem is 256 MiB"), "{w}");
        assert!(initramfs_warning(121 << 20, m256).is_some(), "121 MiB twice plus the kernel is past 256");
    }
}
