use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::events::{
    EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, EPOLLPRI, EPOLLRDHUP, EPOLLRDNORM, EPOLLWRNORM,
};
use ringo_uapi::fs::{O_CREAT, O_NONBLOCK, O_PATH, O_RDWR};

use super::*;
use crate::eventfd;
use crate::pipe::pipe2;
use crate::readiness::test_hooks;
use crate::vfs::test_support::World;

const ADD: i32 = EPOLL_CTL_ADD;
const DEL: i32 = EPOLL_CTL_DEL;
const MOD: i32 = EPOLL_CTL_MOD;

fn write(f: &OpenFile, data: &[u8]) {
    assert_eq!(f.write(&mut &data[..]), Ok(data.len()));
}

fn drain(f: &OpenFile) {
    let mut buf = [0u8; 256];
    while f.read(&mut &mut buf[..]).is_ok_and(|n| n > 0) {}
}

fn signal(f: &OpenFile, n: u64) {
    assert_eq!(f.write(&mut &n.to_le_bytes()[..]), Ok(8));
}

fn new_epoll() -> (Arc<OpenFile>, Arc<Epoll>) {
    let file = epoll_create1(0).expect("epoll_create1");
    let ep = epoll_of(&file).expect("an epoll");
    (file, ep)
}

#[test]
fn level_triggered_reports_while_ready() {
    let (_e, ep) = new_epoll();
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    assert_eq!(ep.ctl(ADD, 3, &r, EPOLLIN, 33), Ok(()));
    assert_eq!(ep.wait(8), []);
    assert!(!ep.has_ready());
    write(&w, b"hi");
    assert!(ep.has_ready());
    assert_eq!(ep.wait(8), [(EPOLLIN, 33)]);
    assert_eq!(ep.wait(8), [(EPOLLIN, 33)], "still ready, so reported again");
    drain(&r);
    assert_eq!(ep.wait(8), []);
}

#[test]
fn reported_bits_are_the_requested_ones_plus_err_and_hup() {
    let (_e, ep) = new_epoll();
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    assert_eq!(ep.ctl(ADD, 3, &r, EPOLLIN | EPOLLRDNORM | EPOLLPRI, 1), Ok(()));
    assert_eq!(ep.ctl(ADD, 4, &w, EPOLLOUT, 2), Ok(()));
    write(&w, b"x");
    assert_eq!(ep.wait(8), [(EPOLLIN | EPOLLRDNORM, 1), (EPOLLOUT, 2)], "no WRNORM unless asked for");
    drop(w);
    // The write end is gone (its interest with it); the reader sees HUP.
    assert_eq!(ep.wait(8), [(EPOLLIN | EPOLLRDNORM | EPOLLHUP, 1)]);
    drain(&r);
    assert_eq!(ep.wait(8), [(EPOLLHUP, 1)], "HUP is reported without being asked for");
    assert_eq!(ep.len(), 1);
}

#[test]
fn edge_triggered_reports_changes_only() {
    let (_e, ep) = new_epoll();
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    assert_eq!(ep.ctl(ADD, 3, &r, EPOLLIN | EPOLLET, 7), Ok(()));
    assert_eq!(ep.wait(8), []);
    write(&w, b"a");
    assert_eq!(ep.wait(8), [(EPOLLIN, 7)]);
    assert_eq!(ep.wait(8), [], "no new edge while nothing happens");
    assert!(!ep.has_ready());
    drain(&r);
    assert_eq!(ep.wait(8), []);
    write(&w, b"b");
    assert_eq!(ep.wait(8), [(EPOLLIN, 7)], "empty, then readable: an edge");
}

#[test]
fn edge_triggered_sees_wakes_when_the_mask_stays() {
    let (_e, ep) = new_epoll();
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    let key = r.wait_key().expect("pipes have a wait key");
    assert_eq!(ep.ctl(ADD, 3, &r, EPOLLIN | EPOLLET, 7), Ok(()));
    write(&w, b"a");
    assert_eq!(ep.wait(8), [(EPOLLIN, 7)]);
    // More data on a pipe that was readable all along: Linux reports it.
    // The kernel notes the wake the write makes; the test plays its part.
    write(&w, b"b");
    note_wake(key);
    assert!(ep.has_ready(), "has_ready peeks without consuming the edge");
    assert_eq!(ep.wait(8), [(EPOLLIN, 7)]);
    assert_eq!(ep.wait(8), []);
    // Drained and refilled between two waits: readable at both looks, but
    // the wakes in between are an edge.
    drain(&r);
    note_wake(key);
    write(&w, b"c");
    note_wake(key);
    assert_eq!(ep.wait(8), [(EPOLLIN, 7)]);
}

