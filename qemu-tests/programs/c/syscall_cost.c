/* Cost of a system call, as make bench reports it: a raw getpid, and a
 * 40-byte write to /dev/null, in ns per call (median of 5 rounds, each
 * timed with CLOCK_MONOTONIC). Optional argument: calls per round. The
 * calls go through hp/ringo_hp.h: the vtable in Ringo's HP mode, the
 * `syscall` instruction elsewhere, so one binary measures every guest. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../../hp/ringo_hp.h"
#include "cost.h"

/* The baseline: an empty function with the entries' signature, called
 * through a pointer the compiler cannot see through. */
static long empty(long a, long b, long c, long d, long e, long f)
{
	(void)b, (void)c, (void)d, (void)e, (void)f;
	return a;
}
static long (*volatile call_target)(long, long, long, long, long, long) = empty;

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	char buf[40] = {0};
	double getpid_ns[ROUNDS], write_ns[ROUNDS], call_ns[ROUNDS];
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0 || n <= 0) {
		fprintf(stderr, "FAIL: syscall_cost: cannot open /dev/null\n");
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			ringo_hp_syscall0(SYS_getpid);
		double t1 = now_ns();
		for (long i = 0; i < n; i++)
			if (ringo_hp_syscall3(SYS_write, fd, buf, sizeof buf) != sizeof buf) {
				fprintf(stderr, "FAIL: syscall_cost: short write\n");
				return 1;
			}
		double t2 = now_ns();
		for (long i = 0; i < n; i++)
			call_target(i, 0, 0, 0, 0, 0);
		double t3 = now_ns();
		getpid_ns[r] = (t1 - t0) / n;
		write_ns[r] = (t2 - t1) / n;
		call_ns[r] = (t3 - t2) / n;
	}
	printf("getpid_ns %.1f\nwrite40_devnull_ns %.1f\ncall_ns %.1f\ncalls_per_round %ld\n", median(getpid_ns),
	       median(write_ns), median(call_ns), n);
	printf("syscall_cost: ok\n");
	return 0;
}
