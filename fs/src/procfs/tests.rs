use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, Ordering};

use ringo_uapi::Errno;
use ringo_uapi::fs::{O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY, PROC_SUPER_MAGIC, SEEK_SET};
use spin::Mutex;

use super::*;
use crate::dirent::parse_getdents64;
use crate::fdtable::OpenFile;
use crate::vfs::test_support::{World, read_all, ticking_clock};
use crate::vfs::{InodeKind, OpenFlags, same_inode};

/// /proc/<pid> for a fixed set of pids, each with a `status` file.
struct Pids(Vec<u32>);

impl DirSource for Pids {
    fn list(&self) -> Vec<(Vec<u8>, InodeKind)> {
        self.0.iter().map(|p| (format!("{p}").into_bytes(), InodeKind::Dir)).collect()
    }

    fn lookup(&self, dir: &Arc<ProcDir>, name: &[u8]) -> Result<Arc<dyn Inode>, Errno> {
        let pid: u32 = core::str::from_utf8(name).ok().and_then(|s| s.parse().ok()).ok_or(Errno::ENOENT)?;
        if !self.0.contains(&pid) {
            return Err(Errno::ENOENT);
        }
        let proc_dir = dir.new_dir(name, 0o555, None);
        proc_dir.add_file(b"status", 0o444, move || Ok(format!("Pid:\t{pid}\n").into_bytes()))?;
        Ok(proc_dir)
    }
}

/// A /proc mounted on a ramfs root, with a counter-driven `uptime`.
struct Mounted {
    world: World,
    proc: ProcFs,
    ticks: Arc<AtomicU32>,
}

fn mounted() -> Mounted {
    let world = World::new();
    world.mkdir("/proc");
    let proc = ProcFs::new(ticking_clock);
    let ticks = Arc::new(AtomicU32::new(0));
    let t = ticks.clone();
    proc.root()
        .add_file(b"uptime", 0o444, move || Ok(format!("{}.00 0.00\n", t.fetch_add(1, Ordering::Relaxed)).into_bytes()))
        .expect("uptime");
    proc.root().add_dir(b"pids", 0o555, Some(Arc::new(Pids(vec![1, 42])))).expect("pids");
    proc.root().add_symlink(b"self", || Ok(b"pids/42".to_vec())).expect("self");
    let point = world.resolve("/proc").expect("/proc");
    world.ns.mount(&point, proc.root_inode()).expect("mount");
    Mounted { world, proc, ticks }
}

#[test]
fn generated_files_read_with_offsets() {
    let proc = ProcFs::new(ticking_clock);
    let text: Vec<u8> = (0..200).map(|i| b'a' + (i % 26) as u8).collect();
    let expected = text.clone();
    let file = proc.root().add_file(b"big", 0o444, move || Ok(text.clone())).expect("file");
    let open = OpenFile::new(file.clone(), OpenFlags(O_RDONLY), b"/proc/big".to_vec()).expect("open");
    let mut buf = [0u8; 7];
    assert_eq!(open.pread(&mut &mut buf[..], 190), Ok(7));
    assert_eq!(&buf, &expected[190..197]);
    assert_eq!(open.pread(&mut &mut buf[..], 198), Ok(2));
    assert_eq!(open.pread(&mut &mut buf[..], 500), Ok(0));
    assert_eq!(read_all(&open), expected);
    let m = open.metadata();
    assert_eq!((m.kind, m.size, m.perm), (InodeKind::File, 0, 0o444));
    assert_eq!(file.statfs().map(|s| s.f_type), Ok(PROC_SUPER_MAGIC));
}

#[test]
fn contents_are_a_snapshot_until_reread_from_zero() {
    let m = mounted();
    let open = m.world.open("/proc/uptime", O_RDONLY).expect("open");
    assert_eq!(m.ticks.load(Ordering::Relaxed), 1, "generated once, at open");
    let mut buf = [0u8; 3];
    assert_eq!(open.read(&mut &mut buf[..]), Ok(3));
    assert_eq!(&buf, b"0.0");
    assert_eq!(read_all(&open), b"0 0.00\n", "the rest of the same snapshot");
    assert_eq!(m.ticks.load(Ordering::Relaxed), 1);
    open.lseek(0, SEEK_SET).expect("rewind");
    assert_eq!(read_all(&open), b"1.00 0.00\n", "reading from 0 again regenerates");
    let other = m.world.open("/proc/uptime", O_RDONLY).expect("second open");
    assert_eq!(read_all(&other), b"2.00 0.00\n");
}

#[test]
fn dynamic_directories_list_and_look_up() {
    let m = mounted();
    let status = m.world.open("/proc/pids/42/status", O_RDONLY).expect("status");
    assert_eq!(read_all(&status), b"Pid:\t42\n");
    assert_eq!(status.path(), b"/proc/pids/42/status");
    assert_eq!(m.world.resolve("/proc/pids/7").err(), Some(Errno::ENOENT));
    // The same path stats the same however often the node is made.
    let a = m.world.resolve("/proc/pids/1").expect("1");
    let b = m.world.resolve("/proc/pids/1").expect("1 again");
    assert!(same_inode(&*a, &*b));

    let dir = m.world.open("/proc/pids", O_RDONLY).expect("dir");
    let mut buf = [0u8; 512];
    let used = dir.getdents64(&mut &mut buf[..]).expect("getdents");
    let entries = parse_getdents64(&buf[..used]).expect("parse");
    let names: Vec<_> = entries.iter().map(|e| e.name.clone()).collect();
    assert_eq!(names, vec![b".".to_vec(), b"..".to_vec(), b"1".to_vec(), b"42".to_vec()]);
    assert_eq!(entries[2].ino, a.node_id().ino, "listing and lookup agree on inode numbers");

    let root = m.world.open("/proc", O_RDONLY).expect("proc root");
    let used = root.getdents64(&mut &mut buf[..]).expect("getdents");
    let kinds: Vec<_> = parse_getdents64(&buf[..used]).expect("parse").into_iter().map(|e| (e.name, e.kind)).collect();
    assert!(kinds.contains(&(b"self".to_vec(), ringo_uapi::fs::DT_LNK)));
    assert!(kinds.contains(&(b"uptime".to_vec(), ringo_uapi::fs::DT_REG)));
}

