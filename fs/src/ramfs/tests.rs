use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{O_APPEND, O_RDWR, O_WRONLY, RAMFS_MAGIC, makedev};

use super::RamFs;
use crate::dirent::{fill_getdents64, parse_getdents64};
use crate::fdtable::OpenFile;
use crate::vfs::test_support::{World, contents, ramfs, read_all, ticking_clock};
use crate::vfs::{
    Device, DeviceRegistry, Inode, InodeKind, NewKind, NewNode, OpenFlags, ReadBuf, SetAttr, TimeChange, Timespec,
    WriteBuf,
};

fn write_at(node: &dyn Inode, offset: u64, data: &[u8]) -> usize {
    let mut src = data;
    node.write_at(offset, &mut src, OpenFlags::default()).expect("write")
}

#[test]
fn sparse_writes_fill_the_gap_with_zeros() {
    let fs = ramfs();
    let f = fs.root().create(b"f", NewNode::file(0o644)).expect("create");
    assert_eq!(write_at(&*f, 5, b"xy"), 2);
    assert_eq!(contents(&*f), b"\0\0\0\0\0xy");
    assert_eq!(write_at(&*f, 1, b"a"), 1);
    assert_eq!(contents(&*f), b"\0a\0\0\0xy");
    let m = f.metadata();
    assert_eq!((m.size, m.blocks), (7, 1));
}

#[test]
fn reads_stop_at_the_end() {
    let fs = ramfs();
    let f = fs.root().create(b"f", NewNode::file(0o644)).expect("create");
    write_at(&*f, 0, b"hello");
    let mut buf = [0u8; 3];
    assert_eq!(f.read_at(3, &mut &mut buf[..], OpenFlags::default()), Ok(2));
    assert_eq!(&buf[..2], b"lo");
    assert_eq!(f.read_at(5, &mut &mut buf[..], OpenFlags::default()), Ok(0));
    assert_eq!(f.read_at(u64::MAX, &mut &mut buf[..], OpenFlags::default()), Ok(0));
    let mut src: &[u8] = b"x";
    assert_eq!(f.write_at(u64::MAX, &mut src, OpenFlags::default()), Err(Errno::EFBIG));
}

#[test]
fn set_len_grows_with_zeros_and_shrinks() {
    let fs = ramfs();
    let f = fs.root().create(b"f", NewNode::file(0o644)).expect("create");
    write_at(&*f, 0, b"abcdef");
    f.set_len(3).expect("shrink");
    assert_eq!(contents(&*f), b"abc");
    f.set_len(5).expect("grow");
    assert_eq!(contents(&*f), b"abc\0\0");
    let dir = fs.root().create(b"d", NewNode::dir(0o755)).expect("dir");
    assert_eq!(dir.set_len(0), Err(Errno::EISDIR));
}

#[test]
fn unlinked_files_live_while_open() {
    let w = World::new();
    w.file("/f", b"still here");
    let open = w.open("/f", O_RDWR).expect("open");
    w.ctx().unlink(b"/f").expect("unlink");
    assert_eq!(w.resolve("/f").err(), Some(Errno::ENOENT));
    assert_eq!(read_all(&open), b"still here");
    let mut src: &[u8] = b"!";
    assert_eq!(open.write(&mut src), Ok(1));
    let m = open.metadata();
    assert_eq!((m.nlink, m.size), (0, 11));
    // A new file under the old name is a different inode.
    w.file("/f", b"new");
    assert_ne!(w.resolve("/f").expect("f").node_id(), open.inode().node_id());
    // An inode without names cannot get one back.
    assert_eq!(w.root.link(b"again", open.inode()), Err(Errno::ENOENT));
}

