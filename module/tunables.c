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
#include <linux/build_bug.h>
#include <kunit/visibility.h>

#include "tunables.h"
#include "../uapi/linux/dynstack.h"

/*
 * The one list of tunables. Its order is the ABI's DYNSTACK_POLICY_* (the
 * index of a field in the ioctl's mask and error_field), and each entry
 * knows where its field is in struct ds_tunables and in the ioctl's
 * struct dynstack_policy, so no other file lists the fields again.
 */
#define DESC(idx, field, lo, hi, text)					\
	[DYNSTACK_POLICY_##idx] = {					\
	.name = #field, .offset = offsetof(struct ds_tunables, field),	\
	.uoffset = offsetof(struct dynstack_policy, field),		\
	.min = (lo), .max = (hi), .help = (text) }

const struct ds_tunable_desc ds_tunable_descs[] = {
	DESC(DETACH, detach, 0, 1,
	     "take stack pages away at all, at switch-out and by the reclaim pass (0/1)"),
	DESC(MAGAZINE_SIZE, magazine_size, 1, DS_MAG_MAX,
	     "pages kept per CPU for wakeups"),
	DESC(DEPOT_LOW, depot_low, 0, 1 << 20,
	     "floor of the depot's target, kept even when idle; below depot_high"),
	DESC(DEPOT_HIGH, depot_high, 1, 1 << 22,
	     "ceiling of the depot's target, which demand raises; above depot_low"),
	DESC(RESERVE_PAGES, reserve_pages, 0, 1 << 20,
	     "emergency reserve; at least (pages per stack - 1) * CPUs"),
	DESC(RECLAIM_INTERVAL_MS, reclaim_interval_ms, 0, 3600000,
	     "period of the reclaim pass over sleeping tasks; 0 = off, else >= 10"),
	DESC(RECLAIM_TOUCHED, reclaim_touched, 0, 1,
	     "the reclaim pass also takes touched pages below the stack pointer (0/1)"),
	DESC(PIN_KTHREADS, pin_kthreads, 1, 1,
	     "kernel threads keep full stacks: always, the core enforces it (only 1)"),
	DESC(MIN_SLEEP_US, min_sleep_us, 0, 60000000,
	     "keep the pages of tasks whose last sleep was shorter than this; 0 = never keep"),
	DESC(PARTIAL_FORK, partial_fork, 0, 0,
	     "retired: new stacks are always full, so that no new task waits (only 0)"),
	DESC(SHRINK_INTERVAL_MS, shrink_interval_ms, 0, 3600000,
	     "the supply's sizing tick: it shrinks toward demand; 0 = never, else >= 10"),
};
EXPORT_SYMBOL_IF_KUNIT(ds_tunable_descs);
static_assert(ARRAY_SIZE(ds_tunable_descs) == DYNSTACK_POLICY_SHRINK_INTERVAL_MS + 1);
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
		/*
		 * A lean supply (issue 15): an idle depot shrinks to nothing,
		 * the reserve is one worst-case wakeup per CPU. A wakeup the
		 * supply cannot serve waits for kdynstackd; it breaks nothing.
		 */
		.depot_low = 0,
		.depot_high = 256,
		.reserve_pages = ds_reserve_min(),
		.reclaim_interval_ms = 1000,
		.reclaim_touched = 1,
		.pin_kthreads = 1,
		/*
		 * 20 ms: periodic threads of 50 Hz and more (vsync at 60 Hz,
		 * audio) keep their pages; measured in docs/benchmarks.md,
		 * "Choosing min_sleep_us".
		 */
		.min_sleep_us = 20000,
		.partial_fork = 0,
		.shrink_interval_ms = 1000,
	};
}
EXPORT_SYMBOL_IF_KUNIT(ds_tunables_default);

static u32 field(const struct ds_tunables *t, const struct ds_tunable_desc *d)
{
	return *(const u32 *)((const char *)t + d->offset);
}

/*
 * ds_tunables_validate - is @t a valid set of tunables?
 * @t: the set
 * @changed: the fields (BIT(index)) the caller changes, to blame one of
 *	     them when a rule between two fields is broken
 * @err: on error, the field to blame and why
 *
 * Return: 0, or -EINVAL with @err filled in.
 */
int ds_tunables_validate(const struct ds_tunables *t, u64 changed,
			 struct ds_tunables_error *err)
{
	unsigned int i;

