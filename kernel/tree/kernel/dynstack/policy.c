// SPDX-License-Identifier: GPL-2.0
/*
 * Policy registration: the ops table a module registers, the static keys
 * that turn the hooks on, the switch-out settings (dynstack_configure())
 * and unregistering, which completes every parked wakeup and refills every
 * stack before it returns (I6).
 */
#define pr_fmt(fmt) "dynstack: " fmt

#include "internal.h"

DEFINE_STATIC_KEY_FALSE(dynstack_switch_key);
DEFINE_STATIC_KEY_FALSE(dynstack_detach_key);

/*
 * What the policy asked of the switch-out hook (dynstack_configure()):
 * whether it runs at all (under dynstack_policy_mutex) and how short a
 * sleep counts as a nap (read inline in the hook, dynstack_napping()).
 */
bool dynstack_detach_on = true;
u64 dynstack_nap_ns;

/*
 * The registered policy. Written under dynstack_policy_mutex; read in the
 * hooks with IRQs off, which is an RCU-sched read-side section, so
 * synchronize_rcu() after clearing it waits for every reader.
 */
const struct dynstack_ops __rcu *dynstack_policy;
DEFINE_MUTEX(dynstack_policy_mutex);

/* Put a page in every slot of @ds that lacks one, from @pool (enough). */
static void repopulate_one(struct dynstack *ds, struct page **pool,
			   unsigned int *nr)
{
	unsigned int missing, i;

	lockdep_assert_held(&ds->lock);
	/* Pending pages go back where they were (I3). */
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!(ds->pending & BIT(i)))
			continue;
		dynstack_install_pte(ds, i, ds->pages[i]);
		ds->stale |= BIT(i);
		ds->dirty |= BIT(i);
		/* PTE before the bit: pairs with the acquire in dynstack_wake_park(). */
		smp_store_release(&ds->present, ds->present | BIT(i));
	}
	ds->pending = 0;
	missing = DYNSTACK_ALL_PAGES & ~ds->present;
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!(missing & BIT(i)))
			continue;
		ds->pages[i] = pool[--*nr];
		if (i == 0)
			slot0_set_magic(ds->pages[i]);
		dynstack_install_pte(ds, i, ds->pages[i]);
		/* As in dynstack_publish(): PTE first. */
		smp_store_release(&ds->present, ds->present | BIT(i));
		dynstack_account_pages(ds, 1);
	}
}

/*
 * Fill every missing slot of every stack, in one pass over dynstack_all;
 * sleeps. Used when unregistering, after detaching has stopped (forks
 * always make full stacks), so the number of missing pages only goes down
 * while this runs. Parked tasks are on dynstack_all too.
 *
 * The stacks still to do are moved to a private list and each goes back to
 * dynstack_all once filled, so the pass can drop dynstack_all_lock to
 * allocate or to reschedule and carry on where it was: a stack destroyed
 * meanwhile just leaves whichever list it is on (list_del() under the
 * same lock), and a stack created meanwhile is full. Each stack needs at
 * most DYNSTACK_PAGES - 1 pages (the top one never leaves), so the pool is
 * topped up before any stack that could drain it.
 */
static void dynstack_repopulate_all(void)
{
	struct page *pool[64];
	unsigned int nr = 0;
	LIST_HEAD(todo);

	spin_lock(&dynstack_all_lock);
	list_splice_init(&dynstack_all, &todo);
	while (!list_empty(&todo)) {
		struct dynstack *ds;

		if (nr < DYNSTACK_PAGES - 1) {
			spin_unlock(&dynstack_all_lock);
			while (nr < ARRAY_SIZE(pool))
				pool[nr++] = alloc_page((THREADINFO_GFP & ~__GFP_ACCOUNT) |
							__GFP_NOFAIL);
			spin_lock(&dynstack_all_lock);
			continue;	/* the first stack may have gone */
		}
		ds = list_first_entry(&todo, struct dynstack, list);
		list_move_tail(&ds->list, &dynstack_all);
		raw_spin_lock_irq(&ds->lock);
		repopulate_one(ds, pool, &nr);
		raw_spin_unlock_irq(&ds->lock);
		cond_resched_lock(&dynstack_all_lock);
	}
	spin_unlock(&dynstack_all_lock);
	while (nr)
		__free_page(pool[--nr]);
}

/**
 * dynstack_register - make @ops the policy: from now on stacks may be partial
 * @ops: the policy; must stay valid until dynstack_unregister() returns
 *
 * Sleeps: fills the exit reserve first (GFP_KERNEL).
 *
 * Return: 0, -EBUSY if another policy is registered, or -ENOMEM if
 * kdynstackd is missing or the exit reserve cannot be filled.
 */