#[test]
fn timestamps_come_from_the_clock() {
    let fs = RamFs::new(Arc::new(DeviceRegistry::new()), ticking_clock);
    let root = fs.root();
    let before = root.metadata().mtime;
    let f = root.create(b"f", NewNode::file(0o644)).expect("create");
    let created = f.metadata();
    assert!(created.mtime > Timespec::ZERO && created.mtime == created.ctime);
    assert!(root.metadata().mtime > before, "creating an entry changes the directory");
    write_at(&*f, 0, b"x");
    let written = f.metadata();
    assert!(written.mtime > created.mtime && written.ctime > created.ctime);
    assert_eq!(written.atime, created.atime);
    let t = Timespec::new(42, 7);
    f.set_attr(&SetAttr { mtime: Some(TimeChange::At(t)), atime: Some(TimeChange::Now), ..SetAttr::default() })
        .expect("utimens");
    let m = f.metadata();
    assert_eq!(m.mtime, t);
    assert!(m.atime > written.mtime && m.ctime > written.ctime);
}

#[test]
fn inode_numbers_are_unique_and_stable() {
    let fs = ramfs();
    let root = fs.root();
    let mut inos: Vec<u64> = (0..50)
        .map(|i| root.create(format!("f{i}").as_bytes(), NewNode::file(0o644)).expect("create").node_id().ino)
        .collect();
    inos.push(root.node_id().ino);
    let count = inos.len();
    inos.sort_unstable();
    inos.dedup();
    assert_eq!(inos.len(), count);
    assert_eq!(root.lookup(b"f3").expect("f3").node_id(), root.lookup(b"f3").expect("f3").node_id());
    assert_eq!(root.node_id().dev, fs.dev());
    assert_ne!(ramfs().dev(), fs.dev());
}

#[test]
fn directory_link_counts() {
    let fs = ramfs();
    let root = fs.root();
    assert_eq!(root.metadata().nlink, 2);
    let d = root.create(b"d", NewNode::dir(0o755)).expect("d");
    root.create(b"e", NewNode::dir(0o755)).expect("e");
    root.create(b"f", NewNode::file(0o644)).expect("f");
    assert_eq!(root.metadata().nlink, 4);
    assert_eq!(d.metadata().nlink, 2);
    root.rmdir(b"e").expect("rmdir");
    assert_eq!(root.metadata().nlink, 3);
    assert_eq!(root.rmdir(b"f"), Err(Errno::ENOTDIR));
    assert_eq!(root.unlink(b"d"), Err(Errno::EISDIR));
    assert_eq!(root.create(b"d", NewNode::file(0o644)).err(), Some(Errno::EEXIST));
    assert_eq!(root.create(b"..", NewNode::file(0o644)).err(), Some(Errno::EEXIST));
    assert_eq!(root.create(&[b'n'; 256], NewNode::file(0o644)).err(), Some(Errno::ENAMETOOLONG));
    assert_eq!(d.parent().map(|(p, name)| (p.node_id(), name)), Some((root.node_id(), b"d".to_vec())));
    assert!(root.parent().is_none());
}

#[test]
fn readdir_survives_removal_between_calls() {
    let fs = ramfs();
    let root = fs.root();
    for i in 0..40 {
        root.create(format!("entry-{i:02}").as_bytes(), NewNode::file(0o644)).expect("create");
    }
    // rm -r's loop: read a buffer's worth, remove those, read on.
    let mut removed = 0;
    let mut pos = 0;
    loop {
        let mut buf = [0u8; 200];
        let (used, next) = fill_getdents64(&*root, pos, &mut &mut buf[..]).expect("getdents");
        if used == 0 {
            break;
        }
        for entry in parse_getdents64(&buf[..used]).expect("parse") {
            if entry.name != b"." && entry.name != b".." {
                root.unlink(&entry.name).expect("unlink");
                removed += 1;
            }
        }
        pos = next;
    }
    assert_eq!(removed, 40);
    let mut names = Vec::new();
    root.readdir(0, &mut |e| {
        names.push(e.name.to_vec());
        true
    })
    .expect("readdir");
    assert_eq!(names, vec![b".".to_vec(), b"..".to_vec()]);
}

#[test]
fn statfs_reports_ramfs() {
    let fs = ramfs();
    let sf = fs.root().statfs().expect("statfs");
    assert_eq!(sf.f_type, RAMFS_MAGIC);
    assert_eq!((sf.f_bsize, sf.f_namelen), (4096, 255));
    assert_eq!(fs.statfs(), sf);
}

