// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko tunables: defaults, ranges and validation, shared by sysfs
 * (/sys/kernel/mm/dynstack/), the module parameter and the ioctl interface
 * so that all accept exactly the same values; and the live set, changed all
 * or nothing under one mutex.
 */
#include <linux/kernel.h>
#include <linux/cpumask.h>
#include <linux/stddef.h>
#include <linux/errno.h>
#include <linux/mutex.h>
#include <linux/export.h>
#include <linux/dynstack.h>
#include <kunit/visibility.h>

#include "tunables.h"

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
EXPORT_SYMBOL_IF_KUNIT(ds_tunable_descs);
const unsigned int ds_nr_tunables = ARRAY_SIZE(ds_tunable_descs);
EXPORT_SYMBOL_IF_KUNIT(ds_nr_tunables);

/* One worst-case wakeup on every possible CPU. */
u32 ds_reserve_min(void)
{
	return (DYNSTACK_PAGES - 1) * nr_cpu_ids;
}
EXPORT_SYMBOL_IF_KUNIT(ds_reserve_min);

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
EXPORT_SYMBOL_IF_KUNIT(ds_tunables_default);

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
EXPORT_SYMBOL_IF_KUNIT(ds_tunables_validate);

static struct ds_tunables live;
/*
 * Serialises writers and the action they trigger (@changed). Lock order:
 * tunables_mutex -> the core's dynstack_policy_mutex (@changed hands the
 * settings to the core).
 */
static DEFINE_MUTEX(tunables_mutex);
static void (*changed)(void);

/* The writable twin of field(). */
static u32 *field_ptr(struct ds_tunables *t, const struct ds_tunable_desc *d)
{
	return (u32 *)((char *)t + d->offset);
}

/**
 * ds_tunables_init - the defaults, with the module parameter applied
 * @reserve_pages: the module parameter; 0 keeps the default
 * @on_change: called after every published change, tunables_mutex held
 * @why: on error, what is wrong
 *
 * Return: 0, or -EINVAL.
 */
int ds_tunables_init(u32 reserve_pages, void (*on_change)(void), const char **why)
{
	ds_tunables_default(&live);
	if (reserve_pages)
		live.reserve_pages = reserve_pages;
	changed = on_change;
	return ds_tunables_validate(&live, why);
}

const struct ds_tunables *ds_tunables_live(void)
{
	return &live;
}

void ds_tunables_get(struct ds_tunables *t)
{
	mutex_lock(&tunables_mutex);
	*t = live;
	mutex_unlock(&tunables_mutex);
}

/* Validate @new and publish it, tunables_mutex held. */
static int publish(const struct ds_tunables *new, const char **why)
{
	unsigned int i;
	int err;

	lockdep_assert_held(&tunables_mutex);
	err = ds_tunables_validate(new, why);
	if (err)
		return err;
	/* Field by field: the readers look at one field at a time. */
	for (i = 0; i < ds_nr_tunables; i++)
		WRITE_ONCE(*field_ptr(&live, &ds_tunable_descs[i]),
			   field(new, &ds_tunable_descs[i]));
	if (changed)
		changed();
	return 0;
}

/**
 * ds_tunables_set - validate and publish a new set of tunables
 * @new: the whole set
 * @why: on error, what is wrong with it
 *
 * All or nothing: an invalid set changes nothing.
 *
 * Return: 0, or -EINVAL.
 */
int ds_tunables_set(const struct ds_tunables *new, const char **why)
{
	int err;

	mutex_lock(&tunables_mutex);
	err = publish(new, why);
	mutex_unlock(&tunables_mutex);
	return err;
}

/* Change one field, the others as they are now, in one locked section. */
int ds_tunable_set_one(const struct ds_tunable_desc *d, u32 val,
		       const char **why)
{
	struct ds_tunables new;
	int err;

	mutex_lock(&tunables_mutex);
	new = live;
	*field_ptr(&new, d) = val;
	err = publish(&new, why);
	mutex_unlock(&tunables_mutex);
	return err;
}

u32 ds_tunable_get_one(const struct ds_tunable_desc *d)
{
	return READ_ONCE(*field_ptr(&live, d));
}
