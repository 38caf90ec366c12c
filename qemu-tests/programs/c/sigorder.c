/* Signal delivery as Linux does it: masks and pending sets, the order of
 * delivery, real-time queueing, siginfo contents, SA_RESTART against
 * EINTR, sigsuspend, the alternate stack, the exact shape of the frame a
 * handler gets (alignment, registers, pretcode), faults with si_addr and a
 * context the handler may edit, and the FPU/SSE state around a handler. */
#include "check.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

/* The kernel's struct sigaction (rt_sigaction's view), to read the
 * restorer the libc registered. */
struct kernel_sigaction {
	uint64_t handler, flags, restorer, mask;
};
#define KERNEL_SA_RESTORER 0x04000000

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static int tgkill_(pid_t tgid, pid_t tid, int sig) { return (int)syscall(SYS_tgkill, tgid, tid, sig); }

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Dispositions and the signal mask are inherited: a shell may start us
 * with SIGINT and SIGQUIT ignored (a background job), a harness with
 * signals blocked, and an ignored SIGCHLD would even reap children behind
 * our back. The checks assume what a fresh Linux process has. */
static void default_signals(void)
{
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags, int block_all)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	if (block_all)
		sigfillset(&sa.sa_mask);
	else
		sigemptyset(&sa.sa_mask);
	OK(sigaction(sig, &sa, NULL));
}

static void change_mask(int how, int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(how, &s, NULL);
}

static void block(int sig) { change_mask(SIG_BLOCK, sig); }

static void unblock(int sig) { change_mask(SIG_UNBLOCK, sig); }

static int is_blocked(int sig)
{
	sigset_t s;
	sigprocmask(SIG_BLOCK, NULL, &s);
	return sigismember(&s, sig);
}

/* ------------------------------------------------------------------ */
/* Delivery order */

#define MAX_LOG 16
static volatile int log_n;
static volatile int log_sig[MAX_LOG], log_code[MAX_LOG], log_pid[MAX_LOG], log_uid[MAX_LOG];
static volatile long log_value[MAX_LOG];
/* For each logged delivery: which of the test's signals were blocked
 * in the interrupted context (uc_sigmask), as a bit per index in `set`. */
static volatile int log_blocked[MAX_LOG];
static const int *log_set;
static int log_set_n;

static void logger(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int i = log_n;
	if (i >= MAX_LOG)
		return;
	log_sig[i] = sig;
	log_code[i] = si->si_code;
	log_pid[i] = si->si_pid;
	log_uid[i] = si->si_uid;
	log_value[i] = (long)si->si_value.sival_ptr;
	int blocked = 0;
	for (int k = 0; k < log_set_n; k++)
		if (sigismember(&uc->uc_sigmask, log_set[k]))
			blocked |= 1 << k;
	log_blocked[i] = blocked;
	log_n = i + 1;
}

/* Sent in this order... */
static const int ORDER_SENT[] = {SIGTERM, SIGUSR2, SIGUSR1, SIGHUP, SIGINT};
/* ...and delivered by number. */
static const int ORDER_SORTED[] = {SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGTERM};
#define ORDER_N 5

enum how { BY_KILL, BY_TGKILL, MIXED };

/* Linux keeps two pending sets: the thread's own (tkill, tgkill, and so
 * raise) and the process's (kill). It empties the thread's first. */
static void send(int sig, enum how how)
{
	int to_thread = how == BY_TGKILL || (how == MIXED && (sig == SIGTERM || sig == SIGUSR1 || sig == SIGINT));
	if (!to_thread)
		OK(kill(getpid(), sig));
	else if (sig == SIGINT || sig == SIGTERM)
		OK(raise(sig));
	else
		OK(tgkill_(getpid(), gettid_(), sig));
}

static void send_order_signals(sigset_t *old, enum how how)
{
	sigset_t set;
	sigemptyset(&set);
	for (int i = 0; i < ORDER_N; i++)
		sigaddset(&set, ORDER_SENT[i]);
	OK(sigprocmask(SIG_BLOCK, &set, old));
	for (int i = 0; i < ORDER_N; i++)
		send(ORDER_SENT[i], how);
	sigset_t pending;
	OK(sigpending(&pending));
	for (int i = 0; i < ORDER_N; i++)
		CHECK(sigismember(&pending, ORDER_SENT[i]));
	CHECK(!sigismember(&pending, SIGALRM));
	CHECK_EQ(log_n, 0); /* nothing delivered while blocked */
}

