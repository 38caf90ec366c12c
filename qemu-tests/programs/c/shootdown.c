/* TLB shootdowns: when one thread unmaps or write-protects a page that a
 * thread on another CPU keeps touching, that thread must fault at once
 * (the other CPU may not go on using a cached translation). The toucher
 * is pinned to another CPU than the changer when there are two; it turns
 * its SIGSEGV into a recorded fault with siglongjmp. Each case waits at
 * most FAULT_PATIENCE_MS for the fault: a kernel that does not shoot
 * down leaves the toucher reading a freed page forever, and the check
 * fails. Only behaviour is checked, never how fast. */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>

#define WARM_ACCESSES 20000L
#define FAULT_PATIENCE_MS 10000L

static char *page;
static volatile int writing;
static volatile long accesses;
static volatile int faulted;
static void *volatile fault_addr;
static __thread sigjmp_buf toucher_jump;
static int toucher_cpu = -1;

static long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fault_addr = si->si_addr;
	siglongjmp(toucher_jump, 1);
}

static void *toucher(void *arg)
{
	(void)arg;
	if (toucher_cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(toucher_cpu, &set);
		CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0);
	}
	if (sigsetjmp(toucher_jump, 1) == 0) {
		volatile char *p = page;
		for (;;) {
			if (writing)
				p[0] = (char)accesses;
			else
				(void)p[0];
			accesses++;
		}
	}
	faulted = 1;
	return NULL;
}

/* `change` is made to the page while the toucher runs; it must fault. */
static void fault_after(const char *what, int write, void (*change)(void))
{
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	page[0] = 1;
	writing = write, accesses = 0, faulted = 0, fault_addr = NULL;
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, toucher, NULL), 0);
	long deadline = now_ms() + FAULT_PATIENCE_MS;
	while (accesses < WARM_ACCESSES && now_ms() < deadline)
		sched_yield();
	CHECK(accesses >= WARM_ACCESSES);
	change();
	while (!faulted && now_ms() < deadline + FAULT_PATIENCE_MS)
		sched_yield();
	if (!faulted) {
		fprintf(stderr, "FAIL: shootdown: %s: the other thread went on touching the page\n", what);
		check_failures++;
		/* It never stops by itself: end the program here. */
		check_done();
		_exit(1);
	}
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK(fault_addr == page);
	printf("shootdown: %s: the toucher faulted after %ld accesses\n", what, accesses);
	munmap(page, 4096);
}

static void unmap(void)
{
	CHECK_EQ(munmap(page, 4096), 0);
}

static void protect_none(void)
{
	CHECK_EQ(mprotect(page, 4096, PROT_NONE), 0);
}

static void protect_read(void)
{
	CHECK_EQ(mprotect(page, 4096, PROT_READ), 0);
}

int main(void)
{
	check_start("shootdown");
	cpu_set_t set;
	CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0);
	/* With two CPUs: the changer on the first, the toucher on another. */
	int first = -1;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		if (first < 0) {
			first = c;
		} else {
			toucher_cpu = c;
			break;
		}
	}
	if (toucher_cpu >= 0) {
		cpu_set_t mine;
		CPU_ZERO(&mine);
		CPU_SET(first, &mine);
		CHECK_EQ(sched_setaffinity(0, sizeof mine, &mine), 0);
	}
	printf("shootdown: changer on cpu %d, toucher on cpu %d\n", first, toucher_cpu);
	struct sigaction sa = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
	CHECK_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	fault_after("munmap while reading", 0, unmap);
	fault_after("PROT_NONE while reading", 0, protect_none);
	fault_after("read-only while writing", 1, protect_read);
	return check_done();
}
