/* Threads and futexes as Linux has them, through musl's pthreads and raw
 * futex(2) calls: many threads created and joined, condition variables with
 * a thread exiting among the waiters, mutex contention, every futex
 * operation musl, Go and glibc use (WAIT/WAKE with their errors and
 * timeouts, REQUEUE and CMP_REQUEUE, the BITSET pair with absolute
 * timeouts, WAKE_OP), each in its shared and PRIVATE form, the
 * CLONE_CHILD_CLEARTID wake that pthread_join relies on, thread ids,
 * tgkill to one thread, a futex shared between processes and exit_group
 * from a thread after the main thread has gone.
 *
 * musl keeps pthreads in libc, so the static build needs no -pthread.
 *
 * Whether waiters are asleep is never guessed from a sleep: wait_asleep
 * moves every sleeper to a probe word with FUTEX_CMP_REQUEUE and straight
 * back, which counts exactly the threads queued in the kernel. */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* From Linux's include/uapi/linux/futex.h, which musl does not ship. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP(op, oparg, cmp, cmparg)                                                           \
	((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

#define NS_PER_MS 1000000L
/* Bounds every wait for another thread, so a kernel that loses a wake-up
 * fails a check instead of hanging the run. */
#define PATIENCE_MS 5000

/* futex(2) with a timeout (or NULL) in the fourth argument. */
static long futex(int *uaddr, int op, int val, const struct timespec *timeout, int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

/* futex(2) with a count (val2) in the fourth argument: the requeue limit
 * of REQUEUE and CMP_REQUEUE, the second wake count of WAKE_OP. */
static long futex_n(int *uaddr, int op, int val, long val2, int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static long load(const int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static void add(int *p, int v) { __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }

static struct timespec ms_timespec(long ms) { return (struct timespec){ms / 1000, (ms % 1000) * NS_PER_MS}; }

static long now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long elapsed_ms(long start_ns) { return (now_ns(CLOCK_MONOTONIC) - start_ns) / NS_PER_MS; }

static void sleep_ms(long ms)
{
	struct timespec ts = ms_timespec(ms);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long started_ns;

/* Says what runs next and when, so a guest that hangs shows where. */
static void step(const char *what)
{
	printf("threads: %ld ms: %s\n", elapsed_ms(started_ns), what);
	fflush(stdout);
}

/* Where wait_asleep parks sleepers for a moment; it holds 0. */
static int probe_word;

/* Waits until exactly `n` threads sleep in a futex wait on `word` (with
 * the `priv` flag they used), counting them by requeueing them all to the
 * probe word and back; true when it saw them. More than `n` fails. */
static int wait_asleep(int *word, int n, int priv)
{
	long start = now_ns(CLOCK_MONOTONIC);
	do {
		long moved = futex_n(word, FUTEX_CMP_REQUEUE | priv, 0, INT_MAX, &probe_word, (int)load(word));
		if (moved < 0 && errno != EAGAIN) {
			CHECK(moved >= 0);
			return 0;
		}
		if (moved > 0) {
			long back = futex_n(&probe_word, FUTEX_CMP_REQUEUE | priv, 0, INT_MAX, word, 0);
			CHECK_EQ(back, moved);
		}
		if (moved == n)
			return 1;
		if (moved > n) {
			CHECK_EQ(moved, n);
			return 0;
		}
		sleep_ms(1);
	} while (elapsed_ms(start) < PATIENCE_MS);
	fprintf(stderr, "FAIL: %s: %d waiter(s) never went to sleep on the futex at %p\n", check_program, n,
		(void *)word);
	check_failures++;
	return 0;
}

/* Waits until *counter reaches `n` (at most PATIENCE_MS), then a little
 * longer, and checks it stopped at exactly `n`. */
static void expect_count(int *counter, int n)
{
	long start = now_ns(CLOCK_MONOTONIC);
	while (load(counter) < n && elapsed_ms(start) < PATIENCE_MS)
		sleep_ms(1);
	sleep_ms(20);
	CHECK_EQ(load(counter), n);
}

/* A thread blocked in one futex wait. */
struct waiter {
	pthread_t thread;
	int *word;
	int op; /* FUTEX_WAIT or FUTEX_WAIT_BITSET, with the private flag */
	int val;
	unsigned bitset;
	int *woken; /* incremented when the wait returns */
	long ret;   /* STILL_WAITING until the wait returns */
	int err;
};

#define STILL_WAITING (-2L)

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	long ret = futex(w->word, w->op, w->val, NULL, NULL, (int)w->bitset);
	w->err = errno;
	__atomic_store_n(&w->ret, ret, __ATOMIC_SEQ_CST);
	add(w->woken, 1);
	return NULL;
}

static void start_waiter(struct waiter *w, int *word, int op, int val, unsigned bitset, int *woken)
{
	*w = (struct waiter){.word = word, .op = op, .val = val, .bitset = bitset, .woken = woken, .ret = STILL_WAITING};
	CHECK_EQ(pthread_create(&w->thread, NULL, waiter_main, w), 0);
}

/* Joins the waiter and checks its wait returned 0: woken, not timed out
 * nor refused. */
static void join_woken(struct waiter *w)
{
	CHECK_EQ(pthread_join(w->thread, NULL), 0);
	CHECK_EQ(w->ret, 0);
	if (w->ret != 0)
		fprintf(stderr, "  (the wait failed with errno %d %s)\n", w->err, strerror(w->err));
}

/* Errors and timeouts of FUTEX_WAIT, with no other thread involved. */
static void futex_wait_alone(int priv)
{
	int word = 1;
	ERR(futex(&word, FUTEX_WAIT | priv, 0, NULL, NULL, 0), EAGAIN);

	word = 0;
	struct timespec timeout = ms_timespec(50);
	long start = now_ns(CLOCK_MONOTONIC);
	ERR(futex(&word, FUTEX_WAIT | priv, 0, &timeout, NULL, 0), ETIMEDOUT);
	long took = elapsed_ms(start);
	CHECK(took >= 50);
	CHECK(took < PATIENCE_MS);

	struct timespec zero = {0, 0};
	ERR(futex(&word, FUTEX_WAIT | priv, 0, &zero, NULL, 0), ETIMEDOUT);
	struct timespec bad = {0, 1000000000L};
	ERR(futex(&word, FUTEX_WAIT | priv, 0, &bad, NULL, 0), EINVAL);
	struct timespec negative = {-1, 0};
	ERR(futex(&word, FUTEX_WAIT | priv, 0, &negative, NULL, 0), EINVAL);

	int pair[2] = {0, 0};
	ERR(futex((int *)((char *)pair + 1), FUTEX_WAIT | priv, 0, NULL, NULL, 0), EINVAL);
	ERR(futex(NULL, FUTEX_WAIT | priv, 0, NULL, NULL, 0), EFAULT);
	ERR(futex((int *)0xdead0000000, FUTEX_WAIT | priv, 0, NULL, NULL, 0), EFAULT);
	CHECK_EQ(futex(&word, FUTEX_WAKE | priv, 1, NULL, NULL, 0), 0);
	ERR(futex(&word, FUTEX_WAIT_BITSET | priv, 0, NULL, NULL, 0), EINVAL);
	ERR(futex(&word, 99 | priv, 0, NULL, NULL, 0), ENOSYS);
}

/* FUTEX_WAKE with a count wakes that many and leaves the rest asleep. */
static void futex_wake_counts(int priv)
{
	enum { WAITERS = 5 };
	static int word, woken;
	store(&word, 0);
	store(&woken, 0);
	struct waiter w[WAITERS];
	for (int i = 0; i < WAITERS; i++)
		start_waiter(&w[i], &word, FUTEX_WAIT | priv, 0, 0, &woken);
	if (wait_asleep(&word, WAITERS, priv)) {
		CHECK_EQ(futex(&word, FUTEX_WAKE | priv, 2, NULL, NULL, 0), 2);
		expect_count(&woken, 2);
		CHECK_EQ(futex(&word, FUTEX_WAKE | priv, 1, NULL, NULL, 0), 1);
		expect_count(&woken, 3);
	}
	CHECK_EQ(futex(&word, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0), WAITERS - 3);
	for (int i = 0; i < WAITERS; i++)
		join_woken(&w[i]);
	CHECK_EQ(load(&woken), WAITERS);
}

/* CMP_REQUEUE checks the value, wakes some and moves others; REQUEUE
 * moves without checking; both return woken plus moved. */
static void futex_requeue(int priv)
{
	enum { WAITERS = 4 };
	static int a, b, woken;
	store(&a, 0);
	store(&b, 0);
	store(&woken, 0);
	struct waiter w[WAITERS];
	for (int i = 0; i < WAITERS; i++)
		start_waiter(&w[i], &a, FUTEX_WAIT | priv, 0, 0, &woken);
	if (wait_asleep(&a, WAITERS, priv)) {
		errno = 0;
		long r = futex_n(&a, FUTEX_CMP_REQUEUE | priv, 0, 1, &b, 1);
		CHECK(r == -1 && errno == EAGAIN);
		/* Wake one, move two to b, leave one on a. */
		CHECK_EQ(futex_n(&a, FUTEX_CMP_REQUEUE | priv, 1, 2, &b, 0), 3);
		expect_count(&woken, 1);
		wait_asleep(&a, 1, priv);
		wait_asleep(&b, 2, priv);
		/* Both moved waiters back to a, unchecked. */
		CHECK_EQ(futex_n(&b, FUTEX_REQUEUE | priv, 0, INT_MAX, &a, 0), 2);
		CHECK_EQ(futex(&b, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0), 0);
		CHECK_EQ(load(&woken), 1);
		CHECK_EQ(futex(&a, FUTEX_WAKE | priv, 1, NULL, NULL, 0), 1);
		expect_count(&woken, 2);
	}
	CHECK_EQ(futex(&a, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0), WAITERS - 2);
	for (int i = 0; i < WAITERS; i++)
		join_woken(&w[i]);
}

/* WAIT_BITSET takes an absolute deadline (CLOCK_MONOTONIC, or
 * CLOCK_REALTIME with the flag); WAKE_BITSET wakes only matching bits. */
static void futex_bitset(int priv)
{
	int word = 0;
	long deadline = now_ns(CLOCK_MONOTONIC) + 50 * NS_PER_MS;
	struct timespec at = {deadline / 1000000000L, deadline % 1000000000L};
	ERR(futex(&word, FUTEX_WAIT_BITSET | priv, 0, &at, NULL, (int)FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
	long late = now_ns(CLOCK_MONOTONIC) - deadline;
	CHECK(late >= 0);
	CHECK(late < PATIENCE_MS * NS_PER_MS);
	/* A deadline already past times out at once. */
	struct timespec past = {0, 1};
	ERR(futex(&word, FUTEX_WAIT_BITSET | priv, 0, &past, NULL, (int)FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);
	deadline = now_ns(CLOCK_REALTIME) + 30 * NS_PER_MS;
	at = (struct timespec){deadline / 1000000000L, deadline % 1000000000L};
	ERR(futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | priv, 0, &at, NULL, (int)FUTEX_BITSET_MATCH_ANY),
	    ETIMEDOUT);
	CHECK(now_ns(CLOCK_REALTIME) >= deadline);

	static int bits, woken;
	store(&bits, 0);
	store(&woken, 0);
	struct waiter one, two;
	start_waiter(&one, &bits, FUTEX_WAIT_BITSET | priv, 0, 1, &woken);
	start_waiter(&two, &bits, FUTEX_WAIT_BITSET | priv, 0, 2, &woken);
	if (wait_asleep(&bits, 2, priv)) {
		CHECK_EQ(futex(&bits, FUTEX_WAKE_BITSET | priv, INT_MAX, NULL, NULL, 4), 0);
		CHECK_EQ(futex(&bits, FUTEX_WAKE_BITSET | priv, INT_MAX, NULL, NULL, 2), 1);
		expect_count(&woken, 1);
		CHECK_EQ(__atomic_load_n(&two.ret, __ATOMIC_SEQ_CST), 0);
		CHECK_EQ(__atomic_load_n(&one.ret, __ATOMIC_SEQ_CST), STILL_WAITING);
		/* A plain FUTEX_WAKE matches every bitset. */
		CHECK_EQ(futex(&bits, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0), 1);
	} else {
		futex(&bits, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
	}
	join_woken(&one);
	join_woken(&two);
}

/* WAKE_OP changes the second word, wakes on the first, and wakes on the
 * second only when the old value passes the comparison. */
static void futex_wake_op(int priv)
{
	static int w1, w2, woken;
	store(&w1, 0);
	store(&w2, 0);
	store(&woken, 0);
	struct waiter a, b;
	start_waiter(&a, &w1, FUTEX_WAIT | priv, 0, 0, &woken);
	start_waiter(&b, &w2, FUTEX_WAIT | priv, 0, 0, &woken);
	if (wait_asleep(&w1, 1, priv) && wait_asleep(&w2, 1, priv)) {
		/* w2 += 5; old value 0 == 0, so both wake. */
		long r = futex_n(&w1, FUTEX_WAKE_OP | priv, 1, 1, &w2,
				 FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
		CHECK_EQ(r, 2);
		CHECK_EQ(load(&w2), 5);
		expect_count(&woken, 2);
	}
	futex(&w1, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
	futex(&w2, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
	join_woken(&a);
	join_woken(&b);

	store(&woken, 0);
	start_waiter(&a, &w1, FUTEX_WAIT | priv, 0, 0, &woken);
	start_waiter(&b, &w2, FUTEX_WAIT | priv, 5, 0, &woken);
	if (wait_asleep(&w1, 1, priv) && wait_asleep(&w2, 1, priv)) {
		/* w2 |= 1 << 4 (a shifted operand); old value 5 > 100 fails,
		 * so only w1's waiter wakes. */
		long r = futex_n(&w1, FUTEX_WAKE_OP | priv, 1, 1, &w2,
				 FUTEX_OP(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GT, 100));
		CHECK_EQ(r, 1);
		CHECK_EQ(load(&w2), 5 | 16);
		expect_count(&woken, 1);
		CHECK_EQ(futex(&w2, FUTEX_WAKE | priv, 1, NULL, NULL, 0), 1);
	}
	futex(&w1, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
	futex(&w2, FUTEX_WAKE | priv, INT_MAX, NULL, NULL, 0);
	join_woken(&a);
	join_woken(&b);
	/* Setting w1 itself: WAKE_OP may name one word twice. */
	store(&w1, 0);
	CHECK_EQ(futex_n(&w1, FUTEX_WAKE_OP | priv, 1, 1, &w1, FUTEX_OP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0)), 0);
	CHECK_EQ(load(&w1), 7);
}

static void futex_ops(void)
{
	static const struct {
		int flag;
		const char *name;
	} kinds[] = {{0, "shared"}, {FUTEX_PRIVATE_FLAG, "private"}};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "futex operations, %s", kinds[i].name);
		step(what);
		futex_wait_alone(kinds[i].flag);
		futex_wake_counts(kinds[i].flag);
		futex_requeue(kinds[i].flag);
		futex_bitset(kinds[i].flag);
		futex_wake_op(kinds[i].flag);
	}
}

/* ---- Thread identity and lifetime ---- */

enum { MANY = 100 };
static pthread_barrier_t many_barrier, many_counted;
static pid_t many_tids[MANY], many_pids[MANY];

static void *many_main(void *arg)
{
	long i = (long)arg;
	many_tids[i] = gettid_();
	many_pids[i] = getpid();
	/* Everyone alive at once, so no thread id can be reused. */
	pthread_barrier_wait(&many_barrier);
	/* Still alive while the main thread counts them in /proc. */
	pthread_barrier_wait(&many_counted);
	return (void *)(i * 2 + 1);
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

static void many_threads(void)
{
	step("100 threads, their ids");
	CHECK_EQ(gettid_(), getpid());
	pthread_t threads[MANY];
	int created = 0;
	CHECK_EQ(pthread_barrier_init(&many_barrier, NULL, MANY + 1), 0);
	CHECK_EQ(pthread_barrier_init(&many_counted, NULL, MANY + 1), 0);
	for (long i = 0; i < MANY; i++) {
		int err = pthread_create(&threads[i], NULL, many_main, (void *)i);
		CHECK_EQ(err, 0);
		if (err != 0)
			break;
		created++;
	}
	if (created < MANY) {
		/* The barrier would never open: stop here. */
		printf("threads: only %d threads created\n", created);
		exit(check_done());
	}
	pthread_barrier_wait(&many_barrier);
	char status[4096] = {0};
	int fd = open("/proc/self/status", O_RDONLY);
	CHECK(fd >= 0 && read(fd, status, sizeof status - 1) > 0);
	close(fd);
	char *line = strstr(status, "\nThreads:");
	CHECK(line && atoi(line + strlen("\nThreads:")) == MANY + 1);
	pthread_barrier_wait(&many_counted);
	for (long i = 0; i < MANY; i++) {
		void *ret = NULL;
		CHECK_EQ(pthread_join(threads[i], &ret), 0);
		CHECK_EQ((long)ret, i * 2 + 1);
		CHECK_EQ(many_pids[i], getpid());
		CHECK(many_tids[i] != getpid());
		CHECK(many_tids[i] > 0);
	}
	pid_t sorted[MANY];
	memcpy(sorted, many_tids, sizeof sorted);
	qsort(sorted, MANY, sizeof sorted[0], compare_pids);
	for (int i = 1; i < MANY; i++)
		CHECK(sorted[i] != sorted[i - 1]);
	pthread_barrier_destroy(&many_barrier);
	pthread_barrier_destroy(&many_counted);
}

static int cleanup_ran;

static void cleanup(void *arg) { store(arg, 1); }

static __attribute__((noinline)) void exit_from_deep(void) { pthread_exit((void *)42); }

/* Sleeps `arg` milliseconds, so a joiner is already waiting, then exits
 * from a nested call with a cleanup handler pushed. */
static void *exiting_main(void *arg)
{
	pthread_cleanup_push(cleanup, &cleanup_ran);
	sleep_ms((long)arg);
	exit_from_deep();
	pthread_cleanup_pop(0);
	return NULL;
}

/* musl's pthread_join sleeps until the kernel's exit-time clear of the
 * thread's CLONE_CHILD_CLEARTID word wakes it. */
static void join_pthread_exit(void)
{
	step("pthread_exit and pthread_join");
	pthread_t t;
	long start = now_ns(CLOCK_MONOTONIC);
	CHECK_EQ(pthread_create(&t, NULL, exiting_main, (void *)50), 0);
	void *ret = NULL;
	CHECK_EQ(pthread_join(t, &ret), 0);
	CHECK_EQ((long)ret, 42);
	CHECK(elapsed_ms(start) >= 50);
	CHECK_EQ(load(&cleanup_ran), 1);
	/* Thread creation and exit still work afterwards (musl's thread
	 * list lock is released by that same kernel clear). */
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(pthread_create(&t, NULL, exiting_main, (void *)0), 0);
		CHECK_EQ(pthread_join(t, &ret), 0);
		CHECK_EQ((long)ret, 42);
	}
}

/* A thread made by clone(2) directly: CLONE_PARENT_SETTID and
 * CLONE_CHILD_SETTID store its id, and its exit stores 0 in the
 * CLONE_CHILD_CLEARTID word and wakes a (shared) futex waiter there. */
static int raw_ctid = -1, raw_ptid;
static int raw_child_tid, raw_child_pid, raw_child_saw_settid;

static int raw_child(void *arg)
{
	(void)arg;
	/* Only raw system calls here: this thread shares its parent's TLS. */
	raw_child_tid = (int)syscall(SYS_gettid);
	raw_child_pid = (int)syscall(SYS_getpid);
	raw_child_saw_settid = load(&raw_ctid) == raw_child_tid;
	struct timespec nap = ms_timespec(100);
	syscall(SYS_nanosleep, &nap, NULL);
	return 0;
}

static void clone_cleartid(void)
{
	step("clone with CLONE_CHILD_CLEARTID");
	enum { STACK = 64 * 1024 };
	char *stack = malloc(STACK);
	CHECK(stack != NULL);
	if (!stack)
		return;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
		    CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID;
	void *top = (void *)(((uintptr_t)stack + STACK) & ~(uintptr_t)15);
	long start = now_ns(CLOCK_MONOTONIC);
	int tid = OK(clone(raw_child, top, flags, NULL, &raw_ptid, NULL, &raw_ctid));
	CHECK_EQ(raw_ptid, tid);
	int slept = 0;
	for (int v; (v = (int)load(&raw_ctid)) != 0;) {
		struct timespec patience = ms_timespec(PATIENCE_MS);
		errno = 0;
		long r = futex(&raw_ctid, FUTEX_WAIT, v, &patience, NULL, 0);
		if (r == 0)
			slept = 1;
		else if (errno == ETIMEDOUT) {
			CHECK(!"the thread's exit cleared and woke its CLONE_CHILD_CLEARTID word");
			break;
		} else
			CHECK_EQ(errno, EAGAIN);
	}
	CHECK(slept);
	CHECK(elapsed_ms(start) >= 100);
	CHECK_EQ(raw_child_tid, tid);
	CHECK_EQ(raw_child_pid, getpid());
	CHECK_EQ(raw_child_saw_settid, 1);
	if (load(&raw_ctid) == 0)
		free(stack);
}

/* ---- Condition variables and mutexes ---- */

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_state = PTHREAD_COND_INITIALIZER;
static int cv_waiting, cv_go, cv_woke, cv_tokens;

static void *broadcast_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cv_lock);
	cv_waiting++;
	pthread_cond_signal(&cv_state);
	while (!cv_go)
		pthread_cond_wait(&cv, &cv_lock);
	cv_woke++;
	pthread_mutex_unlock(&cv_lock);
	return NULL;
}

static void *token_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cv_lock);
	cv_waiting++;
	pthread_cond_signal(&cv_state);
	while (!cv_tokens)
		pthread_cond_wait(&cv, &cv_lock);
	cv_tokens--;
	cv_woke++;
	pthread_cond_signal(&cv_state);
	pthread_mutex_unlock(&cv_lock);
	return NULL;
}

static void *exit_at_once(void *arg)
{
	pthread_mutex_lock(&cv_lock);
	pthread_mutex_unlock(&cv_lock);
	pthread_exit(arg);
}

/* Under cv_lock: waits on cv_state until *value reaches `n`, at most
 * PATIENCE_MS; true if it did. */
static int wait_state(int *value, int n)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += PATIENCE_MS / 1000;
	while (*value < n)
		if (pthread_cond_timedwait(&cv_state, &cv_lock, &deadline) == ETIMEDOUT)
			return *value >= n;
	return 1;
}

static void condition_variables(void)
{
	enum { WAITERS = 8, TOKENS = 4 };
	step("condition variables");
	pthread_t t[WAITERS], exiter;
	cv_waiting = cv_go = cv_woke = 0;
	for (int i = 0; i < WAITERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, broadcast_waiter, NULL), 0);
	pthread_mutex_lock(&cv_lock);
	CHECK(wait_state(&cv_waiting, WAITERS));
	pthread_mutex_unlock(&cv_lock);
	/* A thread exits while they all wait: nobody may be let through. */
	CHECK_EQ(pthread_create(&exiter, NULL, exit_at_once, (void *)7), 0);
	void *ret = NULL;
	CHECK_EQ(pthread_join(exiter, &ret), 0);
	CHECK_EQ((long)ret, 7);
	sleep_ms(20);
	pthread_mutex_lock(&cv_lock);
	CHECK_EQ(cv_woke, 0);
	cv_go = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&cv_lock);
	for (int i = 0; i < WAITERS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(cv_woke, WAITERS);

	/* pthread_cond_signal, one token at a time: one waiter per token. */
	cv_waiting = cv_woke = cv_tokens = 0;
	for (int i = 0; i < TOKENS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, token_waiter, NULL), 0);
	pthread_mutex_lock(&cv_lock);
	CHECK(wait_state(&cv_waiting, TOKENS));
	for (int i = 1; i <= TOKENS; i++) {
		cv_tokens++;
		pthread_cond_signal(&cv);
		CHECK(wait_state(&cv_woke, i));
		CHECK_EQ(cv_woke, i);
	}
	pthread_mutex_unlock(&cv_lock);
	for (int i = 0; i < TOKENS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);

	/* A timed wait on CLOCK_MONOTONIC times out, not before its time. */
	pthread_condattr_t attr;
	pthread_cond_t timed;
	pthread_condattr_init(&attr);
	CHECK_EQ(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC), 0);
	CHECK_EQ(pthread_cond_init(&timed, &attr), 0);
	long deadline = now_ns(CLOCK_MONOTONIC) + 30 * NS_PER_MS;
	struct timespec at = {deadline / 1000000000L, deadline % 1000000000L};
	pthread_mutex_lock(&cv_lock);
	CHECK_EQ(pthread_cond_timedwait(&timed, &cv_lock, &at), ETIMEDOUT);
	pthread_mutex_unlock(&cv_lock);
	CHECK(now_ns(CLOCK_MONOTONIC) >= deadline);
	pthread_cond_destroy(&timed);
	pthread_condattr_destroy(&attr);
}

