/* AF_UNIX as Linux has it, between this process and a forked child:
 * stream and datagram echo on path names (in a scratch directory under
 * /tmp) and on abstract names (a leading NUL, nothing in the file
 * system), the addresses accept/recvfrom/getsockname report, message
 * boundaries, EOF after the peer closes, and a socketpair over which the
 * parent passes a pipe's read end (SCM_RIGHTS) that the child then reads.
 * Then the errors Linux gives for bad arguments and states (addresses,
 * types, control messages, a closed or shut-down peer), autobind's name,
 * seqpacket records, and poll's IN/OUT/HUP/RDHUP on each side. */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#define MESSAGES 50
#define STREAM_BYTES (256 * 1024)

/* An address: a path, or an abstract name when `abstract`. */
static socklen_t make_addr(struct sockaddr_un *sa, const char *name, int abstract)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	size_t len = strlen(name);
	if (abstract) {
		memcpy(sa->sun_path + 1, name, len);
		return offsetof(struct sockaddr_un, sun_path) + 1 + len;
	}
	memcpy(sa->sun_path, name, len + 1);
	return offsetof(struct sockaddr_un, sun_path) + len + 1;
}

/* Ends a child: its status says whether its checks passed. */
static void child_done(void) { _exit(check_failures ? 1 : 0); }

static void wait_child(pid_t pid, const char *what)
{
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "FAIL: unix_sockets: the %s child ended with status %#x\n", what, status);
		check_failures++;
	}
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* The parent listens and echoes one connection; the child connects,
 * sends STREAM_BYTES, reads the echo, and checks it. */
static void stream_echo(const char *name, int abstract)
{
	printf("unix_sockets: stream echo on %s %s\n", abstract ? "abstract name" : "path", name);
	fflush(stdout);
	struct sockaddr_un sa;
	socklen_t sa_len = make_addr(&sa, name, abstract);
	int listener = OK(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	OK(bind(listener, (struct sockaddr *)&sa, sa_len));
	OK(listen(listener, 4));
	struct stat st;
	if (abstract) {
		ERR(stat(name, &st), ENOENT);
	} else {
		CHECK(stat(name, &st) == 0 && S_ISSOCK(st.st_mode));
		/* The name is taken while the file exists. */
		int again = OK(socket(AF_UNIX, SOCK_STREAM, 0));
		ERR(bind(again, (struct sockaddr *)&sa, sa_len), EADDRINUSE);
		close(again);
	}
	struct sockaddr_un bound;
	socklen_t bound_len = sizeof bound;
	OK(getsockname(listener, (struct sockaddr *)&bound, &bound_len));
	CHECK_EQ(bound_len, sa_len);
	CHECK_MEM(bound.sun_path, sa.sun_path, sa_len - offsetof(struct sockaddr_un, sun_path));

	pid_t child = OK(fork());
	if (child == 0) {
		close(listener);
		int fd = OK(socket(AF_UNIX, SOCK_STREAM, 0));
		if (OK(connect(fd, (struct sockaddr *)&sa, sa_len)) < 0)
			child_done();
		struct sockaddr_un peer;
		socklen_t peer_len = sizeof peer;
		OK(getpeername(fd, (struct sockaddr *)&peer, &peer_len));
		CHECK_EQ(peer_len, sa_len);
		static char out[STREAM_BYTES], in[STREAM_BYTES];
		for (size_t i = 0; i < sizeof out; i++)
			out[i] = (char)(i * 31 + 7);
		/* In pieces, each read back before the next: the socket's buffer
		 * need not hold it all. */
		for (size_t off = 0; off < sizeof out; off += 16384) {
			CHECK_EQ(write_full(fd, out + off, 16384), 0);
			CHECK_EQ(read_full(fd, in + off, 16384), 0);
		}
		CHECK_MEM(in, out, sizeof out);
		OK(shutdown(fd, SHUT_WR));
		char c;
		CHECK_EQ(read(fd, &c, 1), 0); /* the parent closed after our EOF */
		close(fd);
		child_done();
	}
	struct sockaddr_un from;
	socklen_t from_len = sizeof from;
	int conn = OK(accept4(listener, (struct sockaddr *)&from, &from_len, SOCK_CLOEXEC));
	/* An unbound client has no name: just the family. */
	CHECK_EQ(from_len, (socklen_t)sizeof(sa_family_t));
	char buf[8192];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(conn, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			CHECK_EQ(n, 0);
			break;
		}
		CHECK_EQ(write_full(conn, buf, n), 0);
		total += n;
	}
	CHECK_EQ(total, STREAM_BYTES);
	close(conn);
	wait_child(child, "stream");
	close(listener);
	if (!abstract)
		OK(unlink(name));
	/* Nobody listens any more. */
	int late = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	ERR(connect(late, (struct sockaddr *)&sa, sa_len), abstract ? ECONNREFUSED : ENOENT);
	close(late);
}

