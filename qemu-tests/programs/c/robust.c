/* Robust mutexes (PTHREAD_MUTEX_ROBUST) whose owner dies holding them.
 * musl puts only process-shared robust mutexes on the kernel's robust
 * list (set_robust_list) and unlocks the others itself in pthread_exit,
 * so the mutexes here are PTHREAD_PROCESS_SHARED and their owner threads
 * end with a raw exit(2): only the kernel's walk of the dying thread's
 * list can then mark the mutex FUTEX_OWNER_DIED and wake a waiter.
 * Checked: the next locker gets EOWNERDEAD, pthread_mutex_consistent
 * makes the mutex usable again (ENOTRECOVERABLE when it was not), a
 * waiter already asleep in pthread_mutex_lock when the owner dies is
 * woken with EOWNERDEAD, and the same for an owner that is a whole
 * process ending with _exit, on a mutex in shared memory.
 *
 * A raw exit also skips musl's own bookkeeping: the dead thread is never
 * joined (its descriptor stays on musl's thread list, harmless here), and
 * the kernel's CLONE_CHILD_CLEARTID store lands on musl's thread-list
 * lock, so nothing creates or ends threads while an owner dies. */
#include "check.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define FUTEX_CMP_REQUEUE 4
#define NS_PER_MS 1000000L
/* Bounds every wait for another thread, so a lost wake-up fails a check
 * instead of hanging the run. */
#define PATIENCE_MS 5000

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long elapsed_ms(long start_ns) { return (now_ns() - start_ns) / NS_PER_MS; }

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * NS_PER_MS};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int load(const int *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void store(int *p, int v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

/* Waits (at most PATIENCE_MS) until *flag is set; true if it was. */
static int wait_for(int *flag, const char *what)
{
	long start = now_ns();
	while (!load(flag)) {
		if (elapsed_ms(start) > PATIENCE_MS) {
			fprintf(stderr, "FAIL: robust: %s never happened\n", what);
			check_failures++;
			return 0;
		}
		sleep_ms(1);
	}
	return 1;
}

/* musl's lock word, where the owner's tid and FUTEX_OWNER_DIED live
 * (`_m_lock` in musl's pthread_impl.h). */
static int *lock_word(pthread_mutex_t *m) { return (int *)&m->__u.__vi[1]; }

/* Waits until a thread sleeps in the kernel on the mutex's lock word,
 * counted by requeueing the sleepers to a probe word and straight back
 * (FUTEX_CMP_REQUEUE with the word's current value). */
static int waiter_asleep(pthread_mutex_t *m)
{
	static int probe;
	int *word = lock_word(m);
	/* Shared, as musl waits on a process-shared mutex. */
	int op = FUTEX_CMP_REQUEUE;
	long start = now_ns();
	do {
		long moved = syscall(SYS_futex, word, op, 0, (long)INT_MAX, &probe, load(word));
		if (moved > 0)
			CHECK_EQ(syscall(SYS_futex, &probe, op, 0, (long)INT_MAX, word, 0), moved);
		if (moved == 1)
			return 1;
		sleep_ms(1);
	} while (elapsed_ms(start) < PATIENCE_MS);
	fprintf(stderr, "FAIL: robust: no waiter went to sleep on the mutex\n");
	check_failures++;
	return 0;
}

/* pthread_mutex_lock bounded by PATIENCE_MS: a kernel that never marks
 * the dead owner's mutex fails with ETIMEDOUT instead of hanging. */
static int lock_patiently(pthread_mutex_t *m)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += PATIENCE_MS / 1000;
	return pthread_mutex_timedlock(m, &deadline);
}

static pid_t gettid_(void) { return (pid_t)syscall(SYS_gettid); }

static void robust_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	CHECK_EQ(pthread_mutexattr_init(&attr), 0);
	CHECK_EQ(pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST), 0);
	CHECK_EQ(pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED), 0);
	CHECK_EQ(pthread_mutex_init(m, &attr), 0);
	CHECK_EQ(pthread_mutexattr_destroy(&attr), 0);
}

/* An owner thread: locks, says so with its tid, waits for `go` (if any),
 * and dies holding the lock. */
struct owner {
	pthread_mutex_t *mutex;
	int *go;
	int locked;
	int tid;
};

static void *owner_main(void *arg)
{
	struct owner *o = arg;
	int r = pthread_mutex_lock(o->mutex);
	store(&o->tid, gettid_());
	store(&o->locked, r == 0 ? 1 : -1);
	if (o->go)
		while (!load(o->go))
			sleep_ms(1);
	syscall(SYS_exit, 0);
	return NULL;
}

/* Waits until thread `tid` of this process is gone. */
static int thread_gone(int tid)
{
	long start = now_ns();
	while (syscall(SYS_tgkill, getpid(), tid, 0) == 0) {
		if (elapsed_ms(start) > PATIENCE_MS) {
			fprintf(stderr, "FAIL: robust: thread %d never ended\n", tid);
			check_failures++;
			return 0;
		}
		sleep_ms(1);
	}
	CHECK_EQ(errno, ESRCH);
	return 1;
}

