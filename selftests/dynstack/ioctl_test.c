// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dynstack ioctl ABI: every command with good input, then bad input
 * (sizes, flags, reserved fields, ranges, pointers, unknown commands) with
 * the right errno and no change, and an unprivileged caller that can read
 * but gets EPERM for every write.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/dynstack.h>
#define DYNSTACK_NEED_CAPS
#include "dynstack_util.h"
#include "kselftest_harness.h"

/* ioctl() returning 0 or the errno. */
static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static struct dynstack_policy get_policy(int fd)
{
	struct dynstack_policy p = { .size = sizeof(p) };

	if (ioc(fd, DYNSTACK_IOC_GET_POLICY, &p))
		p.size = 0;
	return p;
}

static bool same_policy(const struct dynstack_policy *a, const struct dynstack_policy *b)
{
	return !memcmp((const char *)a + 8, (const char *)b + 8, sizeof(*a) - 8);
}

FIXTURE(dev) {
	int fd;
	bool loaded;
};

FIXTURE_SETUP(dev)
{
	self->loaded = false;
	self->fd = -1;
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0) TH_LOG("finit_module: %s", strerror(errno));
		self->loaded = true;
	}
	self->fd = open(DYNSTACK_DEVICE, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", DYNSTACK_DEVICE, strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->loaded)
		EXPECT_EQ(unload_module(), 0);
}

TEST_F(dev, version)
{
	struct dynstack_version v = { .size = sizeof(v) };

	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, &v), 0);
	EXPECT_EQ(v.size, sizeof(v));
	EXPECT_EQ(v.abi_version, DYNSTACK_ABI_VERSION);
	EXPECT_EQ(v.page_size, 4096);
	EXPECT_EQ(v.stack_pages, 4);
	EXPECT_GE(v.nr_cpu_ids, 1);
	EXPECT_TRUE(v.features & DYNSTACK_FEAT_DETACH);
}

TEST_F(dev, struct_sizes_are_versioned)
{
	struct {
		struct dynstack_version v;
		__u64 future[2];
	} big;

	/* Smaller than the first version of the struct. */
	memset(&big, 0, sizeof(big));
	big.v.size = 16;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, &big), EINVAL);
	/* A newer caller: bigger struct, zero tail, answered with our size. */
	big.v.size = sizeof(big);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, &big), 0);
	EXPECT_EQ(big.v.size, sizeof(struct dynstack_version));
	EXPECT_EQ(big.future[0], 0);
	/* A newer caller asking for something we do not know. */
	big.v.size = sizeof(big);
	big.future[1] = 1;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, &big), E2BIG);
	/* An absurd size. */
	big.v.size = 1 << 20;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, &big), E2BIG);
}

/*
 * A size is capped at a page, as for openat2() and clone3(): without the
 * cap a caller could make the module scan gigabytes of its memory. Pages
 * of zeroes past the struct would be accepted as a newer caller's tail.
 */
TEST_F(dev, size_capped_at_a_page)
{
	size_t page = getpagesize(), len = 4 * page;
	struct dynstack_version *v;

	v = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(v, MAP_FAILED);
	v->size = len;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, v), E2BIG);
	v->size = page;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, v), 0);
	EXPECT_EQ(v->size, sizeof(*v));
	munmap(v, len);
}

TEST_F(dev, stats_and_histogram)
{
	struct dynstack_stats s = { .size = sizeof(s) };
	__u64 sum = 0;

	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_STATS, &s), 0);
	EXPECT_EQ(s.size, sizeof(s));
	EXPECT_GT(s.stacks, 0);
	EXPECT_GE(s.resident_pages, s.stacks);
	EXPECT_LE(s.resident_pages, 4 * s.stacks + 64);
	for (int i = 0; i < DYNSTACK_HIST_BUCKETS; i++)
		sum += s.residency[i];
	/* Two walks of a list that changes: close, not equal. */
	EXPECT_LE(llabs((long long)sum - (long long)s.stacks), 64);
	EXPECT_GE(s.reserve_pages, 1);

	s.__reserved = 1;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_STATS, &s), EINVAL);
}

