use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU8, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::{O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, SEEK_SET, makedev};
use spin::Mutex;

use super::*;
use crate::fdtable::OpenFile;
use crate::vfs::test_support::ticking_clock;
use crate::vfs::{Creation, InodeKind, Namespace, OpenFlags, PathContext};

struct FakeConsole {
    output: Mutex<Vec<u8>>,
    input: Mutex<Vec<u8>>,
    ioctls: Mutex<Vec<(u32, usize)>>,
}

impl Console for FakeConsole {
    fn write(&self, buf: &mut dyn ReadBuf) -> Result<usize, Errno> {
        let mut data = vec![0u8; buf.len()];
        let n = buf.read(&mut data)?;
        self.output.lock().extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn read(&self, buf: &mut dyn WriteBuf, nonblock: bool) -> Result<usize, Errno> {
        let mut input = self.input.lock();
        if input.is_empty() {
            return if nonblock { Err(Errno::EAGAIN) } else { Ok(0) };
        }
        let n = buf.write(&input)?;
        input.drain(..n);
        Ok(n)
    }

    fn ioctl(&self, cmd: u32, arg: usize) -> Result<usize, Errno> {
        self.ioctls.lock().push((cmd, arg));
        if cmd == 0x5413 { Ok(0) } else { Err(Errno::ENOTTY) }
    }
}

/// Counts up from 1, so tests can tell where every byte came from.
struct Sequence(AtomicU8);

impl RandomSource for Sequence {
    fn fill(&self, out: &mut [u8]) {
        for b in out {
            *b = self.0.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
        }
    }
}

struct Dev {
    console: Arc<FakeConsole>,
    registry: Arc<DeviceRegistry>,
    fs: RamFs,
    ns: Namespace,
}

impl Dev {
    fn new() -> Self {
        let console = Arc::new(FakeConsole {
            output: Mutex::new(Vec::new()),
            input: Mutex::new(b"typed".to_vec()),
            ioctls: Mutex::new(Vec::new()),
        });
        let registry = Arc::new(DeviceRegistry::new());
        register_devices(&registry, Arc::new(Sequence(AtomicU8::new(0))), console.clone()).expect("register");
        let fs = new_devfs(registry.clone(), ticking_clock).expect("devfs");
        let ns = Namespace::new(fs.root());
        Dev { console, registry, fs, ns }
    }

    fn open(&self, name: &str, flags: u32) -> Result<Arc<OpenFile>, Errno> {
        let root = self.fs.root();
        let ctx = PathContext::new(&self.ns, &root, &root);
        OpenFile::open(&ctx, name.as_bytes(), OpenFlags(flags), Creation::new(0o644, 0, 0))
    }
}

/// A source that records whether anyone looked at its bytes.
struct Untouchable {
    len: usize,
    read: bool,
}

impl ReadBuf for Untouchable {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&mut self, _out: &mut [u8]) -> Result<usize, Errno> {
        self.read = true;
        Err(Errno::EFAULT)
    }
}

#[test]
fn null_discards_without_reading_and_reads_eof() {
    let dev = Dev::new();
    let null = dev.open("/null", O_RDWR).expect("open");
    let mut src = Untouchable { len: 40, read: false };
    assert_eq!(null.write(&mut src), Ok(40));
    assert!(!src.read, "the buffer must not be copied");
    let mut buf = [7u8; 40];
    assert_eq!(null.read(&mut &mut buf[..]), Ok(0));
    assert_eq!(buf, [7u8; 40]);
    let m = null.metadata();
    assert_eq!((m.kind, m.rdev, m.mode()), (InodeKind::CharDevice, makedev(1, 3), 0o20666));
}

#[test]
fn zero_and_full() {
    let dev = Dev::new();
    let zero = dev.open("/zero", O_RDWR).expect("zero");
    let mut buf = [9u8; 1000];
    assert_eq!(zero.read(&mut &mut buf[..]), Ok(1000));
    assert!(buf.iter().all(|&b| b == 0));
    let mut src: &[u8] = b"ignored";
    assert_eq!(zero.write(&mut src), Ok(7));

    let full = dev.open("/full", O_RDWR).expect("full");
    let mut src: &[u8] = b"x";
    assert_eq!(full.write(&mut src), Err(Errno::ENOSPC));
    let mut buf = [9u8; 300];
    assert_eq!(full.read(&mut &mut buf[..]), Ok(300));
    assert!(buf.iter().all(|&b| b == 0));
    assert_eq!(full.lseek(0, SEEK_SET), Ok(0));
}

