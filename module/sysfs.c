// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko sysfs front end: /sys/kernel/mm/dynstack/, one file per
 * tunable (from the table in tunables.c), the statistics, the residency
 * histogram, the pinned threads and the fault-injection drain. Writes need
 * CAP_SYS_ADMIN and change nothing unless valid.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/capability.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "dynstack_mod.h"
#include "../uapi/linux/dynstack.h"

struct ds_tunable_attr {
	struct kobj_attribute attr;
	const struct ds_tunable_desc *desc;
};

static struct ds_tunable_attr *tunable_attrs;

static ssize_t tunable_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct ds_tunable_attr *ta = container_of(attr, struct ds_tunable_attr, attr);

	return sysfs_emit(buf, "%u\n", ds_tunable_get_one(ta->desc));
}

static ssize_t tunable_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct ds_tunable_attr *ta = container_of(attr, struct ds_tunable_attr, attr);
	struct ds_tunables_error why;
	u32 val;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	/* Decimal, as shown and as dynstackctl reads it: "010" is 10. */
	if (kstrtou32(buf, 10, &val))
		return -EINVAL;
	err = ds_tunable_set_one(ta->desc, val, &why);
	return err ? err : count;
}

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", DYNSTACK_ABI_VERSION);
}
static struct kobj_attribute abi_version_attr = __ATTR_RO(abi_version);

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	const struct dynstack_core_stats *core;
	const struct ds_reclaim_stats *rs;
	const struct ds_cpu_stats *st;
	struct ds_stats *s;
	int len;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	ds_stats_get(s);
	core = &s->core;
	rs = &s->reclaim;
	st = &s->supply;
	len = sysfs_emit(buf,
			 "stacks %lu\npartial_stacks %lu\nresident_pages %lu\n"
			 "populated %lu\nreinstalled %lu\ndetached %lu\n"
			 "harvested %lu\nreleased %lu\nnopage %lu\nreaders %lu\n"
			 "parked %lu\nwait_us %lu\nwait_max_us %lu\n"
			 "exit_reserve_pages %lu\nexit_reserve_served %lu\n"
			 "alloc_failed %lu\n",
			 core->stacks, core->partial, core->resident_pages,
			 core->populated, core->reinstalled, core->detached,
			 core->harvested, core->released, core->nopage,
			 core->readers, core->parked, core->wait_us,
			 core->wait_max_us, core->reserve_pages,
			 core->reserve_served, core->alloc_failed);
	len += sysfs_emit_at(buf, len,
			     "magazine_pages %lu\ndepot_pages %lu\nreserve_pages %lu\n"
			     "take_magazine %llu\ntake_depot %llu\ntake_reserve %llu\n"
			     "take_short %llu\ngive_magazine %llu\ngive_depot %llu\n"
			     "kicks %llu\nrefused %llu\nnapped %llu\n",
			     s->levels.magazines, s->levels.depot, s->levels.reserve,
			     st->take_magazine, st->take_depot, st->take_reserve,
			     st->take_short, st->give_magazine, st->give_depot,
			     st->kicks, st->refused, s->napped);
	len += sysfs_emit_at(buf, len,
			     "refilled %llu\nrefill_failed %llu\ntrimmed %llu\n"
			     "reclaim_passes %llu\nreclaim_scanned %llu\n"
			     "reclaim_detached %llu\nreclaim_harvested %llu\n"
			     "reclaim_released %llu\nreclaim_flushes %llu\n"
			     "reclaim_readers %llu\n",
			     s->levels.refilled, s->levels.refill_failed, s->levels.trimmed,
			     rs->passes, rs->scanned, rs->detached, rs->harvested,
			     rs->released, rs->flushes, rs->readers);
	kfree(s);
	return len;
}
static struct kobj_attribute stats_attr = __ATTR_RO(stats);

static ssize_t stats_per_cpu_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	int cpu, len;

	len = sysfs_emit(buf, "cpu magazine take_magazine take_depot take_reserve take_short give_magazine give_depot kicks refused napped\n");
	for_each_possible_cpu(cpu) {
		struct ds_cpu_snapshot c;
		const struct ds_cpu_stats *st = &c.supply;

		ds_stats_get_cpu(cpu, &c);
		len += sysfs_emit_at(buf, len, "%d %u %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
				     cpu, c.magazine_pages,
				     st->take_magazine, st->take_depot, st->take_reserve,
				     st->take_short, st->give_magazine, st->give_depot,
				     st->kicks, st->refused, c.napped);
	}
	return len;
}
static struct kobj_attribute stats_per_cpu_attr = __ATTR_RO(stats_per_cpu);

