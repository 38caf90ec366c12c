//! The table's entries: each a System V function of six raw arguments that
//! converts them to the handler's typed parameters and its result to the
//! raw return value. Listed in syscall-number order; the set must equal the
//! implemented lines of syscalls/syscall_64.tbl (the build fails otherwise).

use super::args::FromArg;
use super::{Fd, UserAddr, events, fs, futex, lifecycle, memory, net, process, signal, system, time};

macro_rules! entries {
    ($( fn $entry:ident => $handler:path [ $($arg:ty),* ]; )*) => {
        $(
            pub extern "C" fn $entry(a0: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> i64 {
                let raw = [a0, a1, a2, a3, a4, a5];
                let mut _i = 0usize;
                let r = $handler($({
                    let v = <$arg as FromArg>::from_arg(raw[_i]);
                    _i += 1;
                    v
                }),*);
                let _ = raw;
                ringo_uapi::to_ret(r)
            }
        )*
    };
}

entries! {
    fn sys_read => fs::read[Fd, UserAddr, usize];
    fn sys_write => fs::write[Fd, UserAddr, usize];
    fn sys_open => fs::open[UserAddr, u32, u32];
    fn sys_close => fs::close[Fd];
    fn sys_stat => fs::stat[UserAddr, UserAddr];
    fn sys_fstat => fs::fstat[Fd, UserAddr];
    fn sys_lstat => fs::lstat[UserAddr, UserAddr];
    fn sys_poll => fs::poll[UserAddr, u32, i32];
    fn sys_lseek => fs::lseek[Fd, i64, u32];
    fn sys_mmap => memory::mmap[UserAddr, u64, u64, u64, Fd, u64];
    fn sys_mprotect => memory::mprotect[UserAddr, u64, u64];
    fn sys_munmap => memory::munmap[UserAddr, u64];
    fn sys_brk => memory::brk[UserAddr];
    fn sys_rt_sigaction => signal::rt_sigaction[i32, UserAddr, UserAddr, usize];
    fn sys_rt_sigprocmask => signal::rt_sigprocmask[i32, UserAddr, UserAddr, usize];
    fn sys_rt_sigreturn => signal::rt_sigreturn[];
    fn sys_ioctl => fs::ioctl[Fd, u32, UserAddr];
    fn sys_pread64 => fs::pread64[Fd, UserAddr, usize, i64];
    fn sys_pwrite64 => fs::pwrite64[Fd, UserAddr, usize, i64];
    fn sys_readv => fs::readv[Fd, UserAddr, i32];
    fn sys_writev => fs::writev[Fd, UserAddr, i32];
    fn sys_access => fs::access[UserAddr, u32];
    fn sys_pipe => fs::pipe[UserAddr];
    fn sys_select => fs::select[i32, UserAddr, UserAddr, UserAddr, UserAddr];
    fn sys_sched_yield => process::sched_yield[];
    fn sys_mremap => memory::mremap[UserAddr, u64, u64, u64, UserAddr];
    fn sys_madvise => memory::madvise[UserAddr, u64, i32];
    fn sys_mincore => memory::mincore[UserAddr, u64, UserAddr];
    fn sys_timer_create => time::timer_create[i32, UserAddr, UserAddr];
    fn sys_timer_settime => time::timer_settime[i32, i32, UserAddr, UserAddr];
    fn sys_timer_gettime => time::timer_gettime[i32, UserAddr];
    fn sys_timer_getoverrun => time::timer_getoverrun[i32];
    fn sys_timer_delete => time::timer_delete[i32];
    fn sys_dup => fs::dup[Fd];
    fn sys_dup2 => fs::dup2[Fd, Fd];
    fn sys_pause => signal::pause[];
    fn sys_nanosleep => time::nanosleep[UserAddr, UserAddr];
    fn sys_getitimer => signal::getitimer[i32, UserAddr];
    fn sys_alarm => signal::alarm[u32];
    fn sys_setitimer => signal::setitimer[i32, UserAddr, UserAddr];
    fn sys_getpid => process::getpid[];
    fn sys_sendfile => fs::sendfile[Fd, Fd, UserAddr, usize];
    fn sys_splice => fs::splice[Fd, UserAddr, Fd, UserAddr, usize, u32];
    fn sys_socket => net::socket[i32, u32, i32];
    fn sys_connect => net::connect[Fd, UserAddr, u32];
    fn sys_accept => net::accept[Fd, UserAddr, UserAddr];
    fn sys_sendto => net::sendto[Fd, UserAddr, usize, u32, UserAddr, u32];
    fn sys_recvfrom => net::recvfrom[Fd, UserAddr, usize, u32, UserAddr, UserAddr];
    fn sys_sendmsg => net::sendmsg[Fd, UserAddr, u32];
    fn sys_recvmsg => net::recvmsg[Fd, UserAddr, u32];
    fn sys_shutdown => net::shutdown[Fd, i32];
    fn sys_bind => net::bind[Fd, UserAddr, u32];
    fn sys_listen => net::listen[Fd, i32];
    fn sys_getsockname => net::getsockname[Fd, UserAddr, UserAddr];
    fn sys_getpeername => net::getpeername[Fd, UserAddr, UserAddr];
    fn sys_socketpair => net::socketpair[i32, u32, i32, UserAddr];
    fn sys_setsockopt => net::setsockopt[Fd, i32, i32, UserAddr, u32];
    fn sys_getsockopt => net::getsockopt[Fd, i32, i32, UserAddr, UserAddr];
    fn sys_clone => lifecycle::clone[u64, UserAddr, UserAddr, UserAddr, u64];
    fn sys_fork => lifecycle::fork[];
    fn sys_vfork => lifecycle::vfork[];
    fn sys_execve => lifecycle::execve[UserAddr, UserAddr, UserAddr];
    fn sys_exit => process::exit[i32];
    fn sys_wait4 => lifecycle::wait4[i32, UserAddr, i32, UserAddr];
    fn sys_kill => signal::kill[i32, i32];
    fn sys_uname => system::uname[UserAddr];
    fn sys_fcntl => fs::fcntl[Fd, u32, u64];
    fn sys_fsync => fs::fsync[Fd];
    fn sys_fdatasync => fs::fsync[Fd];
    fn sys_truncate => fs::truncate[UserAddr, i64];
    fn sys_ftruncate => fs::ftruncate[Fd, i64];
    fn sys_getcwd => fs::getcwd[UserAddr, usize];
    fn sys_chdir => fs::chdir[UserAddr];
    fn sys_fchdir => fs::fchdir[Fd];
    fn sys_rename => fs::rename[UserAddr, UserAddr];
    fn sys_mkdir => fs::mkdir[UserAddr, u32];
    fn sys_rmdir => fs::rmdir[UserAddr];
    fn sys_link => fs::link[UserAddr, UserAddr];
    fn sys_unlink => fs::unlink[UserAddr];
    fn sys_symlink => fs::symlink[UserAddr, UserAddr];
    fn sys_readlink => fs::readlink[UserAddr, UserAddr, i32];
    fn sys_chmod => fs::chmod[UserAddr, u32];
    fn sys_fchmod => fs::fchmod[Fd, u32];
    fn sys_chown => fs::chown[UserAddr, u32, u32];
    fn sys_fchown => fs::fchown[Fd, u32, u32];
    fn sys_lchown => fs::lchown[UserAddr, u32, u32];
    fn sys_umask => fs::umask[u32];
    fn sys_gettimeofday => time::gettimeofday[UserAddr, UserAddr];
    fn sys_getrlimit => process::getrlimit[u32, UserAddr];
    fn sys_getrusage => system::getrusage[i32, UserAddr];
    fn sys_sysinfo => system::sysinfo[UserAddr];
    fn sys_getuid => process::getuid[];
    fn sys_getgid => process::getuid[];
    fn sys_geteuid => process::getuid[];
    fn sys_getegid => process::getuid[];
    fn sys_setpgid => process::setpgid[i32, i32];
    fn sys_getppid => process::getppid[];
    fn sys_getpgrp => process::getpgrp[];
    fn sys_setsid => process::setsid[];
    fn sys_getpgid => process::getpgid[i32];
    fn sys_getsid => process::getsid[i32];
    fn sys_rt_sigpending => signal::rt_sigpending[UserAddr, usize];
    fn sys_rt_sigtimedwait => signal::rt_sigtimedwait[UserAddr, UserAddr, UserAddr, usize];
    fn sys_rt_sigsuspend => signal::rt_sigsuspend[UserAddr, usize];
    fn sys_rt_sigqueueinfo => signal::rt_sigqueueinfo[i32, i32, UserAddr];
    fn sys_rt_tgsigqueueinfo => signal::rt_tgsigqueueinfo[i32, i32, i32, UserAddr];
    fn sys_sigaltstack => signal::sigaltstack[UserAddr, UserAddr];
    fn sys_statfs => fs::statfs[UserAddr, UserAddr];
    fn sys_fstatfs => fs::fstatfs[Fd, UserAddr];
    fn sys_prctl => process::prctl[i32, UserAddr, u64, u64, u64];
    fn sys_arch_prctl => process::arch_prctl[i32, UserAddr];
    fn sys_setrlimit => process::setrlimit[u32, UserAddr];
    fn sys_gettid => process::gettid[];
    fn sys_tkill => signal::tkill[i32, i32];
    fn sys_futex => futex::futex[UserAddr, i32, u32, UserAddr, UserAddr, u32];
    fn sys_sched_setaffinity => process::sched_setaffinity[i32, usize, UserAddr];
    fn sys_sched_getaffinity => process::sched_getaffinity[i32, usize, UserAddr];
    fn sys_time => time::time[UserAddr];
    fn sys_getdents64 => fs::getdents64[Fd, UserAddr, usize];
    fn sys_set_tid_address => process::set_tid_address[UserAddr];
    fn sys_clock_gettime => time::clock_gettime[i32, UserAddr];
    fn sys_clock_getres => time::clock_getres[i32, UserAddr];
    fn sys_clock_nanosleep => time::clock_nanosleep[i32, i32, UserAddr, UserAddr];
    fn sys_exit_group => process::exit_group[i32];
    fn sys_tgkill => signal::tgkill[i32, i32, i32];
    fn sys_epoll_create => events::epoll_create[i32];
    fn sys_epoll_wait => events::epoll_wait[Fd, UserAddr, i32, i32];
    fn sys_epoll_ctl => events::epoll_ctl[Fd, i32, Fd, UserAddr];
    fn sys_epoll_pwait => events::epoll_pwait[Fd, UserAddr, i32, i32, UserAddr, usize];
    fn sys_timerfd_create => events::timerfd_create[i32, u32];
    fn sys_eventfd => events::eventfd[u32];
    fn sys_timerfd_settime => events::timerfd_settime[Fd, u32, UserAddr, UserAddr];
    fn sys_timerfd_gettime => events::timerfd_gettime[Fd, UserAddr];
    fn sys_accept4 => net::accept4[Fd, UserAddr, UserAddr, u32];
    fn sys_recvmmsg => net::recvmmsg[Fd, UserAddr, u32, u32, UserAddr];
    fn sys_sendmmsg => net::sendmmsg[Fd, UserAddr, u32, u32];
    fn sys_eventfd2 => events::eventfd2[u32, u32];
    fn sys_epoll_create1 => events::epoll_create1[u32];
    fn sys_waitid => lifecycle::waitid[i32, i32, UserAddr, i32, UserAddr];
    fn sys_openat => fs::openat[Fd, UserAddr, u32, u32];
    fn sys_mkdirat => fs::mkdirat[Fd, UserAddr, u32];
    fn sys_fchownat => fs::fchownat[Fd, UserAddr, u32, u32, u32];
    fn sys_newfstatat => fs::newfstatat[Fd, UserAddr, UserAddr, u32];
    fn sys_unlinkat => fs::unlinkat[Fd, UserAddr, u32];
    fn sys_renameat => fs::renameat[Fd, UserAddr, Fd, UserAddr];
    fn sys_symlinkat => fs::symlinkat[UserAddr, Fd, UserAddr];
    fn sys_readlinkat => fs::readlinkat[Fd, UserAddr, UserAddr, i32];
    fn sys_fchmodat => fs::fchmodat[Fd, UserAddr, u32];
    fn sys_faccessat => fs::faccessat[Fd, UserAddr, u32];
    fn sys_utimensat => fs::utimensat[Fd, UserAddr, UserAddr, u32];
    fn sys_pselect6 => fs::pselect6[i32, UserAddr, UserAddr, UserAddr, UserAddr, UserAddr];
    fn sys_ppoll => fs::ppoll[UserAddr, u32, UserAddr, UserAddr, usize];
    fn sys_set_robust_list => process::set_robust_list[UserAddr, usize];
    fn sys_get_robust_list => process::get_robust_list[i32, UserAddr, UserAddr];
    fn sys_dup3 => fs::dup3[Fd, Fd, u32];
    fn sys_pipe2 => fs::pipe2[UserAddr, u32];
    fn sys_prlimit64 => process::prlimit64[i32, u32, UserAddr, UserAddr];
    fn sys_getcpu => process::getcpu[UserAddr, UserAddr, UserAddr];
    fn sys_renameat2 => fs::renameat2[Fd, UserAddr, Fd, UserAddr, u32];
    fn sys_getrandom => system::getrandom[UserAddr, usize, u32];
    fn sys_statx => fs::statx[Fd, UserAddr, u32, u32, UserAddr];
    fn sys_rseq => process::rseq[UserAddr, u32, i32, u32];
    fn sys_close_range => fs::close_range[u32, u32, u32];
    fn sys_faccessat2 => fs::faccessat2[Fd, UserAddr, u32, u32];
}