	for (i = 0; i < ds_nr_tunables; i++) {
		const struct ds_tunable_desc *d = &ds_tunable_descs[i];
		u32 v = field(t, d);

		if (v < d->min || v > d->max) {
			err->field = i;
			err->why = "out of range";
			return -EINVAL;
		}
	}
	if (t->depot_low >= t->depot_high) {
		err->field = (changed & BIT_ULL(DYNSTACK_POLICY_DEPOT_HIGH)) &&
			     !(changed & BIT_ULL(DYNSTACK_POLICY_DEPOT_LOW)) ?
			     DYNSTACK_POLICY_DEPOT_HIGH : DYNSTACK_POLICY_DEPOT_LOW;
		err->why = "depot_low must be below depot_high";
		return -EINVAL;
	}
	if (t->reserve_pages < ds_reserve_min()) {
		err->field = DYNSTACK_POLICY_RESERVE_PAGES;
		err->why = "reserve_pages below one worst-case wakeup per CPU";
		return -EINVAL;
	}
	if (t->reclaim_interval_ms && t->reclaim_interval_ms < 10) {
		err->field = DYNSTACK_POLICY_RECLAIM_INTERVAL_MS;
		err->why = "reclaim_interval_ms must be 0 or at least 10";
		return -EINVAL;
	}
	if (t->shrink_interval_ms && t->shrink_interval_ms < 10) {
		err->field = DYNSTACK_POLICY_SHRINK_INTERVAL_MS;
		err->why = "shrink_interval_ms must be 0 or at least 10";
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
 * ds_tunables_init - the defaults, with the module parameters applied
 * @given: the values of the module parameters given at load
 * @mask: which fields of @given were given (BIT_ULL(index))
 * @on_change: called after every published change, tunables_mutex held
 * @err: on error, the field to blame and why
 *
 * Return: 0, or -EINVAL.
 */
int ds_tunables_init(const struct ds_tunables *given, u64 mask,
		     void (*on_change)(void), struct ds_tunables_error *err)
{
	unsigned int i;

	ds_tunables_default(&live);
	for (i = 0; i < ds_nr_tunables; i++)
		if (mask & BIT_ULL(i))
			*field_ptr(&live, &ds_tunable_descs[i]) =
				field(given, &ds_tunable_descs[i]);
	changed = on_change;
	return ds_tunables_validate(&live, mask, err);
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

/**
 * ds_tunables_update - change some tunables, the others as they are now
 * @vals: the new values of the fields in @mask (the other fields unused)
 * @mask: BIT_ULL(index) of each field to change (DYNSTACK_POLICY_*)
 * @err: on error, the field to blame and why
 *
 * Read, change, validate and publish under one mutex, so that two writers
 * changing different fields cannot undo each other. All or nothing: an
 * invalid result changes nothing.
 *
 * Return: 0, or -EINVAL.
 */
int ds_tunables_update(const struct ds_tunables *vals, u64 mask,
		       struct ds_tunables_error *err)
{
	struct ds_tunables new;
	unsigned int i;
	int ret;

	mutex_lock(&tunables_mutex);
	new = live;
	for (i = 0; i < ds_nr_tunables; i++)
		if (mask & BIT_ULL(i))
			*field_ptr(&new, &ds_tunable_descs[i]) =
				field(vals, &ds_tunable_descs[i]);
	ret = ds_tunables_validate(&new, mask, err);
	if (!ret) {
		/* Field by field: the readers look at one field at a time. */
		for (i = 0; i < ds_nr_tunables; i++)
			WRITE_ONCE(*field_ptr(&live, &ds_tunable_descs[i]),
				   field(&new, &ds_tunable_descs[i]));
		if (changed)
			changed();
	}
	mutex_unlock(&tunables_mutex);
	return ret;
}

/* Change one field, the others as they are now, in one locked section. */
int ds_tunable_set_one(const struct ds_tunable_desc *d, u32 val,
		       struct ds_tunables_error *err)
{
	struct ds_tunables vals = {};

	*field_ptr(&vals, d) = val;
	return ds_tunables_update(&vals, BIT_ULL(d - ds_tunable_descs), err);
}

u32 ds_tunable_get_one(const struct ds_tunable_desc *d)
{
	return READ_ONCE(*field_ptr(&live, d));
}
