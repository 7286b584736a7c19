// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko module parameters: every tunable can be given at load time
 * (insmod dynstack.ko magazine_size=64, or in modprobe.d), as zswap's
 * knobs can. A value is parsed here, as a decimal number like the sysfs
 * files; ds_tunables_init() then validates it with the whole set, by the
 * same code as sysfs and the ioctl, and a refused value fails the load
 * with a message that names it. Afterwards the parameters are read-only
 * and show the live values: tunables change through
 * /sys/kernel/mm/dynstack/ or the ioctl, which serialise with each other.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kernel.h>
#include <linux/sysfs.h>

#include "dynstack_mod.h"
#include "../uapi/linux/dynstack.h"

/* What the load gave, written only while the module loads (no lock). */
static struct ds_tunables given;
static u64 given_mask;

static int param_set(const char *val, const struct kernel_param *kp)
{
	const struct ds_tunable_desc *d = kp->arg;
	u32 v;

	if (kstrtou32(val, 10, &v))
		return -EINVAL;
	/* ABI 1's reserve_pages=0 meant "the default": it still does. */
	if (d == &ds_tunable_descs[DYNSTACK_POLICY_RESERVE_PAGES] && !v) {
		given_mask &= ~BIT_ULL(DYNSTACK_POLICY_RESERVE_PAGES);
		return 0;
	}
	*(u32 *)((char *)&given + d->offset) = v;
	given_mask |= BIT_ULL(d - ds_tunable_descs);
	return 0;
}

static int param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", ds_tunable_get_one(kp->arg));
}

static const struct kernel_param_ops param_ops = {
	.set = param_set,
	.get = param_get,
};

#define PARAM(name, idx)							\
	module_param_cb(name, &param_ops,					\
			(void *)&ds_tunable_descs[DYNSTACK_POLICY_##idx], 0444);\
	MODULE_PARM_DESC(name, "at load time; see /sys/kernel/mm/dynstack/" #name)

PARAM(detach, DETACH);
PARAM(magazine_size, MAGAZINE_SIZE);
PARAM(depot_low, DEPOT_LOW);
PARAM(depot_high, DEPOT_HIGH);
PARAM(reserve_pages, RESERVE_PAGES);
PARAM(reclaim_interval_ms, RECLAIM_INTERVAL_MS);
PARAM(reclaim_touched, RECLAIM_TOUCHED);
PARAM(pin_kthreads, PIN_KTHREADS);
PARAM(min_sleep_us, MIN_SLEEP_US);
PARAM(partial_fork, PARTIAL_FORK);
PARAM(shrink_interval_ms, SHRINK_INTERVAL_MS);
static_assert(DYNSTACK_POLICY_SHRINK_INTERVAL_MS + 1 == 11,
	      "a tunable without a module parameter");

/* The values the load gave, and which fields they are (BIT_ULL(index)). */
u64 ds_params_given(struct ds_tunables *vals)
{
	*vals = given;
	return given_mask;
}
