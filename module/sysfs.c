// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko sysfs front end: /sys/kernel/mm/dynstack/, one file per
 * tunable (from the table in tunables.c), stats/ with one file per
 * counter, and the pinned threads. Writes need CAP_SYS_ADMIN and change
 * nothing unless valid. The bulk (per CPU) and fault injection are in
 * debugfs (debugfs.c).
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

/*
 * stats/: one counter per file, as sysfs wants (the mTHP stats/ directories
 * do the same), from the table in stats.c. Each read takes its own snapshot.
 */
struct ds_stat_attr {
	struct kobj_attribute attr;
	const struct ds_stat_field *field;
};

static ssize_t stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct ds_stat_attr *sa = container_of(attr, struct ds_stat_attr, attr);
	struct ds_stats *s;
	u64 v;

	s = kmalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	ds_stats_get(s);
	v = ds_stat_value(s, sa->field);
	kfree(s);
	return sysfs_emit(buf, "%llu\n", v);
}

static struct ds_stat_attr stat_attrs[DS_NR_STATS];
static struct attribute *stat_attr_ptrs[DS_NR_STATS + 1];
static const struct attribute_group stats_group = {
	.name = "stats",
	.attrs = stat_attr_ptrs,
};

static int stats_dir_init(void)
{
	unsigned int i;

	for (i = 0; i < DS_NR_STATS; i++) {
		struct ds_stat_attr *sa = &stat_attrs[i];

		sysfs_attr_init(&sa->attr.attr);
		sa->attr.attr.name = ds_stat_fields[i].name;
		sa->attr.attr.mode = 0444;
		sa->attr.show = stat_show;
		sa->field = &ds_stat_fields[i];
		stat_attr_ptrs[i] = &sa->attr.attr;
	}
	return sysfs_create_group(dynstack_kobj, &stats_group);
}

static ssize_t pinned_tids_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	unsigned int i, n;
	pid_t *tids;
	int len = 0;

	tids = kmalloc_array(DS_MAX_PINS, sizeof(*tids), GFP_KERNEL);
	if (!tids)
		return -ENOMEM;
	n = min_t(unsigned int, ds_pins_list(tids, DS_MAX_PINS), DS_MAX_PINS);
	for (i = 0; i < n; i++)
		len += sysfs_emit_at(buf, len, "%s%d", i ? " " : "", tids[i]);
	kfree(tids);
	return len + sysfs_emit_at(buf, len, "\n");
}

/*
 * Thread ids are the reader's and the writer's, in their pid namespace;
 * the pin is on the thread, not on the number (pins.c).
 *
 * "+TID" pins a thread (it keeps a full stack: it gets its pages back at
 * its next switch-in and never loses them again), "-TID" unpins it,
 * "clear" unpins all. EINVAL for anything else, ESRCH for a thread that
 * does not exist, ENOENT to unpin a thread that is not pinned, ENOSPC past
 * DS_MAX_PINS.
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

static struct attribute *fixed_attrs[] = {
	&abi_version_attr.attr,
	&pinned_tids_attr.attr,
	NULL,
};

static struct attribute **all_attrs;
static struct attribute_group ds_group;

int ds_sysfs_init(void)
{
	unsigned int i, n = 0;
	int err;

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
	err = sysfs_create_group(dynstack_kobj, &ds_group);
	if (err)
		goto free;
	err = stats_dir_init();
	if (!err)
		return 0;
	sysfs_remove_group(dynstack_kobj, &ds_group);
	goto free;
nomem:
	err = -ENOMEM;
free:
	kfree(all_attrs);
	kfree(tunable_attrs);
	return err;
}

void ds_sysfs_exit(void)
{
	sysfs_remove_group(dynstack_kobj, &stats_group);
	sysfs_remove_group(dynstack_kobj, &ds_group);
	kfree(all_attrs);
	kfree(tunable_attrs);
}