#[test]
fn edge_triggered_eventfd() {
    let (_e, ep) = new_epoll();
    let efd = eventfd::new(0, 0).expect("eventfd");
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN | EPOLLOUT | EPOLLET, 9), Ok(()));
    assert_eq!(ep.wait(8), [(EPOLLOUT, 9)], "writable at once");
    assert_eq!(ep.wait(8), []);
    signal(&efd, 1);
    assert_eq!(ep.wait(8), [(EPOLLIN | EPOLLOUT, 9)], "IN is new");
    assert_eq!(ep.wait(8), []);
}

#[test]
fn oneshot_disarms_until_mod() {
    let (_e, ep) = new_epoll();
    let efd = eventfd::new(1, 0).expect("eventfd");
    let key = efd.wait_key().expect("eventfd key");
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN | EPOLLONESHOT, 1), Ok(()));
    assert_eq!(ep.wait(8), [(EPOLLIN, 1)]);
    assert_eq!(ep.wait(8), [], "disarmed although still readable");
    assert!(!ep.has_ready());
    assert!(!ep.wait_keys().contains(&key), "nothing to wait for on a disarmed interest");
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 1), Err(Errno::EEXIST), "the interest is still there");
    assert_eq!(ep.ctl(MOD, 5, &efd, EPOLLIN | EPOLLONESHOT, 2), Ok(()));
    assert_eq!(ep.wait(8), [(EPOLLIN, 2)]);
    assert_eq!(ep.wait(8), []);
}

#[test]
fn mod_changes_events_and_data() {
    let (_e, ep) = new_epoll();
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    assert_eq!(ep.ctl(ADD, 4, &w, EPOLLIN, 1), Ok(()));
    assert_eq!(ep.wait(8), [], "a write end is never readable");
    assert_eq!(ep.ctl(MOD, 4, &w, EPOLLOUT, 0xdead_beef_0000_0001), Ok(()));
    assert_eq!(ep.wait(8), [(EPOLLOUT, 0xdead_beef_0000_0001)]);
    assert_eq!(ep.ctl(MOD, 4, &w, EPOLLOUT | EPOLLWRNORM | EPOLLET, 3), Ok(()));
    assert_eq!(ep.wait(8), [(EPOLLOUT | EPOLLWRNORM, 3)], "MOD makes the current state an edge");
    assert_eq!(ep.wait(8), []);
    assert_eq!(ep.ctl(MOD, 3, &r, EPOLLIN, 0), Err(Errno::ENOENT));
}

#[test]
fn del_removes_and_missing_interests_are_enoent() {
    let (_e, ep) = new_epoll();
    let efd = eventfd::new(1, 0).expect("eventfd");
    assert_eq!(ep.ctl(DEL, 5, &efd, 0, 0), Err(Errno::ENOENT));
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 1), Ok(()));
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLOUT, 2), Err(Errno::EEXIST));
    assert_eq!(ep.ctl(DEL, 5, &efd, 0, 0), Ok(()));
    assert_eq!(ep.wait(8), []);
    assert!(ep.is_empty());
    assert_eq!(ep.ctl(DEL, 5, &efd, 0, 0), Err(Errno::ENOENT));
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 3), Ok(()), "and can be added again");
    assert_eq!(ep.wait(8), [(EPOLLIN, 3)]);
}

#[test]
fn interests_are_keyed_by_descriptor_and_file() {
    let (_e, ep) = new_epoll();
    let efd = eventfd::new(1, 0).expect("eventfd");
    let other = eventfd::new(1, 0).expect("eventfd");
    // dup(2): one file under two numbers is two interests.
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 1), Ok(()));
    assert_eq!(ep.ctl(ADD, 6, &efd, EPOLLIN, 2), Ok(()));
    // A number reused for another file is another interest too.
    assert_eq!(ep.ctl(ADD, 5, &other, EPOLLIN, 3), Ok(()));
    let mut got = ep.wait(8);
    got.sort_unstable();
    assert_eq!(got, [(EPOLLIN, 1), (EPOLLIN, 2), (EPOLLIN, 3)]);
    assert_eq!(ep.ctl(DEL, 5, &efd, 0, 0), Ok(()));
    let mut got = ep.wait(8);
    got.sort_unstable();
    assert_eq!(got, [(EPOLLIN, 2), (EPOLLIN, 3)]);
    assert_eq!(ep.remove_fd(5), 1);
    assert_eq!(ep.wait(8), [(EPOLLIN, 2)]);
}

#[test]
fn closed_files_vanish() {
    let (_e, ep) = new_epoll();
    let efd = eventfd::new(1, 0).expect("eventfd");
    let keep = eventfd::new(0, 0).expect("eventfd");
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 1), Ok(()));
    assert_eq!(ep.ctl(ADD, 6, &keep, EPOLLIN, 2), Ok(()));
    let dup = efd.clone();
    drop(efd);
    assert_eq!(ep.wait(8), [(EPOLLIN, 1)], "a descriptor of the file is still open");
    let key = dup.wait_key().expect("eventfd key");
    drop(dup);
    assert_eq!(ep.wait(8), [], "the last reference went, and the interest with it");
    assert_eq!(ep.len(), 1);
    assert!(!ep.wait_keys().contains(&key));
}

