/* Shared by the cost programs (syscall_cost, write_read_cost): a
 * monotonic clock in ns and the median of ROUNDS measurements. */
#ifndef RINGO_COST_H
#define RINGO_COST_H

#include <stdlib.h>
#include <time.h>

#define ROUNDS 5

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, ROUNDS, sizeof *v, cmp);
	return v[ROUNDS / 2];
}

#endif
