use alloc::sync::Arc;

use ringo_uapi::Errno;
use ringo_uapi::fs::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_GETLK, F_SETFD, F_SETFL, FD_CLOEXEC, O_APPEND, O_CLOEXEC, O_CREAT,
    O_DIRECTORY, O_LARGEFILE, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE,
    SEEK_SET,
};

use super::{DEFAULT_NOFILE, FdTable, OpenFile};
use crate::dirent::parse_getdents64;
use crate::vfs::test_support::{World, read_all};

fn world_with_file() -> (World, Arc<OpenFile>) {
    let w = World::new();
    w.file("/f", b"0123456789");
    let f = w.open("/f", O_RDWR).expect("open");
    (w, f)
}

fn table_with(file: &Arc<OpenFile>, n: usize) -> FdTable {
    let mut t = FdTable::new();
    for i in 0..n {
        assert_eq!(t.insert(file.clone(), false), Ok(i as i32));
    }
    t
}

#[test]
fn lowest_free_number_and_close() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 4);
    assert!(t.close(1).is_ok());
    assert_eq!(t.close(1).err(), Some(Errno::EBADF));
    assert_eq!(t.close(-1).err(), Some(Errno::EBADF));
    assert_eq!(t.close(999).err(), Some(Errno::EBADF));
    assert_eq!(t.insert(f.clone(), false), Ok(1));
    assert_eq!(t.insert(f.clone(), false), Ok(4));
    assert_eq!(t.get(7).err(), Some(Errno::EBADF));
    assert_eq!(t.count(), 5);
}

#[test]
fn dup_family() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 3);
    t.set_cloexec(0, true).expect("cloexec");
    assert_eq!(t.dup(0), Ok(3));
    assert_eq!(t.cloexec(3), Ok(false), "dup clears close-on-exec");
    assert_eq!(t.dup(42).err(), Some(Errno::EBADF));

    let (n, old) = t.dup2(0, 0).expect("same fd");
    assert_eq!(n, 0);
    assert!(old.is_none());
    assert_eq!(t.dup2(9, 9).err(), Some(Errno::EBADF), "dup2 checks the old fd even when equal");
    let (n, old) = t.dup2(0, 2).expect("over an open fd");
    assert_eq!(n, 2);
    assert!(old.is_some(), "the replaced file comes back to be dropped");
    assert_eq!(t.dup2(0, 10).map(|r| r.0), Ok(10));
    assert_eq!(t.dup2(0, DEFAULT_NOFILE as i32).err(), Some(Errno::EBADF));
    assert_eq!(t.dup2(0, -1).err(), Some(Errno::EBADF));

    assert_eq!(t.dup3(0, 0, 0).err(), Some(Errno::EINVAL));
    assert_eq!(t.dup3(0, 5, O_NONBLOCK).err(), Some(Errno::EINVAL));
    assert_eq!(t.dup3(0, 5, O_CLOEXEC).map(|r| r.0), Ok(5));
    assert_eq!(t.cloexec(5), Ok(true));
}

#[test]
fn duplicates_share_the_offset() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 1);
    let second = t.dup(0).expect("dup");
    let mut buf = [0u8; 4];
    t.get(0).expect("fd 0").read(&mut &mut buf[..]).expect("read");
    assert_eq!(&buf, b"0123");
    t.get(second).expect("dup").read(&mut &mut buf[..]).expect("read");
    assert_eq!(&buf, b"4567");
    assert_eq!(t.get(0).expect("fd 0").lseek(0, SEEK_CUR), Ok(8));
}

