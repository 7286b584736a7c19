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
#include <linux/dynstack.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/ioctl.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define DIR "/sys/kernel/mm/dynstack/"
#define TICK_MS 100

static _Atomic int wave;
static atomic_int done[3];
static atomic_int gen, stop_waking;

static long stat(const char *key)
{
	return ds_stat("stats", key);
}

/* Pages in the supply above its reserve: what sizing is about. */
static long spare(void)
{
	return stat("magazine_pages") + stat("depot_pages");
}

/* An idle magazine keeps one worst-case wakeup per CPU (DS_MAG_FLOOR). */
#define MAG_FLOOR 3

static long spare_floor(void)
{
	return MAG_FLOOR * sysconf(_SC_NPROCESSORS_ONLN);
}

/*
 * Pages in @cpu's magazine (DYNSTACK_IOC_CPU_STATS), and the pages its
 * wakeups took from it and from elsewhere; -1 with errno on failure.
 */
static long cpu_stat(int cpu, long *take_mag, long *take_other)
{
	struct dynstack_cpu_stats c = { .size = sizeof(c), .cpu = cpu };
	int fd = open("/dev/dynstack", O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -1;
	err = ioctl(fd, DYNSTACK_IOC_CPU_STATS, &c) ? errno : 0;
	close(fd);
	errno = err;
	if (err)
		return -1;
	if (take_mag)
		*take_mag = c.take_magazine;
	if (take_other)
		*take_other = c.take_depot + c.take_reserve + c.take_short;
	return c.magazine_pages;
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

/* Waits for the waker's next round, until told to stop. */
static void *waiter(void *arg)
{
	while (!atomic_load(&stop_waking)) {
		int g = atomic_load(&gen);

		syscall(SYS_futex, &gen, FUTEX_WAIT_PRIVATE, g, NULL, NULL, 0);
	}
	return NULL;
}

/*
 * Every 50 ms (longer than min_sleep_us: the waiters' pages go at each
 * switch-out), wakes every waiter at once. Pinned, so its own wakeups
 * take nothing: the takes of a round are the waiters', all made here in
 * try_to_wake_up() on this CPU before any of them runs.
 */
static void *waker(void *arg)
{
	char tid[32];

	snprintf(tid, sizeof(tid), "+%d", gettid());
	if (put_file(DIR "pinned_tids", tid))
		return (void *)-1L;
	while (!atomic_load(&stop_waking)) {
		usleep(50000);
		atomic_fetch_add(&gen, 1);
		syscall(SYS_futex, &gen, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	}
	tid[0] = '-';
	put_file(DIR "pinned_tids", tid);
	return NULL;
}

FIXTURE(sizing) {
	int loaded;
	unsigned int interval, low, mag, nap, reclaim;
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
	self->mag = read_u32(DIR "magazine_size");
	self->nap = read_u32(DIR "min_sleep_us");
	self->reclaim = read_u32(DIR "reclaim_interval_ms");
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
	write_u32(DIR "magazine_size", self->mag);
	write_u32(DIR "min_sleep_us", self->nap);
	write_u32(DIR "reclaim_interval_ms", self->reclaim);
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
 * the target grows at once, and falls back to the floor once they sleep
 * again. Every thread runs meanwhile. How far it grows depends on how far
 * the storm outruns the refill thread: from 12 pages when the refill kept
 * up on the other CPU (a CI boot: no page from the reserve) to
 * depot_high when it did not (hundreds of pages from the reserve, and
 * wakeups that waited). So it must grow, and grow again once the storm
 * has outrun the refill: each growth waits for the refill thread to make
 * a page (ds_sizing_grow()), and that thread runs at RT priority so that
 * a storm cannot starve it: one that drew 64 pages from the reserve, or
 * waited for them, should have seen it run meanwhile (gives and
 * kdynstackd also fill those pages, so this is not a certainty, but no
 * boot here has come near: 7 growths with 6000 and more).
 */
TEST_F_TIMEOUT(sizing, wake_storm_grows_it_then_it_shrinks, 300)
{
	int nr = ds_env_int("DYNSTACK_SIZING_THREADS", 1000);
	long grown0, grown, beyond, peak = 0, short0, res0;
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
	grown = stat("supply_grown") - grown0;
	beyond = stat("take_reserve") - res0 + stat("take_short") - short0;
	TH_LOG("storm of %d wakeups: target grew %ld times, peak %ld pages; %ld from the reserve or short",
	       nr, grown, peak, beyond);
	EXPECT_GT(grown, 0);
	if (beyond >= 64)
		EXPECT_GE(grown, 2);

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

/* The last CPU this thread may run on, or -1. */
static int last_cpu(const cpu_set_t *set)
{
	for (int cpu = CPU_SETSIZE - 1; cpu >= 0; cpu--)
		if (CPU_ISSET(cpu, set))
			return cpu;
	return -1;
}

/* Does the kernel run any CPU without the scheduler tick (nohz_full)? */
static int any_nohz_full(void)
{
	char buf[64] = "";
	FILE *f = fopen("/sys/devices/system/cpu/nohz_full", "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] && buf[0] != '\n' && strncmp(buf, "(null)", 6);
}

/*
 * A busy magazine is trimmed to its working set, and no lower: filled to
 * magazine_size by sleepers on one CPU, then used by 4 threads there that
 * a waker wakes together every 50 ms (each wakeup takes up to 3 pages,
 * each switch-out gives them back), it falls to what one round takes
 * plus MAG_FLOOR within log2(magazine_size) + 2 ticks, and still serves
 * those rounds. A magazine kept whole while anything took from it would
 * stay at magazine_size; one trimmed like an idle one would send part of
 * each round to the depot. The tick is 300 ms, 6 rounds, so that a slow
 * guest does not leave an interval without a take. No reclaim pass runs:
 * it could give pages on this CPU.
 */
TEST_F_TIMEOUT(sizing, busy_magazine_keeps_its_working_set, 120)
{
	const int nr_waiters = 4, tick_ms = 300, size = 32, slack = 6;
	long full, peak = 0, tm1, to1, tm2, to2, rounds, per_round;
	pthread_t wk, ws[4];
	cpu_set_t set, old;
	struct sleepers sl;
	int cpu, ticks = 2, gen1;

	ASSERT_EQ(sched_getaffinity(0, sizeof(old), &old), 0);
	cpu = last_cpu(&old);
	ASSERT_GE(cpu, 0);
	if (any_nohz_full())
		SKIP(return, "nohz_full: the tick leaves such CPUs' magazines alone");
	ASSERT_GE(cpu_stat(cpu, NULL, NULL), 0)
		TH_LOG("DYNSTACK_IOC_CPU_STATS: %s", strerror(errno));
	ASSERT_EQ(write_u32(DIR "magazine_size", size), 0);
	ASSERT_EQ(write_u32(DIR "min_sleep_us", 20000), 0);
	ASSERT_EQ(write_u32(DIR "reclaim_interval_ms", 0), 0);
	/* No tick while it fills. */
	ASSERT_EQ(write_u32(DIR "shrink_interval_ms", 3600000), 0);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_EQ(sched_setaffinity(0, sizeof(set), &set), 0);
	/* All inherit the CPU: their switch-outs give to its magazine. */
	for (int i = 0; i < nr_waiters; i++)
		ASSERT_EQ(pthread_create(&ws[i], NULL, waiter, NULL), 0);
	ASSERT_EQ(pthread_create(&wk, NULL, waker, NULL), 0);
	ASSERT_EQ(sleepers_start(&sl, 64), 64);
	usleep(500000);
	full = cpu_stat(cpu, NULL, NULL);

	ASSERT_EQ(write_u32(DIR "shrink_interval_ms", tick_ms), 0);
	/* log2(magazine_size) + 2 ticks, four times over for a slow guest. */
	while ((1L << (ticks - 1)) <= size)
		ticks++;
	usleep(4 * ticks * tick_ms * 1000);
	ASSERT_GE(cpu_stat(cpu, &tm1, &to1), 0);
	gen1 = atomic_load(&gen);
	for (int i = 0; i < 10 * tick_ms / 25; i++) {
		long m = cpu_stat(cpu, NULL, NULL);

		if (m > peak)
			peak = m;
		usleep(25000);
	}
	ASSERT_GE(cpu_stat(cpu, &tm2, &to2), 0);
	rounds = atomic_load(&gen) - gen1;
	per_round = rounds ? (tm2 - tm1 + to2 - to1 + rounds - 1) / rounds : 0;
	TH_LOG("cpu %d: magazine filled to %ld pages; then at most %ld while %ld rounds of %d wakeups took %ld pages from it and %ld from elsewhere (%ld a round)",
	       cpu, full, peak, rounds, nr_waiters, tm2 - tm1, to2 - to1, per_round);

	atomic_store(&stop_waking, 1);
	pthread_join(wk, NULL);
	atomic_fetch_add(&gen, 1);
	syscall(SYS_futex, &gen, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	for (int i = 0; i < nr_waiters; i++)
		pthread_join(ws[i], NULL);
	sleepers_stop(&sl);
	sched_setaffinity(0, sizeof(old), &old);

	/* Enough that a magazine kept whole fails the upper bound. */
	ASSERT_GT(full, per_round + MAG_FLOOR + slack) TH_LOG("the sleepers did not fill the magazine");
	ASSERT_GE(rounds, 10);
	/* The rounds take more than the floor: a working set to keep. */
	EXPECT_GT(per_round, MAG_FLOOR);
	/*
	 * Kept: the rounds are served from it. Over these 10 ticks, less
	 * than one round's pages came from elsewhere; a magazine trimmed like
	 * an idle one spills part of a round to the depot at every tick.
	 */
	EXPECT_LE(to2 - to1, per_round);
	EXPECT_GE(peak, per_round);
	/* Trimmed: no more than a round and the floor. */
	EXPECT_LE(peak, per_round + MAG_FLOOR + slack);
}

TEST_HARNESS_MAIN