static void delivery_order(void)
{
	sigset_t old;
	log_set = ORDER_SORTED;
	log_set_n = ORDER_N;

	/* Handlers that block everything run one after the other, in signal
	 * number order, all before sigprocmask returns. */
	for (int i = 0; i < ORDER_N; i++)
		set_handler(ORDER_SENT[i], logger, 0, 1);
	for (enum how how = BY_KILL; how <= BY_TGKILL; how++) {
		log_n = 0;
		send_order_signals(&old, how);
		OK(sigprocmask(SIG_SETMASK, &old, NULL));
		CHECK_EQ(log_n, ORDER_N);
		for (int i = 0; i < ORDER_N && i < log_n; i++) {
			CHECK_EQ(log_sig[i], ORDER_SORTED[i]);
			CHECK_EQ(log_blocked[i], 0);
		}
	}

	/* Some to the thread, some to the process: the thread's come first
	 * (by number among them), then the process's. */
	static const int MIXED_ORDER[] = {SIGINT, SIGUSR1, SIGTERM, SIGHUP, SIGUSR2};
	log_n = 0;
	send_order_signals(&old, MIXED);
	OK(sigprocmask(SIG_SETMASK, &old, NULL));
	CHECK_EQ(log_n, ORDER_N);
	for (int i = 0; i < ORDER_N && i < log_n; i++)
		CHECK_EQ(log_sig[i], MIXED_ORDER[i]);

	/* Handlers that block nothing: Linux still dequeues by number, but
	 * sets up every frame before returning to user space, each on top of
	 * the previous one; so the handler of the highest number runs first,
	 * interrupting (in effect) all the others, and each one's saved mask
	 * holds the signals dequeued before it. */
	for (int i = 0; i < ORDER_N; i++)
		set_handler(ORDER_SENT[i], logger, 0, 0);
	log_n = 0;
	send_order_signals(&old, BY_KILL);
	OK(sigprocmask(SIG_SETMASK, &old, NULL));
	CHECK_EQ(log_n, ORDER_N);
	for (int i = 0; i < ORDER_N && i < log_n; i++) {
		int k = ORDER_N - 1 - i;
		CHECK_EQ(log_sig[i], ORDER_SORTED[k]);
		/* Dequeued k-th: the k lower ones were blocked by then. */
		CHECK_EQ(log_blocked[i], (1 << k) - 1);
	}

	/* Standard signals do not queue: three sends, one delivery. */
	set_handler(SIGUSR1, logger, 0, 0);
	block(SIGUSR1);
	log_n = 0;
	for (int i = 0; i < 3; i++)
		OK(raise(SIGUSR1));
	unblock(SIGUSR1);
	CHECK_EQ(log_n, 1);

	for (int i = 0; i < ORDER_N; i++)
		signal(ORDER_SENT[i], SIG_DFL);
}

