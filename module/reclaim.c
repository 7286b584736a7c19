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
/* Static: nothing to set up before a tunable write can reach it. */
static DECLARE_DELAYED_WORK(reclaim_work, reclaim_fn);
/* Pass results, under reclaim_mutex, which also serialises the passes. */
static struct ds_reclaim_stats rstats;
static DEFINE_MUTEX(reclaim_mutex);
/*
 * While set, nothing queues a pass: before ds_reclaim_start() (a tunable
 * write between sysfs coming up and a failed load must not leave work
 * queued in a module that is then freed) and after ds_reclaim_stop().
 * Under queue_lock.
 */
static bool stopping = true;
/* reclaim_interval_ms as the queue last acted on it, under queue_lock. */
static unsigned int queued_ms;
/*
 * Serialises the decision to queue the next pass (reclaim_fn() reading
 * the interval, then queueing) with a change of the interval
 * (ds_reclaim_reschedule()), and both with start and stop. Without it a
 * pass that read the old interval could queue itself after the change
 * had cancelled nothing (memcg_test saw it once). With it, either the
 * change takes the lock first: it wrote the tunable before
 * tunables_changed() called ds_reclaim_reschedule(), and its unlock
 * orders that write before the READ_ONCE() under the lock in
 * reclaim_fn(), which sees the new interval; or the pass takes it first,
 * reads either value, and the change then cancels or moves what it
 * queued. Lock order: tunables_mutex -> queue_lock; only queueing calls,
 * which do not sleep, run under it, and only from process context.
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
		rstats.spared += ctl->spared;
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
	 * A task that naps (sleeps shorter than min_sleep_us) keeps its
	 * pages while it keeps napping, as at switch-out: it would take them
	 * back within milliseconds, all such tasks in one burst the supply
	 * would have to meet. Once it sleeps longer, it gives them up
	 * (reclaim_spares() in the core). An explicit pass
	 * (DYNSTACK_IOC_RECLAIM) spares nobody.
	 */
	struct dynstack_reclaim_ctl ctl = {
		.touched = READ_ONCE(t->reclaim_touched),
		.spare_nappers = true,
		.settle_ns = (u64)ms * NSEC_PER_MSEC,
	};

	/*
	 * Below the reserve nothing is taken, and nothing flows back from
	 * switch-outs either: make sure the worker keeps trying to refill,
	 * or admission would stay closed for good once allocations recover.
	 */
	if (!ds_supply_admit(&ds_main_supply)) {
		ds_refill_kick();
	} else if (ms) {
		/*
		 * Not at an interval of 0, which is off: a pass that had
		 * started when the change came (so it could not be
		 * cancelled) passes nothing. Its settle_ns of 0 would settle
		 * every sleeping stack's memcg charge, which only
		 * DYNSTACK_IOC_RECLAIM asks for. Passes are cheap when there
		 * is nothing left; cap them anyway.
		 */
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
	if (ms && !stopping)
		queue_delayed_work(system_unbound_wq, &reclaim_work,
				   msecs_to_jiffies(ms));
	spin_unlock(&queue_lock);
}

/*
 * The first pass at once: savings for the tasks that already exist;
 * none if reclaim_interval_ms is 0.
 */
void ds_reclaim_start(void)
{
	spin_lock(&queue_lock);
	stopping = false;
	queued_ms = READ_ONCE(ds_tunables_live()->reclaim_interval_ms);
	if (queued_ms)
		queue_delayed_work(system_unbound_wq, &reclaim_work, 0);
	spin_unlock(&queue_lock);
}

/*
 * The tunables changed (tunables_mutex held). If the interval did, the
 * next pass is one interval from now, and 0 turns the periodic pass off
 * at once: a pass already queued would otherwise still run. A pass that
 * is running finishes, with the interval it read, but cannot queue
 * another (queue_lock). A change of another tunable leaves the queue
 * alone: writes more often than the interval would otherwise put the
 * next pass off for good.
 */
void ds_reclaim_reschedule(void)
{
	unsigned int ms = READ_ONCE(ds_tunables_live()->reclaim_interval_ms);

	spin_lock(&queue_lock);
	if (ms != queued_ms && !stopping) {
		if (!ms)
			cancel_delayed_work(&reclaim_work);
		else
			mod_delayed_work(system_unbound_wq, &reclaim_work,
					 msecs_to_jiffies(ms));
	}
	queued_ms = ms;
	spin_unlock(&queue_lock);
}

/* cancel_delayed_work_sync() also stops a pass that queues itself again. */
void ds_reclaim_stop(void)
{
	spin_lock(&queue_lock);
	stopping = true;
	spin_unlock(&queue_lock);
	cancel_delayed_work_sync(&reclaim_work);
}
