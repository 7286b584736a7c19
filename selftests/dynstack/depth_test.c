// SPDX-License-Identifier: GPL-2.0
/*
 * The live-depth sampling (debugfs live_depth, the core's
 * dynstack_depth_key): off, it counts nothing; on, every switch-out of a
 * task that went to sleep is counted once, by the pages at or above its
 * saved stack pointer, and a sleep from deep in the stack shows in a
 * deeper bucket than one from shallow. Writing it needs
 * CAP_SYS_ADMIN, and rmmod turns it off.
 */
#include <time.h>
#define DYNSTACK_NEED_CAPS
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define DEPTH DS_DEBUGFS "live_depth"
#define PAGES 4
#define SLEEPS 200

/* hist[1..PAGES]; 0 on success. */
static int read_hist(long *hist)
{
	FILE *f = fopen(DEPTH, "r");
	int pages;
	long n;

	if (!f)
		return -1;
	memset(hist, 0, sizeof(long) * (PAGES + 1));
	while (fscanf(f, "%d %ld", &pages, &n) == 2)
		if (pages >= 1 && pages <= PAGES)
			hist[pages] = n;
	fclose(f);
	return 0;
}

static long sum(const long *h)
{
	long s = 0;

	for (int i = 1; i <= PAGES; i++)
		s += h[i];
	return s;
}

static void nap_many(void)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; i < SLEEPS; i++)
		nanosleep(&ms, NULL);
}

FIXTURE(depth) {
	int loaded;
};

FIXTURE_SETUP(depth)
{
	self->loaded = 0;
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "dynstack.ko not loaded and DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
		self->loaded = 1;
	}
	if (access(DEPTH, R_OK))
		SKIP(return, "no %s (debugfs, or an older dynstack.ko)", DEPTH);
}

FIXTURE_TEARDOWN(depth)
{
	put_file(DEPTH, "0");
	if (self->loaded)
		unload_module();
}

TEST_F(depth, counts_blocking_switch_outs_only_while_on)
{
	long h0[PAGES + 1], h1[PAGES + 1], h2[PAGES + 1];

	ASSERT_EQ(put_file(DEPTH, "0"), 0);
	ASSERT_EQ(read_hist(h0), 0);
	nap_many();
	ASSERT_EQ(read_hist(h1), 0);
	/* Off: nothing counted, not even the other tasks' switch-outs. */
	EXPECT_EQ(sum(h1), sum(h0));

	ASSERT_EQ(put_file(DEPTH, "1"), 0);
	nap_many();
	ASSERT_EQ(read_hist(h2), 0);
	TH_LOG("%d sleeps: %ld switch-outs counted (1..4 pages: %ld %ld %ld %ld)", SLEEPS,
	       sum(h2) - sum(h1), h2[1] - h1[1], h2[2] - h1[2], h2[3] - h1[3],
	       h2[4] - h1[4]);
	/* Each sleep is one blocking switch-out; others may add to it. */
	EXPECT_GE(sum(h2) - sum(h1), SLEEPS);
	/* A nanosleep from user space is shallow: the top page. */
	EXPECT_GE(h2[1] - h1[1], SLEEPS * 9 / 10);
}

/*
 * dynstack_deepsleep.ko sleeps 9 KiB down its writer's stack: those sleeps
 * count in the 3-page bucket (or deeper), not in the top page's.
 */
TEST_F(depth, deep_sleeps_count_deeper)
{
	const char *dir = getenv("DYNSTACK_MODDIR");
	long h0[PAGES + 1], h1[PAGES + 1];
	int loaded = 0, i;
	char ko[256];

	if (access("/sys/module/dynstack_deepsleep", F_OK)) {
		if (!dir)
			SKIP(return, "DYNSTACK_MODDIR not set");
		snprintf(ko, sizeof(ko), "%s/dynstack_deepsleep.ko", dir);
		ASSERT_EQ(load_ko(ko, ""), 0) TH_LOG("finit_module %s: %s", ko, strerror(errno));
		loaded = 1;
	}
	if (read_u32("/sys/module/dynstack_deepsleep/parameters/depth_kb") < 8)
		SKIP(goto out, "dynstack_deepsleep loaded with depth_kb below 8");
	ASSERT_EQ(put_file(DEPTH, "1"), 0);
	ASSERT_EQ(read_hist(h0), 0);
	/*
	 * Deep and shallow sleeps in turn: the depth must be that of each
	 * sleep's own switch-out, not of the one before.
	 */
	for (i = 0; i < 20; i++) {
		struct timespec ms = { 0, 1000000 };

		if (put_file("/sys/kernel/debug/dynstack_deepsleep/sleep", "2"))
			break;
		nanosleep(&ms, NULL);
	}
	ASSERT_EQ(read_hist(h1), 0);
	TH_LOG("20 deep and 20 shallow sleeps in turn: 1..4 pages %ld %ld %ld %ld",
	       h1[1] - h0[1], h1[2] - h0[2], h1[3] - h0[3], h1[4] - h0[4]);
	EXPECT_EQ(i, 20);
	EXPECT_GE(h1[3] - h0[3] + h1[4] - h0[4], 18);
	/* Counted once each: not every sleep twice, in both buckets. */
	EXPECT_LE(h1[3] - h0[3] + h1[4] - h0[4], 25);
	EXPECT_GE(h1[1] - h0[1], 18);
out:
	if (loaded)
		syscall(SYS_delete_module, "dynstack_deepsleep", O_NONBLOCK);
}

TEST_F(depth, bad_writes_and_unprivileged_change_nothing)
{
	long h0[PAGES + 1], h1[PAGES + 1];
	pid_t pid;
	int status;

	ASSERT_EQ(put_file(DEPTH, "0"), 0);
	EXPECT_NE(put_file(DEPTH, "maybe"), 0);
	EXPECT_EQ(errno, EINVAL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (drop_sys_admin())
			_exit(2);
		_exit(put_file(DEPTH, "1") == -1 && errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(WEXITSTATUS(status), 0);
	ASSERT_EQ(read_hist(h0), 0);
	nap_many();
	ASSERT_EQ(read_hist(h1), 0);
	/* Still off. */
	EXPECT_EQ(sum(h1), sum(h0));
}

TEST_HARNESS_MAIN
