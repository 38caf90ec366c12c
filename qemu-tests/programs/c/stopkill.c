/* A stopped child is sent SIGCONT and SIGKILL at the same moment by two
 * threads, 1000 times: each time waitpid(WUNTRACED) sees it stop and it
 * dies of SIGKILL, as on Linux. Two bugs: the stopping child told its
 * parent before it was marked stopped, so a waitpid woken by that found
 * it running and slept for ever (this program hung at its second round);
 * and both senders could see it stopped and set it running, the second
 * over the zombie the SIGKILL had made, and the kernel scheduled the dead
 * task ("a zombie was scheduled", found by the fuzzer over 10^7 calls; a
 * window this program aims at but rarely hits). Meant for -smp 2. */
#include "check.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define ROUNDS 1000

static pthread_barrier_t start, done;
static volatile pid_t child;

static void *continuer(void *arg)
{
	(void)arg;
	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&start);
		kill(child, SIGCONT);
		pthread_barrier_wait(&done);
	}
	return NULL;
}

static int ready[2];

static void *stop_myself(void *arg)
{
	(void)arg;
	char c = 's';
	if (write(ready[1], &c, 1) != 1)
		_exit(5);
	syscall(SYS_tgkill, getpid(), gettid(), SIGSTOP);
	for (;;)
		pause();
}

/* A thread stops itself and then its process is killed: the stopped
 * thread ends too and the process is reaped (the kernel once left a
 * stopped thread asleep, so its process never ended). */
static void stopped_thread_of_a_killed_process(void)
{
	OK(pipe(ready));
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, stop_myself, NULL) != 0)
			_exit(6);
		for (;;)
			pause();
	}
	CHECK(pid > 0);
	char c;
	CHECK_EQ(read(ready[0], &c, 1), 1);
	usleep(50 * 1000);
	OK(kill(pid, SIGKILL));
	int status = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	check_start("stopkill");
	pthread_barrier_init(&start, NULL, 2);
	pthread_barrier_init(&done, NULL, 2);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, continuer, NULL) == 0);
	int killed = 0;
	for (int round = 0; round < ROUNDS; round++) {
		pid_t pid = fork();
		if (pid == 0)
			for (;;)
				pause();
		CHECK(pid > 0);
		child = pid;
		int status = 0;
		OK(kill(pid, SIGSTOP));
		CHECK_EQ(waitpid(pid, &status, WUNTRACED), pid);
		CHECK(WIFSTOPPED(status));
		pthread_barrier_wait(&start);
		OK(kill(pid, SIGKILL));
		pthread_barrier_wait(&done);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		int ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
		if (!ok && check_failures < 5) {
			fprintf(stderr, "round %d: child %d: status %#x\n", round, pid, status);
			CHECK(ok);
		}
		killed += ok;
	}
	pthread_join(t, NULL);
	ERR(wait(NULL), ECHILD);
	printf("stopkill: %d rounds, %d killed\n", ROUNDS, killed);
	stopped_thread_of_a_killed_process();
	return check_done();
}
