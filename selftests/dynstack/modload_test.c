// SPDX-License-Identifier: GPL-2.0
/*
 * insmod/rmmod of dynstack.ko in a loop while threads are created, exit
 * and sleep. After every rmmod no stack may miss a page (invariant I6,
 * read from /sys/kernel/mm/dynstack/core/), and at the end
 * KernelStack and free memory (free_kb()) must be back where they started.
 */
#include <stdatomic.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

static _Atomic int stop;
static atomic_long created, failed;

static void *child(void *arg)
{
	return arg;
}

static void *storm(void *arg)
{
	while (!atomic_load(&stop)) {
		pthread_t t[16];
		int n = 0;

		for (long i = 0; i < 16; i++)
			if (!pthread_create(&t[n], NULL, child, (void *)i))
				n++;
			else
				atomic_fetch_add(&failed, 1);
		for (int i = 0; i < n; i++) {
			void *r;

			pthread_join(t[i], &r);
			if ((long)r != i)
				atomic_fetch_add(&failed, 1);
		}
		atomic_fetch_add(&created, n);
	}
	return NULL;
}

/* Longer than the harness's default 30 s under the debug kernel and TCG. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, load_unload_under_storm, 900)
{
	const char *env = getenv("DYNSTACK_MODLOAD_CYCLES");
	int cycles = env ? atoi(env) : 50, partial_after = 0;
	long ks0, free0, ks_end, free_end;
	struct sleepers s;
	pthread_t st[2];

	if (!getenv("DYNSTACK_KO"))
		SKIP(return, "DYNSTACK_KO not set");
	ASSERT_NE(access("/sys/module/dynstack", F_OK), 0);
	ks0 = meminfo_kb("KernelStack");
	free0 = free_kb();

	ASSERT_EQ(sleepers_start(&s, 256), 256);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&st[i], NULL, storm, NULL), 0);

	for (int i = 0; i < cycles; i++) {
		ASSERT_EQ(load_module(), 0)
			TH_LOG("cycle %d: finit_module: %s", i, strerror(errno));
		usleep(50000 + (i % 5) * 20000);
		ASSERT_EQ(unload_module(), 0)
			TH_LOG("cycle %d: delete_module: %s", i, strerror(errno));
		/* I6: unregistering repopulated every stack. */
		if (ds_stat("core", "partial") != 0)
			partial_after++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(st[i], NULL);
	sleepers_stop(&s);
	usleep(300000);

	ks_end = meminfo_kb("KernelStack");
	free_end = free_kb();
	TH_LOG("%d cycles, %ld threads created meanwhile; KernelStack %ld -> %ld kB, free %ld -> %ld kB",
	       cycles, atomic_load(&created), ks0, ks_end, free0, free_end);
	EXPECT_EQ(partial_after, 0);
	EXPECT_EQ(atomic_load(&failed), 0);
	EXPECT_GT(atomic_load(&created), 0);
	EXPECT_LE(labs(ks_end - ks0), 8 * 16);
	EXPECT_GE(free_end, free0 - 4096);
}

TEST_HARNESS_MAIN
