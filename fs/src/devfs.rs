//! devfs: the standard device nodes. The drivers are registered by number
//! in the kernel's [`DeviceRegistry`] (so a /dev/console node that came in
//! the initramfs reaches the same driver), and /dev itself is a ramfs with
//! the nodes made, like Linux's devtmpfs.

mod console;
mod memory;

use alloc::sync::Arc;

use crate::ramfs::RamFs;
use crate::vfs::{Clock, DeviceRegistry, Inode, NewKind, NewNode, ReadBuf, WriteBuf};
use ringo_uapi::Errno;

pub use console::ConsoleDevice;
pub use memory::{Full, Null, Random, Zero};

/// Device numbers (Documentation/admin-guide/devices.txt).
pub mod numbers {
    use ringo_uapi::fs::makedev;

    pub const NULL: u64 = makedev(1, 3);
    pub const ZERO: u64 = makedev(1, 5);
    pub const FULL: u64 = makedev(1, 7);
    pub const RANDOM: u64 = makedev(1, 8);
    pub const URANDOM: u64 = makedev(1, 9);
    pub const TTY: u64 = makedev(5, 0);
    pub const CONSOLE: u64 = makedev(5, 1);
}

/// The kernel's terminal: the serial port or virtio console behind
/// /dev/console and /dev/tty.
pub trait Console: Send + Sync {
    fn write(&self, buf: &mut dyn ReadBuf) -> Result<usize, Errno>;

    /// May block until input arrives unless `nonblock` (then EAGAIN).
    fn read(&self, buf: &mut dyn WriteBuf, nonblock: bool) -> Result<usize, Errno>;

    /// Terminal ioctls (TCGETS, TCSETS*, TIOCGWINSZ...), `arg` being the
    /// user pointer. Unknown ones: ENOTTY.
    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno>;

    /// Readiness for poll (default: always ready).
    fn poll(&self) -> crate::readiness::PollEvents {
        crate::readiness::PollEvents::READABLE | crate::readiness::PollEvents::WRITABLE
    }

    /// The key woken when input arrives.
    fn wait_key(&self) -> Option<u64> {
        None
    }
}

/// Random bytes for /dev/random and /dev/urandom (RDRAND, a seeded CSPRNG...).
pub trait RandomSource: Send + Sync {
    fn fill(&self, out: &mut [u8]);
}

/// Registers the memory devices and the console under their Linux numbers.
pub fn register_devices(
    registry: &DeviceRegistry,
    random: Arc<dyn RandomSource>,
    console: Arc<dyn Console>,
) -> Result<(), Errno> {
    registry.register(numbers::NULL, Arc::new(Null))?;
    registry.register(numbers::ZERO, Arc::new(Zero))?;
    registry.register(numbers::FULL, Arc::new(Full))?;
    registry.register(numbers::RANDOM, Arc::new(Random(random.clone())))?;
    registry.register(numbers::URANDOM, Arc::new(Random(random)))?;
    let console: Arc<ConsoleDevice> = Arc::new(ConsoleDevice(console));
    registry.register(numbers::TTY, console.clone())?;
    registry.register(numbers::CONSOLE, console)
}

/// Makes the standard /dev entries in `dir`: the device nodes, /dev/fd and
/// /dev/std{in,out,err} (symlinks into /proc/self/fd), /dev/shm and /dev/pts.
/// Entries that already exist are left as they are.
pub fn populate(dir: &Arc<dyn Inode>) -> Result<(), Errno> {
    let nodes: [(&[u8], u64, u32); 7] = [
        (b"null", numbers::NULL, 0o666),
        (b"zero", numbers::ZERO, 0o666),
        (b"full", numbers::FULL, 0o666),
        (b"random", numbers::RANDOM, 0o666),
        (b"urandom", numbers::URANDOM, 0o666),
        (b"tty", numbers::TTY, 0o666),
        (b"console", numbers::CONSOLE, 0o600),
    ];
    for (name, rdev, perm) in nodes {
        keep_existing(dir.create(name, NewNode::new(NewKind::CharDevice(rdev), perm)))?;
    }
    let links: [(&[u8], &[u8]); 4] = [
        (b"fd", b"/proc/self/fd"),
        (b"stdin", b"/proc/self/fd/0"),
        (b"stdout", b"/proc/self/fd/1"),
        (b"stderr", b"/proc/self/fd/2"),
    ];
    for (name, target) in links {
        keep_existing(dir.create(name, NewNode::symlink(target)))?;
    }
    keep_existing(dir.create(b"shm", NewNode::dir(0o1777)))?;
    keep_existing(dir.create(b"pts", NewNode::dir(0o755)))?;
    Ok(())
}

fn keep_existing(made: Result<Arc<dyn Inode>, Errno>) -> Result<(), Errno> {
    match made {
        Ok(_) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// A ready /dev: a fresh ramfs (reaching drivers through `devices`) with
/// [`populate`] applied. Mount its root on /dev.
pub fn new_devfs(devices: Arc<DeviceRegistry>, clock: Clock) -> Result<RamFs, Errno> {
    let fs = RamFs::new(devices, clock);
    populate(&fs.root())?;
    Ok(fs)
}

#[cfg(test)]
mod tests;
