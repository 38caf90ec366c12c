/* waitpid, wait4 and waitid at their edges: no children, WNOHANG, one
 * pid or any, deaths by signal, exit statuses 0 and 255, stop and
 * continue, WNOWAIT, zombies, orphans, process groups and sessions.
 *
 * Orphans go to the nearest subreaper, else to init. In the guest this
 * program is init (pid 1), so its orphaned grandchildren become its own
 * children; on a host it makes itself a subreaper (PR_SET_CHILD_SUBREAPER)
 * to get the same outcome: either way it must reap them itself. */
#include "check.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

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

/* A child that waits until killed (or until its pipe closes). */
static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK(pid > 0);
	return pid;
}

static pid_t exiting(int code)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(code);
	CHECK(pid > 0);
	return pid;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits (WNOWAIT, so it stays a zombie) until `pid` has exited. */
static void await_exit(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_pid, pid);
}

static void no_children(void)
{
	int status;
	ERR(waitpid(-1, &status, 0), ECHILD);
	ERR(waitpid(-1, &status, WNOHANG), ECHILD);
	ERR(wait(&status), ECHILD);
	siginfo_t si;
	ERR(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
	/* A pid that is not our child, even an existing one. */
	ERR(waitpid(getpid(), &status, 0), ECHILD);
	/* No options at all is invalid for waitid; unknown bits for waitpid. */
	ERR(waitid(P_ALL, 0, &si, 0), EINVAL);
	ERR(waitpid(-1, &status, 0x4000), EINVAL);
}

static void nohang_and_signals(void)
{
	pid_t pid = sleeper();
	int status = 12345;
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);
	CHECK_EQ(status, 12345); /* untouched when nothing was reaped */
	siginfo_t si;
	memset(&si, 0x55, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOHANG), 0);
	/* Linux clears the siginfo when nothing changed state. */
	CHECK_EQ(si.si_pid, 0);
	CHECK_EQ(si.si_signo, 0);
	OK(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGKILL);
	CHECK(!WIFEXITED(status));
	CHECK(!WCOREDUMP(status));

	pid = sleeper();
	OK(kill(pid, SIGTERM));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGTERM);

	/* A signal whose default action dumps core: WTERMSIG names it. The
	 * core bit is left unchecked: Linux sets it only when a dump was
	 * written, which depends on the host's limits and core_pattern; the
	 * child forbids itself a dump so no file is left behind. */
	pid = fork();
	if (pid == 0) {
		struct rlimit none = {0, 0};
		setrlimit(RLIMIT_CORE, &none);
		for (;;)
			pause();
	}
	CHECK(pid > 0);
	OK(kill(pid, SIGQUIT));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGQUIT);
}

static void exit_statuses(void)
{
	int status = -1;
	pid_t pid = exiting(0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK(WIFEXITED(status));

	pid = exiting(255);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 255);
	CHECK_EQ(status, 0xff00);

	/* Only the low 8 bits of the code survive. */
	pid = exiting(256 + 3);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(WEXITSTATUS(status), 3);

	/* wait4 with a NULL status pointer still reaps. */
	pid = exiting(1);
	CHECK_EQ(wait4(pid, NULL, 0, NULL), pid);
	ERR(waitpid(pid, &status, WNOHANG), ECHILD);
}

