/* Queued real-time signals are bounded by RLIMIT_SIGPENDING as on Linux:
 * sigqueue and tgkill get EAGAIN at the limit, kill still makes the
 * signal pending (its siginfo lost), and the queue comes back when the
 * signals are taken or their process ends. (Each queued signal held
 * kernel heap without a bound: a program blocking one and sending it in
 * a loop could fill the kernel's memory.) */
#include "check.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define LIMIT 64

/* sigqueue to itself until it fails: how many were queued. */
static int fill(int sig, int *err)
{
	int n = 0;
	for (; n < 10 * LIMIT; n++)
		if (sigqueue(getpid(), sig, (union sigval){.sival_int = n}) != 0)
			break;
	*err = errno;
	return n;
}

int main(void)
{
	check_program = "rtqueue";
	struct rlimit lim;
	OK(getrlimit(RLIMIT_SIGPENDING, &lim));
	CHECK(lim.rlim_cur > 0 && lim.rlim_cur != RLIM_INFINITY);
	lim.rlim_cur = LIMIT;
	OK(setrlimit(RLIMIT_SIGPENDING, &lim));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGRTMIN + 1);
	OK(sigprocmask(SIG_BLOCK, &set, NULL));

	/* Other processes of the same user count too: at most LIMIT. */
	int err = 0, queued = fill(SIGRTMIN, &err);
	printf("rtqueue: %d queued before EAGAIN\n", queued);
	CHECK(queued > 0 && queued <= LIMIT && err == EAGAIN);
	errno = 0;
	CHECK(syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN) == -1 && errno == EAGAIN);
	CHECK(kill(getpid(), SIGRTMIN + 1) == 0);
	sigset_t pending;
	OK(sigpending(&pending));
	CHECK(sigismember(&pending, SIGRTMIN + 1));

	/* All of them come out, in order, values intact. */
	struct timespec zero = {0, 0};
	siginfo_t si;
	int taken = 0, other = 0;
	for (int sig; (sig = sigtimedwait(&set, &si, &zero)) > 0;) {
		if (sig == SIGRTMIN) {
			CHECK(si.si_value.sival_int == taken);
			taken++;
		} else {
			other++;
		}
	}
	CHECK(taken == queued && other == 1);

	/* A process that ends with a full queue gives it back. */
	pid_t child = OK(fork());
	if (child == 0) {
		int e;
		_exit(fill(SIGRTMIN, &e) > 0 && e == EAGAIN ? 0 : 1);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(fill(SIGRTMIN, &err) == queued);
	return check_done();
}