#[test]
fn fcntl_commands() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 3);
    assert_eq!(t.fcntl(0, F_DUPFD, 10), Ok(10));
    assert_eq!(t.fcntl(0, F_DUPFD, 10), Ok(11));
    assert_eq!(t.fcntl(0, F_DUPFD, 1), Ok(3));
    assert_eq!(t.fcntl(0, F_DUPFD_CLOEXEC, 0), Ok(4));
    assert_eq!(t.fcntl(4, F_GETFD, 0), Ok(FD_CLOEXEC as usize));
    assert_eq!(t.fcntl(0, F_GETFD, 0), Ok(0));
    assert_eq!(t.fcntl(0, F_SETFD, FD_CLOEXEC as u64), Ok(0));
    assert_eq!(t.cloexec(0), Ok(true));
    assert_eq!(t.fcntl(0, F_DUPFD, DEFAULT_NOFILE as u64).err(), Some(Errno::EINVAL));
    assert_eq!(t.fcntl(0, F_DUPFD, u64::MAX).err(), Some(Errno::EINVAL));
    assert_eq!(t.fcntl(99, F_GETFD, 0).err(), Some(Errno::EBADF));

    assert_eq!(t.fcntl(0, F_GETFL, 0), Ok((O_RDWR | O_LARGEFILE) as usize));
    // Only status flags change; the access mode stays.
    assert_eq!(t.fcntl(0, F_SETFL, (O_APPEND | O_NONBLOCK | O_WRONLY | O_CREAT) as u64), Ok(0));
    assert_eq!(t.fcntl(1, F_GETFL, 0), Ok((O_RDWR | O_LARGEFILE | O_APPEND | O_NONBLOCK) as usize));
    assert_eq!(t.fcntl(0, F_GETLK, 0).err(), Some(Errno::EINVAL));
    assert_eq!(t.fcntl(0, 0xdead, 0).err(), Some(Errno::EINVAL));
}

#[test]
fn descriptor_limit() {
    let (_w, f) = world_with_file();
    let mut t = FdTable::new();
    t.set_limit(3).expect("limit");
    for _ in 0..3 {
        t.insert(f.clone(), false).expect("under the limit");
    }
    assert_eq!(t.insert(f.clone(), false).err(), Some(Errno::EMFILE));
    assert_eq!(t.dup(0).err(), Some(Errno::EMFILE));
    assert_eq!(t.fcntl(0, F_DUPFD, 1).err(), Some(Errno::EMFILE));
    assert_eq!(t.fcntl(0, F_DUPFD, 3).err(), Some(Errno::EINVAL));
    t.close(1).expect("close");
    assert_eq!(t.dup(0), Ok(1));
    assert_eq!(t.set_limit(usize::MAX).err(), Some(Errno::EPERM));
}

#[test]
fn exec_sweep_and_fork_copy() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 4);
    t.set_cloexec(1, true).expect("1");
    t.set_cloexec(3, true).expect("3");
    let child = t.clone();
    let closed = t.close_on_exec();
    assert_eq!(closed.len(), 2);
    assert_eq!(t.iter().map(|(fd, _)| fd).collect::<Vec<_>>(), vec![0, 2]);
    // The fork copy is independent but shares the open files (and their offsets).
    assert_eq!(child.count(), 4);
    let mut buf = [0u8; 3];
    child.get(3).expect("child fd").read(&mut &mut buf[..]).expect("read");
    assert_eq!(t.get(0).expect("parent fd").offset(), 3);
}

#[test]
fn close_range_closes_what_is_open() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 6);
    assert_eq!(t.close_range(1, 3).map(|v| v.len()), Ok(3));
    assert_eq!(t.close_range(4, u32::MAX).map(|v| v.len()), Ok(2));
    assert_eq!(t.close_range(3, 1).err(), Some(Errno::EINVAL));
    assert_eq!(t.iter().map(|(fd, _)| fd).collect::<Vec<_>>(), vec![0]);
}

#[test]
fn close_range_cloexec_marks_without_closing() {
    let (_w, f) = world_with_file();
    let mut t = table_with(&f, 6);
    assert_eq!(t.set_cloexec_range(2, u32::MAX), Ok(()));
    assert_eq!(t.set_cloexec_range(3, 1), Err(Errno::EINVAL));
    assert_eq!(t.set_cloexec_range(100, 200), Ok(()));
    let marks: Vec<_> = (0..6).map(|fd| t.cloexec(fd)).collect();
    assert_eq!(marks, vec![Ok(false), Ok(false), Ok(true), Ok(true), Ok(true), Ok(true)]);
    assert_eq!(t.close_on_exec().len(), 4);
}