static void specific_and_any(void)
{
	int block[2];
	OK(pipe(block));
	/* `slow` exits only when the pipe closes; `fast` at once. */
	pid_t slow = fork();
	if (slow == 0) {
		char c;
		close(block[1]);
		_exit(read(block[0], &c, 1) == 0 ? 21 : 99);
	}
	close(block[0]);
	pid_t fast = exiting(22);
	await_exit(fast);
	int status = -1;
	/* Waiting for `slow` must not return the already dead `fast`. */
	CHECK_EQ(waitpid(slow, &status, WNOHANG), 0);
	close(block[1]);
	CHECK_EQ(waitpid(slow, &status, 0), slow);
	CHECK_EQ(WEXITSTATUS(status), 21);
	CHECK_EQ(waitpid(-1, &status, 0), fast);
	CHECK_EQ(WEXITSTATUS(status), 22);

	/* -1 reaps each of several, in whatever order they died. */
	pid_t pids[3];
	int seen = 0;
	for (int i = 0; i < 3; i++)
		pids[i] = exiting(10 + i);
	for (int n = 0; n < 3; n++) {
		pid_t got = waitpid(-1, &status, 0);
		for (int i = 0; i < 3; i++)
			if (got == pids[i]) {
				CHECK_EQ(WEXITSTATUS(status), 10 + i);
				seen |= 1 << i;
			}
	}
	CHECK_EQ(seen, 7);
	ERR(waitpid(-1, &status, WNOHANG), ECHILD);
}

static void waitid_reports(void)
{
	siginfo_t si;
	pid_t pid = exiting(7);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	CHECK_EQ(si.si_signo, SIGCHLD);
	CHECK_EQ(si.si_code, CLD_EXITED);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_uid, getuid());
	CHECK_EQ(si.si_status, 7);
	ERR(waitpid(pid, NULL, WNOHANG), ECHILD);

	pid = sleeper();
	OK(kill(pid, SIGKILL));
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0);
	CHECK_EQ(si.si_code, CLD_KILLED);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, SIGKILL);

	/* WNOWAIT leaves the zombie for a later wait. */
	pid = exiting(8);
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(si.si_status, 8);
	int status = -1;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(WEXITSTATUS(status), 8);
}

static void stop_and_continue(void)
{
	pid_t pid = sleeper();
	int status = -1;
	OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
	CHECK(WIFSTOPPED(status));
	CHECK_EQ(WSTOPSIG(status), SIGSTOP);
	/* Reported once only. */
	CHECK_EQ(waitpid(pid, &status, WUNTRACED | WNOHANG), 0);
	OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &status, WCONTINUED), pid);
	CHECK(WIFCONTINUED(status));
	/* A stopped child still dies of SIGKILL. */
	OK(kill(pid, SIGSTOP));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK_EQ(waitid(P_PID, pid, &si, WSTOPPED), 0);
	CHECK_EQ(si.si_code, CLD_STOPPED);
	CHECK_EQ(si.si_status, SIGSTOP);
	OK(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGKILL);
}

static void zombies(void)
{
	pid_t pid = exiting(0);
	await_exit(pid);
	/* A zombie still exists for kill(pid, 0)... */
	OK(kill(pid, 0));
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	/* ...and is gone once reaped. */
	ERR(kill(pid, 0), ESRCH);
	ERR(getpgid(pid), ESRCH);
}

static void orphans(void)
{
	int report[2];
	OK(pipe(report));
	pid_t child = fork();
	if (child == 0) {
		/* Taken before the fork: the child may be gone before the
		 * grandchild first runs. */
		pid_t first_parent = getpid();
		pid_t grandchild = fork();
		if (grandchild == 0) {
			/* Wait, at most 2 s, for the reparenting. */
			for (int i = 0; i < 2000 && getppid() == first_parent; i++)
				sleep_ms(1);
			pid_t now = getppid();
			if (write(report[1], &now, sizeof now) != sizeof now)
				_exit(98);
			_exit(77);
		}
		if (write(report[1], &grandchild, sizeof grandchild) != sizeof grandchild)
			_exit(98);
		_exit(5);
	}
	close(report[1]);
	int status = -1;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK_EQ(WEXITSTATUS(status), 5);
	pid_t grandchild = 0, new_parent = 0;
	CHECK_EQ(read(report[0], &grandchild, sizeof grandchild), sizeof grandchild);
	CHECK_EQ(read(report[0], &new_parent, sizeof new_parent), sizeof new_parent);
	close(report[0]);
	/* Adopted by us: init in the guest, the subreaper on a host. */
	CHECK_EQ(new_parent, getpid());
	if (grandchild > 0) {
		CHECK_EQ(waitpid(grandchild, &status, 0), grandchild);
		CHECK(WIFEXITED(status));
		CHECK_EQ(WEXITSTATUS(status), 77);
	}
}

