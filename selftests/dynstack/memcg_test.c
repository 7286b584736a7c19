// SPDX-License-Identifier: GPL-2.0
/*
 * The memcg charge of a stack follows the pages it holds
 * (kernel/dynstack/charge.c, invariant I9), against a real cgroup v2.
 *
 * Each case puts a child process with NR threads, asleep on a futex, in a
 * memory cgroup of its own, reads memory.current with every stack charged
 * in full, and runs one reclaim pass (DYNSTACK_IOC_RECLAIM, which settles
 * the charge of every stack it visits; the periodic pass is off meanwhile,
 * so the figures are the test's alone). Then:
 *
 *  - follows_residency: memory.current fell by about 12 KiB per thread,
 *    by exactly the pages the core uncharged; waking every thread charges
 *    them again (each wakeup waits for kdynstackd's charge), and
 *    memory.current rises back.
 *  - limit_holds: memory.max leaves room for a few dozen wakeups only.
 *    Waking every thread ends with the memcg OOM killer killing the child
 *    (memory.events oom_kill), not every thread runs, memory.peak never
 *    exceeds memory.max, and no wakeup stays parked.
 *  - unkillable_waits_alone: the same with the child exempt from the OOM
 *    killer: its threads wait for stack pages (the charges fail and are
 *    retried), while the threads of another process, outside the memcg,
 *    wake and run; raising memory.max lets every waiting thread run.
 *  - moved_task_keeps_charge: a process moved to another memcg after its
 *    stacks were settled is charged again, at its wakeups, in the memcg
 *    that charged it at fork, as every kernel object stays charged where
 *    it was allocated; and from then on it is not settled any more, so
 *    that it never waits for a memcg it left.
 *  - rmmod_restores: unloading the module charges every stack back to
 *    full: memory.current returns to the full-stack figure.
 *
 * DYNSTACK_MEMCG_THREADS (default 2000) sizes it.
 */
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/dynstack.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define CG_ROOT "/sys/fs/cgroup"
#define CG CG_ROOT "/dynstack-memcg"
#define CG2 CG_ROOT "/dynstack-memcg-other"
#define TUNABLE "/sys/kernel/mm/dynstack/reclaim_interval_ms"
#define KIB 1024L

/* /dev/dynstack, open in the test: not in its children (rmmod_restores). */
static int dev_fd = -1;

struct shared {
	_Atomic int wave;
	atomic_int started;
	atomic_int ran;
};

static void futex_wait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

/* Sleep on the wave futex; count one run per wave. */
static void *thread_fn(void *arg)
{
	struct shared *sh = arg;
	int seen = 0;

	atomic_fetch_add(&sh->started, 1);
	for (;;) {
		int cur = atomic_load(&sh->wave);

		if (cur == seen) {
			futex_wait(&sh->wave, cur);
			continue;
		}
		seen = cur;
		atomic_fetch_add(&sh->ran, 1);
	}
	return NULL;
}

/*
 * A process with @nr sleeping threads, started once it can read a byte
 * from @gate (its parent has moved it to its cgroup by then); exempt from
 * the OOM killer if @unkillable.
 */
static pid_t spawn(struct shared *sh, int nr, bool unkillable, int gate[2])
{
	pid_t pid = fork();
	pthread_t *tids;
	char c;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(dev_fd);
	close(gate[1]);
	if (read(gate[0], &c, 1) != 1)
		_exit(1);
	if (unkillable)
		put_file("/proc/self/oom_score_adj", "-1000");
	tids = calloc(nr, sizeof(*tids));
	if (!tids || ds_start_threads(tids, nr, thread_fn, sh) != nr)
		_exit(1);
	for (;;)
		pause();
}

/* A number from a cgroup file (memory.current, memory.max), or -1. */
static long cg_long_at(const char *cg, const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return read_long(path);
}

static long cg_long(const char *file)
{
	return cg_long_at(CG, file);
}

static long kernel_stack(void)
{
	return ds_key_of(CG "/memory.stat", "kernel_stack");
}

