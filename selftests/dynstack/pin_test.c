// SPDX-License-Identifier: GPL-2.0
/*
 * Pinning (DYNSTACK_IOC_PIN, DYNSTACK_IOC_PINS, pinned_tids) is by thread,
 * not by number, and numbers are the caller's pid namespace's:
 *
 *  - pid_reuse_is_not_pinned: a process is pinned and exits; a new process
 *    made with the same id (clone3() with set_tid) is not pinned, loses its
 *    stack pages like any other, and no list shows the id any more.
 *  - ids_are_the_callers_namespace: in a new pid namespace, pinning id 2
 *    pins that namespace's thread 2, not the thread with id 2 outside
 *    (kthreadd), and each side lists it by its own number.
 *  - a_thread_not_its_process: pinning a thread that is not its
 *    process's leader pins that thread only.
 *  - bad_requests_change_nothing, unprivileged_cannot_pin, list_room and
 *    at_most_256: the ioctl's errors, EPERM, a list longer than the room
 *    given, and ENOSPC.
 */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dynstack.h>
#define DYNSTACK_NEED_CAPS
#include "dynstack_util.h"
#include "kselftest_harness.h"

/* The start of struct clone_args, up to set_tid_size (CLONE_ARGS_SIZE_VER1). */
struct ds_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size;
};

/* 0 or the errno of DYNSTACK_IOC_PIN. */
static int pin(int fd, pid_t tid, unsigned int flags)
{
	struct dynstack_pin p = { .size = sizeof(p), .flags = flags, .tid = tid };

	return ioctl(fd, DYNSTACK_IOC_PIN, &p) ? errno : 0;
}

/* DYNSTACK_IOC_TASK: whether @tid is pinned (1, 0), or -1. */
static int is_pinned(int fd, pid_t tid)
{
	struct dynstack_task t = { .size = sizeof(t), .pid = tid };

	if (ioctl(fd, DYNSTACK_IOC_TASK, &t))
		return -1;
	return !!(t.attrs & DYNSTACK_TASK_PINNED);
}

static int resident(int fd, pid_t tid)
{
	struct dynstack_task t = { .size = sizeof(t), .pid = tid };

	return ioctl(fd, DYNSTACK_IOC_TASK, &t) ? -1 : (int)t.resident_pages;
}

/* DYNSTACK_IOC_PINS into @tids (room @room): how many, or -1. */
static int list(int fd, pid_t *tids, unsigned int room)
{
	struct dynstack_pins p = {
		.size = sizeof(p), .count = room, .tids = (uintptr_t)tids,
	};

	return ioctl(fd, DYNSTACK_IOC_PINS, &p) ? -1 : (int)p.count;
}

static bool listed(int fd, pid_t tid)
{
	pid_t tids[256];
	int n = list(fd, tids, 256);

	for (int i = 0; i < n; i++)
		if (tids[i] == tid)
			return true;
	return false;
}

/* In a sleeper: sleep until killed, or until the test process dies. */
static void sleep_forever(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

/* A child that sleeps until killed; its pid, or -1. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0)
		sleep_forever();
	return pid;
}

/* Wait until @pid sleeps (state S in /proc/PID/stat); false after 5 s. */
static bool sleeping(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 500; i++) {
		int fd = open(path, O_RDONLY), n;

		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S')
			return true;
		usleep(10000);
	}
	return false;
}

/* Pages per stack, from the module. */
static int stack_pages(int fd)
{
	struct dynstack_version v = { .size = sizeof(v) };

	return ioctl(fd, DYNSTACK_IOC_VERSION, &v) ? -1 : (int)v.stack_pages;
}

/* The same, with the id @tid (clone3() set_tid); -1 with errno. */
static pid_t sleeper_with_id(pid_t tid)
{
	struct ds_clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&tid,
		.set_tid_size = 1,
	};
	pid_t pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		sleep_forever();
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

