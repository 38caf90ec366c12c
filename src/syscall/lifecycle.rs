//! fork, exec, wait: processes coming and going.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering;

use ringo_fs::vfs::InodeKind;
use ringo_uapi::{Errno, SysResult};

use super::UserAddr;
use crate::files::{self, Files};
use crate::process::{self, Image, Process, TaskState, current};
use crate::signals::Siginfo;
use crate::{exec, sched};

const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_CHILD_CLEARTID: u64 = 0x200000;
const CLONE_CHILD_SETTID: u64 = 0x1000000;

/// A copy of the calling process (fork); `adjust` edits the child's user
/// registers and `prepare` the child itself before it first runs (on
/// another CPU it may run, and even exit, at once).
fn spawn(
    flags: u64,
    adjust: impl FnOnce(&mut crate::arch::trap::TrapFrame),
    prepare: impl FnOnce(&Arc<Process>),
) -> Result<Arc<Process>, Errno> {
    let parent = current();
    parent.save_user_registers();
    let forked = parent.aspace.lock().fork();
    let aspace = forked.map_err(|_| {
        crate::oom::out_of_memory();
        Errno::ENOMEM
    })?;
    let files = {
        let f = parent.files.lock();
        Files { table: f.table.clone(), cwd: f.cwd.clone() }
    };
    let image = {
        let i = parent.image.lock();
        Image { exe: i.exe.clone(), auxv: i.auxv.clone(), cmdline: i.cmdline.clone() }
    };
    // The parent is the process (thread group), not the calling thread.
    let ppid = if flags & CLONE_PARENT != 0 { parent.ppid.load(Ordering::Relaxed) } else { parent.tgid };
    let child = Process::create(ppid, aspace, files, image, Some(&parent)).map_err(|_| Errno::ENOMEM)?;
    child.umask.store(parent.umask.load(Ordering::Relaxed), Ordering::Relaxed);
    child.pgid.store(parent.pgid.load(Ordering::Relaxed), Ordering::Relaxed);
    child.sid.store(parent.sid.load(Ordering::Relaxed), Ordering::Relaxed);
    child.fs_base.store(parent.fs_base.load(Ordering::Relaxed), Ordering::Relaxed);
    child.gs_base.store(parent.gs_base.load(Ordering::Relaxed), Ordering::Relaxed);
    *child.rlimits.lock() = *parent.rlimits.lock();
    *child.sig_actions.lock() = *parent.sig_actions.lock();
    *child.comm.lock() = *parent.comm.lock();
    {
        let (ps, mut cs) = (parent.signals.lock(), child.signals.lock());
        cs.mask = ps.mask;
        cs.altstack = ps.altstack;
    }
    // SAFETY: the parent is in a syscall from ring 3; its frame is at the
    // top of its kernel stack and only read here.
    let mut frame = unsafe { *parent.user_frame() };
    frame.rax = 0;
    adjust(&mut frame);
    prepare(&child);
    child.start(&frame);
    Ok(child)
}

/// HP mode runs one app: no second process, no new program.
fn refuse_in_hp_mode() -> Result<(), Errno> {
    if crate::hp::enabled() { Err(Errno::ENOSYS) } else { Ok(()) }
}

pub fn fork() -> SysResult {
    refuse_in_hp_mode()?;
    Ok(spawn(0, |_| {}, |_| {})?.pid as usize)
}

/// vfork runs as fork: the child gets a copy-on-write copy instead of
/// borrowing the parent's memory, which well-formed vfork users (exec or
/// _exit right away) cannot tell apart, and the parent waits as vfork
/// requires until the child execs or exits.
pub fn vfork() -> SysResult {
    refuse_in_hp_mode()?;
    let child = spawn(0, |_| {}, |_| {})?;
    wait_for_exec_or_exit(&child);
    Ok(child.pid as usize)
}