/* Wait up to @secs for @counter to reach @want; returns its value. */
static int wait_count(atomic_int *counter, int want, int secs)
{
	for (int i = 0; i < secs * 20 && atomic_load(counter) < want; i++)
		usleep(50000);
	return atomic_load(counter);
}

/* Wait up to @secs for no wakeup to be parked; returns how many are. */
static long wait_unparked(int secs)
{
	for (int i = 0; i < secs * 10 && ds_stat("core", "parked") > 0; i++)
		usleep(100000);
	return ds_stat("core", "parked");
}

/* A cgroup v2 with the memory controller enabled for children, or false. */
static bool memcg_available(void)
{
	char buf[256] = "";
	int fd, n;

	if (access(CG_ROOT "/cgroup.procs", F_OK))
		mount("none", CG_ROOT, "cgroup2", 0, NULL);
	put_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	fd = open(CG_ROOT "/cgroup.subtree_control", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && strstr(buf, "memory");
}

/*
 * How far memory.current may be from the pages charged: memcg keeps up
 * to MEMCG_CHARGE_BATCH (64) pages charged in each CPU's stock, and a
 * page's worth of bytes in each CPU's object stock.
 */
static long stock_slack(void)
{
	return sysconf(_SC_NPROCESSORS_CONF) * 65 * 4 * KIB;
}

FIXTURE(memcg) {
	bool loaded;
	int fd;
	int nr;
	unsigned int interval;
	struct shared *sh;
	pid_t child;
	long full;	/* memory.current with every stack charged in full */
	long settled;	/* and after the reclaim pass settled them */
	long ks_settled;
};

FIXTURE_SETUP(memcg)
{
	self->loaded = false;
	self->fd = -1;
	self->child = 0;
	self->nr = ds_env_int("DYNSTACK_MEMCG_THREADS", 2000);
	self->interval = -1U;
	if (!memcg_available())
		SKIP(return, "no cgroup v2 memory controller");
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
		self->loaded = true;
	}
	self->fd = open(DYNSTACK_DEVICE, O_RDONLY);
	ASSERT_GE(self->fd, 0);
	dev_fd = self->fd;
	/* Only this test's reclaim passes settle charges. */
	self->interval = read_u32(TUNABLE);
	ASSERT_EQ(write_u32(TUNABLE, 0), 0);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(self->sh, MAP_FAILED);
	rmdir(CG);
	ASSERT_EQ(mkdir(CG, 0755), 0) TH_LOG("mkdir %s: %s", CG, strerror(errno));
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	/* The cgroup goes once its last task has been reaped. */
	for (int i = 0; i < 50 && rmdir(CG) && errno == EBUSY; i++)
		usleep(100000);
	rmdir(CG2);
	if (self->interval != -1U && !access(TUNABLE, F_OK))
		EXPECT_EQ(write_u32(TUNABLE, self->interval), 0);
	if (self->fd >= 0)
		close(self->fd);
	if (self->loaded)
		EXPECT_EQ(unload_module(), 0);
}

/* One reclaim pass, touched pages too: every sleeping stack is settled. */
static int reclaim(int fd)
{
	struct dynstack_reclaim r = { .size = sizeof(r), .flags = DYNSTACK_RECLAIM_TOUCHED };

	return ioctl(fd, DYNSTACK_IOC_RECLAIM, &r);
}

/*
 * The child in the memcg with its threads asleep, measured with full
 * charges and again after a reclaim pass settled them.
 */