FIXTURE(pins) {
	bool loaded;
	int fd;
};

FIXTURE_SETUP(pins)
{
	self->loaded = false;
	self->fd = -1;
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
		self->loaded = true;
	}
	self->fd = open(DYNSTACK_DEVICE, O_RDONLY);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(pin(self->fd, 0, DYNSTACK_PIN_UNPIN | DYNSTACK_PIN_ALL), 0);
}

FIXTURE_TEARDOWN(pins)
{
	if (self->fd >= 0) {
		EXPECT_EQ(pin(self->fd, 0, DYNSTACK_PIN_UNPIN | DYNSTACK_PIN_ALL), 0);
		close(self->fd);
	}
	if (self->loaded)
		EXPECT_EQ(unload_module(), 0);
}

TEST_F(pins, pid_reuse_is_not_pinned)
{
	struct dynstack_reclaim r = { .size = sizeof(r), .flags = DYNSTACK_RECLAIM_TOUCHED };
	pid_t a = sleeper(), b;

	ASSERT_GT(a, 0);
	ASSERT_EQ(pin(self->fd, a, 0), 0);
	EXPECT_EQ(is_pinned(self->fd, a), 1);
	EXPECT_TRUE(listed(self->fd, a));
	stop(a);
	/* Exited: no longer listed, though its entry waits for the next change. */
	EXPECT_FALSE(listed(self->fd, a));

	b = sleeper_with_id(a);
	ASSERT_EQ(b, a) TH_LOG("clone3 set_tid=%d: %s", a, strerror(errno));
	EXPECT_EQ(is_pinned(self->fd, b), 0);
	EXPECT_FALSE(listed(self->fd, b));
	/* And it behaves as unpinned: a reclaim pass takes its pages. */
	ASSERT_TRUE(sleeping(b));
	ASSERT_EQ(ioctl(self->fd, DYNSTACK_IOC_RECLAIM, &r), 0);
	ASSERT_GE(resident(self->fd, b), 0);
	EXPECT_LT(resident(self->fd, b), stack_pages(self->fd));
	/* Unpinning the number now is an error: that thread is not pinned. */
	EXPECT_EQ(pin(self->fd, b, DYNSTACK_PIN_UNPIN), ENOENT);
	/* The same id as sysfs sees it. */
	EXPECT_EQ(read_u32("/sys/kernel/mm/dynstack/pinned_tids"), 0U);	/* empty */
	stop(b);
}

struct ns_shared {
	atomic_int phase;	/* 1: pinned from inside; 2: checked outside; -1: no pid ns */
	int unshare_err;
	pid_t inner;		/* the namespace's init, as the outside sees it */
	int pin_err;
	int inside_pinned;	/* is_pinned(2) inside */
	int inside_count;	/* list() inside */
	pid_t inside_first;
};

