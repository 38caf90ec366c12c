use alloc::vec;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::net::{AF_UNIX, Cmsghdr, SCM_CREDENTIALS, SCM_RIGHTS, SOL_SOCKET};

use super::cmsg::{self, max_fds, rights_reply};
use super::dgram::{MAX_DATAGRAM, MAX_DGRAM_QLEN};
use super::stream::{RCV_SHUTDOWN, Received, SEND_SHUTDOWN};
use super::*;
use crate::readiness::PollEvents;

const RDHUP: PollEvents = PollEvents::from_bits(0x2000);

fn sa(path: &[u8]) -> Vec<u8> {
    let mut v = AF_UNIX.to_ne_bytes().to_vec();
    v.extend_from_slice(path);
    v
}

fn recv(p: &mut Pair<u32>, side: usize, room: usize) -> Result<(Vec<u8>, Option<u32>), Errno> {
    let mut store = vec![0u8; room];
    let r = p.recv(side, &mut &mut store[..], false)?;
    store.truncate(r.len);
    Ok((store, r.rights))
}

fn send(p: &mut Pair<u32>, side: usize, data: &[u8], rights: Option<u32>) -> Result<usize, Errno> {
    let mut r = rights;
    p.send(side, &mut &data[..], &mut r)
}

#[test]
fn path_names_are_reported_with_one_nul_whatever_followed() {
    let a = UnixAddr::parse(&sa(b"sock\0junk")).expect("path");
    assert_eq!(a.kind(), AddrKind::Path(b"sock"));
    assert_eq!(a.len(), 2 + 4 + 1);
    assert_eq!(&a.as_bytes()[2..], b"sock\0");
    // No NUL in the given length: the name ends there.
    assert_eq!(UnixAddr::parse(&sa(b"ab")).expect("path").len(), 5);
    // A full 108-byte path is reported as 111 bytes, as Linux does.
    let full = UnixAddr::parse(&sa(&[b'x'; 108])).expect("path");
    assert_eq!(full.len(), 111);
    assert_eq!(full.kind(), AddrKind::Path(&[b'x'; 108]));
}

#[test]
fn abstract_names_are_every_byte_of_the_length() {
    let a = UnixAddr::parse(&sa(b"\0name\0x")).expect("abstract");
    assert_eq!(a.kind(), AddrKind::Abstract(b"name\0x"));
    assert_eq!(a.len(), 9);
    assert_ne!(a, UnixAddr::parse(&sa(b"\0name")).expect("abstract"));
    let unnamed = UnixAddr::parse(&sa(b"")).expect("unnamed");
    assert!(unnamed.is_empty());
    assert_eq!(unnamed.len(), 2);
}

#[test]
fn bad_addresses_are_einval() {
    assert_eq!(UnixAddr::parse(&[1]).err(), Some(Errno::EINVAL));
    assert_eq!(UnixAddr::parse(&[2, 0, b'a', 0]).err(), Some(Errno::EINVAL), "AF_INET");
    assert_eq!(UnixAddr::parse(&sa(&[b'x'; 109])).err(), Some(Errno::EINVAL), "111 bytes");
}

#[test]
fn names_are_taken_once_and_freed_by_unbind() {
    let mut t: NameTable<UnixAddr, u32> = NameTable::new();
    let a = UnixAddr::parse(&sa(b"\0x")).expect("abstract");
    assert_eq!(t.bind(a, 1), Ok(()));
    assert_eq!(t.bind(a, 2), Err(Errno::EADDRINUSE));
    assert_eq!(t.get(&a), Some(&1));
    assert_eq!(t.unbind(&a), Some(1));
    assert_eq!(t.bind(a, 3), Ok(()));
}

#[test]
fn autobind_names_are_five_hex_digits_and_skip_taken_ones() {
    let mut t: NameTable<UnixAddr, u32> = NameTable::new();
    let first = t.free_auto_name(0xabc).expect("free");
    assert_eq!(first.kind(), AddrKind::Abstract(b"00abc"));
    assert_eq!(first.len(), 8, "sun_path is the NUL and five digits");
    t.bind(first, 0).expect("bind");
    assert_eq!(t.free_auto_name(0xabc).expect("free").kind(), AddrKind::Abstract(b"00abd"));
    assert_eq!(t.free_auto_name(0xfffff).expect("free").kind(), AddrKind::Abstract(b"fffff"));
    assert_eq!(t.free_auto_name(0x1fffff).expect("free").kind(), AddrKind::Abstract(b"fffff"), "wraps at 2^20");
}

