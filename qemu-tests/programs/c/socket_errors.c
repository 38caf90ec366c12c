/* Bad arguments to every AF_INET socket call get the errno Linux gives:
 * bad and non-socket descriptors, bad pointers (NULL, an unmapped page,
 * the kernel's half), short, huge and negative lengths, wrong families,
 * addresses that are not ours or in use, calls in the wrong state, bad
 * flags and options. Raw syscall() throughout, so the C library's own
 * checks do not stand in for the kernel's.
 *
 * Linux checks a buffer's range (access_ok) before it waits, but reads
 * or writes it only when data moves: a kernel-half buffer fails at once,
 * a NULL or unmapped one only once there is data (so a blocking receive
 * into NULL waits; an interval timer ends each such wait with EINTR, so
 * a call that should not have waited fails its check instead of hanging).
 *
 * AF_INET6 is not there in Ringo (Go then falls back to IPv4): socket()
 * may fail with EAFNOSUPPORT or succeed. Everything else is over the
 * loopback, so it runs the same on any host and in any guest. */
#include "check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>

#define KERNEL ((void *)0xffffffff80000000UL)
/* How long a call that must not wait may take before the timer ends it. */
#define GUARD_MS 300

static void *unmapped;
static int pipe_fds[2];
static int closed_fd;

static void on_alarm(int sig) { (void)sig; }

/* An interval timer that interrupts the next wait (no SA_RESTART). */
static void guard(void)
{
	struct itimerval t = {{0, 0}, {0, GUARD_MS * 1000}};
	setitimer(ITIMER_REAL, &t, NULL);
}

static void unguard(void)
{
	struct itimerval t = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &t, NULL);
}

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static int tcp(void) { return (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); }
static int udp(void) { return (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0); }

static uint16_t port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	return ntohs(sa.sin_port);
}

/* A listener on 127.0.0.1 at a free port. */
static int listener(uint16_t *port)
{
	int fd = OK(tcp());
	struct sockaddr_in sa = loopback(0);
	OK(bind(fd, (struct sockaddr *)&sa, sizeof sa));
	OK(listen(fd, 8));
	*port = port_of(fd);
	return fd;
}

/* A connected pair over the loopback: *client and *server. */
static void tcp_pair(int *client, int *server)
{
	uint16_t port;
	int l = listener(&port);
	struct sockaddr_in sa = loopback(port);
	*client = OK(tcp());
	OK(connect(*client, (struct sockaddr *)&sa, sizeof sa));
	*server = OK(accept(l, NULL, NULL));
	close(l);
}