struct Counter(spin::Mutex<Vec<u8>>);

impl Device for Counter {
    fn read(&self, offset: u64, buf: &mut dyn WriteBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        buf.write(&[offset as u8; 2])
    }

    fn write(&self, _offset: u64, buf: &mut dyn ReadBuf, _flags: OpenFlags) -> Result<usize, Errno> {
        let mut data = vec![0u8; buf.len()];
        let n = buf.read(&mut data)?;
        self.0.lock().extend_from_slice(&data[..n]);
        Ok(n)
    }
}

#[test]
fn device_nodes_reach_registered_drivers() {
    let registry = Arc::new(DeviceRegistry::new());
    let fs = RamFs::new(registry.clone(), ticking_clock);
    let root = fs.root();
    let rdev = makedev(10, 200);
    let node = root.create(b"dev", NewNode::new(NewKind::CharDevice(rdev), 0o600)).expect("mknod");
    let block = root.create(b"blk", NewNode::new(NewKind::BlockDevice(makedev(8, 0)), 0o600)).expect("mknod");
    assert_eq!(OpenFile::new(node.clone(), OpenFlags(O_RDWR), b"/dev".to_vec()).err(), Some(Errno::ENXIO));
    assert_eq!(OpenFile::new(block, OpenFlags(O_RDWR), b"/blk".to_vec()).err(), Some(Errno::ENXIO));
    let driver = Arc::new(Counter(spin::Mutex::new(Vec::new())));
    registry.register(rdev, driver.clone()).expect("register");
    let file = OpenFile::new(node.clone(), OpenFlags(O_RDWR), b"/dev".to_vec()).expect("open");
    let mut src: &[u8] = b"abc";
    assert_eq!(file.write(&mut src), Ok(3));
    assert_eq!(*driver.0.lock(), b"abc");
    let m = node.metadata();
    assert_eq!((m.kind, m.rdev, m.mode()), (InodeKind::CharDevice, rdev, 0o20600));
    assert_eq!(node.ioctl(0x5401, 0), Err(Errno::ENOTTY));
}

#[test]
fn append_writes_go_to_the_end() {
    let w = World::new();
    w.file("/log", b"one\n");
    let a = w.open("/log", O_WRONLY | O_APPEND).expect("a");
    let b = w.open("/log", O_WRONLY | O_APPEND).expect("b");
    let mut src: &[u8] = b"two\n";
    a.write(&mut src).expect("a writes");
    let mut src: &[u8] = b"three\n";
    b.write(&mut src).expect("b writes");
    assert_eq!(contents(&**w.resolve("/log").as_ref().expect("log")), b"one\ntwo\nthree\n");
    assert_eq!(b.offset(), 14);
}

#[test]
fn concurrent_creates_and_renames_do_not_deadlock() {
    let fs = ramfs();
    let root = fs.root();
    root.create(b"x", NewNode::dir(0o755)).expect("x");
    root.create(b"y", NewNode::dir(0o755)).expect("y");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let root = root.clone();
            std::thread::spawn(move || {
                let (x, y) = (root.lookup(b"x").expect("x"), root.lookup(b"y").expect("y"));
                for i in 0..200 {
                    let name = format!("t{t}-{i}");
                    x.create(name.as_bytes(), NewNode::file(0o644)).expect("create");
                    // Opposite directions per thread, which would deadlock with per-directory lock ordering bugs.
                    if t % 2 == 0 {
                        x.rename(name.as_bytes(), &y, name.as_bytes(), Default::default()).expect("x to y");
                    } else {
                        x.rename(name.as_bytes(), &y, name.as_bytes(), Default::default()).expect("x to y");
                        y.rename(name.as_bytes(), &x, name.as_bytes(), Default::default()).expect("y to x");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let count = |dir: &Arc<dyn Inode>| {
        let mut n = 0;
        dir.readdir(2, &mut |_| {
            n += 1;
            true
        })
        .expect("readdir");
        n
    };
    assert_eq!(count(&root.lookup(b"x").expect("x")), 400);
    assert_eq!(count(&root.lookup(b"y").expect("y")), 400);
}