/* The pid (outside) of the child of @parent, from /proc; 0 if none. */
static pid_t child_of(pid_t parent)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	while (d && !found && (e = readdir(d))) {
		char path[300], line[128];
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/status", e->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "PPid:", 5) && atoi(line + 5) == parent)
				found = atoi(e->d_name);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

/* The namespace's init: forks its thread 2, pins "2", reports, waits. */
static void ns_init(int fd, struct ns_shared *sh)
{
	pid_t two = sleeper();
	pid_t tids[8];

	/* The outside must know our pid before it looks for our child. */
	for (int i = 0; i < 1000 && !__atomic_load_n(&sh->inner, __ATOMIC_ACQUIRE); i++)
		usleep(10000);
	sh->pin_err = two == 2 ? pin(fd, 2, 0) : -1;
	sh->inside_pinned = is_pinned(fd, 2);
	sh->inside_count = list(fd, tids, 8);
	sh->inside_first = sh->inside_count > 0 ? tids[0] : 0;
	atomic_store(&sh->phase, 1);
	for (int i = 0; i < 1000 && atomic_load(&sh->phase) != 2; i++)
		usleep(10000);
	stop(two);
	_exit(0);
}

TEST_F(pins, ids_are_the_callers_namespace)
{
	struct ns_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t outer, two_outside;
	int status;

	ASSERT_NE(sh, MAP_FAILED);
	outer = fork();
	ASSERT_GE(outer, 0);
	if (outer == 0) {
		pid_t inner;

		if (unshare(CLONE_NEWPID)) {
			sh->unshare_err = errno;
			atomic_store(&sh->phase, -1);
			_exit(0);
		}
		inner = fork();
		if (inner == 0)
			ns_init(self->fd, sh);
		__atomic_store_n(&sh->inner, inner, __ATOMIC_RELEASE);
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 11);
	}
	for (int i = 0; i < 1000 && atomic_load(&sh->phase) == 0; i++)
		usleep(10000);
	if (atomic_load(&sh->phase) == -1) {
		waitpid(outer, NULL, 0);
		SKIP(return, "unshare(CLONE_NEWPID): %s (CONFIG_PID_NS?)",
		     strerror(sh->unshare_err));
	}
	ASSERT_EQ(atomic_load(&sh->phase), 1);
	EXPECT_EQ(sh->pin_err, 0);
	EXPECT_EQ(sh->inside_pinned, 1);
	EXPECT_EQ(sh->inside_count, 1);
	EXPECT_EQ(sh->inside_first, 2);

	two_outside = child_of(sh->inner);
	ASSERT_GT(two_outside, 2);
	EXPECT_EQ(is_pinned(self->fd, two_outside), 1);
	EXPECT_TRUE(listed(self->fd, two_outside));
	/* Thread 2 out here is kthreadd: not what was pinned. */
	EXPECT_EQ(is_pinned(self->fd, 2), 0);
	EXPECT_FALSE(listed(self->fd, 2));

	atomic_store(&sh->phase, 2);
	ASSERT_EQ(waitpid(outer, &status, 0), outer);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	munmap(sh, sizeof(*sh));
}

static void *thread_sleeper(void *arg)
{
	*(pid_t *)arg = gettid();
	for (;;)
		pause();
	return NULL;
}

/* A thread that is not the leader: only it is pinned, not its process. */
TEST_F(pins, a_thread_not_its_process)
{
	pid_t tids[2] = { 0, 0 };
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&t[i], NULL, thread_sleeper, &tids[i]), 0);
	for (int i = 0; i < 500 && (!tids[0] || !tids[1]); i++)
		usleep(10000);
	ASSERT_NE(tids[0], 0);
	ASSERT_NE(tids[1], 0);
	ASSERT_EQ(pin(self->fd, tids[0], 0), 0);
	EXPECT_EQ(is_pinned(self->fd, tids[0]), 1);
	EXPECT_EQ(is_pinned(self->fd, tids[1]), 0);
	EXPECT_EQ(is_pinned(self->fd, getpid()), 0);
	EXPECT_EQ(list(self->fd, NULL, 0), 1);
	EXPECT_EQ(pin(self->fd, getpid(), DYNSTACK_PIN_UNPIN), ENOENT);
	EXPECT_EQ(pin(self->fd, tids[0], DYNSTACK_PIN_UNPIN), 0);
	/* The threads sleep on; the harness's child process exits with them. */
}