static ssize_t residency_histogram_show(struct kobject *kobj,
					struct kobj_attribute *attr, char *buf)
{
	unsigned long hist[DYNSTACK_PAGES + 1];
	int i, len = 0;

	dynstack_residency_histogram(hist);
	for (i = 0; i <= DYNSTACK_PAGES; i++)
		len += sysfs_emit_at(buf, len, "%d %lu\n", i, hist[i]);
	return len;
}
static struct kobj_attribute residency_histogram_attr =
	__ATTR_RO(residency_histogram);

static ssize_t pinned_tids_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	unsigned int i, n;
	pid_t *tids;
	int len = 0;

	tids = kmalloc_array(DS_MAX_PINS, sizeof(*tids), GFP_KERNEL);
	if (!tids)
		return -ENOMEM;
	n = ds_pins_copy(tids, DS_MAX_PINS);
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%d", i ? " " : "", tids[i]);
	kfree(tids);
	return len + sysfs_emit_at(buf, len, "\n");
}

/*
 * "+TID" pins a thread (it keeps a full stack: it gets its pages back at
 * its next switch-in and never loses them again), "-TID" unpins it,
 * "clear" unpins all. EINVAL for anything else, ESRCH for a thread that
 * does not exist, ENOSPC past DS_MAX_PINS.
 */
static ssize_t pinned_tids_store(struct kobject *kobj,
				 struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	int tid, err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (sysfs_streq(buf, "clear"))
		err = ds_unpin_all();
	else if ((buf[0] != '+' && buf[0] != '-') ||
		 kstrtoint(buf + 1, 10, &tid) || tid <= 0)
		err = -EINVAL;
	else if (buf[0] == '+')
		err = ds_pin(tid);
	else
		err = ds_unpin(tid);
	return err ? err : count;
}
static struct kobj_attribute pinned_tids_attr = __ATTR_RW(pinned_tids);

/* Fault-injection knob: empty every magazine and the depot (not the reserve). */
static ssize_t debug_drain_store(struct kobject *kobj,
				 struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	bool yes;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtobool(buf, &yes) || !yes)
		return -EINVAL;
	ds_refill_drain();
	return count;
}
static struct kobj_attribute debug_drain_attr = __ATTR_WO(debug_drain);

static struct attribute *fixed_attrs[] = {
	&abi_version_attr.attr,
	&pinned_tids_attr.attr,
	&stats_attr.attr,
	&stats_per_cpu_attr.attr,
	&residency_histogram_attr.attr,
	&debug_drain_attr.attr,
	NULL,
};

static struct attribute **all_attrs;
static struct attribute_group ds_group;

int ds_sysfs_init(void)
{
	unsigned int i, n = 0;

	tunable_attrs = kcalloc(ds_nr_tunables, sizeof(*tunable_attrs), GFP_KERNEL);
	all_attrs = kcalloc(ds_nr_tunables + ARRAY_SIZE(fixed_attrs),
			    sizeof(*all_attrs), GFP_KERNEL);
	if (!tunable_attrs || !all_attrs)
		goto nomem;
	for (i = 0; i < ds_nr_tunables; i++) {
		struct ds_tunable_attr *ta = &tunable_attrs[i];

		sysfs_attr_init(&ta->attr.attr);
		ta->attr.attr.name = ds_tunable_descs[i].name;
		ta->attr.attr.mode = 0644;
		ta->attr.show = tunable_show;
		ta->attr.store = tunable_store;
		ta->desc = &ds_tunable_descs[i];
		all_attrs[n++] = &ta->attr.attr;
	}
	for (i = 0; fixed_attrs[i]; i++)
		all_attrs[n++] = fixed_attrs[i];
	ds_group.attrs = all_attrs;
	if (!sysfs_create_group(dynstack_kobj, &ds_group))
		return 0;
nomem:
	kfree(all_attrs);
	kfree(tunable_attrs);
	return -ENOMEM;
}

void ds_sysfs_exit(void)
{
	sysfs_remove_group(dynstack_kobj, &ds_group);
	kfree(all_attrs);
	kfree(tunable_attrs);
}
