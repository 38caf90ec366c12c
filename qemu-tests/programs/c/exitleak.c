/* Processes that die leave nothing behind: 3000 children end by a
 * default-action signal, by a signal return from a bad stack, or killed
 * while the parent looks at their /proc directories, and the kernel's
 * heap is as it was. (A task ended by a signal was never freed: the
 * delivery path held a reference across the exit that never returns;
 * and every /proc/<pid> looked at added inode numbers to a table that
 * only grew. The fuzzer's leak check found both.) The memory check runs
 * inside Ringo, whose /proc/meminfo says what its heap holds; natively
 * the statuses are checked. */
#include "check.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Bytes nothing holds: free frames plus the heap's free space. */
static long unused_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long free = -1, slab = 0, used = 0, v;
	while (f && fgets(line, sizeof line, f)) {
		if (sscanf(line, "MemFree: %ld kB", &v) == 1)
			free = v;
		else if (sscanf(line, "Slab: %ld kB", &v) == 1)
			slab = v;
		else if (sscanf(line, "SUnreclaim: %ld kB", &v) == 1)
			used = v;
	}
	if (f)
		fclose(f);
	return free < 0 ? -1 : free + slab - used;
}

static void bad_sigreturn(void)
{
	/* rt_sigreturn with the stack pointer on an unmapped page: the frame
	 * cannot be read and the kernel ends the process with SIGSEGV. */
	__asm__ volatile("mov $0x1000, %%rsp\n\tmov $15, %%eax\n\tsyscall" ::: "memory");
	_exit(3);
}

static void round_of(int children)
{
	for (int i = 0; i < children; i++) {
		int how = i % 3;
		pid_t pid = fork();
		if (pid < 0) {
			CHECK(!"fork");
			return;
		}
		if (pid == 0) {
			if (how == 0)
				raise(SIGTERM);
			else if (how == 1)
				bad_sigreturn();
			else
				for (;;)
					pause();
			_exit(4);
		}
		if (how == 2) {
			char path[64];
			struct stat st;
			static const char *const files[] = {"", "/status", "/stat", "/comm", "/cmdline", "/exe"};
			for (unsigned f = 0; f < sizeof files / sizeof *files; f++) {
				snprintf(path, sizeof path, "/proc/%d%s", pid, files[f]);
				CHECK(stat(path, &st) == 0);
			}
			kill(pid, SIGKILL);
		}
		int status = 0;
		CHECK(waitpid(pid, &status, 0) == pid);
		int want = how == 0 ? SIGTERM : how == 1 ? SIGSEGV : SIGKILL;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != want) {
			fprintf(stderr, "FAIL: exitleak: child %d (way %d): status %#x, wanted signal %d\n", i, how,
				status, want);
			check_failures++;
			return;
		}
	}
}

int main(void)
{
	check_program = "exitleak";
	int in_ringo = access("/proc/ringo_syscalls", F_OK) == 0;
	round_of(300); /* the heap's own growth, once */
	long before = unused_kb();
	round_of(3000);
	long after = unused_kb();
	printf("exitleak: %ld kB unused before, %ld kB after 3000 children\n", before, after);
	if (in_ringo) {
		CHECK(before > 0 && after > 0);
		/* A leaked task costs about 5 KiB: 3000 of them are 15 MiB. */
		if (before - after > 512) {
			fprintf(stderr, "FAIL: exitleak: %ld kB not returned\n", before - after);
			check_failures++;
		}
	}
	return check_done();
}
