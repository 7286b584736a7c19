// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the loadable policy of dynamic kernel stacks.
 *
 * The core (kernel/dynstack.c) maps stack pages when a task is woken and
 * unmaps them when it blocks; this module decides where the pages come from
 * (supply.c) and when pages are taken away:
 *
 *  - switch-out: untouched pages of a task that blocked and is not pinned
 *    go back to the supply, but only while admission control allows (the
 *    reserve is full), see ds_supply_admit();
 *  - reclaim: a periodic pass over sleeping tasks (dynstack_reclaim()) also
 *    takes the touched pages below their stack pointer.
 *
 * A wakeup the supply cannot serve is not this module's problem: the core
 * parks the task and its own kdynstackd fills the stack, so a supply that
 * runs dry slows tasks down and strands none.
 *
 * The refill worker is a dedicated kthread; the core keeps the stacks of
 * kernel threads full, so the thread that makes pages never waits for one.
 * The hooks ask it for work through irq_work, because waking a thread
 * takes a runqueue lock or a pi_lock and the hooks hold one.
 *
 * Unloading unregisters from the core first, which repopulates every stack
 * and stops all calls into this module, and only then frees the supply.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/mm.h>
#include <linux/irq_work.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include <linux/cpuhotplug.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/overflow.h>
#include <linux/vmstat.h>

#include "dynstack_mod.h"
#include "../uapi/linux/dynstack.h"

static struct ds_tunables tunables;
/* Serialises tunable writes and the actions they trigger. */
static DEFINE_MUTEX(tunables_mutex);
struct ds_supply ds_main_supply;

static struct kthread_worker *refill_worker;
static struct kthread_work refill_work;
static struct irq_work refill_kick;
static struct delayed_work reclaim_work;
static int hp_state;

/* Reclaim pass results, under reclaim_mutex. */
static struct ds_reclaim_stats rstats;
static DEFINE_MUTEX(reclaim_mutex);

static unsigned int reserve_pages;
module_param(reserve_pages, uint, 0444);
MODULE_PARM_DESC(reserve_pages,
		 "emergency reserve filled before registering (default: 2 * (pages per stack - 1) * CPUs)");

/*
 * Threads the administrator pinned (sysfs pinned_tids): they keep full
 * stacks. Read in the hooks under RCU-sched (IRQs are off there); written
 * under pins_mutex, copy and publish.
 */
#define DS_MAX_PINS 256
struct ds_pins {
	struct rcu_head rcu;
	unsigned int nr;
	pid_t tids[];
};
static struct ds_pins __rcu *pins;
static DEFINE_MUTEX(pins_mutex);

static bool pinned_tid(struct task_struct *p)
{
	const struct ds_pins *set;
	pid_t tid = p->pid;
	bool found = false;
	unsigned int i;

	rcu_read_lock_sched();
	set = rcu_dereference_sched(pins);
	for (i = 0; set && i < set->nr && !found; i++)
		found = set->tids[i] == tid;
	rcu_read_unlock_sched();
	return found;
}

/* Kernel threads, the refill worker among them, are kept full by the core. */
static bool pinned(struct task_struct *p)
{
	return pinned_tid(p);
}

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
 * napped (min_sleep_us, handed to it as dynstack_set_nap_ns()) and of
 * tasks with nothing to give, so this runs only when pages would go.
 */
static bool ds_may_detach(struct task_struct *prev)
{
	if (pinned(prev))
		return false;
	if (!ds_supply_admit(&ds_main_supply)) {
		this_cpu_inc(ds_main_supply.stats->refused);
		return false;
	}
	return true;
}

static const struct dynstack_ops ds_ops = {
	.name = "dynstack.ko",
	.owner = THIS_MODULE,
	.take_pages = ds_take,
	.give_pages = ds_give,
	.may_detach = ds_may_detach,
};

/* From the hooks, IRQs off, under rq->lock or pi_lock: no wakeup here. */
static void ds_kick(struct ds_supply *s)
{
	irq_work_queue(&refill_kick);
}

