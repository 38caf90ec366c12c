//! Fixtures shared by the crate's tests: a clock, fresh file systems and a
//! namespace to resolve paths in.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, Ordering};

use super::{Creation, DeviceRegistry, Inode, Namespace, OpenFlags, PathContext, Timespec};
use crate::fdtable::OpenFile;
use crate::ramfs::RamFs;

/// A clock that moves forward one second per reading.
pub fn ticking_clock() -> Timespec {
    static TICKS: AtomicI64 = AtomicI64::new(1_000);
    Timespec::new(TICKS.fetch_add(1, Ordering::Relaxed), 500)
}

pub fn ramfs() -> RamFs {
    RamFs::new(Arc::new(DeviceRegistry::new()), ticking_clock)
}

/// A ramfs root in a namespace, with paths resolved from the root.
pub struct World {
    pub ns: Namespace,
    pub root: Arc<dyn Inode>,
}

impl World {
    pub fn new() -> Self {
        let root = ramfs().root();
        World { ns: Namespace::new(root.clone()), root }
    }

    pub fn ctx(&self) -> PathContext<'_> {
        PathContext::new(&self.ns, &self.root, &self.root)
    }

    pub fn open(&self, path: &str, flags: u32) -> Result<Arc<OpenFile>, ringo_uapi::Errno> {
        OpenFile::open(&self.ctx(), path.as_bytes(), OpenFlags(flags), Creation::new(0o644, 0, 0))
    }

    pub fn mkdir(&self, path: &str) {
        self.ctx().mkdir(path.as_bytes(), Creation::new(0o755, 0, 0)).expect("mkdir");
    }

    /// Creates a file with `data`.
    pub fn file(&self, path: &str, data: &[u8]) -> Arc<dyn Inode> {
        use ringo_uapi::fs::{O_CREAT, O_TRUNC, O_WRONLY};
        let f = self.open(path, O_CREAT | O_WRONLY | O_TRUNC).expect("create");
        let mut src = data;
        assert_eq!(f.write(&mut src), Ok(data.len()));
        f.inode().clone()
    }

    pub fn resolve(&self, path: &str) -> Result<Arc<dyn Inode>, ringo_uapi::Errno> {
        self.ctx().resolve(path.as_bytes(), true)
    }
}

/// Everything a node reads from offset 0.
pub fn contents(node: &dyn Inode) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = node.read_at(out.len() as u64, &mut &mut buf[..], OpenFlags::default()).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// Everything an open file reads from its current offset.
pub fn read_all(file: &OpenFile) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = file.read(&mut &mut buf[..]).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}
