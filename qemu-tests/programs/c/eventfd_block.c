/* A blocking write to an eventfd whose counter cannot take the value
 * sleeps until a read makes room; a signal or SIGKILL ends the wait. The
 * eventfd's poll says writable while a write of 1 fits, so a kernel that
 * trusted poll bits retried such a write for ever inside the kernel: no
 * signal ended it, and on one CPU nothing else ran (the fuzzer found it,
 * seed 14679638900137240288). */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>

#define BIG 0xfffffffffffffffeULL /* the most a counter holds */

static int efd;
static volatile long written = -2;

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *writer(void *arg)
{
	(void)arg;
	uint64_t v = BIG;
	written = write(efd, &v, 8);
	return NULL;
}

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
	check_program = "eventfd_block";
	efd = OK(eventfd(1, 0));

	/* The write waits (asleep: the process uses little CPU meanwhile)
	 * until the read empties the counter. */
	pthread_t t;
	CHECK(pthread_create(&t, NULL, writer, NULL) == 0);
	struct timespec pause = {0, 300 * 1000000L};
	double cpu0 = cpu_seconds();
	nanosleep(&pause, NULL);
	double spent = cpu_seconds() - cpu0;
	CHECK_EQ(written, -2);
	if (spent > 0.15)
		CHECK(!"the blocked writer spends CPU time");
	uint64_t got = 0;
	CHECK_EQ(read(efd, &got, 8), 8);
	CHECK_EQ(got, 1);
	CHECK(pthread_join(t, NULL) == 0);
	CHECK_EQ(written, 8);

	/* The counter is now BIG: another write of 32 waits, and a
	 * signal whose handler does not ask for a restart ends it. */
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	alarm(1);
	uint64_t v = 32;
	ERR(write(efd, &v, 8), EINTR);

	/* SIGKILL ends a child blocked the same way. */
	pid_t pid = fork();
	if (pid == 0) {
		write(efd, &v, 8);
		_exit(1);
	}
	nanosleep(&pause, NULL);
	CHECK(kill(pid, SIGKILL) == 0);
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	CHECK_EQ(read(efd, &got, 8), 8);
	CHECK_EQ(got, BIG);
	return check_done();
}
