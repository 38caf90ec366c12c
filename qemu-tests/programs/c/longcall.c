/* A system call that moves gigabytes ends on a signal with what it has
 * done so far: sendfile of 2 GiB from /dev/zero to /dev/null, interrupted
 * by an alarm after 1 s, returns a partial count at once. (The kernel once
 * copied all of it without a preemption point: more than 10 s in the
 * kernel under TCG, with the worker's alarm pending; the fuzzer's watchdog
 * found it.) */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <time.h>

#define SIZE (2047L << 20)

static void on_alarm(int sig) { (void)sig; }

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void)
{
	check_program = "longcall";
	int in = OK(open("/dev/zero", O_RDONLY));
	int out = OK(open("/dev/null", O_WRONLY));

	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	struct itimerval t = {{0, 0}, {0, 200000}};
	CHECK(setitimer(ITIMER_REAL, &t, NULL) == 0);
	double t0 = now();
	off_t off = 0;
	long n = sendfile(out, in, &off, SIZE);
	double took = now() - t0;
	/* Natively all 2 GiB go in well under 0.2 s; under TCG the alarm
	 * must cut it short: no error, and the call does not outlast the
	 * alarm by much. (Linux leaves the offset of /dev/zero alone.) */
	CHECK(n > 0 && n <= SIZE);
	if (took > 1.5)
		CHECK(!"sendfile ran on long after the signal");
	printf("longcall: sendfile moved %ld MiB in %.2f s\n", n >> 20, took);
	close(in);
	return check_done();
}
