/* Pipes as Linux has them: 64 KiB of capacity, PIPE_BUF-sized writes that
 * never interleave, EOF after the last writer, EPIPE and SIGPIPE after
 * the last reader, a megabyte between processes, poll() readiness, and
 * the pipe2 flags (O_CLOEXEC checked across an execve of this program). */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#define CAPACITY 65536
#define WRITERS 4
#define RECORDS 50
#define TRANSFER (1 << 20)
#define CLOEXEC_ARG "--cloexec-child"

/* Dispositions and the signal mask are inherited: a shell may start us
 * with SIGINT and SIGQUIT ignored (a background job), a harness with
 * signals blocked, and an ignored SIGCHLD would even reap children behind
 * our back. The checks assume what a fresh Linux process has. */
static void default_signals(void)
{
	for (int sig = 1; sig < 32; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Reads exactly n bytes unless EOF or an error comes first. */
static size_t read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
	}
	return got;
}

static int wait_status(pid_t pid)
{
	int status = -1;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

static void capacity(void)
{
	int p[2];
	OK(pipe2(p, O_NONBLOCK));
	static char page[4096];
	memset(page, 'c', sizeof page);
	size_t total = 0;
	for (;;) {
		ssize_t n = write(p[1], page, sizeof page);
		if (n < 0) {
			CHECK_EQ(errno, EAGAIN);
			break;
		}
		total += n;
		if (total > 4 * CAPACITY)
			break; /* no limit at all: stop, the check below reports it */
	}
	CHECK_EQ(total, CAPACITY);
	/* Full means full: not even one more byte. */
	ERR(write(p[1], "x", 1), EAGAIN);
	size_t drained = 0;
	static char buf[8192];
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0)
		drained += n;
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(drained, CAPACITY);
	close(p[0]);
	close(p[1]);
}

/* Each writer writes RECORDS records of PIPE_BUF bytes of its own letter
 * at once into one pipe: every record must arrive whole. */
static void atomic_writes(void)
{
	CHECK_EQ(PIPE_BUF, 4096);
	int p[2];
	OK(pipe(p));
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			close(p[0]);
			static char record[PIPE_BUF];
			memset(record, 'A' + w, sizeof record);
			for (int i = 0; i < RECORDS; i++)
				if (write(p[1], record, sizeof record) != sizeof record)
					_exit(1);
			_exit(0);
		}
		CHECK(pids[w] > 0);
	}
	close(p[1]);
	int counts[WRITERS] = {0};
	int torn = 0, records = 0;
	static char record[PIPE_BUF];
	while (read_full(p[0], record, sizeof record) == sizeof record) {
		records++;
		int w = record[0] - 'A';
		for (size_t i = 1; i < sizeof record; i++)
			if (record[i] != record[0]) {
				torn++;
				break;
			}
		if (w >= 0 && w < WRITERS)
			counts[w]++;
	}
	close(p[0]);
	CHECK_EQ(torn, 0);
	CHECK_EQ(records, WRITERS * RECORDS);
	for (int w = 0; w < WRITERS; w++) {
		CHECK_EQ(counts[w], RECORDS);
		CHECK_EQ(wait_status(pids[w]), 0);
	}
}

static void eof(void)
{
	int p[2];
	OK(pipe(p));
	CHECK_EQ(write(p[1], "tail", 4), 4);
	close(p[1]);
	char buf[16];
	/* The data written before the close comes first, then EOF, forever. */
	CHECK_EQ(read(p[0], buf, sizeof buf), 4);
	CHECK_MEM(buf, "tail", 4);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	close(p[0]);

	/* A reader blocked in read() wakes with EOF when the writer in
	 * another process goes away. */
	OK(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		sleep_ms(50);
		_exit(0); /* closes p[1] */
	}
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	close(p[0]);
	CHECK_EQ(wait_status(pid), 0);
}

static volatile sig_atomic_t sigpipe_count, sigpipe_code = -1, sigpipe_pid;

static void on_sigpipe(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	sigpipe_count++;
	sigpipe_code = si->si_code;
	sigpipe_pid = si->si_pid;
}