static void realtime_queue(void)
{
	int rt1 = SIGRTMIN + 1, rt2 = SIGRTMIN + 2;
	CHECK(SIGRTMAX - SIGRTMIN >= 2);

	/* Every sigqueue is delivered, in order, with its value. */
	set_handler(rt1, logger, 0, 0);
	block(rt1);
	log_n = 0;
	for (int i = 1; i <= 3; i++)
		OK(sigqueue(getpid(), rt1, (union sigval){.sival_ptr = (void *)(100L * i)}));
	sigset_t pending;
	OK(sigpending(&pending));
	CHECK(sigismember(&pending, rt1));
	unblock(rt1);
	CHECK_EQ(log_n, 3);
	for (int i = 0; i < 3 && i < log_n; i++) {
		CHECK_EQ(log_sig[i], rt1);
		CHECK_EQ(log_code[i], SI_QUEUE);
		CHECK_EQ(log_pid[i], getpid());
		CHECK_EQ(log_uid[i], getuid());
		CHECK_EQ(log_value[i], 100L * (i + 1));
	}
	OK(sigpending(&pending));
	CHECK(!sigismember(&pending, rt1));

	/* Across kinds: lower numbers first, so the standard signal before
	 * the real-time ones, whatever order they were sent in. */
	set_handler(rt1, logger, 0, 1);
	set_handler(rt2, logger, 0, 1);
	set_handler(SIGUSR2, logger, 0, 1);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, rt1);
	sigaddset(&set, rt2);
	sigaddset(&set, SIGUSR2);
	OK(sigprocmask(SIG_BLOCK, &set, &old));
	log_n = 0;
	OK(sigqueue(getpid(), rt2, (union sigval){.sival_int = 1}));
	OK(sigqueue(getpid(), rt1, (union sigval){.sival_int = 2}));
	OK(sigqueue(getpid(), rt2, (union sigval){.sival_int = 3}));
	OK(raise(SIGUSR2));
	OK(sigprocmask(SIG_SETMASK, &old, NULL));
	CHECK_EQ(log_n, 4);
	const int want_sig[4] = {SIGUSR2, rt1, rt2, rt2};
	const int want_val[4] = {0, 2, 1, 3};
	for (int i = 0; i < 4 && i < log_n; i++) {
		CHECK_EQ(log_sig[i], want_sig[i]);
		if (i > 0)
			CHECK_EQ((int)log_value[i], want_val[i]);
	}
	signal(rt1, SIG_DFL);
	signal(rt2, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/* What each way of sending says about the sender. */
static void siginfo_contents(void)
{
	set_handler(SIGUSR1, logger, 0, 0);
	log_n = 0;
	OK(kill(getpid(), SIGUSR1));
	OK(tgkill_(getpid(), gettid_(), SIGUSR1));
	OK(raise(SIGUSR1));
	OK(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 77}));
	CHECK_EQ(log_n, 4);
	const int codes[4] = {SI_USER, SI_TKILL, SI_TKILL, SI_QUEUE};
	for (int i = 0; i < 4 && i < log_n; i++) {
		CHECK_EQ(log_sig[i], SIGUSR1);
		CHECK_EQ(log_code[i], codes[i]);
		CHECK_EQ(log_pid[i], getpid());
		CHECK_EQ(log_uid[i], getuid());
	}
	if (log_n == 4)
		CHECK_EQ((int)log_value[3], 77);
	signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* SA_RESTART, EINTR, sigsuspend */

static volatile int alarms, alarm_code = -1, alarm_pid = -1;
static int alarm_pipe_w = -1;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	alarms++;
	alarm_code = si->si_code;
	alarm_pid = si->si_pid;
	if (alarm_pipe_w >= 0 && alarms == 2) {
		struct itimerval off = {{0, 0}, {0, 0}};
		setitimer(ITIMER_REAL, &off, NULL);
		(void)!write(alarm_pipe_w, "R", 1);
	}
}

static void restart_and_eintr(void)
{
	int p[2];
	OK(pipe(p));
	char c = 0;

	/* Without SA_RESTART the blocked read fails with EINTR. The timer
	 * repeats: a slow machine may take the first tick before the read
	 * has started, and the read must not then wait forever. */
	set_handler(SIGALRM, on_alarm, 0, 0);
	alarms = 0;
	struct itimerval ticks = {{0, 100000}, {0, 100000}};
	OK(setitimer(ITIMER_REAL, &ticks, NULL));
	ERR(read(p[0], &c, 1), EINTR);
	CHECK(alarms >= 1);
	struct itimerval off = {{0, 0}, {0, 0}};
	OK(setitimer(ITIMER_REAL, &off, NULL));
	/* Timer signals come from the kernel itself. */
	CHECK_EQ(alarm_code, SI_KERNEL);
	CHECK_EQ(alarm_pid, 0);

	/* With SA_RESTART the read goes on through the first tick; the
	 * second tick's handler writes the byte it then returns. */
	set_handler(SIGALRM, on_alarm, SA_RESTART, 0);
	alarms = 0;
	alarm_pipe_w = p[1];
	OK(setitimer(ITIMER_REAL, &ticks, NULL));
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'R');
	CHECK_EQ(alarms, 2);
	alarm_pipe_w = -1;
	OK(setitimer(ITIMER_REAL, &off, NULL));
	close(p[0]);
	close(p[1]);
	signal(SIGALRM, SIG_DFL);
}

static volatile int usr1_count;

static void count_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	usr1_count++;
}