#[test]
fn read_write_and_seek() {
    let (w, f) = world_with_file();
    assert_eq!(f.lseek(4, SEEK_SET), Ok(4));
    assert_eq!(f.lseek(2, SEEK_CUR), Ok(6));
    assert_eq!(f.lseek(-1, SEEK_END), Ok(9));
    assert_eq!(f.lseek(-10, SEEK_CUR), Err(Errno::EINVAL));
    assert_eq!(f.lseek(0, 99), Err(Errno::EINVAL));
    assert_eq!(f.lseek(i64::MAX, SEEK_END), Err(Errno::EOVERFLOW));
    assert_eq!(f.lseek(20, SEEK_SET), Ok(20), "seeking past the end is allowed");
    let mut src: &[u8] = b"X";
    assert_eq!(f.write(&mut src), Ok(1));
    assert_eq!(f.metadata().size, 21);
    assert_eq!(f.lseek(3, SEEK_DATA), Ok(3));
    assert_eq!(f.lseek(3, SEEK_HOLE), Ok(21));
    assert_eq!(f.lseek(21, SEEK_DATA), Err(Errno::ENXIO));

    let mut buf = [0u8; 4];
    assert_eq!(f.pread(&mut &mut buf[..], 2), Ok(4));
    assert_eq!(&buf, b"2345");
    assert_eq!(f.offset(), 21, "pread leaves the offset");
    assert_eq!(f.pread(&mut &mut buf[..], -1), Err(Errno::EINVAL));
    let mut src: &[u8] = b"ab";
    assert_eq!(f.pwrite(&mut src, 0), Ok(2));
    assert_eq!(f.offset(), 21);
    f.lseek(0, SEEK_SET).expect("rewind");
    assert_eq!(&read_all(&f)[..4], b"ab23");

    // pwrite on an O_APPEND file appends, as Linux does.
    let app = w.open("/f", O_WRONLY | O_APPEND).expect("append");
    let mut src: &[u8] = b"END";
    assert_eq!(app.pwrite(&mut src, 0), Ok(3));
    assert_eq!(f.metadata().size, 24);
}

#[test]
fn access_modes_are_enforced() {
    let (w, _f) = world_with_file();
    let ro = w.open("/f", O_RDONLY).expect("ro");
    let wo = w.open("/f", O_WRONLY).expect("wo");
    let mut buf = [0u8; 2];
    let mut src: &[u8] = b"x";
    assert_eq!(ro.write(&mut src), Err(Errno::EBADF));
    assert_eq!(wo.read(&mut &mut buf[..]), Err(Errno::EBADF));
    assert_eq!(ro.truncate(0), Err(Errno::EINVAL));
    assert_eq!(wo.truncate(-1), Err(Errno::EINVAL));
    assert_eq!(wo.truncate(2), Ok(()));
    assert_eq!(ro.metadata().size, 2);

    let path = w.open("/f", O_PATH).expect("O_PATH");
    assert_eq!(path.read(&mut &mut buf[..]), Err(Errno::EBADF));
    assert_eq!(path.ioctl(0x5401, 0), Err(Errno::EBADF));
    assert_eq!(path.metadata().size, 2, "fstat works on O_PATH");

    let dir = w.open("/", O_RDONLY | O_DIRECTORY).expect("dir");
    assert_eq!(dir.read(&mut &mut buf[..]), Err(Errno::EISDIR));
    assert_eq!(ro.getdents64(&mut &mut buf[..]), Err(Errno::ENOTDIR));
    assert_eq!(ro.ioctl(0x5401, 0), Err(Errno::ENOTTY));
}

#[test]
fn directory_reading_through_an_open_file() {
    let w = World::new();
    w.file("/one", b"");
    w.mkdir("/two");
    let dir = w.open("/", O_RDONLY | O_DIRECTORY).expect("dir");
    let mut buf = [0u8; 1024];
    let used = dir.getdents64(&mut &mut buf[..]).expect("getdents");
    let names: Vec<_> = parse_getdents64(&buf[..used]).expect("parse").into_iter().map(|e| e.name).collect();
    assert_eq!(names, vec![b".".to_vec(), b"..".to_vec(), b"one".to_vec(), b"two".to_vec()]);
    assert_eq!(dir.getdents64(&mut &mut buf[..]), Ok(0));
    assert_eq!(dir.lseek(0, SEEK_SET), Ok(0), "rewinddir");
    assert_eq!(dir.getdents64(&mut &mut buf[..]), Ok(used));
    assert_eq!(dir.lseek(0, SEEK_END), Err(Errno::EINVAL));
    assert_eq!(dir.path(), b"/");
}
