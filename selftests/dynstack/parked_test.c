// SPDX-License-Identifier: GPL-2.0
/*
 * What the rest of the kernel does to a task whose wakeup is parked.
 *
 * Each case starts a victim process whose threads sleep on a shared futex
 * until the reclaim pass has stripped their stacks, cuts off every source
 * of pages (the module's supply drained, fail_page_alloc failing every
 * allocation of the module's refill thread and of kdynstackd), wakes the
 * threads so that their wakeups are parked, and then:
 *
 *  - kill: SIGKILL the victim. It must exit while injection still lasts:
 *    dying tasks take the core's exit reserve.
 *  - stop_cont: SIGSTOP it; once pages return it must stop (every live
 *    thread), make no progress while stopped, and SIGCONT must then let
 *    every thread finish.
 *  - ptrace: PTRACE_SEIZE and PTRACE_INTERRUPT a parked thread; once pages
 *    return it must report the stop, and run on after PTRACE_DETACH.
 *  - hotplug_affinity: take CPU 1 offline and change every parked thread's
 *    affinity (which used to wait for the stopper on the task's old CPU);
 *    nothing may hang, and every thread finishes once pages return.
 *  - freeze: freeze the victim's cgroup (v2); it cannot freeze while its
 *    threads are parked, freezes once pages return, and finishes when
 *    thawed.
 *
 * A hang is caught by the harness timeout, a crash by the host's console
 * check.
 */
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <time.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define FAIL "/sys/kernel/debug/fail_page_alloc/"
#define NR 200
#define CG "/sys/fs/cgroup/dynstack-parked"

struct shared {
	_Atomic int wave;
	atomic_int done;
	atomic_int started;
	pid_t tids[NR];
};

static void futex_wait(_Atomic int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT, val, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

static struct shared *sh;

static void *victim_thread(void *arg)
{
	long i = (long)arg;

	sh->tids[i] = gettid();
	atomic_fetch_add(&sh->started, 1);
	while (atomic_load(&sh->wave) < 1)
		futex_wait(&sh->wave, 0);
	atomic_fetch_add(&sh->done, 1);
	return NULL;
}

/* The victim: NR threads (its main thread is one) wait for wave 1. */
static pid_t spawn_victim(void)
{
	pthread_t t;
	pid_t pid = fork();

	if (pid)
		return pid;
	for (long i = 1; i < NR; i++)
		if (ds_start_threads(&t, 1, victim_thread, (void *)i) != 1)
			_exit(2);
	victim_thread(0);
	/* Wait for the other threads, then exit. */
	while (atomic_load(&sh->done) < NR)
		usleep(1000);
	_exit(0);
}

static int make_it_fail(pid_t pid, const char *v)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", pid);
	return put_file(path, v);
}

/* The state letter of thread @tid of @pid in /proc, or '?'. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return '?';
	return p[2];
}

/* How many of the victim's threads are in state @c. */
static int threads_in(pid_t pid, char c)
{
	int n = 0;

	for (int i = 0; i < NR; i++)
		n += thread_state(pid, sh->tids[i]) == c;
	return n;
}

static int wait_done(int want, int secs)
{
	for (int i = 0; i < secs * 10 && atomic_load(&sh->done) < want; i++)
		usleep(100000);
	return atomic_load(&sh->done);
}

FIXTURE(parked) {
	pid_t victim, kd, refill;
	bool injecting;
};

static void inject(struct __test_metadata *_metadata, FIXTURE_DATA(parked) *self, bool on)
{
	if (on) {
		ASSERT_EQ(put_file(DS_DRAIN, "1"), 0);
		ASSERT_EQ(put_file(FAIL "task-filter", "Y") | put_file(FAIL "ignore-gfp-wait", "N") |
			  put_file(FAIL "ignore-gfp-highmem", "N") | put_file(FAIL "min-order", "0") |
			  put_file(FAIL "verbose", "0") | put_file(FAIL "times", "-1") |
			  put_file(FAIL "interval", "1"), 0);
		ASSERT_EQ(make_it_fail(self->kd, "1") | make_it_fail(self->refill, "1"), 0);
		ASSERT_EQ(put_file(FAIL "probability", "100"), 0);
		ASSERT_EQ(put_file(DS_DRAIN, "1"), 0);
	} else {
		put_file(FAIL "probability", "0");
		make_it_fail(self->kd, "0");
		make_it_fail(self->refill, "0");
	}
	self->injecting = on;
}

