/* Jiny's C test, as make bench reports it: `write(fd, buf, 40); read(fd,
 * buf, 40)` on /dev/null in a loop, in ns per system call (half a loop;
 * median of 5 rounds, each timed with CLOCK_MONOTONIC). The calls go
 * through hp/ringo_hp.h: the vtable in Ringo's HP mode, the `syscall`
 * instruction elsewhere, so one binary measures every guest. Optional
 * argument: loops per round. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../../../hp/ringo_hp.h"

#include "cost.h"

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	char buf[40] = {0};
	double per_call[ROUNDS];
	int fd = open("/dev/null", O_RDWR);
	if (fd < 0 || n <= 0) {
		fprintf(stderr, "FAIL: write_read_cost: cannot open /dev/null\n");
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			if (ringo_hp_syscall3(SYS_write, fd, buf, sizeof buf) != sizeof buf ||
			    ringo_hp_syscall3(SYS_read, fd, buf, sizeof buf) != 0) {
				fprintf(stderr, "FAIL: write_read_cost: write+read on /dev/null\n");
				return 1;
			}
		per_call[r] = (now_ns() - t0) / (2 * n);
	}
	printf("write_read40_devnull_ns %.1f\nloops_per_round %ld\n", median(per_call), n);
	printf("write_read_cost: ok\n");
	return 0;
}
