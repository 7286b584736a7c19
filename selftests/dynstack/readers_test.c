// SPDX-License-Identifier: GPL-2.0
/*
 * Invariant I7: reading another task's stack never faults.
 *
 * Workers alternate a sleep deep in the kernel stack (about 9 KiB down,
 * through the test module dynstack_deepsleep.ko, like a thread waiting in
 * a filesystem or block driver) with a shallow nanosleep. Meanwhile reader
 * threads unwind every worker's stack through /proc/PID/task/TID/stack and
 * read its wchan, and a sysrq-w dump of every blocked task's stack (the
 * deep sleepers are in D state) runs every second, with dynstack.ko loaded and its reclaim pass at its fastest (10 ms,
 * touched pages too). A reader starts from a worker's saved stack pointer,
 * which goes stale as soon as the worker wakes; without I7 the pages below
 * the worker's next, shallower stack pointer are taken while the reader
 * still walks them, and the reader oopses (a panic here: PANIC_ON_OOPS).
 *
 * Passes if, for DYNSTACK_READERS_SECONDS (default 60), no reader faults,
 * every reader finishes, every worker's deep frames come back intact, and
 * the core's counters show that pages were harvested, released and
 * detached meanwhile and that detaches were skipped for readers.
 *
 * Why sysrq-w and not sysrq-t: with sysrq-t every second this workload
 * crashes Debian's unpatched 6.12.117 itself, without dynstack (NULL
 * dereference in pick_task_fair(), measured with
 * DYNSTACK_READERS_NOMODULE=1 on the mainline kernel). sysrq-w walks the
 * same stacks through the same code (sched_show_task(),
 * __show_trace_log_lvl()) without sysrq-t's scheduler-state dump.
 */
#include <dirent.h>
#include <stdatomic.h>
#include <sys/klog.h>
#include <time.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define NR_WORKERS	200
#define NR_READERS	3
#define SLEEP_FILE	"/sys/kernel/debug/dynstack_deepsleep/sleep"

static _Atomic int stop;
static atomic_long rounds, corrupt, write_errors, stack_reads, stack_bytes,
	wchan_reads;
static _Atomic pid_t worker_tid[NR_WORKERS];

static void nap_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = ms * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *worker(void *arg)
{
	long id = (long)arg;
	unsigned int seed = id * 2654435761u;
	int fd = open(SLEEP_FILE, O_WRONLY | O_CLOEXEC);

	worker_tid[id] = syscall(SYS_gettid);
	if (fd < 0) {
		atomic_fetch_add(&write_errors, 1);
		return NULL;
	}
	while (!atomic_load(&stop)) {
		char ms[8];
		int n = snprintf(ms, sizeof(ms), "%u", 1 + rand_r(&seed) % 5);

		/* Deep sleep: EIO means a frame came back changed. */
		if (write(fd, ms, n) != n) {
			if (errno == EIO)
				atomic_fetch_add(&corrupt, 1);
			else
				atomic_fetch_add(&write_errors, 1);
		}
		/* Shallow sleep: the deep frames' pages are dead now. */
		nap_ms(1 + rand_r(&seed) % 5);
		atomic_fetch_add(&rounds, 1);
	}
	close(fd);
	return NULL;
}

static long read_file(const char *path)
{
	char buf[4096];
	long total = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return total;
}

static void *reader(void *arg)
{
	char path[64];

	while (!atomic_load(&stop)) {
		for (int i = 0; i < NR_WORKERS && !atomic_load(&stop); i++) {
			long n;

			snprintf(path, sizeof(path), "/proc/self/task/%d/stack",
				 worker_tid[i]);
			n = read_file(path);
			if (n >= 0) {
				atomic_fetch_add(&stack_reads, 1);
				atomic_fetch_add(&stack_bytes, n);
			}
			snprintf(path, sizeof(path), "/proc/self/task/%d/wchan",
				 worker_tid[i]);
			if (read_file(path) >= 0)
				atomic_fetch_add(&wchan_reads, 1);
		}
	}
	return NULL;
}

static long core_stat(const char *key)
{
	return ds_stat("core", key);
}

/*
 * DYNSTACK_READERS_NOMODULE=1 runs the same workload without dynstack.ko
 * (on any kernel, mainline included, with DYNSTACK_DEEPSLEEP_KO naming the
 * helper module built for it) and checks only what does not need it: a
 * baseline to compare a crash or a figure with.
 */
static bool nomodule(void)
{
	return getenv("DYNSTACK_READERS_NOMODULE") != NULL;
}

FIXTURE(readers) {
	bool loaded_dynstack;
	bool loaded_deepsleep;
	char printk[64];
};