static void suspend(void)
{
	set_handler(SIGUSR1, count_usr1, 0, 0);
	block(SIGUSR1);
	sigset_t during;
	sigprocmask(SIG_BLOCK, NULL, &during);
	sigdelset(&during, SIGUSR1);

	/* Already pending: sigsuspend returns at once, after the handler. */
	usr1_count = 0;
	OK(raise(SIGUSR1));
	ERR(sigsuspend(&during), EINTR);
	CHECK_EQ(usr1_count, 1);
	CHECK(is_blocked(SIGUSR1));

	/* Sent later by a child: sigsuspend sleeps until it comes. */
	usr1_count = 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(30);
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	ERR(sigsuspend(&during), EINTR);
	CHECK_EQ(usr1_count, 1);
	/* The old mask is back. */
	CHECK(is_blocked(SIGUSR1));
	int status = -1;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	unblock(SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* The alternate stack */

#define ALT_SIZE 65536
static char *alt_base;
static volatile uintptr_t alt_local;
static volatile int alt_flags = -1, alt_eperm;

static void on_alt(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	volatile char here;
	alt_local = (uintptr_t)&here;
	stack_t cur;
	if (sigaltstack(NULL, &cur) == 0)
		alt_flags = cur.ss_flags;
	/* Not while running on it. */
	stack_t other = {.ss_sp = alt_base, .ss_size = ALT_SIZE, .ss_flags = 0};
	alt_eperm = sigaltstack(&other, NULL) == -1 && errno == EPERM;
}

static int on_altstack(uintptr_t p) { return p >= (uintptr_t)alt_base && p < (uintptr_t)alt_base + ALT_SIZE; }

static void alternate_stack(void)
{
	stack_t ss, old;
	OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, SS_DISABLE);

	ss.ss_size = MINSIGSTKSZ - 1;
	ss.ss_sp = malloc(MINSIGSTKSZ);
	ss.ss_flags = 0;
	ERR(sigaltstack(&ss, NULL), ENOMEM);
	free(ss.ss_sp);

	alt_base = malloc(ALT_SIZE);
	ss.ss_sp = alt_base;
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 0;
	OK(sigaltstack(&ss, NULL));
	OK(sigaltstack(NULL, &old));
	CHECK(old.ss_sp == alt_base);
	CHECK_EQ(old.ss_size, ALT_SIZE);
	CHECK_EQ(old.ss_flags, 0);

	set_handler(SIGUSR2, on_alt, SA_ONSTACK, 0);
	alt_local = 0;
	OK(raise(SIGUSR2));
	CHECK(on_altstack(alt_local));
	CHECK_EQ(alt_flags, SS_ONSTACK);
	CHECK(alt_eperm);
	OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, 0);

	/* Without SA_ONSTACK the handler stays on the normal stack. */
	set_handler(SIGUSR2, on_alt, 0, 0);
	alt_local = 0;
	OK(raise(SIGUSR2));
	CHECK(alt_local != 0 && !on_altstack(alt_local));
	CHECK_EQ(alt_flags, 0);

	/* Our own main stack is not the alternate one: a local here is
	 * outside it. */
	volatile char mine;
	CHECK(!on_altstack((uintptr_t)&mine));

	ss.ss_flags = SS_DISABLE;
	OK(sigaltstack(&ss, NULL));
	OK(sigaltstack(NULL, &old));
	CHECK_EQ(old.ss_flags, SS_DISABLE);
	signal(SIGUSR2, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* The frame itself: frame_probe records the registers at handler entry,
 * before any compiler-made prologue can move rsp. */

volatile uint64_t probe_rsp, probe_rdi, probe_rsi, probe_rdx, probe_ret, probe_flags;
void frame_probe(int sig, siginfo_t *si, void *uc);
__asm__(".text\n"
	".globl frame_probe\n"
	".type frame_probe, @function\n"
	"frame_probe:\n"
	"	mov %rsp, probe_rsp(%rip)\n"
	"	mov %rdi, probe_rdi(%rip)\n"
	"	mov %rsi, probe_rsi(%rip)\n"
	"	mov %rdx, probe_rdx(%rip)\n"
	"	mov (%rsp), %rax\n"
	"	mov %rax, probe_ret(%rip)\n"
	"	pushfq\n"
	"	pop %rax\n"
	"	mov %rax, probe_flags(%rip)\n"
	"	ret\n"
	".size frame_probe, .-frame_probe\n");

#define RFLAGS_DF 0x400

/* tgkill to ourselves with DF set around the syscall; the rflags just
 * after it (the handler has run and returned by then). */
static uint64_t signal_with_df_set(int sig)
{
	uint64_t flags;
	long nr = SYS_tgkill;
	__asm__ volatile("std\n"
			 "syscall\n"
			 "pushfq\n"
			 "pop %[flags]\n"
			 "cld\n"
			 : [flags] "=r"(flags), "+a"(nr)
			 : "D"((long)getpid()), "S"((long)gettid_()), "d"((long)sig)
			 : "rcx", "r11", "memory", "cc");
	return flags;
}

static void frame_shape(int on_alt)
{
	struct kernel_sigaction k;
	set_handler(SIGUSR1, frame_probe, on_alt ? SA_ONSTACK : 0, 0);
	OK(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &k, 8));
	CHECK(k.flags & KERNEL_SA_RESTORER);
	probe_rsp = 0;
	OK(tgkill_(getpid(), gettid_(), SIGUSR1));
	CHECK(probe_rsp != 0);
	/* As right after a `call`: rsp + 8 is 16-byte aligned. */
	CHECK_EQ((probe_rsp + 8) % 16, 0);
	/* pretcode on top, the ucontext right above it, the siginfo after
	 * the 304-byte kernel ucontext. */
	CHECK(probe_ret == k.restorer);
	CHECK_EQ(probe_rdi, SIGUSR1);
	CHECK_EQ(probe_rdx, probe_rsp + 8);
	CHECK_EQ(probe_rsi, probe_rsp + 8 + 304);
	CHECK_EQ(probe_rsi ? ((siginfo_t *)probe_rsi)->si_signo : 0, SIGUSR1);
	CHECK_EQ(on_altstack(probe_rsp), on_alt);
	/* At the top of the alternate stack: below it only the FPU area
	 * (a few KiB of XSAVE data) and the frame. */
	if (on_alt)
		CHECK(probe_rsp > (uintptr_t)alt_base + ALT_SIZE - 16384);
	/* The handler starts with DF clear; the interrupted code gets its DF
	 * back. */
	uint64_t after = signal_with_df_set(SIGUSR1);
	CHECK_EQ(probe_flags & RFLAGS_DF, 0);
	CHECK_EQ(after & RFLAGS_DF, RFLAGS_DF);
	signal(SIGUSR1, SIG_DFL);
}

static void frames(void)
{
	frame_shape(0);
	alt_base = malloc(ALT_SIZE);
	stack_t ss = {.ss_sp = alt_base, .ss_size = ALT_SIZE, .ss_flags = 0};
	OK(sigaltstack(&ss, NULL));
	frame_shape(1);
	ss.ss_flags = SS_DISABLE;
	OK(sigaltstack(&ss, NULL));
}

/* ------------------------------------------------------------------ */
/* Masks inside a handler, and what returning does with uc_sigmask */

static volatile int mask_self_blocked = -1, mask_extra_blocked = -1, mask_saved_has_usr2 = -1;
static volatile int resethand_runs;

static void mask_probe(int sig, siginfo_t *si, void *ucv)
{
	(void)si;
	ucontext_t *uc = ucv;
	mask_self_blocked = is_blocked(sig);
	mask_extra_blocked = is_blocked(SIGWINCH);
	mask_saved_has_usr2 = sigismember(&uc->uc_sigmask, SIGUSR2);
	/* Whatever uc_sigmask says becomes the mask after the return. */
	sigaddset(&uc->uc_sigmask, SIGUSR2);
}

static void once(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	resethand_runs++;
}

static void handler_masks(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = mask_probe;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGWINCH);
	OK(sigaction(SIGUSR1, &sa, NULL));
	CHECK(!is_blocked(SIGUSR2));
	OK(raise(SIGUSR1));
	CHECK_EQ(mask_self_blocked, 1);
	CHECK_EQ(mask_extra_blocked, 1);
	CHECK_EQ(mask_saved_has_usr2, 0);
	CHECK(is_blocked(SIGUSR2));
	CHECK(!is_blocked(SIGUSR1) && !is_blocked(SIGWINCH));
	unblock(SIGUSR2);

	/* SA_NODEFER: the signal stays unblocked inside its handler. */
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	OK(sigaction(SIGUSR1, &sa, NULL));
	OK(raise(SIGUSR1));
	CHECK_EQ(mask_self_blocked, 0);
	unblock(SIGUSR2);

	/* SA_RESETHAND: one run, then the default again. */
	set_handler(SIGUSR2, once, SA_RESETHAND, 0);
	resethand_runs = 0;
	OK(raise(SIGUSR2));
	CHECK_EQ(resethand_runs, 1);
	struct sigaction now;
	OK(sigaction(SIGUSR2, NULL, &now));
	CHECK(now.sa_handler == SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* Faults */

static sigjmp_buf fault_jump;
static volatile uintptr_t fault_addr;
static volatile int fault_code, fault_count;
static volatile uint64_t fault_rip, fault_err, fault_trapno, fault_cr2;
static volatile int fault_resume; /* edit the context instead of jumping */

long fault_store(volatile void *addr);
extern char fault_store_insn[], fault_store_after[];
/* Stores 1 at rdi; returns rax, 0 unless a handler changed it. */
__asm__(".text\n"
	".globl fault_store, fault_store_insn, fault_store_after\n"
	".type fault_store, @function\n"
	"fault_store:\n"
	"	xor %eax, %eax\n"
	"fault_store_insn:\n"
	"	movq $1, (%rdi)\n"
	"fault_store_after:\n"
	"	ret\n"
	".size fault_store, .-fault_store\n");

#define RESUMED_RAX 0x5eb1

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	fault_count++;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	fault_rip = uc->uc_mcontext.gregs[REG_RIP];
	fault_err = uc->uc_mcontext.gregs[REG_ERR];
	fault_trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
	fault_cr2 = uc->uc_mcontext.gregs[REG_CR2];
	if (fault_resume) {
		/* Skip the store and change what the function returns:
		 * rt_sigreturn must take both from the edited context. */
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)fault_store_after;
		uc->uc_mcontext.gregs[REG_RAX] = RESUMED_RAX;
		return;
	}
	siglongjmp(fault_jump, 1);
}