#[test]
fn backlog_n_holds_n_plus_one() {
    let mut b = Backlog::new(1);
    assert_eq!(b.push(1).ok(), Some(()));
    assert_eq!(b.push(2).ok(), Some(()));
    assert_eq!(b.push(3).err().map(|e| e.0), Some(Errno::EAGAIN));
    assert_eq!(b.pop(), Some(1));
    b.set_max(0);
    assert!(b.is_full());
    assert_eq!(b.take_all().len(), 1);
    assert!(b.is_empty());
}

#[test]
fn a_stream_glues_sends_and_keeps_order() {
    let mut p: Pair<u32> = Pair::new(false);
    assert_eq!(send(&mut p, 0, b"hello ", None), Ok(6));
    assert_eq!(send(&mut p, 0, b"world", None), Ok(5));
    assert_eq!(p.pending(1), 11);
    assert_eq!(recv(&mut p, 1, 8), Ok((b"hello wo".to_vec(), None)));
    assert_eq!(recv(&mut p, 1, 8), Ok((b"rld".to_vec(), None)));
    assert_eq!(recv(&mut p, 1, 8), Err(Errno::EAGAIN));
    assert_eq!(recv(&mut p, 0, 8), Err(Errno::EAGAIN), "the other direction is separate");
}

#[test]
fn descriptors_arrive_with_their_bytes_and_end_the_read() {
    let mut p: Pair<u32> = Pair::new(false);
    send(&mut p, 0, b"ab", None).expect("send");
    send(&mut p, 0, b"F", Some(7)).expect("send");
    send(&mut p, 0, b"cd", None).expect("send");
    assert_eq!(recv(&mut p, 1, 64), Ok((b"abF".to_vec(), Some(7))));
    assert_eq!(recv(&mut p, 1, 64), Ok((b"cd".to_vec(), None)));
    // Taken with the first byte of their send.
    send(&mut p, 0, b"xyz", Some(8)).expect("send");
    assert_eq!(recv(&mut p, 1, 1), Ok((b"x".to_vec(), Some(8))));
    assert_eq!(recv(&mut p, 1, 64), Ok((b"yz".to_vec(), None)));
}

#[test]
fn peeking_copies_descriptors_and_leaves_everything() {
    let mut p: Pair<u32> = Pair::new(false);
    send(&mut p, 0, b"pq", Some(3)).expect("send");
    let mut store = [0u8; 8];
    let r = p.recv(1, &mut &mut store[..], true).expect("peek");
    assert_eq!((r.len, r.rights), (2, Some(3)));
    assert_eq!(recv(&mut p, 1, 8), Ok((b"pq".to_vec(), Some(3))));
}

#[test]
fn a_full_direction_takes_what_fits_then_says_eagain() {
    let mut p: Pair<u32> = Pair::with_capacity(false, 100);
    assert!(p.poll(0).contains(PollEvents::WRITABLE));
    assert_eq!(send(&mut p, 0, &[1; 150], None), Ok(100));
    assert_eq!(send(&mut p, 0, b"x", None), Err(Errno::EAGAIN));
    assert!(!p.poll(0).intersects(PollEvents::OUT));
    assert!(!p.can_send(0));
    assert_eq!(recv(&mut p, 1, 80).map(|r| r.0.len()), Ok(80));
    assert!(p.poll(0).contains(PollEvents::WRITABLE), "a quarter or less is held");
    assert!(p.can_send(0));
}

#[test]
fn seqpacket_keeps_records_and_truncates() {
    let mut p: Pair<u32> = Pair::with_capacity(true, 100);
    assert_eq!(send(&mut p, 0, b"one", None), Ok(3));
    assert_eq!(send(&mut p, 0, b"three", None), Ok(5));
    assert_eq!(send(&mut p, 0, b"", None), Ok(0));
    assert_eq!(send(&mut p, 0, &[0; 101], None), Err(Errno::EMSGSIZE));
    assert_eq!(send(&mut p, 0, &[0; 95], None), Err(Errno::EAGAIN), "a record goes whole or not at all");
    let mut small = [0u8; 2];
    let r = p.recv(1, &mut &mut small[..], false).expect("record");
    assert_eq!((r.len, r.full_len), (2, 3));
    assert_eq!(recv(&mut p, 1, 64), Ok((b"three".to_vec(), None)));
    assert_eq!(recv(&mut p, 1, 64), Ok((Vec::new(), None)), "the empty record");
    assert_eq!(recv(&mut p, 1, 64), Err(Errno::EAGAIN));
}