/* The parent echoes MESSAGES datagrams to whoever sent them; the child,
 * bound to its own name, sends them, each of its own size, and checks
 * every echo and that the boundaries are kept. */
static void datagram_echo(const char *name, const char *child_name, int abstract)
{
	printf("unix_sockets: datagram echo on %s %s\n", abstract ? "abstract name" : "path", name);
	fflush(stdout);
	struct sockaddr_un sa, ca;
	socklen_t sa_len = make_addr(&sa, name, abstract);
	socklen_t ca_len = make_addr(&ca, child_name, abstract);
	int server = OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
	OK(bind(server, (struct sockaddr *)&sa, sa_len));
	pid_t child = OK(fork());
	if (child == 0) {
		int fd = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
		OK(bind(fd, (struct sockaddr *)&ca, ca_len));
		char out[2048], in[4096];
		for (int i = 0; i < MESSAGES; i++) {
			size_t len = 1 + (size_t)i * 37 % sizeof out;
			memset(out, 'a' + i % 26, len);
			CHECK_EQ(sendto(fd, out, len, 0, (struct sockaddr *)&sa, sa_len), (ssize_t)len);
			CHECK_EQ(recv(fd, in, sizeof in, 0), (ssize_t)len);
			CHECK_MEM(in, out, len);
		}
		CHECK_EQ(sendto(fd, "", 0, 0, (struct sockaddr *)&sa, sa_len), 0);
		close(fd);
		child_done();
	}
	char buf[4096];
	for (int i = 0; i <= MESSAGES; i++) {
		struct sockaddr_un from;
		socklen_t from_len = sizeof from;
		ssize_t n = recvfrom(server, buf, sizeof buf, 0, (struct sockaddr *)&from, &from_len);
		if (n <= 0) {
			CHECK_EQ(n, 0); /* the empty datagram ends the exchange */
			CHECK_EQ(i, MESSAGES);
			break;
		}
		CHECK_EQ(from_len, ca_len);
		CHECK_MEM(from.sun_path, ca.sun_path, ca_len - offsetof(struct sockaddr_un, sun_path));
		CHECK_EQ(sendto(server, buf, n, 0, (struct sockaddr *)&from, from_len), n);
	}
	wait_child(child, "datagram");
	close(server);
	if (!abstract) {
		OK(unlink(name));
		OK(unlink(child_name));
	}
}

/* Sends `fd` as SCM_RIGHTS with one byte of data. */
static void send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof control.buf};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
	CHECK_EQ(sendmsg(sock, &msg, 0), 1);
}

/* The descriptor an SCM_RIGHTS message carries, or -1. */
static int receive_fd(int sock)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof control.buf};
	CHECK_EQ(recvmsg(sock, &msg, MSG_CMSG_CLOEXEC), 1);
	CHECK_EQ(byte, 'F');
	CHECK_EQ(msg.msg_flags & MSG_CTRUNC, 0);
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "FAIL: unix_sockets: no SCM_RIGHTS message came\n");
		check_failures++;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
	return fd;
}

/* A socketpair: the parent sends a pipe's read end and closes its own
 * copy; the child reads from the descriptor it received what the parent
 * then writes into the pipe, and answers over the pair. A datagram pair
 * keeps message boundaries. */