int dynstack_register(const struct dynstack_ops *ops)
{
	if (!ops->take_pages || !ops->give_pages)
		return -EINVAL;
	/* Without it a parked task would wait forever. */
	if (!READ_ONCE(dynstack_kthread))
		return -ENOMEM;
	mutex_lock(&dynstack_policy_mutex);
	if (rcu_access_pointer(dynstack_policy)) {
		mutex_unlock(&dynstack_policy_mutex);
		return -EBUSY;
	}
	/*
	 * The exit reserve is full before any page can be detached, so that
	 * the first OOM victim that waits for stack pages finds one stack's
	 * worth in it (docs/proof.md: left to kdynstackd, a victim parked
	 * while the reserve was still short waited for memory that only its
	 * own exit would free).
	 */
	if (!dynstack_reserve_fill()) {
		mutex_unlock(&dynstack_policy_mutex);
		return -ENOMEM;
	}
	rcu_assign_pointer(dynstack_policy, ops);
	/*
	 * The wakeup hook first: nothing may be detached before wakeups fill
	 * gaps. The grace period makes every waker that still saw the key
	 * off, and so may have queued a task that is on_cpu on its CPU's
	 * wakelist (dynstack_wake_no_shortcut()), finish: those wakers ran
	 * with IRQs off and under the task's pi_lock, after the task's CPU
	 * had taken it off the runqueue with IRQs off in the same region as
	 * its switch-out, which therefore ran with the detach key still off.
	 */
	static_branch_enable(&dynstack_switch_key);
	synchronize_rcu();
	if (dynstack_detach_on)
		static_branch_enable(&dynstack_detach_key);
	mutex_unlock(&dynstack_policy_mutex);
	pr_info("policy %s registered\n", ops->name);
	return 0;
}
EXPORT_SYMBOL_GPL(dynstack_register);

/**
 * dynstack_unregister - eject the policy; every stack is full afterwards
 * @ops: the registered policy
 *
 * Sleeps. Stops detaching, puts a page in every missing slot of every
 * stack, completes every parked wakeup, and only then turns the wakeup
 * hook off, so that when it returns the kernel is in the state of one that
 * never had a policy (I6) and @ops is no longer called.
 */
void dynstack_unregister(const struct dynstack_ops *ops)
{
	mutex_lock(&dynstack_policy_mutex);
	if (WARN_ON(rcu_access_pointer(dynstack_policy) != ops)) {
		mutex_unlock(&dynstack_policy_mutex);
		return;
	}
	static_branch_disable(&dynstack_detach_key);
	/* Hooks run with IRQs off: this waits for any detach in flight. */
	synchronize_rcu();
	/*
	 * No stack loses a page from here on (the reclaimer needs the mutex
	 * we hold), so after the repopulation none lacks one, no wakeup can
	 * park, and the tasks parked so far can all be completed.
	 */
	dynstack_repopulate_all();
	dynstack_complete_all();
	static_branch_disable(&dynstack_switch_key);
	dynstack_reserve_drain();
	/* No hook can still be using @ops after this. */
	rcu_assign_pointer(dynstack_policy, NULL);
	synchronize_rcu();
	/* The next policy starts from the defaults. */
	dynstack_detach_on = true;
	WRITE_ONCE(dynstack_nap_ns, 0);
	mutex_unlock(&dynstack_policy_mutex);
	pr_info("policy %s unregistered\n", ops->name);
}
EXPORT_SYMBOL_GPL(dynstack_unregister);

/**
 * dynstack_configure - what the switch-out hook does for a policy
 * @ops: the policy: the registered one, or the one about to register
 * @detach: take untouched pages at switch-out at all. Off, the hook is a
 *	static branch that is not taken, so a policy that only reclaims from
 *	sleeping tasks costs a context switch nothing but the switch-in check.
 * @nap_ns: a task switched in again less than @nap_ns after pages were
 *	taken from it keeps its pages at its next switch-outs without the
 *	policy being asked (dynstack_napping()); 0 turns this off. The check
 *	runs on every switch-out, so it lives in the core, inline, rather
 *	than behind the policy's indirect may_detach() call.
 *
 * Called before dynstack_register(), the settings are what the hooks start
 * with. dynstack_unregister() resets them (detach on, no nap check). Sleeps.
 *
 * Return: 0, or -EBUSY if another policy is registered.
 */
int dynstack_configure(const struct dynstack_ops *ops, bool detach, u64 nap_ns)
{
	const struct dynstack_ops *cur;

	mutex_lock(&dynstack_policy_mutex);
	cur = rcu_access_pointer(dynstack_policy);
	if (cur && cur != ops) {
		mutex_unlock(&dynstack_policy_mutex);
		return -EBUSY;
	}
	dynstack_detach_on = detach;
	WRITE_ONCE(dynstack_nap_ns, nap_ns);
	/* With no policy the key is off; dynstack_register() reads the flag. */
	if (cur) {
		if (detach)
			static_branch_enable(&dynstack_detach_key);
		else
			static_branch_disable(&dynstack_detach_key);
	}
	mutex_unlock(&dynstack_policy_mutex);
	return 0;
}
EXPORT_SYMBOL_GPL(dynstack_configure);