#[test]
fn shutdown_write_gives_the_peer_eof_and_the_writer_epipe() {
    let mut p: Pair<u32> = Pair::new(false);
    send(&mut p, 0, b"last", None).expect("send");
    p.shutdown(0, SEND_SHUTDOWN);
    assert_eq!(send(&mut p, 0, b"x", None), Err(Errno::EPIPE));
    let ev = p.poll(1);
    assert!(ev.contains(PollEvents::READABLE | RDHUP) && !ev.contains(PollEvents::HUP));
    assert_eq!(recv(&mut p, 1, 64), Ok((b"last".to_vec(), None)));
    assert_eq!(recv(&mut p, 1, 64), Ok((Vec::new(), None)));
    assert_eq!(send(&mut p, 1, b"back", None), Ok(4), "the other direction still works");
    // SHUT_RD on side 1 stops side 0's... nothing more (already shut); on side 0 it stops side 1's writes.
    p.shutdown(0, RCV_SHUTDOWN);
    assert_eq!(send(&mut p, 1, b"x", None), Err(Errno::EPIPE));
    assert!(p.poll(0).contains(PollEvents::HUP));
}

#[test]
fn close_hangs_up_the_peer_and_resets_it_if_data_was_left() {
    let mut p: Pair<u32> = Pair::new(false);
    send(&mut p, 0, b"for 1", None).expect("send");
    let left = p.close(0, false);
    assert!(left.is_empty());
    let ev = p.poll(1);
    assert!(ev.contains(PollEvents::HUP | RDHUP | PollEvents::READABLE | PollEvents::WRITABLE));
    assert!(!ev.contains(PollEvents::ERR));
    assert_eq!(recv(&mut p, 1, 64), Ok((b"for 1".to_vec(), None)), "what was sent stays readable");
    assert_eq!(recv(&mut p, 1, 64), Ok((Vec::new(), None)));
    assert_eq!(send(&mut p, 1, b"x", None), Err(Errno::EPIPE));

    let mut q: Pair<u32> = Pair::new(false);
    send(&mut q, 1, b"never read", Some(9)).expect("send");
    let left = q.close(0, false);
    assert_eq!(left.len(), 1, "the descriptors come back to be dropped");
    assert!(q.poll(1).contains(PollEvents::ERR));
    assert_eq!(recv(&mut q, 1, 64), Err(Errno::ECONNRESET));
    assert_eq!(recv(&mut q, 1, 64), Ok((Vec::new(), None)), "reported once");

    let mut r: Pair<u32> = Pair::new(false);
    r.close(1, true);
    assert_eq!(recv(&mut r, 0, 64), Err(Errno::ECONNRESET), "never accepted");
}

#[test]
fn a_failed_copy_keeps_the_data() {
    struct Faulty;
    impl crate::vfs::ReadBuf for Faulty {
        fn len(&self) -> usize {
            4
        }
        fn read(&mut self, _: &mut [u8]) -> Result<usize, Errno> {
            Err(Errno::EFAULT)
        }
    }
    let mut p: Pair<u32> = Pair::new(false);
    let mut rights = Some(1);
    assert_eq!(p.send(0, &mut Faulty, &mut rights), Err(Errno::EFAULT));
    assert_eq!(rights, Some(1), "descriptors stay with the sender");
    assert_eq!(p.pending(1), 0);
    send(&mut p, 0, b"ok", None).expect("send");
    struct Full;
    impl crate::vfs::WriteBuf for Full {
        fn len(&self) -> usize {
            4
        }
        fn write(&mut self, _: &[u8]) -> Result<usize, Errno> {
            Err(Errno::EFAULT)
        }
    }
    assert_eq!(p.recv(1, &mut Full, false), Err(Errno::EFAULT));
    assert_eq!(p.pending(1), 2);
    assert_eq!(p.recv(1, &mut &mut [0u8; 4][..], false), Ok(Received { len: 2, full_len: 2, rights: None }));
}

#[test]
fn datagrams_keep_boundaries_and_senders() {
    let mut q: DgramQueue<u8, u32> = DgramQueue::new();
    for (i, msg) in [&b"one"[..], b"", b"three"].iter().enumerate() {
        let d = Datagram::read(&mut &msg[..], i as u8, None).expect("read");
        assert!(q.push(d, false).is_ok());
    }
    assert_eq!(q.next_len(), 3);
    let first = q.pop().expect("one");
    assert_eq!((first.data.as_slice(), first.from), (&b"one"[..], 0));
    assert_eq!(q.pop().map(|d| d.data.len()), Some(0), "empty datagrams are datagrams");
    assert_eq!(q.front().map(|d| d.from), Some(2));
    assert_eq!(q.pop().map(|d| d.data), Some(b"three".to_vec()));
    assert!(q.is_empty());
}