static void refill_kick_fn(struct irq_work *work)
{
	kthread_queue_work(refill_worker, &refill_work);
}

static void refill_fn(struct kthread_work *work)
{
	ds_supply_refill(&ds_main_supply, GFP_KERNEL);
}

static bool reclaim_filter(struct task_struct *p, void *data)
{
	return !pinned(p);
}

/* One reclaim pass with @ctl, accounted in the statistics. */
int ds_reclaim_now(struct dynstack_reclaim_ctl *ctl)
{
	int err;

	ctl->filter = reclaim_filter;
	mutex_lock(&reclaim_mutex);
	err = dynstack_reclaim(ctl);
	if (!err) {
		rstats.passes++;
		rstats.scanned += ctl->scanned;
		rstats.detached += ctl->detached;
		rstats.harvested += ctl->harvested;
		rstats.released += ctl->released;
		rstats.flushes += ctl->flushes;
		rstats.readers += ctl->readers;
	}
	mutex_unlock(&reclaim_mutex);
	return err;
}

void ds_get_reclaim_stats(struct ds_reclaim_stats *r)
{
	mutex_lock(&reclaim_mutex);
	*r = rstats;
	mutex_unlock(&reclaim_mutex);
}

void ds_get_tunables(struct ds_tunables *t)
{
	mutex_lock(&tunables_mutex);
	*t = tunables;
	mutex_unlock(&tunables_mutex);
}

static void reclaim_fn(struct work_struct *work)
{
	struct dynstack_reclaim_ctl ctl = {
		.touched = READ_ONCE(tunables.reclaim_touched),
	};
	unsigned int ms;

	/*
	 * Below the reserve nothing is taken, and nothing flows back from
	 * switch-outs either: make sure the worker keeps trying to refill,
	 * or admission would stay closed for good once allocations recover.
	 */
	if (!ds_supply_admit(&ds_main_supply)) {
		kthread_queue_work(refill_worker, &refill_work);
	} else {
		/* Passes are cheap when there is nothing left; cap them anyway. */
		for (int i = 0; i < 64; i++) {
			struct dynstack_reclaim_ctl pass = ctl;

			if (ds_reclaim_now(&pass) || !pass.more)
				break;
			cond_resched();
		}
	}
	ms = READ_ONCE(tunables.reclaim_interval_ms);
	if (ms)
		queue_delayed_work(system_unbound_wq, &reclaim_work,
				   msecs_to_jiffies(ms));
}

static int ds_cpu_dead(unsigned int cpu)
{
	ds_supply_cpu_dead(&ds_main_supply, cpu);
	return 0;
}

/* ---- sysfs: /sys/kernel/mm/dynstack/ ------------------------------------ */

struct ds_tunable_attr {
	struct kobj_attribute attr;
	const struct ds_tunable_desc *desc;
};

static struct ds_tunable_attr *tunable_attrs;

static u32 *tunable_ptr(struct ds_tunables *t, const struct ds_tunable_desc *d)
{
	return (u32 *)((char *)t + d->offset);
}

static ssize_t tunable_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct ds_tunable_attr *ta = container_of(attr, struct ds_tunable_attr, attr);

	return sysfs_emit(buf, "%u\n", READ_ONCE(*tunable_ptr(&tunables, ta->desc)));
}

/*
 * The napping check runs in the core (dynstack_nap event); count only what
 * happened since this module was loaded, as every other statistic here.
 */
static DEFINE_PER_CPU(unsigned long, nap_base);

static unsigned long nap_events(int cpu)
{
	/* Another CPU's counter: a stale read is fine for a statistic. */
	return READ_ONCE(per_cpu(vm_event_states, cpu).event[DYNSTACK_NAP]);
}

/* Switch-outs that kept a napping task's pages: on @cpu, or all if -1. */
u64 ds_napped(int cpu)
{
	u64 sum = 0;
	int c;

	for_each_possible_cpu(c)
		if (cpu < 0 || c == cpu)
			sum += nap_events(c) - per_cpu(nap_base, c);
	return sum;
}