TEST_F(pins, bad_requests_change_nothing)
{
	struct dynstack_pin p = { .size = sizeof(p), .tid = getpid(), .__reserved = 1 };
	pid_t me = getpid();

	EXPECT_EQ(pin(self->fd, me, 1U << 7), EINVAL);
	EXPECT_EQ(pin(self->fd, me, DYNSTACK_PIN_ALL), EINVAL);
	EXPECT_EQ(pin(self->fd, me, DYNSTACK_PIN_UNPIN | DYNSTACK_PIN_ALL), EINVAL);
	EXPECT_EQ(pin(self->fd, 0, 0), EINVAL);
	EXPECT_EQ(pin(self->fd, -1, 0), EINVAL);
	EXPECT_EQ(ioctl(self->fd, DYNSTACK_IOC_PIN, &p) ? errno : 0, EINVAL);
	EXPECT_EQ(pin(self->fd, 999999999, 0), ESRCH);
	EXPECT_EQ(pin(self->fd, me, DYNSTACK_PIN_UNPIN), ENOENT);
	EXPECT_EQ(list(self->fd, NULL, 0), 0);
	EXPECT_EQ(is_pinned(self->fd, me), 0);

	/* Pinning twice is one pin; one unpin undoes it. */
	ASSERT_EQ(pin(self->fd, me, 0), 0);
	ASSERT_EQ(pin(self->fd, me, 0), 0);
	EXPECT_EQ(list(self->fd, NULL, 0), 1);
	EXPECT_EQ(pin(self->fd, me, DYNSTACK_PIN_UNPIN), 0);
	EXPECT_EQ(is_pinned(self->fd, me), 0);
}

TEST_F(pins, unprivileged_cannot_pin)
{
	pid_t me = getpid(), pid;
	int status;

	ASSERT_EQ(pin(self->fd, me, 0), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pid_t tids[4];

		if (drop_sys_admin())
			_exit(10);
		if (pin(self->fd, getpid(), 0) != EPERM)
			_exit(11);
		if (pin(self->fd, me, DYNSTACK_PIN_UNPIN) != EPERM)
			_exit(12);
		if (pin(self->fd, 0, DYNSTACK_PIN_UNPIN | DYNSTACK_PIN_ALL) != EPERM)
			_exit(13);
		if (put_file("/sys/kernel/mm/dynstack/pinned_tids", "clear") == 0 ||
		    errno != EPERM)
			_exit(14);
		/* Reading the list is for everyone. */
		if (list(self->fd, tids, 4) != 1 || tids[0] != me)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0) TH_LOG("child step %d failed", WEXITSTATUS(status));
	EXPECT_EQ(is_pinned(self->fd, me), 1);
}

TEST_F(pins, list_room)
{
	pid_t a = sleeper(), b = sleeper();
	pid_t tids[3] = { 0, 0, -7 };

	ASSERT_GT(a, 0);
	ASSERT_GT(b, 0);
	ASSERT_EQ(pin(self->fd, a, 0), 0);
	ASSERT_EQ(pin(self->fd, b, 0), 0);
	/* Room for one: the count says two, and nothing past the room is written. */
	EXPECT_EQ(list(self->fd, tids + 1, 1), 2);
	EXPECT_EQ(tids[0], 0);
	EXPECT_TRUE(tids[1] == a || tids[1] == b);
	EXPECT_EQ(tids[2], -7);
	EXPECT_EQ(list(self->fd, (pid_t *)8, 2), -1);
	EXPECT_EQ(errno, EFAULT);
	stop(a);
	stop(b);
}

TEST_F(pins, at_most_256)
{
	pid_t kids[257];
	int n = 0;

	for (; n < 257; n++) {
		kids[n] = sleeper();
		ASSERT_GT(kids[n], 0);
	}
	for (int i = 0; i < 256; i++)
		ASSERT_EQ(pin(self->fd, kids[i], 0), 0);
	EXPECT_EQ(pin(self->fd, kids[256], 0), ENOSPC);
	EXPECT_EQ(is_pinned(self->fd, kids[256]), 0);
	EXPECT_EQ(list(self->fd, NULL, 0), 256);
	/* Room comes back when pinned threads exit. */
	stop(kids[0]);
	EXPECT_EQ(pin(self->fd, kids[256], 0), 0);
	for (int i = 1; i < n; i++)
		stop(kids[i]);
}

TEST_HARNESS_MAIN
