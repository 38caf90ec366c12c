use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY, S_IFIFO, SEEK_SET};
use ringo_uapi::tty::FIONREAD;

use super::*;
use crate::readiness::{PollEvents, test_hooks};
use crate::vfs::test_support::World;
use crate::vfs::{Creation, NewKind, NewNode};

fn read_all(f: &OpenFile, room: usize) -> Result<Vec<u8>, Errno> {
    let mut store = vec![0u8; room];
    let n = f.read(&mut &mut store[..])?;
    store.truncate(n);
    Ok(store)
}

fn write(f: &OpenFile, data: &[u8]) -> Result<usize, Errno> {
    f.write(&mut &data[..])
}

fn queued(f: &OpenFile) -> i32 {
    test_hooks::install();
    let mut n: i32 = -1;
    assert_eq!(f.ioctl(FIONREAD, &mut n as *mut i32 as usize), Ok(0));
    n
}

#[test]
fn capacity_is_sixteen_pages() {
    let (r, w) = pipe2(0).expect("pipe");
    let page = [7u8; PIPE_BUF];
    for _ in 0..16 {
        assert_eq!(write(&w, &page), Ok(PIPE_BUF));
    }
    assert_eq!(write(&w, b"x"), Err(Errno::EAGAIN));
    assert_eq!(queued(&r), 65536);
    assert!(!w.poll().intersects(PollEvents::OUT));
    assert_eq!(read_all(&r, PIPE_BUF).map(|v| v.len()), Ok(PIPE_BUF));
    assert!(w.poll().contains(PollEvents::WRITABLE));

    let (_r2, w2) = pipe2(0).expect("pipe");
    let big = vec![1u8; 70_000];
    assert_eq!(write(&w2, &big), Ok(PIPE_DEFAULT_SIZE), "a large write fills the pipe and stops");
    assert_eq!(write(&w2, b"x"), Err(Errno::EAGAIN));
}

#[test]
fn writes_up_to_pipe_buf_are_all_or_nothing() {
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    let fill = vec![0u8; PIPE_DEFAULT_SIZE - 100];
    assert_eq!(write(&w, &fill), Ok(fill.len()));
    assert_eq!(write(&w, &[1u8; 200]), Err(Errno::EAGAIN));
    assert_eq!(queued(&r), PIPE_DEFAULT_SIZE as i32 - 100, "nothing of the refused write went in");
    assert_eq!(write(&w, &[1u8; 100]), Ok(100));

    // Larger than PIPE_BUF: as much as fits.
    let (_r, w) = pipe2(0).expect("pipe");
    assert_eq!(write(&w, &vec![0u8; PIPE_DEFAULT_SIZE - 536]), Ok(PIPE_DEFAULT_SIZE - 536));
    assert_eq!(write(&w, &[2u8; 8192]), Ok(536));
}

#[test]
fn empty_pipe_waits_while_a_writer_lives_then_reads_eof() {
    let (r, w) = pipe2(0).expect("pipe");
    assert_eq!(read_all(&r, 10), Err(Errno::EAGAIN));
    assert_eq!(r.poll(), PollEvents::empty());
    assert_eq!(write(&w, b"abc"), Ok(3));
    assert!(r.poll().contains(PollEvents::READABLE));
    let dup = w.clone();
    drop(w);
    assert_eq!(read_all(&r, 1), Ok(b"a".to_vec()));
    drop(dup);
    assert!(r.poll().contains(PollEvents::READABLE | PollEvents::HUP));
    assert_eq!(read_all(&r, 10), Ok(b"bc".to_vec()), "data written before the close is still read");
    assert_eq!(read_all(&r, 10), Ok(Vec::new()), "then end of file");
    assert_eq!(r.poll(), PollEvents::HUP);
}

#[test]
fn writing_without_readers_is_epipe() {
    let (r, w) = pipe2(0).expect("pipe");
    assert_eq!(w.poll(), PollEvents::WRITABLE);
    drop(r);
    assert_eq!(write(&w, b"x"), Err(Errno::EPIPE));
    assert!(w.poll().contains(PollEvents::ERR));
    assert_eq!(write(&w, b""), Ok(0), "an empty write succeeds whatever the readers");
}

