/* POSIX timers and mincore: a periodic timer_create timer delivers its
 * signal with SI_TIMER and the timer's value, timer_gettime counts down,
 * a disarmed timer stays quiet, timer_delete forgets it; mincore reports
 * mapped pages resident and unmapped ones as ENOMEM. */
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static volatile int fired, last_code;
static volatile intptr_t last_value;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fired++;
	last_code = si->si_code;
	last_value = (intptr_t)si->si_value.sival_ptr;
}

int main(void)
{
	check_start("posixtimers");
	struct sigaction sa = {0};
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	OK(sigaction(SIGRTMIN, &sa, 0));

	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_ptr = (void *)0x1234;
	timer_t t;
	OK(timer_create(CLOCK_MONOTONIC, &ev, &t));

	/* 20 ms period: about 10 expiries in 200 ms. */
	struct itimerspec its = {{0, 20000000}, {0, 20000000}};
	OK(timer_settime(t, 0, &its, 0));
	struct itimerspec cur;
	OK(timer_gettime(t, &cur));
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 20000000);
	CHECK(cur.it_interval.tv_nsec == 20000000);
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_nsec += 200000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, 0) != 0)
		;
	CHECK(fired >= 5);
	CHECK_EQ(last_code, SI_TIMER);
	CHECK_EQ(last_value, 0x1234);
	CHECK(timer_getoverrun(t) >= 0);

	/* Disarmed: no more signals. */
	struct itimerspec off = {{0, 0}, {0, 0}};
	OK(timer_settime(t, 0, &off, 0));
	int before = fired;
	usleep(60000);
	CHECK_EQ(fired, before);
	OK(timer_delete(t));
	ERR(timer_gettime(t, &cur), EINVAL);

	/* mincore: mapped and touched pages are resident; a hole is ENOMEM. */
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(0, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 1;
	unsigned char vec[4] = {0};
	OK(mincore(p, 4 * page, vec));
	CHECK(vec[0] & 1);
	OK(munmap(p + page, page));
	ERR(mincore(p, 4 * page, vec), ENOMEM);
	return check_done();
}
