/* Many processes: trees of forks whose exit statuses travel up through
 * waitpid, a burst of short-lived children reaped with wait(), and a
 * child that execs this very program again.
 *
 * The trees are ROUNDS rounds of a BREADTH-ary tree DEPTH levels deep
 * below the test: 3 + 9 + 27 = 39 processes a round, 195 over the run,
 * never more than 40 alive at once (a round's whole tree). Every process
 * exits with a status computed from its position and its children's
 * statuses, so a status lost or misrouted anywhere shows at the top. */
#include "check.h"

#include <signal.h>
#include <sys/wait.h>

#define ROUNDS 5
#define BREADTH 3
#define DEPTH 3
#define BURST 100
#define EXEC_ARG "--exec-child"
#define EXEC_STATUS 42

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

/* The status node `id` at `level` (1 = a child of the test) must exit
 * with: its own share plus its subtree's, modulo 256. */
static int expected_status(int id, int level)
{
	int sum = id * 31 + level;
	if (level < DEPTH)
		for (int i = 0; i < BREADTH; i++)
			sum += expected_status(id * BREADTH + i + 1, level + 1);
	return sum & 0xff;
}

/* Forks the children of node `id`, reaps them by pid in reverse order
 * (so some are zombies by then, some still running) and returns the sum
 * of their statuses. Runs in the test and in every inner node. */
static int spawn_children(int id, int level)
{
	pid_t pids[BREADTH];
	int ids[BREADTH];
	for (int i = 0; i < BREADTH; i++) {
		ids[i] = id * BREADTH + i + 1;
		pids[i] = fork();
		if (pids[i] == 0) {
			int sum = ids[i] * 31 + level;
			if (level < DEPTH)
				sum += spawn_children(ids[i], level + 1);
			/* _exit: no atexit handlers or stdio flushes of the
			 * parent's buffers in a child. */
			_exit(sum & 0xff);
		}
		CHECK(pids[i] > 0);
	}
	int sum = 0;
	for (int i = BREADTH - 1; i >= 0; i--) {
		if (pids[i] <= 0)
			continue;
		int status = -1;
		CHECK_EQ(waitpid(pids[i], &status, 0), pids[i]);
		CHECK(WIFEXITED(status));
		CHECK_EQ(WEXITSTATUS(status), expected_status(ids[i], level));
		sum += WEXITSTATUS(status);
	}
	return sum;
}

static void trees(void)
{
	for (int round = 0; round < ROUNDS; round++) {
		int sum = spawn_children(round * 1000, 1);
		int expected = 0;
		for (int i = 0; i < BREADTH; i++)
			expected += expected_status(round * 1000 * BREADTH + i + 1, 1);
		CHECK_EQ(sum, expected);
	}
	/* Everything was reaped: nothing is left to wait for. */
	ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
}

static void burst(void)
{
	int forked = 0, expected_sum = 0;
	for (int i = 0; i < BURST; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i & 0x7f);
		CHECK(pid > 0);
		if (pid > 0) {
			forked++;
			expected_sum += i & 0x7f;
		}
	}
	int reaped = 0, sum = 0, status;
	pid_t pid;
	while ((pid = wait(&status)) > 0) {
		reaped++;
		CHECK(WIFEXITED(status));
		sum += WEXITSTATUS(status);
	}
	CHECK_EQ(errno, ECHILD);
	CHECK_EQ(forked, BURST);
	CHECK_EQ(reaped, BURST);
	CHECK_EQ(sum, expected_sum);
}

/* The exec'd copy: it must see its arguments and the same parent. */
static int exec_child(int argc, char **argv)
{
	check_start("forkbomb-exec");
	CHECK_EQ(argc, 3);
	if (argc == 3)
		CHECK_EQ(getppid(), atoi(argv[2]));
	return check_failures ? 1 : EXEC_STATUS;
}

static void exec_self(const char *path)
{
	char parent[16];
	snprintf(parent, sizeof parent, "%d", (int)getpid());
	pid_t pid = fork();
	if (pid == 0) {
		char *args[] = {(char *)path, EXEC_ARG, parent, NULL};
		char *env[] = {"FORKBOMB=1", NULL};
		execve(path, args, env);
		check_fail(__LINE__, "execve of this program", -1, errno);
		_exit(127);
	}
	CHECK(pid > 0);
	int status = -1;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), EXEC_STATUS);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], EXEC_ARG) == 0)
		return exec_child(argc, argv);
	check_start("forkbomb");
	default_signals();
	/* Children must not inherit unwritten output. */
	setvbuf(stdout, NULL, _IONBF, 0);
	ERR(waitpid(-1, NULL, 0), ECHILD);
	trees();
	burst();
	exec_self("/proc/self/exe");
	exec_self(argv[0]);
	return check_done();
}
