/* The scheduler spreads threads over the CPUs and honours affinity, seen
 * from user space through getcpu(2) and sched_{get,set}affinity(2):
 * - with two or more CPUs, two threads that only spin (no syscall but
 *   getcpu) come to run at the same time on different CPUs; with one CPU,
 *   getcpu says 0 every time;
 * - pinned to the last CPU, the caller runs there at once, after a
 *   sched_yield and after a sleep; a CPU that does not exist is EINVAL;
 *   sched_getaffinity gives back exactly the pinned mask;
 * - a thread created after the pinning inherits the mask (Linux: clone
 *   copies the creator's affinity);
 * - a thread spinning in user space, pinned by another thread through
 *   its tid, comes to run on its new CPU and stays there.
 *
 * The argument is the number of CPUs the machine has: the initial mask
 * must then be exactly CPUs 0..N-1. Without it (a run on a host, where a
 * cpuset may allow any subset) the CPUs are those of the initial mask.
 * Only behaviour is checked, never how fast. */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

#define NS_PER_MS 1000000L
/* How long the spinners may take to meet on two CPUs: far more than a
 * scheduler needs to put two runnable threads on two idle CPUs, even
 * under TCG on a loaded host. */
#define MEET_PATIENCE_MS 20000
/* Spins between a spinner's two looks at the other (a window). */
#define WINDOW_SPINS 2000
/* With one CPU: getcpu calls per spinner. */
#define SINGLE_CPU_ROUNDS 20000

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * NS_PER_MS};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* getcpu(2) itself, not a vDSO or libc cache: the kernel's answer. */
static long getcpu_raw(unsigned *cpu, unsigned *node) { return syscall(SYS_getcpu, cpu, node, NULL); }

static int current_cpu(void)
{
	unsigned cpu = ~0u;
	if (getcpu_raw(&cpu, NULL) != 0)
		return -1;
	return (int)cpu;
}

static long load(const long *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static void store(long *p, long v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

/* What each spinner publishes, and what it saw of the other. */
struct spinner {
	long cpu;  /* its CPU at its last look */
	long beat; /* how many looks it has made */
	long met;  /* 1 once it saw the other run beside it */
	long wrong_cpu; /* with one CPU: 1 + a CPU getcpu said other than it */
	long met_on[2]; /* its CPU and the other's when they met */
	long failed_getcpu;
	struct spinner *other;
};

static long stop_spinning;
static int cpus; /* CPUs the machine has (from the argument or the mask) */
static int last_cpu; /* the highest CPU of the initial mask */

/* Spins; at each look, publishes its CPU and a heartbeat. A window runs
 * from one look to the next: when its own CPU was X at both ends, the
 * other's published CPU was Y != X at both ends and the other's heartbeat
 * moved in between, the other ran on Y while this one ran on X. */
static void *spin_main(void *arg)
{
	struct spinner *me = arg;
	if (cpus == 1) {
		for (int i = 0; i < SINGLE_CPU_ROUNDS; i++) {
			int c = current_cpu();
			if (c < 0)
				store(&me->failed_getcpu, 1);
			else if (c != last_cpu)
				store(&me->wrong_cpu, c + 1);
			store(&me->beat, load(&me->beat) + 1);
		}
		return NULL;
	}
	int before = current_cpu();
	long other_cpu_before = load(&me->other->cpu);
	long other_beat_before = load(&me->other->beat);
	while (!load(&stop_spinning)) {
		for (volatile int i = 0; i < WINDOW_SPINS; i++)
			;
		int after = current_cpu();
		if (after < 0) {
			store(&me->failed_getcpu, 1);
			return NULL;
		}
		long other_cpu_after = load(&me->other->cpu);
		long other_beat_after = load(&me->other->beat);
		if (before == after && other_cpu_before == other_cpu_after && other_cpu_after >= 0 &&
		    other_cpu_after != after && other_beat_after != other_beat_before && !load(&me->met)) {
			me->met_on[0] = after;
			me->met_on[1] = other_cpu_after;
			store(&me->met, 1);
		}
		store(&me->cpu, after);
		store(&me->beat, load(&me->beat) + 1);
		before = after;
		other_cpu_before = other_cpu_after;
		other_beat_before = other_beat_after;
	}
	return NULL;
}

static void spinners_meet(void)
{
	struct spinner s[2] = {{.cpu = -1, .other = &s[1]}, {.cpu = -1, .other = &s[0]}};
	pthread_t t[2];
	long start = now_ns();
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, spin_main, &s[i]), 0);
	if (cpus >= 2) {
		while (!(load(&s[0].met) && load(&s[1].met)) && (now_ns() - start) / NS_PER_MS < MEET_PATIENCE_MS &&
		       !load(&s[0].failed_getcpu) && !load(&s[1].failed_getcpu))
			sleep_ms(10);
		store(&stop_spinning, 1);
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	long took_ms = (now_ns() - start) / NS_PER_MS;
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(s[i].failed_getcpu, 0);
		if (cpus == 1) {
			CHECK_EQ(s[i].beat, SINGLE_CPU_ROUNDS);
			CHECK_EQ(s[i].wrong_cpu, 0);
		} else if (!s[i].met) {
			fprintf(stderr,
				"FAIL: smp_spread: spinner %d never saw the other spinning beside it on another CPU "
				"within %d ms with %d CPUs (last CPUs %ld and %ld, heartbeats %ld and %ld)\n",
				i, MEET_PATIENCE_MS, cpus, s[0].cpu, s[1].cpu, s[0].beat, s[1].beat);
			check_failures++;
		}
	}
	if (cpus >= 2)
		printf("smp_spread: the spinners met on CPUs %ld and %ld within %ld ms\n", s[0].met_on[0],
		       s[0].met_on[1], took_ms);
	else
		printf("smp_spread: getcpu said %d all %d times\n", last_cpu, 2 * SINGLE_CPU_ROUNDS);
}

