// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko policy: the ops the core calls (pages from and to the supply,
 * whether a task that blocks gives its untouched pages back) and
 * registration with the core.
 *
 *  - switch-out: untouched pages of a task that blocked and is not pinned
 *    go back to the supply, but only while admission control allows (the
 *    reserve is full), see ds_supply_admit();
 *  - a wakeup the supply cannot serve is not this module's problem: the
 *    core parks the task and its own kdynstackd fills the stack, so a
 *    supply that runs dry slows tasks down and strands none.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched.h>

#include "dynstack_mod.h"

static unsigned int ds_take(struct page **pages, unsigned int nr)
{
	return ds_supply_take(&ds_main_supply, pages, nr);
}

static void ds_give(struct page **pages, unsigned int nr)
{
	ds_supply_give(&ds_main_supply, pages, nr);
}

/*
 * Switch-out, IRQs off. The core already kept the pages of tasks that only
 * napped (min_sleep_us, handed to it as the nap time of
 * dynstack_configure()) and of tasks with nothing to give, so this runs
 * only when pages would go.
 */
static bool ds_may_detach(struct task_struct *prev)
{
	if (ds_pinned(prev))
		return false;
	if (!ds_supply_admit(&ds_main_supply)) {
		ds_supply_count_refused(&ds_main_supply);
		return false;
	}
	return true;
}

static const struct dynstack_ops ds_ops = {
	.name = "dynstack.ko",
	.take_pages = ds_take,
	.give_pages = ds_give,
	.may_detach = ds_may_detach,
};

/* The settings the core applies itself, in the switch-out hook. */
int ds_policy_configure(void)
{
	const struct ds_tunables *t = ds_tunables_live();

	return dynstack_configure(&ds_ops, READ_ONCE(t->detach),
				  (u64)READ_ONCE(t->min_sleep_us) * NSEC_PER_USEC);
}

/*
 * The settings first, so that the hooks start with ours; no sysfs or ioctl
 * writer exists yet to change them meanwhile. The supply must be ready:
 * from here on the core calls the ops.
 */
int ds_policy_register(void)
{
	int err = ds_policy_configure();

	return err ? err : dynstack_register(&ds_ops);
}

/* Repopulates every stack; after it no hook calls this module. */
void ds_policy_unregister(void)
{
	dynstack_unregister(&ds_ops);
}