#[test]
fn a_receiver_takes_eleven_from_strangers_and_more_from_its_peer() {
    let mut q: DgramQueue<u8, u32> = DgramQueue::new();
    for _ in 0..=MAX_DGRAM_QLEN {
        assert!(q.push(Datagram { data: vec![0; 10], from: 0, rights: None }, false).is_ok());
    }
    let refused = q.push(Datagram { data: vec![0; 10], from: 0, rights: Some(5) }, false);
    let (e, back) = refused.expect_err("full");
    assert_eq!((e, back.rights), (Errno::EAGAIN, Some(5)));
    assert!(q.push(Datagram { data: vec![0; 10], from: 1, rights: None }, true).is_ok());
    assert_eq!(q.take_all().len(), MAX_DGRAM_QLEN + 2);
}

#[test]
fn oversized_datagrams_are_emsgsize() {
    let big = vec![0u8; MAX_DATAGRAM + 1];
    assert_eq!(Datagram::<u8, u32>::read(&mut &big[..], 0, None).err(), Some(Errno::EMSGSIZE));
    let max = vec![0u8; MAX_DATAGRAM];
    let mut q: DgramQueue<u8, u32> = DgramQueue::new();
    let d = Datagram::<u8, u32>::read(&mut &max[..], 0, None).expect("fits");
    assert!(q.push(d, false).is_ok(), "an empty queue takes the largest");
    assert!(q.is_full_for(100, true), "then the bytes are used up");
}

fn cmsg_bytes(level: i32, ty: i32, data: &[u8]) -> Vec<u8> {
    let mut v = Cmsghdr { len: Cmsghdr::len_for(data.len()) as u64, level, ty }.to_bytes().to_vec();
    v.extend_from_slice(data);
    v.resize(Cmsghdr::space_for(data.len()), 0);
    v
}

fn fds(list: &[i32]) -> Vec<u8> {
    list.iter().flat_map(|f| f.to_ne_bytes()).collect()
}

#[test]
fn scm_rights_gathers_descriptors_over_messages() {
    let mut buf = cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&[3, 4]));
    buf.extend(cmsg_bytes(99, 1, b"skipped"));
    buf.extend(cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&[5])));
    let c = cmsg::parse(&buf).expect("parse");
    assert_eq!(c.rights, vec![3, 4, 5]);
    assert_eq!(c.creds, None);
    // Fewer than a header's bytes: no message at all.
    assert_eq!(cmsg::parse(&buf[..15]).map(|c| c.rights.len()), Ok(0));
    let creds = cmsg::parse(&cmsg_bytes(SOL_SOCKET, SCM_CREDENTIALS, &fds(&[7, 0, 0]))).expect("creds");
    assert_eq!(creds.creds.map(|c| c.pid), Some(7));
}

#[test]
fn bad_control_messages_are_einval() {
    let mut short = cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&[3]));
    short[0] = 8; // cmsg_len below the header
    assert_eq!(cmsg::parse(&short), Err(Errno::EINVAL));
    let mut long = cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&[3]));
    long[0] = 200; // past the buffer
    assert_eq!(cmsg::parse(&long), Err(Errno::EINVAL));
    assert_eq!(cmsg::parse(&cmsg_bytes(SOL_SOCKET, 77, b"")), Err(Errno::EINVAL), "unknown type");
    assert_eq!(cmsg::parse(&cmsg_bytes(SOL_SOCKET, SCM_CREDENTIALS, b"1234")), Err(Errno::EINVAL));
    let many: Vec<i32> = (0..254).collect();
    assert_eq!(cmsg::parse(&cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&many))), Err(Errno::EINVAL));
    let mut two = cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&many[..200]));
    two.extend(cmsg_bytes(SOL_SOCKET, SCM_RIGHTS, &fds(&many[..54])));
    assert_eq!(cmsg::parse(&two), Err(Errno::EINVAL), "253 over all messages");
}

#[test]
fn the_rights_reply_fits_the_room_as_linux_does() {
    assert_eq!(max_fds(16), 0);
    assert_eq!(max_fds(20), 1);
    assert_eq!(max_fds(24), 2);
    let r = rights_reply(&[5], 1, 24).expect("reply");
    assert_eq!((r.used, r.truncated, r.bytes.len()), (24, false, 20));
    assert_eq!(Cmsghdr::from_bytes(&r.bytes), Some(Cmsghdr { len: 20, level: SOL_SOCKET, ty: SCM_RIGHTS }));
    assert_eq!(&r.bytes[16..], &5i32.to_ne_bytes());
    assert_eq!(rights_reply(&[5], 1, 20).expect("reply").used, 20, "CMSG_LEN room is enough");
    let cut = rights_reply(&[5], 2, 20).expect("reply");
    assert!(cut.truncated);
    let none = rights_reply(&[], 1, 0).expect("reply");
    assert_eq!((none.used, none.truncated), (0, true), "no room: MSG_CTRUNC");
    assert!(!rights_reply(&[], 0, 0).expect("reply").truncated);
}
