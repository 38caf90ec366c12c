//! A process's descriptor table: numbers to open files plus the per-number
//! close-on-exec flag. The kernel wraps it in a lock (shared by threads made
//! with CLONE_FILES, copied by fork with `Clone`).
//!
//! Closing returns the open file instead of dropping it, so the caller can
//! release its table lock before the last reference goes (a release hook
//! may wake or block).

use alloc::sync::Arc;
use alloc::vec::Vec;

use ringo_uapi::Errno;
use ringo_uapi::fs::{F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_CLOEXEC};

use super::open_file::OpenFile;

/// RLIMIT_NOFILE's default soft limit.
pub const DEFAULT_NOFILE: usize = 1024;

/// The most descriptors a table ever holds, whatever the limit says
/// (Linux's fs.nr_open default).
pub const NR_OPEN: usize = 1 << 20;

#[derive(Clone)]
struct Slot {
    file: Arc<OpenFile>,
    cloexec: bool,
}

#[derive(Clone)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
    limit: usize,
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

impl FdTable {
    pub fn new() -> Self {
        FdTable { slots: Vec::new(), limit: DEFAULT_NOFILE }
    }

    /// RLIMIT_NOFILE: new descriptors must be below it (open ones stay).
    pub fn limit(&self) -> usize {
        self.limit
    }

    pub fn set_limit(&mut self, limit: usize) -> Result<(), Errno> {
        if limit > NR_OPEN {
            return Err(Errno::EPERM);
        }
        self.limit = limit;
        Ok(())
    }

