// SPDX-License-Identifier: GPL-2.0
/*
 * wakerate: N threads that each wake every T, do a little work (touch 2 KiB
 * of stack) and sleep again, measured while they run.
 *
 * Usage: wakerate THREADS PERIOD_US SECONDS [soak]
 *
 * Thread i sleeps until start + i * T / N + k * T (clock_nanosleep,
 * TIMER_ABSTIME), so the wakeups are spread evenly over each period. A
 * thread that falls a whole period behind skips ahead instead of catching
 * up in a burst: when the CPUs cannot keep up, the achieved rate is what
 * they can do, and it is reported as such.
 *
 * With "soak", the CPUs are never idle: a SCHED_IDLE spinner per CPU soaks
 * up what the wakeups leave, which is how their cost is measured
 * (calibrate()); a woken thread preempts a spinner at once. Without it the
 * CPUs idle between wakeups, as on most machines, and there is no cost
 * figure (busy_* are -1). After one second of warm-up, for SECONDS it
 * samples KernelStack from
 * /proc/meminfo every 250 ms, and prints one JSON object:
 *   wakeups_per_s   achieved, over all threads
 *   kernel_stack_kb mean of the samples (min and max too)
 *   busy_ns_per_wakeup  CPU time per wakeup, measured as the work it
 *                   displaces from SCHED_IDLE spinners (see calibrate()):
 *                   under QEMU -icount shift=0 a guest ns is one
 *                   instruction, so this is instructions per wakeup,
 *                   timer interrupt, scheduler and all
 *   populated_per_s, detached_per_s, napped_per_s   the dynstack_* vmstat
 *                   events per second (0 without CONFIG_DYNAMIC_STACK)
 *   supply_kb       what dynstack.ko's magazines, depot and reserve hold,
 *                   sampled with KernelStack (mean and max; -1 without
 *                   the module): the rest of the memory the cell costs
 *   short_per_s     pages per second the supply could not give, so that
 *                   their wakeups waited for kdynstackd (-1 without it)
 *   ns_per_spin, ns_per_spin_after   the spinners' calibration before the
 *                   threads start and after they stopped: a figure whose
 *                   two disagree was disturbed (soak only, else 0)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dynstack_util.h"

static long period_ns;
static int nr_threads;
static struct timespec start;
static atomic_long wakeups;
static atomic_int stop;

/* Pages the module's supply holds now, or -1 without the module. */
static long supply_pages(void)
{
	long m = ds_stat("stats", "magazine_pages"), d = ds_stat("stats", "depot_pages"),
	     r = ds_stat("stats", "reserve_pages");

	return m < 0 || d < 0 || r < 0 ? -1 : m + d + r;
}

static long long ts_ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static struct timespec ns_ts(long long ns)
{
	return (struct timespec){ ns / 1000000000LL, ns % 1000000000LL };
}

static void *waker(void *arg)
{
	long i = (long)arg;
	long long next = ts_ns(&start) + i * (period_ns / nr_threads);
	volatile char work[2048];

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		struct timespec t = ns_ts(next), now;

		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
		for (size_t k = 0; k < sizeof(work); k += 64)
			work[k] = (char)k;
		atomic_fetch_add_explicit(&wakeups, 1, memory_order_relaxed);
		next += period_ns;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_ns(&now) > next + period_ns)
			next = ts_ns(&now) + period_ns;
	}
	return NULL;
}

/*
 * CPU cost, measured as the work it displaces: one SCHED_IDLE spinner per
 * CPU counts loop iterations. A woken thread preempts a SCHED_IDLE task at
 * once, so the spinners only get what the wakeups leave. Calibrated alone
 * first (ns per iteration, the periodic tick included), the cost of the
 * wakeups is then the elapsed time of all CPUs minus what the spinners
 * did. Under -icount shift=0 every guest ns is an instruction and nothing
 * is idle, so this counts instructions exactly; idle accounting would not
 * (sampling ticks always find an -icount sleep=off CPU idle, and /proc/stat
 * counts idle in 10 ms units).
 */
struct spinner {
	_Alignas(64) atomic_long iters;
	int cpu;
};

static struct spinner *spinners;
static int nr_cpus;

