/* A TCP echo server as event-driven servers write one: non-blocking
 * sockets (accept4 with SOCK_NONBLOCK), one epoll set, edge-triggered
 * (EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), every socket drained until
 * EAGAIN, and partial writes kept until EPOLLOUT says there is room.
 *
 * Usage:
 *   epoll_echo PORT CONNECTIONS
 *       serves on all addresses at PORT (0: any free port), prints
 *       `epoll_echo: listening PORT`, and after CONNECTIONS connections
 *       have been echoed and closed prints what it echoed, then ok.
 *   epoll_echo
 *       the self-test: the same server in a child process on 127.0.0.1,
 *       and SELF_CLIENTS clients at once in this one, each sending
 *       SELF_BYTES without waiting for the echo (so the server meets full
 *       send buffers), every echoed byte checked. Whether the
 *       server's writes meet EAGAIN depends on the kernel's buffers (a
 *       Linux host autotunes them past this load); it says how many did. */
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define BUFFER 65536
#define MAX_EVENTS 64
#define SELF_CLIENTS 8
#define SELF_BYTES (1 << 20)
#define SELF_TIMEOUT_MS 30000
#define SLOW_RCVBUF 16384

/* Byte i of connection c's stream. */
static uint8_t pattern(unsigned c, size_t i) { return (uint8_t)((i * 13 + c * 7 + 1) % 253); }

struct conn {
	int fd;
	size_t off, len; /* buf[off..len] is read but not yet echoed */
	uint8_t buf[BUFFER];
};

struct totals {
	long connections, bytes, partial_writes, eagain_writes;
};

/* Echoes until the socket would block in the direction it needs. Returns
 * 1 when the connection is over (EOF after everything was echoed, or an
 * error), 0 when an edge must come first. */
static int serve(struct conn *c, struct totals *t)
{
	for (;;) {
		while (c->off < c->len) {
			ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN) {
				t->eagain_writes++;
				return 0; /* EPOLLOUT will come */
			}
			if (n <= 0) {
				fprintf(stderr, "FAIL: epoll_echo: write: %s\n", strerror(errno));
				check_failures++;
				return 1;
			}
			if ((size_t)n < c->len - c->off)
				t->partial_writes++;
			c->off += n;
			t->bytes += n;
		}
		ssize_t n = read(c->fd, c->buf, sizeof c->buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0; /* EPOLLIN will come */
		if (n < 0) {
			fprintf(stderr, "FAIL: epoll_echo: read: %s\n", strerror(errno));
			check_failures++;
			return 1;
		}
		if (n == 0)
			return 1;
		c->off = 0;
		c->len = n;
	}
}

/* Serves `listener` (non-blocking, listening) until `connections` were
 * echoed and closed. */
static void run_server(int listener, long connections, struct totals *t)
{
	int ep = OK(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
	OK(epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev));
	struct epoll_event events[MAX_EVENTS];
	while (t->connections < connections && !check_failures) {
		int n = epoll_wait(ep, events, MAX_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			OK(n);
			break;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if (!c) {
				/* Edge-triggered: accept every pending connection. */
				for (;;) {
					int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0) {
						if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
							OK(fd);
						if (errno == EINTR || errno == ECONNABORTED)
							continue;
						break;
					}
					int one = 1;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
					struct conn *nc = calloc(1, sizeof *nc);
					nc->fd = fd;
					struct epoll_event cev = {
						.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						.data.ptr = nc,
					};
					OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev));
					/* Data may have come before the registration: the
					 * registration reports it, but serving now is
					 * harmless and does not depend on that. */
					if (serve(nc, t)) {
						close(fd);
						free(nc);
						t->connections++;
					}
				}
				continue;
			}
			if (events[i].events & EPOLLERR) {
				int err = 0;
				socklen_t len = sizeof err;
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				fprintf(stderr, "epoll_echo: connection error: %s\n", strerror(err));
			}
			if (serve(c, t)) {
				close(c->fd); /* closing removes it from the set */
				free(c);
				t->connections++;
			}
		}
	}
	close(ep);
}

/* A listening non-blocking socket on `addr`:`port` (network order). */
static int listen_on(in_addr_t addr, uint16_t port)
{
	int fd = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	int one = 1;
	OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = port, .sin_addr.s_addr = addr};
	if (OK(bind(fd, (struct sockaddr *)&sa, sizeof sa)) < 0 || OK(listen(fd, 128)) < 0)
		exit(check_done());
	return fd;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	return ntohs(sa.sin_port);
}

static void print_totals(const struct totals *t)
{
	printf("epoll_echo: %ld connections, %ld bytes echoed, %ld partial writes, %ld writes met EAGAIN\n",
	       t->connections, t->bytes, t->partial_writes, t->eagain_writes);
}

