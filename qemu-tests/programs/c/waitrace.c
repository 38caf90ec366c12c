/* Two threads of one process wait for the same child at the same moment,
 * 2000 times: exactly one of them gets the child (its pid and status),
 * the other ECHILD, as on Linux. Reaping is claimed once; a kernel that
 * let both waiters find the zombie reaped it twice. Meant for -smp 2. */
#include "check.h"

#include <pthread.h>
#include <sys/wait.h>

#define ROUNDS 2000

static pthread_barrier_t start, done;
static volatile pid_t child;
static long got[2];
static int err[2], status[2];

static void *waiter(void *arg)
{
	int me = (int)(long)arg;
	for (int round = 0; round < ROUNDS; round++) {
		pthread_barrier_wait(&start);
		errno = 0;
		got[me] = waitpid(child, &status[me], 0);
		err[me] = errno;
		pthread_barrier_wait(&done);
	}
	return NULL;
}

int main(void)
{
	check_start("waitrace");
	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	pthread_t t[2];
	for (long i = 0; i < 2; i++)
		CHECK(pthread_create(&t[i], NULL, waiter, (void *)i) == 0);
	int winners[2] = {0, 0};
	for (int round = 0; round < ROUNDS; round++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(round & 0x7f);
		CHECK(pid > 0);
		child = pid;
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		int w = got[0] == pid ? 0 : 1;
		int ok = got[w] == pid && WIFEXITED(status[w]) && WEXITSTATUS(status[w]) == (round & 0x7f) &&
			 got[1 - w] == -1 && err[1 - w] == ECHILD;
		if (!ok && check_failures < 5) {
			fprintf(stderr, "round %d: child %d: waiter 0 got %ld (errno %d), waiter 1 got %ld (errno %d)\n",
				round, pid, got[0], err[0], got[1], err[1]);
			CHECK(ok);
		}
		winners[w] += ok;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ERR(wait(NULL), ECHILD);
	printf("waitrace: %d rounds, waiter 0 won %d, waiter 1 won %d\n", ROUNDS, winners[0], winners[1]);
	return check_done();
}
