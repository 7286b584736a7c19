// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit checks of the test environment every other dynstack test relies on:
 * the guest sees all its CPUs, stacks are vmalloc'ed THREAD_SIZE areas, and
 * the debug configuration really has the debugging the harness promises.
 * A silent Kconfig miss (ACPI off: one CPU; lockdep off: no splats to find)
 * would make every later test pass for the wrong reason.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/sched/task_stack.h>
#include <linux/cpumask.h>
#include <linux/debug_locks.h>
#include <linux/mm.h>

static unsigned int expect_cpus = 2;
module_param(expect_cpus, uint, 0444);
MODULE_PARM_DESC(expect_cpus, "CPUs the harness gave the guest");

static bool expect_debug;
module_param(expect_debug, bool, 0444);
MODULE_PARM_DESC(expect_debug, "the guest runs the debug configuration");

static void harness_sees_all_cpus(struct kunit *test)
{
	KUNIT_EXPECT_GE(test, num_online_cpus(), expect_cpus);
}

static void harness_stack_is_vmapped(struct kunit *test)
{
	void *stack = task_stack_page(current);

	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_VMAP_STACK));
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(stack));
	KUNIT_EXPECT_EQ(test, (unsigned long)THREAD_SIZE, 4 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, (unsigned long)stack & (THREAD_SIZE - 1), 0UL);
}

static void harness_debug_config(struct kunit *test)
{
	if (!expect_debug)
		kunit_skip(test, "fast configuration");
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_PROVE_LOCKING));
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_DEBUG_VM));
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_DEBUG_ATOMIC_SLEEP));
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_DEBUG_STACK_USAGE));
	KUNIT_EXPECT_TRUE(test, IS_ENABLED(CONFIG_SCHED_STACK_END_CHECK));
	/* Lockdep turns itself off after its first report. */
	KUNIT_EXPECT_TRUE(test, debug_locks);
}

static struct kunit_case harness_cases[] = {
	KUNIT_CASE(harness_sees_all_cpus),
	KUNIT_CASE(harness_stack_is_vmapped),
	KUNIT_CASE(harness_debug_config),
	{}
};

static struct kunit_suite harness_suite = {
	.name = "dynstack_harness",
	.test_cases = harness_cases,
};
kunit_test_suite(harness_suite);

MODULE_DESCRIPTION("dynstack: KUnit checks of the test environment");
MODULE_LICENSE("GPL");
