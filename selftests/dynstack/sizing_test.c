// SPDX-License-Identifier: GPL-2.0
/*
 * The supply is sized by demand (module/sizing.c): it shrinks to its floor
 * when idle, within a bounded number of shrink_interval_ms ticks, and grows
 * at once under a wake storm, then shrinks back once the storm is over.
 *
 * This thread pins itself (its stack keeps its pages), so its own polling
 * neither takes nor gives pages: on an otherwise quiet guest the supply
 * then sees no demand at all.
 *
 * DYNSTACK_SIZING_THREADS (default 1000) sizes the storm.
 */
#include <linux/futex.h>
#include <stdatomic.h>
#include <time.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define DIR "/sys/kernel/mm/dynstack/"
#define TICK_MS 100

static _Atomic int wave;
static atomic_int done[3];

static long stat(const char *key)
{
	return ds_stat("stats", key);
}

/* Pages in the supply above its reserve: what sizing is about. */
static long spare(void)
{
	return stat("magazine_pages") + stat("depot_pages");
}

/* An idle magazine keeps one worst-case wakeup (3 pages) per CPU. */
static long spare_floor(void)
{
	return 3 * sysconf(_SC_NPROCESSORS_ONLN);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait up to @secs for the depot target to reach @target and the spare
 * pages to fall to @max; returns the seconds it took, or -1.
 */
static double wait_floor(long target, long max, int secs)
{
	double t0 = now_s();

	for (int i = 0; i < secs * 20; i++) {
		if (stat("depot_target") == target && spare() <= max)
			return now_s() - t0;
		usleep(50000);
	}
	return -1;
}

static void *worker(void *arg)
{
	for (int w = 1; w <= 2; w++) {
		int cur;

		while ((cur = atomic_load(&wave)) < w)
			syscall(SYS_futex, &wave, FUTEX_WAIT_PRIVATE, cur, NULL, NULL, 0);
		atomic_fetch_add(&done[w], 1);
	}
	return NULL;
}

FIXTURE(sizing) {
	int loaded;
	unsigned int interval, low;
};

FIXTURE_SETUP(sizing)
{
	char tid[32];

	self->loaded = 0;
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "dynstack.ko not loaded and DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
		self->loaded = 1;
	}
	self->interval = read_u32(DIR "shrink_interval_ms");
	self->low = read_u32(DIR "depot_low");
	ASSERT_NE(self->interval, -1U) TH_LOG("no shrink_interval_ms: an older dynstack.ko");
	ASSERT_EQ(write_u32(DIR "shrink_interval_ms", TICK_MS), 0);
	snprintf(tid, sizeof(tid), "+%d", gettid());
	ASSERT_EQ(put_file(DIR "pinned_tids", tid), 0);
}

FIXTURE_TEARDOWN(sizing)
{
	char tid[32];

	snprintf(tid, sizeof(tid), "-%d", gettid());
	put_file(DIR "pinned_tids", tid);
	write_u32(DIR "depot_low", self->low);
	write_u32(DIR "shrink_interval_ms", self->interval);
	if (self->loaded)
		unload_module();
}

/*
 * A depot filled to a raised floor falls to the real floor once the floor
 * is lowered: one halving per tick, so within log2(depot_high) + 1 ticks,
 * and idle magazines with it. Bad values of the knob change nothing.
 */