#[test]
fn pipes_are_streams() {
    let (r, w) = pipe2(O_CLOEXEC | O_NONBLOCK).expect("pipe");
    assert_eq!(r.lseek(0, SEEK_SET), Err(Errno::ESPIPE));
    assert_eq!(w.pwrite(&mut &b"x"[..], 0), Err(Errno::ESPIPE));
    assert_eq!(write(&r, b"x"), Err(Errno::EBADF), "the read end is read-only");
    assert_eq!(read_all(&w, 1), Err(Errno::EBADF), "the write end is write-only");
    assert!(r.flags().nonblock() && w.flags().nonblock());
    let m = r.metadata();
    assert_eq!(m.mode(), S_IFIFO | 0o600);
    assert_eq!(m.id(), w.metadata().id(), "both ends are one inode");
    let name = alloc::format!("pipe:[{}]", m.ino);
    assert_eq!(r.path(), name.as_bytes());
    assert_eq!(pipe2(O_DIRECT).err(), Some(Errno::EINVAL));
    assert_eq!(pipe2(O_RDWR).err(), Some(Errno::EINVAL));
}

#[test]
fn reads_and_writes_wake_the_pipe_key() {
    test_hooks::install();
    let (r, w) = pipe2(0).expect("pipe");
    let key = r.wait_key().expect("pipes have a wait key");
    assert_eq!(w.wait_key(), Some(key));
    let before = test_hooks::wakes(key);
    assert_eq!(write(&w, b"hello"), Ok(5));
    assert_eq!(test_hooks::wakes(key), before + 1);
    assert_eq!(read_all(&r, 2), Ok(b"he".to_vec()));
    assert_eq!(test_hooks::wakes(key), before + 2);
    assert_eq!(read_all(&w, 2), Err(Errno::EBADF));
    assert_eq!(write(&w, &vec![0u8; PIPE_DEFAULT_SIZE]), Ok(PIPE_DEFAULT_SIZE - 3));
    assert_eq!(write(&w, b"x"), Err(Errno::EAGAIN));
    assert_eq!(test_hooks::wakes(key), before + 3, "a refused write changes nothing");
    drop(w);
    assert_eq!(test_hooks::wakes(key), before + 4, "the last writer's close wakes readers");
}

#[test]
fn interleaved_small_writes_and_reads_keep_order() {
    let (r, w) = pipe2(0).expect("pipe");
    let mut writer = Some(w);
    let stream: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut sent = 0;
    let mut got = Vec::new();
    for step in 1usize.. {
        if let Some(w) = &writer {
            let chunk = (step * 37 % 900 + 1).min(stream.len() - sent);
            match write(w, &stream[sent..sent + chunk]) {
                Ok(n) => sent += n,
                Err(e) => assert_eq!(e, Errno::EAGAIN),
            }
            if sent == stream.len() {
                writer = None;
            }
        }
        match read_all(&r, step * 53 % 1500 + 1) {
            Ok(bytes) if bytes.is_empty() => break,
            Ok(bytes) => got.extend_from_slice(&bytes),
            Err(e) => assert_eq!(e, Errno::EAGAIN),
        }
    }
    assert_eq!(got.len(), stream.len());
    assert!(got == stream, "bytes came out in the order they went in");
}

#[test]
fn dup_shares_one_count_and_reopen_adds_one() {
    let (r, w) = pipe2(0).expect("pipe");
    // Reopening /proc/self/fd/N opens the pipe inode again.
    let again = OpenFile::new(w.inode().clone(), OpenFlags(O_WRONLY), b"again".to_vec()).expect("reopen");
    drop(w);
    assert_eq!(read_all(&r, 1), Err(Errno::EAGAIN), "a writer remains");
    assert_eq!(write(&again, b"z"), Ok(1));
    drop(again);
    assert_eq!(read_all(&r, 4), Ok(b"z".to_vec()));
    assert_eq!(read_all(&r, 4), Ok(Vec::new()));
}