static void faults(void)
{
	set_handler(SIGSEGV, on_segv, 0, 0);
	long page = sysconf(_SC_PAGESIZE);
	char *area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(area != MAP_FAILED);
	char *unmapped = area, *readonly = area + page;
	OK(munmap(unmapped, page));
	/* Touched first, so the page is present when the write faults. */
	readonly[0] = 1;
	OK(mprotect(readonly, page, PROT_READ));

	/* siglongjmp out of the handler, twice: the mask saved by
	 * sigsetjmp comes back, so the second fault is delivered too. */
	fault_resume = 0;
	fault_count = 0;
	if (sigsetjmp(fault_jump, 1) == 0) {
		fault_store(unmapped + 0x123);
		check_fail(__LINE__, "the store to an unmapped page did not fault", 0, 0);
	}
	CHECK_EQ(fault_count, 1);
	CHECK(fault_addr == (uintptr_t)(unmapped + 0x123));
	CHECK_EQ(fault_code, SEGV_MAPERR);
	CHECK(!is_blocked(SIGSEGV));
	/* The context: the faulting instruction, a user-mode write that
	 * found no page (error code 6), vector 14, cr2 = the address. */
	CHECK(fault_rip == (uintptr_t)fault_store_insn);
	CHECK_EQ(fault_err & 7, 6);
	CHECK_EQ(fault_trapno, 14);
	CHECK(fault_cr2 == (uintptr_t)(unmapped + 0x123));

	if (sigsetjmp(fault_jump, 1) == 0) {
		fault_store(readonly + 8);
		check_fail(__LINE__, "the store to a read-only page did not fault", 0, 0);
	}
	CHECK_EQ(fault_count, 2);
	CHECK(fault_addr == (uintptr_t)(readonly + 8));
	CHECK_EQ(fault_code, SEGV_ACCERR);
	CHECK_EQ(fault_err & 7, 7); /* a present page: a protection fault */

	/* Returning from the handler into an edited context. */
	fault_resume = 1;
	CHECK_EQ(fault_store(unmapped + 8), RESUMED_RAX);
	CHECK_EQ(fault_count, 3);
	CHECK_EQ(fault_code, SEGV_MAPERR);
	fault_resume = 0;

	munmap(readonly, page);
	signal(SIGSEGV, SIG_DFL);
}

