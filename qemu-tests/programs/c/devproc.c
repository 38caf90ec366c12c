/* The device files in /dev and the process information in /proc. */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Reads a whole (small) file into buf, NUL-terminated; its length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		check_fail(__LINE__, path, fd, errno);
		buf[0] = 0;
		return -1;
	}
	size_t len = 0;
	long n;
	while (len + 1 < cap && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(fd);
	return (long)len;
}

static void devices(void)
{
	char buf[4096];
	struct stat st;

	int null = OK(open("/dev/null", O_RDWR));
	CHECK_EQ(write(null, "swallowed", 9), 9);
	CHECK_EQ(read(null, buf, sizeof buf), 0);
	OK(fstat(null, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	close(null);

	int zero = OK(open("/dev/zero", O_RDWR));
	memset(buf, 0x55, sizeof buf);
	CHECK_EQ(read(zero, buf, sizeof buf), sizeof buf);
	static const char zeros[4096];
	CHECK_MEM(buf, zeros, sizeof buf);
	CHECK_EQ(write(zero, buf, 10), 10);
	close(zero);

	int full = OK(open("/dev/full", O_RDWR));
	ERR(write(full, "x", 1), ENOSPC);
	memset(buf, 0x55, 16);
	CHECK_EQ(read(full, buf, 16), 16);
	CHECK_MEM(buf, zeros, 16);
	close(full);

	/* Random bytes: neither constant within a read nor equal across reads
	 * (2^-256 odds of a false failure). */
	unsigned char a[32], b[32];
	int urandom = OK(open("/dev/urandom", O_RDONLY));
	CHECK_EQ(read(urandom, a, sizeof a), sizeof a);
	CHECK_EQ(read(urandom, b, sizeof b), sizeof b);
	close(urandom);
	int constant = 1;
	for (size_t i = 1; i < sizeof a; i++)
		constant &= a[i] == a[0];
	CHECK(!constant);
	CHECK(memcmp(a, b, sizeof a) != 0);
	int random = OK(open("/dev/random", O_RDONLY));
	CHECK_EQ(read(random, a, 8), 8);
	close(random);

	int console = OK(open("/dev/console", O_WRONLY | O_NOCTTY));
	static const char hello[] = "devproc: /dev/console is writable\n";
	CHECK_EQ(write(console, hello, sizeof hello - 1), sizeof hello - 1);
	close(console);

	ERR(open("/dev/no-such-device", O_RDONLY), ENOENT);
}

/* The line of /proc/self/maps whose range holds `addr`, or NULL. */
static const char *maps_line_holding(const char *maps, uintptr_t addr, char *line, size_t cap)
{
	for (const char *at = maps; *at;) {
		const char *end = strchr(at, '\n');
		size_t len = end ? (size_t)(end - at) : strlen(at);
		unsigned long lo, hi;
		if (sscanf(at, "%lx-%lx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
			snprintf(line, cap, "%.*s", (int)len, at);
			return line;
		}
		at += len + (end != NULL);
	}
	return NULL;
}

static void process_files(const char *argv0)
{
	static char buf[65536];
	char exe[256] = {0}, line[512];

	long n = OK(readlink("/proc/self/exe", exe, sizeof exe - 1));
	if (n > 0) {
		exe[n] = 0;
		/* The same file as the one we were started from. */
		struct stat by_link, by_argv;
		CHECK(exe[0] == '/');
		OK(stat(exe, &by_link));
		OK(stat(argv0, &by_argv));
		CHECK_EQ(by_link.st_ino, by_argv.st_ino);
		CHECK_EQ(by_link.st_dev, by_argv.st_dev);
	}

	CHECK(slurp("/proc/self/maps", buf, sizeof buf) > 0);
	int local = 0;
	const char *stack = maps_line_holding(buf, (uintptr_t)&local, line, sizeof line);
	CHECK(stack && strstr(stack, "[stack]") && strstr(stack, " rw"));
	const char *text = maps_line_holding(buf, (uintptr_t)&process_files, line, sizeof line);
	CHECK(text && strstr(text, " r-x") && strstr(text, exe));
	static int data = 1;
	const char *rw = maps_line_holding(buf, (uintptr_t)&data, line, sizeof line);
	CHECK(rw && strstr(rw, " rw"));
	if (!stack || !text)
		fprintf(stderr, "FAIL: devproc: /proc/self/maps was:\n%s", buf);

	CHECK(slurp("/proc/cpuinfo", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "processor", 9) == 0);
	CHECK(slurp("/proc/meminfo", buf, sizeof buf) > 0);
	unsigned long total_kb = 0;
	CHECK(sscanf(buf, "MemTotal: %lu kB", &total_kb) == 1 && total_kb > 0);

	double up = -1, idle = -1;
	CHECK(slurp("/proc/uptime", buf, sizeof buf) > 0);
	CHECK(sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0 && idle >= 0);

	CHECK(slurp("/proc/self/status", buf, sizeof buf) > 0);
	char *pid = strncmp(buf, "Pid:", 4) == 0 ? buf : strstr(buf, "\nPid:");
	CHECK(pid && atoi(strchr(pid, ':') + 1) == getpid());
	/* Resident memory and its page tables: this program has touched
	 * pages, so both are at least a page. */
	long rss = -1, pte = -1;
	char *vm = strstr(buf, "\nVmRSS:"), *pt = strstr(buf, "\nVmPTE:");
	CHECK(vm && sscanf(vm, "\nVmRSS: %ld kB", &rss) == 1 && rss >= 4);
	CHECK(pt && sscanf(pt, "\nVmPTE: %ld kB", &pte) == 1 && pte >= 4);

	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", getpid());
	CHECK(slurp(path, buf, sizeof buf) > 0 && strstr(buf, "Pid:"));
	CHECK_EQ(readlink("/proc/self", buf, 64), snprintf(path, sizeof path, "%d", getpid()));
	ERR(open("/proc/self/no-such-file", O_RDONLY), ENOENT);
}

int main(int argc, char **argv)
{
	(void)argc;
	check_start("devproc");
	devices();
	process_files(argv[0]);
	return check_done();
}
