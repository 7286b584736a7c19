// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the periodic reclaim pass over sleeping tasks
 * (dynstack_reclaim()), which also takes the touched pages below their
 * stack pointer when reclaim_touched is set, and its statistics.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "dynstack_mod.h"

static void reclaim_fn(struct work_struct *work);
/* Static: a tunable write may reschedule it before the first pass. */
static DECLARE_DELAYED_WORK(reclaim_work, reclaim_fn);
/* Pass results, under reclaim_mutex, which also serialises the passes. */
static struct ds_reclaim_stats rstats;
static DEFINE_MUTEX(reclaim_mutex);
/*
 * While set, nothing queues a pass: before ds_reclaim_start() (a tunable
 * write between sysfs coming up and a failed load must not leave work
 * queued in a module that is then freed) and after ds_reclaim_stop().
 */
static bool stopping = true;
/*
 * Serialises the decision to queue the next pass (reclaim_fn() reading
 * the interval, then queueing) with a change of the interval
 * (ds_reclaim_reschedule()). Without it a pass that read the old
 * interval could queue itself after the change had cancelled nothing,
 * and that one more pass would run with the new interval of 0: a
 * settle_ns of 0, which settles every sleeping stack's memcg charge
 * (memcg_test saw it once). Ordering: the tunable is written before
 * tunables_changed() calls ds_reclaim_reschedule(), and the unlock of
 * this lock there orders it before the READ_ONCE() under the lock in
 * reclaim_fn(). Taken with no other lock held by us but tunables_mutex
 * (tunables_mutex -> queue_lock); only queueing calls run under it.
 */
static DEFINE_SPINLOCK(queue_lock);

static bool reclaim_filter(struct task_struct *p, void *data)
{
	return !ds_pinned(p);
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

void ds_reclaim_stats_get(struct ds_reclaim_stats *r)
{
	mutex_lock(&reclaim_mutex);
	*r = rstats;
	mutex_unlock(&reclaim_mutex);
}

static void reclaim_fn(struct work_struct *work)
{
	const struct ds_tunables *t = ds_tunables_live();
	unsigned int ms = READ_ONCE(t->reclaim_interval_ms);
	/*
	 * A stack's memcg charge is lowered once its pages went at least one
	 * interval ago: a task that slept through a whole interval is
	 * charged again by kdynstackd at its next wakeup, one that only
	 * dozed keeps its charge (struct dynstack_reclaim_ctl).
	 */
	struct dynstack_reclaim_ctl ctl = {
		.touched = READ_ONCE(t->reclaim_touched),
		.settle_ns = (u64)ms * NSEC_PER_MSEC,
	};

	/*
	 * Below the reserve nothing is taken, and nothing flows back from
	 * switch-outs either: make sure the worker keeps trying to refill,
	 * or admission would stay closed for good once allocations recover.
	 */
	if (!ds_supply_admit(&ds_main_supply)) {
		ds_refill_kick();
	} else {
		/* Passes are cheap when there is nothing left; cap them anyway. */
		for (int i = 0; i < 64; i++) {
			struct dynstack_reclaim_ctl pass = ctl;

			if (ds_reclaim_now(&pass) || !pass.more)
				break;
			cond_resched();
		}
	}
	/* Pinned threads that exited would keep their pid namespaces alive. */
	ds_pins_prune();
	spin_lock(&queue_lock);
	ms = READ_ONCE(t->reclaim_interval_ms);
	if (ms && !READ_ONCE(stopping))
		queue_delayed_work(system_unbound_wq, &reclaim_work,
				   msecs_to_jiffies(ms));
	spin_unlock(&queue_lock);
}

/* The first pass at once: savings for the tasks that already exist. */
void ds_reclaim_start(void)
{
	WRITE_ONCE(stopping, false);
	queue_delayed_work(system_unbound_wq, &reclaim_work, 0);
}

/*
 * The interval changed. 0 turns the periodic pass off at once: a pass
 * already queued would otherwise still run, and settle every stack's
 * memcg charge (its settle_ns is the interval). A pass that is running
 * finishes, with the interval it read, but cannot queue another
 * (queue_lock). tunables_mutex held.
 */
void ds_reclaim_reschedule(void)
{
	unsigned int ms = READ_ONCE(ds_tunables_live()->reclaim_interval_ms);

	spin_lock(&queue_lock);
	if (!ms)
		cancel_delayed_work(&reclaim_work);
	else if (!READ_ONCE(stopping))
		mod_delayed_work(system_unbound_wq, &reclaim_work,
				 msecs_to_jiffies(ms));
	spin_unlock(&queue_lock);
}

/* cancel_delayed_work_sync() also stops a pass that queues itself again. */
void ds_reclaim_stop(void)
{
	WRITE_ONCE(stopping, true);
	cancel_delayed_work_sync(&reclaim_work);
}
