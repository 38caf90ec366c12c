/* Cost of starting a program, as make bench reports it: fork, execve of a
 * trivial static program (this one, told to exit at once) and waitpid, in
 * microseconds per round trip (median of 5 rounds, CLOCK_MONOTONIC).
 * Optional argument: round trips per round. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0;
	long n = argc > 1 ? atol(argv[1]) : 20;
	double per[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_us();
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				execl("/proc/self/exe", argv[0], "--exit", (char *)0);
				_exit(127);
			}
			int st;
			if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "FAIL: spawn_cost: child %d did not exit 0\n", (int)p);
				return 1;
			}
		}
		per[r] = (now_us() - t0) / n;
	}
	qsort(per, ROUNDS, sizeof per[0], cmp);
	printf("fork_exec_wait_us %.1f\nrounds_per_sample %ld\n", per[ROUNDS / 2], n);
	printf("spawn_cost: ok\n");
	return 0;
}
