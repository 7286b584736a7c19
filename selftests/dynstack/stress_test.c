// SPDX-License-Identifier: GPL-2.0
/*
 * Stress of the switch-time hooks with dynstack.ko loaded: thread
 * create/exit storms, fork/exit/wait storms, pipe ping-pong between two
 * threads that migrate between CPUs, and signals, all at once for
 * DYNSTACK_STRESS_SECONDS (default 60). Every worker checks its own
 * results; the kernel's console (oops, WARNING, lockdep) is checked by
 * the harness on the host.
 */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

static _Atomic int stop;
static atomic_long bad, storms, forks, pingpongs, signals_seen;

static void *storm_child(void *arg)
{
	long v = (long)arg, sum = 0;
	char buf[64];

	/* A few syscalls so the kernel stack is really used. */
	for (int i = 0; i < 8; i++) {
		int fd = open("/proc/self/stat", O_RDONLY);

		if (fd >= 0) {
			sum += read(fd, buf, sizeof(buf)) > 0;
			close(fd);
		}
	}
	return (void *)(v * 3 + (sum == 8 ? 0 : 1));
}

static void *thread_storm(void *arg)
{
	while (!atomic_load(&stop)) {
		pthread_t t[32];

		for (long i = 0; i < 32; i++)
			if (pthread_create(&t[i], NULL, storm_child, (void *)i))
				atomic_fetch_add(&bad, 1);
		for (long i = 0; i < 32; i++) {
			void *r;

			pthread_join(t[i], &r);
			if ((long)r != i * 3)
				atomic_fetch_add(&bad, 1);
		}
		atomic_fetch_add(&storms, 1);
	}
	return NULL;
}

static void *fork_storm(void *arg)
{
	while (!atomic_load(&stop)) {
		pid_t pid = fork();
		int status;

		if (pid == 0)
			_exit(getpid() & 0x7f);
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != (pid & 0x7f))
			atomic_fetch_add(&bad, 1);
		atomic_fetch_add(&forks, 1);
	}
	return NULL;
}

struct pp {
	int rd, wr;
	int cpu_base;
};

static void migrate(int cpu)
{
	cpu_set_t set;
	int n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	CPU_SET(cpu % (n > 0 ? n : 1), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *pingpong(void *arg)
{
	struct pp *p = arg;
	unsigned long v;

	for (unsigned long i = 0; !atomic_load(&stop); i++) {
		if (p->cpu_base == 0) {
			v = i;
			if (write(p->wr, &v, sizeof(v)) != sizeof(v))
				break;
			if (read(p->rd, &v, sizeof(v)) != sizeof(v))
				break;
			if (v != i + 1)
				atomic_fetch_add(&bad, 1);
		} else {
			/* The echo side: the other side checks the value. */
			if (read(p->rd, &v, sizeof(v)) != sizeof(v))
				break;
			v++;
			if (write(p->wr, &v, sizeof(v)) != sizeof(v))
				break;
		}
		atomic_fetch_add(&pingpongs, 1);
		if ((i & 63) == 0)
			migrate(p->cpu_base + (int)(i >> 6));
	}
	return NULL;
}

static void on_usr1(int sig)
{
	atomic_fetch_add(&signals_seen, 1);
}

/* Longer than the harness's default 30 s under the debug kernel and TCG. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, storm_pingpong_signals, 600)
{
	const char *env = getenv("DYNSTACK_STRESS_SECONDS");
	int secs = env ? atoi(env) : 60, a[2], b[2];
	pthread_t storm[2], forker, pp[2];
	struct pp p0, p1;
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	bool loaded = false;
	time_t end;

	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0)
			TH_LOG("finit_module: %s", strerror(errno));
		loaded = true;
	}
	ASSERT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	ASSERT_EQ(pipe(a), 0);
	ASSERT_EQ(pipe(b), 0);
	p0 = (struct pp){ .rd = b[0], .wr = a[1], .cpu_base = 0 };
	p1 = (struct pp){ .rd = a[0], .wr = b[1], .cpu_base = 1 };

	ASSERT_EQ(pthread_create(&pp[0], NULL, pingpong, &p0), 0);
	ASSERT_EQ(pthread_create(&pp[1], NULL, pingpong, &p1), 0);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&storm[i], NULL, thread_storm, NULL), 0);
	ASSERT_EQ(pthread_create(&forker, NULL, fork_storm, NULL), 0);

	end = time(NULL) + secs;
	while (time(NULL) < end) {
		usleep(10000);
		pthread_kill(pp[0], SIGUSR1);
		pthread_kill(pp[1], SIGUSR1);
	}
	atomic_store(&stop, 1);
	close(a[1]);
	close(b[1]);
	for (int i = 0; i < 2; i++) {
		pthread_join(storm[i], NULL);
		pthread_join(pp[i], NULL);
	}
	pthread_join(forker, NULL);

	TH_LOG("%d s: %ld thread storms (32 threads each), %ld forks, %ld ping-pongs, %ld signals",
	       secs, atomic_load(&storms), atomic_load(&forks),
	       atomic_load(&pingpongs), atomic_load(&signals_seen));
	EXPECT_EQ(atomic_load(&bad), 0);
	EXPECT_GT(atomic_load(&storms), 0);
	EXPECT_GT(atomic_load(&forks), 0);
	EXPECT_GT(atomic_load(&pingpongs), 0);
	EXPECT_GT(atomic_load(&signals_seen), 0);
	if (loaded)
		EXPECT_EQ(unload_module(), 0)
			TH_LOG("delete_module: %s", strerror(errno));
}

TEST_HARNESS_MAIN