static void socketpair_rights(void)
{
	printf("unix_sockets: socketpair with SCM_RIGHTS\n");
	fflush(stdout);
	static const char text[] = "through a passed pipe";
	int pair[2], pipefd[2];
	OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair));
	OK(pipe2(pipefd, O_CLOEXEC));
	pid_t child = OK(fork());
	if (child == 0) {
		close(pair[0]);
		close(pipefd[0]);
		close(pipefd[1]);
		int fd = receive_fd(pair[1]);
		if (fd < 0)
			child_done();
		CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0); /* MSG_CMSG_CLOEXEC */
		char buf[64] = {0};
		CHECK_EQ(read_full(fd, buf, sizeof text), 0);
		CHECK(strcmp(buf, text) == 0);
		char c;
		CHECK_EQ(read(fd, &c, 1), 0); /* EOF: the parent closed the write end */
		CHECK_EQ(write_full(pair[1], "done", 4), 0);
		child_done();
	}
	close(pair[1]);
	send_fd(pair[0], pipefd[0]);
	close(pipefd[0]); /* the child's copy keeps the pipe open */
	CHECK_EQ(write_full(pipefd[1], text, sizeof text), 0);
	close(pipefd[1]);
	char answer[5] = {0};
	CHECK_EQ(read_full(pair[0], answer, 4), 0);
	CHECK(strcmp(answer, "done") == 0);
	wait_child(child, "socketpair");
	close(pair[0]);

	int dgram[2];
	OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dgram));
	CHECK_EQ(write(dgram[0], "one", 3), 3);
	CHECK_EQ(write(dgram[0], "three", 5), 5);
	char buf[16];
	CHECK_EQ(read(dgram[1], buf, sizeof buf), 3);
	CHECK_EQ(read(dgram[1], buf, sizeof buf), 5);
	CHECK_MEM(buf, "three", 5);
	close(dgram[0]);
	close(dgram[1]);
}

/* The poll(2) events of one descriptor, for everything asked. */
static short events_of(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
	CHECK_EQ(poll(&p, 1, 0), p.revents ? 1 : 0);
	return p.revents;
}

/* Sends `fd` with the control message's length and type as given. */
static ssize_t send_control(int sock, int fd, size_t cmsg_len, int level, int type)
{
	char byte = 'x';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof control.buf};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = level;
	cmsg->cmsg_type = type;
	cmsg->cmsg_len = cmsg_len;
	memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
	return sendmsg(sock, &msg, MSG_DONTWAIT);
}

