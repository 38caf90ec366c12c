/* A UDP echo server: every datagram goes back to its sender unchanged,
 * until a datagram `quit`, which is answered `bye N` (N datagrams echoed
 * before it).
 *
 * Usage:
 *   udp_echo PORT
 *       serves on all addresses at PORT (0: any free port), prints
 *       `udp_echo: listening PORT`, and after `quit` prints
 *       `udp_echo: echoed N datagrams`, then ok.
 *   udp_echo
 *       the self-test: the server in a child process on 127.0.0.1 and a
 *       client here sending SELF_DATAGRAMS numbered datagrams of varying
 *       sizes, through a connected socket and through sendto/recvfrom,
 *       each echo checked byte for byte and the count checked at the end. */
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define MAX_DATAGRAM 65536
#define SELF_DATAGRAMS 2000
#define SELF_TIMEOUT_MS 10000
#define QUIT "quit"

static uint16_t port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	return ntohs(sa.sin_port);
}

static int bound_socket(in_addr_t addr, uint16_t port)
{
	int fd = OK(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = port, .sin_addr.s_addr = addr};
	if (OK(bind(fd, (struct sockaddr *)&sa, sizeof sa)) < 0)
		exit(check_done());
	return fd;
}

/* Echoes on `fd` until `quit`; returns the number echoed. */
static long serve(int fd)
{
	static uint8_t buf[MAX_DATAGRAM];
	long echoed = 0;
	for (;;) {
		struct sockaddr_in from;
		socklen_t len = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			OK(n);
			return echoed;
		}
		if (n == (ssize_t)strlen(QUIT) && memcmp(buf, QUIT, n) == 0) {
			char bye[32];
			int k = snprintf(bye, sizeof bye, "bye %ld", echoed);
			OK(sendto(fd, bye, k, 0, (struct sockaddr *)&from, len));
			return echoed;
		}
		ssize_t w = sendto(fd, buf, n, 0, (struct sockaddr *)&from, len);
		if (w == n)
			echoed++;
		else
			CHECK_EQ(w, n);
	}
}

static int server_mode(const char *port_arg)
{
	char *end;
	long port = strtol(port_arg, &end, 10);
	if (port < 0 || port > 65535 || *end) {
		fprintf(stderr, "FAIL: udp_echo: usage: udp_echo [PORT]\n");
		return 2;
	}
	int fd = bound_socket(htonl(INADDR_ANY), htons(port));
	printf("udp_echo: listening %u\n", port_of(fd));
	fflush(stdout);
	long echoed = serve(fd);
	printf("udp_echo: echoed %ld datagrams\n", echoed);
	return check_done();
}

/* Datagram i: its number, then bytes that depend on it; 8 to ~1400 bytes. */
static size_t make_datagram(uint8_t *buf, uint32_t i)
{
	size_t len = 8 + (i * 37) % 1393;
	memcpy(buf, &i, sizeof i);
	for (size_t k = sizeof i; k < len; k++)
		buf[k] = (uint8_t)(i + k * 3);
	return len;
}

/* Waits for a datagram on fd; its length, or -1 on a timeout. */
static ssize_t receive(int fd, uint8_t *buf, size_t size, struct sockaddr_in *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, SELF_TIMEOUT_MS) != 1)
		return -1;
	socklen_t len = sizeof *from;
	return recvfrom(fd, buf, size, 0, (struct sockaddr *)from, &len);
}

static void self_client(uint16_t port)
{
	static uint8_t out[MAX_DATAGRAM], in[MAX_DATAGRAM];
	struct sockaddr_in server = {.sin_family = AF_INET, .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	/* Half through sendto on an unconnected socket, half connected. */
	int loose = OK(socket(AF_INET, SOCK_DGRAM, 0));
	int connected = OK(socket(AF_INET, SOCK_DGRAM, 0));
	OK(connect(connected, (struct sockaddr *)&server, sizeof server));
	for (uint32_t i = 0; i < SELF_DATAGRAMS && !check_failures; i++) {
		int fd = i % 2 ? connected : loose;
		size_t len = make_datagram(out, i);
		ssize_t w = fd == loose ? sendto(fd, out, len, 0, (struct sockaddr *)&server, sizeof server)
					: send(fd, out, len, 0);
		CHECK_EQ(w, (ssize_t)len);
		struct sockaddr_in from;
		ssize_t r = receive(fd, in, sizeof in, &from);
		CHECK_EQ(r, (ssize_t)len);
		if (r == (ssize_t)len) {
			CHECK_MEM(in, out, len);
			CHECK_EQ(from.sin_port, server.sin_port);
			CHECK_EQ(from.sin_addr.s_addr, server.sin_addr.s_addr);
		}
	}
	OK(send(connected, QUIT, strlen(QUIT), 0));
	struct sockaddr_in from;
	ssize_t r = receive(connected, in, sizeof in - 1, &from);
	CHECK(r > 0);
	in[r > 0 ? r : 0] = 0;
	char expected[32];
	snprintf(expected, sizeof expected, "bye %d", SELF_DATAGRAMS);
	if (strcmp((char *)in, expected) != 0) {
		fprintf(stderr, "FAIL: udp_echo: the server said %s, not %s\n", (char *)in, expected);
		check_failures++;
	}
	close(loose);
	close(connected);
}

static int self_test(void)
{
	int fd = bound_socket(htonl(INADDR_LOOPBACK), 0);
	uint16_t port = port_of(fd);
	fflush(stdout);
	pid_t server = OK(fork());
	if (server == 0) {
		long echoed = serve(fd);
		printf("udp_echo: echoed %ld datagrams\n", echoed);
		fflush(stdout);
		_exit(check_failures ? 1 : 0);
	}
	close(fd);
	self_client(port);
	if (check_failures)
		kill(server, SIGKILL);
	int status = 0;
	CHECK_EQ(OK(waitpid(server, &status, 0)), server);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return check_done();
}

int main(int argc, char **argv)
{
	check_start("udp_echo");
	if (argc == 2)
		return server_mode(argv[1]);
	if (argc != 1) {
		fprintf(stderr, "FAIL: udp_echo: usage: udp_echo [PORT]\n");
		return 2;
	}
	return self_test();
}