/* The settings the core applies itself, in the switch-out hook. */
static int push_core_settings(void)
{
	return dynstack_configure(&ds_ops, READ_ONCE(tunables.detach),
				  (u64)READ_ONCE(tunables.min_sleep_us) * NSEC_PER_USEC);
}

/* Called with tunables_mutex held, after a change was published. */
static void tunables_changed(void)
{
	unsigned int ms = READ_ONCE(tunables.reclaim_interval_ms);

	/*
	 * Lock order: tunables_mutex -> the core's dynstack_policy_mutex.
	 * Cannot fail: sysfs and the ioctl exist only while we are the
	 * registered policy.
	 */
	WARN_ON_ONCE(push_core_settings());

	kthread_queue_work(refill_worker, &refill_work);
	if (ms)
		mod_delayed_work(system_unbound_wq, &reclaim_work,
				 msecs_to_jiffies(ms));
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
	unsigned int i;
	int err;

	mutex_lock(&tunables_mutex);
	err = ds_tunables_validate(new, why);
	if (!err) {
		for (i = 0; i < ds_nr_tunables; i++)
			WRITE_ONCE(*tunable_ptr(&tunables, &ds_tunable_descs[i]),
				   *tunable_ptr((struct ds_tunables *)new,
						&ds_tunable_descs[i]));
		tunables_changed();
	}
	mutex_unlock(&tunables_mutex);
	return err;
}

static ssize_t tunable_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	struct ds_tunable_attr *ta = container_of(attr, struct ds_tunable_attr, attr);
	struct ds_tunables new;
	const char *why;
	u32 val;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = kstrtou32(buf, 0, &val);
	if (err)
		return -EINVAL;
	mutex_lock(&tunables_mutex);
	new = tunables;
	mutex_unlock(&tunables_mutex);
	*tunable_ptr(&new, ta->desc) = val;
	err = ds_tunables_set(&new, &why);
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
	struct dynstack_core_stats core;
	struct ds_reclaim_stats rs;
	struct ds_supply_levels lv;
	struct ds_cpu_stats st;
	int len;

	ds_get_reclaim_stats(&rs);
	dynstack_get_stats(&core);
	ds_supply_levels(&ds_main_supply, &lv);
	ds_supply_stats(&ds_main_supply, -1, &st);
	len = sysfs_emit(buf,
			 "stacks %lu\npartial_stacks %lu\nresident_pages %lu\n"
			 "populated %lu\nreinstalled %lu\ndetached %lu\n"
			 "harvested %lu\nreleased %lu\nnopage %lu\nreaders %lu\n"
			 "parked %lu\nwait_us %lu\nwait_max_us %lu\n"
			 "exit_reserve_pages %lu\nexit_reserve_served %lu\n"
			 "alloc_failed %lu\n",
			 core.stacks, core.partial, core.resident_pages,
			 core.populated, core.reinstalled, core.detached,
			 core.harvested, core.released, core.nopage, core.readers,
			 core.parked, core.wait_us, core.wait_max_us,
			 core.reserve_pages, core.reserve_served,
			 core.alloc_failed);
	len += sysfs_emit_at(buf, len,
			     "magazine_pages %lu\ndepot_pages %lu\nreserve_pages %lu\n"
			     "take_magazine %llu\ntake_depot %llu\ntake_reserve %llu\n"
			     "take_short %llu\ngive_magazine %llu\ngive_depot %llu\n"
			     "kicks %llu\nrefused %llu\nnapped %llu\n",
			     lv.magazines, lv.depot, lv.reserve,
			     st.take_magazine, st.take_depot, st.take_reserve,
			     st.take_short, st.give_magazine, st.give_depot,
			     st.kicks, st.refused, ds_napped(-1));
	/* Written by the refill worker under ds_main_supply.lock; a stale read is fine. */
	len += sysfs_emit_at(buf, len,
			     "refilled %llu\nrefill_failed %llu\ntrimmed %llu\n"
			     "reclaim_passes %llu\nreclaim_scanned %llu\n"
			     "reclaim_detached %llu\nreclaim_harvested %llu\n"
			     "reclaim_released %llu\nreclaim_flushes %llu\n"
			     "reclaim_readers %llu\n",
			     READ_ONCE(ds_main_supply.refilled), READ_ONCE(ds_main_supply.refill_failed),
			     READ_ONCE(ds_main_supply.trimmed), rs.passes, rs.scanned,
			     rs.detached, rs.harvested, rs.released, rs.flushes,
			     rs.readers);
	return len;
}
static struct kobj_attribute stats_attr = __ATTR_RO(stats);

