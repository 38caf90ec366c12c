/* A system-call fuzzer (issue 15): several processes and threads issue
 * random system calls (numbers 0..=450 of Linux's x86-64 table) with
 * random, boundary and pointer-shaped arguments, plus signals to
 * themselves and fork/exit churn. No input may crash, hang or leak the
 * kernel.
 *
 *   fuzz [-n CALLS] [-s SEED] [-t SECONDS] [-p PROCS] [-j THREADS] [-x NR]...
 *
 * (-x leaves call NR out, to narrow a failure down.)
 *
 * Reproducible from its seed (printed first): worker process k's threads
 * draw their calls from streams derived from (seed, k, thread), so a
 * failing seed replays the same calls (their interleaving across CPUs
 * differs from run to run).
 *
 * Normal mode: init (this program, the parent) first runs a deterministic
 * part (every call below that takes a user pointer, given kernel-half and
 * straddling pointers, fails with EFAULT), then forks workers, at most
 * PROCS at a time, each with a budget of calls split over THREADS threads
 * and an alarm() so that a blocked call cannot hang the run; the parent
 * also SIGKILLs any worker past its deadline, and fails if one cannot be
 * killed. It reaps everything, removes the files the workers made, and
 * compares the memory nothing holds (/proc/meminfo: MemFree, the free
 * frames, plus the kernel heap's free part, Slab - SUnreclaim) after a
 * warm-up round against the end: more than LEAK_TOLERANCE_KB less is a
 * leak (a leak of one page per 100 calls over the short pass would show
 * as 4 MiB).
 *
 * HP mode (the vtable in auxv, ringo.mode=hp): one process, no fork or
 * exec; rounds of THREADS threads calling through the vtable (and 1 in 8
 * through the `syscall` instruction, which also works in ring 0), with
 * pointer arguments restricted to the app's own lower half: the app runs
 * in ring 0 and is trusted with kernel memory by design (docs/ABI.md).
 * The deterministic part still passes kernel pointers: every entry must
 * reject them.
 *
 * What is never called, and why: `excluded`. What is called only in a
 * shaped form (timeouts capped, fds non-blocking in HP mode, memory calls
 * kept to the fuzzer's own mm region, no signal to init or to everyone,
 * no limit that starves the fuzzer, SIGALRM left to end a worker, no
 * pointer into musl's thread data...), and why: the comments in
 * `one_call`. In HP mode the caller only watches: a thread stuck in a
 * call for 20 s is reported with the call's number.
 *
 * The last lines are `fuzz: N calls, seed S` and `fuzz: ok`; a failure is
 * a `FAIL:` line with the seed. The random part runs only as init (in a
 * guest): on a host only the deterministic part does. */
#include "check.h"
#include "../../../hp/ringo_hp.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <termios.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_NR 450
#define SCRATCH (64 << 10)
#define MMREGION (64 << 10)
#define MMREGION_AT (1UL << 32)
/* Signal frames are about 5 KiB (4 KiB of FPU state) and every pending
 * signal gets one, nested: the stacks hold more than 15 signals' worth. */
#define ALTSTACK (256 << 10)
#define CLONESTACK (16 << 10)
#define MAX_FDS 24
#define MAX_THREADS 8
#define MAX_PROCS 8
#define WORKER_CALLS 2000
#define WORKER_ALARM_SECS 5
#define WORKER_DEADLINE_NS (12 * 1000000000L)
#define LEAK_TOLERANCE_KB (4 << 10)
/* The fd where the HP-mode app keeps its stdout (its 0..2 go to
 * /dev/null so that random writes do not flood the console). */
#define REPORT_FD 1000

#define KERNEL_DIRECT 0xffff800000000000UL
#define KERNEL_IMAGE 0xffffffff80000000UL
#define USER_LIMIT 0x0000800000000000UL

/* ---------------------------------------------------------------- */
/* Randomness: splitmix64 seeds, xorshift64* streams. */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15UL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
	return x ^ (x >> 31);
}

struct fz {
	uint64_t s;
	int thread;
	long calls;
	struct timespec ts;   /* a short timeout the calls may use */
	char *altstack;
	char *clonestack;
	/* The thread's own sigaction and stack_t: in the shared scratch,
	 * another thread's random read could rewrite them between filling
	 * and the call (the HP app then got a handler with no restorer, or
	 * a random one, and died). */
	long act[4];
	stack_t ss;
};

static uint64_t rnd(struct fz *z)
{
	z->s ^= z->s >> 12;
	z->s ^= z->s << 25;
	z->s ^= z->s >> 27;
	return z->s * 0x2545f4914f6cdd1dUL;
}

static uint64_t below(struct fz *z, uint64_t n) { return n ? rnd(z) % n : 0; }
static int one_in(struct fz *z, uint64_t n) { return below(z, n) == 0; }

/* ---------------------------------------------------------------- */
/* The process's fuzzing state (set up before its threads start). */

static int hp;
static const struct ringo_hp_vtable *vt;
static char *scratch, *ro_page, *mmregion;
static int fds[MAX_FDS];
static atomic_long *total_calls;  /* shared with the parent */
static atomic_int threads_done;
static void *restorer;
static uint64_t the_seed;
static volatile long handled_signals;
/* The call each thread is in (for reports), -1 between calls: in the
 * page shared with the parent, one row per worker slot. */
static volatile long hp_in_call[MAX_THREADS], *in_call = hp_in_call;
/* HP mode: the in-flight call's arguments, for the report of a stuck one. */
static volatile long hp_args[MAX_THREADS][6];

static long raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* A call from the fuzzer: through the vtable in HP mode (1 in 8 through
 * the syscall instruction), else the syscall instruction. */
static long sys6(struct fz *z, long nr, long a, long b, long c, long d, long e, long f)
{
	if (vt && (!z || !one_in(z, 8)) && (uint64_t)nr < vt->count && vt->entries[nr])
		return vt->entries[nr](a, b, c, d, e, f);
	return raw6(nr, a, b, c, d, e, f);
}

/* clone-like calls: the child exits at once, touching no stack (its
 * stack may be the parent's, or garbage). Normal mode: syscall(nr, ...). */
long fz_clone_raw(long nr, long a, long b, long c, long d, long e);
__asm__(".text\n.intel_syntax noprefix\n"
	".global fz_clone_raw\n"
	"fz_clone_raw:\n"
	"	mov rax, rdi\n"
	"	mov rdi, rsi\n"
	"	mov rsi, rdx\n"
	"	mov rdx, rcx\n"
	"	mov r10, r8\n"
	"	mov r8, r9\n"
	"	syscall\n"
	"	test rax, rax\n"
	"	jnz 1f\n"
	"	mov eax, 60\n"
	"	xor edi, edi\n"
	"	syscall\n"
	"2:	pause\n"
	"	jmp 2b\n"
	"1:	ret\n.att_syntax\n");

/* HP mode: call vtable entry `entry`; a child (rax 0) jumps to the exit
 * entry, which never touches [rsp]. rbx is callee-saved: the child has
 * the parent's. */
long fz_clone_hp(long a, long b, long c, long d, long e, void *entry, void *exit_entry);
__asm__(".text\n.intel_syntax noprefix\n"
	".global fz_clone_hp\n"
	"fz_clone_hp:\n"
	"	push rbx\n"
	"	mov rbx, [rsp + 16]\n"
	"	mov rax, r9\n"
	"	call rax\n"
	"	test rax, rax\n"
	"	jnz 1f\n"
	"	xor edi, edi\n"
	"	jmp rbx\n"
	"1:	pop rbx\n"
	"	ret\n.att_syntax\n");

/* rt_sigreturn on a frame of random bytes: the kernel must refuse or
 * restore it without trusting its segments and flags. Normal mode only;
 * the thread does not come back. */
void fz_sigreturn(void *frame);
__asm__(".text\n.intel_syntax noprefix\n"
	".global fz_sigreturn\n"
	"fz_sigreturn:\n"
	"	mov rsp, rdi\n"
	"	mov eax, 15\n"
	"	syscall\n"
	"	mov eax, 231\n"
	"	xor edi, edi\n"
	"	syscall\n.att_syntax\n");

/* ---------------------------------------------------------------- */
/* Argument shapes. */

static long any_ptr(struct fz *z)
{
	switch (below(z, 16)) {
	case 0: return 0;
	case 1: return below(z, 4096);
	case 2: return 0xdead0000000L + below(z, 4096);
	case 3: return hp ? (long)scratch : (long)(KERNEL_DIRECT + below(z, 2) * 4096);
	case 4: return hp ? (long)scratch + 1 : (long)KERNEL_IMAGE;
	case 5: return hp ? (long)ro_page : (long)(below(z, 2) ? USER_LIMIT : 0x8000000000000000UL);
	case 6: return (long)(USER_LIMIT - 1 - below(z, 16));
	case 12: return (long)scratch + SCRATCH - 1 - below(z, 64); /* straddles the guard */
	case 13: return (long)ro_page + below(z, 64);
	case 14: return hp ? (long)(rnd(z) & (USER_LIMIT - 1)) : (long)rnd(z);
	case 15: return (long)scratch;
	default: return (long)scratch + below(z, SCRATCH - 256) * (one_in(z, 4) ? 1 : 0) +
			(one_in(z, 2) ? 0 : 8 * below(z, 512));
	}
}

/* A pointer that is not the fuzzer's scratch: for timeouts, whose
 * random contents there could be days. Nor NULL, which is no timeout at
 * all: a select on no fds then waits for a signal, which in HP mode never
 * comes (seed 6600400691032386732 "stuck in syscall 23") and in normal
 * mode stalled the worker until its alarm. */
