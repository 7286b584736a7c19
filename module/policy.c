// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko policy: the ops the core calls (pages from and to the supply,
 * whether a task that blocks gives its untouched pages back), the threads
 * the administrator pinned, and registration with the core.
 *
 *  - switch-out: untouched pages of a task that blocked and is not pinned
 *    go back to the supply, but only while admission control allows (the
 *    reserve is full), see ds_supply_admit();
 *  - a wakeup the supply cannot serve is not this module's problem: the
 *    core parks the task and its own kdynstackd fills the stack, so a
 *    supply that runs dry slows tasks down and strands none.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/overflow.h>

#include "dynstack_mod.h"

/*
 * Threads the administrator pinned: they keep full stacks. Read in the
 * hooks under RCU-sched (IRQs are off there); written under pins_mutex,
 * copy and publish.
 */
struct ds_pins {
	struct rcu_head rcu;
	unsigned int nr;
	pid_t tids[];
};
static struct ds_pins __rcu *pins;
static DEFINE_MUTEX(pins_mutex);

/* Kernel threads, the refill worker among them, are kept full by the core. */
bool ds_pinned(struct task_struct *p)
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

/* Publish the set without @tid (0: without any), plus @add if not 0. */
static int pins_update(pid_t tid, pid_t add)
{
	struct ds_pins *old, *new;
	unsigned int i, n = 0;
	int err = 0;

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
		new->tids[n++] = add;
	}
	new->nr = n;
	rcu_assign_pointer(pins, new);
	if (old)
		kfree_rcu(old, rcu);
unlock:
	mutex_unlock(&pins_mutex);
	return err;
}

/*
 * A pinned thread gets its pages back at its next switch-in and never
 * loses them again. The thread must exist now; its id is what is pinned.
 */
int ds_pin(pid_t tid)
{
	struct pid *pid = find_get_pid(tid);

	if (!pid)
		return -ESRCH;
	put_pid(pid);
	return pins_update(tid, tid);
}

int ds_unpin(pid_t tid)
{
	return pins_update(tid, 0);
}

int ds_unpin_all(void)
{
	return pins_update(0, 0);
}

unsigned int ds_pins_copy(pid_t *tids, unsigned int max)
{
	const struct ds_pins *set;
	unsigned int n = 0;

	rcu_read_lock();
	set = rcu_dereference(pins);
	for (; set && n < set->nr && n < max; n++)
		tids[n] = set->tids[n];
	rcu_read_unlock();
	return n;
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
 * napped (min_sleep_us, handed to it as the nap time of
 * dynstack_configure()) and of tasks with nothing to give, so this runs
 * only when pages would go.
 */
static bool ds_may_detach(struct task_struct *prev)
{
	if (ds_pinned(prev))
		return false;
	if (!ds_supply_admit(&ds_main_supply)) {
		ds_supply_count_refused(&ds_main_supply);
		return false;
	}
	return true;
}

static const struct dynstack_ops ds_ops = {
	.name = "dynstack.ko",
	.take_pages = ds_take,
	.give_pages = ds_give,
	.may_detach = ds_may_detach,
};

/* The settings the core applies itself, in the switch-out hook. */
int ds_policy_configure(void)
{
	const struct ds_tunables *t = ds_tunables_live();

	return dynstack_configure(&ds_ops, READ_ONCE(t->detach),
				  (u64)READ_ONCE(t->min_sleep_us) * NSEC_PER_USEC);
}

/*
 * The settings first, so that the hooks start with ours; no sysfs or ioctl
 * writer exists yet to change them meanwhile. The supply must be ready:
 * from here on the core calls the ops.
 */
int ds_policy_register(void)
{
	int err = ds_policy_configure();

	return err ? err : dynstack_register(&ds_ops);
}

/* Repopulates every stack; after it no hook calls this module. */
void ds_policy_unregister(void)
{
	dynstack_unregister(&ds_ops);
	/* Unregistered and sysfs gone: no reader or writer is left. */
	kfree(rcu_dereference_protected(pins, true));
	RCU_INIT_POINTER(pins, NULL);
}