#[test]
fn computed_symlinks_and_mount_paths() {
    let m = mounted();
    let ctx = m.world.ctx();
    assert_eq!(ctx.readlink(b"/proc/self"), Ok(b"pids/42".to_vec()));
    let status = m.world.open("/proc/self/status", O_RDONLY).expect("through /proc/self");
    assert_eq!(read_all(&status), b"Pid:\t42\n");
    let me = m.world.resolve("/proc/self").expect("self dir");
    assert_eq!(ctx.path_of(&me), Ok(b"/proc/pids/42".to_vec()));
    assert!(same_inode(&*m.world.resolve("/proc/self/../..").expect(".."), &*m.proc.root_inode()));
    assert!(same_inode(&*m.world.resolve("/proc/..").expect("out"), &*m.world.root));
    assert_eq!(ctx.mkdir(b"/proc/new", crate::vfs::Creation::new(0o755, 0, 0)).err(), Some(Errno::EACCES));
    assert_eq!(ctx.unlink(b"/proc/uptime"), Err(Errno::EACCES));
}

#[test]
fn magic_links_lead_to_the_object() {
    let m = mounted();
    let file = m.world.file("/tmpfile", b"secret");
    m.world.ctx().unlink(b"/tmpfile").expect("unlink");
    let target = file.clone();
    let fd_dir = m.proc.root().add_dir(b"fd", 0o500, None).expect("fd");
    fd_dir
        .add(b"3", fd_dir.new_magic_link(b"3", || Ok(b"/tmpfile (deleted)".to_vec()), move || Ok(target.clone())))
        .expect("link");
    let ctx = m.world.ctx();
    assert_eq!(ctx.readlink(b"/proc/fd/3"), Ok(b"/tmpfile (deleted)".to_vec()));
    let reopened = m.world.open("/proc/fd/3", O_RDONLY).expect("reopen a deleted file");
    assert_eq!(read_all(&reopened), b"secret");
    assert_eq!(reopened.path(), b"/tmpfile (deleted)");
    assert!(same_inode(&**reopened.inode(), &*file));
}

#[test]
fn writable_files_hand_writes_to_the_kernel() {
    let proc = ProcFs::new(ticking_clock);
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let file = proc.root().new_rw_file(
        b"oom_score_adj",
        0o644,
        || Ok(b"0\n".to_vec()),
        move |bytes| {
            sink.lock().extend_from_slice(bytes);
            Ok(())
        },
    );
    proc.root().add(b"oom_score_adj", file.clone()).expect("add");
    let open = OpenFile::new(file, OpenFlags(O_WRONLY | O_TRUNC), b"/proc/oom_score_adj".to_vec()).expect("open");
    let mut src: &[u8] = b"-1000\n";
    assert_eq!(open.write(&mut src), Ok(6));
    assert_eq!(*got.lock(), b"-1000\n");

    let ro = proc.root().add_file(b"ro", 0o444, || Ok(Vec::new())).expect("ro");
    assert_eq!(OpenFile::new(ro.clone(), OpenFlags(O_RDWR), b"/proc/ro".to_vec()).err(), Some(Errno::EACCES));
    assert_eq!(proc.root().add(b"ro", ro).err(), Some(Errno::EEXIST));
    assert_eq!(proc.root().remove(b"ro"), Ok(()));
    assert_eq!(proc.root().remove(b"ro"), Err(Errno::ENOENT));
}

#[test]
fn generator_errors_fail_the_open() {
    let proc = ProcFs::new(ticking_clock);
    let gone = proc.root().add_file(b"gone", 0o444, || Err(Errno::ESRCH)).expect("add");
    assert_eq!(OpenFile::new(gone, OpenFlags(O_RDONLY), Vec::new()).err(), Some(Errno::ESRCH));
}

#[test]
fn inode_numbers_are_a_function_of_the_path_and_distinct() {
    // 20,000 process directories of 8 files each, as a long-lived server's
    // churn makes them: no two numbers meet, none is the root's, and the
    // number of a name depends on its directory.
    let mut seen = alloc::collections::BTreeSet::new();
    for pid in 1..20_000u32 {
        let dir = ino_hash(1, format!("{pid}").as_bytes());
        assert!(seen.insert(dir));
        for name in ["status", "stat", "comm", "maps", "auxv", "cmdline", "exe", "fd"] {
            assert!(seen.insert(ino_hash(dir, name.as_bytes())), "pid {pid} {name}");
        }
    }
    assert!(!seen.contains(&1));
    assert_eq!(ino_hash(7, b"x"), ino_hash(7, b"x"));
    assert!(seen.iter().all(|&i| i < 1 << 63));
}
