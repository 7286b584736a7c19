// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the loadable policy of dynamic kernel stacks. This file
 * loads and unloads it; what each part does is in dynstack_mod.h.
 *
 * The core (kernel/dynstack/) maps stack pages when a task is woken and
 * unmaps them when it blocks; this module decides where the pages come from
 * (supply.c, refill.c) and when pages are taken away (policy.c at
 * switch-out, reclaim.c from sleeping tasks).
 *
 * Loading: the tunables, the supply with its reserve full, then the
 * registration with the core (from here on the core calls us), then the
 * front ends, then the first reclaim pass (none if its interval is 0).
 * Unloading undoes it in reverse:
 * the front ends go, the passes stop, unregistering repopulates every stack
 * and stops all calls into this module, and only then the supply is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>

#include "dynstack_mod.h"

/* A change of the tunables was published: act on it (tunables_mutex held). */
static void tunables_changed(void)
{
	/*
	 * Lock order: tunables_mutex -> the core's dynstack_policy_mutex.
	 * Cannot fail: sysfs and the ioctl exist only while we are the
	 * registered policy.
	 */
	WARN_ON_ONCE(ds_policy_configure());
	ds_refill_retune();
	ds_reclaim_reschedule();
}

static int __init dynstack_mod_init(void)
{
	struct ds_supply_levels lv;
	struct ds_tunables_error bad;
	struct ds_tunables given;
	u64 mask = ds_params_given(&given);
	int err;

	if (ds_tunables_init(&given, mask, tunables_changed, &bad)) {
		const struct ds_tunable_desc *d = &ds_tunable_descs[bad.field];

		pr_err("%s=%u refused: %s (range %u..%u; %s)\n", d->name,
		       *(u32 *)((char *)&given + d->offset), bad.why, d->min,
		       d->max, d->help);
		return -EINVAL;
	}
	err = ds_refill_init(ds_tunables_live());
	if (err)
		return err;
	err = ds_stats_init();
	if (err)
		goto refill_exit;
	err = ds_policy_register();
	if (err)
		goto refill_exit;
	err = ds_sysfs_init();
	if (err)
		goto unregister;
	err = ds_ioctl_init();
	if (err)
		goto sysfs_exit;
	ds_debugfs_init();
	ds_reclaim_start();
	ds_supply_levels(&ds_main_supply, &lv);
	pr_info("loaded: reserve %lu pages, depot %lu pages\n",
		lv.reserve, lv.depot);
	return 0;

sysfs_exit:
	ds_sysfs_exit();
unregister:
	ds_policy_unregister();
	ds_pins_exit();
refill_exit:
	ds_refill_exit();
	return err;
}

static void __exit dynstack_mod_exit(void)
{
	ds_debugfs_exit();
	ds_ioctl_exit();
	ds_sysfs_exit();
	ds_reclaim_stop();
	ds_policy_unregister();
	/* After the core's last may_detach() call and the last writer. */
	ds_pins_exit();
	ds_refill_exit();
	pr_info("unloaded\n");
}

module_init(dynstack_mod_init);
module_exit(dynstack_mod_exit);

MODULE_DESCRIPTION("Dynamic kernel stacks: page supply and policy");
MODULE_LICENSE("GPL");