static void sockets(void)
{
	ERR(syscall(SYS_socket, 9999, SOCK_STREAM, 0), EAFNOSUPPORT);
	ERR(syscall(SYS_socket, -1, SOCK_STREAM, 0), EAFNOSUPPORT);
	ERR(syscall(SYS_socket, AF_INET, 12, 0), EINVAL);	     /* past SOCK_MAX */
	ERR(syscall(SYS_socket, AF_INET, SOCK_STREAM | 0x40, 0), EINVAL); /* a flag no one has */
	ERR(syscall(SYS_socket, AF_INET, -1, 0), EINVAL);
	ERR(syscall(SYS_socket, AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	ERR(syscall(SYS_socket, AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	ERR(syscall(SYS_socket, AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	ERR(syscall(SYS_socket, AF_INET, SOCK_DGRAM, 200), EPROTONOSUPPORT);
	ERR(syscall(SYS_socket, AF_INET, SOCK_STREAM, -1), EINVAL);
	ERR(syscall(SYS_socket, AF_INET, SOCK_STREAM, 300), EINVAL); /* past IPPROTO_MAX */
	errno = 0;
	long v6 = syscall(SYS_socket, AF_INET6, SOCK_STREAM, 0);
	CHECK(v6 >= 0 || errno == EAFNOSUPPORT);
	if (v6 >= 0)
		close((int)v6);
}

/* Every call on a descriptor that is not open, and on one that is a pipe. */
static void descriptors(void)
{
	struct sockaddr_in sa = loopback(9);
	socklen_t len = sizeof sa;
	int one = 1;
	char c = 0;
	struct iovec iov = {&c, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[] = {closed_fd, -1, 9999, 1 << 30};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0] + 1; i++) {
		int fd = i < sizeof fds / sizeof fds[0] ? fds[i] : pipe_fds[0];
		int e = i < sizeof fds / sizeof fds[0] ? EBADF : ENOTSOCK;
		ERR(syscall(SYS_bind, fd, &sa, sizeof sa), e);
		ERR(syscall(SYS_connect, fd, &sa, sizeof sa), e);
		ERR(syscall(SYS_listen, fd, 1), e);
		ERR(syscall(SYS_accept, fd, NULL, NULL), e);
		ERR(syscall(SYS_accept4, fd, NULL, NULL, SOCK_CLOEXEC), e);
		ERR(syscall(SYS_getsockname, fd, &sa, &len), e);
		ERR(syscall(SYS_getpeername, fd, &sa, &len), e);
		ERR(syscall(SYS_sendto, fd, &c, 1, 0, &sa, sizeof sa), e);
		ERR(syscall(SYS_recvfrom, fd, &c, 1, MSG_DONTWAIT, NULL, NULL), e);
		ERR(syscall(SYS_sendmsg, fd, &msg, 0), e);
		ERR(syscall(SYS_recvmsg, fd, &msg, MSG_DONTWAIT), e);
		/* The descriptor comes before the message header. */
		ERR(syscall(SYS_sendmsg, fd, NULL, 0), e);
		ERR(syscall(SYS_recvmsg, fd, KERNEL, 0), e);
		ERR(syscall(SYS_shutdown, fd, SHUT_RDWR), e);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), e);
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &one, &len), e);
	}
}

/* Addresses given to bind, connect and sendto: each call's own order of
 * checks (the copy's length, the copy, then the protocol's length and
 * family). */
static void addresses(void)
{
	void *bad[] = {NULL, unmapped, KERNEL};
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	*in = loopback(0);
	struct sockaddr_in6 six = {.sin6_family = AF_INET6};
	struct sockaddr_in unix_family = {.sin_family = AF_UNIX};
	int t = OK(tcp()), u = OK(udp());
	int socks[] = {t, u};
	for (int s = 0; s < 2; s++) {
		int fd = socks[s];
		for (size_t i = 0; i < 3; i++) {
			ERR(syscall(SYS_bind, fd, bad[i], sizeof(struct sockaddr_in)), EFAULT);
			ERR(syscall(SYS_connect, fd, bad[i], sizeof(struct sockaddr_in)), EFAULT);
			ERR(syscall(SYS_bind, fd, bad[i], 8), EFAULT); /* copied before the length is judged */
		}
		/* Nothing to copy: the protocol's length check. */
		ERR(syscall(SYS_bind, fd, NULL, 0), EINVAL);
		ERR(syscall(SYS_connect, fd, NULL, 0), EINVAL);
		ERR(syscall(SYS_connect, fd, in, 1), EINVAL);
		for (socklen_t len = 2; len < sizeof(struct sockaddr_in); len += 6) {
			ERR(syscall(SYS_bind, fd, in, len), EINVAL);
			ERR(syscall(SYS_connect, fd, in, len), EINVAL);
			ERR(syscall(SYS_bind, fd, &six, len), EINVAL); /* the length before the family */
		}
		/* Longer than any address: refused before the copy. */
		unsigned lens[] = {sizeof ss + 1, 1000, 0x7fffffff, 0xffffffff};
		for (size_t i = 0; i < 4; i++) {
			ERR(syscall(SYS_bind, fd, in, lens[i]), EINVAL);
			ERR(syscall(SYS_connect, fd, in, lens[i]), EINVAL);
			ERR(syscall(SYS_bind, fd, NULL, lens[i]), EINVAL);
		}
		/* But a long length with room behind it is fine to copy. */
		ERR(syscall(SYS_bind, fd, &six, sizeof six), EAFNOSUPPORT);
		ERR(syscall(SYS_connect, fd, &six, sizeof six), EAFNOSUPPORT);
		ERR(syscall(SYS_bind, fd, &unix_family, sizeof unix_family), EAFNOSUPPORT);
		ERR(syscall(SYS_connect, fd, &unix_family, sizeof unix_family), EAFNOSUPPORT);
		/* The port 9 on a closed socket: all refused before anything is sent. */
		char c = 'x';
		ERR(syscall(SYS_sendto, fd, &c, 1, MSG_NOSIGNAL, KERNEL, sizeof *in), EFAULT);
		ERR(syscall(SYS_sendto, fd, &c, 1, MSG_NOSIGNAL, (void *)1, sizeof *in), EFAULT);
		ERR(syscall(SYS_sendto, fd, &c, 1, MSG_NOSIGNAL, in, 1000), EINVAL);
		ERR(syscall(SYS_sendto, fd, &c, 1, MSG_NOSIGNAL, in, -1), EINVAL);
		ERR(syscall(SYS_sendto, fd, KERNEL, 1, MSG_NOSIGNAL, in, sizeof *in), EFAULT);
	}
	/* UDP judges a sendto's address; TCP ignores it (not connected: EPIPE). */
	char c = 'x';
	struct sockaddr_in nine = loopback(9);
	ERR(syscall(SYS_sendto, u, &c, 1, 0, &nine, 8), EINVAL);
	ERR(syscall(SYS_sendto, u, &c, 1, 0, &six, sizeof six), EAFNOSUPPORT);
	ERR(syscall(SYS_sendto, u, NULL, 1, 0, &nine, sizeof nine), EFAULT);
	ERR(syscall(SYS_sendto, u, unmapped, 1, 0, &nine, sizeof nine), EFAULT);
	static char big[70000];
	ERR(syscall(SYS_sendto, u, big, sizeof big, 0, &nine, sizeof nine), EMSGSIZE);
	ERR(syscall(SYS_sendto, u, &c, 1, 0, NULL, 0), EDESTADDRREQ);
	ERR(syscall(SYS_sendto, t, &c, 1, MSG_NOSIGNAL, &nine, 8), EPIPE);
	ERR(syscall(SYS_sendto, t, &c, 1, MSG_NOSIGNAL, &six, sizeof six), EPIPE);
	ERR(syscall(SYS_sendto, t, &c, 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
	/* The failed calls bound nothing. */
	CHECK_EQ(port_of(t), 0);
	close(t);
	close(u);
}

static void binding(void)
{
	int types[] = {SOCK_STREAM, SOCK_DGRAM};
	for (int i = 0; i < 2; i++) {
		int a = OK(syscall(SYS_socket, AF_INET, types[i], 0));
		int b = OK(syscall(SYS_socket, AF_INET, types[i], 0));
		struct sockaddr_in sa = loopback(0);
		OK(bind(a, (struct sockaddr *)&sa, sizeof sa));
		ERR(bind(a, (struct sockaddr *)&sa, sizeof sa), EINVAL); /* twice */
		sa.sin_port = htons(port_of(a));
		ERR(bind(b, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE);
		sa.sin_addr.s_addr = htonl(INADDR_ANY);
		ERR(bind(b, (struct sockaddr *)&sa, sizeof sa), EADDRINUSE);
		/* TEST-NET-1 is no one's. */
		struct sockaddr_in far = loopback(0);
		far.sin_addr.s_addr = inet_addr("192.0.2.1");
		ERR(bind(b, (struct sockaddr *)&far, sizeof far), EADDRNOTAVAIL);
		CHECK_EQ(port_of(b), 0);
		close(a);
		close(b);
	}
}

static void states(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	char c = 'x';
	/* A port held by a bound socket that does not listen: refused. */
	int holder = OK(tcp());
	sa = loopback(0);
	OK(bind(holder, (struct sockaddr *)&sa, sizeof sa));
	sa = loopback(port_of(holder));
	int t = OK(tcp());
	guard();
	ERR(connect(t, (struct sockaddr *)&sa, sizeof sa), ECONNREFUSED);
	unguard();
	close(t);

	t = OK(tcp());
	int u = OK(udp());
	ERR(syscall(SYS_accept4, t, NULL, NULL, 0), EINVAL); /* not listening */
	ERR(syscall(SYS_accept4, holder, NULL, NULL, 0), EINVAL);
	ERR(syscall(SYS_accept4, u, NULL, NULL, 0), EOPNOTSUPP);
	ERR(syscall(SYS_listen, u, 1), EOPNOTSUPP);
	/* Not connected: checked before the address is looked at. */
	ERR(syscall(SYS_getpeername, t, &sa, &len), ENOTCONN);
	ERR(syscall(SYS_getpeername, t, NULL, NULL), ENOTCONN);
	ERR(syscall(SYS_getpeername, u, &sa, &len), ENOTCONN);
	ERR(syscall(SYS_getpeername, holder, KERNEL, KERNEL), ENOTCONN);
	ERR(syscall(SYS_sendto, t, &c, 1, MSG_NOSIGNAL, NULL, 0), EPIPE);
	ERR(syscall(SYS_recvfrom, t, &c, 1, 0, NULL, NULL), ENOTCONN);
	ERR(syscall(SYS_shutdown, t, SHUT_RDWR), ENOTCONN);
	ERR(syscall(SYS_shutdown, u, SHUT_RD), ENOTCONN);
	int hows[] = {-1, 3, 1000};
	for (int i = 0; i < 3; i++) {
		ERR(syscall(SYS_shutdown, t, hows[i]), EINVAL);
		ERR(syscall(SYS_shutdown, u, hows[i]), EINVAL);
	}
	/* A negative backlog means "the most" (somaxconn), not an error. */
	uint16_t port;
	int l = listener(&port);
	OK(listen(l, -1));
	OK(listen(l, 0x7fffffff));
	ERR(syscall(SYS_accept4, l, NULL, NULL, 0x4000), EINVAL); /* not a SOCK_ flag */
	ERR(syscall(SYS_accept4, l, NULL, NULL, -1), EINVAL);
	ERR(syscall(SYS_accept4, l, NULL, NULL, O_NONBLOCK | O_APPEND), EINVAL);
	ERR(syscall(SYS_accept4, l, NULL, NULL, SOCK_NONBLOCK | 1), EINVAL);
	/* No connection yet, and asked not to wait. */
	int fl = fcntl(l, F_GETFL);
	OK(fcntl(l, F_SETFL, fl | O_NONBLOCK));
	ERR(syscall(SYS_accept4, l, NULL, NULL, 0), EAGAIN);
	OK(fcntl(l, F_SETFL, fl));
	/* The peer's address is written after the connection is taken: a bad
	 * place for it loses the connection with EFAULT. */
	int client = OK(tcp());
	sa = loopback(port);
	OK(connect(client, (struct sockaddr *)&sa, sizeof sa));
	len = sizeof sa;
	guard();
	ERR(syscall(SYS_accept4, l, KERNEL, &len, 0), EFAULT);
	unguard();
	close(client);
	len = sizeof sa;
	ERR(syscall(SYS_getsockname, l, NULL, &len), EFAULT);
	ERR(syscall(SYS_getsockname, l, &sa, NULL), EFAULT);
	ERR(syscall(SYS_getsockname, l, &sa, KERNEL), EFAULT);
	ERR(syscall(SYS_getsockname, l, KERNEL, &len), EFAULT);
	len = -1;
	ERR(syscall(SYS_getsockname, l, &sa, &len), EINVAL);
	/* No room asked: nothing written but the length. */
	len = 0;
	OK(syscall(SYS_getsockname, l, NULL, &len));
	CHECK_EQ(len, sizeof sa);
	close(l);
	close(t);
	close(u);
	close(holder);
}

static void options(void)
{
	int t = OK(tcp()), u = OK(udp());
	int socks[] = {t, u};
	int one = 1;
	for (int s = 0; s < 2; s++) {
		int fd = socks[s];
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, 9999, &one, sizeof one), ENOPROTOOPT);
		ERR(syscall(SYS_setsockopt, fd, 9999, SO_REUSEADDR, &one, sizeof one), ENOPROTOOPT);
		ERR(syscall(SYS_setsockopt, fd, IPPROTO_IP, 9999, &one, sizeof one), ENOPROTOOPT);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, 2), EINVAL);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, 0), EINVAL);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, -1), EINVAL);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, &one, sizeof one), EINVAL);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, NULL, sizeof one), EFAULT);
		ERR(syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, KERNEL, sizeof one), EFAULT);
		/* IP options take an int or a single byte (0 bytes: the value 0). */
		OK(syscall(SYS_setsockopt, fd, IPPROTO_IP, IP_TOS, &one, 1));
		OK(syscall(SYS_setsockopt, fd, IPPROTO_IP, IP_TOS, NULL, 0));

		int v;
		socklen_t len = sizeof v;
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
		ERR(syscall(SYS_getsockopt, fd, 9999, SO_TYPE, &v, &len), EOPNOTSUPP);
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &v, KERNEL), EFAULT);
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, NULL, &len), EFAULT);
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, KERNEL, &len), EFAULT);
		len = -1;
		ERR(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
		/* No room: nothing written, a length of 0 back. */
		len = 0;
		OK(syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, NULL, &len));
		CHECK_EQ(len, 0);
	}
	ERR(syscall(SYS_setsockopt, t, IPPROTO_TCP, 9999, &one, sizeof one), ENOPROTOOPT);
	ERR(syscall(SYS_setsockopt, t, IPPROTO_TCP, TCP_NODELAY, &one, 2), EINVAL);
	ERR(syscall(SYS_setsockopt, t, IPPROTO_TCP, TCP_NODELAY, NULL, sizeof one), EFAULT);
	int zero = 0;
	ERR(syscall(SYS_setsockopt, t, IPPROTO_TCP, TCP_KEEPIDLE, &zero, sizeof zero), EINVAL);
	ERR(syscall(SYS_setsockopt, u, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), ENOPROTOOPT);
	int v;
	socklen_t len = sizeof v;
	ERR(syscall(SYS_getsockopt, t, IPPROTO_TCP, 9999, &v, &len), ENOPROTOOPT);
	/* UDP hands other levels to IP, which knows only its own. */
	ERR(syscall(SYS_getsockopt, u, IPPROTO_TCP, TCP_NODELAY, &v, &len), EOPNOTSUPP);
	close(t);
	close(u);
}

