/* Shared by the test programs: each checks one syscall family and exits 0
 * only if every check saw what Linux does. A failed check prints
 * `FAIL: <program>:<line>: <what>` to stderr and the run goes on, so one
 * run reports every mismatch; the in-QEMU tests look for `FAIL:`.
 * The last line on stdout is `<program>: ok` (or `<program>: N failed`):
 * the tests require it, so a program that never ran cannot pass. */
#ifndef RINGO_CHECK_H
#define RINGO_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *check_program = "?";
static int check_failures;

static inline void check_fail(int line, const char *what, long got, int err)
{
	check_failures++;
	fprintf(stderr, "FAIL: %s:%d: %s (got %ld, errno %d %s)\n", check_program, line, what, got, err,
		strerror(err));
}

/* `cond` holds. (errno is left alone: `cond` may read it.) */
#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			check_fail(__LINE__, #cond, 0, errno);                                     \
	} while (0)

/* `a == b`, both integers; says what each was. */
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long check_a_ = (long)(a), check_b_ = (long)(b);                                   \
		if (check_a_ != check_b_) {                                                        \
			char check_what_[256];                                                     \
			snprintf(check_what_, sizeof check_what_, "%s == %s (expected %ld)", #a, #b, \
				 check_b_);                                                        \
			check_fail(__LINE__, check_what_, check_a_, errno);                        \
		}                                                                                  \
	} while (0)

/* The call succeeds (returns >= 0); evaluates to its result. */
#define OK(call)                                                                                   \
	({                                                                                         \
		errno = 0;                                                                         \
		long check_r_ = (long)(call);                                                      \
		if (check_r_ < 0)                                                                  \
			check_fail(__LINE__, #call " succeeds", check_r_, errno);                  \
		check_r_;                                                                          \
	})

/* The call fails with -1 and errno `err`. */
#define ERR(call, err)                                                                             \
	do {                                                                                       \
		errno = 0;                                                                         \
		long check_r_ = (long)(call);                                                      \
		if (check_r_ != -1 || errno != (err))                                              \
			check_fail(__LINE__, #call " fails with " #err, check_r_, errno);          \
	} while (0)

/* Byte strings of length n are equal. */
#define CHECK_MEM(a, b, n) CHECK(memcmp((a), (b), (n)) == 0)

static inline void check_start(const char *program) { check_program = program; }

/* The exit status: 0 when every check passed. */
static inline int check_done(void)
{
	if (check_failures) {
		printf("%s: %d failed\n", check_program, check_failures);
		return 1;
	}
	printf("%s: ok\n", check_program);
	return 0;
}

/* MemFree of /proc/meminfo in kB, -1 if it cannot be read. */
static inline long check_mem_free_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* A fresh directory under /tmp, made the current directory, so parallel
 * runs on a host never meet. */
static inline char *check_scratch_dir(void)
{
	static char dir[] = "/tmp/ringo-test-XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		fprintf(stderr, "FAIL: %s: cannot make a scratch directory in /tmp: %s\n", check_program,
			strerror(errno));
		exit(2);
	}
	return dir;
}

#include <ftw.h>

static inline int check_remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* Removes the scratch directory; not a check (the guest's copy vanishes
 * at power-off anyway), only tidiness on a host. */
static inline void check_remove_scratch(const char *dir)
{
	if (chdir("/") == 0)
		nftw(dir, check_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
