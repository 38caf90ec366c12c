/* The process and its surroundings: the initial stack (argv, envp, auxv),
 * identity, uname, clocks, sleeping, randomness, limits, usage.
 * Built with -static-pie, so the loader must relocate it anywhere.
 * Run it with the arguments in EXPECTED_ARGS. */
// link: -static-pie
#include "check.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

static const char *const EXPECTED_ARGS[] = {"first", "second=2", "--third"};
#define NARGS (sizeof EXPECTED_ARGS / sizeof EXPECTED_ARGS[0])

extern const ElfW(Ehdr) __ehdr_start;
extern char **environ;
void _start(void);

static void initial_stack(int argc, char **argv, char **envp)
{
	CHECK_EQ(argc, NARGS + 1);
	for (size_t i = 0; i < NARGS && (int)i + 1 < argc; i++)
		CHECK(strcmp(argv[i + 1], EXPECTED_ARGS[i]) == 0);
	CHECK(argv[argc] == NULL);
	CHECK(envp == environ);
	/* Linux's layout: argv, NULL, envp, NULL, then the aux vector. */
	CHECK(envp == argv + argc + 1);
	char **e = envp;
	for (; *e; e++)
		CHECK(strchr(*e, '=') != NULL);
	Elf64_auxv_t *auxv = (Elf64_auxv_t *)(e + 1);
	CHECK(auxv[0].a_type != AT_NULL);
	int saw_pagesz = 0;
	for (Elf64_auxv_t *a = auxv; a->a_type != AT_NULL; a++)
		if (a->a_type == AT_PAGESZ)
			saw_pagesz = a->a_un.a_val == 4096;
	CHECK(saw_pagesz);

	CHECK_EQ(getauxval(AT_PAGESZ), 4096);
	const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
	CHECK(random != NULL);
	if (random) {
		int nonzero = 0;
		for (int i = 0; i < 16; i++)
			nonzero |= random[i];
		CHECK(nonzero);
	}
	/* Where this very image was put: the headers and the entry point. */
	CHECK_EQ(getauxval(AT_PHDR), (uintptr_t)&__ehdr_start + __ehdr_start.e_phoff);
	CHECK_EQ(getauxval(AT_PHENT), sizeof(ElfW(Phdr)));
	CHECK_EQ(getauxval(AT_PHNUM), __ehdr_start.e_phnum);
	CHECK_EQ(getauxval(AT_ENTRY), (uintptr_t)&_start);
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	CHECK(execfn && strcmp(execfn, argv[0]) == 0);
	CHECK_EQ(getauxval(AT_UID), getuid());
	CHECK_EQ(getauxval(AT_EUID), geteuid());
	CHECK_EQ(getauxval(AT_SECURE), 0);
}

static void identity(void)
{
	pid_t pid = getpid();
	CHECK(pid > 0);
	CHECK_EQ(syscall(SYS_gettid), pid);
	CHECK(getppid() >= 0 && getppid() != pid);
	CHECK_EQ(getuid(), geteuid());
	CHECK_EQ(getgid(), getegid());
	/* Linux's init starts in session 0 and process group 0; any other
	 * process in real ones. */
	CHECK(getpgrp() >= 0);
	CHECK(getsid(0) >= 0 && getsid(0) == getsid(pid));

	struct utsname u;
	OK(uname(&u));
	CHECK(u.sysname[0] != 0);
	CHECK(u.release[0] != 0);
	CHECK(strcmp(u.machine, "x86_64") == 0);
}

static long long ns(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void time_and_sleep(void)
{
	struct timespec t, res;
	OK(clock_gettime(CLOCK_REALTIME, &t));
	CHECK(t.tv_sec > 1577836800); /* 2020-01-01 */
	CHECK(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
	CHECK(time(NULL) >= t.tv_sec);
	OK(clock_getres(CLOCK_MONOTONIC, &res));
	CHECK(res.tv_sec == 0 && res.tv_nsec > 0);
	OK(clock_gettime(CLOCK_BOOTTIME, &t));
	OK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t));
	ERR(clock_gettime((clockid_t)1000, &t), EINVAL);

	long long last = ns(CLOCK_MONOTONIC);
	int backwards = 0;
	for (int i = 0; i < 10000; i++) {
		long long now = ns(CLOCK_MONOTONIC);
		backwards += now < last;
		last = now;
	}
	CHECK_EQ(backwards, 0);

	long long before = ns(CLOCK_MONOTONIC);
	OK(nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL));
	long long slept = ns(CLOCK_MONOTONIC) - before;
	CHECK(slept >= 10000000);
	before = ns(CLOCK_MONOTONIC);
	OK(clock_nanosleep(CLOCK_MONOTONIC, 0, &(struct timespec){.tv_nsec = 10000000}, NULL));
	CHECK(ns(CLOCK_MONOTONIC) - before >= 10000000);
	ERR(nanosleep(&(struct timespec){.tv_nsec = 1000000000}, NULL), EINVAL);
}

static void resources(void)
{
	unsigned char a[64] = {0}, b[64] = {0};
	CHECK_EQ(getrandom(a, sizeof a, 0), sizeof a);
	CHECK_EQ(getrandom(b, sizeof b, GRND_NONBLOCK), sizeof b);
	CHECK(memcmp(a, b, sizeof a) != 0);

	struct rlimit r, r2;
	OK(getrlimit(RLIMIT_STACK, &r));
	CHECK(r.rlim_cur >= 128 * 1024);
	OK(getrlimit(RLIMIT_NOFILE, &r));
	CHECK(r.rlim_cur >= 64 && r.rlim_cur <= r.rlim_max);
	r2 = r;
	r2.rlim_cur = 100;
	OK(setrlimit(RLIMIT_NOFILE, &r2));
	struct rlimit seen;
	OK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &seen));
	CHECK_EQ(seen.rlim_cur, 100);
	CHECK_EQ(seen.rlim_max, r.rlim_max);
	struct rlimit old;
	OK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &r, &old));
	CHECK_EQ(old.rlim_cur, 100);
	OK(getrlimit(RLIMIT_NOFILE, &seen));
	CHECK_EQ(seen.rlim_cur, r.rlim_cur);
	r2.rlim_cur = r.rlim_max;
	r2.rlim_max = r.rlim_max;
	if (r.rlim_max != RLIM_INFINITY) {
		r2.rlim_cur = r.rlim_max + 1;
		ERR(setrlimit(RLIMIT_NOFILE, &r2), EINVAL); /* soft above hard */
	}
	ERR(getrlimit(1000, &seen), EINVAL);

	struct sysinfo si;
	OK(sysinfo(&si));
	CHECK(si.totalram > 0 && si.mem_unit > 0);
	CHECK(si.freeram <= si.totalram);
	CHECK(si.procs >= 1);

	struct rusage ru;
	OK(getrusage(RUSAGE_SELF, &ru));
	CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	CHECK(ru.ru_maxrss >= 0);
	ERR(getrusage(42, &ru), EINVAL);

	CHECK_EQ(sched_yield(), 0);
}

int main(int argc, char **argv, char **envp)
{
	check_start("process");
	initial_stack(argc, argv, envp);
	identity();
	time_and_sleep();
	resources();
	return check_done();
}
