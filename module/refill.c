// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the module's page supply and the thread that refills it.
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
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>

#include "dynstack_mod.h"

struct ds_supply ds_main_supply;

static struct kthread_worker *refill_worker;
static struct kthread_work refill_work;
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

static void refill_fn(struct kthread_work *work)
{
	ds_supply_refill(&ds_main_supply, GFP_KERNEL);
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
	init_irq_work(&refill_irq_work, refill_irq_work_fn);
	refill_worker = kthread_create_worker(0, "dynstack_refill");
	if (IS_ERR(refill_worker)) {
		err = PTR_ERR(refill_worker);
		goto destroy_supply;
	}
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
	kthread_destroy_worker(refill_worker);
	cpuhp_remove_state_nocalls(hp_state);
	ds_supply_destroy(&ds_main_supply);
}