/* ------------------------------------------------------------------ */
/* FPU and SSE state around a handler */

static volatile uint32_t handler_mxcsr;
static volatile uint16_t handler_fcw;
static volatile double handler_result;

static double harmonic(int n)
{
	volatile double sum = 0;
	for (int i = 1; i <= n; i++)
		sum += 1.0 / i;
	return sum;
}

static void clobber_fpu(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	uint32_t mx;
	uint16_t cw;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mx), "=m"(cw));
	handler_mxcsr = mx;
	handler_fcw = cw;
	/* Every vector register, the rounding modes, and some arithmetic. */
	uint32_t down = 0x3f80;
	uint16_t single = 0x007f;
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "pcmpeqd %%xmm1, %%xmm1\n\t"
			 "pcmpeqd %%xmm2, %%xmm2\n\t"
			 "pcmpeqd %%xmm3, %%xmm3\n\t"
			 "pcmpeqd %%xmm4, %%xmm4\n\t"
			 "pcmpeqd %%xmm5, %%xmm5\n\t"
			 "pcmpeqd %%xmm6, %%xmm6\n\t"
			 "pcmpeqd %%xmm7, %%xmm7\n\t"
			 "pcmpeqd %%xmm8, %%xmm8\n\t"
			 "pcmpeqd %%xmm9, %%xmm9\n\t"
			 "pcmpeqd %%xmm10, %%xmm10\n\t"
			 "pcmpeqd %%xmm11, %%xmm11\n\t"
			 "pcmpeqd %%xmm12, %%xmm12\n\t"
			 "pcmpeqd %%xmm13, %%xmm13\n\t"
			 "pcmpeqd %%xmm14, %%xmm14\n\t"
			 "pcmpeqd %%xmm15, %%xmm15\n\t"
			 "ldmxcsr %0\n\t"
			 "fldcw %1\n\t"
			 "fldpi\n\t"
			 "fstp %%st(0)"
			 :
			 : "m"(down), "m"(single)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
			   "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	handler_result = harmonic(500);
}