fn wait_for_exec_or_exit(child: &Arc<Process>) {
    let key = vfork_key(child.pid);
    let _ = sched::wait_until(&[key], None, || {
        child.state() == TaskState::Zombie || child.vfork_done.load(Ordering::Acquire)
    });
}

pub fn vfork_key(pid: u32) -> u64 {
    0x2_0000_0000 | pid as u64
}

/// A new thread of the calling process: same memory, descriptors and
/// handlers; its own stack (`newsp`), TLS and kernel stack.
fn spawn_thread(flags: u64, newsp: UserAddr, parent_tid: UserAddr, child_tid: UserAddr, tls: u64) -> SysResult {
    const NEEDED: u64 = CLONE_VM | CLONE_SIGHAND;
    if flags & NEEDED != NEEDED || flags & CLONE_FILES == 0 {
        // Threads sharing memory but not descriptors or handlers: not yet.
        return Err(Errno::EINVAL);
    }
    let me = current();
    me.save_user_registers();
    let shared = process::Shared {
        aspace: me.aspace.clone(),
        files: me.files.clone(),
        image: me.image.clone(),
        sig_actions: me.sig_actions.clone(),
        group: me.group.clone(),
        tgid: Some(me.tgid),
    };
    me.group.live.fetch_add(1, Ordering::AcqRel);
    let t = match Process::create_task(me.ppid.load(Ordering::Relaxed), shared, Some(&me)) {
        Ok(t) => t,
        Err(_) => {
            me.group.live.fetch_sub(1, Ordering::AcqRel);
            return Err(Errno::EAGAIN);
        }
    };
    t.umask.store(me.umask.load(Ordering::Relaxed), Ordering::Relaxed);
    t.pgid.store(me.pgid.load(Ordering::Relaxed), Ordering::Relaxed);
    t.sid.store(me.sid.load(Ordering::Relaxed), Ordering::Relaxed);
    t.fs_base
        .store(if flags & CLONE_SETTLS != 0 { tls } else { me.fs_base.load(Ordering::Relaxed) }, Ordering::Relaxed);
    t.gs_base.store(me.gs_base.load(Ordering::Relaxed), Ordering::Relaxed);
    t.signals.lock().mask = me.signals.lock().mask;
    // As Linux, a bad address for either tid is not an error of the clone
    // (and the task exists by now).
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = parent_tid.write(&(t.pid as i32));
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = child_tid.write(&(t.pid as i32));
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        t.clear_child_tid.store(child_tid.0, Ordering::Relaxed);
    }
    // SAFETY: in a syscall from ring 3; the frame is only read.
    let mut frame = unsafe { *me.user_frame() };
    frame.rax = 0;
    if newsp.0 != 0 {
        frame.rsp = newsp.0;
    }
    t.start(&frame);
    Ok(t.pid as usize)
}

pub fn clone(flags: u64, newsp: UserAddr, parent_tid: UserAddr, child_tid: UserAddr, tls: u64) -> SysResult {
    if flags & CLONE_THREAD != 0 {
        return spawn_thread(flags, newsp, parent_tid, child_tid, tls);
    }
    refuse_in_hp_mode()?;
    if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
        // A separate process sharing memory: not supported.
        return Err(Errno::EINVAL);
    }
    if flags & (CLONE_FS | CLONE_FILES | CLONE_SIGHAND) != 0 && flags & CLONE_VM == 0 {
        // Sharing descriptors without sharing memory: not yet.
        if flags & (CLONE_FILES | CLONE_SIGHAND) != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let child = spawn(
        flags,
        |f| {
            if newsp.0 != 0 {
                f.rsp = newsp.0;
            }
        },
        |child| {
            if flags & CLONE_SETTLS != 0 {
                child.fs_base.store(tls, Ordering::Relaxed);
            }
            // As Linux, a bad address for either tid is not an error of
            // the clone: the word is simply not written.
            if flags & CLONE_PARENT_SETTID != 0 {
                let _ = parent_tid.write(&(child.pid as i32));
            }
            if flags & CLONE_CHILD_SETTID != 0 {
                // Into the child's (copy-on-write) memory.
                let _ = child.aspace.lock().write_bytes(child_tid.0, &(child.pid as i32).to_le_bytes());
            }
            if flags & CLONE_CHILD_CLEARTID != 0 {
                child.clear_child_tid.store(child_tid.0, Ordering::Relaxed);
            }
        },
    )?;
    if flags & CLONE_VFORK != 0 {
        wait_for_exec_or_exit(&child);
    }
    Ok(child.pid as usize)
}

