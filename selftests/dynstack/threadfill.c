// SPDX-License-Identifier: GPL-2.0
/*
 * threadfill: how many sleeping threads fit in this machine's memory.
 *
 * A child creates threads that each touch one page of a minimal user stack
 * (PTHREAD_STACK_MIN, 16 KiB, plus glibc's guard page) and then sleep in
 * read() on a pipe, until pthread_create() fails or the OOM killer kills
 * the child. The parent (oom_score_adj -1000, the child +1000) reads the
 * count from a shared page and prints one JSON object:
 *   threads      created and asleep when the child stopped or died
 *   reason       "oom" (the child was killed) or "create:<errno name>"
 *   mem_total_kb, mem_free_kb   /proc/meminfo before the child started
 *   peak_*_kb    KernelStack, PageTables, SUnreclaim, MemFree, sampled by
 *                the child every 1024 threads: the last sample before
 *                it stopped, so what the threads cost at the end
 *   seconds      how long the fill took
 * Everything a thread costs counts against the same memory: kernel stack,
 * task_struct and friends (slab), user stack, page tables.
 *
 * Usage: threadfill [max-threads]   (default: no limit)
 * The caller raises kernel.threads-max, kernel.pid_max and
 * vm.max_map_count first, or they, not memory, set the limit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "dynstack_util.h"

struct shared {
	volatile long threads;
	volatile long kstack_kb, ptables_kb, sunreclaim_kb, free_kb;
	volatile int create_errno;
	volatile int done;		/* 1: creation failed, child waits */
};

static struct shared *sh;
static int sleep_pipe[2];

static void set_oom_adj(const char *val)
{
	FILE *f = fopen("/proc/self/oom_score_adj", "w");

	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

static void *sleeper(void *arg)
{
	volatile char page[1024];
	char c;

	page[0] = 1;	/* the user stack's one touched page */
	__atomic_add_fetch(&sh->threads, 1, __ATOMIC_RELAXED);
	while (read(sleep_pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return (void *)(long)page[0];
}

static void sample(void)
{
	sh->kstack_kb = meminfo_kb("KernelStack");
	sh->ptables_kb = meminfo_kb("PageTables");
	sh->sunreclaim_kb = meminfo_kb("SUnreclaim");
	sh->free_kb = meminfo_kb("MemFree");
}

static void fill(long max)
{
	pthread_attr_t attr;
	pthread_t tid;
	long n;
	int err;

	set_oom_adj("1000");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
	for (n = 0; !max || n < max; n++) {
		err = pthread_create(&tid, &attr, sleeper, NULL);
		if (err) {
			sh->create_errno = err;
			break;
		}
		if (!(n & 1023))
			sample();
	}
	/* Let the last ones reach their read(). */
	while (sh->threads < n)
		usleep(1000);
	sample();
	sh->done = 1;
	pause();
	_exit(0);
}

int main(int argc, char **argv)
{
	long max = argc > 1 ? atol(argv[1]) : 0;
	long total = meminfo_kb("MemTotal"), free0 = meminfo_kb("MemFree");
	struct timespec t0, t1;
	const char *why = "oom";
	char reason[64];
	int status;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || pipe(sleep_pipe)) {
		perror("threadfill");
		return 1;
	}
	set_oom_adj("-1000");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (!pid)
		fill(max);
	/* The child is either killed, or done and waiting to be. */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (sh->done) {
			snprintf(reason, sizeof(reason), "create:%s",
				 sh->create_errno ? strerrorname_np(sh->create_errno) : "max");
			why = reason;
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!strcmp(why, "oom") && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
		why = "child-exited";
	printf("{\"threads\":%ld,\"reason\":\"%s\",\"mem_total_kb\":%ld,\"mem_free_kb\":%ld,"
	       "\"peak_kernel_stack_kb\":%ld,\"peak_page_tables_kb\":%ld,"
	       "\"peak_sunreclaim_kb\":%ld,\"peak_mem_free_kb\":%ld,\"seconds\":%.1f}\n",
	       sh->threads, why, total, free0, sh->kstack_kb, sh->ptables_kb,
	       sh->sunreclaim_kb, sh->free_kb,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
