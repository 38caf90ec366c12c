/* CPU time accounting: CLOCK_THREAD_CPUTIME_ID and CLOCK_PROCESS_CPUTIME_ID
 * grow while a thread computes and not while it sleeps; the process's time
 * covers its threads; getrusage agrees; RUSAGE_CHILDREN counts a reaped
 * child's computing. */
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static long long ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Computes until `ms` of this thread's CPU time have passed. */
static void burn(long ms)
{
	long long end = ns(CLOCK_THREAD_CPUTIME_ID) + ms * 1000000LL;
	volatile unsigned long x = 0;
	while (ns(CLOCK_THREAD_CPUTIME_ID) < end)
		for (int i = 0; i < 10000; i++)
			x += i;
}

static void *worker(void *arg)
{
	(void)arg;
	burn(50);
	return 0;
}

static long long usage_ns(int who)
{
	struct rusage r;
	OK(getrusage(who, &r));
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000000LL + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1000LL;
}

int main(void)
{
	check_start("cputime");
	/* Sleeping costs (almost) no CPU time. */
	long long t0 = ns(CLOCK_THREAD_CPUTIME_ID), w0 = ns(CLOCK_MONOTONIC);
	usleep(200000);
	long long slept_cpu = ns(CLOCK_THREAD_CPUTIME_ID) - t0, slept_wall = ns(CLOCK_MONOTONIC) - w0;
	CHECK(slept_wall >= 200000000LL);
	CHECK(slept_cpu < 50000000LL);

	/* Computing does, and the process sees its threads' time. */
	long long p0 = ns(CLOCK_PROCESS_CPUTIME_ID);
	pthread_t t;
	CHECK(pthread_create(&t, 0, worker, 0) == 0);
	burn(50);
	CHECK(pthread_join(t, 0) == 0);
	long long used = ns(CLOCK_PROCESS_CPUTIME_ID) - p0;
	CHECK(used >= 100000000LL);
	CHECK(ns(CLOCK_THREAD_CPUTIME_ID) <= ns(CLOCK_PROCESS_CPUTIME_ID));
	CHECK(usage_ns(RUSAGE_SELF) >= 100000000LL);

	/* A reaped child's computing shows in RUSAGE_CHILDREN. */
	long long c0 = usage_ns(RUSAGE_CHILDREN);
	pid_t p = fork();
	if (p == 0) {
		burn(60);
		_exit(0);
	}
	int st;
	CHECK(waitpid(p, &st, 0) == p && WIFEXITED(st));
	CHECK(usage_ns(RUSAGE_CHILDREN) - c0 >= 50000000LL);
	/* User and system time apart: a spin in user space counts as user
	 * time; a loop of system calls adds system time. */
	struct rusage before, after;
	OK(getrusage(RUSAGE_SELF, &before));
	volatile unsigned long x = 0;
	/* 300 ms of this process's CPU time (not of the wall clock: on a busy
	 * host the spin may get only part of a CPU), at most 10 s of waiting. */
	long long until = ns(CLOCK_PROCESS_CPUTIME_ID) + 300000000LL;
	long long give_up = ns(CLOCK_MONOTONIC) + 10000000000LL;
	while (ns(CLOCK_PROCESS_CPUTIME_ID) < until && ns(CLOCK_MONOTONIC) < give_up)
		for (int i = 0; i < 200000; i++)
			x += i;
	OK(getrusage(RUSAGE_SELF, &after));
	long long user = (after.ru_utime.tv_sec - before.ru_utime.tv_sec) * 1000000LL +
			 (after.ru_utime.tv_usec - before.ru_utime.tv_usec);
	long long sys = (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000LL +
			(after.ru_stime.tv_usec - before.ru_stime.tv_usec);
	CHECK(user > 150000);
	CHECK(sys < user);
	before = after;
	until = ns(CLOCK_MONOTONIC) + 300000000LL;
	char buf[4096];
	while (ns(CLOCK_MONOTONIC) < until)
		for (int i = 0; i < 200; i++)
			if (getppid() < 0 || write(-1, buf, sizeof buf) != -1)
				x++;
	OK(getrusage(RUSAGE_SELF, &after));
	sys = (after.ru_stime.tv_sec - before.ru_stime.tv_sec) * 1000000LL +
	      (after.ru_stime.tv_usec - before.ru_stime.tv_usec);
	CHECK(sys > 0);
	return check_done();
}