static void fpu_state(void)
{
	set_handler(SIGUSR1, clobber_fpu, 0, 0);

	/* Values computed with doubles before and after a handler that
	 * computes too. */
	double before = harmonic(1000);
	OK(raise(SIGUSR1));
	double after = harmonic(1000);
	CHECK(before == after);
	CHECK(handler_result > 6.79 && handler_result < 6.80);

	/* Registers live across the signal: all sixteen xmm, MXCSR and the
	 * x87 control word, set just before the syscall that delivers it. */
	static uint32_t in[64] __attribute__((aligned(16))), out[64] __attribute__((aligned(16)));
	for (int i = 0; i < 64; i++)
		in[i] = 0x9e3779b9u * (i + 1);
	uint32_t mine_mxcsr = 0x7f80, mxcsr_after = 0; /* round toward zero */
	uint16_t mine_fcw = 0x027f, fcw_after = 0;    /* double precision */
	long nr = SYS_tgkill;
	__asm__ volatile("movdqa 0(%[in]), %%xmm0\n\t"
			 "movdqa 16(%[in]), %%xmm1\n\t"
			 "movdqa 32(%[in]), %%xmm2\n\t"
			 "movdqa 48(%[in]), %%xmm3\n\t"
			 "movdqa 64(%[in]), %%xmm4\n\t"
			 "movdqa 80(%[in]), %%xmm5\n\t"
			 "movdqa 96(%[in]), %%xmm6\n\t"
			 "movdqa 112(%[in]), %%xmm7\n\t"
			 "movdqa 128(%[in]), %%xmm8\n\t"
			 "movdqa 144(%[in]), %%xmm9\n\t"
			 "movdqa 160(%[in]), %%xmm10\n\t"
			 "movdqa 176(%[in]), %%xmm11\n\t"
			 "movdqa 192(%[in]), %%xmm12\n\t"
			 "movdqa 208(%[in]), %%xmm13\n\t"
			 "movdqa 224(%[in]), %%xmm14\n\t"
			 "movdqa 240(%[in]), %%xmm15\n\t"
			 "ldmxcsr %[mx]\n\t"
			 "fldcw %[cw]\n\t"
			 "syscall\n\t"
			 "stmxcsr %[mx_after]\n\t"
			 "fnstcw %[cw_after]\n\t"
			 "movdqa %%xmm0, 0(%[out])\n\t"
			 "movdqa %%xmm1, 16(%[out])\n\t"
			 "movdqa %%xmm2, 32(%[out])\n\t"
			 "movdqa %%xmm3, 48(%[out])\n\t"
			 "movdqa %%xmm4, 64(%[out])\n\t"
			 "movdqa %%xmm5, 80(%[out])\n\t"
			 "movdqa %%xmm6, 96(%[out])\n\t"
			 "movdqa %%xmm7, 112(%[out])\n\t"
			 "movdqa %%xmm8, 128(%[out])\n\t"
			 "movdqa %%xmm9, 144(%[out])\n\t"
			 "movdqa %%xmm10, 160(%[out])\n\t"
			 "movdqa %%xmm11, 176(%[out])\n\t"
			 "movdqa %%xmm12, 192(%[out])\n\t"
			 "movdqa %%xmm13, 208(%[out])\n\t"
			 "movdqa %%xmm14, 224(%[out])\n\t"
			 "movdqa %%xmm15, 240(%[out])\n\t"
			 : [mx_after] "=m"(mxcsr_after), [cw_after] "=m"(fcw_after), "+a"(nr)
			 : [in] "r"(in), [out] "r"(out), [mx] "m"(mine_mxcsr), [cw] "m"(mine_fcw),
			   "D"((long)getpid()), "S"((long)gettid_()), "d"((long)SIGUSR1)
			 : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			   "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	/* Back to the ABI's defaults before any more C arithmetic. */
	uint32_t std_mxcsr = 0x1f80;
	uint16_t std_fcw = 0x037f;
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(std_mxcsr), "m"(std_fcw));
	CHECK_EQ(nr, 0);
	CHECK_MEM(out, in, sizeof out);
	CHECK_EQ(mxcsr_after, mine_mxcsr);
	CHECK_EQ(fcw_after, mine_fcw);
	/* The handler itself started from a clean FPU state. */
	CHECK_EQ(handler_mxcsr, 0x1f80);
	CHECK_EQ(handler_fcw, 0x037f);
	signal(SIGUSR1, SIG_DFL);
}

