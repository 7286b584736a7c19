// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the loadable policy of dynamic kernel stacks.
 *
 * The core (kernel/dynstack.c) maps and unmaps stack pages at context
 * switch; this module decides where those pages come from and when pages
 * are taken away:
 *
 *  - page supply: a per-CPU magazine used only with IRQs off on its own
 *    CPU (the hooks run so), backed by a depot behind a raw spinlock and
 *    refilled with GFP_KERNEL from a worker. The hooks never allocate: an
 *    empty magazine kicks the worker through irq_work, because queueing
 *    work may wake a kworker, which takes a runqueue lock, and the hooks
 *    hold one.
 *  - admission control: untouched pages are only taken away (creating a
 *    debt that a later switch-in must pay from the supply) while the
 *    supply holds at least the reserve: one worst-case switch-in, i.e.
 *    (pages per stack - 1), for every CPU.
 *  - reclaim: at load, and then periodically, a pass over sleeping tasks
 *    takes their untouched pages and the touched pages below their stack
 *    pointer (one TLB flush per pass).
 *
 * Unloading unregisters from the core first, which repopulates every
 * stack, and only then frees the supply.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/irq_work.h>
#include <linux/workqueue.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/dynstack.h>

#include "../uapi/linux/dynstack.h"

#define MAG_SIZE 32

struct magazine {
	unsigned int nr;
	struct page *pages[MAG_SIZE];
};

static DEFINE_PER_CPU(struct magazine, magazines);

/* Depot: a list of zero-filled pages; raw: taken under rq->lock. */
static DEFINE_RAW_SPINLOCK(depot_lock);
static LIST_HEAD(depot);
static unsigned long depot_nr;

static unsigned int depot_low = 256;	/* refill below this */
static unsigned int depot_high = 1024;	/* free down to this */
static unsigned int reclaim_interval_ms = 1000;

/*
 * A dedicated kthread refills the depot, so that the policy can pin it:
 * the thread that makes pages must never wait for one.
 */
static struct kthread_worker *refill_worker;
static struct kthread_work refill_work;
static struct irq_work refill_kick;
static struct delayed_work reclaim_work;

static unsigned long reserve_pages(void)
{
	return (DYNSTACK_PAGES - 1) * nr_cpu_ids;
}

/* Called with IRQs off, possibly under rq->lock. */
static unsigned int dynstack_take_pages(struct page **pages, unsigned int nr)
{
	struct magazine *mag = this_cpu_ptr(&magazines);
	unsigned int n = 0;

	while (n < nr && mag->nr)
		pages[n++] = mag->pages[--mag->nr];
	if (n < nr) {
		raw_spin_lock(&depot_lock);
		while (n < nr && depot_nr) {
			pages[n] = list_first_entry(&depot, struct page, lru);
			list_del(&pages[n++]->lru);
			depot_nr--;
		}
		/* Restock the magazine in the same lock hold. */
		while (mag->nr < MAG_SIZE / 2 && depot_nr) {
			struct page *page = list_first_entry(&depot, struct page, lru);

			list_del(&page->lru);
			depot_nr--;
			mag->pages[mag->nr++] = page;
		}
		if (depot_nr < depot_low)
			irq_work_queue(&refill_kick);
		raw_spin_unlock(&depot_lock);
	}
	return n;
}

/* Called with IRQs off, possibly under rq->lock. Pages are zero-filled. */
static void dynstack_give_pages(struct page **pages, unsigned int nr)
{
	struct magazine *mag = this_cpu_ptr(&magazines);
	bool kick = false;

	while (nr && mag->nr < MAG_SIZE)
		mag->pages[mag->nr++] = pages[--nr];
	if (!nr)
		return;
	raw_spin_lock(&depot_lock);
	while (nr) {
		list_add(&pages[--nr]->lru, &depot);
		depot_nr++;
	}
	kick = depot_nr > depot_high;
	raw_spin_unlock(&depot_lock);
	if (kick)
		irq_work_queue(&refill_kick);
}

static bool dynstack_may_detach(struct task_struct *prev)
{
	/*
	 * Admission control: a detach creates a debt the next switch-in of
	 * prev pays from the supply. Racy reads are fine: this is a
	 * heuristic threshold, the hooks never depend on it for safety.
	 */
	return prev != refill_worker->task &&
	       /* A threshold, not a guarantee: a racy read is fine. */
	       data_race(depot_nr) + this_cpu_read(magazines.nr) >= reserve_pages();
}

static const struct dynstack_ops dynstack_policy_ops = {
	.name = "dynstack.ko",
	.owner = THIS_MODULE,
	.take_pages = dynstack_take_pages,
	.give_pages = dynstack_give_pages,
	.may_detach = dynstack_may_detach,
};

static void refill_kick_fn(struct irq_work *work)
{
	kthread_queue_work(refill_worker, &refill_work);
}

