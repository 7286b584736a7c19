// SPDX-License-Identifier: GPL-2.0
/*
 * The waiting protocol with every source of pages failing.
 *
 * Thousands of threads sleep on a futex until the reclaim pass has taken
 * their stack pages. Then every source of pages is cut off: the module's
 * magazines and depot are drained again and again, and fail_page_alloc
 * fails 100% of the allocations (sleeping ones too) of both threads that
 * make pages, the module's refill thread and the core's kdynstackd. The
 * threads are woken. Their wakeups must be deferred, not lost and not
 * served from the page allocator's atomic reserves: the woken threads do
 * not run while injection lasts, a pinned thread with a full stack keeps
 * waking and running meanwhile, and once injection stops every thread
 * completes this wave and the next ones. The host checks the console for
 * oopses, lockdep splats and warnings.
 *
 * DYNSTACK_WAIT_THREADS (default 2000) and DYNSTACK_WAIT_SECONDS (default
 * 10) size it.
 */
#include <linux/futex.h>
#include <stdatomic.h>
#include <time.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define FAIL "/sys/kernel/debug/fail_page_alloc/"
#define WAVES 3

static _Atomic int wave;
static atomic_int done[WAVES + 1];
static atomic_long ticks;
static _Atomic int stop_ticker;

static void futex_wait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
}

static void *worker(void *arg)
{
	for (int w = 1; w <= WAVES; w++) {
		int cur;

		while ((cur = atomic_load(&wave)) < w)
			futex_wait(&wave, cur);
		atomic_fetch_add(&done[w], 1);
	}
	return NULL;
}

static int pin(pid_t tid, int on)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%s%d", on ? "+" : "-", tid);
	return put_file("/sys/kernel/mm/dynstack/pinned_tids", buf);
}

/* A thread the policy never takes pages from: it must keep running. */
static void *ticker(void *arg)
{
	struct timespec ms = { 0, 1000000 };

	if (pin(gettid(), 1))
		return (void *)-1L;
	while (!atomic_load(&stop_ticker)) {
		nanosleep(&ms, NULL);
		atomic_fetch_add(&ticks, 1);
	}
	return NULL;
}

static long core(const char *key)
{
	return ds_stat("core", key);
}

static int set_fail(pid_t a, pid_t b, int on)
{
	char pa[64], pb[64];

	snprintf(pa, sizeof(pa), "/proc/%d/make-it-fail", a);
	snprintf(pb, sizeof(pb), "/proc/%d/make-it-fail", b);
	if (!on)
		return put_file(FAIL "probability", "0") | put_file(pa, "0") | put_file(pb, "0");
	return put_file(FAIL "task-filter", "Y") | put_file(FAIL "ignore-gfp-wait", "N") |
	       put_file(FAIL "ignore-gfp-highmem", "N") | put_file(FAIL "min-order", "0") |
	       put_file(FAIL "verbose", "0") | put_file(FAIL "times", "-1") |
	       put_file(FAIL "interval", "1") | put_file(pa, "1") | put_file(pb, "1") |
	       put_file(FAIL "probability", "100");
}

/* Wait up to @secs for done[@w] to reach @nr; returns what it reached. */
static int wait_wave(int w, int nr, int secs)
{
	for (int i = 0; i < secs * 10 && atomic_load(&done[w]) < nr; i++)
		usleep(100000);
	return atomic_load(&done[w]);
}

FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, wakeups_wait_for_pages_and_all_complete, 900)
{
	int nr = ds_env_int("DYNSTACK_WAIT_THREADS", 2000);
	int secs = ds_env_int("DYNSTACK_WAIT_SECONDS", 10);
	long defer0, wait0, failed0, ticks0, ticks1, parked, parked_peak = 0;
	long defer, wait_us, wait_max;
	int ran_early, ran_late, started = 0;
	pthread_t *tids, tick;
	pid_t kd, refill;
	void *tick_ret;

	if (access(FAIL "probability", W_OK))
		SKIP(return, "no fail_page_alloc in debugfs");
	if (!getenv("DYNSTACK_KO"))
		SKIP(return, "DYNSTACK_KO not set");
	ASSERT_NE(access("/sys/module/dynstack", F_OK), 0);
	ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
	kd = ds_pid_of("kdynstackd");
	refill = ds_pid_of("dynstack_refill");
	ASSERT_GT(kd, 0);
	ASSERT_GT(refill, 0);
	/* This thread drives the test: it keeps its stack. */
	ASSERT_EQ(pin(gettid(), 1), 0);
	ASSERT_EQ(pthread_create(&tick, NULL, ticker, NULL), 0);

	tids = calloc(nr, sizeof(*tids));
	ASSERT_NE(tids, NULL);
	started = ds_start_threads(tids, nr, worker, NULL);
	ASSERT_EQ(started, nr);

	/* The periodic reclaim pass strips the sleepers' stacks. */
	ASSERT_GE(ds_wait_partial(nr * 9 / 10), nr * 9 / 10);

	/* Cut off every source of pages, then wake everybody. */
	ASSERT_EQ(put_file(DS_DRAIN, "1"), 0);
	ASSERT_EQ(set_fail(kd, refill, 1), 0);
	ASSERT_EQ(put_file(DS_DRAIN, "1"), 0);
	defer0 = ds_vmstat("dynstack_defer");
	wait0 = ds_vmstat("dynstack_wait_us");
	failed0 = core("alloc_failed");
	atomic_store(&wave, 1);
	futex_wake_all(&wave);
	usleep(1000000);
	ran_early = atomic_load(&done[1]);
	ticks0 = atomic_load(&ticks);
	for (int i = 0; i < (secs - 1) * 10; i++) {
		usleep(100000);
		put_file(DS_DRAIN, "1");
		parked = core("parked");
		if (parked > parked_peak)
			parked_peak = parked;
	}
	ran_late = atomic_load(&done[1]);
	ticks1 = atomic_load(&ticks);
	parked = core("parked");
	TH_LOG("%d s without pages: %d of %d woken threads ran at once (full stacks), %d by the end; %ld parked (peak %ld)",
	       secs, ran_early, nr, ran_late, parked, parked_peak);
	TH_LOG("pinned ticker: %ld wakeups meanwhile; kdynstackd: %ld failed allocations",
	       ticks1 - ticks0, core("alloc_failed") - failed0);
	/* The woken threads wait: none ran after the first second. */
	EXPECT_EQ(ran_late, ran_early);
	EXPECT_GE(parked, nr / 2);
	EXPECT_GE(ran_late + parked, nr);
	/* A task with a full stack keeps running. */
	EXPECT_GE(ticks1 - ticks0, (long)(secs - 1) * 20);
	/* Both sources really failed. */
	EXPECT_GT(core("alloc_failed") - failed0, 0);

	/* Pages come back: every thread completes every wave. */
	ASSERT_EQ(set_fail(kd, refill, 0), 0);
	EXPECT_EQ(wait_wave(1, nr, 120), nr);
	for (int w = 2; w <= WAVES; w++) {
		atomic_store(&wave, w);
		futex_wake_all(&wave);
		EXPECT_EQ(wait_wave(w, nr, 120), nr) TH_LOG("wave %d", w);
	}
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	atomic_store(&stop_ticker, 1);
	pthread_join(tick, &tick_ret);
	EXPECT_EQ(tick_ret, NULL);

	defer = ds_vmstat("dynstack_defer") - defer0;
	wait_us = ds_vmstat("dynstack_wait_us") - wait0;
	wait_max = core("wait_max_us");
	TH_LOG("deferred wakeups %ld, waited %ld us in all, longest %ld us; parked now %ld",
	       defer, wait_us, wait_max, core("parked"));
	/* Every parked wakeup was counted, and each waited the injection out. */
	EXPECT_GE(defer, parked_peak);
	EXPECT_GE(wait_us, parked_peak * (secs - 2) * 1000000L);
	EXPECT_GE(wait_max, (long)(secs - 2) * 1000000L);
	EXPECT_EQ(core("parked"), 0);
	EXPECT_EQ(ds_stat("stats", "nopage"), ds_vmstat("dynstack_defer"));
	pin(gettid(), 0);
	EXPECT_EQ(unload_module(), 0);
}

TEST_HARNESS_MAIN