static long bad_ptr(struct fz *z)
{
	for (;;) {
		uint64_t p = any_ptr(z);
		if (p && (p < (uint64_t)scratch || p >= (uint64_t)scratch + SCRATCH + 4096))
			return (long)p;
	}
}

static long any_fd(struct fz *z)
{
	switch (below(z, 12)) {
	case 0: return -1;
	case 1: return -100; /* AT_FDCWD */
	case 2: return below(z, 64);
	case 3: return (1L << 32) | fds[below(z, MAX_FDS)]; /* the upper half is ignored */
	case 4: return INT_MAX;
	case 5: return 1023 + below(z, 2);
	case 6: return INT_MIN + below(z, 2);
	default: return fds[below(z, MAX_FDS)];
	}
}

static long any_flags(struct fz *z)
{
	switch (below(z, 8)) {
	case 0: return 0;
	case 1: return -1;
	case 2: return 0xffffffffL;
	case 3: return 1L << below(z, 64);
	case 4: return (uint32_t)rnd(z);
	case 5: return rnd(z) & 0xfff;
	case 6: return (1L << below(z, 32)) | (1L << below(z, 32));
	default: return (long)rnd(z);
	}
}

static long any_len(struct fz *z)
{
	switch (below(z, 10)) {
	case 0: return 0;
	case 1: return 1 + below(z, 16);
	case 2: return 4096;
	case 3: return SCRATCH;
	case 4: return -1;
	case 5: return LONG_MAX;
	case 6: return 1L << (31 + below(z, 33));
	case 7: return 4096 * below(z, 64);
	default: return below(z, 512);
	}
}

static long any_int(struct fz *z)
{
	switch (below(z, 10)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return -1;
	case 3: return below(z, 16);
	case 4: return INT_MAX;
	case 5: return INT_MIN;
	case 6: return (int)rnd(z);
	case 7: return (long)rnd(z);
	default: return below(z, 64);
	}
}

static long any_arg(struct fz *z)
{
	switch (below(z, 5)) {
	case 0: return any_ptr(z);
	case 1: return any_fd(z);
	case 2: return any_flags(z);
	case 3: return any_len(z);
	default: return any_int(z);
	}
}

/* Paths: any may be read; only those under the fuzz directory (or
 * relative, the workers' cwd being it) are written, renamed or removed. */