TEST_F(dev, cpu_stats)
{
	struct dynstack_version v = { .size = sizeof(v) };
	struct dynstack_cpu_stats c = { .size = sizeof(c) };

	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, &v), 0);
	for (__u32 cpu = 0; cpu < v.nr_cpu_ids; cpu++) {
		c = (struct dynstack_cpu_stats){ .size = sizeof(c), .cpu = cpu };
		EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_CPU_STATS, &c), 0);
		EXPECT_EQ(c.cpu, cpu);
	}
	c = (struct dynstack_cpu_stats){ .size = sizeof(c), .cpu = v.nr_cpu_ids };
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_CPU_STATS, &c), EINVAL);
	c = (struct dynstack_cpu_stats){ .size = sizeof(c), .flags = 1 };
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_CPU_STATS, &c), EINVAL);
}

TEST_F(dev, policy_round_trip)
{
	struct dynstack_policy p = get_policy(self->fd), q, orig = p;
	char buf[32];
	int fd;

	ASSERT_NE(p.size, 0);
	p.magazine_size = orig.magazine_size == 9 ? 10 : 9;
	p.reclaim_interval_ms = 500;
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p), 0);
	q = get_policy(self->fd);
	EXPECT_EQ(q.magazine_size, p.magazine_size);
	EXPECT_EQ(q.reclaim_interval_ms, 500);
	/* The same value through sysfs. */
	fd = open("/sys/kernel/mm/dynstack/magazine_size", O_RDONLY);
	ASSERT_GE(fd, 0);
	memset(buf, 0, sizeof(buf));
	ASSERT_GT(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	EXPECT_EQ(atoi(buf), (int)p.magazine_size);
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &orig), 0);
}

/* A caller built against ABI VER0 keeps working. */
TEST_F(dev, old_struct_size)
{
	struct dynstack_policy p = { .size = DYNSTACK_POLICY_SIZE_VER0 }, cur;
	struct dynstack_stats s;

	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_GET_POLICY, &p), 0);
	EXPECT_EQ(p.size, DYNSTACK_POLICY_SIZE_VER0);
	EXPECT_EQ(p.min_sleep_us, 0);	/* not copied back: beyond its size */
	cur = get_policy(self->fd);
	ASSERT_GT(cur.min_sleep_us, 0);
	/* A VER0 set zero-extends: min_sleep_us 0, "take at every switch-out". */
	/*
	 * A VER0 set changes the fields it sent; min_sleep_us, past its size,
	 * keeps its value instead of being reset to 0.
	 */
	p.size = DYNSTACK_POLICY_SIZE_VER0;
	p.magazine_size = cur.magazine_size == 9 ? 10 : 9;
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p), 0);
	EXPECT_EQ(get_policy(self->fd).min_sleep_us, cur.min_sleep_us);
	EXPECT_EQ(get_policy(self->fd).magazine_size, p.magazine_size);
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &cur), 0);

	memset(&s, 0xff, sizeof(s));
	s.size = DYNSTACK_STATS_SIZE_VER0;
	s.__reserved = 0;
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_STATS, &s), 0);
	EXPECT_EQ(s.size, DYNSTACK_STATS_SIZE_VER0);
	EXPECT_EQ(s.napped, ~0ULL);	/* untouched past the caller's size */
}