enum { COUNTERS = 4, INCREMENTS = 50000 };
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++) {
		pthread_mutex_lock(&counter_lock);
		/* A read-modify-write the lock must make atomic. */
		long v = counter;
		if (i % 4096 == 0)
			sched_yield();
		counter = v + 1;
		pthread_mutex_unlock(&counter_lock);
	}
	return NULL;
}

/* Tries the lock, and releases it if that worked. */
static void *trylock_main(void *arg)
{
	(void)arg;
	int r = pthread_mutex_trylock(&counter_lock);
	if (r == 0)
		pthread_mutex_unlock(&counter_lock);
	return (void *)(long)r;
}

static void mutex_contention(void)
{
	step("mutex contention");
	pthread_t t[COUNTERS];
	counter = 0;
	for (int i = 0; i < COUNTERS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, count_main, NULL), 0);
	for (int i = 0; i < COUNTERS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK_EQ(counter, (long)COUNTERS * INCREMENTS);

	void *ret = NULL;
	pthread_mutex_lock(&counter_lock);
	CHECK_EQ(pthread_create(&t[0], NULL, trylock_main, NULL), 0);
	CHECK_EQ(pthread_join(t[0], &ret), 0);
	CHECK_EQ((long)ret, EBUSY);
	pthread_mutex_unlock(&counter_lock);
	CHECK_EQ(pthread_create(&t[0], NULL, trylock_main, NULL), 0);
	CHECK_EQ(pthread_join(t[0], &ret), 0);
	CHECK_EQ((long)ret, 0);
}