/// Resolves an executable for execve: path, bytes, and `#!` handling.
/// The name kept is the file's own path (not e.g. /proc/self/exe, which
/// busybox re-executes itself through): /proc/PID/exe must not lead back to
/// itself.
fn read_executable(path: &[u8]) -> Result<(String, Vec<u8>), Errno> {
    let (node, name) = files::with_ctx(|ctx| {
        let located = ctx.locate(path, true)?;
        let name = ctx.display_path(&located, path);
        Ok::<_, Errno>((located.node.clone(), name))
    })?;
    match node.kind() {
        InodeKind::File => {}
        InodeKind::Dir => return Err(Errno::EACCES),
        _ => return Err(Errno::EACCES),
    }
    if node.metadata().mode() & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    let bytes = files::read_all(&node)?;
    Ok((String::from_utf8_lossy(&name).into_owned(), bytes))
}

/// `#!interpreter [arg]` on the first line: (interpreter, optional arg).
fn shebang(bytes: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let rest = bytes.strip_prefix(b"#!")?;
    let line = &rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len().min(255))];
    let line: &[u8] = {
        let s = line.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(line.len());
        let e = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(s, |e| e + 1);
        &line[s..e.max(s)]
    };
    if line.is_empty() {
        return None;
    }
    match line.iter().position(|b| b.is_ascii_whitespace()) {
        Some(i) => {
            let arg = line[i..].iter().skip_while(|b| b.is_ascii_whitespace()).copied().collect::<Vec<u8>>();
            Some((line[..i].to_vec(), (!arg.is_empty()).then_some(arg)))
        }
        None => Some((line.to_vec(), None)),
    }
}

/// The other threads of an execing process end, and are off their CPUs,
/// before the old memory goes: none may still run in it or write its
/// clear-child-tid word into the new program's.
fn end_other_threads(me: &Arc<process::Process>) {
    let others: Vec<_> = process::threads_of(me.tgid).into_iter().filter(|t| t.pid != me.pid).collect();
    for t in &others {
        crate::signals::kill_thread(t);
    }
    for t in &others {
        while !sched::is_gone(t) {
            if sched::sleep_until(crate::time::monotonic_ns() + 1_000_000).is_err() {
                // A signal is pending for us too: keep giving way.
                sched::yield_now();
            }
        }
    }
}

