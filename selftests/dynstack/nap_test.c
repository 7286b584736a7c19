// SPDX-License-Identifier: GPL-2.0
/*
 * The periodic reclaim pass and napping threads: a thread that wakes more
 * often than min_sleep_us keeps its pages through the passes, as it does at
 * switch-out (taking them would only have it take them back within
 * milliseconds, every such thread at once after each pass), and gives them
 * up within a few passes once it stops waking. An explicit pass
 * (DYNSTACK_IOC_RECLAIM) takes them at once.
 *
 * This thread pins itself, so that its own polling takes and gives nothing.
 * DYNSTACK_NAP_THREADS (default 100) sets how many threads wake every 5 ms.
 */
#include <linux/dynstack.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/ioctl.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define DIR "/sys/kernel/mm/dynstack/"
#define PERIOD_NS 5000000L	/* the tickers' period: 5 ms */
#define NAP_US 20000		/* min_sleep_us: 20 ms, four periods */
#define PASS_MS 100		/* reclaim_interval_ms */

struct tickers {
	pthread_t *threads;
	pid_t *tids;
	int nr;
	atomic_int started, stop;
	int pipe[2];
};

/* Wake every PERIOD_NS until told to stop, then sleep in read() for good. */
static void *ticker(void *arg)
{
	struct tickers *t = arg;
	int me = atomic_fetch_add(&t->started, 1);
	struct timespec next;
	char c;

	t->tids[me] = gettid();
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&t->stop)) {
		next.tv_nsec += PERIOD_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	while (read(t->pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static long stat(const char *key)
{
	return ds_stat("stats", key);
}

/* Pages the reclaim passes took so far, untouched and touched. */
static long reclaimed(void)
{
	return stat("reclaim_detached") + stat("reclaim_harvested");
}

/* How many tickers' stacks hold fewer pages than their size; -1 on error. */
static int partial_tickers(int fd, const struct tickers *t)
{
	int partial = 0;

	for (int i = 0; i < t->nr; i++) {
		struct dynstack_task info = { .size = sizeof(info), .pid = t->tids[i] };

		if (ioctl(fd, DYNSTACK_IOC_TASK, &info))
			return -1;
		partial += info.resident_pages < info.stack_pages;
	}
	return partial;
}

FIXTURE(nap) {
	int loaded, fd;
	unsigned int nap, reclaim;
	struct tickers t;
};

FIXTURE_SETUP(nap)
{
	int nr = ds_env_int("DYNSTACK_NAP_THREADS", 100);
	char tid[32];

	self->loaded = 0;
	self->fd = -1;
	self->t.nr = 0;
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "dynstack.ko not loaded and DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
		self->loaded = 1;
	}
	ASSERT_GE(stat("reclaim_spared"), 0) TH_LOG("no stats/reclaim_spared: an older dynstack.ko");
	self->nap = read_u32(DIR "min_sleep_us");
	self->reclaim = read_u32(DIR "reclaim_interval_ms");
	ASSERT_EQ(write_u32(DIR "min_sleep_us", NAP_US), 0);
	ASSERT_EQ(write_u32(DIR "reclaim_interval_ms", PASS_MS), 0);
	snprintf(tid, sizeof(tid), "+%d", gettid());
	ASSERT_EQ(put_file(DIR "pinned_tids", tid), 0);
	self->fd = open("/dev/dynstack", O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0);

	self->t.threads = calloc(nr, sizeof(*self->t.threads));
	self->t.tids = calloc(nr, sizeof(*self->t.tids));
	ASSERT_TRUE(self->t.threads && self->t.tids);
	ASSERT_EQ(pipe(self->t.pipe), 0);
	atomic_store(&self->t.started, 0);
	atomic_store(&self->t.stop, 0);
	self->t.nr = ds_start_threads(self->t.threads, nr, ticker, &self->t);
	ASSERT_EQ(self->t.nr, nr);
	while (atomic_load(&self->t.started) < nr)
		usleep(1000);
	/*
	 * Each ticker's first sleep gives up its dead pages, and its wakeup
	 * 5 ms later takes them back: from then on it naps. Several passes.
	 */
	usleep(5 * PASS_MS * 1000);
}

FIXTURE_TEARDOWN(nap)
{
	char buf[256] = { 0 };
	char tid[32];

	atomic_store(&self->t.stop, 1);
	for (int left = self->t.nr; left > 0;) {
		int n = write(self->t.pipe[1], buf, left < 256 ? left : 256);

		if (n <= 0)
			break;
		left -= n;
	}
	for (int i = 0; i < self->t.nr; i++)
		pthread_join(self->t.threads[i], NULL);
	if (self->t.nr) {
		close(self->t.pipe[0]);
		close(self->t.pipe[1]);
	}
	free(self->t.threads);
	free(self->t.tids);
	if (self->fd >= 0)
		close(self->fd);
	snprintf(tid, sizeof(tid), "-%d", gettid());
	put_file(DIR "pinned_tids", tid);
	write_u32(DIR "min_sleep_us", self->nap);
	write_u32(DIR "reclaim_interval_ms", self->reclaim);
	if (self->loaded)
		unload_module();
}

/*
 * Over about ten passes, the passes leave the tickers alone (each is
 * spared at nearly every pass) and take less than one page per ticker in
 * all: without the sparing they took every ticker's dead pages at every
 * pass, two or three each. Then the tickers stop and sleep: within a few
 * passes every one has lost its pages.
 */
TEST_F_TIMEOUT(nap, periodic_pass_spares_nappers_until_they_sleep, 120)
{
	long passes, spared, taken;
	int partial = 0;

	passes = stat("reclaim_passes");
	spared = stat("reclaim_spared");
	taken = reclaimed();
	usleep(10 * PASS_MS * 1000);
	passes = stat("reclaim_passes") - passes;
	spared = stat("reclaim_spared") - spared;
	taken = reclaimed() - taken;
	TH_LOG("%d tickers, %ld passes: %ld tickers spared, %ld pages taken", self->t.nr,
	       passes, spared, taken);
	ASSERT_GE(passes, 5);
	EXPECT_GE(spared, self->t.nr * passes / 2);
	EXPECT_LT(taken, self->t.nr);

	/* They sleep now: every stack goes partial within a few passes. */
	atomic_store(&self->t.stop, 1);
	for (int i = 0; i < 30 && partial < self->t.nr; i++) {
		usleep(PASS_MS * 1000);
		partial = partial_tickers(self->fd, &self->t);
		ASSERT_GE(partial, 0) TH_LOG("DYNSTACK_IOC_TASK: %s", strerror(errno));
	}
	TH_LOG("asleep: %d of %d tickers lost their pages", partial, self->t.nr);
	EXPECT_EQ(partial, self->t.nr);
}

/*
 * A pass asked for by hand spares nobody: it takes the napping tickers'
 * pages. The periodic passes are off first, so that none has just taken
 * them (the ioctl waits for a running pass) before the tickers' wakeups
 * put them back.
 */
TEST_F(nap, explicit_pass_takes_nappers)
{
	struct dynstack_reclaim r = {
		.size = sizeof(r), .flags = DYNSTACK_RECLAIM_TOUCHED,
	};

	ASSERT_EQ(write_u32(DIR "reclaim_interval_ms", 0), 0);
	usleep(2 * PASS_MS * 1000);
	ASSERT_EQ(ioctl(self->fd, DYNSTACK_IOC_RECLAIM, &r), 0);
	TH_LOG("explicit pass: %llu tasks, %llu + %llu pages", r.scanned,
	       r.detached, r.harvested);
	/* Most tickers are asleep at any moment; each gives a page or more. */
	EXPECT_GE(r.detached + r.harvested, self->t.nr / 2);
}

TEST_HARNESS_MAIN
