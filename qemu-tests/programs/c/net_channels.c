/* Two TCP flows whose readers are pinned to different CPUs: with Ringo's
 * net channels each flow's segments must be processed on its reader's CPU.
 * `net_channels PORT0 PORT1 BYTES`: thread i, pinned to CPU i, listens on
 * PORTi, accepts one connection, reads BYTES, answers "got N\n", then the
 * program prints /proc/ringo_net. Without arguments it checks itself over
 * loopback (two clients in the process) and prints ok. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/socket.h>

#include "check.h"

static pthread_barrier_t listening;

struct flow {
	int cpu;
	int port;
	long bytes;
	long got;
	int listen_fd;
};

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0)
		return -1;
	return fd;
}

static void *reader(void *arg)
{
	struct flow *f = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(f->cpu, &set);
	CHECK(sched_setaffinity(0, sizeof set, &set) == 0);
	/* The socket is made on the reader's CPU: its home stack is there. */
	f->listen_fd = listen_on(f->port);
	CHECK(f->listen_fd >= 0);
	pthread_barrier_wait(&listening);
	int c = accept(f->listen_fd, 0, 0);
	CHECK(c >= 0);
	char buf[16384];
	while (f->got < f->bytes) {
		ssize_t n = read(c, buf, sizeof buf);
		if (n <= 0)
			break;
		f->got += n;
	}
	char line[64];
	int len = snprintf(line, sizeof line, "got %ld\n", f->got);
	CHECK(write(c, line, len) == len);
	close(c);
	close(f->listen_fd);
	return 0;
}

static void *client(void *arg)
{
	struct flow *f = arg;
	int fd = -1;
	for (int tries = 0; tries < 100; tries++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(f->port)};
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(10000);
	}
	CHECK(fd >= 0);
	static char data[65536];
	for (long sent = 0; sent < f->bytes;) {
		long want = f->bytes - sent < (long)sizeof data ? f->bytes - sent : (long)sizeof data;
		ssize_t n = write(fd, data, want);
		CHECK(n > 0);
		if (n <= 0)
			break;
		sent += n;
	}
	char line[64] = {0};
	CHECK(read(fd, line, sizeof line - 1) > 0);
	char expected[64];
	snprintf(expected, sizeof expected, "got %ld\n", f->bytes);
	CHECK(strcmp(line, expected) == 0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	check_start("net_channels");
	int self = argc == 1;
	if (!self && argc != 4) {
		fprintf(stderr, "FAIL: net_channels: usage: net_channels [PORT0 PORT1 BYTES]\n");
		return 2;
	}
	int cpus = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 2 : 1;
	struct flow flows[2] = {
		{.cpu = 0, .port = self ? 47100 : atoi(argv[1]), .bytes = self ? 1 << 20 : atol(argv[3])},
		{.cpu = cpus - 1, .port = self ? 47101 : atoi(argv[2]), .bytes = self ? 1 << 20 : atol(argv[3])},
	};
	pthread_t readers[2], clients[2];
	pthread_barrier_init(&listening, 0, 3);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&readers[i], 0, reader, &flows[i]) == 0);
	/* One line once both listen, so the test can wait for it. */
	pthread_barrier_wait(&listening);
	printf("net_channels: listening on %d (cpu %d) and %d (cpu %d)\n", flows[0].port, flows[0].cpu,
	       flows[1].port, flows[1].cpu);
	fflush(stdout);
	if (self)
		for (int i = 0; i < 2; i++)
			CHECK(pthread_create(&clients[i], 0, client, &flows[i]) == 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(readers[i], 0);
		if (self)
			pthread_join(clients[i], 0);
		CHECK_EQ(flows[i].got, flows[i].bytes);
	}
	if (!self) {
		FILE *f = fopen("/proc/ringo_net", "r");
		char line[256];
		while (f && fgets(line, sizeof line, f))
			fputs(line, stdout);
		if (f)
			fclose(f);
	}
	return check_done();
}
