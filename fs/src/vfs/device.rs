//! Character devices: the driver interface, the registry that maps device
//! numbers to drivers (what a device node's rdev means), and device numbers
//! for file systems that have no disk.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::makedev;
use spin::RwLock;

use super::buf::{ReadBuf, WriteBuf};
use super::flags::OpenFlags;

/// A character device driver. Every node with its number (in any file
/// system) reaches the same driver.
pub trait Device: Send + Sync {
    fn read(&self, offset: u64, buf: &mut dyn WriteBuf, flags: OpenFlags) -> Result<usize, Errno>;

    fn write(&self, offset: u64, buf: &mut dyn ReadBuf, flags: OpenFlags) -> Result<usize, Errno>;

    fn ioctl(&self, _cmd: u32, _arg: usize) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }

    /// Terminals are streams (lseek: ESPIPE); memory devices are not.
    fn seekable(&self) -> bool {
        true
    }

    /// Readiness for poll: memory devices are always ready.
    fn poll(&self) -> crate::readiness::PollEvents {
        crate::readiness::PollEvents::READABLE | crate::readiness::PollEvents::WRITABLE
    }

    /// The key woken when readiness changes (`None`: it never does).
    fn wait_key(&self) -> Option<u64> {
        None
    }
}

/// The character device table. The kernel keeps one and hands it to every
/// file system that can hold device nodes.
#[derive(Default)]
pub struct DeviceRegistry {
    chars: RwLock<BTreeMap<u64, Arc<dyn Device>>>,
}

impl DeviceRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// EBUSY if the number already has a driver.
    pub fn register(&self, rdev: u64, device: Arc<dyn Device>) -> Result<(), Errno> {
        let mut chars = self.chars.write();
        if chars.contains_key(&rdev) {
            return Err(Errno::EBUSY);
        }
        chars.insert(rdev, device);
        Ok(())
    }

    pub fn get(&self, rdev: u64) -> Option<Arc<dyn Device>> {
        self.chars.read().get(&rdev).cloned()
    }
}

/// A fresh st_dev for a memory file system (major 0, like Linux's anonymous
/// block devices).
pub fn alloc_anon_dev() -> u64 {
    static NEXT_MINOR: AtomicU32 = AtomicU32::new(16);
    makedev(0, NEXT_MINOR.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;

    impl Device for Echo {
        fn read(&self, _offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
            buf.write(b"e")
        }

        fn write(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
            Ok(buf.len())
        }
    }

    #[test]
    fn numbers_register_once() {
        let reg = DeviceRegistry::new();
        assert!(reg.get(makedev(1, 3)).is_none());
        assert_eq!(reg.register(makedev(1, 3), Arc::new(Echo)), Ok(()));
        assert_eq!(reg.register(makedev(1, 3), Arc::new(Echo)), Err(Errno::EBUSY));
        let dev = reg.get(makedev(1, 3)).expect("registered");
        let mut out = [0u8; 2];
        assert_eq!(dev.read(0, &mut &mut out[..], OpenFlags::default()), Ok(1));
        assert_eq!(out[0], b'e');
    }

    #[test]
    fn anonymous_devices_differ() {
        assert_ne!(alloc_anon_dev(), alloc_anon_dev());
    }
}
