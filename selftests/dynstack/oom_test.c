// SPDX-License-Identifier: GPL-2.0
/*
 * Memory exhaustion: thousands of sleeping threads are woken in waves while
 * hog processes eat all memory and are OOM-killed, over and over. Every
 * wakeup of a thread whose stack lost pages needs pages exactly when there
 * are none; the waiting protocol must make it wait for kdynstackd (which
 * allocates with GFP_KERNEL, and may itself OOM-kill), never panic, never
 * hang, and never take a page from the allocator in atomic context (there
 * is no code path left that could: the test shows where every page came
 * from). Afterwards every thread must have completed every wave. The host
 * checks the console for oopses, lockdep splats and warnings.
 *
 * DYNSTACK_OOM_THREADS (default 2000) and DYNSTACK_OOM_SECONDS (default 60)
 * size it.
 */
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

static _Atomic int wave;
static _Atomic int stop;
static atomic_long completions;

static void futex_wait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

/* Each wave: wake, touch a few KiB of stack, count, sleep again. */
static void *worker(void *arg)
{
	int seen = 0;

	for (;;) {
		volatile char frame[6000];
		int cur = atomic_load(&wave);

		if (cur == seen) {
			if (atomic_load(&stop))
				break;
			futex_wait(&wave, cur);
			continue;
		}
		frame[0] = (char)cur;
		frame[sizeof(frame) - 1] = frame[0];
		seen = cur;
		atomic_fetch_add(&completions, 1);
	}
	return (void *)(long)seen;
}

static int write_self(const char *file, const char *val)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	return put_file(path, val);
}

/* A process that takes memory until the OOM killer kills it. */
static pid_t spawn_hog(void)
{
	pid_t pid = fork();

	if (pid)
		return pid;
	write_self("oom_score_adj", "1000");
	for (;;) {
		char *p = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			usleep(1000);
			continue;
		}
		for (size_t i = 0; i < (16 << 20); i += 4096)
			p[i] = 1;
	}
}

FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, wakeups_under_oom_kills, 900)
{
	int nr = ds_env_int("DYNSTACK_OOM_THREADS", 2000);
	int secs = ds_env_int("DYNSTACK_OOM_SECONDS", 60);
	long oom0, defer0, wait0, kills = 0, other_deaths = 0;
	long populated0, kd_pages0;
	pthread_t *tids;
	pid_t hogs[2];
	int started = 0, lagging = 0, waves = 0;
	char me[32];

	if (!getenv("DYNSTACK_KO"))
		SKIP(return, "DYNSTACK_KO not set");
	ASSERT_NE(access("/sys/module/dynstack", F_OK), 0);
	ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
	/* The test process is never the victim and drives the waves. */
	ASSERT_EQ(write_self("oom_score_adj", "-1000"), 0);
	snprintf(me, sizeof(me), "+%d", gettid());
	ASSERT_EQ(put_file("/sys/kernel/mm/dynstack/pinned_tids", me), 0);

	tids = calloc(nr, sizeof(*tids));
	ASSERT_NE(tids, NULL);
	started = ds_start_threads(tids, nr, worker, NULL);
	ASSERT_EQ(started, nr);
	/* Let the reclaim pass take their pages first. */
	ds_wait_partial(nr * 9 / 10);

	oom0 = ds_vmstat("oom_kill");
	defer0 = ds_vmstat("dynstack_defer");
	wait0 = ds_vmstat("dynstack_wait_us");
	populated0 = ds_vmstat("dynstack_populate");
	kd_pages0 = ds_stat("core", "kthread_pages");
	for (int i = 0; i < 2; i++)
		hogs[i] = spawn_hog();
	for (int t = 0; t < secs * 4; t++) {
		long before = atomic_load(&completions);
		int status;
		pid_t pid;

		/* A wave every 250 ms, and the hogs replaced as they die. */
		atomic_fetch_add(&wave, 1);
		waves++;
		futex_wake_all(&wave);
		usleep(250000);
		if (atomic_load(&completions) - before < nr)
			lagging++;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int i = 0; i < 2; i++) {
				if (hogs[i] != pid)
					continue;
				if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
					kills++;
				else
					other_deaths++;
				hogs[i] = spawn_hog();
			}
		}
	}
	for (int i = 0; i < 2; i++) {
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
	atomic_store(&stop, 1);
	futex_wake_all(&wave);

	/* Every thread saw the last wave: no wakeup was lost. */
	for (int i = 0; i < started; i++) {
		void *seen;

		pthread_join(tids[i], &seen);
		if ((long)seen != waves)
			lagging = -1000000;
	}
	free(tids);
	TH_LOG("%d s, %d waves of %d threads: %ld hogs OOM-killed (oom_kill +%ld), %ld died otherwise, %d waves finished late",
	       secs, waves, nr, kills, ds_vmstat("oom_kill") - oom0, other_deaths, lagging);
	TH_LOG("dynstack: %ld wakeups deferred, %ld us waited (longest %ld us), %ld kdynstackd allocations failed",
	       ds_vmstat("dynstack_defer") - defer0, ds_vmstat("dynstack_wait_us") - wait0,
	       ds_stat("core", "wait_max_us"), ds_stat("core", "alloc_failed"));
	TH_LOG("pages mapped at wakeup %ld: %ld allocated by kdynstackd (GFP_KERNEL, process context), the rest from the supply; atomic allocations by dynstack: none (no such path)",
	       ds_vmstat("dynstack_populate") - populated0,
	       ds_stat("core", "kthread_pages") - kd_pages0);
	EXPECT_GE(lagging, 0) TH_LOG("a thread missed a wave");
	EXPECT_GT(kills, 0);
	EXPECT_GT(ds_vmstat("oom_kill") - oom0, 0);
	EXPECT_EQ(ds_stat("core", "parked"), 0);
	EXPECT_EQ(unload_module(), 0);
}

TEST_HARNESS_MAIN
