/* Memory exhaustion ends in an OOM kill, and the memory comes back: a
 * child maps and touches 1 MiB blocks until it cannot, three times over.
 * In the guest (as init, where nothing limits the child) the kernel runs
 * out of frames and must kill the biggest process, the child, with
 * SIGKILL; init, whose memory stays small, keeps running, can allocate
 * again, and /proc/meminfo shows the child's memory free once more. (A
 * kernel that let the fault fail sent SIGSEGV and never freed the dead
 * child's memory, so init died on its next malloc.) On a host the child
 * gets an address-space limit instead, so it stops when mmap fails. */
#include "check.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

static void hog(void)
{
	if (getpid() != 1) {
		/* Not in the guest: stay within 512 MiB of address space. */
		struct rlimit as = {512 << 20, 512 << 20};
		setrlimit(RLIMIT_AS, &as);
	}
	for (;;) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(0);
		for (int i = 0; i < (1 << 20); i += 4096)
			p[i] = 1;
	}
}

int main(void)
{
	check_start("oom");
	int guest = getpid() == 1;
	long before = check_mem_free_kb();
	CHECK(before > 0);
	for (int round = 0; round < 3; round++) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0)
			hog();
		CHECK(pid > 0);
		int status = 0;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (guest) {
			CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
			/* What a shell reports for it. */
			printf("oom: round %d: child status %d\n", round,
			       WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
		} else {
			CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
			      (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
		}
		/* Init can allocate and touch memory again. */
		size_t n = 8 << 20;
		char *m = malloc(n);
		CHECK(m != NULL);
		if (m) {
			memset(m, 7, n);
			CHECK(m[n - 1] == 7);
			free(m);
		}
		long after = check_mem_free_kb();
		if (guest) {
			/* Every frame of the child is back, give or take the
			 * kernel heap's growth (4 MiB steps) and our own pages. */
			if (after < before - 12 * 1024)
				fprintf(stderr, "round %d: MemFree %ld kB before, %ld kB after\n", round, before,
					after);
			CHECK(after >= before - 12 * 1024);
		}
	}
	return check_done();
}