static const char *const read_paths[] = {
	"/", "/proc", "/proc/self", "/proc/self/stat", "/proc/meminfo", "/proc/self/fd", "/dev",
	"/dev/null", "/dev/zero", "/dev/urandom", "/nonexistent", "", ".", "..", "/tmp",
	"/proc/self/cmdline", "/tmp/fz/a/b/c/d", "////", "/dev/tty",
};
static const char *const write_paths[] = {
	"a", "b", "d", "d/x", "l", "/tmp/fz/a", "/tmp/fz/b", "/tmp/fz/d", "/tmp/fz/d/x", "/tmp/fz/l",
	"/tmp/fz/d/y/z", "d/.", "/tmp/fz/a/", "dd",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static long write_path(struct fz *z)
{
	if (one_in(z, 8))
		return any_ptr(z);
	return (long)write_paths[below(z, COUNT(write_paths))];
}

static long read_path(struct fz *z)
{
	if (one_in(z, 3))
		return write_path(z);
	if (one_in(z, 8))
		return any_ptr(z);
	return (long)read_paths[below(z, COUNT(read_paths))];
}

/* A user-memory argument of the memory-management calls: only the
 * fuzzer's own mm region (so that it never unmaps its code, stack, heap
 * or scratch), or addresses it does not own at all. */
static long mm_addr(struct fz *z)
{
	switch (below(z, 8)) {
	case 0: return hp ? (long)mmregion : (long)(KERNEL_DIRECT + 4096 * below(z, 4));
	case 1: return hp ? (long)mmregion + 1 : (long)KERNEL_IMAGE;
	case 2: /* high in the lower half, below the stack, above the mmaps */
		return (long)(0x7ffff0000000UL - 4096 * below(z, 4));
	case 3: return (long)mmregion + below(z, MMREGION);
	case 4: return 0;
	default: return (long)mmregion + 4096 * below(z, MMREGION / 4096);
	}
}

/* A length for `addr` that stays in the mm region when addr is in it,
 * and is anything when the address is not ours (0 only with a small one:
 * the code is at 4 MiB). */
static long mm_len(struct fz *z, long addr)
{
	long len = any_len(z);
	uint64_t a = addr, m = (uint64_t)mmregion;
	if (a >= m && a < m + MMREGION) {
		uint64_t room = m + MMREGION - a;
		if ((uint64_t)len > room)
			len = below(z, room + 1);
	} else if (a < (1 << 20) && (uint64_t)len > (1 << 20)) {
		len = below(z, 1 << 20);
	} else if (hp && (uint64_t)len > (64 << 10)) {
		/* The one HP app must not unmap its own stacks (a huge length
		 * from high in the lower half reaches the main stack): it would
		 * fault for ever in its signal handlers. */
		len = below(z, 64 << 10);
	}
	return len;
}

static const int handled[] = {SIGUSR1, SIGUSR2, SIGCHLD, SIGCONT, SIGWINCH, SIGURG, SIGPIPE,
			      SIGHUP,  SIGINT,  SIGTERM, SIGPROF, SIGVTALRM, SIGIO, 34, 40, 64};

static long any_sig(struct fz *z)
{
	/* HP mode: no real-time signals (the last three), which queue
	 * without bound: a frame each would overflow any stack, and a
	 * SIGSEGV ends the one app. */
	if (hp)
		return one_in(z, 16) ? 0 : handled[below(z, COUNT(handled) - 3)];
	if (one_in(z, 2))
		return one_in(z, 16) ? 0 : handled[below(z, COUNT(handled))];
	long s = below(z, 70);
	if (s == SIGKILL || s == SIGSTOP || s == SIGALRM)
		s = one_in(z, 16) ? s : SIGUSR1;
	if (s == SIGSTOP)
		s = SIGCONT; /* a stopped worker only ends at its deadline */
	return s;
}

/* A pid for kill-like calls: never 1 (init) or -1 (everyone). */
static long any_pid(struct fz *z, long *sig)
{
	switch (below(z, 8)) {
	case 0: /* our process group: harmless signals only */
		*sig = one_in(z, 2) ? 0 : SIGCONT;
		return one_in(z, 2) ? 0 : -getpgid(0);
	case 1: return 2 + below(z, 60);
	case 2: return INT_MAX;
	case 3: return getppid() == 1 && !hp ? getpid() : 99999;
	default: return getpid();
	}
}

static void refill(struct fz *z, long p)
{
	uint64_t s = (uint64_t)scratch;
	if ((uint64_t)p < s || (uint64_t)p >= s + SCRATCH - 512)
		return;
	uint64_t *w = (uint64_t *)(p & ~7L);
	int kind = below(z, 4);
	for (int i = 0; i < 64; i++) {
		switch (kind) {
		case 0: w[i] = rnd(z); break;
		case 1: w[i] = i & 1 ? below(z, 64) : (uint64_t)scratch + 8 * below(z, 1024); break;
		case 2: w[i] = below(z, 3) == 0 ? 0 : below(z, 1000); break; /* small numbers, short times */
		default: w[i] = any_arg(z); break;
		}
	}
	if (hp) /* no handler or stack addresses outside the app */
		for (int i = 0; i < 64; i++)
			if (w[i] >= USER_LIMIT)
				w[i] &= USER_LIMIT - 1;
}

static void on_signal(int sig)
{
	(void)sig;
	handled_signals++;
}

/* Numbers left out with -x (to narrow a failure down). */
static unsigned char left_out[MAX_NR + 1];

/* Calls never made, and why. */
static int excluded(long nr)
{
	if (left_out[nr])
		return 1;
	switch (nr) {
	case SYS_reboot:      /* ends the run */
	case SYS_exit:        /* a thread's end is the fuzzer's (churn children exit on purpose) */
	case SYS_exit_group:  /* likewise */
	case SYS_pause:       /* waits for ever by design */
	case SYS_rt_sigsuspend: /* likewise */
	case SYS_ptrace:      /* would stop the fuzzer */
	case SYS_seccomp:     /* would make its own calls fail or kill it */
	case SYS_kexec_load:  /* like reboot */
	case 320:             /* kexec_file_load */
		return 1;
	}
	return 0;
}

/* The call with every argument random, then shaped where a random value
 * would only hurt the fuzzer (not the kernel) or block for ever. */
static long one_call(struct fz *z)
{
	long nr;
	do
		nr = below(z, MAX_NR + 1);
	while (excluded(nr));
	long a[6];
	for (int i = 0; i < 6; i++) {
		a[i] = any_arg(z);
		refill(z, a[i]);
	}
	z->ts.tv_sec = 0;
	z->ts.tv_nsec = below(z, 2000000);
	int shaped = hp || !one_in(z, 16);

	switch (nr) {
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64:
	case SYS_readv: case SYS_writev: case SYS_preadv: case SYS_pwritev:
	case SYS_getdents64: case SYS_getdents: case SYS_fstat: case SYS_fstatfs:
	case SYS_lseek: case SYS_fsync: case SYS_fdatasync: case SYS_ftruncate:
	case SYS_close: case SYS_dup: case SYS_fchmod: case SYS_fchown: case SYS_flock:
		a[0] = any_fd(z);
		if (nr == SYS_flock && shaped)
			a[1] |= LOCK_NB;
		break;
	case SYS_open: case SYS_creat:
		a[0] = one_in(z, 2) ? write_path(z) : read_path(z);
		if (shaped)
			a[1] |= O_NONBLOCK;
		break;
	case SYS_openat:
		a[0] = any_fd(z);
		a[1] = one_in(z, 2) ? write_path(z) : read_path(z);
		if (shaped)
			a[2] |= O_NONBLOCK;
		break;
	case SYS_stat: case SYS_lstat: case SYS_access: case SYS_readlink: case SYS_statfs:
	case SYS_execve: case SYS_chdir: case SYS_uselib:
		a[0] = nr == SYS_chdir ? write_path(z) : read_path(z);
		if (hp && nr == SYS_execve)
			a[0] = 0;
		break;
	case SYS_newfstatat: case SYS_faccessat: case SYS_faccessat2: case SYS_readlinkat:
	case SYS_statx: case SYS_execveat:
		a[0] = any_fd(z);
		a[1] = read_path(z);
		break;
	case SYS_mkdir: case SYS_rmdir: case SYS_unlink: case SYS_chmod: case SYS_chown:
	case SYS_lchown: case SYS_truncate: case SYS_mknod: case SYS_utime: case SYS_utimes:
	case SYS_setxattr: case SYS_removexattr:
		a[0] = write_path(z);
		break;
	case SYS_rename: case SYS_link: case SYS_symlink:
		a[0] = nr == SYS_symlink ? read_path(z) : write_path(z);
		a[1] = write_path(z);
		break;
	case SYS_mkdirat: case SYS_unlinkat: case SYS_fchownat: case SYS_fchmodat:
	case SYS_utimensat: case SYS_mknodat: case SYS_futimesat:
		a[0] = any_fd(z);
		a[1] = write_path(z);
		break;
	case SYS_renameat: case SYS_renameat2: case SYS_linkat:
		a[0] = any_fd(z);
		a[1] = write_path(z);
		a[2] = any_fd(z);
		a[3] = write_path(z);
		break;
	case SYS_symlinkat:
		a[0] = read_path(z);
		a[1] = any_fd(z);
		a[2] = write_path(z);
		break;
	case SYS_chroot: case SYS_pivot_root: case SYS_mount: case SYS_umount2:
	case SYS_swapon: case SYS_swapoff: case SYS_acct:
		/* The one HP process would lose /proc (and its leak check) in a
		 * chroot to a fuzz directory; a worker may. */
		if (hp && (nr == SYS_chroot || nr == SYS_pivot_root))
			return 0;
		a[0] = write_path(z); /* would move the fuzzer's root away */
		a[1] = write_path(z);
		break;
	case SYS_fchdir:
		if (shaped)
			a[0] = fds[below(z, 3)]; /* keep the cwd in the fuzz directory mostly */
		break;
	case SYS_sendfile: case SYS_splice: case SYS_copy_file_range: case SYS_tee:
		/* Up to 2 GiB from /dev/zero takes tens of seconds under TCG: in
		 * a worker a signal ends it with a partial count (longcall.c), but
		 * nothing interrupts the HP app. */
		if (hp)
			a[nr == SYS_sendfile ? 3 : nr == SYS_tee ? 2 : 4] &= (1 << 20) - 1;
		break;
	case SYS_poll:
		a[1] = below(z, 9);
		a[2] = below(z, 3);
		break;
	case SYS_select:
		a[4] = one_in(z, 4) ? bad_ptr(z) : (long)&z->ts; /* a timeval of < 2 s... */
		z->ts.tv_nsec /= 1000000; /* ...made < 2 ms */
		break;
	case SYS_pselect6: case SYS_ppoll: case SYS_epoll_pwait2:
		a[nr == SYS_pselect6 ? 4 : nr == SYS_ppoll ? 2 : 3] = one_in(z, 8) ? bad_ptr(z) : (long)&z->ts;
		if (nr == SYS_ppoll)
			a[1] = below(z, 9);
		break;
	case SYS_epoll_wait: case SYS_epoll_pwait:
		a[0] = any_fd(z);
		a[3] = below(z, 3);
		break;
	case SYS_nanosleep:
		a[0] = one_in(z, 8) ? bad_ptr(z) : (long)&z->ts;
		break;
	case SYS_clock_nanosleep:
		a[2] = one_in(z, 8) ? bad_ptr(z) : (long)&z->ts;
		break;
	case SYS_rt_sigtimedwait:
		a[2] = one_in(z, 8) ? bad_ptr(z) : (long)&z->ts;
		break;
	case SYS_futex: {
		int op = a[1] & 0x7f;
		/* Waits get a short timeout; FUTEX_WAIT_REQUEUE_PI and LOCK_PI too. */
		if (op == 0 || op == 9 || op == 11 || op == 6 || op == 13 || op == 128 || op == 137)
			a[3] = one_in(z, 8) ? bad_ptr(z) : (long)&z->ts;
		if ((op & 0xf) == 0 || (op & 0xf) == 9 || (op & 0xf) == 11)
			a[3] = (long)&z->ts;
		break;
	}
	case SYS_wait4: case SYS_waitid:
		if (shaped)
			a[nr == SYS_wait4 ? 2 : 3] |= WNOHANG;
		if (a[0] == -1 || a[0] == 0)
			a[2] |= WNOHANG;
		if (nr == SYS_wait4 && (a[0] < -1 || a[0] == 0))
			a[0] = -1;
		break;
	case SYS_alarm: case SYS_setitimer:
		if (!hp)
			return 0; /* the worker's own alarm ends it if blocked */
		if (nr == SYS_alarm)
			a[0] = below(z, 2);
		break;
	case SYS_rt_sigaction:
		a[0] = one_in(z, 8) ? any_int(z) : (long)(1 + below(z, 64));
		if (a[0] == SIGALRM && !hp)
			a[0] = SIGUSR2;
		a[3] = one_in(z, 8) ? any_len(z) : 8;
		if (hp || one_in(z, 2)) {
			/* Our handler or SIG_IGN (in HP mode a handler must be
			 * the app's: a default action ends the one process). */
			long *act = hp ? z->act : (long *)(scratch + 1024 * below(z, 4));
			act[0] = one_in(z, 3) ? (long)SIG_IGN : (long)on_signal;
			act[1] = (rnd(z) & ~(long)(SA_SIGINFO | SA_RESETHAND)) | 0x04000000 /* SA_RESTORER */;
			act[2] = (long)restorer;
			act[3] = rnd(z);
			a[1] = !hp && one_in(z, 4) ? 0 : (long)act;
		}
		break;
	case SYS_rt_sigprocmask:
		if (one_in(z, 2)) {
			uint64_t *set = (uint64_t *)(scratch + SCRATCH - 4096);
			*set = rnd(z) & ~(1UL << (SIGALRM - 1));
			a[1] = (long)set;
		}
		a[3] = one_in(z, 8) ? any_len(z) : 8;
		break;
	case SYS_sigaltstack:
		if (hp || one_in(z, 2)) {
			stack_t *ss = hp ? &z->ss : (stack_t *)(scratch + 2048);
			ss->ss_sp = z->altstack;
			ss->ss_size = ALTSTACK;
			ss->ss_flags = one_in(z, 3) ? SS_DISABLE : one_in(z, 2) ? 0 : (1 << 31);
			a[0] = one_in(z, 4) ? 0 : (long)ss;
			if (hp && !a[1])
				a[1] = 0;
		}
		break;
	case SYS_rt_sigreturn:
		if (hp || !one_in(z, 64))
			return 0;
		break;
	case SYS_clone: case SYS_fork: case SYS_vfork: case SYS_clone3:
		if (hp) {
			if (nr == SYS_clone) {
				a[0] |= CLONE_VM | CLONE_THREAD | CLONE_SIGHAND;
				a[0] &= ~(long)CLONE_SETTLS; /* musl's TLS would be lost in signal handlers */
				a[1] = (long)z->clonestack + CLONESTACK - 64;
			}
		} else if (nr == SYS_clone) {
			if (one_in(z, 2))
				a[1] = (long)z->clonestack + CLONESTACK - 64;
			a[0] &= ~(long)CLONE_SETTLS;
		}
		break;
	case SYS_kill: case SYS_tkill: case SYS_tgkill: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case 424 /* pidfd_send_signal */: {
		long s = any_sig(z);
		long pid = any_pid(z, &s);
		if (hp && pid != getpid())
			pid = getpid(); /* one app: nobody else to signal */
		if (nr == SYS_tkill) {
			a[0] = one_in(z, 2) ? gettid() : pid;
			a[1] = s;
		} else if (nr == SYS_tgkill || nr == SYS_rt_tgsigqueueinfo) {
			a[0] = pid;
			a[1] = one_in(z, 2) ? gettid() : pid;
			a[2] = s;
		} else if (nr == 424) {
			a[1] = s;
		} else {
			a[0] = pid;
			a[1] = s;
		}
		if (nr == SYS_rt_sigqueueinfo || nr == SYS_rt_tgsigqueueinfo) {
			int *info = (int *)(scratch + 3072);
			info[0] = s;
			info[2] = one_in(z, 2) ? -1 /* SI_QUEUE */ : (int)rnd(z);
			a[nr == SYS_rt_sigqueueinfo ? 2 : 3] = one_in(z, 4) ? any_ptr(z) : (long)info;
		}
		break;
	}
	case SYS_setrlimit: case SYS_prlimit64: {
		/* Limits that would starve the fuzzer itself are left alone. */
		static const int ok[] = {RLIMIT_CORE, RLIMIT_RTPRIO, RLIMIT_NICE, RLIMIT_MSGQUEUE,
					 RLIMIT_SIGPENDING, RLIMIT_MEMLOCK, RLIMIT_LOCKS, RLIMIT_RSS, 99};
		int i = nr == SYS_prlimit64;
		if (i) {
			a[0] = one_in(z, 2) ? 0 : one_in(z, 2) ? getpid() : 99999;
			if (one_in(z, 4))
				a[2] = 0; /* only read */
		}
		a[i] = ok[below(z, COUNT(ok))];
		break;
	}
	case SYS_prctl:
		if (a[0] == 22 /* PR_SET_SECCOMP */ || a[0] == 35 /* PR_SET_MM: the fuzzer's layout */)
			a[0] = 16; /* PR_GET_NAME... */
		a[0] = one_in(z, 2) ? (long)below(z, 80) : a[0];
		if (a[0] == 22 || a[0] == 35 || (hp && a[0] == 40 /* PR_GET_TID_ADDRESS */))
			a[0] = 1;
		break;
	case SYS_arch_prctl:
		a[0] = one_in(z, 4) ? any_int(z) : (long)(0x1001 + below(z, 4));
		if (a[0] == 0x1002 /* ARCH_SET_FS: musl's TLS */)
			a[0] = 0x1003;
		if (hp && a[0] == 0x1001 && (uint64_t)a[1] >= USER_LIMIT)
			a[1] = 0;
		/* In HP mode no call may leave a pointer to the fuzzer's own
		 * thread data in scratch, where a later call could take it for
		 * an output buffer (normal mode: that worker would die). */
		if (hp && (a[0] == 0x1003 || a[0] == 0x1004))
			return 0;
		break;
	case SYS_get_robust_list:
		if (hp)
			return 0;
		break;
	case SYS_mmap: {
		int fixed = a[3] & (MAP_FIXED | 0x100000);
		a[0] = fixed || one_in(z, 2) ? mm_addr(z) : a[0];
		a[1] = fixed ? mm_len(z, a[0]) : a[1];
		if (a[3] & MAP_FIXED && (uint64_t)a[0] < (uint64_t)mmregion) {
			if (hp)
				a[0] = (long)mmregion;
		}
		if (fixed && (uint64_t)a[0] < USER_LIMIT &&
		    !((uint64_t)a[0] >= (uint64_t)mmregion && (uint64_t)a[0] < (uint64_t)mmregion + MMREGION) &&
		    (uint64_t)a[0] < USER_LIMIT - (16UL << 30))
			a[0] = (long)mmregion;
		a[1] = fixed ? mm_len(z, a[0]) : a[1];
		a[4] = any_fd(z);
		break;
	}
	case SYS_munmap: case SYS_mprotect: case SYS_madvise: case SYS_msync: case SYS_mlock:
	case SYS_munlock: case SYS_remap_file_pages: case SYS_pkey_mprotect: case SYS_mbind:
	case SYS_mlock2: case SYS_process_madvise: case 450:
	case 453:
		if (nr == SYS_process_madvise)
			return 0; /* could drop any of the fuzzer's pages */
		a[0] = mm_addr(z);
		a[1] = mm_len(z, a[0]);
		break;
	case SYS_mremap:
		a[0] = mm_addr(z);
		a[1] = mm_len(z, a[0]);
		if (a[3] & 2 /* MREMAP_FIXED */) {
			a[4] = mm_addr(z);
			a[2] = mm_len(z, a[4]);
		} else if ((uint64_t)a[0] >= (uint64_t)mmregion && (uint64_t)a[0] < (uint64_t)mmregion + MMREGION &&
			   !(a[3] & 1)) {
			a[2] = mm_len(z, a[0]); /* grown in place over whatever follows */
		}
		break;
	case SYS_mincore:
		a[0] = mm_addr(z);
		break;
	case SYS_brk:
		a[0] = hp ? 0 : one_in(z, 2) ? 0 : (long)(KERNEL_DIRECT + below(z, 2));
		break;
	case SYS_shmat: case SYS_shmdt: case SYS_io_setup: case SYS_io_uring_setup:
		a[1] = mm_addr(z);
		break;
	case SYS_close_range:
		a[0] = 3 + below(z, 64);
		if ((uint64_t)a[1] >= REPORT_FD)
			a[1] = REPORT_FD - 1;
		break;
	case SYS_dup2: case SYS_dup3:
		a[0] = any_fd(z);
		a[1] = any_fd(z);
		if (a[1] == REPORT_FD)
			a[1] = 3;
		break;
	case SYS_fcntl:
		a[0] = any_fd(z);
		a[1] = one_in(z, 4) ? any_int(z) : (long)below(z, 48);
		if (a[1] == F_SETLKW || a[1] == 38 /* F_OFD_SETLKW */ || a[1] == 10 /* F_SETSIG */)
			a[1] = F_GETFL;
		if (a[1] == F_SETFL && shaped)
			a[2] |= O_NONBLOCK;
		if (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)
			a[2] &= 0x3ff;
		break;
	case SYS_ioctl:
		a[0] = any_fd(z);
		if (a[1] == 0x5421 /* FIONBIO */ && shaped)
			a[1] = 0x541b; /* FIONREAD */
		if (one_in(z, 2))
			a[1] = 0x5400 + below(z, 0x60);
		if (hp && a[1] == 0x5421)
			a[1] = 0x541b;
		break;
	case SYS_socket: case SYS_socketpair:
		a[0] = one_in(z, 2) ? (long)below(z, 2) + 1 /* AF_UNIX, AF_INET */ : (one_in(z, 2) ? 10 : a[0]);
		a[1] = one_in(z, 2) ? (long)(1 + below(z, 5)) : a[1];
		if (shaped)
			a[1] |= SOCK_NONBLOCK;
		a[2] = one_in(z, 2) ? 0 : a[2];
		break;
	case SYS_accept4:
		if (shaped)
			a[3] |= SOCK_NONBLOCK;
		/* fallthrough */
	case SYS_connect: case SYS_accept: case SYS_bind: case SYS_listen: case SYS_shutdown:
	case SYS_getsockname: case SYS_getpeername: case SYS_setsockopt: case SYS_getsockopt:
		a[0] = any_fd(z);
		break;
	case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg:
	case SYS_sendmmsg: case SYS_recvmmsg:
		a[0] = any_fd(z);
		if (shaped)
			a[nr == SYS_sendto || nr == SYS_recvfrom ? 3 : 2] |= MSG_DONTWAIT;
		if (nr == SYS_recvmmsg)
			a[4] = one_in(z, 2) ? 0 : (long)&z->ts;
		break;
	case SYS_pipe: case SYS_pipe2:
		if (hp) {
			nr = SYS_pipe2;
			a[1] |= O_NONBLOCK;
		}
		break;
	case SYS_eventfd: case SYS_eventfd2: case SYS_timerfd_create: case SYS_signalfd4:
	case SYS_inotify_init1: case SYS_epoll_create1:
		if (shaped)
			a[nr == SYS_signalfd4 ? 3 : 1] |= O_NONBLOCK;
		if (nr == SYS_eventfd && hp)
			return 0; /* no flags: a blocking eventfd */
		break;
	case SYS_timer_create:
		if (hp || one_in(z, 2)) {
			int *ev = (int *)(scratch + 4096);
			ev[2] = any_sig(z);
			ev[3] = below(z, 5); /* SIGEV_SIGNAL, NONE, THREAD, 3, THREAD_ID */
			ev[4] = one_in(z, 2) ? gettid() : (int)rnd(z);
			a[1] = one_in(z, 4) ? 0 : (long)ev;
			if (hp && !a[1])
				a[1] = (long)ev;
			if (hp)
				ev[3] = below(z, 2) ? 1 : 0;
		}
		break;
	case SYS_set_tid_address:
		/* musl's thread exit releases its thread-list lock through
		 * this address (the kernel's clear and wake): moved, the next
		 * pthread_create waits for ever. */
		return 0;
	case SYS_set_robust_list: case SYS_rseq:
		a[0] = any_ptr(z);
		break;
	case SYS_getrandom:
		a[2] &= ~1L; /* GRND_NONBLOCK is fine; the pool never blocks anyway */
		break;
	case SYS_process_vm_writev:
		return 0; /* writes any of the fuzzer's memory */
	case SYS_personality:
		a[0] = one_in(z, 2) ? 0xffffffff : 0; /* query, or the default */
		break;
	}

	in_call[z->thread] = nr;
	if (hp)
		for (int i = 0; i < 6; i++)
			hp_args[z->thread][i] = a[i];
	long r;
	if (nr == SYS_clone || nr == SYS_fork || nr == SYS_vfork || nr == SYS_clone3) {
		if (hp) {
			if (nr != SYS_clone)
				r = sys6(z, nr, a[0], a[1], a[2], a[3], a[4], 0);
			else {
				/* The child takes no signal before its exit: a
				 * frame on the shared clone stack could land on
				 * another child's, and a fault ends the one app. */
				uint64_t all = ~0UL, old;
				sys6(NULL, SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, 8, 0, 0);
				r = fz_clone_hp(a[0], a[1], a[2], a[3], a[4], (void *)vt->entries[nr],
						(void *)vt->entries[SYS_exit]);
				sys6(NULL, SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
			}
		} else {
			r = fz_clone_raw(nr, a[0], a[1], a[2], a[3], a[4]);
		}
	} else if (nr == SYS_rt_sigreturn) {
		char *frame = scratch + 8192;
		for (int i = 0; i < 1024; i += 8)
			*(uint64_t *)(frame + i) = one_in(z, 2) ? rnd(z) : (uint64_t)any_arg(z);
		fz_sigreturn(frame);
		r = 0;
	} else {
		r = sys6(z, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	in_call[z->thread] = -1;
	/* Keep the fds it made, in a random slot past the first three (the
	 * fuzz directory, /dev/null, /dev/zero stay). */
	if (r >= 0 && r < 1024 && r != REPORT_FD &&
	    (nr == SYS_open || nr == SYS_openat || nr == SYS_dup || nr == SYS_socket || nr == SYS_accept ||
	     nr == SYS_accept4 || nr == SYS_epoll_create1 || nr == SYS_eventfd2 || nr == SYS_timerfd_create ||
	     nr == SYS_creat || nr == SYS_signalfd4 || nr == SYS_memfd_create))
		fds[3 + below(z, MAX_FDS - 3)] = r;
	return r;
}

/* ---------------------------------------------------------------- */
/* Threads and processes. */

static long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000L + t.tv_nsec;
}

struct job {
	uint64_t seed;
	long budget;
	int thread;
	int threads;
};

static void fuzz_loop(struct fz *z, long budget);

/* A fork that runs a few calls of its own, then exits with a random
 * status (normal mode). */
static void churn_child(struct fz *z)
{
	alarm(2); /* alarms are not inherited */
	z->thread = 0;
	fuzz_loop(z, 20);
	raw6(SYS_exit_group, rnd(z) & 0xff, 0, 0, 0, 0, 0);
}

static void fuzz_loop(struct fz *z, long budget)
{
	for (long i = 0; i < budget; i++) {
		if (!hp && one_in(z, 500)) {
			long pid = raw6(SYS_fork, 0, 0, 0, 0, 0, 0);
			if (pid == 0)
				churn_child(z);
		}
		one_call(z);
		z->calls++;
		atomic_fetch_add_explicit(total_calls, 1, memory_order_relaxed);
	}
}

static struct fz *new_fz(uint64_t seed, int thread)
{
	/* One per thread slot, kept from round to round: the HP app lives
	 * for the whole run, and new stacks each round (with their guard
	 * pages' mappings) would grow its own memory without end. */
	static struct fz *kept[MAX_THREADS];
	struct fz *z = kept[thread];
	if (z) {
		z->s = splitmix(seed) | 1;
		z->calls = 0;
		return z;
	}
	z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	z->s = splitmix(seed) | 1;
	z->thread = thread;
	/* Each with a guard page below: a signal frame that does not fit
	 * faults instead of writing over something else. */
	char *alt = mmap(NULL, ALTSTACK + CLONESTACK + 2 * 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt == MAP_FAILED)
		return NULL;
	mprotect(alt, 4096, PROT_NONE);
	mprotect(alt + 4096 + ALTSTACK, 4096, PROT_NONE);
	z->altstack = alt + 4096;
	z->clonestack = alt + 2 * 4096 + ALTSTACK;
	kept[thread] = z;
	return z;
}

static void *thread_main(void *arg)
{
	struct job *j = arg;
	struct fz *z = new_fz(j->seed, j->thread);
	if (z)
		fuzz_loop(z, j->budget);
	atomic_fetch_add(&threads_done, 1);
	return NULL;
}

/* The process's memory and fds for fuzzing; 0 on success. */
static int setup_process(void)
{
	char *m = mmap(NULL, SCRATCH + 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* The mm region stands apart, far below where mmap(NULL) puts
	 * things: a hole the random calls make in it must not be refilled
	 * by the fuzzer's own later mappings (a thread's stack, its
	 * state), which the next munmap there would take away (the HP app
	 * then faulted for ever in its SIGSEGV handler). */
	char *r = mmap((void *)MMREGION_AT, MMREGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);
	if (m == MAP_FAILED || r == MAP_FAILED)
		return -1;
	scratch = m;
	memset(scratch, 0x5a, SCRATCH);
	mprotect(m + SCRATCH, 4096, PROT_NONE); /* the guard after scratch */
	ro_page = m + SCRATCH + 4096;
	mprotect(ro_page, 4096, PROT_READ);
	mmregion = r;
	mkdir("/tmp/fz", 0777);
	mkdir("/tmp/fz/d", 0777);
	int i = 0;
	fds[i++] = open("/tmp/fz", O_RDONLY | O_DIRECTORY);
	fds[i++] = open("/dev/null", O_RDWR);
	fds[i++] = open("/dev/zero", O_RDWR);
	fds[i++] = open("/tmp/fz/a", O_RDWR | O_CREAT | O_NONBLOCK, 0644);
	fds[i++] = open("/proc/self/stat", O_RDONLY);
	fds[i++] = open("/", O_RDONLY | O_DIRECTORY);
	int p[2];
	if (pipe2(p, O_NONBLOCK) == 0) {
		fds[i++] = p[0];
		fds[i++] = p[1];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, p) == 0) {
		fds[i++] = p[0];
		fds[i++] = p[1];
	}
	fds[i++] = eventfd(1, EFD_NONBLOCK);
	fds[i++] = epoll_create1(0);
	fds[i++] = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	fds[i++] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	fds[i++] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	fds[i++] = open("/dev/urandom", O_RDONLY);
	while (i < MAX_FDS)
		fds[i] = fds[i % 8], i++;
	/* A handler for every signal but SIGALRM (the worker's end) and
	 * those that cannot be caught; its restorer is musl's. */
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	for (int s = 1; s <= 64; s++)
		if (s != SIGKILL && s != SIGSTOP && (s != SIGALRM || hp) && (s < 32 || s > 34 || s == 34))
			sigaction(s, &sa, NULL);
	long old[4];
	raw6(SYS_rt_sigaction, SIGUSR1, 0, (long)old, 8, 0, 0);
	restorer = (void *)old[2];
	return 0;
}

/* Runs `budget` calls over `threads` threads; the caller is thread 0
 * when `caller_fuzzes` (else it only waits, to report a stuck call).
 * Returns when all are done or `wait_ns` after the caller's share. */
static int run_threads(uint64_t seed, long budget, int threads, long wait_ns, int caller_fuzzes)
{
	static struct job jobs[MAX_THREADS];
	atomic_store(&threads_done, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 512 << 10);
	int started = caller_fuzzes;
	for (int t = 0; t < threads; t++) {
		jobs[t] = (struct job){splitmix(seed ^ (uint64_t)t << 48), budget / threads, t, threads};
		in_call[t] = -1;
	}
	for (int t = caller_fuzzes; t < threads; t++) {
		pthread_t id;
		if (pthread_create(&id, &attr, thread_main, &jobs[t]) == 0)
			started++;
	}
	if (caller_fuzzes)
		thread_main(&jobs[0]);
	struct timespec tick = {0, 1000000};
	long until = now_ns() + wait_ns;
	while (atomic_load(&threads_done) < started && now_ns() < until)
		nanosleep(&tick, NULL);
	return atomic_load(&threads_done) == started ? 0 : -1;
}

static void worker(uint64_t seed, long budget, int threads, int slot)
{
	in_call = (volatile long *)total_calls + 8 + slot * MAX_THREADS;
	setsid();
	mkdir("/tmp/fz", 0777);
	if (chdir("/tmp/fz") != 0)
		_exit(2);
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	alarm(WORKER_ALARM_SECS);
	if (setup_process() != 0)
		_exit(3);
	run_threads(seed, budget, threads, 200 * 1000000L, 1);
	/* Threads still in a call end with the process. */
	raw6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* ---------------------------------------------------------------- */
/* The deterministic part: user pointers the kernel must refuse. */

static long kcall(long nr, long a, long b, long c, long d, long e, long f)
{
	return sys6(NULL, nr, a, b, c, d, e, f);
}

/* Every call below takes a user pointer and succeeds with a good one;
 * each of the bad ones (kernel half, the kernel image, non-canonical,
 * straddling the top of the lower half) gets EFAULT, in HP mode too,
 * where the caller could reach them itself. */
static void bad_pointers(void)
{
	static const unsigned long bad[] = {KERNEL_DIRECT, KERNEL_DIRECT + 0x1000, KERNEL_IMAGE,
					    0x8000000000000000UL, USER_LIMIT - 8};
	int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDONLY);
	int file = open("/tmp/fzk", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(write(file, "0123456789abcdef0123456789abcdef", 32), 32);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	int ep = epoll_create1(0), efd = eventfd(0, EFD_NONBLOCK);
	int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	CHECK(null >= 0 && zero >= 0 && file >= 0 && dir >= 0 && ep >= 0 && efd >= 0 && tfd >= 0 && udp >= 0);
	CHECK_EQ(symlink("fzk", "/tmp/fzl"), 0);
	struct timespec ts0 = {0, 0};
	struct timeval tv0 = {0, 0};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t slen = sizeof sin;
	int one = 1;
	timer_t timer;
	CHECK_EQ(timer_create(CLOCK_MONOTONIC, NULL, &timer), 0);
	char buf[64];
	for (unsigned i = 0; i < COUNT(bad); i++) {
		long k = bad[i];
		struct iovec iov = {(void *)k, 16};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
		/* (number, arguments), one per line. */
		const long calls[][7] = {
			{SYS_read, zero, k, 16},
			{SYS_write, null, k, 16},
			{SYS_pread64, file, k, 16, 0},
			{SYS_pwrite64, file, k, 16, 0},
			{SYS_readv, zero, (long)&iov, 1},
			{SYS_readv, zero, k, 1},
			{SYS_writev, null, (long)&iov, 1},
			{SYS_writev, null, k, 1},
			{SYS_fstat, file, k},
			{SYS_stat, (long)"/", k},
			{SYS_stat, k, (long)buf},
			{SYS_lstat, (long)"/", k},
			{SYS_newfstatat, AT_FDCWD, (long)"/", k, 0},
			{SYS_statx, AT_FDCWD, (long)"/", 0, 0x7ff, k},
			{SYS_open, k, O_RDONLY},
			{SYS_openat, AT_FDCWD, k, O_RDONLY},
			{SYS_access, k, 0},
			{SYS_faccessat, AT_FDCWD, k, 0},
			{SYS_mkdir, k, 0700},
			{SYS_unlink, k},
			{SYS_chdir, k},
			{SYS_truncate, k, 0},
			{SYS_chmod, k, 0644},
			{SYS_rename, k, (long)"/tmp/fzx"},
			{SYS_rename, (long)"/tmp/fzk", k},
			{SYS_statfs, (long)"/", k},
			{SYS_fstatfs, file, k},
			{SYS_readlink, (long)"/tmp/fzl", k, 64},
			{SYS_readlink, k, (long)buf, 64},
			{SYS_getdents64, dir, k, 4096},
			{SYS_getcwd, k, 64},
			{SYS_uname, k},
			{SYS_sysinfo, k},
			{SYS_gettimeofday, k, 0},
			{SYS_clock_gettime, CLOCK_MONOTONIC, k},
			{SYS_clock_gettime, CLOCK_REALTIME, k},
			{SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, k},
			{SYS_clock_getres, CLOCK_MONOTONIC, k},
			{SYS_getrlimit, RLIMIT_NOFILE, k},
			{SYS_setrlimit, RLIMIT_CORE, k},
			{SYS_prlimit64, 0, RLIMIT_NOFILE, 0, k},
			{SYS_getrusage, RUSAGE_SELF, k},
			{SYS_sched_getaffinity, 0, 8, k},
			{SYS_sched_setaffinity, 0, 8, k},
			{SYS_getcpu, k, 0, 0},
			{SYS_pipe, k},
			{SYS_pipe2, k, 0},
			{SYS_rt_sigaction, SIGUSR1, k, 0, 8},
			{SYS_rt_sigaction, SIGUSR1, 0, k, 8},
			{SYS_rt_sigprocmask, SIG_BLOCK, k, 0, 8},
			{SYS_rt_sigprocmask, SIG_BLOCK, 0, k, 8},
			{SYS_rt_sigpending, k, 8},
			{SYS_sigaltstack, k, 0},
			{SYS_sigaltstack, 0, k},
			{SYS_rt_sigtimedwait, k, 0, (long)&ts0, 8},
			{SYS_rt_sigqueueinfo, getpid(), SIGUSR1, k},
			{SYS_nanosleep, k, 0},
			{SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, k, 0},
			{SYS_poll, k, 1, 0},
			{SYS_ppoll, k, 1, (long)&ts0, 0},
			{SYS_select, 1, k, 0, 0, (long)&tv0},
			{SYS_select, 1, 0, 0, 0, k},
			{SYS_pselect6, 1, 0, 0, 0, k, 0},
			{SYS_epoll_wait, ep, k, 1, 0},
			{SYS_epoll_ctl, ep, EPOLL_CTL_ADD, efd, k},
			{SYS_getrandom, k, 16, 0},
			{SYS_futex, k, 0 /* FUTEX_WAIT */, 0, (long)&ts0},
			{SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, k},
			{SYS_get_robust_list, 0, k, (long)buf},
			{SYS_timer_create, CLOCK_MONOTONIC, k, (long)buf},
			{SYS_timer_create, CLOCK_MONOTONIC, 0, k},
			{SYS_timer_gettime, (long)timer, k},
			{SYS_timer_settime, (long)timer, 0, k, 0},
			{SYS_timerfd_gettime, tfd, k},
			{SYS_timerfd_settime, tfd, 0, k, 0},
			{SYS_write, efd, k, 8},
			{SYS_time, k},
			{SYS_utimensat, AT_FDCWD, (long)"/tmp/fzk", k, 0},
			{SYS_bind, udp, k, sizeof sin},
			{SYS_connect, udp, k, sizeof sin},
			{SYS_sendto, udp, k, 4, 0, (long)&sin, sizeof sin},
			{SYS_sendto, udp, (long)buf, 4, 0, k, sizeof sin},
			{SYS_getsockname, udp, k, (long)&slen},
			{SYS_getsockname, udp, (long)&sin, k},
			{SYS_setsockopt, udp, SOL_SOCKET, SO_REUSEADDR, k, sizeof one},
			{SYS_getsockopt, udp, SOL_SOCKET, SO_TYPE, k, (long)&slen},
			{SYS_sendmsg, udp, k, 0},
			{SYS_recvmsg, udp, k, MSG_DONTWAIT},
			{SYS_sendmsg, udp, (long)&msg, 0},
			{SYS_wait4, -1, k, WNOHANG, 0},
		};
		for (unsigned c = 0; c < COUNT(calls); c++) {
			const long *x = calls[c];
			slen = sizeof sin;
			long r = kcall(x[0], x[1], x[2], x[3], x[4], x[5], x[6]);
			/* wait4 with no child has nothing to write: ECHILD. */
			long want = x[0] == SYS_wait4 && getpid() != 1 ? -ECHILD : -EFAULT;
			if (x[0] == SYS_wait4 && r == -ECHILD)
				want = r;
			if (r != want) {
				fprintf(stderr, "FAIL: fuzz: syscall %ld with pointer %#lx: got %ld, want %ld\n", x[0], k,
					r, want);
				check_failures++;
			}
		}
		/* The memory calls refuse to map, unmap or move kernel memory. */
		CHECK(kcall(SYS_mmap, k & ~0xfffUL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0);
		CHECK(kcall(SYS_mmap, k & ~0xfffUL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | 0x100000, -1, 0) < 0);
		long hint = kcall(SYS_mmap, k & ~0xfffUL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(hint > 0 && (unsigned long)hint < USER_LIMIT);
		if (hint > 0)
			munmap((void *)hint, 4096);
		CHECK(kcall(SYS_munmap, k & ~0xfffUL, 4096, 0, 0, 0, 0) < 0);
		CHECK(kcall(SYS_mprotect, k & ~0xfffUL, 4096, PROT_READ, 0, 0, 0) < 0);
		CHECK(kcall(SYS_madvise, k & ~0xfffUL, 4096, MADV_DONTNEED, 0, 0, 0) < 0);
		CHECK(kcall(SYS_mincore, k & ~0xfffUL, 4096, (long)buf, 0, 0, 0) < 0);
		CHECK(kcall(SYS_mremap, k & ~0xfffUL, 4096, 8192, 1, 0, 0) < 0);
		char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(kcall(SYS_mremap, (long)m, 4096, 4096, 3 /* MAYMOVE | FIXED */, k & ~0xfffUL, 0) < 0);
		munmap(m, 4096);
		long brk0 = kcall(SYS_brk, 0, 0, 0, 0, 0, 0);
		CHECK_EQ(kcall(SYS_brk, k, 0, 0, 0, 0, 0), brk0);
	}
	timer_delete(timer);
	unlink("/tmp/fzl");
	unlink("/tmp/fzk");
	close(null), close(zero), close(file), close(dir), close(ep), close(efd), close(tfd), close(udp);
}

/* A MAP_SHARED anonymous page first touched after a fork is still
 * shared (the kernel once gave each side its own page). */
static void shared_after_fork(void)
{
	volatile int *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(w != MAP_FAILED);
	if (w == MAP_FAILED)
		return;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		w[0] = 42;
		w[1024] = 43;
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_EQ(w[0], 42);
	CHECK_EQ(w[1024], 43);
	munmap((void *)w, 8192);
}

/* rt_sigreturn with an FPU state whose XSAVE header and MXCSR are all
 * ones: the kernel must not load it as it is (xrstor faulted in the
 * kernel). The child then resumes at address 0 and dies of SIGSEGV. */
static void sigreturn_bad_fpu(void)
{
	static char fpu[4096] __attribute__((aligned(64)));
	static uint64_t frame[64] __attribute__((aligned(16)));
	memset(fpu, 0xff, sizeof fpu);
	memset(frame, 0, sizeof frame);
	/* The frame starts 8 bytes below the rsp of rt_sigreturn (the
	 * handler's ret popped pretcode); mcontext is 40 bytes into the
	 * ucontext, its fpstate pointer after the 23 registers. */
	frame[1 + 5 + 23] = (uint64_t)fpu;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		fz_sigreturn(&frame[1]);
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

/* ---------------------------------------------------------------- */

/* The number after `key` (a `Key: N kB` line of /proc/meminfo or
 * /proc/<pid>/status); 0 without one. */
static long meminfo_kb(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtol(p + strlen(key), NULL, 10) : 0;
}

/* Memory nothing holds: free frames plus the free part of the kernel
 * heap (Slab - SUnreclaim), which keeps what it grew by; a leak of frames
 * or of heap objects shows as less of it. */
/* /proc/meminfo, opened before the random calls at an fd none of them
 * touches: a random chroot, chdir, RLIMIT_NOFILE or close_range in the
 * one HP process must not take the leak check away. */
#define MEMINFO_FD (REPORT_FD + 1)

/* The HP app's own /proc/self/status, kept the same way. */
#define STATUS_FD (REPORT_FD + 2)

/* /proc/ringo_heap (a kernel built with heap-trace), kept the same way. */
#define HEAP_FD (REPORT_FD + 3)

/* The console as it was: a random ioctl on an open /dev/console may
 * change its modes (OLCUC once turned the report into capitals, which
 * the launcher then did not recognise) or stop its output. */
static struct termios console;
static int console_saved;

static void save_console(void)
{
	console_saved = tcgetattr(1, &console) == 0;
}

static void restore_console(void)
{
	if (console_saved) {
		tcsetattr(1, TCSANOW, &console);
		tcflow(1, TCOON);
	}
}

/* Whether HEAP_FD is /proc/ringo_heap (a random F_DUPFD may fill it
 * otherwise). */
static int heap_traced;

static void open_meminfo(void)
{
	int st = open("/proc/self/status", O_RDONLY);
	if (st >= 0 && st != STATUS_FD) {
		dup2(st, STATUS_FD);
		close(st);
	}
	int fd = open("/proc/meminfo", O_RDONLY);
	if (fd >= 0 && fd != MEMINFO_FD) {
		dup2(fd, MEMINFO_FD);
		close(fd);
	}
	int heap = open("/proc/ringo_heap", O_RDONLY);
	if (heap >= 0 && heap != HEAP_FD) {
		heap_traced = dup2(heap, HEAP_FD) == HEAP_FD;
		close(heap);
	}
}

/* A kernel built with heap-trace says who holds its heap, per call. */
static void print_heap_trace(void)
{
	char text[16384];
	if (!heap_traced)
		return;
	long n = pread(HEAP_FD, text, sizeof text - 1, 0);
	if (n > 0) {
		text[n] = 0;
		/* HP mode measures with stdout on /dev/null: the report fd. */
		fflush(stdout);
		dprintf(hp ? REPORT_FD : 1, "fuzz: heap held per call (name bytes blocks):\n%s", text);
	}
}

static long mem_free_kb(void)
{
	print_heap_trace();
	char text[1024];
	long n = pread(MEMINFO_FD, text, sizeof text - 1, 0);
	if (n <= 0)
		return -1;
	text[n] = 0;
	if (!strstr(text, "MemFree:"))
		return -1;
	fflush(stdout);
	dprintf(hp ? REPORT_FD : 1, "fuzz: MemFree %ld kB, Slab %ld kB, SUnreclaim %ld kB\n", meminfo_kb(text, "MemFree:"),
	       meminfo_kb(text, "Slab:"), meminfo_kb(text, "SUnreclaim:"));
	return meminfo_kb(text, "MemFree:") + meminfo_kb(text, "Slab:") - meminfo_kb(text, "SUnreclaim:");
}

/* Removes the tree at `root` one directory fd at a time, never by a
 * path from the top: random chdir("d") and mkdir("d") build chains
 * deeper than PATH_MAX, which nftw cannot enter (10,688 directories were
 * left over from 10^7 calls and counted as leaked). The names on the way
 * down are kept to remove each directory from its parent on the way up.
 * Bounded in steps, should something refuse to go. */
static void remove_tree(const char *root)
{
	if (unlink(root) == 0)
		return;
	int cur = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (cur < 0)
		return;
	char (*names)[256] = NULL;
	size_t depth = 0, room = 0;
	for (long steps = 0; steps < 1000000; steps++) {
		int scan = dup(cur);
		DIR *d = scan >= 0 ? fdopendir(scan) : NULL;
		if (!d) {
			if (scan >= 0)
				close(scan);
			break;
		}
		char sub[256] = "";
		struct dirent *e;
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (unlinkat(cur, e->d_name, 0) == 0 || unlinkat(cur, e->d_name, AT_REMOVEDIR) == 0)
				continue;
			if (!sub[0])
				snprintf(sub, sizeof sub, "%s", e->d_name);
		}
		closedir(d);
		if (sub[0]) {
			int next = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (next < 0)
				break;
			if (depth == room) {
				room = room ? 2 * room : 64;
				void *more = realloc(names, room * sizeof *names);
				if (!more) {
					close(next);
					break;
				}
				names = more;
			}
			memcpy(names[depth++], sub, sizeof sub);
			close(cur);
			cur = next;
			continue;
		}
		if (depth == 0)
			break;
		int up = openat(cur, "..", O_RDONLY | O_DIRECTORY);
		close(cur);
		cur = up;
		if (cur < 0)
			break;
		unlinkat(cur, names[--depth], AT_REMOVEDIR);
	}
	if (cur >= 0)
		close(cur);
	free(names);
	rmdir(root);
}

/* Every path in the file tree before the random calls (the initramfs:
 * a few dozen), so that the clean-up can remove all the rest: a random
 * pointer as a path names a file of random bytes anywhere the cwd was
 * (37 MiB of such trees in /tmp and /dev were counted as leaked). */
#define MAX_INITIAL 1024
static char *initial[MAX_INITIAL];
static int initial_count;

static int is_pseudo(const char *path)
{
	return !strcmp(path, "/proc") || !strcmp(path, "/sys");
}

static int is_initial(const char *path)
{
	for (int i = 0; i < initial_count; i++)
		if (!strcmp(initial[i], path))
			return 1;
	return 0;
}

static void join(char *out, size_t room, const char *dir, const char *name)
{
	snprintf(out, room, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
}

static void note_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || initial_count == MAX_INITIAL)
			continue;
		char path[PATH_MAX];
		join(path, sizeof path, dir, e->d_name);
		initial[initial_count++] = strdup(path);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && !is_pseudo(path))
			note_tree(path);
	}
	if (d)
		closedir(d);
}

/* Removes, under `dir`, every entry that was not there at the start. */
static void remove_new(const char *dir)
{
	char (*gone)[PATH_MAX] = malloc(64 * sizeof *gone);
	if (!gone)
		return;
	/* In batches, each after its listing (removing while reading could
	 * skip entries); bounded, should some refuse to go. */
	for (int batch = 0; batch < 1000; batch++) {
		DIR *d = opendir(dir);
		struct dirent *e;
		int n = 0;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			char path[PATH_MAX];
			join(path, sizeof path, dir, e->d_name);
			struct stat st;
			if (!is_initial(path)) {
				if (n < 64)
					memcpy(gone[n++], path, sizeof path);
			} else if (batch == 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && !is_pseudo(path)) {
				remove_new(path);
			}
		}
		if (d)
			closedir(d);
		for (int i = 0; i < n; i++)
			remove_tree(gone[i]);
		if (n < 64)
			break;
	}
	free(gone);
}

/* Removes what the workers made: the fuzz directory and anything new
 * elsewhere. */
static void clean_up(void)
{
	remove_tree("/tmp/fz");
	remove_new("/");
}

/* How the workers ended: by signal, by exit status. */
static long worker_signals[128], worker_exits[256];

static void print_endings(void)
{
	printf("fuzz: workers ended:");
	for (int i = 0; i < 128; i++)
		if (worker_signals[i])
			printf(" %ld by signal %d,", worker_signals[i], i);
	for (int i = 0; i < 256; i++)
		if (worker_exits[i])
			printf(" %ld with status %d,", worker_exits[i], i);
	printf("\n");
}

struct slot {
	pid_t pid;
	long started;
	int killed;
	int index;
	long budget;
};

/* Runs `calls` calls in workers (normal mode) from worker index `*next`;
 * false if a worker could not be killed. Workers that end early (killed
 * by a random signal, an exit) leave part of their budget: new ones make
 * it up, so that the calls made, not only those planned, reach `calls`
 * (at most three times the workers planned, should most die at once). */
static int run_workers(long calls, long deadline, int procs, int threads, long *next)
{
	struct slot slots[MAX_PROCS] = {0};
	long at_start = *total_calls, spawned = 0, max_workers = 3 * (calls / WORKER_CALLS + 1);
	int live = 0, ok = 1;
	for (;;) {
		long now = now_ns(), outstanding = 0;
		for (int i = 0; i < procs; i++)
			if (slots[i].pid)
				outstanding += slots[i].budget;
		long made = *total_calls - at_start;
		int stop = made + outstanding >= calls || spawned >= max_workers || (deadline && now > deadline);
		for (int i = 0; i < procs && !stop; i++) {
			if (slots[i].pid)
				continue;
			long left = calls - made - outstanding;
			long budget = left < WORKER_CALLS ? left : WORKER_CALLS;
			if (budget <= 0)
				break;
			int index = (*next)++;
			pid_t pid = fork();
			if (pid == 0)
				worker(splitmix(the_seed + (uint64_t)index), budget, threads, i);
			if (pid < 0) {
				/* Fork can fail for a while (memory); retry later. */
				break;
			}
			outstanding += budget;
			spawned++;
			slots[i] = (struct slot){pid, now, 0, index, budget};
			live++;
		}
		if (stop && live == 0)
			break;
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid > 0) {
			if (WIFSIGNALED(status))
				worker_signals[WTERMSIG(status) & 127]++;
			else
				worker_exits[WEXITSTATUS(status)]++;
			for (int i = 0; i < procs; i++)
				if (slots[i].pid == pid) {
					slots[i].pid = 0;
					live--;
				}
			continue;
		}
		if (pid < 0 && errno == ECHILD && live) {
			fprintf(stderr, "FAIL: fuzz: %d workers lost (seed %lu)\n", live, (unsigned long)the_seed);
			check_failures++;
			return 0;
		}
		for (int i = 0; i < procs; i++) {
			if (!slots[i].pid)
				continue;
			long age = now - slots[i].started;
			if (age > WORKER_DEADLINE_NS && !slots[i].killed) {
				kill(slots[i].pid, SIGKILL);
				slots[i].killed = 1;
			} else if (age > 2 * WORKER_DEADLINE_NS) {
				fprintf(stderr, "FAIL: fuzz: worker %d (pid %d) survives SIGKILL for %ld s (seed %lu)\n",
					slots[i].index, slots[i].pid, age / 1000000000L - WORKER_DEADLINE_NS / 1000000000L,
					(unsigned long)the_seed);
				for (int t = 0; t < threads; t++)
					fprintf(stderr, "fuzz: worker %d thread %d in syscall %ld\n", slots[i].index, t,
						((volatile long *)total_calls)[8 + i * MAX_THREADS + t]);
				check_failures++;
				ok = 0;
				slots[i].pid = 0;
				live--;
			}
		}
		struct timespec tick = {0, 2000000};
		nanosleep(&tick, NULL);
	}
	return ok;
}