TEST_F_TIMEOUT(sizing, idle_supply_shrinks_to_its_floor, 120)
{
	long shrunk0, depot0, high = read_u32(DIR "depot_high");
	double took, bound;
	int ticks;

	ASSERT_EQ(write_u32(DIR "depot_low", 128), 0);
	/*
	 * The refill keeps the depot above half the raised floor, and a tick
	 * or two takes the target up to it.
	 */
	ASSERT_GE(wait_floor(128, 1 << 20, 10), 0);
	for (int i = 0; i < 100 && stat("depot_pages") < 64; i++)
		usleep(50000);
	ASSERT_GE(stat("depot_pages"), 64);
	usleep(3 * TICK_MS * 1000);

	depot0 = stat("depot_pages");
	shrunk0 = stat("supply_shrunk");
	ASSERT_EQ(write_u32(DIR "depot_low", 0), 0);
	for (ticks = 0; (1L << ticks) <= high; ticks++)
		;
	/*
	 * log2(depot_high) + 1 ticks for the depot; the magazines halve in the
	 * same ticks, down to what their CPU's wakeups take. Four times that
	 * leaves room for a busy guest and the debug kernel.
	 */
	bound = 4.0 * (ticks + 1) * TICK_MS / 1000;
	took = wait_floor(0, spare_floor(), 30);
	TH_LOG("idle supply: from a %ld-page depot to %ld spare pages in %.2f s (%d-tick bound %.2f s); %ld halvings",
	       depot0, spare(), took, ticks + 1, bound, stat("supply_shrunk") - shrunk0);
	ASSERT_GE(took, 0);
	EXPECT_LE(took, bound);
	EXPECT_GE(stat("supply_shrunk") - shrunk0, 7);
	/* (Any wakeup from now on may raise it again: not checked.) */

	/* A new interval applies at once, not after the tick pending. */
	ASSERT_EQ(write_u32(DIR "shrink_interval_ms", 3600000), 0);
	ASSERT_EQ(write_u32(DIR "depot_low", 128), 0);
	for (int i = 0; i < 100 && stat("depot_pages") < 64; i++)
		usleep(50000);
	ASSERT_EQ(write_u32(DIR "shrink_interval_ms", TICK_MS), 0);
	usleep(3 * TICK_MS * 1000);
	shrunk0 = stat("supply_shrunk");
	ASSERT_EQ(write_u32(DIR "depot_low", 0), 0);
	usleep(20 * TICK_MS * 1000);
	EXPECT_GT(stat("supply_shrunk") - shrunk0, 0)
		TH_LOG("no tick within 20 intervals of shrink_interval_ms=%d", TICK_MS);

	/* Refused, and nothing changes. */
	EXPECT_NE(write_u32(DIR "shrink_interval_ms", 5), 0);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_NE(write_u32(DIR "shrink_interval_ms", 3600001), 0);
	EXPECT_EQ(read_u32(DIR "shrink_interval_ms"), TICK_MS);
}

/*
 * Threads whose stacks were taken, woken all at once, find the depot dry:
 * the target grows at once (to depot_high within a few takes), and falls
 * back to the floor once they sleep again. Every thread runs meanwhile.
 */
TEST_F_TIMEOUT(sizing, wake_storm_grows_it_then_it_shrinks, 300)
{
	int nr = ds_env_int("DYNSTACK_SIZING_THREADS", 1000);
	long grown0, peak = 0, short0, res0;
	pthread_t *tids;
	double took;

	tids = calloc(nr, sizeof(*tids));
	ASSERT_NE(tids, NULL);
	ASSERT_EQ(ds_start_threads(tids, nr, worker, NULL), nr);
	ASSERT_GE(ds_wait_partial(nr * 9 / 10), nr * 9 / 10);
	ASSERT_GE(wait_floor(0, spare_floor(), 30), 0)
		TH_LOG("the supply did not settle before the storm: target %ld, spare %ld",
		       stat("depot_target"), spare());

	grown0 = stat("supply_grown");
	short0 = stat("take_short");
	res0 = stat("take_reserve");
	atomic_store(&wave, 1);
	syscall(SYS_futex, &wave, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	/* The peak, sampled while they run; then all of them, however slow. */
	for (int i = 0; i < 500 && atomic_load(&done[1]) < nr; i++) {
		long t = stat("depot_target");

		if (t > peak)
			peak = t;
		usleep(10000);
	}
	for (int i = 0; i < 1200 && atomic_load(&done[1]) < nr; i++)
		usleep(100000);
	ASSERT_EQ(atomic_load(&done[1]), nr);
	if (stat("depot_target") > peak)
		peak = stat("depot_target");
	TH_LOG("storm of %d wakeups: target grew %ld times, peak %ld pages; %ld from the reserve, %ld short",
	       nr, stat("supply_grown") - grown0, peak, stat("take_reserve") - res0,
	       stat("take_short") - short0);
	EXPECT_GT(stat("supply_grown") - grown0, 0);
	EXPECT_GE(peak, 32);

	/* They sleep again; the reclaim pass gives their pages back. */
	ASSERT_GE(ds_wait_partial(nr * 9 / 10), nr * 9 / 10);
	took = wait_floor(0, spare_floor(), 60);
	TH_LOG("after the storm: back to %ld spare pages in %.2f s after the stacks were taken again",
	       spare(), took);
	EXPECT_GE(took, 0);

	atomic_store(&wave, 2);
	syscall(SYS_futex, &wave, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	for (int i = 0; i < nr; i++)
		pthread_join(tids[i], NULL);
	free(tids);
}

TEST_HARNESS_MAIN
