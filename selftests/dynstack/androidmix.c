// SPDX-License-Identifier: GPL-2.0
/*
 * androidmix: an Android-like process mix, measured while it runs.
 *
 * PROCS processes (default 40) of THREADS threads each (default 62, so
 * 2480 threads), modelled on a phone's system_server, apps and HALs:
 *   - binder pairs (80% of the threads): a client and a server thread
 *     blocked on futexes; the client, nudged at random intervals, hands a
 *     request to the server, which wakes, touches 3 KiB of stack (a
 *     transaction's work), answers and waits again;
 *   - loopers (15%): threads blocked in epoll_wait() on an fd that never
 *     becomes ready, as idle Handler threads are;
 *   - periodic (5%): threads woken every 16 ms (a 60 Hz vsync), doing a
 *     little work each time.
 * One thread per process nudges the clients (the "driver"): each binder
 * pair makes a transaction every GAP ms on average (default 2000).
 *
 * Usage: androidmix SECONDS [PROCS THREADS GAP_MS]
 *
 * It starts everything, waits 3 s, then samples KernelStack from
 * /proc/meminfo every second for SECONDS, and prints one JSON object:
 * threads, transactions per second, and the mean, min and max of
 * KernelStack while the mix runs. Then it stops everything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "dynstack_util.h"

struct pair {
	_Atomic int go;		/* the driver's nudges to the client */
	_Atomic int req, resp;	/* the client's requests, the server's answers */
};

/* Shared with the parent: transactions done, threads up. */
struct shared {
	atomic_long transactions;
	atomic_int ready;
};

static struct shared *sh;
static int gap_ms = 2000;

/* Process-private futexes; no timeout: the parent ends it with SIGKILL. */
static void fwait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void fwake(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void work(size_t bytes)
{
	volatile char buf[4096];

	for (size_t k = 0; k < bytes && k < sizeof(buf); k += 64)
		buf[k] = (char)k;
}

/* Waits for a request, does 3 KiB of work, answers. */
static void *server(void *arg)
{
	struct pair *p = arg;
	int seen = 0;

	atomic_fetch_add(&sh->ready, 1);
	for (;;) {
		int r = atomic_load(&p->req);

		if (r == seen) {
			fwait(&p->req, r);
			continue;
		}
		seen = r;
		work(3072);
		atomic_store(&p->resp, r);
		fwake(&p->resp);
	}
	return NULL;
}

/* Waits for the driver's nudge, then calls the server and waits for it. */
static void *client(void *arg)
{
	struct pair *p = arg;
	int g = 0;

	atomic_fetch_add(&sh->ready, 1);
	for (;;) {
		int cur = atomic_load(&p->go), r, a;

		if (cur == g) {
			fwait(&p->go, cur);
			continue;
		}
		g = cur;
		r = atomic_fetch_add(&p->req, 1) + 1;
		fwake(&p->req);
		while ((a = atomic_load(&p->resp)) != r)
			fwait(&p->resp, a);
		atomic_fetch_add(&sh->transactions, 1);
	}
	return NULL;
}

static void *looper(void *arg)
{
	int ep = epoll_create1(0);
	struct epoll_event ev;

	atomic_fetch_add(&sh->ready, 1);
	for (;;)
		epoll_wait(ep, &ev, 1, -1);
	return NULL;
}

static void *periodic(void *arg)
{
	struct timespec next;

	atomic_fetch_add(&sh->ready, 1);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += 16666667;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		work(1024);
	}
	return NULL;
}

static void process(int nthreads, unsigned int seed)
{
	int npairs = nthreads * 40 / 100, nloop = nthreads * 15 / 100;
	int nper = nthreads - 2 * npairs - nloop - 1;
	struct pair *pairs = calloc(npairs, sizeof(*pairs));
	pthread_attr_t attr;
	pthread_t t;

	if (!pairs)
		_exit(1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < npairs; i++) {
		pthread_create(&t, &attr, server, &pairs[i]);
		pthread_create(&t, &attr, client, &pairs[i]);
	}
	for (int i = 0; i < nloop; i++)
		pthread_create(&t, &attr, looper, NULL);
	for (int i = 0; i < nper; i++)
		pthread_create(&t, &attr, periodic, NULL);
	/*
	 * The driver (this thread): each pair gets a nudge at random
	 * intervals, exponentially distributed with mean gap_ms.
	 */
	for (;;) {
		double mean_ns = (double)gap_ms * 1e6 / npairs;
		double u = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0);
		long long ns = (long long)(-mean_ns * log(u));
		struct pair *p = &pairs[rand_r(&seed) % npairs];
		struct timespec d = { ns / 1000000000LL, ns % 1000000000LL };

		nanosleep(&d, NULL);
		atomic_fetch_add(&p->go, 1);
		fwake(&p->go);
	}
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 20;
	int procs = argc > 2 ? atoi(argv[2]) : 40;
	int threads = argc > 3 ? atoi(argv[3]) : 62;
	long sum = 0, min = -1, max = 0, t0, t1;
	struct timespec one = { 1, 0 };
	pid_t *pids;

	if (argc > 4)
		gap_ms = atoi(argv[4]);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pids = calloc(procs, sizeof(*pids));
	if (sh == MAP_FAILED || !pids || secs < 1 || procs < 1 || threads < 8)
		return 2;
	for (int i = 0; i < procs; i++) {
		pids[i] = fork();
		if (!pids[i])
			process(threads, 12345 + i);
		if (pids[i] < 0)
			return 1;
	}
	/* Everyone up (the drivers are not counted), then 3 s to settle. */
	for (int i = 0; i < 600 && atomic_load(&sh->ready) < procs * (threads - 1); i++)
		usleep(100000);
	sleep(3);
	t0 = atomic_load(&sh->transactions);
	for (int i = 0; i < secs; i++) {
		long k;

		nanosleep(&one, NULL);
		k = meminfo_kb("KernelStack");
		sum += k;
		if (min < 0 || k < min)
			min = k;
		if (k > max)
			max = k;
	}
	t1 = atomic_load(&sh->transactions);
	printf("{\"procs\":%d,\"threads\":%d,\"ready\":%d,\"gap_ms\":%d,\"seconds\":%d,"
	       "\"transactions_per_s\":%.1f,\"kernel_stack_kb\":%ld,\"kernel_stack_min_kb\":%ld,"
	       "\"kernel_stack_max_kb\":%ld}\n",
	       procs, procs * threads, atomic_load(&sh->ready), gap_ms, secs,
	       (double)(t1 - t0) / secs, sum / secs, min, max);
	fflush(stdout);
	for (int i = 0; i < procs; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
	return 0;
}
