//! epoll, eventfd and timerfd: thin wrappers over ringo_fs's objects; the
//! sleeping happens here, on the objects' wait keys.

use ringo_fs::{epoll, eventfd, timerfd};
use ringo_uapi::events::{EP_MAX_EVENTS, EPOLL_CLOEXEC, EPOLL_CTL_DEL, EpollEvent};
use ringo_uapi::time::Itimerspec;
use ringo_uapi::{Errno, SysResult};

use super::{Fd, UserAddr, file, install};
use crate::sched;

pub fn epoll_create1(flags: u32) -> SysResult {
    install(epoll::epoll_create1(flags)?, flags & EPOLL_CLOEXEC != 0)
}

pub fn epoll_create(size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_create1(0)
}

pub fn epoll_ctl(epfd: Fd, op: i32, fd: Fd, event: UserAddr) -> SysResult {
    let ep_file = file(epfd)?;
    let target = file(fd)?;
    let ep = epoll::epoll_of(&ep_file).ok_or(Errno::EINVAL)?;
    let ev = if op == EPOLL_CTL_DEL {
        EpollEvent { events: 0, data: 0 }
    } else {
        let mut bytes = [0u8; EpollEvent::SIZE];
        event.read_bytes(&mut bytes)?;
        EpollEvent::from_bytes(bytes)
    };
    let (events, data) = (ev.events, ev.data);
    ep.ctl(op, fd.0, &target, events, data)?;
    Ok(0)
}

fn wait(epfd: Fd, events: UserAddr, max: i32, timeout_ms: i32) -> SysResult {
    if max <= 0 || max as usize > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    // Before the wait, as Linux: a bad array must not eat the events.
    events.check_range(max as usize * EpollEvent::SIZE)?;
    let ep = epoll::epoll_of(&*file(epfd)?).ok_or(Errno::EINVAL)?;
    let deadline = (timeout_ms >= 0).then(|| crate::time::monotonic_ns() + timeout_ms as u64 * 1_000_000);
    loop {
        let ready = ep.wait(max as usize);
        if !ready.is_empty() {
            for (i, (ev, data)) in ready.iter().enumerate() {
                let bytes = EpollEvent { events: *ev, data: *data }.to_bytes();
                events.offset((i * EpollEvent::SIZE) as u64).write_bytes(&bytes)?;
            }
            return Ok(ready.len());
        }
        if deadline.is_some_and(|d| crate::time::monotonic_ns() >= d) {
            return Ok(0);
        }
        match sched::wait_until(&ep.wait_keys(), deadline, || ep.has_ready()) {
            Ok(()) | Err(sched::Interrupted::Timeout) => continue,
            Err(sched::Interrupted::Signal) => return Err(Errno::EINTR),
        }
    }
}

pub fn epoll_wait(epfd: Fd, events: UserAddr, max: i32, timeout_ms: i32) -> SysResult {
    wait(epfd, events, max, timeout_ms)
}

pub fn epoll_pwait(epfd: Fd, events: UserAddr, max: i32, timeout_ms: i32, mask: UserAddr, _size: usize) -> SysResult {
    super::fs::with_sigmask(mask, || wait(epfd, events, max, timeout_ms))
}

pub fn eventfd2(initval: u32, flags: u32) -> SysResult {
    install(eventfd::new(initval, flags)?, flags & ringo_uapi::events::EFD_CLOEXEC != 0)
}

pub fn eventfd(initval: u32) -> SysResult {
    eventfd2(initval, 0)
}

pub fn timerfd_create(clockid: i32, flags: u32) -> SysResult {
    install(timerfd::create(clockid, flags)?, flags & ringo_uapi::events::TFD_CLOEXEC != 0)
}

pub fn timerfd_settime(fd: Fd, flags: u32, new: UserAddr, old: UserAddr) -> SysResult {
    let t = timerfd::timerfd_of(&*file(fd)?).ok_or(Errno::EINVAL)?;
    let spec: Itimerspec = new.read()?;
    let previous = t.settime(flags, &spec)?;
    if !old.is_null() {
        old.write(&previous)?;
    }
    Ok(0)
}

pub fn timerfd_gettime(fd: Fd, cur: UserAddr) -> SysResult {
    let t = timerfd::timerfd_of(&*file(fd)?).ok_or(Errno::EINVAL)?;
    cur.write(&t.gettime())?;
    Ok(0)
}