/* Reaps everything left (orphans of the workers), killing what remains
 * after a while; false if something outlives SIGKILL. */
static int reap_all(void)
{
	long start = now_ns();
	int killed = 0;
	for (;;) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);
		if (pid < 0 && errno == ECHILD)
			return 1;
		if (pid > 0)
			continue;
		long age = now_ns() - start;
		if (age > 3 * 1000000000L && !killed) {
			kill(-1, SIGKILL); /* from init: everyone else */
			killed = 1;
		} else if (age > 15 * 1000000000L) {
			fprintf(stderr, "FAIL: fuzz: processes outlive SIGKILL (seed %lu)\n", (unsigned long)the_seed);
			check_failures++;
			return 0;
		}
		struct timespec tick = {0, 2000000};
		nanosleep(&tick, NULL);
	}
}

/* Tasks /proc still lists (this one included): a task that outlives its
 * reaping would show here. */
static int proc_tasks(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
	closedir(d);
	return n;
}

static void leak_check(long before, long after)
{
	int tasks = proc_tasks();
	if (tasks >= 0)
		printf("fuzz: %d processes in /proc at the end\n", tasks);
	printf("fuzz: free memory %ld kB after the warm-up, %ld kB at the end\n", before, after);
	if (before >= 0 && after < 0) {
		fprintf(stderr, "FAIL: fuzz: /proc/meminfo unreadable at the end, no leak check (seed %lu)\n",
			(unsigned long)the_seed);
		check_failures++;
	}
	if (before > 0 && after > 0 && before - after > LEAK_TOLERANCE_KB) {
		fprintf(stderr, "FAIL: fuzz: %ld kB of memory not returned (seed %lu)\n", before - after,
			(unsigned long)the_seed);
		check_failures++;
	}
}