static void groups_and_sessions(void)
{
	pid_t me = getpid();
	CHECK_EQ(getpgid(0), getpgrp());
	CHECK_EQ(getpgid(me), getpgrp());
	CHECK_EQ(getsid(0), getsid(me));

	/* A child in a group of its own: both sides set it, the usual race-free idiom. */
	int sync[2];
	OK(pipe(sync));
	pid_t child = fork();
	if (child == 0) {
		close(sync[1]);
		int ok = setpgid(0, 0) == 0 && getpgid(0) == getpid() && getpgrp() == getpid();
		char c;
		/* Hold on until the parent has looked. */
		(void)!read(sync[0], &c, 1);
		_exit(ok ? 0 : 1);
	}
	close(sync[0]);
	OK(setpgid(child, child));
	CHECK_EQ(getpgid(child), child);
	CHECK_EQ(getsid(child), getsid(0));
	close(sync[1]);
	int status = -1;
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK_EQ(status, 0);
	/* Not our child any more. */
	ERR(setpgid(child, child), ESRCH);

	/* setsid in a child: a new session and group, led by it; a group
	 * leader cannot do it again. */
	child = fork();
	if (child == 0) {
		pid_t sid = setsid();
		int ok = sid == getpid() && getsid(0) == getpid() && getpgrp() == getpid();
		ok = ok && setsid() == -1 && errno == EPERM;
		/* Moving into a group of another session is refused. */
		ok = ok && setpgid(0, getppid()) == -1 && errno == EPERM;
		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(waitpid(child, &status, 0), child);
	CHECK_EQ(status, 0);

	/* kill(-pgid) reaches every member: a leader and its two children,
	 * which become ours (see the top) once the leader dies. */
	int ready[2], pids[2];
	OK(pipe(ready));
	OK(pipe(pids));
	pid_t leader = fork();
	if (leader == 0) {
		setpgid(0, 0);
		for (int i = 0; i < 2; i++) {
			pid_t member = fork();
			if (member == 0) {
				(void)!write(ready[1], "m", 1);
				for (;;)
					pause();
			}
			(void)!write(pids[1], &member, sizeof member);
		}
		(void)!write(ready[1], "l", 1);
		for (;;)
			pause();
	}
	setpgid(leader, leader);
	close(ready[1]);
	close(pids[1]);
	char buf[3];
	int got = 0;
	while (got < 3) {
		ssize_t n = read(ready[0], buf, sizeof buf - got);
		if (n <= 0)
			break;
		got += n;
	}
	CHECK_EQ(got, 3);
	pid_t members[2] = {0, 0};
	CHECK_EQ(read(pids[0], members, sizeof members), sizeof members);
	close(ready[0]);
	close(pids[0]);
	CHECK_EQ(getpgid(members[0]), leader);
	CHECK_EQ(getpgid(members[1]), leader);
	OK(kill(-leader, SIGUSR1));
	CHECK_EQ(waitpid(leader, &status, 0), leader);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGUSR1);
	for (int i = 0; i < 2; i++) {
		if (members[i] <= 0)
			continue;
		CHECK_EQ(waitpid(members[i], &status, 0), members[i]);
		CHECK(WIFSIGNALED(status));
		CHECK_EQ(WTERMSIG(status), SIGUSR1);
	}
	/* The group is empty now. */
	ERR(kill(-leader, SIGUSR1), ESRCH);
	ERR(kill(-leader, 0), ESRCH);
}

int main(void)
{
	check_start("waitpid");
	default_signals();
	setvbuf(stdout, NULL, _IONBF, 0);
	no_children();
	if (getpid() != 1)
		OK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	nohang_and_signals();
	exit_statuses();
	specific_and_any();
	waitid_reports();
	stop_and_continue();
	zombies();
	orphans();
	groups_and_sessions();
	ERR(waitpid(-1, NULL, WNOHANG), ECHILD);
	return check_done();
}
