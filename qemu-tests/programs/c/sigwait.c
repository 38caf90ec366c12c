/* sigwaitinfo/sigtimedwait take blocked signals, as they exist to: a
 * blocked SIGUSR1 sent to ourselves comes back at once (a kernel whose
 * dequeue refused blocked signals spun for ever and froze the guest), a
 * zero timeout polls, a signal from another process ends a wait, queued
 * real-time signals keep their values and order, and a thread-directed
 * signal is taken too. All of it twice: in this process (in the guest,
 * init, which must not drop the blocked signals it waits for) and in a
 * child (not init: where the old kernel spun). */
#include "check.h"

#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void checks(void)
{
	sigset_t set, pending;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);

	/* The reproduction: blocked, pending, waited for. */
	siginfo_t si;
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	CHECK(kill(getpid(), SIGUSR1) == 0);
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwaitinfo(&usr1, &si), SIGUSR1);
	CHECK_EQ(si.si_signo, SIGUSR1);
	CHECK_EQ(si.si_code, SI_USER);
	CHECK_EQ(si.si_pid, getpid());
	CHECK(sigpending(&pending) == 0);
	CHECK(!sigismember(&pending, SIGUSR1));

	/* A zero timeout polls: EAGAIN with nothing pending, at once. */
	struct timespec zero = {0, 0};
	double t0 = now();
	ERR(sigtimedwait(&set, &si, &zero), EAGAIN);
	CHECK(now() - t0 < 1.0);
	CHECK(raise(SIGUSR2) == 0);
	CHECK_EQ(sigtimedwait(&set, &si, &zero), SIGUSR2);
	/* Bad timeouts. */
	struct timespec bad = {0, 1000000000};
	ERR(sigtimedwait(&set, &si, &bad), EINVAL);
	struct timespec negative = {-1, 0};
	ERR(sigtimedwait(&set, &si, &negative), EINVAL);

	/* A short timeout expires. */
	struct timespec short_wait = {0, 20 * 1000 * 1000};
	t0 = now();
	ERR(sigtimedwait(&set, &si, &short_wait), EAGAIN);
	CHECK(now() - t0 >= 0.019);

	/* A signal from another process, later, ends the wait. */
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		struct timespec d = {0, 50 * 1000 * 1000};
		nanosleep(&d, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK(child > 0);
	struct timespec ten = {10, 0};
	memset(&si, 0, sizeof si);
	t0 = now();
	CHECK_EQ(sigtimedwait(&set, &si, &ten), SIGUSR1);
	CHECK_EQ(si.si_pid, child);
	CHECK(now() - t0 < 5.0);
	int status;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Queued real-time signals: each instance, in order, with its value. */
	for (int i = 0; i < 3; i++) {
		union sigval v = {.sival_int = 100 + i};
		CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
	}
	for (int i = 0; i < 3; i++) {
		memset(&si, 0, sizeof si);
		CHECK_EQ(sigtimedwait(&set, &si, &zero), SIGRTMIN);
		CHECK_EQ(si.si_code, SI_QUEUE);
		CHECK_EQ(si.si_value.sival_int, 100 + i);
	}
	ERR(sigtimedwait(&set, &si, &zero), EAGAIN);

	/* A signal sent to this thread is taken as well. */
	CHECK(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2) == 0);
	memset(&si, 0, sizeof si);
	CHECK_EQ(sigwaitinfo(&set, &si), SIGUSR2);
	CHECK_EQ(si.si_code, SI_TKILL);

	/* The mask is unchanged by all this. */
	sigset_t mask;
	CHECK(sigprocmask(SIG_BLOCK, NULL, &mask) == 0);
	CHECK(sigismember(&mask, SIGUSR1) && sigismember(&mask, SIGUSR2));
	sigset_t none;
	sigemptyset(&none);
	CHECK(sigprocmask(SIG_SETMASK, &none, NULL) == 0);
}

int main(void)
{
	check_start("sigwait");
	checks();
	fflush(NULL);
	pid_t child = fork();
	if (child == 0) {
		checks();
		_exit(check_failures ? 1 : 0);
	}
	int status;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return check_done();
}