TEST_F(dev, bad_policy_changes_nothing)
{
	struct dynstack_policy orig = get_policy(self->fd), p, now, *ro;
	struct {
		struct dynstack_policy p;
		__u32 future;
		__u32 pad;
	} big;

	ASSERT_NE(orig.size, 0);
#define TRY(field, val, err) do {						\
		p = orig; p.field = (val);					\
		EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p), err)	\
			TH_LOG(#field "=%u", (unsigned int)(val));		\
	} while (0)
	TRY(flags, 2, EINVAL);
	TRY(flags, DYNSTACK_POLICY_SET_MASK, EINVAL);	/* with an empty mask */
	TRY(mask, 1, EINVAL);				/* without the flag */
	TRY(error_field, 1, EINVAL);
	TRY(detach, 2, EINVAL);
	TRY(magazine_size, 0, EINVAL);
	TRY(magazine_size, 257, EINVAL);
	TRY(depot_low, orig.depot_high, EINVAL);
	TRY(reserve_pages, 0, EINVAL);
	TRY(reclaim_interval_ms, 3, EINVAL);
	TRY(reclaim_touched, 5, EINVAL);
	TRY(pin_kthreads, 0xffffffff, EINVAL);
	TRY(min_sleep_us, 60000001, EINVAL);
	TRY(partial_fork, 2, EINVAL);
	TRY(shrink_interval_ms, 9, EINVAL);
	TRY(__reserved2, 1, EINVAL);
	TRY(size, 8, EINVAL);
#undef TRY
	memset(&big, 0, sizeof(big));
	big.p = orig;
	big.p.size = sizeof(big);
	big.future = 1;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &big), E2BIG);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, NULL), EFAULT);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, (void *)8), EFAULT);
	/*
	 * A caller whose struct has no error_field (ABI 1) gets EINVAL and
	 * nothing written back, even into read-only memory.
	 */
	ro = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(ro, MAP_FAILED);
	memcpy(ro, &orig, DYNSTACK_POLICY_SIZE_VER2);
	ro->size = DYNSTACK_POLICY_SIZE_VER2;
	ro->magazine_size = 0;
	ASSERT_EQ(mprotect(ro, getpagesize(), PROT_READ), 0);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, ro), EINVAL);
	munmap(ro, getpagesize());
	now = get_policy(self->fd);
	EXPECT_TRUE(same_policy(&orig, &now));
}

/* SET with a mask changes exactly the fields in it. */
TEST_F(dev, set_mask_changes_only_masked_fields)
{
	struct dynstack_policy orig = get_policy(self->fd), p, now;

	ASSERT_NE(orig.size, 0);
	/* Every other field holds a value that would be refused. */
	memset(&p, 0xff, sizeof(p));
	p.size = sizeof(p);
	p.flags = DYNSTACK_POLICY_SET_MASK;
	p.mask = 1ULL << DYNSTACK_POLICY_MAGAZINE_SIZE;
	p.error_field = 0;
	p.__reserved = 0;
	p.__reserved2 = 0;
	p.magazine_size = orig.magazine_size == 9 ? 10 : 9;
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p), 0);
	now = get_policy(self->fd);
	EXPECT_EQ(now.magazine_size, p.magazine_size);
	now.magazine_size = orig.magazine_size;
	EXPECT_TRUE(same_policy(&orig, &now));
	/* A bit no field has is refused, with no field to blame. */
	p.mask |= 1ULL << 40;
	p.error_field = 0;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p), EINVAL);
	EXPECT_EQ(p.error_field, -1);
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &orig), 0);
}