static void start_settled(struct __test_metadata *_metadata,
			  FIXTURE_DATA(memcg) *self, bool unkillable)
{
	long uncharged = ds_stat("core", "memcg_settled");
	int gate[2];
	char pid[32];

	ASSERT_EQ(pipe(gate), 0);
	self->child = spawn(self->sh, self->nr, unkillable, gate);
	ASSERT_GT(self->child, 0);
	close(gate[0]);
	snprintf(pid, sizeof(pid), "%d", self->child);
	ASSERT_EQ(put_file(CG "/cgroup.procs", pid), 0);
	ASSERT_EQ(write(gate[1], "g", 1), 1);
	close(gate[1]);
	ASSERT_EQ(wait_count(&self->sh->started, self->nr, 120), self->nr);
	usleep(500000);

	self->full = cg_long("memory.current");
	/*
	 * With reclaim_interval_ms at 0 nothing but our pass settles: a
	 * periodic pass that ran anyway would have lowered "full" already.
	 */
	ASSERT_EQ(ds_stat("core", "memcg_settled"), uncharged)
		TH_LOG("%ld pages settled before this test's pass: reclaim_interval_ms=0 did not stop the periodic pass",
		       ds_stat("core", "memcg_settled") - uncharged);
	ASSERT_EQ(reclaim(self->fd), 0);
	self->settled = cg_long("memory.current");
	self->ks_settled = kernel_stack();
	uncharged = ds_stat("core", "memcg_settled") - uncharged;
	TH_LOG("%d threads: memory.current %ld KiB full, %ld KiB settled (%.1f KiB less per thread); the core uncharged %ld pages; kernel_stack %ld KiB",
	       self->nr, self->full / KIB, self->settled / KIB,
	       (double)(self->full - self->settled) / KIB / self->nr, uncharged,
	       self->ks_settled / KIB);
	/* The child's threads, and nothing else in the memcg, were settled. */
	ASSERT_GE(uncharged, (long)self->nr * 2);
	/* All of it shows in memory.current, but for the per-CPU stocks. */
	EXPECT_LE(labs(self->full - self->settled - uncharged * 4 * KIB), stock_slack());
}

/*
 * The ioctl (stats VER3, DYNSTACK_FEAT_MEMCG) and stats/ report the core's
 * counters. Nothing parks meanwhile, so they hold still while we read.
 */
static void expect_same_counters(struct __test_metadata *_metadata, int fd)
{
	static const char *const names[] = {
		"memcg_settled", "memcg_waits", "memcg_charged", "memcg_failed",
	};
	struct dynstack_version v = { .size = sizeof(v) };
	struct dynstack_stats st = { .size = sizeof(st) };
	const __u64 *vals[] = {
		&st.memcg_settled, &st.memcg_waits, &st.memcg_charged, &st.memcg_failed,
	};

	ASSERT_EQ(ioctl(fd, DYNSTACK_IOC_VERSION, &v), 0);
	EXPECT_TRUE(v.features & DYNSTACK_FEAT_MEMCG);
	ASSERT_EQ(ioctl(fd, DYNSTACK_IOC_STATS, &st), 0);
	EXPECT_EQ(st.size, DYNSTACK_STATS_SIZE_VER3);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ((long)*vals[i], ds_stat("core", names[i])) TH_LOG("%s", names[i]);
		EXPECT_EQ((long)*vals[i], ds_stat("stats", names[i])) TH_LOG("%s", names[i]);
	}
	EXPECT_GT(st.memcg_waits, 0);
}

TEST_F_TIMEOUT(memcg, follows_residency, 600)
{
	long woke, waits = ds_stat("core", "memcg_waits");
	long wait_us = ds_stat("core", "wait_us");

	start_settled(_metadata, self, false);
	/* About 12 KiB per thread: one page of four is left. */
	EXPECT_GE(self->full - self->settled, (long)self->nr * 10 * KIB);

	/* Every wakeup waits for kdynstackd to charge its stack first. */
	atomic_fetch_add(&self->sh->wave, 1);
	futex_wake_all(&self->sh->wave);
	ASSERT_EQ(wait_count(&self->sh->ran, self->nr, 120), self->nr);
	woke = cg_long("memory.current");
	waits = ds_stat("core", "memcg_waits") - waits;
	wait_us = ds_stat("core", "wait_us") - wait_us;
	TH_LOG("woken: memory.current %ld KiB, %ld wakeups waited for a charge, %ld us each on average (all woken at once)",
	       woke / KIB, waits, waits > 0 ? wait_us / waits : 0);
	EXPECT_GE(waits, (long)self->nr);
	EXPECT_GE(woke - self->settled, (self->full - self->settled) * 9 / 10);
	EXPECT_EQ(wait_unparked(10), 0);
	expect_same_counters(_metadata, self->fd);
}