FIXTURE_SETUP(readers)
{
	const char *dir = getenv("DYNSTACK_MODDIR");
	char ko[256];
	FILE *f;

	if (!nomodule() && (!getenv("DYNSTACK_KO") || !dir))
		SKIP(return, "DYNSTACK_KO or DYNSTACK_MODDIR not set");
	if (!nomodule() && access("/sys/module/dynstack", F_OK)) {
		ASSERT_EQ(load_module(), 0)
			TH_LOG("finit_module dynstack: %s", strerror(errno));
		self->loaded_dynstack = true;
	}
	if (access("/sys/module/dynstack_deepsleep", F_OK)) {
		if (getenv("DYNSTACK_DEEPSLEEP_KO"))
			snprintf(ko, sizeof(ko), "%s", getenv("DYNSTACK_DEEPSLEEP_KO"));
		else
			snprintf(ko, sizeof(ko), "%s/dynstack_deepsleep.ko", dir);
		ASSERT_EQ(load_ko(ko, ""), 0)
			TH_LOG("finit_module %s: %s", ko, strerror(errno));
		self->loaded_deepsleep = true;
	}
	/* The reclaim pass at its fastest, touched pages included. */
	if (!nomodule()) {
		ASSERT_EQ(put_file("/sys/kernel/mm/dynstack/reclaim_touched", "1"), 0);
		ASSERT_EQ(put_file("/sys/kernel/mm/dynstack/min_sleep_us", "0"), 0);
		ASSERT_EQ(put_file("/sys/kernel/mm/dynstack/reclaim_interval_ms", "10"), 0);
	}
	/*
	 * sysrq-w prints many tasks' stacks: keep it in the log buffer, off
	 * the (slow, serial) console. An oops is printed at KERN_ALERT and
	 * still reaches the console at level 2.
	 */
	f = fopen("/proc/sys/kernel/printk", "r");
	ASSERT_NE(f, NULL);
	ASSERT_NE(fgets(self->printk, sizeof(self->printk), f), NULL);
	fclose(f);
	/* DYNSTACK_READERS_LOGLEVEL=8 shows it all, to debug by hand. */
	ASSERT_EQ(klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL,
			  getenv("DYNSTACK_READERS_LOGLEVEL") ?
			  atoi(getenv("DYNSTACK_READERS_LOGLEVEL")) : 2), 0);
}

FIXTURE_TEARDOWN(readers)
{
	if (self->printk[0])
		put_file("/proc/sys/kernel/printk", self->printk);
	if (self->loaded_deepsleep)
		syscall(SYS_delete_module, "dynstack_deepsleep", O_NONBLOCK);
	if (self->loaded_dynstack)
		EXPECT_EQ(unload_module(), 0)
			TH_LOG("delete_module: %s", strerror(errno));
}

TEST_F_TIMEOUT(readers, unwind_while_reclaiming, 900)
{
	const char *env = getenv("DYNSTACK_READERS_SECONDS");
	int secs = env ? atoi(env) : 60;
	long harvested, released, detached, skipped, sysrq = 0;
	pthread_t w[NR_WORKERS], r[NR_READERS];
	pthread_attr_t attr;
	time_t end, next_sysrq;

	harvested = core_stat("harvested");
	released = core_stat("released");
	detached = core_stat("detached");
	skipped = core_stat("readers");
	if (!nomodule())
		ASSERT_GE(harvested, 0);

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < NR_WORKERS; i++)
		ASSERT_EQ(pthread_create(&w[i], &attr, worker, (void *)i), 0);
	pthread_attr_destroy(&attr);
	/* Readers start once every worker has said who it is. */
	for (int i = 0; i < NR_WORKERS; i++)
		while (!worker_tid[i])
			nap_ms(1);
	for (int i = 0; i < NR_READERS; i++)
		ASSERT_EQ(pthread_create(&r[i], NULL, reader, NULL), 0);

	end = time(NULL) + secs;
	next_sysrq = time(NULL);
	while (time(NULL) < end) {
		if (time(NULL) >= next_sysrq) {
			if (put_file("/proc/sysrq-trigger", "w") == 0)
				sysrq++;
			next_sysrq = time(NULL) + 1;
		}
		nap_ms(100);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NR_READERS; i++)
		ASSERT_EQ(pthread_join(r[i], NULL), 0);
	for (int i = 0; i < NR_WORKERS; i++)
		ASSERT_EQ(pthread_join(w[i], NULL), 0);

	harvested = core_stat("harvested") - harvested;
	released = core_stat("released") - released;
	detached = core_stat("detached") - detached;
	skipped = core_stat("readers") - skipped;
	TH_LOG("%d s: %ld worker rounds, %ld stack reads (%ld bytes), %ld wchan reads, %ld sysrq-w dumps",
	       secs, atomic_load(&rounds), atomic_load(&stack_reads),
	       atomic_load(&stack_bytes), atomic_load(&wchan_reads), sysrq);
	TH_LOG("meanwhile: %ld pages harvested, %ld released, %ld detached; %ld detaches skipped for a reader",
	       harvested, released, detached, skipped);
	EXPECT_EQ(atomic_load(&corrupt), 0);
	EXPECT_EQ(atomic_load(&write_errors), 0);
	EXPECT_GT(atomic_load(&rounds), NR_WORKERS);
	EXPECT_GT(atomic_load(&stack_reads), NR_WORKERS);
	EXPECT_GT(atomic_load(&stack_bytes), 0);
	EXPECT_GT(atomic_load(&wchan_reads), NR_WORKERS);
	EXPECT_GT(sysrq, 0);
	if (nomodule())
		return;
	/* The race was really run: pages left the workers' stacks... */
	EXPECT_GT(harvested, NR_WORKERS);
	EXPECT_GT(released, 0);
	EXPECT_GT(detached, 0);
	/*
	 * ...and readers were really in the way of some detaches. (A core
	 * without I7 has no such counter: the workload still runs, to show
	 * what it does to such a core, and then this fails.)
	 */
	EXPECT_GE(core_stat("readers"), 0);
	EXPECT_GT(skipped, 0);
}

TEST_HARNESS_MAIN