/* Keep the depot between depot_low and depot_high; sleeps. */
static void refill_fn(struct kthread_work *work)
{
	LIST_HEAD(surplus);
	struct page *page, *tmp;

	for (;;) {
		unsigned long nr;

		raw_spin_lock_irq(&depot_lock);
		nr = depot_nr;
		raw_spin_unlock_irq(&depot_lock);
		if (nr >= (depot_low + depot_high) / 2)
			break;
		page = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
		if (!page)
			break;
		raw_spin_lock_irq(&depot_lock);
		list_add(&page->lru, &depot);
		depot_nr++;
		raw_spin_unlock_irq(&depot_lock);
	}

	raw_spin_lock_irq(&depot_lock);
	while (depot_nr > depot_high) {
		page = list_first_entry(&depot, struct page, lru);
		list_move(&page->lru, &surplus);
		depot_nr--;
	}
	raw_spin_unlock_irq(&depot_lock);
	list_for_each_entry_safe(page, tmp, &surplus, lru)
		__free_page(page);
}

static bool reclaim_filter(struct task_struct *p, void *data)
{
	return p != refill_worker->task;
}

static void reclaim_fn(struct work_struct *work)
{
	struct dynstack_reclaim_ctl ctl = {
		.touched = true,
		.filter = reclaim_filter,
	};

	dynstack_reclaim(&ctl);
	if (reclaim_interval_ms)
		queue_delayed_work(system_unbound_wq, &reclaim_work,
				   msecs_to_jiffies(reclaim_interval_ms));
}

static void drain_supply(void)
{
	struct page *page, *tmp;
	LIST_HEAD(all);
	int cpu;

	/* Unregistered: no hook can touch the magazines any more. */
	for_each_possible_cpu(cpu) {
		struct magazine *mag = per_cpu_ptr(&magazines, cpu);

		while (mag->nr)
			__free_page(mag->pages[--mag->nr]);
	}
	raw_spin_lock_irq(&depot_lock);
	list_splice_init(&depot, &all);
	depot_nr = 0;
	raw_spin_unlock_irq(&depot_lock);
	list_for_each_entry_safe(page, tmp, &all, lru)
		__free_page(page);
}

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", DYNSTACK_ABI_VERSION);
}
static struct kobj_attribute abi_version_attr = __ATTR_RO(abi_version);

static ssize_t supply_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	unsigned long mags = 0, dep;
	int cpu;

	for_each_possible_cpu(cpu) {
		/* Statistics: racy snapshots of counters of other CPUs. */
		mags += data_race(per_cpu(magazines.nr, cpu));
	}
	/* Same for the depot. */
	dep = data_race(depot_nr);
	return sysfs_emit(buf, "magazines %lu\ndepot %lu\nreserve %lu\n",
			  mags, dep, reserve_pages());
}
static struct kobj_attribute supply_attr = __ATTR_RO(supply);

static struct attribute *policy_attrs[] = {
	&abi_version_attr.attr,
	&supply_attr.attr,
	NULL,
};

static const struct attribute_group policy_group = {
	.attrs = policy_attrs,
};

static int __init dynstack_mod_init(void)
{
	int err;

	kthread_init_work(&refill_work, refill_fn);
	init_irq_work(&refill_kick, refill_kick_fn);
	INIT_DELAYED_WORK(&reclaim_work, reclaim_fn);
	refill_worker = kthread_create_worker(0, "dynstack_refill");
	if (IS_ERR(refill_worker))
		return PTR_ERR(refill_worker);

	/* Fill the depot before anything can take from it. */
	refill_fn(&refill_work);

	err = sysfs_create_group(dynstack_kobj, &policy_group);
	if (err)
		goto drain;
	err = dynstack_register(&dynstack_policy_ops);
	if (err)
		goto remove;
	/* Savings for tasks that already exist, without waiting for them. */
	queue_delayed_work(system_unbound_wq, &reclaim_work, 0);
	pr_info("loaded: depot %lu pages, reserve %lu\n", depot_nr, reserve_pages());
	return 0;

remove:
	sysfs_remove_group(dynstack_kobj, &policy_group);
drain:
	drain_supply();
	kthread_destroy_worker(refill_worker);
	return err;
}

static void __exit dynstack_mod_exit(void)
{
	cancel_delayed_work_sync(&reclaim_work);
	/* Repopulates every stack; the hooks stop calling us. */
	dynstack_unregister(&dynstack_policy_ops);
	irq_work_sync(&refill_kick);
	kthread_destroy_worker(refill_worker);
	sysfs_remove_group(dynstack_kobj, &policy_group);
	drain_supply();
	pr_info("unloaded\n");
}

module_init(dynstack_mod_init);
module_exit(dynstack_mod_exit);

MODULE_DESCRIPTION("Dynamic kernel stacks: page supply and policy");
MODULE_LICENSE("GPL");