TEST_F_TIMEOUT(memcg, limit_holds, 600)
{
	long max, peak, ooms = 0, events;
	char buf[64];
	int status, fd, n;

	start_settled(_metadata, self, false);
	/* Room for about 40 stacks' charges. */
	max = self->settled + 512 * KIB;
	snprintf(buf, sizeof(buf), "%ld", max);
	ASSERT_EQ(put_file(CG "/memory.max", buf), 0);
	events = ds_key_of(CG "/memory.events", "oom_kill");
	/* This descriptor's memory.peak counts from here (6.12). */
	fd = open(CG "/memory.peak", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_GT(write(fd, "reset", 5), 0);

	atomic_fetch_add(&self->sh->wave, 1);
	futex_wake_all(&self->sh->wave);
	ASSERT_EQ(waitpid(self->child, &status, 0), self->child);
	self->child = 0;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	peak = strtol(buf, NULL, 10);
	ooms = ds_key_of(CG "/memory.events", "oom_kill") - events;
	TH_LOG("memory.max %ld KiB: peak %ld KiB, %d of %d threads ran, %ld memcg OOM kills",
	       max / KIB, peak / KIB, atomic_load(&self->sh->ran), self->nr, ooms);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_GE(ooms, 1);
	EXPECT_LT(atomic_load(&self->sh->ran), self->nr);
	EXPECT_LE(peak, max);
	/* Its threads, killed while they waited, ran from the exit reserve. */
	EXPECT_EQ(wait_unparked(30), 0);
}

TEST_F_TIMEOUT(memcg, unkillable_waits_alone, 600)
{
	struct shared *other = mmap(NULL, sizeof(*other), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long failed, parked, waits;
	int gate[2], ran;
	pid_t out;
	char max[32];

	ASSERT_NE(other, MAP_FAILED);
	start_settled(_metadata, self, true);
	snprintf(max, sizeof(max), "%ld", self->settled + 256 * KIB);
	ASSERT_EQ(put_file(CG "/memory.max", max), 0);
	failed = ds_stat("core", "memcg_failed");

	/* Nothing in the memcg can be killed: its threads wait. */
	atomic_fetch_add(&self->sh->wave, 1);
	futex_wake_all(&self->sh->wave);
	usleep(3000000);
	ran = atomic_load(&self->sh->ran);
	parked = ds_stat("core", "parked");
	failed = ds_stat("core", "memcg_failed") - failed;
	TH_LOG("at memory.max: %d of %d threads ran, %ld parked, %ld failed charges",
	       ran, self->nr, parked, failed);
	EXPECT_LT(ran, self->nr);
	EXPECT_GE(parked, (long)self->nr / 2);
	EXPECT_GE(failed, 1);
	EXPECT_LE(cg_long("memory.current"), self->settled + 256 * KIB);

	/*
	 * A process in another memcg is not held up by it, although its
	 * wakeups wait for kdynstackd's charges too.
	 */
	rmdir(CG2);
	ASSERT_EQ(mkdir(CG2, 0755), 0);
	ASSERT_EQ(pipe(gate), 0);
	out = spawn(other, 200, false, gate);
	ASSERT_GT(out, 0);
	close(gate[0]);
	snprintf(max, sizeof(max), "%d", out);
	ASSERT_EQ(put_file(CG2 "/cgroup.procs", max), 0);
	ASSERT_EQ(write(gate[1], "g", 1), 1);
	close(gate[1]);
	ASSERT_EQ(wait_count(&other->started, 200, 60), 200);
	usleep(300000);
	waits = ds_stat("core", "memcg_waits");
	ASSERT_EQ(reclaim(self->fd), 0);
	atomic_fetch_add(&other->wave, 1);
	futex_wake_all(&other->wave);
	EXPECT_EQ(wait_count(&other->ran, 200, 10), 200);
	waits = ds_stat("core", "memcg_waits") - waits;
	TH_LOG("the other memcg's 200 threads ran, %ld waited for a charge", waits);
	EXPECT_GE(waits, 200);
	kill(out, SIGKILL);
	waitpid(out, NULL, 0);
	for (int i = 0; i < 50 && rmdir(CG2) && errno == EBUSY; i++)
		usleep(100000);

	/* Room again: every waiting thread runs. */
	ASSERT_EQ(put_file(CG "/memory.max", "max"), 0);
	EXPECT_EQ(wait_count(&self->sh->ran, self->nr, 60), self->nr);
	EXPECT_EQ(wait_unparked(10), 0);
	munmap(other, sizeof(*other));
}

/*
 * A task that moves to another cgroup leaves its stack's charge where it
 * was taken, as every kernel object does: the charges its wakeups take
 * again go there too, and leave with the task.
 */
TEST_F_TIMEOUT(memcg, moved_task_keeps_charge, 600)
{
	long before2, after, after2;
	char pid[32];

	start_settled(_metadata, self, false);
	rmdir(CG2);
	ASSERT_EQ(mkdir(CG2, 0755), 0);
	before2 = cg_long_at(CG2, "memory.current");
	snprintf(pid, sizeof(pid), "%d", self->child);
	ASSERT_EQ(put_file(CG2 "/cgroup.procs", pid), 0);
	atomic_fetch_add(&self->sh->wave, 1);
	futex_wake_all(&self->sh->wave);
	ASSERT_EQ(wait_count(&self->sh->ran, self->nr, 120), self->nr);
	after = cg_long("memory.current");
	after2 = cg_long_at(CG2, "memory.current");
	TH_LOG("moved, then woken: old memcg %ld KiB (settled %ld), new memcg %ld KiB (was %ld)",
	       after / KIB, self->settled / KIB, after2 / KIB, before2 / KIB);
	/* Charged again where the stacks were charged at fork. */
	EXPECT_GE(after - self->settled, (self->full - self->settled) * 9 / 10);
	EXPECT_LT(after2 - before2, (self->full - self->settled) / 10);
	/*
	 * Not settled again: its wakeups would charge a memcg it left, and
	 * reclaim or OOM-kill there. It keeps its charge where it was taken.
	 */
	usleep(300000);
	ASSERT_EQ(reclaim(self->fd), 0);
	TH_LOG("after another reclaim pass: old memcg %ld KiB", cg_long("memory.current") / KIB);
	EXPECT_GE(cg_long("memory.current"), after - stock_slack());
	kill(self->child, SIGKILL);
	waitpid(self->child, NULL, 0);
	self->child = 0;
	for (int i = 0; i < 50 && rmdir(CG2) && errno == EBUSY; i++)
		usleep(100000);
}

TEST_F_TIMEOUT(memcg, rmmod_restores, 600)
{
	long back;

	start_settled(_metadata, self, false);
	ASSERT_GT(self->full - self->settled, (long)self->nr * 8 * KIB);
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(unload_module(), 0) TH_LOG("delete_module: %s", strerror(errno));
	back = cg_long("memory.current");
	TH_LOG("after rmmod: memory.current %ld KiB (full %ld, settled %ld)",
	       back / KIB, self->full / KIB, self->settled / KIB);
	/* Within 1% of the full figure, or the per-CPU stocks. */
	EXPECT_LE(labs(back - self->full), self->full / 100 > stock_slack() ?
		  self->full / 100 : stock_slack());
	/* The module goes back as the fixture found it. */
	if (!self->loaded)
		ASSERT_EQ(load_module(), 0);
	self->loaded = false;
	self->interval = -1U;
}

TEST_HARNESS_MAIN