#[test]
fn refused_additions() {
    let (efile, ep) = new_epoll();
    assert_eq!(ep.ctl(ADD, 3, &efile, EPOLLIN, 0), Err(Errno::EINVAL), "an epoll cannot watch itself");
    let world = World::new();
    let regular = world.open("/f", O_CREAT | O_RDWR).expect("create");
    assert_eq!(ep.ctl(ADD, 4, &regular, EPOLLIN, 0), Err(Errno::EPERM), "regular files are always ready");
    let path_only = world.open("/f", O_PATH).expect("O_PATH open");
    assert_eq!(ep.ctl(ADD, 5, &path_only, EPOLLIN, 0), Err(Errno::EBADF));
    let efd = eventfd::new(0, 0).expect("eventfd");
    assert_eq!(ep.ctl(0, 5, &efd, EPOLLIN, 0), Err(Errno::EINVAL), "unknown op");
    assert_eq!(ep.ctl(4, 5, &efd, EPOLLIN, 0), Err(Errno::EINVAL));
    assert!(ep.is_empty());
}

#[test]
fn exclusive_rules() {
    let (_e, ep) = new_epoll();
    let efd = eventfd::new(1, 0).expect("eventfd");
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0), Err(Errno::EINVAL));
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE, 0), Err(Errno::EINVAL));
    let (inner_file, _inner) = new_epoll();
    assert_eq!(ep.ctl(ADD, 6, &inner_file, EPOLLIN | EPOLLEXCLUSIVE, 0), Err(Errno::EINVAL), "not on epolls");
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, 1), Ok(()));
    assert_eq!(ep.wait(8), [(EPOLLIN, 1)]);
    assert_eq!(ep.ctl(MOD, 5, &efd, EPOLLIN, 2), Err(Errno::EINVAL), "an exclusive interest cannot change");
    assert_eq!(ep.ctl(DEL, 5, &efd, 0, 0), Ok(()));
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 3), Ok(()));
    assert_eq!(ep.ctl(MOD, 5, &efd, EPOLLIN | EPOLLEXCLUSIVE, 4), Err(Errno::EINVAL));
}

#[test]
fn nested_epoll_reports_through_the_outer_one() {
    let (outer_file, outer) = new_epoll();
    let (inner_file, inner) = new_epoll();
    let (r, w) = pipe2(O_NONBLOCK).expect("pipe");
    assert_eq!(inner.ctl(ADD, 3, &r, EPOLLIN, 1), Ok(()));
    assert_eq!(outer.ctl(ADD, 10, &inner_file, EPOLLIN, 100), Ok(()));
    assert_eq!(outer.wait(8), []);
    assert_eq!(inner_file.poll(), PollEvents::empty());
    let keys = outer.wait_keys();
    let pipe_key = r.wait_key().expect("pipe key");
    assert!(keys.contains(&pipe_key), "the outer epoll sleeps on what the inner one watches");
    assert!(keys.contains(&inner_file.wait_key().expect("epoll key")));
    assert_eq!(wait_keys_of(&outer_file), keys);
    write(&w, b"x");
    assert_eq!(inner_file.poll(), PollEvents::IN | PollEvents::RDNORM);
    assert_eq!(outer_file.poll(), PollEvents::IN | PollEvents::RDNORM);
    assert_eq!(outer.wait(8), [(EPOLLIN, 100)]);
    assert_eq!(inner.wait(8), [(EPOLLIN, 1)], "the outer wait did not consume the inner report");
    drain(&r);
    assert_eq!(outer.wait(8), []);
}

#[test]
fn nested_oneshot_is_not_consumed_by_a_poll() {
    let (_o, outer) = new_epoll();
    let (inner_file, inner) = new_epoll();
    let efd = eventfd::new(1, 0).expect("eventfd");
    assert_eq!(inner.ctl(ADD, 5, &efd, EPOLLIN | EPOLLONESHOT, 1), Ok(()));
    assert_eq!(outer.ctl(ADD, 6, &inner_file, EPOLLIN, 2), Ok(()));
    assert_eq!(outer.wait(8), [(EPOLLIN, 2)]);
    assert_eq!(outer.wait(8), [(EPOLLIN, 2)]);
    assert_eq!(inner.wait(8), [(EPOLLIN, 1)]);
    assert_eq!(outer.wait(8), [], "once the inner one-shot fired, nothing is left");
}