/* The owner is dead before anyone asks for the lock. */
static void owner_died_before(void)
{
	pthread_mutex_t m;
	robust_mutex(&m);
	struct owner o = {.mutex = &m};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, owner_main, &o), 0);
	if (!wait_for(&o.locked, "the owner's lock") || !thread_gone(load(&o.tid)))
		return;
	CHECK_EQ(o.locked, 1);
	/* Linux leaves FUTEX_OWNER_DIED alone: no tid, no waiters bit. */
	CHECK_EQ(load(lock_word(&m)), 0x40000000);
	CHECK_EQ(pthread_mutex_trylock(&m), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(&m), 0);
	CHECK_EQ(pthread_mutex_unlock(&m), 0);
	CHECK_EQ(pthread_mutex_lock(&m), 0);
	CHECK_EQ(pthread_mutex_unlock(&m), 0);

	/* Again, with a blocking lock; this time left inconsistent. */
	store(&o.locked, 0);
	CHECK_EQ(pthread_create(&t, NULL, owner_main, &o), 0);
	if (!wait_for(&o.locked, "the second owner's lock") || !thread_gone(load(&o.tid)))
		return;
	CHECK_EQ(lock_patiently(&m), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_unlock(&m), 0);
	CHECK_EQ(pthread_mutex_lock(&m), ENOTRECOVERABLE);
	printf("robust: a dead owner's mutex gives EOWNERDEAD, then ENOTRECOVERABLE unless made consistent\n");
}

struct waiter {
	pthread_mutex_t *mutex;
	int result;
	int consistent;
	int relock;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	w->result = lock_patiently(w->mutex);
	if (w->result == EOWNERDEAD)
		w->consistent = pthread_mutex_consistent(w->mutex);
	pthread_mutex_unlock(w->mutex);
	w->relock = pthread_mutex_lock(w->mutex);
	pthread_mutex_unlock(w->mutex);
	return NULL;
}

/* A waiter sleeps in pthread_mutex_lock when the owner dies: only the
 * kernel's wake (FUTEX_WAITERS was set) gets it out. */
static void owner_dies_under_a_waiter(void)
{
	pthread_mutex_t m;
	robust_mutex(&m);
	int go = 0;
	struct owner o = {.mutex = &m, .go = &go};
	pthread_t owner, waiter;
	CHECK_EQ(pthread_create(&owner, NULL, owner_main, &o), 0);
	if (!wait_for(&o.locked, "the owner's lock"))
		return;
	struct waiter w = {.mutex = &m, .result = -1, .consistent = -1, .relock = -1};
	CHECK_EQ(pthread_create(&waiter, NULL, waiter_main, &w), 0);
	if (!waiter_asleep(&m)) {
		/* Let the run end rather than hang: the owner still dies. */
		store(&go, 1);
		return;
	}
	CHECK((load(lock_word(&m)) & 0x80000000) != 0);
	store(&go, 1);
	CHECK_EQ(pthread_join(waiter, NULL), 0);
	CHECK_EQ(w.result, EOWNERDEAD);
	CHECK_EQ(w.consistent, 0);
	CHECK_EQ(w.relock, 0);
	printf("robust: a waiter asleep when the owner died woke with EOWNERDEAD\n");
}

/* The owner is another process, which _exits holding a mutex in a
 * MAP_SHARED page while this one waits in pthread_mutex_lock. */
static void owner_process_dies(void)
{
	struct shared {
		pthread_mutex_t mutex;
		int locked;
		int go;
	} *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		CHECK(sh != MAP_FAILED);
		return;
	}
	robust_mutex(&sh->mutex);
	fflush(stdout);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (pthread_mutex_lock(&sh->mutex) != 0)
			_exit(3);
		store(&sh->locked, 1);
		while (!load(&sh->go))
			sleep_ms(1);
		_exit(0);
	}
	if (pid < 0 || !wait_for(&sh->locked, "the child's lock"))
		return;
	CHECK_EQ(pthread_mutex_trylock(&sh->mutex), EBUSY);
	store(&sh->go, 1);
	CHECK_EQ(lock_patiently(&sh->mutex), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(&sh->mutex), 0);
	CHECK_EQ(pthread_mutex_unlock(&sh->mutex), 0);
	int status = -1;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	munmap(sh, sizeof *sh);
	printf("robust: a process that died holding a shared mutex left it EOWNERDEAD\n");
}

int main(void)
{
	check_start("robust");
	/* waitpid needs SIGCHLD's default action, whatever we inherited. */
	signal(SIGCHLD, SIG_DFL);
	owner_process_dies();
	owner_died_before();
	owner_dies_under_a_waiter();
	return check_done();
}