pub fn execve(path: UserAddr, argv: UserAddr, envp: UserAddr) -> SysResult {
    refuse_in_hp_mode()?;
    let path = path.read_cstr(super::args::PATH_MAX)?;
    let stack_limit = current().rlimits.lock()[ringo_uapi::system::RLIMIT_STACK as usize].cur;
    // The file name (AT_EXECFN) is charged to the same room, as on Linux.
    let space = ringo_fs::binfmt::stack::arg_space(stack_limit).saturating_sub(path.len() + 1);
    let (mut argv, envp) = super::args::read_exec_strings(argv, envp, space)?;
    let mut target = path.clone();
    let (mut name, mut bytes) = read_executable(&target)?;
    for _ in 0..4 {
        let Some((interp, arg)) = shebang(&bytes) else { break };
        // argv becomes: interpreter [arg] script original-argv[1..]
        // (moved, not copied: the heap they take is the caller's to fill).
        let mut new_argv = Vec::new();
        new_argv.try_reserve_exact(argv.len() + 2).map_err(|_| Errno::ENOMEM)?;
        new_argv.push(interp.clone());
        new_argv.extend(arg);
        new_argv.push(target.clone());
        new_argv.extend(argv.drain(..).skip(1));
        argv = new_argv;
        target = interp;
        (name, bytes) = read_executable(&target)?;
    }
    let (mut loaded, stack) = exec::load(&name, Arc::new(bytes), &argv, &envp).map_err(|e| e.errno())?;
    if !exec::write_stack(&mut loaded.aspace, loaded.stack_pointer, &stack) {
        return Err(Errno::ENOMEM);
    }
    // argv joined with NULs for /proc/self/cmdline, while failing is
    // still possible.
    let mut cmdline = Vec::new();
    cmdline.try_reserve_exact(argv.iter().map(|a| a.len() + 1).sum()).map_err(|_| Errno::ENOMEM)?;
    for a in &argv {
        cmdline.extend_from_slice(a);
        cmdline.push(0);
    }
    // No way back from here.
    let me = current();
    end_other_threads(&me);
    // Linux releases the old program's robust mutexes at exec as at exit:
    // their waiters must not wait for a thread that now runs other code.
    super::futex::exit_robust_list(&me);
    me.aspace.replace(loaded.aspace).destroy();
    let closing = me.files.lock().table.close_on_exec();
    drop(closing);
    // Handlers go back to default (ignored stay so).
    for a in me.sig_actions.lock().iter_mut() {
        if a[0] != 1 {
            *a = [0; 4];
        }
    }
    me.signals.lock().altstack = [0; 3];
    *me.image.lock() = Image { exe: name, auxv: loaded.auxv, cmdline };
    // The name becomes the new program's (Linux: the file name's base).
    *me.comm.lock() = [0; 16];
    me.fs_base.store(0, Ordering::Relaxed);
    me.gs_base.store(0, Ordering::Relaxed);
    me.clear_child_tid.store(0, Ordering::Relaxed);
    me.reset_fpu();
    me.load_user_registers();
    me.vfork_done.store(true, Ordering::Release);
    sched::wake(vfork_key(me.pid));
    // SAFETY: in a syscall from ring 3; nothing else holds the frame.
    let frame = unsafe { &mut *me.user_frame() };
    *frame = exec::initial_frame(loaded.entry, loaded.stack_pointer);
    // The return value lands in rax, which starts at 0.
    Ok(0)
}

const WNOHANG: i32 = 1;
const WUNTRACED: i32 = 2;
const WEXITED: i32 = 4;
const WCONTINUED: i32 = 8;
const WNOWAIT: i32 = 0x0100_0000;
const P_ALL: i32 = 0;
const P_PID: i32 = 1;
const P_PGID: i32 = 2;

/// Which children a wait call means.
#[derive(Clone, Copy)]
enum Which {
    Any,
    Pid(u32),
    Group(u32),
}

struct Found {
    child: Arc<Process>,
    status: i32,
    /// CLD_* code for waitid.
    code: i32,
    reap: bool,
}