#[test]
fn cycles_and_deep_nesting_are_eloop() {
    let (a_file, a) = new_epoll();
    let (b_file, b) = new_epoll();
    assert_eq!(a.ctl(ADD, 1, &b_file, EPOLLIN, 0), Ok(()));
    assert_eq!(b.ctl(ADD, 2, &a_file, EPOLLIN, 0), Err(Errno::ELOOP));

    // A chain built bottom-up: each new top watches the previous top.
    let mut chain: Vec<(Arc<OpenFile>, Arc<Epoll>)> = Vec::new();
    chain.push(new_epoll());
    // Linux allows EP_MAX_NESTS epoll-to-epoll links in a row.
    for level in 1..=EP_MAX_NESTS + 1 {
        let top = new_epoll();
        let below = &chain[level - 1].0;
        let result = top.1.ctl(ADD, level as i32, below, EPOLLIN, 0);
        if level <= EP_MAX_NESTS {
            assert_eq!(result, Ok(()), "level {level}");
        } else {
            assert_eq!(result, Err(Errno::ELOOP), "level {level} nests too deep");
        }
        chain.push(top);
    }
}

#[test]
fn deep_chains_built_top_down_stop_at_the_nesting_limit() {
    // Each epoll is added before anything is added to it, so no ctl sees
    // the whole depth; the scan still stops at EP_MAX_NESTS.
    let chain: Vec<(Arc<OpenFile>, Arc<Epoll>)> = (0..8).map(|_| new_epoll()).collect();
    for i in 0..7 {
        assert_eq!(chain[i].1.ctl(ADD, i as i32, &chain[i + 1].0, EPOLLIN, i as u64), Ok(()));
    }
    let efd = eventfd::new(1, 0).expect("eventfd");
    assert_eq!(chain[7].1.ctl(ADD, 99, &efd, EPOLLIN, 0), Ok(()));
    assert_eq!(chain[7].1.wait(1), [(EPOLLIN, 0)]);
    assert_eq!(chain[3].1.wait(1), [(EPOLLIN, 3)], "four epoll links above the eventfd's epoll");
    assert_eq!(chain[2].1.wait(1), [], "five links: deeper than Linux allows, not seen");
    assert_eq!(chain[0].1.wait(1), []);
}

#[test]
fn small_max_rotates_through_ready_interests() {
    let (_e, ep) = new_epoll();
    let files: Vec<Arc<OpenFile>> = (0..3).map(|_| eventfd::new(1, 0).expect("eventfd")).collect();
    for (i, f) in files.iter().enumerate() {
        assert_eq!(ep.ctl(ADD, i as i32, f, EPOLLIN, i as u64), Ok(()));
    }
    let mut seen: Vec<u64> = (0..6).flat_map(|_| ep.wait(1)).map(|(_, data)| data).collect();
    assert_eq!(seen, [0, 1, 2, 0, 1, 2], "each ready interest gets its turn");
    seen = ep.wait(2).into_iter().map(|(_, d)| d).collect();
    assert_eq!(seen, [0, 1]);
    assert_eq!(ep.wait(0), []);
}

#[test]
fn ctl_wakes_the_epoll_key() {
    test_hooks::install();
    let (efile, ep) = new_epoll();
    let key = efile.wait_key().expect("epoll key");
    let efd = eventfd::new(1, 0).expect("eventfd");
    let fkey = efd.wait_key().expect("eventfd key");
    assert_eq!(ep.wait_keys(), [key]);
    assert_eq!(ep.ctl(ADD, 5, &efd, EPOLLIN, 0), Ok(()));
    assert_eq!(test_hooks::wakes(key), 1, "a waiter rescans with the new interest");
    let mut expected = alloc::vec![key, fkey];
    expected.sort_unstable();
    assert_eq!(ep.wait_keys(), expected);
    assert_eq!(ep.ctl(MOD, 5, &efd, EPOLLOUT, 0), Ok(()));
    assert_eq!(test_hooks::wakes(key), 2);
    assert_eq!(ep.ctl(DEL, 5, &efd, 0, 0), Ok(()));
    assert_eq!(test_hooks::wakes(key), 2, "removing makes nobody ready");
}

#[test]
fn epoll_files_look_like_linux() {
    assert_eq!(epoll_create1(0x1).err(), Some(Errno::EINVAL));
    let f = epoll_create1(EPOLL_CLOEXEC).expect("epoll");
    assert_eq!(f.path(), EPOLL_NAME);
    assert_eq!(f.metadata().kind, crate::vfs::InodeKind::Anonymous);
    assert_eq!(f.metadata().mode(), 0o600);
    assert_eq!(f.read(&mut &mut [0u8; 8][..]), Err(Errno::EINVAL));
    let (r, _w) = pipe2(0).expect("pipe");
    assert!(epoll_of(&r).is_none());
    assert_eq!(wait_keys_of(&r), r.wait_key().into_iter().collect::<Vec<_>>());
}