static void bad_arguments(void)
{
	printf("unix_sockets: bad arguments\n");
	fflush(stdout);
	ERR(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, NULL), EFAULT);

	struct sockaddr_un sa;
	socklen_t len = make_addr(&sa, "bad.sock", 0);
	int s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	/* Addresses: too short, too long, another family, unreadable. */
	ERR(bind(s, (struct sockaddr *)&sa, 1), EINVAL);
	ERR(bind(s, (struct sockaddr *)&sa, sizeof sa + 1), EINVAL);
	ERR(bind(s, (struct sockaddr *)&sa, 200), EINVAL);
	ERR(bind(s, NULL, sizeof sa), EFAULT);
	sa.sun_family = AF_INET;
	ERR(bind(s, (struct sockaddr *)&sa, len), EINVAL);
	sa.sun_family = AF_UNIX;
	struct sockaddr_un nodir;
	socklen_t nodir_len = make_addr(&nodir, "no/such/dir.sock", 0);
	ERR(bind(s, (struct sockaddr *)&nodir, nodir_len), ENOENT);
	ERR(connect(s, (struct sockaddr *)&nodir, nodir_len), ENOENT);
	/* Unnamed and unconnected. */
	struct sockaddr_un got;
	socklen_t got_len = sizeof got;
	OK(getsockname(s, (struct sockaddr *)&got, &got_len));
	CHECK_EQ(got_len, sizeof(sa_family_t));
	got_len = sizeof got;
	ERR(getpeername(s, (struct sockaddr *)&got, &got_len), ENOTCONN);
	ERR(listen(s, 1), EINVAL); /* not bound */
	ERR(accept(s, NULL, NULL), EINVAL);
	ERR(write(s, "x", 1), ENOTCONN);
	ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&sa, len), EOPNOTSUPP);
	char c;
	ERR(read(s, &c, 1), EINVAL);
	CHECK_EQ(events_of(s), POLLOUT | POLLHUP);
	ERR(shutdown(s, 7), EINVAL);
	ERR(connect(s, (struct sockaddr *)&sa, sizeof(sa_family_t)), EINVAL);
	/* A regular file is not a socket; nothing listens on an abstract name. */
	int file = OK(open("plain", O_CREAT | O_WRONLY, 0600));
	close(file);
	struct sockaddr_un plain;
	socklen_t plain_len = make_addr(&plain, "plain", 0);
	ERR(connect(s, (struct sockaddr *)&plain, plain_len), ECONNREFUSED);
	ERR(bind(s, (struct sockaddr *)&plain, plain_len), EADDRINUSE);
	struct sockaddr_un nobody;
	socklen_t nobody_len = make_addr(&nobody, "ringo-unix-nobody", 1);
	ERR(connect(s, (struct sockaddr *)&nobody, nobody_len), ECONNREFUSED);
	OK(unlink("plain"));

	/* Autobind: five hex digits after a NUL. */
	OK(bind(s, (struct sockaddr *)&sa, sizeof(sa_family_t)));
	got_len = sizeof got;
	OK(getsockname(s, (struct sockaddr *)&got, &got_len));
	CHECK_EQ(got_len, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK_EQ(got.sun_path[0], 0);
	ERR(bind(s, (struct sockaddr *)&sa, len), EINVAL); /* already bound */
	close(s);

	/* Types must match; a datagram socket neither listens nor accepts. */
	int d = OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	OK(bind(d, (struct sockaddr *)&sa, len));
	ERR(listen(d, 1), EOPNOTSUPP);
	ERR(accept(d, NULL, NULL), EOPNOTSUPP);
	ERR(send(d, "x", 1, 0), ENOTCONN);
	static char huge[300000];
	ERR(sendto(d, huge, sizeof huge, 0, (struct sockaddr *)&sa, len), EMSGSIZE);
	s = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	ERR(connect(s, (struct sockaddr *)&sa, len), EPROTOTYPE);
	close(s);
	/* A datagram longer than the buffer: cut, MSG_TRUNC gives its length. */
	CHECK_EQ(sendto(d, "abcdef", 6, 0, (struct sockaddr *)&sa, len), 6);
	CHECK_EQ(recv(d, &c, 1, MSG_TRUNC), 6);
	CHECK_EQ(c, 'a');
	CHECK_EQ(recv(d, &c, 1, MSG_DONTWAIT), -1);
	close(d);
	OK(unlink("bad.sock"));

	/* A full backlog: listen(0) holds one connection, then EAGAIN. */
	int l = OK(socket(AF_UNIX, SOCK_STREAM, 0));
	OK(bind(l, (struct sockaddr *)&sa, len));
	OK(listen(l, 0));
	CHECK_EQ(events_of(l), 0);
	int c1 = OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	int c2 = OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	OK(connect(c1, (struct sockaddr *)&sa, len));
	ERR(connect(c2, (struct sockaddr *)&sa, len), EAGAIN);
	ERR(sendto(c1, "x", 1, 0, (struct sockaddr *)&sa, len), EISCONN);
	CHECK_EQ(events_of(l), POLLIN);
	CHECK_EQ(events_of(c1), POLLOUT);
	int a = OK(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	OK(fcntl(l, F_SETFL, O_NONBLOCK));
	ERR(accept(l, NULL, NULL), EAGAIN);
	ERR(connect(c1, (struct sockaddr *)&sa, len), EISCONN);
	/* Closing a listener resets what it never accepted. */
	OK(connect(c2, (struct sockaddr *)&sa, len));
	close(l);
	ERR(read(c2, &c, 1), ECONNRESET);
	CHECK_EQ(read(c2, &c, 1), 0);
	close(c2);
	OK(unlink("bad.sock"));

	/* Shutdown: the peer reads EOF and sees RDHUP; the writer EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(write(c1, "hi", 2), 2);
	int n = -1;
	OK(ioctl(a, FIONREAD, &n));
	CHECK_EQ(n, 2);
	OK(shutdown(c1, SHUT_WR));
	ERR(write(c1, "x", 1), EPIPE);
	CHECK_EQ(events_of(a), POLLIN | POLLOUT | POLLRDHUP);
	char buf[8];
	CHECK_EQ(read(a, buf, sizeof buf), 2);
	CHECK_EQ(read(a, buf, sizeof buf), 0);
	CHECK_EQ(write(a, "back", 4), 4);
	CHECK_EQ(read(c1, buf, sizeof buf), 4);
	ERR(read(c1, buf, sizeof buf), EAGAIN);
	/* Closing: the other side hangs up both ways. */
	close(a);
	CHECK_EQ(events_of(c1), POLLIN | POLLOUT | POLLHUP | POLLRDHUP);
	CHECK_EQ(read(c1, buf, sizeof buf), 0);
	ERR(send(c1, "x", 1, MSG_NOSIGNAL), EPIPE);
	close(c1);

	/* Control messages: bad lengths, types and descriptors. */
	int pair[2];
	OK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair));
	ERR(send_control(pair[0], 0, sizeof(struct cmsghdr) - 8, SOL_SOCKET, SCM_RIGHTS), EINVAL);
	ERR(send_control(pair[0], 0, CMSG_LEN(sizeof(int)) + 64, SOL_SOCKET, SCM_RIGHTS), EINVAL);
	ERR(send_control(pair[0], 0, CMSG_LEN(sizeof(int)), SOL_SOCKET, 99), EINVAL);
	ERR(send_control(pair[0], 999, CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS), EBADF);
	ERR(recv(pair[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	/* Another level is skipped; the byte goes. */
	CHECK_EQ(send_control(pair[0], 0, CMSG_LEN(sizeof(int)), SOL_SOCKET + 1000, SCM_RIGHTS), 1);
	CHECK_EQ(recv(pair[1], buf, sizeof buf, 0), 1);
	/* No room for the descriptor: MSG_CTRUNC, and it is closed. */
	CHECK_EQ(send_control(pair[0], 0, CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS), 1);
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof buf};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(pair[1], &msg, 0), 1);
	CHECK_EQ(msg.msg_flags & MSG_CTRUNC, MSG_CTRUNC);
	CHECK_EQ(msg.msg_controllen, 0);
	ERR(syscall(SYS_recvmsg, pair[1], NULL, 0), EFAULT); /* musl's recvmsg reads the header */
	close(pair[0]);
	close(pair[1]);

	/* Seqpacket keeps records; a short buffer cuts one (MSG_TRUNC). */
	OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair));
	CHECK_EQ(write(pair[0], "one", 3), 3);
	CHECK_EQ(write(pair[0], "three", 5), 5);
	memset(&msg, 0, sizeof msg);
	iov.iov_len = 2;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	CHECK_EQ(recvmsg(pair[1], &msg, 0), 2);
	CHECK_EQ(msg.msg_flags & MSG_TRUNC, MSG_TRUNC);
	CHECK_EQ(read(pair[1], buf, sizeof buf), 5);
	CHECK_MEM(buf, "three", 5);
	close(pair[0]);
	close(pair[1]);
}

int main(void)
{
	check_start("unix_sockets");
	char *dir = check_scratch_dir();
	char abstract_stream[64], abstract_server[64], abstract_client[64];
	snprintf(abstract_stream, sizeof abstract_stream, "ringo-unix-%d-stream", (int)getpid());
	snprintf(abstract_server, sizeof abstract_server, "ringo-unix-%d-server", (int)getpid());
	snprintf(abstract_client, sizeof abstract_client, "ringo-unix-%d-client", (int)getpid());
	stream_echo("stream.sock", 0);
	stream_echo(abstract_stream, 1);
	datagram_echo("server.sock", "client.sock", 0);
	datagram_echo(abstract_server, abstract_client, 1);
	socketpair_rights();
	bad_arguments();
	check_remove_scratch(dir);
	return check_done();
}