FIXTURE_SETUP(parked)
{
	char me[32];
	long partial0;

	self->victim = -1;
	self->injecting = false;
	if (access(FAIL "probability", W_OK))
		SKIP(return, "no fail_page_alloc in debugfs");
	if (!getenv("DYNSTACK_KO"))
		SKIP(return, "DYNSTACK_KO not set");
	ASSERT_NE(access("/sys/module/dynstack", F_OK), 0);
	ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
	self->kd = ds_pid_of("kdynstackd");
	self->refill = ds_pid_of("dynstack_refill");
	ASSERT_GT(self->kd, 0);
	ASSERT_GT(self->refill, 0);
	/* This thread drives the test: it keeps its stack. */
	snprintf(me, sizeof(me), "+%d", gettid());
	ASSERT_EQ(put_file("/sys/kernel/mm/dynstack/pinned_tids", me), 0);

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(sh, MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	partial0 = ds_stat("stats", "partial_stacks");
	self->victim = spawn_victim();
	ASSERT_GT(self->victim, 0);
	for (int i = 0; i < 300 && atomic_load(&sh->started) < NR; i++)
		usleep(100000);
	ASSERT_EQ(atomic_load(&sh->started), NR);
	/* The reclaim pass strips the sleeping threads' stacks. */
	ds_wait_partial(partial0 + NR * 9 / 10);

	inject(_metadata, self, true);
	atomic_store(&sh->wave, 1);
	futex_wake_all(&sh->wave);
	usleep(1000000);
	TH_LOG("victim %d: %d of %d threads ran, %ld tasks parked", self->victim,
	       atomic_load(&sh->done), NR, ds_stat("core", "parked"));
	ASSERT_GE(ds_stat("core", "parked"), NR / 2);
}

FIXTURE_TEARDOWN(parked)
{
	if (self->injecting)
		inject(_metadata, self, false);
	if (self->victim > 0) {
		kill(self->victim, SIGKILL);
		waitpid(self->victim, NULL, 0);
	}
	if (sh && sh != MAP_FAILED)
		munmap(sh, sizeof(*sh));
	sh = NULL;
	EXPECT_EQ(ds_stat("core", "parked"), 0);
	unload_module();
}

TEST_F_TIMEOUT(parked, kill, 300)
{
	long served = ds_stat("core", "reserve_served");
	int status = 0;
	pid_t r = 0;

	/* Still no page from any allocator: only the exit reserve. */
	ASSERT_EQ(kill(self->victim, SIGKILL), 0);
	for (int i = 0; i < 600 && !(r = waitpid(self->victim, &status, WNOHANG)); i++)
		usleep(100000);
	TH_LOG("exited after SIGKILL: %s; %ld wakeups served from the exit reserve",
	       r == self->victim ? "yes" : "no", ds_stat("core", "reserve_served") - served);
	ASSERT_EQ(r, self->victim);
	self->victim = -1;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	EXPECT_GT(ds_stat("core", "reserve_served"), served);
	EXPECT_TRUE(self->injecting);
}

TEST_F_TIMEOUT(parked, stop_cont, 300)
{
	int before, stopped = 0, live = 0, at_stop;

	/*
	 * The group stop starts when the thread the signal picked runs,
	 * which may be a parked one: threads whose wakeup completes before
	 * that may still run a little, as threads that were running do
	 * without dynstack. Once the group has stopped, nothing runs.
	 */
	ASSERT_EQ(kill(self->victim, SIGSTOP), 0);
	before = atomic_load(&sh->done);
	inject(_metadata, self, false);
	for (int i = 0; i < 300; i++) {
		usleep(100000);
		live = threads_in(self->victim, 'T') + threads_in(self->victim, 'R') +
		       threads_in(self->victim, 'S');
		stopped = threads_in(self->victim, 'T');
		if (stopped && stopped == live)
			break;
	}
	at_stop = atomic_load(&sh->done);
	TH_LOG("after pages returned: %d of %d live threads stopped; %d had run before SIGSTOP, %d by the stop",
	       stopped, live, before, at_stop);
	EXPECT_EQ(stopped, live);
	EXPECT_LT(at_stop, NR);
	usleep(1000000);
	EXPECT_EQ(atomic_load(&sh->done), at_stop);
	ASSERT_EQ(kill(self->victim, SIGCONT), 0);
	EXPECT_EQ(wait_done(NR, 60), NR);
}

TEST_F_TIMEOUT(parked, ptrace, 300)
{
	pid_t tid = -1;
	int status, ran;

	/* A thread that has not run yet: its wakeup is parked ("R" in /proc). */
	for (int i = NR - 1; i > 0 && tid < 0; i--)
		if (thread_state(self->victim, sh->tids[i]) == 'R')
			tid = sh->tids[i];
	ASSERT_GT(tid, 0);
	ASSERT_EQ(ptrace(PTRACE_SEIZE, tid, 0, 0), 0) TH_LOG("seize: %s", strerror(errno));
	ASSERT_EQ(ptrace(PTRACE_INTERRUPT, tid, 0, 0), 0);
	inject(_metadata, self, false);
	ASSERT_EQ(waitpid(tid, &status, __WALL), tid);
	EXPECT_TRUE(WIFSTOPPED(status));
	ran = atomic_load(&sh->done);
	EXPECT_EQ(ptrace(PTRACE_DETACH, tid, 0, 0), 0);
	TH_LOG("traced thread %d reported its stop; %d threads had finished", tid, ran);
	EXPECT_EQ(wait_done(NR, 60), NR);
}

TEST_F_TIMEOUT(parked, hotplug_affinity, 300)
{
	const char *cpu1 = "/sys/devices/system/cpu/cpu1/online";
	cpu_set_t set;
	int changed = 0;
	time_t t0;

	if (access(cpu1, W_OK)) {
		inject(_metadata, self, false);
		SKIP(return, "cpu1 cannot go offline");
	}
	ASSERT_EQ(put_file(cpu1, "0"), 0) TH_LOG("offline: %s", strerror(errno));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	t0 = time(NULL);
	/* Threads that ran have exited (ESRCH): nothing to change there. */
	for (int i = 0; i < NR; i++)
		changed += !sched_setaffinity(sh->tids[i], sizeof(set), &set) || errno == ESRCH;
	TH_LOG("cpu1 offline; affinity of %d parked or finished threads changed in %ld s",
	       changed, (long)(time(NULL) - t0));
	EXPECT_EQ(changed, NR);
	EXPECT_LE(time(NULL) - t0, 10);
	ASSERT_EQ(put_file(cpu1, "1"), 0);
	inject(_metadata, self, false);
	EXPECT_EQ(wait_done(NR, 60), NR);
}

TEST_F_TIMEOUT(parked, freeze, 300)
{
	char pid[32];
	long frozen = -1;

	if (access("/sys/fs/cgroup/cgroup.procs", F_OK))
		mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL);
	if (access("/sys/fs/cgroup/cgroup.procs", F_OK)) {
		inject(_metadata, self, false);
		SKIP(return, "no cgroup v2");
	}
	mkdir(CG, 0755);
	snprintf(pid, sizeof(pid), "%d", self->victim);
	ASSERT_EQ(put_file(CG "/cgroup.procs", pid), 0);
	ASSERT_EQ(put_file(CG "/cgroup.freeze", "1"), 0);
	usleep(2000000);
	EXPECT_EQ(ds_key_of(CG "/cgroup.events", "frozen"), 0)
		TH_LOG("froze with threads parked");
	inject(_metadata, self, false);
	for (int i = 0; i < 300 && frozen != 1; i++) {
		usleep(100000);
		frozen = ds_key_of(CG "/cgroup.events", "frozen");
	}
	TH_LOG("frozen once pages returned: %ld; %d threads had finished", frozen,
	       atomic_load(&sh->done));
	EXPECT_EQ(frozen, 1);
	ASSERT_EQ(put_file(CG "/cgroup.freeze", "0"), 0);
	EXPECT_EQ(wait_done(NR, 60), NR);
	kill(self->victim, SIGKILL);
	waitpid(self->victim, NULL, 0);
	self->victim = -1;
	rmdir(CG);
}

TEST_HARNESS_MAIN
