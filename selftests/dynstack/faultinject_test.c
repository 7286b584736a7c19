// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: with page allocations failing (fail_page_alloc, for the
 * module's refill thread, the one that feeds the supply; failing the test's
 * own forks would exercise mainline's paths, not dynstack's) and the magazines and depot
 * emptied again and again (debug_drain), threads keep being created,
 * switching and sleeping. The kernel must neither crash nor corrupt
 * anything (the host checks the console), every thread's result must be
 * right, and once injection stops the savings must be what they were.
 */
#include <stdatomic.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define FAIL "/sys/kernel/debug/fail_page_alloc/"

static _Atomic int stop;
static atomic_long created, create_failed, wrong;

static void *child(void *arg)
{
	char buf[64];
	int fd = open("/proc/self/stat", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) <= 0)
			arg = (void *)-1L;
		close(fd);
	}
	return arg;
}

static void *storm(void *arg)
{
	while (!atomic_load(&stop)) {
		pthread_t t[16];
		long ok[16];
		int n = 0;

		for (long i = 0; i < 16; i++) {
			if (!pthread_create(&t[n], NULL, child, (void *)i))
				ok[n++] = i;
			else
				atomic_fetch_add(&create_failed, 1);
		}
		for (int i = 0; i < n; i++) {
			void *r;

			pthread_join(t[i], &r);
			/* A failed read (ENOMEM) is allowed; a wrong value is not. */
			if ((long)r != ok[i] && (long)r != -1L)
				atomic_fetch_add(&wrong, 1);
		}
		atomic_fetch_add(&created, n);
	}
	return NULL;
}

static long saved_per_thread(int nr)
{
	struct sleepers s;
	long before, after;

	before = meminfo_kb("KernelStack");
	if (sleepers_start(&s, nr) != nr)
		return -1;
	usleep(300000);
	after = meminfo_kb("KernelStack");
	/* Give the periodic reclaim pass time to run over them. */
	for (int i = 0; i < 8; i++) {
		usleep(500000);
		after = meminfo_kb("KernelStack");
	}
	sleepers_stop(&s);
	/* 16 kB per thread without dynstack; what is left per thread: */
	return 16 - (after - before) / nr;
}

/* Longer than the harness's default 30 s under the debug kernel and TCG. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, alloc_failures_and_empty_magazines, 600)
{
	const char *env = getenv("DYNSTACK_FAULT_SECONDS");
	int secs = env ? atoi(env) : 10;
	char path[64];
	pthread_t st[2];
	pid_t refill;
	long saved;

	if (access(FAIL "probability", W_OK))
		SKIP(return, "no fail_page_alloc in debugfs");
	if (!getenv("DYNSTACK_KO"))
		SKIP(return, "DYNSTACK_KO not set");
	ASSERT_NE(access("/sys/module/dynstack", F_OK), 0);
	ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
	refill = ds_pid_of("dynstack_refill");
	ASSERT_GT(refill, 0);

	/* Fail 30% of the allocations of the refill thread, sleeping ones too. */
	ASSERT_EQ(put_file(FAIL "task-filter", "Y"), 0);
	ASSERT_EQ(put_file(FAIL "ignore-gfp-wait", "N"), 0);
	ASSERT_EQ(put_file(FAIL "ignore-gfp-highmem", "N"), 0);
	ASSERT_EQ(put_file(FAIL "min-order", "0"), 0);
	ASSERT_EQ(put_file(FAIL "verbose", "0"), 0);
	ASSERT_EQ(put_file(FAIL "times", "-1"), 0);
	ASSERT_EQ(put_file(FAIL "interval", "1"), 0);
	ASSERT_EQ(put_file(FAIL "probability", "30"), 0);
	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", refill);
	ASSERT_EQ(put_file(path, "1"), 0);

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&st[i], NULL, storm, NULL), 0);
	for (int i = 0; i < secs * 10; i++) {
		usleep(100000);
		put_file(DS_DRAIN, "1");
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(st[i], NULL);
	put_file(path, "0");
	put_file(FAIL "probability", "0");

	TH_LOG("%d s of injection: %ld threads ran, %ld creations failed",
	       secs, atomic_load(&created), atomic_load(&create_failed));
	TH_LOG("supply: refill_failed %ld, take_reserve %ld, take_short %ld, refused %ld, nopage %ld",
	       ds_stat("stats", "refill_failed"), ds_stat("stats", "take_reserve"), ds_stat("stats", "take_short"),
	       ds_stat("stats", "refused"), ds_stat("stats", "nopage"));
	/* The allocator really failed for the refill thread. */
	EXPECT_GT(ds_stat("stats", "refill_failed"), 0);
	EXPECT_EQ(atomic_load(&wrong), 0);
	EXPECT_GT(atomic_load(&created), 0);

	/* Recovery: the supply refills and the savings are back. */
	saved = saved_per_thread(500);
	TH_LOG("after injection: %ld kB saved per sleeping thread", saved);
	EXPECT_GE(saved, 8);
	EXPECT_EQ(unload_module(), 0);
}

TEST_HARNESS_MAIN
