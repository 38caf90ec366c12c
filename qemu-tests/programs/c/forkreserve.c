/* fork of a process that holds a huge shared reservation: 1 TiB of
 * MAP_SHARED|MAP_ANONYMOUS PROT_NONE, which costs Linux nothing until it
 * is made accessible and touched. The kernel once walked it page by page
 * at fork (2^28 pages) and kept a CPU past its watchdog (found by the
 * fuzzer, seed 9801282984695194964). A small shared area beside it is
 * still shared with the child. */
#include "check.h"

#include <sys/mman.h>
#include <sys/wait.h>

int main(void)
{
	check_start("forkreserve");
	size_t huge = 1UL << 40;
	void *r = mmap(NULL, huge, PROT_NONE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(r != MAP_FAILED);
	volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED);
	for (int round = 0; round < 3; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			*shared = round + 1;
			_exit(0);
		}
		CHECK(pid > 0);
		int status = -1;
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		CHECK_EQ(*shared, round + 1);
	}
	OK(munmap(r, huge));
	return check_done();
}