/* Receiving and sending on connected sockets with bad buffers. */
static void data(void)
{
	int client, server;
	tcp_pair(&client, &server);
	char buf[16];
	/* No data: EAGAIN when asked not to wait, either way. */
	ERR(syscall(SYS_recvfrom, server, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL), EAGAIN);
	int fl = fcntl(server, F_GETFL);
	OK(fcntl(server, F_SETFL, fl | O_NONBLOCK));
	ERR(syscall(SYS_recvfrom, server, buf, sizeof buf, 0, NULL, NULL), EAGAIN);
	ERR(read(server, buf, sizeof buf), EAGAIN);
	/* A NULL buffer is only written when there is data. */
	ERR(syscall(SYS_recvfrom, server, NULL, sizeof buf, 0, NULL, NULL), EAGAIN);
	OK(fcntl(server, F_SETFL, fl));
	/* A buffer in the kernel's half fails before any wait... */
	guard();
	ERR(syscall(SYS_recvfrom, server, KERNEL, sizeof buf, 0, NULL, NULL), EFAULT);
	unguard();
	/* ...and so does one whose end wraps around. */
	guard();
	ERR(syscall(SYS_recvfrom, server, (void *)-16L, 32, 0, NULL, NULL), EFAULT);
	unguard();
	guard();
	struct iovec kiov = {KERNEL, 8};
	struct msghdr kmsg = {.msg_iov = &kiov, .msg_iovlen = 1};
	ERR(syscall(SYS_recvmsg, server, &kmsg, 0), EFAULT);
	unguard();
	/* A NULL one waits for data like any other (the timer ends it). */
	guard();
	ERR(syscall(SYS_recvfrom, server, NULL, sizeof buf, 0, NULL, NULL), EINTR);
	unguard();
	ERR(syscall(SYS_recvmsg, server, NULL, 0), EFAULT);
	ERR(syscall(SYS_recvmsg, server, KERNEL, 0), EFAULT);
	ERR(syscall(SYS_sendmsg, server, NULL, 0), EFAULT);
	ERR(syscall(SYS_sendmsg, server, unmapped, 0), EFAULT);
	struct iovec iov = {buf, 1};
	struct msghdr many = {.msg_iov = &iov, .msg_iovlen = 1025};
	ERR(syscall(SYS_sendmsg, server, &many, 0), EMSGSIZE);
	ERR(syscall(SYS_recvmsg, server, &many, 0), EMSGSIZE);
	struct msghdr bad_iov = {.msg_iov = KERNEL, .msg_iovlen = 1};
	ERR(syscall(SYS_sendmsg, server, &bad_iov, 0), EFAULT);
	ERR(syscall(SYS_recvmsg, server, &bad_iov, 0), EFAULT);
	ERR(syscall(SYS_sendto, server, KERNEL, 4, 0, NULL, 0), EFAULT);
	ERR(syscall(SYS_sendto, server, NULL, 4, 0, NULL, 0), EFAULT);
	ERR(syscall(SYS_sendto, server, unmapped, 4, 0, NULL, 0), EFAULT);
	/* Data that could not be copied out stays for the next read. */
	CHECK_EQ(write(client, "abcd", 4), 4);
	guard();
	ERR(syscall(SYS_recvfrom, server, NULL, sizeof buf, 0, NULL, NULL), EFAULT);
	unguard();
	guard();
	ERR(syscall(SYS_recvfrom, server, unmapped, sizeof buf, 0, NULL, NULL), EFAULT);
	unguard();
	guard();
	CHECK_EQ(syscall(SYS_recvfrom, server, buf, sizeof buf, 0, NULL, NULL), 4);
	unguard();
	CHECK_MEM(buf, "abcd", 4);
	/* Still a working connection. */
	CHECK_EQ(write(server, "efgh", 4), 4);
	guard();
	CHECK_EQ(read(client, buf, sizeof buf), 4);
	unguard();
	CHECK_MEM(buf, "efgh", 4);
	close(client);
	close(server);

	/* UDP: no data is EAGAIN; a datagram that cannot be copied out is
	 * dropped, whole. */
	int a = OK(udp()), b = OK(udp());
	struct sockaddr_in sa = loopback(0);
	OK(bind(a, (struct sockaddr *)&sa, sizeof sa));
	sa = loopback(port_of(a));
	ERR(syscall(SYS_recvfrom, a, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL), EAGAIN);
	guard();
	ERR(syscall(SYS_recvfrom, a, KERNEL, sizeof buf, 0, NULL, NULL), EFAULT);
	unguard();
	guard();
	ERR(syscall(SYS_recvfrom, a, NULL, sizeof buf, 0, NULL, NULL), EINTR);
	unguard();
	CHECK_EQ(sendto(b, "one", 3, 0, (struct sockaddr *)&sa, sizeof sa), 3);
	CHECK_EQ(sendto(b, "two", 3, 0, (struct sockaddr *)&sa, sizeof sa), 3);
	guard();
	ERR(syscall(SYS_recvfrom, a, NULL, sizeof buf, 0, NULL, NULL), EFAULT);
	unguard();
	guard();
	CHECK_EQ(syscall(SYS_recvfrom, a, buf, sizeof buf, 0, NULL, NULL), 3);
	unguard();
	CHECK_MEM(buf, "two", 3);
	ERR(syscall(SYS_recvfrom, a, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL), EAGAIN);
	/* sendmsg clamps a long name to the longest address; negative is wrong. */
	struct sockaddr_storage ss = {0};
	memcpy(&ss, &sa, sizeof sa);
	struct iovec one = {"3", 1};
	struct msghdr m = {.msg_name = &ss, .msg_namelen = 1000, .msg_iov = &one, .msg_iovlen = 1};
	CHECK_EQ(syscall(SYS_sendmsg, b, &m, 0), 1);
	m.msg_namelen = -1;
	ERR(syscall(SYS_sendmsg, b, &m, 0), EINVAL);
	m.msg_namelen = 8;
	ERR(syscall(SYS_sendmsg, b, &m, 0), EINVAL);
	m.msg_name = KERNEL;
	m.msg_namelen = sizeof sa;
	ERR(syscall(SYS_sendmsg, b, &m, 0), EFAULT);
	guard();
	CHECK_EQ(syscall(SYS_recvfrom, a, buf, sizeof buf, 0, NULL, NULL), 1);
	unguard();
	close(a);
	close(b);
}

