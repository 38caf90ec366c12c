/* Filling the in-memory /tmp: writes end with ENOSPC (a full tmpfs) while
 * the kernel keeps the memory it needs for itself: with /tmp full,
 * processes still fork and exit, pipes still carry data, and unlinking
 * the file gives the memory back. (ramfs file data
 * lives on the kernel heap: a full /tmp once took the heap's last frames
 * and the next kernel allocation panicked.) Natively /tmp is usually a
 * disk: the program stops at LIMIT without ENOSPC and checks the rest. */
#include "check.h"

#include <fcntl.h>
#include <sys/wait.h>

#define CHUNK (1 << 20)
#define LIMIT (160L << 20)

int main(void)
{
	check_program = "tmpfull";
	char *dir = check_scratch_dir();
	char path[256];
	snprintf(path, sizeof path, "%s/fill", dir);
	static char chunk[CHUNK];
	memset(chunk, 'x', sizeof chunk);
	long before = check_mem_free_kb();

	int in_memory = 1;
	for (int round = 0; round < 2; round++) {
		int fd = OK(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600));
		long total = 0, n = 0;
		errno = 0;
		while (total < LIMIT && (n = write(fd, chunk, CHUNK)) > 0)
			total += n;
		int full = total < LIMIT;
		in_memory = in_memory && full;
		if (full)
			CHECK(n < 0 && errno == ENOSPC);
		printf("tmpfull: round %d: %ld MiB written%s\n", round, total >> 20, full ? ", then ENOSPC" : "");

		/* With /tmp full: processes, pipes and the heap's users work. */
		for (int i = 0; i < 20; i++) {
			int p[2];
			CHECK(pipe(p) == 0);
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				_exit(write(p[1], "ok", 2) == 2 ? 7 : 1);
			}
			CHECK(pid > 0);
			close(p[1]);
			char buf[2] = {0};
			CHECK_EQ(read(p[0], buf, 2), 2);
			close(p[0]);
			int status = 0;
			CHECK_EQ(waitpid(pid, &status, 0), pid);
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
		}
		close(fd);
		CHECK(unlink(path) == 0);
	}
	long after = check_mem_free_kb();
	printf("tmpfull: MemFree %ld kB before, %ld kB after\n", before, after);
	/* The heap keeps chunks it grew by (4 MiB each): allow 8 MiB. (A
	 * /tmp on disk, natively, is not memory: MemFree moves with the page
	 * cache and other programs there.) */
	if (in_memory && before > 0 && after > 0)
		CHECK(before - after < 8 << 10);
	rmdir(dir);
	return check_done();
}
