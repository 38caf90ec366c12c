/* Huge timeouts are clamped, never wrapped: 18446744074 s times 1e9
 * wraps u64 to about 0.3 s, so a kernel multiplying unchecked returned
 * from ppoll after 0.3 s. Linux sleeps until a signal: here a SIGALRM at
 * 0.6 s, for ppoll, pselect6, select, nanosleep, clock_nanosleep,
 * futex and rt_sigtimedwait. Huge timer values stay armed (and far off).
 * Negative times and tv_nsec >= 1e9 are EINVAL where Linux says so;
 * select folds whole seconds of tv_usec into tv_sec. */
#include "check.h"

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

/* From Linux's include/uapi/linux/futex.h, which musl does not ship. */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAIT_BITSET_PRIVATE (9 | 128)
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define WRAPS_TO_0_3S 18446744074L

static volatile int alarms;
static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double started;
static void arm(void)
{
	struct itimerval it = {{0, 0}, {0, 600 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	started = now();
}

/* The call was ended by the alarm, not by its timeout. */
#define SLEPT_UNTIL_SIGNAL(call)                                                                   \
	do {                                                                                       \
		int before = alarms;                                                               \
		arm();                                                                             \
		ERR(call, EINTR);                                                                  \
		CHECK(alarms == before + 1);                                                       \
		CHECK(now() - started >= 0.55);                                                    \
	} while (0)

int main(void)
{
	check_start("timeouts");
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);

	struct timespec huge = {WRAPS_TO_0_3S, 0};
	struct timespec biggest = {INT64_MAX, 999999999};
	SLEPT_UNTIL_SIGNAL(ppoll(NULL, 0, &huge, NULL));
	SLEPT_UNTIL_SIGNAL(ppoll(NULL, 0, &biggest, NULL));
	SLEPT_UNTIL_SIGNAL(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &huge, NULL));
	struct timeval tv = {WRAPS_TO_0_3S, 0};
	SLEPT_UNTIL_SIGNAL(syscall(SYS_select, 0, NULL, NULL, NULL, &tv));
	SLEPT_UNTIL_SIGNAL(nanosleep(&huge, NULL));
	SLEPT_UNTIL_SIGNAL(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &huge, NULL));
	struct timespec abs_huge = {INT64_MAX, 0};
	SLEPT_UNTIL_SIGNAL(syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &abs_huge, NULL));
	static uint32_t word;
	SLEPT_UNTIL_SIGNAL(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &huge, NULL, 0));
	SLEPT_UNTIL_SIGNAL(syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0,
				   &abs_huge, NULL, FUTEX_BITSET_MATCH_ANY));
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	/* (musl's sigtimedwait retries on EINTR: the system call itself.) */
	SLEPT_UNTIL_SIGNAL(syscall(SYS_rt_sigtimedwait, &usr1, NULL, &huge, 8));

	/* Invalid times. */
	struct timespec bad_ns = {0, 1000000000}, negative = {-1, 0}, negative_ns = {0, -1};
	ERR(ppoll(NULL, 0, &bad_ns, NULL), EINVAL);
	ERR(ppoll(NULL, 0, &negative, NULL), EINVAL);
	ERR(nanosleep(&negative_ns, NULL), EINVAL);
	ERR(syscall(SYS_rt_sigtimedwait, &usr1, NULL, &bad_ns, 8), EINVAL);
	ERR(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &negative, NULL, 0), EINVAL);
	struct timeval bad_tv = {-1, 0};
	ERR(syscall(SYS_select, 0, NULL, NULL, NULL, &bad_tv), EINVAL);
	struct itimerval bad_it = {{0, 0}, {0, 1000000}};
	ERR(setitimer(ITIMER_REAL, &bad_it, NULL), EINVAL);
	/* select folds seconds spelt in tv_usec into tv_sec: 0.1 s both ways. */
	struct timeval folded = {0, 100000};
	double t0 = now();
	CHECK_EQ(syscall(SYS_select, 0, NULL, NULL, NULL, &folded), 0);
	CHECK(now() - t0 >= 0.09);
	struct timeval spelt = {-1, 1100000};
	t0 = now();
	CHECK_EQ(syscall(SYS_select, 0, NULL, NULL, NULL, &spelt), 0);
	CHECK(now() - t0 >= 0.09);

	/* Huge timer values are armed, far off, and do not fire. */
	struct itimerval it_huge = {{0, 0}, {WRAPS_TO_0_3S, 0}}, it_now;
	CHECK(setitimer(ITIMER_REAL, &it_huge, NULL) == 0);
	CHECK(getitimer(ITIMER_REAL, &it_now) == 0);
	CHECK(it_now.it_value.tv_sec > 1000000000L);
	struct itimerval off = {{0, 0}, {0, 0}};
	CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
	timer_t timer;
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM};
	CHECK(timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0);
	struct itimerspec ts_huge = {{0, 0}, {WRAPS_TO_0_3S, 0}}, ts_now;
	CHECK(timer_settime(timer, 0, &ts_huge, NULL) == 0);
	CHECK(timer_gettime(timer, &ts_now) == 0);
	CHECK(ts_now.it_value.tv_sec > 1000000000L);
	struct itimerspec ts_bad = {{0, 0}, {0, 1000000000}};
	ERR(timer_settime(timer, 0, &ts_bad, NULL), EINVAL);
	int before = alarms;
	struct timespec a_while = {0, 400 * 1000 * 1000};
	CHECK(nanosleep(&a_while, NULL) == 0);
	CHECK(alarms == before);
	timer_delete(timer);
	return check_done();
}