#[test]
fn random_bytes_come_from_the_source() {
    let dev = Dev::new();
    let urandom = dev.open("/urandom", O_RDONLY).expect("urandom");
    let mut buf = [0u8; 300];
    assert_eq!(urandom.read(&mut &mut buf[..]), Ok(300));
    let expected: Vec<u8> = (1..=300u32).map(|i| i as u8).collect();
    assert_eq!(buf.to_vec(), expected);
    let random = dev.open("/random", O_RDONLY).expect("random");
    let mut small = [0u8; 2];
    assert_eq!(random.read(&mut &mut small[..]), Ok(2));
    assert_eq!(small, [45, 46], "both nodes draw from the same source");
}

#[test]
fn console_passes_everything_through() {
    let dev = Dev::new();
    let console = dev.open("/console", O_RDWR).expect("console");
    let mut src: &[u8] = b"hello\n";
    assert_eq!(console.write(&mut src), Ok(6));
    assert_eq!(*dev.console.output.lock(), b"hello\n");
    let mut buf = [0u8; 16];
    assert_eq!(console.read(&mut &mut buf[..]), Ok(5));
    assert_eq!(&buf[..5], b"typed");
    assert_eq!(console.ioctl(0x5413, 0x1000), Ok(0));
    assert_eq!(console.ioctl(0x1234, 1), Err(Errno::ENOTTY));
    assert_eq!(*dev.console.ioctls.lock(), vec![(0x5413, 0x1000), (0x1234, 1)]);
    assert_eq!(console.lseek(0, SEEK_SET), Err(Errno::ESPIPE));
    assert_eq!(console.pread(&mut &mut buf[..], 0), Err(Errno::ESPIPE));
    let tty = dev.open("/tty", O_RDWR | O_NONBLOCK).expect("tty");
    assert_eq!(tty.read(&mut &mut buf[..]), Err(Errno::EAGAIN), "O_NONBLOCK reaches the console");
    let mut src: &[u8] = b"!";
    tty.write(&mut src).expect("tty write");
    assert_eq!(*dev.console.output.lock(), b"hello\n!");
}

#[test]
fn standard_entries_exist() {
    let dev = Dev::new();
    let root = dev.fs.root();
    let ctx = PathContext::new(&dev.ns, &root, &root);
    assert_eq!(ctx.readlink(b"/fd"), Ok(b"/proc/self/fd".to_vec()));
    assert_eq!(ctx.readlink(b"/stderr"), Ok(b"/proc/self/fd/2".to_vec()));
    assert_eq!(ctx.resolve(b"/shm", true).map(|d| d.metadata().mode()), Ok(0o41777));
    assert_eq!(dev.open("/console", O_WRONLY).map(|f| f.metadata().perm), Ok(0o600));
    // Populating again keeps what is there.
    assert_eq!(populate(&root), Ok(()));
}

#[test]
fn nodes_from_elsewhere_reach_the_same_drivers() {
    let dev = Dev::new();
    // An initramfs often carries its own dev/console node.
    let rootfs = RamFs::new(dev.registry.clone(), ticking_clock);
    let node = rootfs
        .root()
        .create(b"console", crate::vfs::NewNode::new(crate::vfs::NewKind::CharDevice(numbers::CONSOLE), 0o600))
        .expect("mknod");
    let file = OpenFile::new(node, OpenFlags(O_WRONLY), b"/dev/console".to_vec()).expect("open");
    let mut src: &[u8] = b"via initramfs";
    file.write(&mut src).expect("write");
    assert_eq!(*dev.console.output.lock(), b"via initramfs");
    assert_eq!(
        register_devices(&dev.registry, Arc::new(Sequence(AtomicU8::new(0))), dev.console.clone()),
        Err(Errno::EBUSY)
    );
}