/* On EINVAL the caller learns which field was refused. */
TEST_F(dev, refusal_names_the_field)
{
	struct dynstack_policy orig = get_policy(self->fd), p, now;

	ASSERT_NE(orig.size, 0);
#define REFUSE(f, val, want) do {						\
		memset(&p, 0, sizeof(p));					\
		p.size = sizeof(p);						\
		p.flags = DYNSTACK_POLICY_SET_MASK;				\
		p.mask = 1ULL << (want);					\
		p.f = (val);							\
		EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p), EINVAL);	\
		EXPECT_EQ(p.error_field, (want)) TH_LOG(#f "=%u", (val));	\
	} while (0)
	REFUSE(detach, 2, DYNSTACK_POLICY_DETACH);
	REFUSE(magazine_size, 0, DYNSTACK_POLICY_MAGAZINE_SIZE);
	REFUSE(depot_low, orig.depot_high, DYNSTACK_POLICY_DEPOT_LOW);
	REFUSE(depot_high, orig.depot_low, DYNSTACK_POLICY_DEPOT_HIGH);
	REFUSE(reserve_pages, 0, DYNSTACK_POLICY_RESERVE_PAGES);
	REFUSE(reclaim_interval_ms, 3, DYNSTACK_POLICY_RECLAIM_INTERVAL_MS);
	REFUSE(partial_fork, 1, DYNSTACK_POLICY_PARTIAL_FORK);
	REFUSE(shrink_interval_ms, 5, DYNSTACK_POLICY_SHRINK_INTERVAL_MS);
#undef REFUSE
	now = get_policy(self->fd);
	EXPECT_TRUE(same_policy(&orig, &now));
}

/*
 * Writers of different fields, one through sysfs and one through the ioctl,
 * never undo each other: each reads back its own last value every time. A
 * writer that copied the settings, dropped the lock and published its copy
 * would put the other's field back to an older value.
 */
TEST_F(dev, writers_of_different_fields_never_undo_each_other)
{
	struct dynstack_policy orig = get_policy(self->fd), p, now;
	int status, i, bad = 0;
	pid_t child;

	ASSERT_NE(orig.size, 0);
	child = fork();
	ASSERT_GE(child, 0);
	if (child == 0) {
		for (i = 0; i < 2000; i++) {
			unsigned int want = 8 + (i & 7);

			if (write_u32("/sys/kernel/mm/dynstack/magazine_size", want) ||
			    read_u32("/sys/kernel/mm/dynstack/magazine_size") != want)
				_exit(1);
		}
		_exit(0);
	}
	for (i = 0; i < 2000; i++) {
		memset(&p, 0, sizeof(p));
		p.size = sizeof(p);
		p.flags = DYNSTACK_POLICY_SET_MASK;
		p.mask = 1ULL << DYNSTACK_POLICY_MIN_SLEEP_US;
		p.min_sleep_us = 100 + (i & 7);
		if (ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p) ||
		    get_policy(self->fd).min_sleep_us != p.min_sleep_us)
			bad++;
	}
	ASSERT_EQ(waitpid(child, &status, 0), child);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(bad, 0);
	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &orig), 0);
	now = get_policy(self->fd);
	EXPECT_TRUE(same_policy(&orig, &now));
}

/* The module's table of tunables: one entry per sysfs file, with its range. */
TEST_F(dev, tunable_table_matches_sysfs)
{
	struct dynstack_tunable t;
	char path[128];
	__u32 i;

	for (i = 0;; i++) {
		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		t.index = i;
		if (ioc(self->fd, DYNSTACK_IOC_TUNABLE, &t))
			break;
		ASSERT_EQ(t.index, i);
		ASSERT_NE(t.name[0], 0);
		EXPECT_LE(t.min, t.max) TH_LOG("%s", t.name);
		EXPECT_NE(t.help[0], 0) TH_LOG("%s", t.name);
		snprintf(path, sizeof(path), "/sys/kernel/mm/dynstack/%s", t.name);
		EXPECT_EQ(read_u32(path), t.value) TH_LOG("%s", path);
	}
	EXPECT_EQ(errno, ENOENT);
	EXPECT_EQ(i, DYNSTACK_POLICY_SHRINK_INTERVAL_MS + 1);
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	t.flags = 1;
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_TUNABLE, &t), EINVAL);
}

/*
 * Commands match on type and number: the _IO encoding of the first ABI
 * and a newer caller's larger size bits reach the same command; another
 * type is not ours.
 */