fn find_child(me: &Process, which: Which, options: i32) -> Result<Option<Found>, Errno> {
    // Children belong to the process (its first thread), whichever thread waits.
    let kids: Vec<u32> = match process::lookup(me.tgid) {
        Some(leader) => leader.children.lock().clone(),
        None => Vec::new(),
    };
    let mut any = false;
    for pid in kids {
        let Some(c) = process::lookup(pid) else { continue };
        if process::is_claimed(&c) {
            // Another waiter is reaping it: not ours to see any more.
            continue;
        }
        let matches = match which {
            Which::Any => true,
            Which::Pid(p) => p == pid,
            Which::Group(g) => c.pgid.load(Ordering::Relaxed) == g,
        };
        if !matches {
            continue;
        }
        any = true;
        let status = c.wait_status.load(Ordering::Acquire);
        match c.state() {
            // A process is dead when its last thread is.
            TaskState::Zombie if options & WEXITED != 0 && c.group.ended.load(Ordering::Acquire) => {
                // Read after `ended`, which the exiting thread sets after
                // the status: the earlier read may predate it.
                let status = c.wait_status.load(Ordering::Acquire);
                let code = if status & 0x7f == 0 {
                    1
                } else if status & 0x80 != 0 {
                    3
                } else {
                    2
                };
                return Ok(Some(Found { child: c, status, code, reap: options & WNOWAIT == 0 }));
            }
            TaskState::Stopped
                if options & WUNTRACED != 0 && c.state_change_unreported.load(Ordering::Acquire) != 0 =>
            {
                if options & WNOWAIT == 0 && c.state_change_unreported.swap(0, Ordering::AcqRel) == 0 {
                    // Another waiter reported it.
                    continue;
                }
                return Ok(Some(Found { child: c, status, code: 5, reap: false }));
            }
            _ if options & WCONTINUED != 0
                && status == 0xffff
                && c.state_change_unreported.load(Ordering::Acquire) != 0 =>
            {
                if options & WNOWAIT == 0 && c.state_change_unreported.swap(0, Ordering::AcqRel) == 0 {
                    continue;
                }
                return Ok(Some(Found { child: c, status, code: 6, reap: false }));
            }
            _ => {}
        }
    }
    if any { Ok(None) } else { Err(Errno::ECHILD) }
}

fn wait_common(which: Which, options: i32) -> Result<Option<Found>, Errno> {
    let me = current();
    loop {
        if let Some(found) = find_child(&me, which, options)? {
            if found.reap {
                if !process::claim_zombie(&found.child) {
                    // Another thread of ours took it first: look again.
                    continue;
                }
                process::reap(&found.child);
            }
            return Ok(Some(found));
        }
        if options & WNOHANG != 0 {
            return Ok(None);
        }
        let key = process::child_key(me.tgid);
        let r = sched::wait_until(&[key], None, || {
            matches!(find_child(&me, which, options | WNOWAIT), Ok(Some(_)) | Err(_))
        });
        if r.is_err() {
            return Err(sched::restartable_eintr());
        }
    }
}

pub fn wait4(pid: i32, status: UserAddr, options: i32, rusage: UserAddr) -> SysResult {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | 0x6000_0000) != 0 {
        return Err(Errno::EINVAL);
    }
    let me = current();
    let which = match pid {
        -1 => Which::Any,
        0 => Which::Group(me.pgid.load(Ordering::Relaxed)),
        p if p < -1 => Which::Group((-p) as u32),
        p => Which::Pid(p as u32),
    };
    match wait_common(which, options | WEXITED)? {
        None => Ok(0),
        Some(f) => {
            if !status.is_null() {
                status.write(&f.status)?;
            }
            if !rusage.is_null() {
                rusage.zero(144)?;
            }
            Ok(f.child.pid as usize)
        }
    }
}

pub fn waitid(idtype: i32, id: i32, infop: UserAddr, options: i32, _rusage: UserAddr) -> SysResult {
    if options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let which = match idtype {
        P_ALL => Which::Any,
        P_PID if id > 0 => Which::Pid(id as u32),
        P_PGID => Which::Group(if id == 0 { current().pgid.load(Ordering::Relaxed) } else { id as u32 }),
        _ => return Err(Errno::EINVAL),
    };
    match wait_common(which, options)? {
        None => {
            if !infop.is_null() {
                infop.zero(128)?;
            }
            Ok(0)
        }
        Some(f) => {
            if !infop.is_null() {
                // Exit code, or the stopping/continuing signal, or the
                // killing signal.
                let st = if f.status & 0x7f == 0 || f.code == 5 || f.code == 6 {
                    (f.status >> 8) & 0xff
                } else {
                    f.status & 0x7f
                };
                infop.write(&Siginfo::child(f.child.pid, f.code, st))?;
            }
            Ok(0)
        }
    }
}
