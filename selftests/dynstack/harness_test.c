// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the guest the other dynstack tests run in: every CPU visible,
 * KernelStack accounting present and proportional to the number of threads,
 * and the module loadable and removable from its documented path.
 */
#include <sys/syscall.h>
#include <sys/stat.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define STACK_KB 16

TEST(kernelstack_in_meminfo)
{
	ASSERT_GT(meminfo_kb("KernelStack"), 0);
}

TEST(sees_all_cpus)
{
	const char *want = getenv("DYNSTACK_EXPECT_CPUS");
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (!want)
		SKIP(return, "DYNSTACK_EXPECT_CPUS not set");
	ASSERT_GE(online, atol(want));
}

/*
 * Without dynstack's policy active, every thread costs one fully populated
 * 16 kB stack: 512 new sleeping threads must add 512 * 16 kB, give or take
 * what the rest of the system did meanwhile (a few threads).
 */
TEST(kernelstack_tracks_threads)
{
	struct sleepers s;
	long before, during, after;
	const int nr = 512;

	if (!access("/sys/module/dynstack", F_OK))
		SKIP(return, "dynstack.ko is loaded: stacks are not full");
	before = meminfo_kb("KernelStack");
	ASSERT_EQ(sleepers_start(&s, nr), nr);
	during = meminfo_kb("KernelStack");
	sleepers_stop(&s);
	after = meminfo_kb("KernelStack");

	TH_LOG("KernelStack %ld kB -> %ld kB with %d threads -> %ld kB",
	       before, during, nr, after);
	EXPECT_GE(during - before, (nr - 8) * STACK_KB);
	EXPECT_LE(during - before, (nr + 8) * STACK_KB);
	EXPECT_LE(labs(after - before), 8 * STACK_KB);
}

TEST(module_load_unload)
{
	const char *ko = getenv("DYNSTACK_KO");
	int fd;

	if (!ko)
		SKIP(return, "DYNSTACK_KO not set");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0) TH_LOG("open %s: %s", ko, strerror(errno));
	ASSERT_EQ(syscall(SYS_finit_module, fd, "", 0), 0)
		TH_LOG("finit_module: %s", strerror(errno));
	close(fd);
	EXPECT_EQ(access("/sys/kernel/mm/dynstack/abi_version", R_OK), 0);
	ASSERT_EQ(syscall(SYS_delete_module, "dynstack", O_NONBLOCK), 0)
		TH_LOG("delete_module: %s", strerror(errno));
	EXPECT_NE(access("/sys/module/dynstack", F_OK), 0);
}

TEST_HARNESS_MAIN