static cpu_set_t initial;
/* Whether the CPU count was given: only then is CPU `cpus` known not to
 * exist (on a host, it may merely be outside this process's cpuset). */
static int count_given;

static void getcpu_arguments(void)
{
	unsigned cpu = ~0u, node = ~0u;
	CHECK_EQ(getcpu_raw(&cpu, &node), 0);
	CHECK(CPU_ISSET(cpu, &initial));
	CHECK_EQ(node, 0);
	/* Either pointer may be NULL. */
	CHECK_EQ(getcpu_raw(NULL, NULL), 0);
	CHECK_EQ(getcpu_raw(NULL, &node), 0);
	CHECK_EQ(getcpu_raw(&cpu, NULL), 0);
	ERR(getcpu_raw((unsigned *)8, NULL), EFAULT);
	ERR(getcpu_raw(NULL, (unsigned *)8), EFAULT);
	CHECK(sched_getcpu() >= 0);
}

/* A thread started after the pinning: its own mask and CPU. */
struct inherited {
	cpu_set_t mask;
	int got;
	int cpu;
};

static void *inherit_main(void *arg)
{
	struct inherited *in = arg;
	CPU_ZERO(&in->mask);
	in->got = sched_getaffinity(0, sizeof in->mask, &in->mask);
	in->cpu = current_cpu();
	return NULL;
}

static void pinning(void)
{
	cpu_set_t pin, got;
	CPU_ZERO(&pin);
	CPU_SET(last_cpu, &pin);
	CHECK_EQ(sched_setaffinity(0, sizeof pin, &pin), 0);
	CHECK_EQ(current_cpu(), last_cpu);
	CHECK_EQ(sched_yield(), 0);
	CHECK_EQ(current_cpu(), last_cpu);
	sleep_ms(20);
	CHECK_EQ(current_cpu(), last_cpu);
	CPU_ZERO(&got);
	CHECK_EQ(sched_getaffinity(0, sizeof got, &got), 0);
	CHECK(CPU_EQUAL(&got, &pin));
	CHECK_EQ(CPU_COUNT(&got), 1);

	/* No such CPU: the mask would leave nowhere to run, and the old
	 * mask stays. */
	cpu_set_t none;
	CPU_ZERO(&none);
	CPU_SET(CPU_SETSIZE - 1, &none);
	ERR(sched_setaffinity(0, sizeof none, &none), EINVAL);
	if (count_given) {
		CPU_ZERO(&none);
		CPU_SET(cpus, &none);
		ERR(sched_setaffinity(0, sizeof none, &none), EINVAL);
	}
	CPU_ZERO(&got);
	CHECK_EQ(sched_getaffinity(0, sizeof got, &got), 0);
	CHECK(CPU_EQUAL(&got, &pin));

	struct inherited in = {.got = -1, .cpu = -1};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, inherit_main, &in), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(in.got, 0);
	CHECK(CPU_EQUAL(&in.mask, &pin));
	CHECK_EQ(in.cpu, last_cpu);

	CHECK_EQ(sched_setaffinity(0, sizeof initial, &initial), 0);
	CPU_ZERO(&got);
	CHECK_EQ(sched_getaffinity(0, sizeof got, &got), 0);
	CHECK(CPU_EQUAL(&got, &initial));
	printf("smp_spread: pinned to CPU %d and back\n", last_cpu);
}

