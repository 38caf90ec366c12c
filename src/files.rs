//! The kernel's side of the file system: the mount namespace (a ramfs root
//! filled from the initramfs, devfs on /dev, procfs on /proc), each
//! process's descriptors and working directory, the console device and the
//! user-memory buffers file I/O reads and writes through.

use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use ringo_fs::devfs::{self, RandomSource};
use ringo_fs::fdtable::{FdTable, OpenFile};
use ringo_fs::procfs::ProcFs;
use ringo_fs::ramfs::RamFs;
use ringo_fs::vfs::{DeviceRegistry, Inode, Namespace, PathContext, ReadBuf, Timespec, WriteBuf};
use ringo_uapi::Errno;
use spin::Once;

use crate::arch::uaccess;
use crate::syscall::UserAddr;
use crate::usermem::{MappedFile, PageSource};

pub struct Vfs {
    pub ns: Namespace,
    pub root: Arc<dyn Inode>,
    pub procfs: ProcFs,
}

static VFS: Once<Vfs> = Once::new();

pub fn vfs() -> &'static Vfs {
    VFS.get().expect("file system mounted")
}

pub fn clock() -> Timespec {
    let ns = crate::time::realtime_ns();
    Timespec::new(ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000) as u32)
}

/// A process's descriptors and working directory.
pub struct Files {
    pub table: FdTable,
    pub cwd: Arc<dyn Inode>,
}

/// Runs `f` with a path context for the current process (root, cwd).
pub fn with_ctx<R>(f: impl FnOnce(&PathContext<'_>) -> R) -> R {
    let v = vfs();
    let cwd = match crate::process::try_current() {
        Some(p) => p.files.lock().cwd.clone(),
        None => v.root.clone(),
    };
    f(&PathContext::new(&v.ns, &v.root, &cwd))
}

struct KernelRandom;

impl RandomSource for KernelRandom {
    fn fill(&self, out: &mut [u8]) {
        crate::random::fill(out)
    }
}

/// Builds the namespace: ramfs root, the initramfs unpacked into it, /dev
/// and /proc mounted. Returns a line per problem in the initramfs.
pub fn mount_root(initrd: Option<&[u8]>) -> Result<(), Errno> {
    let devices = Arc::new(DeviceRegistry::new());
    devfs::register_devices(&devices, Arc::new(KernelRandom), crate::fshooks::console())?;
    let ramfs = RamFs::new(devices.clone(), clock);
    let root = ramfs.root();
    let free_before = crate::init::free_bytes();
    if let Some(bytes) = initrd
        && let Err(e) = ringo_fs::cpio::unpack(bytes, &root)
    {
        if let ringo_fs::cpio::CpioErrorKind::Fs { errno: Errno::ENOSPC | Errno::ENOMEM, .. } = e.kind {
            // The files were estimated to fit, but the heap's rounding
            // took more: the same answer as when the estimate says so.
            let need = ringo_fs::cpio::data_bytes(bytes).unwrap_or(bytes.len() as u64);
            crate::init::initramfs_too_big(need, free_before);
        }
        log::error!("initramfs: {e}");
    }
    let ns = Namespace::new(root.clone());
    let procfs = ProcFs::with_root_source(clock, Some(crate::procfs::pid_source()));
    for (name, fs_root) in [(&b"dev"[..], devfs::new_devfs(devices, clock)?.root()), (b"proc", procfs.root_inode())] {
        let point = match root.lookup(name) {
            Ok(p) => p,
            Err(_) => root.create(name, ringo_fs::vfs::NewNode::new(ringo_fs::vfs::NewKind::Dir, 0o755))?,
        };
        ns.mount(&point, fs_root)?;
    }
    VFS.call_once(|| Vfs { ns, root, procfs });
    crate::procfs::populate(&vfs().procfs);
    Ok(())
}

pub fn new_files() -> Files {
    Files { table: FdTable::new(), cwd: vfs().root.clone() }
}

/// User memory as the source of a write: a range checked to lie in user
/// space when it is made (the pages themselves fault, or not, when read).
#[derive(Clone, Copy)]
pub struct UserSrc {
    addr: u64,
    len: usize,
}

impl UserSrc {
    pub fn new(addr: UserAddr, len: usize) -> Result<Self, Errno> {
        addr.check_range(len)?;
        Ok(UserSrc { addr: addr.0, len })
    }

    /// What is left after the first `n` bytes.
    pub fn skip(&self, n: usize) -> Self {
        let n = n.min(self.len);
        UserSrc { addr: self.addr + n as u64, len: self.len - n }
    }
}

impl ReadBuf for UserSrc {
    fn len(&self) -> usize {
        self.len
    }

    fn read(&mut self, out: &mut [u8]) -> Result<usize, Errno> {
        let n = out.len().min(self.len);
        if !uaccess::copy_from_user(&mut out[..n], self.addr) {
            return Err(Errno::EFAULT);
        }
        self.addr += n as u64;
        self.len -= n;
        Ok(n)
    }
}

/// User memory as the destination of a read, checked as [`UserSrc`].
#[derive(Clone, Copy)]
pub struct UserDst {
    addr: u64,
    len: usize,
}

impl UserDst {
    pub fn new(addr: UserAddr, len: usize) -> Result<Self, Errno> {
        addr.check_range(len)?;
        Ok(UserDst { addr: addr.0, len })
    }
}

impl WriteBuf for UserDst {
    fn len(&self) -> usize {
        self.len
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, Errno> {
        let n = data.len().min(self.len);
        if !uaccess::copy_to_user(self.addr, &data[..n]) {
            return Err(Errno::EFAULT);
        }
        self.addr += n as u64;
        self.len -= n;
        Ok(n)
    }

    fn write_zeros(&mut self, n: usize) -> Result<usize, Errno> {
        let n = n.min(self.len);
        if !uaccess::clear_user(self.addr, n) {
            return Err(Errno::EFAULT);
        }
        self.addr += n as u64;
        self.len -= n;
        Ok(n)
    }
}

/// A file's bytes for a private mapping: read through its inode.
struct InodeSource {
    file: Arc<OpenFile>,
}

impl PageSource for InodeSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> usize {
        let mut dst: &mut [u8] = buf;
        self.file.inode().read_at(offset, &mut dst, self.file.flags()).unwrap_or(0)
    }

    fn name(&self) -> alloc::string::String {
        alloc::string::String::from_utf8_lossy(self.file.path()).into_owned()
    }
}

/// The file behind `fd`, for mmap.
pub fn page_source(fd: crate::syscall::Fd) -> Result<MappedFile, Errno> {
    let file = crate::process::current().files.lock().table.get(fd.0)?;
    if !file.flags().readable() {
        return Err(Errno::EACCES);
    }
    if file.inode().kind() != ringo_fs::vfs::InodeKind::File {
        return Err(Errno::ENODEV);
    }
    Ok(MappedFile(Arc::new(InodeSource { file })))
}

/// Reads a whole file (an executable) into memory.
pub fn read_all(node: &Arc<dyn Inode>) -> Result<Vec<u8>, Errno> {
    let size = node.metadata().size as usize;
    let mut bytes = vec![0u8; size];
    let mut dst: &mut [u8] = &mut bytes;
    let n = node.read_at(0, &mut dst, ringo_fs::vfs::OpenFlags(0))?;
    bytes.truncate(n);
    Ok(bytes)
}