    fn slot(&self, fd: i32) -> Result<&Slot, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots.get(index).and_then(Option::as_ref).ok_or(Errno::EBADF)
    }

    fn slot_mut(&mut self, fd: i32) -> Result<&mut Slot, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        self.slots.get_mut(index).and_then(Option::as_mut).ok_or(Errno::EBADF)
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.slot(fd).map(|s| s.file.clone())
    }

    /// Installs `file` at the lowest free number (EMFILE when none is below the limit).
    pub fn insert(&mut self, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        self.insert_from(0, file, cloexec).map_err(|e| if e == Errno::EINVAL { Errno::EMFILE } else { e })
    }

    /// Installs `file` at the lowest free number >= `min` (F_DUPFD): EINVAL
    /// when `min` is at or over the limit, EMFILE when nothing is free.
    pub fn insert_from(&mut self, min: u64, file: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        if min >= self.limit {
            return Err(Errno::EINVAL);
        }
        let free = (min..self.limit).find(|&i| self.slots.get(i).is_none_or(Option::is_none)).ok_or(Errno::EMFILE)?;
        self.put(free, Slot { file, cloexec })?;
        Ok(free as i32)
    }

    fn put(&mut self, index: usize, slot: Slot) -> Result<Option<Arc<OpenFile>>, Errno> {
        if index >= self.slots.len() {
            self.slots.try_reserve(index + 1 - self.slots.len()).map_err(|_| Errno::ENOMEM)?;
            self.slots.resize(index + 1, None);
        }
        Ok(self.slots[index].replace(slot).map(|old| old.file))
    }

    /// close(2). Returns the file so the caller drops it after unlocking.
    pub fn close(&mut self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let slot = self.slots.get_mut(index).and_then(Option::take).ok_or(Errno::EBADF)?;
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        Ok(slot.file)
    }

    /// dup(2): the new descriptor never has close-on-exec.
    pub fn dup(&mut self, fd: i32) -> Result<i32, Errno> {
        let file = self.get(fd)?;
        self.insert(file, false)
    }

    /// dup2(2): `new` equal to a valid `old` is returned untouched.
    /// Returns the new number and whatever `new` held before.
    pub fn dup2(&mut self, old: i32, new: i32) -> Result<(i32, Option<Arc<OpenFile>>), Errno> {
        let file = self.get(old)?;
        if old == new {
            return Ok((new, None));
        }
        self.install(new, file, false)
    }

    /// dup3(2): like dup2 but `old == new` is EINVAL and O_CLOEXEC is the only flag.
    pub fn dup3(&mut self, old: i32, new: i32, flags: u32) -> Result<(i32, Option<Arc<OpenFile>>), Errno> {
        if flags & !O_CLOEXEC != 0 || old == new {
            return Err(Errno::EINVAL);
        }
        let file = self.get(old)?;
        self.install(new, file, flags & O_CLOEXEC != 0)
    }

    /// Puts `file` at number `fd`, replacing what was there (EBADF beyond the limit).
    fn install(&mut self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> Result<(i32, Option<Arc<OpenFile>>), Errno> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        if index >= self.limit {
            return Err(Errno::EBADF);
        }
        let old = self.put(index, Slot { file, cloexec })?;
        Ok((fd, old))
    }

    pub fn cloexec(&self, fd: i32) -> Result<bool, Errno> {
        self.slot(fd).map(|s| s.cloexec)
    }

    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<(), Errno> {
        self.slot_mut(fd)?.cloexec = on;
        Ok(())
    }

    /// The descriptor-level fcntl(2) commands: F_DUPFD, F_DUPFD_CLOEXEC,
    /// F_GETFD, F_SETFD, F_GETFL, F_SETFL. Others are EINVAL here; the kernel
    /// handles locks, owners and pipe sizes before falling back to this.
    pub fn fcntl(&mut self, fd: i32, cmd: u32, arg: u64) -> Result<usize, Errno> {
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                let file = self.get(fd)?;
                self.insert_from(arg, file, cmd == F_DUPFD_CLOEXEC).map(|n| n as usize)
            }
            F_GETFD => Ok(if self.cloexec(fd)? { FD_CLOEXEC as usize } else { 0 }),
            F_SETFD => self.set_cloexec(fd, arg & FD_CLOEXEC as u64 != 0).map(|_| 0),
            F_GETFL => Ok(self.get(fd)?.flags().bits() as usize),
            F_SETFL => {
                self.get(fd)?.set_flags(arg as u32);
                Ok(0)
            }
            _ => {
                self.get(fd)?;
                Err(Errno::EINVAL)
            }
        }
    }

    /// The execve sweep: closes every close-on-exec descriptor and returns
    /// the files for the caller to drop.
    pub fn close_on_exec(&mut self) -> Vec<Arc<OpenFile>> {
        let mut closed = Vec::new();
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|s| s.cloexec)
                && let Some(s) = slot.take()
            {
                closed.push(s.file);
            }
        }
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        closed
    }

    /// close_range(2) without flags: closes `first..=last`.
    pub fn close_range(&mut self, first: u32, last: u32) -> Result<Vec<Arc<OpenFile>>, Errno> {
        if first > last {
            return Err(Errno::EINVAL);
        }
        let mut closed = Vec::new();
        let end = (last as usize).min(self.slots.len().saturating_sub(1));
        for index in first as usize..=end {
            if let Some(s) = self.slots.get_mut(index).and_then(Option::take) {
                closed.push(s.file);
            }
        }
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        Ok(closed)
    }

    /// close_range(2) with CLOSE_RANGE_CLOEXEC: marks `first..=last`
    /// close-on-exec instead of closing them.
    pub fn set_cloexec_range(&mut self, first: u32, last: u32) -> Result<(), Errno> {
        if first > last {
            return Err(Errno::EINVAL);
        }
        let end = (last as usize).min(self.slots.len().saturating_sub(1));
        for slot in self.slots.get_mut(first as usize..=end).into_iter().flatten().flatten() {
            slot.cloexec = true;
        }
        Ok(())
    }

    /// Open descriptors in order (for /proc/self/fd).
    pub fn iter(&self) -> impl Iterator<Item = (i32, &Arc<OpenFile>)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i as i32, &s.file)))
    }

    pub fn count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}