/* Ignoring a signal discards it where it is pending (POSIX), a standard
 * one and the queued instances of a real-time one; so does SIG_DFL for a
 * signal whose default is to be ignored (SIGCHLD). */
static volatile int caught;

static void count_any(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	caught++;
}

static void ignoring_discards_pending(void)
{
	int sigs[] = {SIGUSR1, SIGRTMIN + 1, SIGCHLD};
	for (int i = 0; i < 3; i++) {
		int sig = sigs[i];
		caught = 0;
		set_handler(sig, count_any, 0, 0);
		block(sig);
		OK(raise(sig));
		if (sig >= SIGRTMIN)
			OK(raise(sig)); /* two queued */
		sigset_t pending;
		OK(sigpending(&pending));
		CHECK(sigismember(&pending, sig));
		if (sig == SIGCHLD)
			OK(signal(sig, SIG_DFL) == SIG_ERR ? -1 : 0);
		else
			OK(signal(sig, SIG_IGN) == SIG_ERR ? -1 : 0);
		OK(sigpending(&pending));
		CHECK(!sigismember(&pending, sig));
		set_handler(sig, count_any, 0, 0);
		unblock(sig);
		CHECK_EQ(caught, 0);
		signal(sig, SIG_DFL);
	}
}

/* A fault whose signal is blocked or ignored kills the process, the
 * handler notwithstanding (Linux resets the action to SIG_DFL: the
 * faulting instruction cannot be skipped). */
static void exit_3(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
	_exit(3);
}

static void fault_with_segv_refused(void)
{
	for (int how = 0; how < 2; how++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct rlimit none = {0, 0};
			setrlimit(RLIMIT_CORE, &none);
			if (how == 0) {
				set_handler(SIGSEGV, exit_3, 0, 0);
				block(SIGSEGV);
			} else {
				signal(SIGSEGV, SIG_IGN);
			}
			*(volatile int *)0xdead0000000UL = 1;
			_exit(4);
		}
		CHECK(pid > 0);
		int status = 0;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	}
}

int main(void)
{
	check_start("sigorder");
	default_signals();
	setvbuf(stdout, NULL, _IONBF, 0);
	delivery_order();
	realtime_queue();
	siginfo_contents();
	restart_and_eintr();
	suspend();
	alternate_stack();
	handler_masks();
	faults();
	fpu_state();
	frames();
	ignoring_discards_pending();
	fault_with_segv_refused();
	return check_done();
}
