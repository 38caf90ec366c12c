/* Calls that could sleep reject a buffer outside user space at once, as
 * Linux's access_ok does before anything waits: a read from the console,
 * an empty pipe, a write to a full pipe, readv/writev with one bad
 * iovec among good ones, epoll_wait with a bad event array (and the event
 * stays for the next call). A kernel that checked only while copying
 * slept for ever in the first. Everything else about the call still
 * comes first (EBADF for the wrong mode, ESPIPE for pread on a pipe). An
 * alarm turns a hang into a failure. */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>

#define KERNEL ((void *)0xffffffff80000000UL)
#define WRAPS ((void *)-4096L)

static void hung(int sig)
{
	(void)sig;
	static const char msg[] = "FAIL: badbuf: a call with a bad buffer blocked\n";
	write(2, msg, sizeof msg - 1);
	_exit(1);
}

int main(void)
{
	check_start("badbuf");
	signal(SIGALRM, hung);
	alarm(20);

	/* The reproduction: fd 0 is the console in the guest (with nothing
	 * typed); on a host whatever it is, EFAULT all the same. */
	ERR(read(0, KERNEL, 8), EFAULT);
	ERR(read(0, WRAPS, 8192), EFAULT);

	int p[2];
	CHECK(pipe(p) == 0);
	ERR(read(p[0], KERNEL, 8), EFAULT);
	ERR(read(p[0], WRAPS, 8192), EFAULT);
	char c;
	struct iovec iov[2] = {{&c, 1}, {KERNEL, 8}};
	ERR(readv(p[0], iov, 2), EFAULT);
	/* The mode and the offset are judged before the buffer. */
	ERR(read(p[1], KERNEL, 8), EBADF);
	ERR(write(p[0], KERNEL, 8), EBADF);
	ERR(pread(p[0], KERNEL, 8, 0), ESPIPE);
	ERR(pwrite(p[1], KERNEL, 8, 0), ESPIPE);

	/* A full pipe: a write would wait for room. */
	int flags = fcntl(p[1], F_GETFL);
	fcntl(p[1], F_SETFL, flags | O_NONBLOCK);
	static char chunk[4096];
	while (write(p[1], chunk, sizeof chunk) > 0)
		;
	fcntl(p[1], F_SETFL, flags);
	ERR(write(p[1], KERNEL, 8), EFAULT);
	struct iovec wiov[2] = {{chunk, 1}, {WRAPS, 8192}};
	ERR(writev(p[1], wiov, 2), EFAULT);
	close(p[0]);
	close(p[1]);

	/* epoll_wait: the array is checked before the wait, and a ready event
	 * is still there afterwards. */
	int ep = epoll_create1(0);
	CHECK(ep >= 0);
	CHECK(pipe(p) == 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
	ERR(epoll_wait(ep, KERNEL, 4, -1), EFAULT);
	CHECK(write(p[1], "x", 1) == 1);
	ERR(epoll_wait(ep, KERNEL, 4, 0), EFAULT);
	struct epoll_event out[4];
	CHECK_EQ(epoll_wait(ep, out, 4, 0), 1);
	CHECK_EQ(out[0].data.u64, 42);

	/* Good buffers still work. */
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'x');
	alarm(0);
	return check_done();
}