static void broken_pipes(void)
{
	int p[2];
	/* Ignored: the write fails with EPIPE and the process lives on. */
	signal(SIGPIPE, SIG_IGN);
	OK(pipe(p));
	close(p[0]);
	ERR(write(p[1], "x", 1), EPIPE);
	close(p[1]);

	/* Caught: the handler runs, then the write fails with EPIPE. Linux
	 * sends it as from the writer itself: SI_USER with its own pid. */
	struct sigaction sa = {0};
	sa.sa_sigaction = on_sigpipe;
	sa.sa_flags = SA_SIGINFO;
	OK(sigaction(SIGPIPE, &sa, NULL));
	OK(pipe(p));
	close(p[0]);
	ERR(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(sigpipe_count, 1);
	CHECK_EQ(sigpipe_code, SI_USER);
	CHECK_EQ(sigpipe_pid, getpid());
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);

	/* Default: a writer dies of SIGPIPE. */
	OK(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		/* Until the parent has closed the last read end, writes
		 * succeed (or block once the pipe is full, and then fail):
		 * keep writing until one kills. */
		for (int i = 0; i < 4 * CAPACITY; i++)
			(void)!write(p[1], "x", 1);
		_exit(0); /* survived: the parent sees status 0, a failure */
	}
	close(p[0]);
	close(p[1]);
	int status = wait_status(pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
}

static uint64_t fnv1a(uint64_t h, const unsigned char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A megabyte of pseudo-random bytes to a child in writes of varying
 * size; the child sends back its count and checksum. */
static void transfer(void)
{
	int down[2], up[2];
	OK(pipe(down));
	OK(pipe(up));
	pid_t pid = fork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		static unsigned char buf[6000];
		uint64_t h = 0xcbf29ce484222325ULL, total = 0;
		ssize_t n;
		while ((n = read(down[0], buf, sizeof buf)) > 0) {
			h = fnv1a(h, buf, n);
			total += n;
		}
		uint64_t reply[2] = {total, h};
		_exit(write(up[1], reply, sizeof reply) == sizeof reply && n == 0 ? 0 : 1);
	}
	close(down[0]);
	close(up[1]);
	static unsigned char data[TRANSFER];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof data; i++) {
		x = x * 1103515245 + 12345;
		data[i] = x >> 16;
	}
	uint64_t h = fnv1a(0xcbf29ce484222325ULL, data, sizeof data);
	size_t off = 0, chunk = 1;
	while (off < sizeof data) {
		size_t n = chunk < sizeof data - off ? chunk : sizeof data - off;
		ssize_t w = write(down[1], data + off, n);
		if (w <= 0) {
			CHECK(w > 0);
			break;
		}
		off += w;
		chunk = chunk * 7 % 20011 + 1; /* 1 byte to ~20 KiB */
	}
	close(down[1]);
	uint64_t reply[2] = {0, 0};
	CHECK_EQ(read_full(up[0], reply, sizeof reply), sizeof reply);
	close(up[0]);
	CHECK_EQ(reply[0], TRANSFER);
	CHECK(reply[1] == h);
	CHECK_EQ(wait_status(pid), 0);
}

static short revents(int fd, short events)
{
	struct pollfd pfd = {fd, events, 0};
	int n = poll(&pfd, 1, 0);
	CHECK(n >= 0);
	return pfd.revents;
}

static void polling(void)
{
	int p[2];
	OK(pipe2(p, O_NONBLOCK));
	/* Empty: nothing to read, room to write. */
	CHECK_EQ(revents(p[0], POLLIN), 0);
	CHECK_EQ(revents(p[1], POLLOUT), POLLOUT);
	struct pollfd both[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	CHECK_EQ(poll(both, 2, 0), 1);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(revents(p[0], POLLIN), POLLIN);
	/* Full: no POLLOUT. */
	static char page[4096];
	while (write(p[1], page, sizeof page) > 0)
		;
	while (write(p[1], page, 1) > 0)
		;
	CHECK_EQ(revents(p[1], POLLOUT), 0);
	/* The writer gone: POLLHUP beside the data still there, whether
	 * asked for or not; POLLHUP alone once drained. */
	close(p[1]);
	CHECK_EQ(revents(p[0], POLLIN), POLLIN | POLLHUP);
	CHECK_EQ(revents(p[0], 0), POLLHUP);
	char buf[8192];
	while (read(p[0], buf, sizeof buf) > 0)
		;
	CHECK_EQ(revents(p[0], POLLIN), POLLHUP);
	close(p[0]);

	/* The reader gone: POLLERR on the write end. */
	OK(pipe(p));
	close(p[0]);
	CHECK_EQ(revents(p[1], POLLOUT) & POLLERR, POLLERR);
	close(p[1]);

	/* poll sleeps until another process writes. */
	OK(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		sleep_ms(50);
		_exit(write(p[1], "w", 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	struct pollfd pfd = {p[0], POLLIN, 0};
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_EQ(read(p[0], buf, 1), 1);
	close(p[0]);
	CHECK_EQ(wait_status(pid), 0);
}

static void flags(const char *self)
{
	int p[2];
	OK(pipe(p));
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK_EQ(fcntl(p[1], F_GETFD), 0);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	/* O_NONBLOCK can be switched on later. */
	OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	char c;
	ERR(read(p[0], &c, 1), EAGAIN);

	int q[2];
	OK(pipe2(q, O_CLOEXEC | O_NONBLOCK));
	CHECK_EQ(fcntl(q[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(q[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(q[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	CHECK_EQ(fcntl(q[1], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	ERR(pipe2(q, 0x1), EINVAL);

	/* Across execve: the O_CLOEXEC pipe is gone, the other one stays. */
	pid_t pid = fork();
	if (pid == 0) {
		char keep[16], gone[16];
		snprintf(keep, sizeof keep, "%d", p[1]);
		snprintf(gone, sizeof gone, "%d", q[1]);
		char *args[] = {(char *)self, CLOEXEC_ARG, keep, gone, NULL};
		execv(self, args);
		_exit(127);
	}
	CHECK_EQ(wait_status(pid), 0);
	for (int i = 0; i < 2; i++) {
		close(p[i]);
		close(q[i]);
	}
}

static int cloexec_child(char **argv)
{
	check_start("pipes-exec");
	int keep = atoi(argv[2]), gone = atoi(argv[3]);
	CHECK_EQ(fcntl(keep, F_GETFD), 0);
	CHECK_EQ(write(keep, "k", 1), 1);
	ERR(fcntl(gone, F_GETFD), EBADF);
	return check_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], CLOEXEC_ARG) == 0)
		return cloexec_child(argv);
	check_start("pipes");
	default_signals();
	setvbuf(stdout, NULL, _IONBF, 0);
	capacity();
	atomic_writes();
	eof();
	broken_pipes();
	transfer();
	polling();
	flags(argv[0]);
	return check_done();
}
