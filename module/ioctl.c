// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/dynstack: the ioctl interface of dynstack.ko (uapi/linux/dynstack.h).
 *
 * Every struct starts with its size. Input is read with
 * copy_struct_from_user(), so an older caller's struct is zero-extended and
 * a newer caller's is accepted only if the bytes this module does not know
 * are zero and it claims at most a page (E2BIG). Output is copied for
 * min(caller's size, ours) bytes and the size field is set to that. Nothing
 * is changed unless every check passed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/nospec.h>

#include "dynstack_mod.h"
#include "../uapi/linux/dynstack.h"

/*
 * Read the caller's struct at @uarg into @k (@ksize bytes): size checked,
 * zero-extended, unknown tail must be zero. @min is the smallest size this
 * command has ever had.
 */
static int get_arg(void *k, size_t ksize, size_t min, void __user *uarg,
		   u32 *usize)
{
	int err;

	if (get_user(*usize, (u32 __user *)uarg))
		return -EFAULT;
	if (*usize < min)
		return -EINVAL;
	/*
	 * As openat2() and clone3(): anyone who can open the device (0444)
	 * would otherwise make the kernel scan up to 4 GiB of their memory
	 * for non-zero bytes.
	 */
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	err = copy_struct_from_user(k, ksize, uarg, *usize);
	if (err)
		return err;
	return 0;
}

/* Copy @k back: min(usize, ksize) bytes, with size set to that. */
static int put_arg(void *k, size_t ksize, void __user *uarg, u32 usize)
{
	u32 n = min_t(u32, usize, ksize);

	*(u32 *)k = n;
	return copy_to_user(uarg, k, n) ? -EFAULT : 0;
}

#define GET(karg, min, uarg, usize) \
	get_arg(&(karg), sizeof(karg), (min), (uarg), &(usize))
#define PUT(karg, uarg, usize) put_arg(&(karg), sizeof(karg), (uarg), (usize))

static long ioc_version(void __user *uarg)
{
	struct dynstack_version v;
	u32 usize;
	int err = GET(v, DYNSTACK_VERSION_SIZE_VER0, uarg, usize);

	if (err)
		return err;
	if (v.__reserved)
		return -EINVAL;
	/* Output only: whatever the caller put in the other fields is ignored. */
	memset(&v, 0, sizeof(v));
	v.abi_version = DYNSTACK_ABI_VERSION;
	v.features = DYNSTACK_FEAT_DETACH | DYNSTACK_FEAT_RECLAIM |
		     DYNSTACK_FEAT_PER_CPU_STATS | DYNSTACK_FEAT_TASK_INFO |
		     DYNSTACK_FEAT_WAIT | DYNSTACK_FEAT_POLICY_MASK |
		     DYNSTACK_FEAT_TUNABLE_INFO | DYNSTACK_FEAT_PIN |
		     DYNSTACK_FEAT_MEMCG | DYNSTACK_FEAT_SIZING;
	v.page_size = PAGE_SIZE;
	v.stack_pages = DYNSTACK_PAGES;
	v.nr_cpu_ids = nr_cpu_ids;
	return PUT(v, uarg, usize);
}

static long ioc_stats(void __user *uarg)
{
	struct dynstack_stats k;
	struct ds_stats *all;
	u32 usize;
	int i, err = GET(k, DYNSTACK_STATS_SIZE_VER0, uarg, usize);

	BUILD_BUG_ON(DYNSTACK_PAGES + 1 > DYNSTACK_HIST_BUCKETS);
	if (err)
		return err;
	if (k.__reserved)
		return -EINVAL;
	all = kmalloc(sizeof(*all), GFP_KERNEL);
	if (!all)
		return -ENOMEM;
	ds_stats_get(all);
	memset(&k, 0, sizeof(k));
	/* The counters from the table sysfs uses too (stats.c). */
	for (i = 0; i < DS_NR_STATS; i++) {
		const struct ds_stat_field *f = &ds_stat_fields[i];

		if (f->uoffset != DS_STAT_NO_UOFFSET)
			*(u64 *)((char *)&k + f->uoffset) = ds_stat_value(all, f);
	}
	for (i = 0; i <= DYNSTACK_PAGES; i++)
		k.residency[i] = all->residency[i];
	kfree(all);
	return PUT(k, uarg, usize);
}

static long ioc_cpu_stats(void __user *uarg)
{
	struct dynstack_cpu_stats c;
	struct ds_cpu_snapshot snap;
	const struct ds_cpu_stats *st = &snap.supply;
	u32 usize, cpu;
	int err = GET(c, DYNSTACK_CPU_STATS_SIZE_VER0, uarg, usize);

	if (err)
		return err;
	if (c.flags)
		return -EINVAL;
	if (c.cpu >= nr_cpu_ids)
		return -EINVAL;
	cpu = array_index_nospec(c.cpu, nr_cpu_ids);
	if (!cpu_possible(cpu))
		return -EINVAL;
	ds_stats_get_cpu(cpu, &snap);
	memset(&c, 0, sizeof(c));
	c.cpu = cpu;
	c.online = cpu_online(cpu);
	c.magazine_pages = snap.magazine_pages;
	c.take_magazine = st->take_magazine;
	c.take_depot = st->take_depot;
	c.take_reserve = st->take_reserve;
	c.take_short = st->take_short;
	c.give_magazine = st->give_magazine;
	c.give_depot = st->give_depot;
	c.kicks = st->kicks;
	c.refused = st->refused;
	c.napped = snap.napped;
	return PUT(c, uarg, usize);
}

/* A u32 field of the ioctl's struct dynstack_policy. */
static u32 *policy_field(struct dynstack_policy *p, const struct ds_tunable_desc *d)
{
	return (u32 *)((char *)p + d->uoffset);
}

/* The tunables a caller of @usize bytes sent: those its struct covers. */
static u64 policy_fields_sent(u32 usize)
{
	u64 mask = 0;
	unsigned int i;

	for (i = 0; i < ds_nr_tunables; i++)
		if (ds_tunable_descs[i].uoffset + sizeof(u32) <= usize)
			mask |= BIT_ULL(i);
	return mask;
}

static long ioc_get_policy(void __user *uarg)
{
	struct dynstack_policy p;
	struct ds_tunables t;
	unsigned int i;
	u32 usize;
	int err = GET(p, DYNSTACK_POLICY_SIZE_VER0, uarg, usize);

	if (err)
		return err;
	if (p.flags || p.mask || p.error_field || p.__reserved || p.__reserved2)
		return -EINVAL;
	ds_tunables_get(&t);
	/* mask and error_field stay 0: the struct can be sent back as is. */
	memset(&p, 0, sizeof(p));
	for (i = 0; i < ds_nr_tunables; i++)
		*policy_field(&p, &ds_tunable_descs[i]) =
			*(u32 *)((char *)&t + ds_tunable_descs[i].offset);
	return PUT(p, uarg, usize);
}

/*
 * SET: the fields in p.mask (DYNSTACK_POLICY_SET_MASK) or those the
 * caller's struct covers, read-modify-validate-publish under the tunables'
 * mutex (ds_tunables_update()). On EINVAL the caller gets its struct back
 * with error_field set: the refused field, or -1 when no one field is to
 * blame (flags, mask).
 */
static long ioc_set_policy(void __user *uarg)
{
	struct ds_tunables_error bad = { .field = -1 };
	struct dynstack_policy p;
	struct ds_tunables vals;
	u64 known = policy_fields_sent(U32_MAX), mask;
	unsigned int i;
	u32 usize;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = GET(p, DYNSTACK_POLICY_SIZE_VER0, uarg, usize);
	if (err)
		return err;
	if ((p.flags & ~DYNSTACK_POLICY_SET_MASK) || p.error_field || p.__reserved ||
	    p.__reserved2)
		goto refuse;
	if (p.flags & DYNSTACK_POLICY_SET_MASK) {
		if (!p.mask || (p.mask & ~known))
			goto refuse;
		mask = p.mask;
	} else {
		if (p.mask)
			goto refuse;
		mask = policy_fields_sent(usize);
	}
	for (i = 0; i < ds_nr_tunables; i++)
		*(u32 *)((char *)&vals + ds_tunable_descs[i].offset) =
			*policy_field(&p, &ds_tunable_descs[i]);
	err = ds_tunables_update(&vals, mask, &bad);
	if (err != -EINVAL)
		return err;
refuse:
	/* Only a caller whose struct has error_field gets the struct back. */
	if (usize < offsetofend(struct dynstack_policy, error_field))
		return -EINVAL;
	p.error_field = bad.field;
	if (PUT(p, uarg, usize))
		return -EFAULT;
	return -EINVAL;
}

static long ioc_tunable(void __user *uarg)
{
	const struct ds_tunable_desc *d;
	struct dynstack_tunable k;
	u32 usize, index;
	int err = GET(k, DYNSTACK_TUNABLE_SIZE_VER0, uarg, usize);

	if (err)
		return err;
	if (k.flags)
		return -EINVAL;
	if (k.index >= ds_nr_tunables)
		return -ENOENT;
	index = array_index_nospec(k.index, ds_nr_tunables);
	d = &ds_tunable_descs[index];
	memset(&k, 0, sizeof(k));
	k.index = index;
	/* The range a value may have on this machine. */
	k.min = index == DYNSTACK_POLICY_RESERVE_PAGES ?
		max(d->min, ds_reserve_min()) : d->min;
	k.max = d->max;
	k.value = ds_tunable_get_one(d);
	strscpy(k.name, d->name, sizeof(k.name));
	strscpy(k.help, d->help, sizeof(k.help));
	return PUT(k, uarg, usize);
}

static long ioc_task(void __user *uarg)
{
	struct dynstack_task k;
	unsigned int res, last, max;
	u32 usize;
	int err = GET(k, DYNSTACK_TASK_SIZE_VER0, uarg, usize);

	if (err)
		return err;
	/* attrs is output only: a caller may send back what it was given. */
	if (k.flags)
		return -EINVAL;
	if (k.pid <= 0)
		return -EINVAL;
	/* The ptrace read rules, as /proc/PID/wchan (uapi/linux/dynstack.h). */
	err = dynstack_task_info(k.pid, &res, &last, &max);
	if (err)
		return err;
	k.resident_pages = res;
	k.last_used_pages = last;
	k.max_used_pages = max;
	k.stack_pages = DYNSTACK_PAGES;
	/*
	 * Looked up by id again: if the thread exited and its id was reused
	 * meanwhile, this describes the new one. A snapshot, like the rest.
	 */
	k.attrs = ds_tid_pinned(k.pid) ? DYNSTACK_TASK_PINNED : 0;
	return PUT(k, uarg, usize);
}

static long ioc_pin(void __user *uarg)
{
	struct dynstack_pin k;
	u32 usize;
	bool all;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = GET(k, DYNSTACK_PIN_SIZE_VER0, uarg, usize);
	if (err)
		return err;
	all = k.flags & DYNSTACK_PIN_ALL;
	if ((k.flags & ~(DYNSTACK_PIN_UNPIN | DYNSTACK_PIN_ALL)) ||
	    k.__reserved || (all && !(k.flags & DYNSTACK_PIN_UNPIN)) ||
	    (all ? k.tid != 0 : k.tid <= 0))
		return -EINVAL;
	if (all)
		return ds_unpin_all();
	if (k.flags & DYNSTACK_PIN_UNPIN)
		return ds_unpin(k.tid);
	return ds_pin(k.tid);
}

static long ioc_pins(void __user *uarg)
{
	struct dynstack_pins k;
	unsigned int n;
	pid_t *tids;
	u32 usize;
	int err = GET(k, DYNSTACK_PINS_SIZE_VER0, uarg, usize);

	if (err)
		return err;
	tids = kmalloc_array(DS_MAX_PINS, sizeof(*tids), GFP_KERNEL);
	if (!tids)
		return -ENOMEM;
	n = ds_pins_list(tids, DS_MAX_PINS);
	/* Never more than DS_MAX_PINS; the caller's room may be smaller. */
	if (copy_to_user(u64_to_user_ptr(k.tids), tids,
			 min3(n, k.count, (u32)DS_MAX_PINS) * sizeof(*tids)))
		err = -EFAULT;
	kfree(tids);
	if (err)
		return err;
	k.count = n;
	return PUT(k, uarg, usize);
}

static long ioc_reclaim(void __user *uarg)
{
	struct dynstack_reclaim k;
	struct dynstack_reclaim_ctl ctl = {};
	u32 usize;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = GET(k, DYNSTACK_RECLAIM_SIZE_VER0, uarg, usize);
	if (err)
		return err;
	if (k.flags & ~DYNSTACK_RECLAIM_TOUCHED)
		return -EINVAL;
	ctl.touched = k.flags & DYNSTACK_RECLAIM_TOUCHED;
	err = ds_reclaim_now(&ctl);
	if (err)
		return err;
	k.scanned = ctl.scanned;
	k.detached = ctl.detached;
	k.harvested = ctl.harvested;
	k.released = ctl.released;
	k.flushes = ctl.flushes;
	return PUT(k, uarg, usize);
}

/*
 * Match on the type and number only: the size bits are the VER0 size in
 * our header, but a newer caller's may differ, and the struct's own @size
 * is what get_arg() checks (as fs/nsfs.c does for its extensible ioctls).
 */
static long ds_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != DYNSTACK_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(DYNSTACK_IOC_VERSION):
		return ioc_version(uarg);
	case _IOC_NR(DYNSTACK_IOC_STATS):
		return ioc_stats(uarg);
	case _IOC_NR(DYNSTACK_IOC_CPU_STATS):
		return ioc_cpu_stats(uarg);
	case _IOC_NR(DYNSTACK_IOC_GET_POLICY):
		return ioc_get_policy(uarg);
	case _IOC_NR(DYNSTACK_IOC_SET_POLICY):
		return ioc_set_policy(uarg);
	case _IOC_NR(DYNSTACK_IOC_TASK):
		return ioc_task(uarg);
	case _IOC_NR(DYNSTACK_IOC_RECLAIM):
		return ioc_reclaim(uarg);
	case _IOC_NR(DYNSTACK_IOC_TUNABLE):
		return ioc_tunable(uarg);
	case _IOC_NR(DYNSTACK_IOC_PIN):
		return ioc_pin(uarg);
	case _IOC_NR(DYNSTACK_IOC_PINS):
		return ioc_pins(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ds_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = ds_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice ds_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "dynstack",
	.fops = &ds_fops,
	/* Reads are for everyone; writes check CAP_SYS_ADMIN per command. */
	.mode = 0444,
};

int ds_ioctl_init(void)
{
	return misc_register(&ds_misc);
}

void ds_ioctl_exit(void)
{
	misc_deregister(&ds_misc);
}