static ssize_t stats_per_cpu_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	int cpu, len;

	len = sysfs_emit(buf, "cpu magazine take_magazine take_depot take_reserve take_short give_magazine give_depot kicks refused napped\n");
	for_each_possible_cpu(cpu) {
		struct ds_cpu_stats st;

		ds_supply_stats(&ds_main_supply, cpu, &st);
		len += sysfs_emit_at(buf, len, "%d %u %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
				     cpu, READ_ONCE(per_cpu_ptr(ds_main_supply.mags, cpu)->nr),
				     st.take_magazine, st.take_depot, st.take_reserve,
				     st.take_short, st.give_magazine, st.give_depot,
				     st.kicks, st.refused, ds_napped(cpu));
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
	const struct ds_pins *set;
	unsigned int i;
	int len = 0;

	rcu_read_lock();
	set = rcu_dereference(pins);
	for (i = 0; set && i < set->nr; i++)
		len += sysfs_emit_at(buf, len, "%s%d", i ? " " : "", set->tids[i]);
	rcu_read_unlock();
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
	struct ds_pins *old, *new;
	unsigned int i, n = 0;
	bool add = buf[0] == '+';
	int tid = 0, err = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (sysfs_streq(buf, "clear")) {
		add = false;
	} else if ((buf[0] != '+' && buf[0] != '-') || kstrtoint(buf + 1, 10, &tid) ||
		   tid <= 0) {
		return -EINVAL;
	}
	if (add) {
		struct pid *pid = find_get_pid(tid);

		if (!pid)
			return -ESRCH;
		put_pid(pid);
	}

	mutex_lock(&pins_mutex);
	old = rcu_dereference_protected(pins, lockdep_is_held(&pins_mutex));
	new = kzalloc(struct_size(new, tids, DS_MAX_PINS), GFP_KERNEL);
	if (!new) {
		err = -ENOMEM;
		goto unlock;
	}
	for (i = 0; old && i < old->nr; i++)
		if (tid && old->tids[i] != tid)
			new->tids[n++] = old->tids[i];
	if (add) {
		if (n == DS_MAX_PINS) {
			kfree(new);
			err = -ENOSPC;
			goto unlock;
		}
		new->tids[n++] = tid;
	}
	new->nr = n;
	rcu_assign_pointer(pins, new);
	if (old)
		kfree_rcu(old, rcu);
unlock:
	mutex_unlock(&pins_mutex);
	return err ? err : count;
}
static struct kobj_attribute pinned_tids_attr = __ATTR_RW(pinned_tids);

/* Fault-injection knob: empty every magazine and the depot (not the reserve). */
static void drain_this_cpu(void *unused)
{
	struct ds_magazine *mag = this_cpu_ptr(ds_main_supply.mags);

	raw_spin_lock(&ds_main_supply.lock);
	while (mag->nr) {
		list_add(&mag->pages[--mag->nr]->lru, &ds_main_supply.depot);
		ds_main_supply.depot_nr++;
	}
	raw_spin_unlock(&ds_main_supply.lock);
}

static ssize_t debug_drain_store(struct kobject *kobj,
				 struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	struct page *page, *tmp;
	LIST_HEAD(all);
	bool yes;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtobool(buf, &yes) || !yes)
		return -EINVAL;
	on_each_cpu(drain_this_cpu, NULL, 1);
	raw_spin_lock_irq(&ds_main_supply.lock);
	list_splice_init(&ds_main_supply.depot, &all);
	ds_main_supply.depot_nr = 0;
	raw_spin_unlock_irq(&ds_main_supply.lock);
	list_for_each_entry_safe(page, tmp, &all, lru)
		__free_page(page);
	kthread_queue_work(refill_worker, &refill_work);
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

