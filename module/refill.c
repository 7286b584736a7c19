// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the module's page supply, the thread that refills it and
 * the clock of its demand sizing (ds_supply_tick(), every
 * shrink_interval_ms, on the same thread).
 *
 * The refill worker is a dedicated kthread; the core keeps the stacks of
 * kernel threads full, so the thread that makes pages never waits for one.
 * The hooks ask it for work through irq_work, because waking a thread
 * takes a runqueue lock or a pi_lock and the hooks hold one. A CPU that
 * goes away gives its magazine to the depot.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>

#include "dynstack_mod.h"

struct ds_supply ds_main_supply;

static struct kthread_worker *refill_worker;
static struct kthread_work refill_work;
static struct kthread_delayed_work tick_work;
/* Set before the worker goes: nothing arms the tick any more. */
static bool stopping;
/* shrink_interval_ms as ds_refill_retune() last saw it (tunables_mutex). */
static unsigned int tick_ms;
static struct irq_work refill_irq_work;
static int hp_state;

/* From the hooks, IRQs off, under rq->lock or pi_lock: no wakeup here. */
static void ds_kick(struct ds_supply *s)
{
	irq_work_queue(&refill_irq_work);
}

static void refill_irq_work_fn(struct irq_work *work)
{
	kthread_queue_work(refill_worker, &refill_work);
}

/*
 * Arm the sizing tick unless it is pending or off. On the worker, so
 * serialised with tick_fn(); a changed shrink_interval_ms is applied at
 * once by ds_refill_retune().
 */
static void arm_tick(void)
{
	unsigned int ms = READ_ONCE(ds_main_supply.t->shrink_interval_ms);

	if (ms && !READ_ONCE(stopping))
		kthread_queue_delayed_work(refill_worker, &tick_work,
					   msecs_to_jiffies(ms));
}

static void refill_fn(struct kthread_work *work)
{
	ds_supply_refill(&ds_main_supply, GFP_KERNEL);
	arm_tick();
}

static void tick_fn(struct kthread_work *work)
{
	/* Turned off while this tick was pending: it does nothing. */
	if (!READ_ONCE(ds_main_supply.t->shrink_interval_ms))
		return;
	ds_supply_tick(&ds_main_supply);
	arm_tick();
}

/*
 * The tunables changed (tunables_mutex held). A new shrink_interval_ms
 * moves the pending tick to one new interval from now, rather than after
 * the old one; 0 leaves it to fire once and do nothing.
 */
void ds_refill_retune(void)
{
	unsigned int ms = READ_ONCE(ds_main_supply.t->shrink_interval_ms);

	if (ms != tick_ms && ms && !READ_ONCE(stopping))
		kthread_mod_delayed_work(refill_worker, &tick_work,
					 msecs_to_jiffies(ms));
	tick_ms = ms;
	ds_refill_kick();
}

void ds_refill_kick(void)
{
	kthread_queue_work(refill_worker, &refill_work);
}

void ds_refill_drain(void)
{
	ds_supply_drain(&ds_main_supply);
	ds_refill_kick();
}

static int ds_cpu_dead(unsigned int cpu)
{
	ds_supply_cpu_dead(&ds_main_supply, cpu);
	return 0;
}

/*
 * The supply, filled up to its reserve before the first page can be taken,
 * its worker and the hotplug callback. Sleeps.
 */
int ds_refill_init(const struct ds_tunables *t)
{
	int err;

	err = ds_supply_init(&ds_main_supply, t, ds_kick);
	if (err)
		return err;
	kthread_init_work(&refill_work, refill_fn);
	kthread_init_delayed_work(&tick_work, tick_fn);
	tick_ms = READ_ONCE(t->shrink_interval_ms);
	init_irq_work(&refill_irq_work, refill_irq_work_fn);
	refill_worker = kthread_create_worker(0, "dynstack_refill");
	if (IS_ERR(refill_worker)) {
		err = PTR_ERR(refill_worker);
		goto destroy_supply;
	}
	/*
	 * Above every fair task, as the core's kdynstackd is: a wake storm
	 * makes hundreds of threads runnable at once, and a nice-0 worker
	 * among them got to fill the supply only after the storm it was for
	 * (sizing_test's storm grew the target 2-3 times instead of 6-7, one
	 * run in four). The lowest RT priority, so no RT task waits for it;
	 * its work is short: a refill to the target, a trim, the tick.
	 */
	sched_set_fifo_low(refill_worker->task);
	err = ds_supply_refill(&ds_main_supply, GFP_KERNEL);
	if (err) {
		pr_err("cannot fill the reserve of %u pages\n",
		       READ_ONCE(t->reserve_pages));
		goto destroy_worker;
	}
	err = cpuhp_setup_state_nocalls(CPUHP_BP_PREPARE_DYN, "mm/dynstack:dead",
					NULL, ds_cpu_dead);
	if (err < 0)
		goto destroy_worker;
	hp_state = err;
	ds_refill_kick();	/* and so the first tick */
	return 0;

destroy_worker:
	kthread_destroy_worker(refill_worker);
destroy_supply:
	ds_supply_destroy(&ds_main_supply);
	return err;
}

/* Only once the core no longer calls the ops (ds_policy_unregister()). */
void ds_refill_exit(void)
{
	irq_work_sync(&refill_irq_work);
	/*
	 * No hook, writer or reclaim pass kicks any more. Once @stopping is
	 * seen, neither work arms the tick again: flush what is queued, then
	 * cancel the tick, which waits for one that runs.
	 */
	WRITE_ONCE(stopping, true);
	kthread_flush_worker(refill_worker);
	kthread_cancel_delayed_work_sync(&tick_work);
	kthread_destroy_worker(refill_worker);
	cpuhp_remove_state_nocalls(hp_state);
	ds_supply_destroy(&ds_main_supply);
}