static int server_mode(const char *port_arg, const char *count_arg)
{
	char *end;
	long port = strtol(port_arg, &end, 10);
	long count = strtol(count_arg, &end, 10);
	if (port < 0 || port > 65535 || count < 1 || *end) {
		fprintf(stderr, "FAIL: epoll_echo: usage: epoll_echo [PORT CONNECTIONS]\n");
		return 2;
	}
	int listener = listen_on(htonl(INADDR_ANY), htons(port));
	printf("epoll_echo: listening %u\n", port_of(listener));
	fflush(stdout);
	struct totals t = {0};
	run_server(listener, count, &t);
	print_totals(&t);
	return check_done();
}

/* One self-test client's state. */
struct client {
	int fd;
	size_t sent, received;
	int done_writing;
};

/* SELF_CLIENTS connections at once, written and read through poll. */
static void self_clients(uint16_t port)
{
	struct client cl[SELF_CLIENTS];
	struct pollfd pfd[SELF_CLIENTS];
	for (unsigned c = 0; c < SELF_CLIENTS; c++) {
		cl[c] = (struct client){.fd = OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0))};
		/* A small receive window, so that the echo backs up. */
		int rcvbuf = SLOW_RCVBUF;
		OK(setsockopt(cl[c].fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf));
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		int r = connect(cl[c].fd, (struct sockaddr *)&sa, sizeof sa);
		CHECK(r == 0 || errno == EINPROGRESS);
	}
	static uint8_t out[16384], in[16384];
	int open_clients = SELF_CLIENTS;
	while (open_clients > 0) {
		for (unsigned c = 0; c < SELF_CLIENTS; c++) {
			pfd[c].fd = cl[c].fd;
			pfd[c].events = POLLIN | (cl[c].done_writing ? 0 : POLLOUT);
			pfd[c].revents = 0;
		}
		int n = poll(pfd, SELF_CLIENTS, SELF_TIMEOUT_MS);
		if (n <= 0) {
			fprintf(stderr, "FAIL: epoll_echo: the self-test clients stalled (poll %d)\n", n);
			check_failures++;
			return;
		}
		for (unsigned c = 0; c < SELF_CLIENTS; c++) {
			struct client *k = &cl[c];
			if (k->fd < 0)
				continue;
			if ((pfd[c].revents & POLLOUT) && !k->done_writing) {
				size_t want = SELF_BYTES - k->sent < sizeof out ? SELF_BYTES - k->sent : sizeof out;
				for (size_t i = 0; i < want; i++)
					out[i] = pattern(c, k->sent + i);
				ssize_t w = write(k->fd, out, want);
				if (w > 0)
					k->sent += w;
				else if (errno != EAGAIN)
					OK(w);
				if (k->sent == SELF_BYTES) {
					OK(shutdown(k->fd, SHUT_WR));
					k->done_writing = 1;
				}
			}
			/* Reading only when there is no room to write (or
			 * nothing more to send) lets the echo back up into the
			 * server's send buffer, so its writes meet EAGAIN. */
			int writable = (pfd[c].revents & POLLOUT) && !k->done_writing;
			if ((pfd[c].revents & (POLLIN | POLLHUP | POLLERR)) && !writable) {
				ssize_t r = read(k->fd, in, sizeof in);
				if (r < 0 && errno == EAGAIN)
					continue;
				if (r <= 0) {
					OK(r);
					CHECK_EQ(k->received, SELF_BYTES);
					CHECK(k->done_writing);
					close(k->fd);
					k->fd = -1;
					open_clients--;
					continue;
				}
				for (ssize_t i = 0; i < r; i++)
					if (in[i] != pattern(c, k->received + i)) {
						fprintf(stderr, "FAIL: epoll_echo: client %u: byte %zu is %u, not %u\n", c,
							k->received + i, in[i], pattern(c, k->received + i));
						check_failures++;
						exit(check_done());
					}
				k->received += r;
			}
		}
	}
}

static int self_test(void)
{
	int listener = listen_on(htonl(INADDR_LOOPBACK), 0);
	uint16_t port = port_of(listener);
	fflush(stdout);
	pid_t server = OK(fork());
	if (server == 0) {
		struct totals t = {0};
		run_server(listener, SELF_CLIENTS, &t);
		CHECK_EQ(t.bytes, (long)SELF_CLIENTS * SELF_BYTES);
		print_totals(&t);
		fflush(stdout);
		_exit(check_failures ? 1 : 0);
	}
	close(listener);
	self_clients(port);
	int status = 0;
	if (check_failures)
		kill(server, SIGKILL);
	CHECK_EQ(OK(waitpid(server, &status, 0)), server);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return check_done();
}

int main(int argc, char **argv)
{
	check_start("epoll_echo");
	signal(SIGPIPE, SIG_IGN);
	if (argc == 3)
		return server_mode(argv[1], argv[2]);
	if (argc != 1) {
		fprintf(stderr, "FAIL: epoll_echo: usage: epoll_echo [PORT CONNECTIONS]\n");
		return 2;
	}
	return self_test();
}