static int ds_sysfs_init(void)
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

static void ds_sysfs_exit(void)
{
	sysfs_remove_group(dynstack_kobj, &ds_group);
	kfree(all_attrs);
	kfree(tunable_attrs);
}

/* ---- load and unload ----------------------------------------------------- */

static int __init dynstack_mod_init(void)
{
	const char *why;
	int err, cpu;

	ds_tunables_default(&tunables);
	if (reserve_pages)
		tunables.reserve_pages = reserve_pages;
	if (ds_tunables_validate(&tunables, &why)) {
		pr_err("reserve_pages=%u is invalid (%s; minimum %u)\n",
		       reserve_pages, why, ds_reserve_min());
		return -EINVAL;
	}

	err = ds_supply_init(&ds_main_supply, &tunables, ds_kick);
	if (err)
		return err;
	kthread_init_work(&refill_work, refill_fn);
	init_irq_work(&refill_kick, refill_kick_fn);
	INIT_DELAYED_WORK(&reclaim_work, reclaim_fn);
	refill_worker = kthread_create_worker(0, "dynstack_refill");
	if (IS_ERR(refill_worker)) {
		err = PTR_ERR(refill_worker);
		goto destroy_supply;
	}

	/* The reserve must be full before the first page can be taken. */
	err = ds_supply_refill(&ds_main_supply, GFP_KERNEL);
	if (err) {
		pr_err("cannot fill the reserve of %u pages\n", tunables.reserve_pages);
		goto destroy_worker;
	}
	err = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/dynstack:dead",
					NULL, ds_cpu_dead);
	if (err < 0)
		goto destroy_worker;
	hp_state = err;
	for_each_possible_cpu(cpu)
		per_cpu(nap_base, cpu) = nap_events(cpu);
	/*
	 * Before registering, so that the hooks start with our settings; no
	 * sysfs or ioctl writer exists yet to change them meanwhile.
	 */
	err = push_core_settings();
	if (!err)
		err = dynstack_register(&ds_ops);
	if (err)
		goto remove_hp;
	err = ds_sysfs_init();
	if (err)
		goto unregister;
	err = ds_ioctl_init();
	if (err)
		goto remove_sysfs;
	/* Savings for the tasks that already exist, without waiting. */
	queue_delayed_work(system_unbound_wq, &reclaim_work, 0);
	pr_info("loaded: reserve %u pages, depot %lu pages\n",
		tunables.reserve_pages, ds_main_supply.depot_nr);
	return 0;

remove_sysfs:
	ds_sysfs_exit();
unregister:
	dynstack_unregister(&ds_ops);
remove_hp:
	cpuhp_remove_state_nocalls(hp_state);
destroy_worker:
	kthread_destroy_worker(refill_worker);
destroy_supply:
	ds_supply_destroy(&ds_main_supply);
	return err;
}

static void __exit dynstack_mod_exit(void)
{
	ds_ioctl_exit();
	ds_sysfs_exit();
	/* No new pass can start: the interval is only read by the work. */
	WRITE_ONCE(tunables.reclaim_interval_ms, 0);
	cancel_delayed_work_sync(&reclaim_work);
	/* Repopulates every stack; after it no hook calls this module. */
	dynstack_unregister(&ds_ops);
	irq_work_sync(&refill_kick);
	kthread_destroy_worker(refill_worker);
	cpuhp_remove_state_nocalls(hp_state);
	ds_supply_destroy(&ds_main_supply);
	/* Unregistered and sysfs gone: no reader or writer is left. */
	kfree(rcu_dereference_protected(pins, true));
	pr_info("unloaded\n");
}

module_init(dynstack_mod_init);
module_exit(dynstack_mod_exit);

MODULE_DESCRIPTION("Dynamic kernel stacks: page supply and policy");
MODULE_LICENSE("GPL");