static void *spin(void *arg)
{
	struct spinner *sp = arg;
	struct sched_param prio = { 0 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(sp->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	pthread_setschedparam(pthread_self(), SCHED_IDLE, &prio);
	for (;;) {
		for (int k = 0; k < 1000; k++)
			__asm__ volatile("");
		atomic_fetch_add_explicit(&sp->iters, 1, memory_order_relaxed);
	}
	return NULL;
}

static long long spun(void)
{
	long long sum = 0;

	for (int c = 0; c < nr_cpus; c++)
		sum += atomic_load_explicit(&spinners[c].iters, memory_order_relaxed);
	return sum;
}

static long long mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ns(&t);
}

/* ns of CPU per spinner iteration, with nothing else running. */
static double calibrate(void)
{
	struct timespec half = { 0, 500000000 };
	long long s0 = spun(), t0 = mono_ns(), s1, t1;

	nanosleep(&half, NULL);
	s1 = spun();
	t1 = mono_ns();
	return s1 > s0 ? (double)(t1 - t0) * nr_cpus / (s1 - s0) : 0;
}

int main(int argc, char **argv)
{
	long long i0, i1, ns0, ns1;
	double ns_per_iter;
	pthread_t spin_tid;
	long w0, w1, p0, p1, d0, d1, n0, n1, s0, s1, ks, ks_min = -1, ks_max = 0, sp, sp_max = -1;
	double ks_sum = 0, sp_sum = 0, secs, busy;
	struct timespec now, warm = { 1, 0 }, tick = { 0, 250000000 };
	pthread_attr_t attr;
	pthread_t *tids;
	int seconds, samples = 0, started = 0, soak;

	if (argc < 4) {
		fprintf(stderr, "usage: wakerate THREADS PERIOD_US SECONDS [soak]\n");
		return 2;
	}
	soak = argc > 4 && !strcmp(argv[4], "soak");
	nr_threads = atoi(argv[1]);
	period_ns = atol(argv[2]) * 1000;
	seconds = atoi(argv[3]);
	tids = calloc(nr_threads, sizeof(*tids));
	if (!tids || nr_threads < 1 || period_ns < 1000 || seconds < 1)
		return 2;
	nr_cpus = soak ? sysconf(_SC_NPROCESSORS_ONLN) : 0;
	spinners = calloc(nr_cpus + 1, sizeof(*spinners));
	if (!spinners)
		return 1;
	for (int c = 0; c < nr_cpus; c++) {
		spinners[c].cpu = c;
		if (pthread_create(&spin_tid, NULL, spin, &spinners[c]))
			return 1;
	}
	ns_per_iter = soak ? calibrate() : 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	start = ns_ts(ts_ns(&start) + 100000000);	/* after the creations */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (; started < nr_threads; started++)
		if (pthread_create(&tids[started], &attr, waker, (void *)(long)started))
			break;
	if (started < nr_threads) {
		fprintf(stderr, "wakerate: only %d threads started\n", started);
		return 1;
	}
	nanosleep(&warm, NULL);

	w0 = atomic_load(&wakeups);
	p0 = ds_vmstat("dynstack_populate");
	d0 = ds_vmstat("dynstack_detach");
	n0 = ds_vmstat("dynstack_nap");
	s0 = ds_stat("stats", "take_short");
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns0 = ts_ns(&now);
	i0 = spun();
	for (int i = 0; i < seconds * 4; i++) {
		nanosleep(&tick, NULL);
		ks = meminfo_kb("KernelStack");
		ks_sum += ks;
		samples++;
		if (ks_min < 0 || ks < ks_min)
			ks_min = ks;
		if (ks > ks_max)
			ks_max = ks;
		sp = supply_pages();
		sp_sum += sp;
		if (sp > sp_max)
			sp_max = sp;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns1 = ts_ns(&now);
	i1 = spun();
	w1 = atomic_load(&wakeups);
	p1 = ds_vmstat("dynstack_populate");
	d1 = ds_vmstat("dynstack_detach");
	n1 = ds_vmstat("dynstack_nap");
	s1 = ds_stat("stats", "take_short");
	atomic_store(&stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);

	secs = (ns1 - ns0) / 1e9;
	busy = secs * nr_cpus - (i1 - i0) * ns_per_iter / 1e9;	/* CPU seconds */
	if (busy < 0)
		busy = 0;
	if (!soak)
		busy = -1;
	printf("{\"threads\":%d,\"period_us\":%ld,\"soak\":%d,\"seconds\":%.2f,\"wakeups_per_s\":%.0f,"
	       "\"kernel_stack_kb\":%.0f,\"kernel_stack_min_kb\":%ld,\"kernel_stack_max_kb\":%ld,"
	       "\"busy_pct\":%.1f,\"busy_ns_per_wakeup\":%.0f,"
	       "\"populated_per_s\":%.0f,\"detached_per_s\":%.0f,\"napped_per_s\":%.0f,"
	       "\"supply_kb\":%.0f,\"supply_max_kb\":%ld,\"short_per_s\":%.0f,"
	       "\"ns_per_spin\":%.1f,\"ns_per_spin_after\":%.1f}\n",
	       nr_threads, period_ns / 1000, soak, secs, (w1 - w0) / secs, ks_sum / samples, ks_min,
	       ks_max, soak ? 100.0 * busy / (secs * nr_cpus) : -1.0,
	       soak && w1 > w0 ? busy * 1e9 / (w1 - w0) : -1.0, (p1 - p0) / secs,
	       (d1 - d0) / secs, (n1 - n0) / secs,
	       sp_max < 0 ? -1.0 : sp_sum * 4 / samples, sp_max < 0 ? -1 : sp_max * 4,
	       s0 < 0 || s1 < 0 ? -1.0 : (s1 - s0) / secs, ns_per_iter, soak ? calibrate() : 0.0);
	return 0;
}