/* HP mode's leak check: the app lives on, and what it holds itself is
 * not the kernel's to give back: its random mappings, touched (VmRSS),
 * and the page tables that map them (VmPTE: a few scattered touches in
 * terabytes of random reservations take a table per level each, 12 MiB
 * over 10^7 calls). Both count as unused memory. */
static long own_memory_kb(void)
{
	char text[4096];
	long n = pread(STATUS_FD, text, sizeof text - 1, 0);
	if (n <= 0)
		return -1;
	text[n] = 0;
	if (!strstr(text, "VmRSS:") || !strstr(text, "VmPTE:"))
		return -1;
	return meminfo_kb(text, "VmRSS:") + meminfo_kb(text, "VmPTE:");
}

static void hp_main(long calls, long deadline, int threads)
{
	/* Keep stdout for the report; random writes go to /dev/null. */
	fflush(NULL);
	dup2(1, REPORT_FD);
	if (setup_process() != 0) {
		CHECK(!"setup");
		return;
	}
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3; fd++)
		dup2(null, fd);
	long before = -1, before_own = -1, round = 0, warm = calls / 10 > 1000 ? calls / 10 : 1000;
	long per_round = 600L * threads;
	int stuck = 0;
	while (*total_calls < calls && !(deadline && now_ns() > deadline)) {
		if (before < 0 && *total_calls >= warm) {
			before = mem_free_kb();
			before_own = own_memory_kb();
		}
		if (run_threads(splitmix(the_seed + (uint64_t)round++), per_round, threads, 20 * 1000000000L, 0) != 0) {
			stuck = 1;
			break;
		}
		/* Detached threads unmap their stacks on the way out. */
		struct timespec tick = {0, 5000000};
		nanosleep(&tick, NULL);
	}
	dup2(REPORT_FD, 1);
	dup2(REPORT_FD, 2);
	restore_console();
	if (stuck) {
		for (int t = 0; t < threads; t++)
			if (in_call[t] >= 0)
				fprintf(stderr,
					"FAIL: fuzz: thread %d stuck in syscall %ld (%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) for 20 s (seed %lu)\n",
					t, in_call[t], hp_args[t][0], hp_args[t][1], hp_args[t][2], hp_args[t][3], hp_args[t][4],
					hp_args[t][5], (unsigned long)the_seed);
		check_failures++;
		return;
	}
	/* Every fd the random calls made, also those past the kept ones
	 * (dup2 to 1023, F_DUPFD): what they hold is the app's, not a leak. */
	raw6(SYS_close_range, 3, REPORT_FD - 1, 0, 0, 0, 0);
	raw6(SYS_close_range, HEAP_FD + 1, ~0U, 0, 0, 0, 0);
	/* fd 0 too (a random dup2 may have put anything there), and the
	 * mm region as it was: its splits and file mappings are the app's. */
	int in = open("/dev/null", O_RDWR);
	if (in > 0) {
		dup2(in, 0);
		close(in);
	}
	mmap(mmregion, MMREGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	clean_up();
	long after = mem_free_kb(), after_own = own_memory_kb();
	printf("fuzz: the app's own memory (VmRSS + VmPTE) %ld kB after the warm-up, %ld kB at the end\n",
	       before_own, after_own);
	if (before >= 0 && (before_own < 0 || after_own < 0)) {
		fprintf(stderr, "FAIL: fuzz: no VmRSS or VmPTE in /proc/self/status\n");
		check_failures++;
		return;
	}
	leak_check(before + before_own, after < 0 ? after : after + after_own);
}