#define PIN_OTHER_PATIENCE_MS 5000
/* getcpu calls that must all say the new CPU once it was reached. */
#define PIN_OTHER_STAY_ROUNDS 20000

/* A thread that another one pins twice: first to the last CPU, then to
 * the first, so with two CPUs or more at least one pinning moves it. */
struct pinned_spinner {
	long tid;
	long pinned;  /* how many pinnings are in place */
	long arrived; /* how many of them it saw itself arrive at */
	long target[2];
	long strayed; /* 1 + a CPU it saw after arriving, or 0 */
	long stop;
};

static void *pinned_spin_main(void *arg)
{
	struct pinned_spinner *ps = arg;
	store(&ps->tid, syscall(SYS_gettid));
	for (int round = 0; round < 2; round++) {
		while (load(&ps->pinned) <= round)
			if (load(&ps->stop))
				return NULL;
		/* Mostly in user space, where only a preemption can move it. */
		while (current_cpu() != ps->target[round]) {
			for (volatile int i = 0; i < WINDOW_SPINS; i++)
				;
			if (load(&ps->stop))
				return NULL;
		}
		for (int i = 0; i < PIN_OTHER_STAY_ROUNDS; i++) {
			int c = current_cpu();
			if (c != ps->target[round] && !ps->strayed)
				ps->strayed = c + 1;
		}
		store(&ps->arrived, round + 1);
	}
	return NULL;
}

/* Another thread, spinning without a syscall on whatever CPU it has, is
 * pinned through its tid: it must get there (Linux moves it at once; a
 * kernel may wait for its time slice to end) and stay. */
static void pinning_another_thread(void)
{
	int first_cpu = 0;
	while (!CPU_ISSET(first_cpu, &initial))
		first_cpu++;
	struct pinned_spinner ps = {.target = {last_cpu, first_cpu}};
	pthread_t t;
	CHECK_EQ(pthread_create(&t, NULL, pinned_spin_main, &ps), 0);
	long start = now_ns();
	while (!load(&ps.tid) && (now_ns() - start) / NS_PER_MS < PIN_OTHER_PATIENCE_MS)
		sleep_ms(1);
	CHECK(load(&ps.tid) != 0);
	for (int round = 0; round < 2 && load(&ps.tid); round++) {
		cpu_set_t pin, got;
		CPU_ZERO(&pin);
		CPU_SET(ps.target[round], &pin);
		CHECK_EQ(sched_setaffinity((pid_t)ps.tid, sizeof pin, &pin), 0);
		store(&ps.pinned, round + 1);
		CPU_ZERO(&got);
		CHECK_EQ(sched_getaffinity((pid_t)ps.tid, sizeof got, &got), 0);
		CHECK(CPU_EQUAL(&got, &pin));
		start = now_ns();
		while (load(&ps.arrived) <= round && (now_ns() - start) / NS_PER_MS < PIN_OTHER_PATIENCE_MS)
			sleep_ms(5);
		if (load(&ps.arrived) <= round) {
			fprintf(stderr,
				"FAIL: smp_spread: a spinning thread pinned to CPU %ld by another never ran there "
				"in %d ms\n",
				ps.target[round], PIN_OTHER_PATIENCE_MS);
			check_failures++;
			break;
		}
	}
	store(&ps.stop, 1);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(ps.strayed, 0);
	printf("smp_spread: a spinning thread pinned from outside went to CPU %d, then to CPU %d\n", last_cpu,
	       first_cpu);
}

int main(int argc, char **argv)
{
	check_start("smp_spread");
	CPU_ZERO(&initial);
	if (sched_getaffinity(0, sizeof initial, &initial) != 0 || CPU_COUNT(&initial) == 0) {
		fprintf(stderr, "FAIL: smp_spread: sched_getaffinity: %s\n", strerror(errno));
		return 1;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &initial))
			last_cpu = c;
	cpus = CPU_COUNT(&initial);
	if (argc > 1) {
		int expected = atoi(argv[1]);
		CHECK_EQ(cpus, expected);
		CHECK_EQ(last_cpu, expected - 1);
		cpus = expected;
		count_given = 1;
	}
	printf("smp_spread: %d CPUs, the last is %d\n", cpus, last_cpu);
	fflush(stdout);
	getcpu_arguments();
	spinners_meet();
	pinning();
	pinning_another_thread();
	return check_done();
}
