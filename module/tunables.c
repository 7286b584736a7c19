// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko tunables: defaults, ranges and validation, shared by sysfs
 * (/sys/kernel/mm/dynstack/) and the ioctl interface so that both accept
 * exactly the same values.
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include <linux/stddef.h>
#include <linux/errno.h>

#include "dynstack_mod.h"

#define DESC(field, lo, hi, text) {					\
	.name = #field, .offset = offsetof(struct ds_tunables, field),	\
	.min = (lo), .max = (hi), .help = (text) }

const struct ds_tunable_desc ds_tunable_descs[] = {
	DESC(detach, 0, 1,
	     "take stack pages away at all, at switch-out and by the reclaim pass (0/1)"),
	DESC(magazine_size, 1, DS_MAG_MAX,
	     "pages kept per CPU for wakeups"),
	DESC(depot_low, 0, 1 << 20,
	     "refill the shared depot below this many pages"),
	DESC(depot_high, 1, 1 << 22,
	     "give depot pages back to the page allocator above this"),
	DESC(reserve_pages, 0, 1 << 20,
	     "emergency reserve; at least (pages per stack - 1) * CPUs"),
	DESC(reclaim_interval_ms, 0, 3600000,
	     "period of the reclaim pass over sleeping tasks; 0 = off, else >= 10"),
	DESC(reclaim_touched, 0, 1,
	     "the reclaim pass also takes touched pages below the stack pointer (0/1)"),
	DESC(pin_kthreads, 1, 1,
	     "kernel threads keep full stacks: always, the core enforces it (only 1)"),
	DESC(min_sleep_us, 0, 60000000,
	     "keep the pages of tasks whose last sleep was shorter than this; 0 = never keep"),
	DESC(partial_fork, 0, 0,
	     "retired: new stacks are always full, so that no new task waits (only 0)"),
};
const unsigned int ds_nr_tunables = ARRAY_SIZE(ds_tunable_descs);

/* One worst-case wakeup on every possible CPU. */
u32 ds_reserve_min(void)
{
	return (DYNSTACK_PAGES - 1) * nr_cpu_ids;
}

void ds_tunables_default(struct ds_tunables *t)
{
	*t = (struct ds_tunables) {
		.detach = 1,
		.magazine_size = 32,
		.depot_low = 32,
		.depot_high = 256,
		.reserve_pages = max_t(u32, 2 * ds_reserve_min(), 32),
		.reclaim_interval_ms = 1000,
		.reclaim_touched = 1,
		.pin_kthreads = 1,
		.min_sleep_us = 1000,
		.partial_fork = 0,
	};
}

static u32 field(const struct ds_tunables *t, const struct ds_tunable_desc *d)
{
	return *(const u32 *)((const char *)t + d->offset);
}

int ds_tunables_validate(const struct ds_tunables *t, const char **why)
{
	unsigned int i;

	for (i = 0; i < ds_nr_tunables; i++) {
		const struct ds_tunable_desc *d = &ds_tunable_descs[i];
		u32 v = field(t, d);

		if (v < d->min || v > d->max) {
			*why = d->name;
			return -EINVAL;
		}
	}
	if (t->depot_low >= t->depot_high) {
		*why = "depot_low must be below depot_high";
		return -EINVAL;
	}
	if (t->reserve_pages < ds_reserve_min()) {
		*why = "reserve_pages below one worst-case wakeup per CPU";
		return -EINVAL;
	}
	if (t->reclaim_interval_ms && t->reclaim_interval_ms < 10) {
		*why = "reclaim_interval_ms must be 0 or at least 10";
		return -EINVAL;
	}
	return 0;
}