/* ---- Signals to one thread ---- */

static int usr1_tid, usr2_tid, target_tid, target_blocked, target_sent;
static int target_word;
static long target_wait_ret;
static int target_wait_errno, target_pending_before, target_usr2_before;

static void on_usr1(int sig)
{
	(void)sig;
	store(&usr1_tid, gettid_());
}

static void on_usr2(int sig)
{
	(void)sig;
	store(&usr2_tid, gettid_());
}

static void *signal_target(void *arg)
{
	(void)arg;
	store(&target_tid, gettid_());
	/* SIGUSR1's handler (no SA_RESTART) interrupts this wait. */
	target_wait_ret = futex(&target_word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	target_wait_errno = errno;

	sigset_t usr2;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &usr2, NULL);
	store(&target_blocked, 1);
	long start = now_ns(CLOCK_MONOTONIC);
	while (!load(&target_sent) && elapsed_ms(start) < PATIENCE_MS)
		sleep_ms(1);
	/* Directed at this thread, it waits here even though the main
	 * thread has it unblocked. */
	sleep_ms(30);
	sigset_t pending;
	sigpending(&pending);
	target_pending_before = sigismember(&pending, SIGUSR2);
	target_usr2_before = (int)load(&usr2_tid);
	pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
	return NULL;
}