/* sendmmsg/recvmmsg: several datagrams in one call, their lengths in
 * msg_len; MSG_WAITFORONE returns what is there after the first; the
 * usual errors for a bad descriptor, a non-socket and a bad vector. */
static void batches(void)
{
	int a = OK(udp()), b = OK(udp());
	struct sockaddr_in sa = loopback(0);
	OK(bind(b, (struct sockaddr *)&sa, sizeof sa));
	sa = loopback(port_of(b));
	OK(connect(a, (struct sockaddr *)&sa, sizeof sa));
	char out[3][8] = {"one", "two22", "three"};
	struct iovec oiov[3];
	struct mmsghdr omsg[3];
	memset(omsg, 0, sizeof omsg);
	for (int i = 0; i < 3; i++) {
		oiov[i] = (struct iovec){out[i], strlen(out[i])};
		omsg[i].msg_hdr.msg_iov = &oiov[i];
		omsg[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(syscall(SYS_sendmmsg, a, omsg, 3, 0), 3);
	CHECK_EQ(omsg[1].msg_len, 5);
	char in[4][16];
	struct iovec iiov[4];
	struct mmsghdr imsg[4];
	memset(imsg, 0, sizeof imsg);
	for (int i = 0; i < 4; i++) {
		iiov[i] = (struct iovec){in[i], sizeof in[i]};
		imsg[i].msg_hdr.msg_iov = &iiov[i];
		imsg[i].msg_hdr.msg_iovlen = 1;
	}
	usleep(100000);
	/* Three are queued; WAITFORONE does not wait for a fourth. */
	CHECK_EQ(syscall(SYS_recvmmsg, b, imsg, 4, MSG_WAITFORONE, NULL), 3);
	CHECK_EQ(imsg[2].msg_len, 5);
	CHECK(memcmp(in[2], "three", 5) == 0);
	ERR(syscall(SYS_sendmmsg, 9999, omsg, 1, 0), EBADF);
	ERR(syscall(SYS_sendmmsg, pipe_fds[1], omsg, 1, 0), ENOTSOCK);
	ERR(syscall(SYS_recvmmsg, 9999, imsg, 1, 0, NULL), EBADF);
	ERR(syscall(SYS_sendmmsg, a, (void *)0xffffffff80000000UL, 1, 0), EFAULT);
	struct timespec bad = {0, -1};
	ERR(syscall(SYS_recvmmsg, b, imsg, 1, MSG_DONTWAIT, &bad), EINVAL);
	ERR(syscall(SYS_recvmmsg, b, imsg, 1, MSG_DONTWAIT, NULL), EAGAIN);
	/* SO_RCVTIMEO: a blocking receive gives up with EAGAIN. */
	struct timeval tv = {0, 200000};
	OK(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char c;
	ERR(recv(b, &c, 1, 0), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK(ms >= 150 && ms < 5000);
	close(a);
	close(b);
}

/* splice: a file into a pipe at an offset, the pipe into a TCP socket;
 * the bytes arrive whole; neither side a pipe, an offset on a pipe, and a
 * bad descriptor are refused as on Linux. */
static void splicing(void)
{
	char path[] = "/tmp/socket_errors.splice";
	int f = OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	const char text[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	CHECK_EQ(write(f, text, sizeof text - 1), (long)sizeof text - 1);
	int p[2];
	OK(pipe(p));
	int client, server;
	tcp_pair(&client, &server);
	loff_t off = 10;
	CHECK_EQ(syscall(SYS_splice, f, &off, p[1], NULL, 16, 0), 16);
	CHECK_EQ(off, 26);
	CHECK_EQ(syscall(SYS_splice, p[0], NULL, client, NULL, 16, 0), 16);
	char got[17] = {0};
	CHECK_EQ(read(server, got, 16), 16);
	CHECK(memcmp(got, "abcdefghijklmnop", 16) == 0);
	ERR(syscall(SYS_splice, f, NULL, client, NULL, 4, 0), EINVAL);
	ERR(syscall(SYS_splice, p[0], &off, client, NULL, 4, 0), ESPIPE);
	ERR(syscall(SYS_splice, 9999, NULL, p[1], NULL, 4, 0), EBADF);
	ERR(syscall(SYS_splice, f, &off, p[1], NULL, 4, 0x100), EINVAL);
	close(p[0]);
	close(p[1]);
	close(client);
	close(server);
	close(f);
	unlink(path);
}

int main(void)
{
	check_start("socket_errors");
	struct sigaction act = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &act, NULL);
	signal(SIGPIPE, SIG_IGN);
	unmapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(unmapped != MAP_FAILED);
	munmap(unmapped, 4096);
	OK(pipe(pipe_fds));
	closed_fd = OK(open("/dev/null", O_RDONLY));
	close(closed_fd);

	sockets();
	descriptors();
	addresses();
	binding();
	states();
	options();
	data();
	batches();
	splicing();
	return check_done();
}