TEST_F(dev, commands_match_on_type_and_number)
{
	struct dynstack_version v = { .size = sizeof(v) };

	EXPECT_EQ(ioc(self->fd, _IO(DYNSTACK_IOC_MAGIC, 0x00), &v), 0);
	EXPECT_EQ(v.abi_version, DYNSTACK_ABI_VERSION);
	v.size = sizeof(v);
	EXPECT_EQ(ioc(self->fd, _IOWR(DYNSTACK_IOC_MAGIC, 0x00, __u64[8]), &v), 0);
	EXPECT_EQ(ioc(self->fd, _IOWR('x', 0x00, struct dynstack_version), &v), ENOTTY);
	EXPECT_EQ(ioc(self->fd, _IOWR(DYNSTACK_IOC_MAGIC, 0x7f, struct dynstack_version), &v),
		  ENOTTY);
}

TEST_F(dev, task_residency)
{
	struct dynstack_task t = { .size = sizeof(t), .pid = gettid() };

	ASSERT_EQ(ioc(self->fd, DYNSTACK_IOC_TASK, &t), 0);
	EXPECT_GE(t.resident_pages, 1);
	EXPECT_LE(t.resident_pages, 4);
	EXPECT_EQ(t.stack_pages, 4);

	t = (struct dynstack_task){ .size = sizeof(t), .pid = 0 };
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_TASK, &t), EINVAL);
	t = (struct dynstack_task){ .size = sizeof(t), .pid = 0x3fffffff };
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_TASK, &t), ESRCH);
	t = (struct dynstack_task){ .size = sizeof(t), .pid = gettid(), .flags = 1 };
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_TASK, &t), EINVAL);
}

TEST_F(dev, reclaim)
{
	struct dynstack_reclaim r = { .size = sizeof(r), .flags = DYNSTACK_RECLAIM_TOUCHED };
	struct sleepers s;

	ASSERT_EQ(sleepers_start(&s, 32), 32);
	usleep(100000);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_RECLAIM, &r), 0);
	EXPECT_GE(r.scanned, 32);
	sleepers_stop(&s);
	r = (struct dynstack_reclaim){ .size = sizeof(r), .flags = 2 };
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_RECLAIM, &r), EINVAL);
}

TEST_F(dev, unknown_command_and_bad_pointer)
{
	EXPECT_EQ(ioc(self->fd, _IO(DYNSTACK_IOC_MAGIC, 0x7f), NULL), ENOTTY);
	EXPECT_EQ(ioc(self->fd, _IOR('x', 1, int), NULL), ENOTTY);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_STATS, NULL), EFAULT);
	EXPECT_EQ(ioc(self->fd, DYNSTACK_IOC_VERSION, (void *)1), EFAULT);
}

TEST_F(dev, unprivileged_reads_but_cannot_write)
{
	struct dynstack_policy orig = get_policy(self->fd), now;
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct dynstack_stats s = { .size = sizeof(s) };
		struct dynstack_policy p;
		struct dynstack_reclaim r = { .size = sizeof(r) };
		struct dynstack_task t = { .size = sizeof(t), .pid = 1 };

		if (drop_sys_admin())
			_exit(10);
		if (ioc(self->fd, DYNSTACK_IOC_STATS, &s))
			_exit(11);
		p = get_policy(self->fd);
		if (!p.size)
			_exit(12);
		p.magazine_size = 3;
		if (ioc(self->fd, DYNSTACK_IOC_SET_POLICY, &p) != EPERM)
			_exit(13);
		if (ioc(self->fd, DYNSTACK_IOC_RECLAIM, &r) != EPERM)
			_exit(14);
		/* Another user's task: the ptrace read rules say no. */
		if (setgid(65534) || setuid(65534))
			_exit(15);
		if (ioc(self->fd, DYNSTACK_IOC_TASK, &t) != EPERM)
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0) TH_LOG("child step %d failed", WEXITSTATUS(status));
	now = get_policy(self->fd);
	EXPECT_TRUE(same_policy(&orig, &now));
}

TEST_HARNESS_MAIN