static void thread_signals(void)
{
	step("tgkill to one thread");
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	OK(sigaction(SIGUSR1, &sa, NULL));
	sa.sa_handler = on_usr2;
	OK(sigaction(SIGUSR2, &sa, NULL));
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);

	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, signal_target, NULL), 0);
	int sent1 = wait_asleep(&target_word, 1, FUTEX_PRIVATE_FLAG) &&
		    OK(syscall(SYS_tgkill, getpid(), (pid_t)load(&target_tid), SIGUSR1)) == 0;
	if (!sent1) /* Failed already; let the thread go on, or the join hangs. */
		futex(&target_word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
	long start = now_ns(CLOCK_MONOTONIC);
	while (!load(&target_blocked) && elapsed_ms(start) < PATIENCE_MS)
		sleep_ms(1);
	int sent2 = OK(syscall(SYS_tgkill, getpid(), (pid_t)load(&target_tid), SIGUSR2)) == 0;
	store(&target_sent, 1);
	CHECK_EQ(pthread_join(t, NULL), 0);

	/* What the signals did, for those that were sent. */
	pid_t tid = (pid_t)load(&target_tid);
	CHECK(tid != gettid_());
	if (sent1) {
		CHECK_EQ(load(&usr1_tid), tid);
		CHECK_EQ(target_wait_ret, -1);
		CHECK_EQ(target_wait_errno, EINTR);
	}
	if (sent2) {
		CHECK_EQ(target_pending_before, 1);
		CHECK_EQ(target_usr2_before, 0);
		CHECK_EQ(load(&usr2_tid), tid);
	}
	/* Signal 0 probes: the thread is gone, and so is a made-up one. */
	ERR(syscall(SYS_tgkill, getpid(), tid, 0), ESRCH);
	ERR(syscall(SYS_tgkill, getpid(), 0x3fffffff, 0), ESRCH);
	ERR(syscall(SYS_tgkill, getpid(), gettid_(), -1), EINVAL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

/* ---- Across processes ---- */

static int wait_child(pid_t pid)
{
	int status = -1;
	long start = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 || elapsed_ms(start) > PATIENCE_MS) {
			CHECK(!"the child ended in time");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		sleep_ms(2);
	}
}

/* A shared futex in MAP_SHARED memory links two processes: the child
 * wakes the parent, after seeing it queued. */
static void futex_between_processes(void)
{
	step("a shared futex between processes");
	int *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(word != MAP_FAILED);
	if (word == MAP_FAILED)
		return;
	*word = 0;
	fflush(stdout);
	pid_t pid = OK(fork());
	if (pid == 0) {
		check_start("threads-futex-child");
		int asleep = wait_asleep(word, 1, 0);
		store(word, 1);
		long woke = futex(word, FUTEX_WAKE, 1, NULL, NULL, 0);
		_exit(asleep && woke == 1 ? 0 : 1);
	}
	struct timespec patience = ms_timespec(PATIENCE_MS);
	CHECK_EQ(futex(word, FUTEX_WAIT, 0, &patience, NULL, 0), 0);
	CHECK_EQ(load(word), 1);
	CHECK_EQ(wait_child(pid), 0);
	munmap(word, 4096);
}

#define EXIT_GROUP_ARG "--exit-group-child"
#define EXIT_GROUP_STATUS 7

static int forever_word;
static pthread_t main_thread;
/* The child's ends of the two pipes (see exit_group_child). */
static int child_out, child_in;

static void *sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		futex(&forever_word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
	return NULL;
}

static void *exit_group_after_main(void *arg)
{
	(void)arg;
	/* Returns once the main thread's exit has cleared its tid word. */
	pthread_join(main_thread, NULL);
	wait_asleep(&forever_word, 1, FUTEX_PRIVATE_FLAG);
	char c = 'm';
	if (write(child_out, &c, 1) != 1 || read(child_in, &c, 1) != 1)
		_exit(1);
	_exit(EXIT_GROUP_STATUS);
}

/* The child of exit_group_from_a_thread, a fresh execve of this program:
 * a forked child would not do, because fork leaves the main thread no
 * CLONE_CHILD_CLEARTID word, and musl then cannot join it. */
static int exit_group_child(char **argv)
{
	check_start("threads-exit-group");
	child_out = atoi(argv[2]);
	child_in = atoi(argv[3]);
	pthread_t t;
	main_thread = pthread_self();
	if (pthread_create(&t, NULL, sleep_forever, NULL) != 0 ||
	    pthread_create(&t, NULL, exit_group_after_main, NULL) != 0)
		return 2;
	pthread_exit(NULL);
}

/* The main thread leaves with pthread_exit; the process lives on (not
 * reported to the parent) until another thread's exit_group, which must
 * also end a thread asleep in a futex wait. */
static void exit_group_from_a_thread(void)
{
	step("exit_group from a thread after the main thread exited");
	int to_parent[2], from_parent[2];
	CHECK_EQ(pipe(to_parent), 0);
	CHECK_EQ(pipe(from_parent), 0);
	fflush(stdout);
	pid_t pid = OK(fork());
	if (pid == 0) {
		char out[16], in[16];
		snprintf(out, sizeof out, "%d", to_parent[1]);
		snprintf(in, sizeof in, "%d", from_parent[0]);
		char *args[] = {"/proc/self/exe", EXIT_GROUP_ARG, out, in, NULL};
		execv(args[0], args);
		check_fail(__LINE__, "execv of /proc/self/exe", -1, errno);
		_exit(127);
	}
	/* Our copies of the child's ends: EOF, not a hang, if it dies. */
	close(to_parent[1]);
	close(from_parent[0]);
	char c = 0;
	CHECK_EQ(read(to_parent[0], &c, 1), 1);
	CHECK_EQ(c, 'm');
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
	CHECK_EQ(write(from_parent[1], "p", 1), 1);
	status = wait_child(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), EXIT_GROUP_STATUS);
	close(to_parent[0]);
	close(from_parent[1]);
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], EXIT_GROUP_ARG) == 0)
		return exit_group_child(argv);
	check_start("threads");
	/* waitpid needs SIGCHLD's default action, whatever we inherited. */
	signal(SIGCHLD, SIG_DFL);
	started_ns = now_ns(CLOCK_MONOTONIC);
	futex_ops();
	many_threads();
	join_pthread_exit();
	clone_cleartid();
	condition_variables();
	mutex_contention();
	thread_signals();
	futex_between_processes();
	exit_group_from_a_thread();
	printf("threads: done in %ld ms\n", elapsed_ms(started_ns));
	return check_done();
}