#[test]
fn pipe_size_can_change() {
    let (r, w) = pipe2(0).expect("pipe");
    let pipe = pipe_of(r.inode()).expect("an unnamed pipe");
    assert_eq!(pipe.capacity(), PIPE_DEFAULT_SIZE);
    assert_eq!(pipe.set_capacity(5000), Ok(8192));
    assert_eq!(pipe.set_capacity(0), Ok(4096));
    assert_eq!(write(&w, &[0u8; 5000]), Ok(4096));
    assert_eq!(pipe.set_capacity(PIPE_MAX_SIZE * 2), Err(Errno::EPERM));
    assert_eq!(pipe.set_capacity(PIPE_MAX_SIZE), Ok(PIPE_MAX_SIZE));
    assert_eq!(write(&w, &[0u8; 5000]), Ok(5000));
    assert_eq!(pipe.set_capacity(4096), Err(Errno::EBUSY));
    let world = World::new();
    let file = world.open("/f", O_RDWR | ringo_uapi::fs::O_CREAT).expect("file");
    assert!(pipe_of(file.inode()).is_none());
}

fn fifo_world() -> World {
    let world = World::new();
    world.root.create(b"fifo", NewNode::new(NewKind::Fifo, 0o644)).expect("mkfifo");
    world
}

fn open_fifo(world: &World, flags: u32) -> Result<Arc<OpenFile>, Errno> {
    OpenFile::open(&world.ctx(), b"/fifo", OpenFlags(flags), Creation::new(0o644, 0, 0))
}

#[test]
fn fifo_opens_follow_linux_rules() {
    let world = fifo_world();
    assert_eq!(open_fifo(&world, O_WRONLY | O_NONBLOCK).err(), Some(Errno::ENXIO), "no reader yet");
    let r = open_fifo(&world, O_RDONLY | O_NONBLOCK).expect("reader");
    assert_eq!(read_all(&r, 4), Ok(Vec::new()), "a non-blocking reader sees EOF without writers");
    assert_eq!(r.poll(), PollEvents::empty(), "no hang-up before any writer came");
    let w = open_fifo(&world, O_WRONLY | O_NONBLOCK).expect("writer, now that a reader exists");
    assert_eq!(write(&w, b"via fifo"), Ok(8));
    assert_eq!(read_all(&r, 64), Ok(b"via fifo".to_vec()));
    drop(w);
    assert_eq!(r.poll(), PollEvents::HUP);
    let fstat = r.metadata();
    let node = world.root.lookup(b"fifo").expect("lookup").metadata();
    assert_eq!((fstat.id(), fstat.mode()), (node.id(), S_IFIFO | 0o644), "fstat shows the FIFO's node");
    let rw = open_fifo(&world, O_RDWR | O_NONBLOCK).expect("O_RDWR never waits");
    assert_eq!(write(&rw, b"self"), Ok(4));
    assert_eq!(read_all(&rw, 8), Ok(b"self".to_vec()));
}

#[test]
fn blocking_fifo_opens_wait_for_the_other_side_at_first_io() {
    let world = fifo_world();
    // Linux would block these opens; here the first I/O waits instead.
    let w = open_fifo(&world, O_WRONLY).expect("writer");
    assert_eq!(write(&w, b"x"), Err(Errno::EAGAIN), "not EPIPE: no reader has come yet");
    assert_eq!(w.poll(), PollEvents::empty());
    let r = open_fifo(&world, O_RDONLY).expect("reader");
    assert_eq!(write(&w, b"late"), Ok(4));
    assert_eq!(read_all(&r, 8), Ok(b"late".to_vec()));
    drop(w);
    assert_eq!(read_all(&r, 8), Ok(Vec::new()), "the writer came and went: EOF");

    let r2 = open_fifo(&world, O_RDONLY).expect("reader");
    drop(r);
    assert_eq!(read_all(&r2, 8), Err(Errno::EAGAIN), "a blocking reader waits for its first writer");
    let w2 = open_fifo(&world, O_WRONLY).expect("writer");
    drop(w2);
    assert_eq!(read_all(&r2, 8), Ok(Vec::new()));
}
