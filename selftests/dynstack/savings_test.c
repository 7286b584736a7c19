// SPDX-License-Identifier: GPL-2.0
/*
 * Savings and leaks with thousands of sleeping threads.
 *
 * Parks DYNSTACK_THREADS (default 2000) threads in read() on a pipe, reads
 * KernelStack from /proc/meminfo, loads dynstack.ko and waits for the
 * resident stack memory to settle. Then wakes and joins every thread,
 * unloads the module, and checks that KernelStack and free memory are back
 * where they were before the threads existed.
 */
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define STACK_KB 16

/* Wait until KernelStack stops falling (or 20 s); return its value. */
static long settle_kernelstack(void)
{
	long prev = meminfo_kb("KernelStack"), cur;

	for (int i = 0; i < 40; i++) {
		usleep(500000);
		cur = meminfo_kb("KernelStack");
		if (cur >= prev && i >= 3)
			return cur;
		prev = cur;
	}
	return meminfo_kb("KernelStack");
}

/*
 * The threads live in a child process, so that when it exits nothing of
 * theirs stays behind in this one (glibc caches thread stacks).
 */
static pid_t start_child(int nr, int *ctl)
{
	int up[2], down[2];
	pid_t pid;
	char c = 0;

	if (pipe(up) || pipe(down))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct sleepers s;

		close(up[0]);
		close(down[1]);
		c = sleepers_start(&s, nr) == nr;
		if (write(up[1], &c, 1) != 1)
			_exit(2);
		if (read(down[0], &c, 1) != 1)
			_exit(3);
		sleepers_stop(&s);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (pid < 0 || read(up[0], &c, 1) != 1 || !c)
		return -1;
	close(up[0]);
	*ctl = down[1];
	return pid;
}

/* Longer than the harness's default 30 s under the debug kernel and TCG. */
FIXTURE(slow) {};
FIXTURE_SETUP(slow) {}
FIXTURE_TEARDOWN(slow) {}

TEST_F_TIMEOUT(slow, sleeping_threads_save_and_nothing_leaks, 600)
{
	const char *env = getenv("DYNSTACK_THREADS");
	int nr = env ? atoi(env) : 2000, ctl, status;
	long ks0, free0, ks_full, ks_dyn, ks_end, free_end, per_thread_saved;
	pid_t child;

	if (!getenv("DYNSTACK_KO"))
		SKIP(return, "DYNSTACK_KO not set");
	ASSERT_NE(access("/sys/module/dynstack", F_OK), 0)
		TH_LOG("dynstack.ko must not be loaded when this test starts");

	ks0 = meminfo_kb("KernelStack");
	free0 = free_kb();
	child = start_child(nr, &ctl);
	ASSERT_GT(child, 0) TH_LOG("could not start %d threads", nr);
	usleep(200000);
	ks_full = meminfo_kb("KernelStack");

	ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
	ks_dyn = settle_kernelstack();
	per_thread_saved = (ks_full - ks_dyn) / nr;
	TH_LOG("%d sleeping threads: KernelStack %ld kB -> %ld kB with dynstack.ko (%.1f%% saved, %ld kB per thread)",
	       nr, ks_full, ks_dyn, 100.0 * (ks_full - ks_dyn) / ks_full,
	       per_thread_saved);
	/* At least half of every sleeping thread's stack must go. */
	EXPECT_GE(per_thread_saved, STACK_KB / 2);

	/* Wake them all: every stack is populated again, then freed. */
	ASSERT_EQ(write(ctl, "x", 1), 1);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ctl);
	ASSERT_EQ(unload_module(), 0) TH_LOG("delete_module: %s", strerror(errno));
	usleep(500000);
	ks_end = meminfo_kb("KernelStack");
	free_end = free_kb();
	TH_LOG("after exit and rmmod: KernelStack %ld kB (was %ld), free %ld kB (was %ld)",
	       ks_end, ks0, free_end, free0);
	/* Every remaining stack is full again (I6); a few threads may differ. */
	EXPECT_LE(labs(ks_end - ks0), 8 * STACK_KB);
	/*
	 * No pages leaked: 2000 threads' worth of stacks is 32 MiB; what may
	 * stay behind legitimately is slab (task_struct) that the allocator
	 * keeps cached, well under 4 MiB here.
	 */
	EXPECT_GE(free_end, free0 - 4096);
}

TEST_HARNESS_MAIN
