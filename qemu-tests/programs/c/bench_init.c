/* /init of the benchmarks' Linux guest (qemu-tests/src/linux_guest.rs):
 * mounts devtmpfs, proc and sysfs, takes /dev/console as stdin, stdout and
 * stderr, reports the CPU vulnerabilities and mitigations Linux found, runs
 * the benchmark programs given as its arguments (each a path and its
 * arguments, separated by `;` arguments) in turn, and powers the machine
 * off.
 *
 * Lines it prints, for the host to parse:
 *   bench_init: start                       (its first output)
 *   bench_init: vulnerability NAME: TEXT    (one per file of
 *                                            /sys/devices/system/cpu/vulnerabilities)
 *   bench_init: clocksource NAME            (what clock_gettime reads)
 *   bench_init: exit status N               (each program's; 128+SIG if killed)
 *
 * Not PID 1 (the native test run), it touches nothing and prints
 * `bench_init: ok`. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define VULNERABILITIES "/sys/devices/system/cpu/vulnerabilities"
#define CLOCKSOURCE "/sys/devices/system/clocksource/clocksource0/current_clocksource"

static void console(void)
{
	int fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* The first line of `path`, without its newline, into `text`. */
static void first_line(const char *path, char *text, int size)
{
	text[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(text, size, f))
		text[0] = 0;
	fclose(f);
	text[strcspn(text, "\n")] = 0;
}

static void print_vulnerabilities(void)
{
	DIR *dir = opendir(VULNERABILITIES);
	if (!dir) {
		printf("bench_init: vulnerability none: %s unreadable\n", VULNERABILITIES);
		return;
	}
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		char path[512], text[256];
		snprintf(path, sizeof path, "%s/%s", VULNERABILITIES, e->d_name);
		first_line(path, text, sizeof text);
		printf("bench_init: vulnerability %s: %s\n", e->d_name, text);
	}
	closedir(dir);
}

/* Runs argv[0] with its arguments, prints its exit status and returns it. */
static int run(char **argv)
{
	int status = 126;
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		perror("bench_init: execv");
		_exit(127);
	}
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	printf("bench_init: exit status %d\n", status);
	return status;
}

int main(int argc, char **argv)
{
	if (getpid() != 1) {
		printf("bench_init: ok\n");
		return 0;
	}
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
	console();
	setvbuf(stdout, 0, _IOLBF, 0);
	printf("bench_init: start\n");
	mkdir("/proc", 0555);
	mkdir("/sys", 0555);
	mount("proc", "/proc", "proc", 0, 0);
	mount("sysfs", "/sys", "sysfs", 0, 0);
	print_vulnerabilities();
	char clock[64];
	first_line(CLOCKSOURCE, clock, sizeof clock);
	printf("bench_init: clocksource %s\n", clock[0] ? clock : "unknown");

	/* The programs, separated by ";" arguments, one after the other. */
	int status = 0;
	for (int first = 1; first < argc;) {
		int end = first;
		while (end < argc && strcmp(argv[end], ";") != 0)
			end++;
		argv[end] = 0; /* argv[argc] is null already */
		if (end > first)
			status |= run(argv + first);
		first = end + 1;
	}
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	/* Power-off failed: a reset, which -no-reboot turns into QEMU's exit. */
	reboot(RB_AUTOBOOT);
	return status;
}
