/* execve with many and long arguments, as Linux takes them: 5000 and
 * 100000 one-byte arguments run (a kernel that reserved 128 KiB of heap
 * per argument string panicked at 5000), a string of MAX_ARG_STRLEN - 1
 * bytes runs, one byte more is E2BIG, and so is anything past a quarter of
 * the 8 MiB stack limit (strings, or pointers alone); a bad pointer in
 * argv is EFAULT. The program re-executes itself through /proc/self/exe;
 * as `bigargs child N LEN` it checks what it was given. */
#include "check.h"

#include <sys/resource.h>
#include <sys/wait.h>

#define MAX_ARG_STRLEN (32 * 4096)
#define SELF "/proc/self/exe"

static char one_byte[] = "a";

/* argv[2] is the count of filler arguments, argv[3] their length. */
static int child(int argc, char **argv)
{
	long n = atol(argv[2]), len = atol(argv[3]);
	CHECK_EQ(argc, n + 4);
	for (long i = 4; i < argc; i++)
		if ((long)strlen(argv[i]) != len || argv[i][0] != 'a') {
			CHECK(!"filler argument intact");
			break;
		}
	CHECK(getenv("BIGARGS") && strcmp(getenv("BIGARGS"), "yes") == 0);
	return check_failures ? 1 : 0;
}

/* execve(SELF) with `n` copies of `filler` after the child's own words;
 * in the child when `run`, else in this process (expecting a failure). */
static char **args_for(long n, char *filler, char *count, char *len)
{
	char **v = malloc((n + 5) * sizeof *v);
	if (!v) {
		perror("malloc");
		exit(2);
	}
	v[0] = SELF;
	v[1] = "child";
	v[2] = count;
	v[3] = len;
	for (long i = 0; i < n; i++)
		v[4 + i] = filler;
	v[4 + n] = NULL;
	return v;
}

static char *env[] = {"BIGARGS=yes", NULL};

/* Runs the exec in a child; returns its wait status. */
static int exec_in_child(long n, char *filler)
{
	char count[32], len[32];
	snprintf(count, sizeof count, "%ld", n);
	snprintf(len, sizeof len, "%zu", strlen(filler));
	char **v = args_for(n, filler, count, len);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		execve(SELF, v, env);
		fprintf(stderr, "FAIL: bigargs: execve with %ld arguments: %s\n", n, strerror(errno));
		_exit(3);
	}
	free(v);
	int status = -1;
	CHECK(waitpid(pid, &status, 0) == pid);
	return status;
}

/* The exec fails with `err` (in this process: nothing is replaced). */
static int exec_fails(long n, char *filler)
{
	char **v = args_for(n, filler, "0", "0");
	errno = 0;
	int r = execve(SELF, v, env);
	int e = errno;
	free(v);
	return r == -1 ? e : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "child") == 0) {
		check_start("bigargs-child");
		return child(argc, argv);
	}
	check_start("bigargs");
	/* Linux's room depends on the stack limit: use the usual 8 MiB. */
	struct rlimit stack = {8 << 20, RLIM_INFINITY};
	getrlimit(RLIMIT_STACK, &stack);
	stack.rlim_cur = 8 << 20;
	CHECK(setrlimit(RLIMIT_STACK, &stack) == 0);

	/* The reproduction, and many more. */
	int st = exec_in_child(5000, one_byte);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = exec_in_child(100000, one_byte);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* The longest string there may be, and one byte more. */
	char *longest = malloc(MAX_ARG_STRLEN + 1);
	memset(longest, 'a', MAX_ARG_STRLEN);
	longest[MAX_ARG_STRLEN - 1] = 0;
	st = exec_in_child(1, longest);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	longest[MAX_ARG_STRLEN - 1] = 'a';
	longest[MAX_ARG_STRLEN] = 0;
	CHECK_EQ(exec_fails(1, longest), E2BIG);

	/* 2 MiB (a quarter of 8 MiB) holds 15 strings of 128 KiB, not 17. */
	longest[MAX_ARG_STRLEN - 1] = 0;
	st = exec_in_child(15, longest);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(exec_fails(17, longest), E2BIG);
	/* Pointers count too: 300000 empty strings are 2.4 MB of pointers. */
	CHECK_EQ(exec_fails(300000, ""), E2BIG);
	free(longest);

	/* A bad pointer among the arguments. */
	char *bad[] = {SELF, "child", "0", "0", (char *)0xffffffff80000000UL, NULL};
	ERR(execve(SELF, bad, env), EFAULT);
	char *unmapped[] = {SELF, (char *)16, NULL};
	ERR(execve(SELF, unmapped, env), EFAULT);
	return check_done();
}
