/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynstack.ko tunables: the table of every knob with its range, the
 * validation shared by sysfs, the module parameter and the ioctl, and the
 * live set (tunables.c).
 */
#ifndef _DYNSTACK_TUNABLES_H
#define _DYNSTACK_TUNABLES_H

#include <linux/types.h>

/* Upper bound of magazine_size: the per-CPU arrays are this big. */
#define DS_MAG_MAX	256

/*
 * The tunables. One value per sysfs file; every write validates the whole
 * set with the new value and publishes it only if it is valid. The hooks
 * read single fields with READ_ONCE(); no hook depends on two fields being
 * consistent with each other.
 */
struct ds_tunables {
	u32 detach;		/* take untouched pages at switch-out: 0/1 */
	u32 magazine_size;	/* pages per CPU magazine: 1..DS_MAG_MAX */
	u32 depot_low;		/* the depot target's floor (pages) */
	u32 depot_high;		/* its ceiling; the trim line may be twice it */
	u32 reserve_pages;	/* emergency reserve, at least reserve_min() */
	u32 reclaim_interval_ms;/* reclaim pass period; 0 = off */
	u32 reclaim_touched;	/* reclaim touched dead pages too: 0/1 */
	u32 pin_kthreads;	/* retired: always 1, the core keeps kthreads full */
	/* Keep the pages of tasks whose last sleep was shorter; 0 = never. */
	u32 min_sleep_us;
	u32 partial_fork;	/* retired: always 0, new stacks are full */
	/* Idle supply halves once per this period (ms); 0 = never shrink. */
	u32 shrink_interval_ms;
};

struct ds_tunable_desc {
	const char *name;
	size_t offset;		/* in struct ds_tunables */
	size_t uoffset;		/* in the ioctl's struct dynstack_policy */
	u32 min, max;
	const char *help;
};

/* What is wrong with a set of tunables. */
struct ds_tunables_error {
	int field;		/* index in ds_tunable_descs, DYNSTACK_POLICY_* */
	const char *why;
};

extern const struct ds_tunable_desc ds_tunable_descs[];
extern const unsigned int ds_nr_tunables;

void ds_tunables_default(struct ds_tunables *t);
/* 0 if valid; else -EINVAL with the field and the reason in @err. */
int ds_tunables_validate(const struct ds_tunables *t, u64 changed,
			 struct ds_tunables_error *err);
u32 ds_reserve_min(void);

/*
 * The live set. Readers in the hooks and workers use READ_ONCE() on single
 * fields of ds_tunables_live(), and may see a change half published (a new
 * depot_low with the old depot_high): no reader relies on two fields
 * agreeing. A consistent copy is ds_tunables_get(), under the mutex.
 * Writers go through ds_tunables_update() or
 * ds_tunable_set_one(), which change the fields asked for, validate the
 * whole set and publish it all or nothing under one mutex, then call the
 * @changed callback given to ds_tunables_init() with that mutex held.
 */
int ds_tunables_init(const struct ds_tunables *given, u64 mask,
		     void (*changed)(void), struct ds_tunables_error *err);
const struct ds_tunables *ds_tunables_live(void);
void ds_tunables_get(struct ds_tunables *t);
int ds_tunables_update(const struct ds_tunables *vals, u64 mask,
		       struct ds_tunables_error *err);
int ds_tunable_set_one(const struct ds_tunable_desc *d, u32 val,
		       struct ds_tunables_error *err);
u32 ds_tunable_get_one(const struct ds_tunable_desc *d);

#endif /* _DYNSTACK_TUNABLES_H */