int main(int argc, char **argv)
{
	check_start("fuzz");
	/* Random system calls as root would wreck a real system (a native
	 * run chmod'ed and chown'ed the host's /): run only inside Ringo,
	 * whose /proc/ringo_syscalls no other kernel has. */
	if (access("/proc/ringo_syscalls", F_OK) != 0) {
		fprintf(stderr, "FAIL: fuzz: runs only inside Ringo (no /proc/ringo_syscalls here): refusing\n");
		return 2;
	}
	long calls = 100000, seconds = 0;
	int procs = 3, threads = 3, seeded = 0;
	int opt;
	while ((opt = getopt(argc, argv, "n:s:t:p:j:x:")) != -1) {
		switch (opt) {
		case 'x': {
			long nr = strtol(optarg, NULL, 0);
			if (nr >= 0 && nr <= MAX_NR)
				left_out[nr] = 1;
			break;
		}
		case 'n': calls = strtol(optarg, NULL, 0); break;
		case 's': the_seed = strtoul(optarg, NULL, 0), seeded = 1; break;
		case 't': seconds = strtol(optarg, NULL, 0); break;
		case 'p': procs = atoi(optarg); break;
		case 'j': threads = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: fuzz [-n CALLS] [-s SEED] [-t SECONDS] [-p PROCS] [-j THREADS] [-x NR]...\n");
			return 2;
		}
	}
	if (procs < 1 || procs > MAX_PROCS || threads < 1 || threads > MAX_THREADS) {
		fprintf(stderr, "fuzz: 1..%d processes, 1..%d threads\n", MAX_PROCS, MAX_THREADS);
		return 2;
	}
	if (!seeded)
		the_seed = splitmix((uint64_t)now_ns() ^ (uint64_t)getpid() << 32);
	vt = ringo_hp_vtable();
	hp = vt != NULL;
	printf("fuzz: seed %lu, %ld calls%s, %s, %d processes x %d threads\n", (unsigned long)the_seed, calls,
	       seconds ? " or the time limit" : "", hp ? "HP mode" : "normal mode", hp ? 1 : procs, threads);
	fflush(stdout);
	long deadline = seconds ? now_ns() + seconds * 1000000000L : 0;

	bad_pointers();
	if (!hp) {
		shared_after_fork();
		sigreturn_bad_fpu();
	}

	/* Random system calls as root would wreck a real system (a native
	 * run chmod'ed and chown'ed the host's /): they run only as init
	 * inside Ringo, whose /proc/ringo_syscalls no other kernel has. On
	 * a host (programs_native.rs) only the deterministic part runs. */
	if (access("/proc/ringo_syscalls", F_OK) != 0 || getpid() != 1) {
		printf("fuzz: not init inside Ringo, so no random calls\n");
		return check_done();
	}
	total_calls = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (total_calls == MAP_FAILED)
		return 2;
	note_tree("/");
	open_meminfo();
	save_console();
	if (hp) {
		hp_main(calls, deadline, threads);
	} else {
		/* The parent only reaps: it ignores what the workers send it. */
		signal(SIGPIPE, SIG_IGN);
		long next = 0, warm = calls / 10 > WORKER_CALLS ? calls / 10 : WORKER_CALLS;
		int ok = run_workers(warm, deadline, procs, threads, &next) && reap_all();
		clean_up();
		long before = mem_free_kb();
		ok = ok && run_workers(calls - warm, deadline, procs, threads, &next) && reap_all();
		restore_console();
		clean_up();
		if (ok)
			leak_check(before, mem_free_kb());
		printf("fuzz: %ld workers\n", next);
		print_endings();
	}
	printf("fuzz: %ld calls, seed %lu\n", (long)*total_calls, (unsigned long)the_seed);
	/* Workers killed early leave part of their budget; most is made. */
	CHECK(*total_calls >= calls / 2 || deadline);
	if (check_failures)
		fprintf(stderr, "FAIL: fuzz: seed %lu\n", (unsigned long)the_seed);
	return check_done();
}
