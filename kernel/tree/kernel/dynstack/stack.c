// SPDX-License-Identifier: GPL-2.0
/*
 * Stack lifecycle: creating the vmalloc area and its pages, the per-CPU
 * cache of freed stacks, destroying them after RCU, the fork and exit
 * entry points, NR_KERNEL_STACK_KB and memcg accounting, and the readers of
 * a stack's canary and usage. Keeps I4 for reused stacks (scrub), and
 * clears tsk->dynstack before a stack is freed, so that RCU readers
 * (reclaim, dying wakeups) never reach a freed one.
 */
#include "internal.h"

/*
 * Every live struct dynstack, cached ones included. Walked only by the
 * repopulation at unregister (once, see dynstack_repopulate_all()) and by
 * the KUnit suite; statistics come from the counters below, so that no
 * reader of a statistics file can hold this lock for long and stall fork
 * and exit.
 */
LIST_HEAD(dynstack_all);
DEFINE_SPINLOCK(dynstack_all_lock);

static int record_pte(pte_t *pte, unsigned long addr, void *data)
{
	struct dynstack *ds = data;

	if (addr == ds->base)
		ds->ptes = pte;
	/* THREAD_ALIGN keeps the stack within one PTE table. */
	else if (WARN_ON_ONCE(pte != ds->ptes + ((addr - ds->base) >> PAGE_SHIFT)))
		return -EINVAL;
	return 0;
}

/**
 * dynstack_create - a new stack with its top @nr_pages pages resident
 * @node: NUMA node for the pages and the metadata
 * @nr_pages: how many pages, from the top, to allocate now (at least 1)
 *
 * Sleeps. The stack is on dynstack_all from here until dynstack_destroy().
 *
 * Return: the stack, or NULL if memory ran out.
 */
struct dynstack *dynstack_create(int node, unsigned int nr_pages)
{
	struct dynstack *ds;
	int i;

	ds = kzalloc_node(sizeof(*ds), GFP_KERNEL, node);
	if (!ds)
		return NULL;
	raw_spin_lock_init(&ds->lock);
	INIT_LIST_HEAD(&ds->list);
	INIT_LIST_HEAD(&ds->park_node);
	ds->node = node;
	ds->vm = get_vm_area_align_node(THREAD_SIZE, THREAD_ALIGN, VM_MAP,
					node, __builtin_return_address(0));
	if (!ds->vm)
		goto free_ds;
	ds->base = (unsigned long)ds->vm->addr;
	/* Allocates the PTE table now: the hooks never allocate one. */
	if (apply_to_page_range(&init_mm, ds->base, THREAD_SIZE, record_pte, ds))
		goto free_vm;

	for (i = DYNSTACK_TOP; i >= (int)(DYNSTACK_PAGES - nr_pages); i--) {
		struct page *page = alloc_pages_node(node, THREADINFO_GFP &
						     ~__GFP_ACCOUNT, 0);
		if (!page)
			goto free_pages;
		if (i == 0)
			slot0_set_magic(page);
		ds->pages[i] = page;
		dynstack_install_pte(ds, i, page);
		ds->present |= BIT(i);
		/* Not accounted anywhere until it is on dynstack_all. */
		ds->nr_resident++;
	}

	spin_lock(&dynstack_all_lock);
	list_add(&ds->list, &dynstack_all);
	/* The statistics count the stacks on dynstack_all, complete ones. */
	this_cpu_inc(dynstack_by_resident[ds->nr_resident]);
	spin_unlock(&dynstack_all_lock);
	return ds;

free_pages:
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!ds->pages[i])
			continue;
		ptep_get_and_clear(&init_mm, slot_addr(ds, i), ds->ptes + i);
		__free_page(ds->pages[i]);
	}
free_vm:
	free_vm_area(ds->vm);
free_ds:
	kfree(ds);
	return NULL;
}

/**
 * dynstack_destroy - free a stack that no task uses any more
 * @ds: the stack
 *
 * Sleeps. The virtual area goes back through vmalloc's lazy purge, so it is
 * reused only after a TLB flush; its pages, pending ones included, are
 * freed at once, exactly as vfree() frees a stack's pages: a stale
 * translation of a dead stack is never used.
 */
void dynstack_destroy(struct dynstack *ds)
{
	bool kept = false;
	int i;

	spin_lock(&dynstack_all_lock);
	list_del(&ds->list);
	/* Out of the statistics with it, all its pages at once. */
	this_cpu_dec(dynstack_by_resident[ds->nr_resident]);
	spin_unlock(&dynstack_all_lock);
	/* Normally done at exit already (dynstack_account_task()). */
	dynstack_set_accounted(ds, false);

	raw_spin_lock_irq(&ds->lock);
	for (i = 0; i < DYNSTACK_PAGES; i++)
		if (ds->present & BIT(i))
			ptep_get_and_clear(&init_mm, slot_addr(ds, i), ds->ptes + i);
	raw_spin_unlock_irq(&ds->lock);
	free_vm_area(ds->vm);
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!ds->pages[i])
			continue;
		/* The exit reserve is refilled from dying stacks first. */
		if (dynstack_reserve_put(ds->pages[i]))
			kept = true;
		else
			__free_page(ds->pages[i]);
	}
	kfree(ds);
	/*
	 * A dying task may be parked at the head waiting for exactly these
	 * pages while kdynstackd sits in the allocator (an exiting thread
	 * whose mm lives on frees nothing else): let the irq_work serve it.
	 */
	if (kept && READ_ONCE(dynstack_nr_parked))
		dynstack_kick_queue();
}

/* Stacks freed from RCU callbacks are destroyed from a worker. */
static LLIST_HEAD(dynstack_free_list);

static void dynstack_free_workfn(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&dynstack_free_list);
	struct dynstack *ds, *tmp;

	llist_for_each_entry_safe(ds, tmp, list, free_node)
		dynstack_destroy(ds);
}
static DECLARE_WORK(dynstack_free_work, dynstack_free_workfn);

/*
 * Per-CPU cache of freed stacks, as fork.c keeps for vmalloc'ed stacks:
 * the virtual area is reused without a flush, which is safe because it
 * keeps the very same pages at the same addresses. Only full stacks are
 * cached (a new task starts with a full stack, see
 * dynstack_alloc_task_stack()), so none has a pending page either.
 */
#define NR_CACHED_STACKS 2
static DEFINE_PER_CPU(struct dynstack *, dynstack_cache[NR_CACHED_STACKS]);

static bool cache_put(struct dynstack *ds)
{
	int i;

	if (ds->present != DYNSTACK_ALL_PAGES)
		return false;
	/*
	 * A short exit reserve comes first: it is refilled from freed
	 * stacks (dynstack_destroy()), and a dying task's stack is always
	 * full, so caching it would keep its pages from the next dying task.
	 */
	if (dynstack_reserve_low())
		return false;
	for (i = 0; i < NR_CACHED_STACKS; i++) {
		struct dynstack *tmp = NULL;

		if (this_cpu_try_cmpxchg(dynstack_cache[i], &tmp, ds))
			return true;
	}
	return false;
}

static struct dynstack *cache_get(void)
{
	int i;

	for (i = 0; i < NR_CACHED_STACKS; i++) {
		struct dynstack *ds = this_cpu_xchg(dynstack_cache[i], NULL);

		if (ds)
			return ds;
	}
	return NULL;
}

static int dynstack_cache_drain(unsigned int cpu)
{
	struct dynstack *ds[NR_CACHED_STACKS];
	bool any = false;
	int i;

	for (i = 0; i < NR_CACHED_STACKS; i++) {
		ds[i] = per_cpu(dynstack_cache[i], cpu);
		per_cpu(dynstack_cache[i], cpu) = NULL;
		any |= !!ds[i];
	}
	/*
	 * __dynstack_wake_dying() may still look at a stack its task has just
	 * freed into the cache, with IRQs off: a grace period, as for any
	 * freed stack, before its memory goes.
	 */
	if (any)
		synchronize_rcu();
	for (i = 0; i < NR_CACHED_STACKS; i++)
		if (ds[i])
			dynstack_destroy(ds[i]);
	return 0;
}

/*
 * A reused stack must not leak the previous owner's data. Only pages with
 * Accessed=1, or reinstalled from pending (dirty), can hold any (I4): zero
 * them, and leave untouched pages alone so they stay detachable.
 */
static void scrub_reused(struct dynstack *ds)
{
	int i;

	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!(ds->present & BIT(i)))
			continue;
		if (pte_young(ptep_get(ds->ptes + i)))
			memset((void *)slot_addr(ds, i), 0, PAGE_SIZE);
		else if (ds->dirty & BIT(i))
			/* Through the direct map, so that it stays untouched. */
			clear_page(page_address(ds->pages[i]));
		else
			continue;
		if (i == 0)
			slot0_set_magic(ds->pages[0]);
	}
	ds->dirty = 0;
}

static int charge_stack(struct dynstack *ds)
{
	/*
	 * The memcg charge stays THREAD_SIZE per stack, on the top page, as
	 * without dynstack: a cgroup's limit on kernel stacks does not depend
	 * on how the scheduler happened to run its threads. Residency shows
	 * in the NR_KERNEL_STACK_KB statistic instead (dynstack_account_pages()).
	 */
	return memcg_kmem_charge_page(ds->pages[DYNSTACK_TOP], GFP_KERNEL,
				      THREAD_SIZE_ORDER);
}

static void dynstack_free_rcu(struct rcu_head *rh);

/*
 * A new task gets a full stack, allocated here where fork may sleep, so
 * that wake_up_new_task() has nothing to fill and never defers (I1': a
 * TASK_NEW task is about to be queued). A cached stack is full (cache_put()).
 */
int dynstack_alloc_task_stack(struct task_struct *tsk, int node)
{
	struct dynstack *ds;

	ds = cache_get();
	if (ds)
		scrub_reused(ds);
	else
		ds = dynstack_create(node, DYNSTACK_PAGES);
	if (!ds)
		return -ENOMEM;

	if (charge_stack(ds)) {
		/* After a grace period, as any freed stack (__dynstack_wake_dying()). */
		call_rcu(&ds->rcu, dynstack_free_rcu);
		return -ENOMEM;
	}
	ds->last_used = 0;
	ds->max_used = 0;
	ds->test_detach = false;
	ds->task = tsk;
	tsk->dynstack = ds;
	tsk->stack_vm_area = ds->vm;
	tsk->stack = (void *)ds->base;
	return 0;
}

static void dynstack_free_rcu(struct rcu_head *rh)
{
	struct dynstack *ds = container_of(rh, struct dynstack, rcu);

	if (cache_put(ds))
		return;
	if (in_interrupt()) {
		if (llist_add(&ds->free_node, &dynstack_free_list))
			schedule_work(&dynstack_free_work);
		return;
	}
	dynstack_destroy(ds);
}

void dynstack_free_task_stack(struct task_struct *tsk)
{
	struct dynstack *ds = tsk->dynstack;

	/*
	 * Unpublished before the grace period starts, as list_del_rcu()
	 * before call_rcu(): reclaim_chunk() and __dynstack_wake_dying() read
	 * p->dynstack in RCU read-side sections (IRQs off for the latter) and
	 * use it before they hold the stack. A reader that began after
	 * call_rcu() is not waited for, so it must not find @ds here.
	 */
	WRITE_ONCE(tsk->dynstack, NULL);
	ds->task = NULL;
	if (!cache_put(ds))
		call_rcu(&ds->rcu, dynstack_free_rcu);
	tsk->stack = NULL;
	tsk->stack_vm_area = NULL;
}

/* Include (@on) or remove the stack's resident pages in NR_KERNEL_STACK_KB. */
void dynstack_set_accounted(struct dynstack *ds, bool on)
{
	unsigned long flags;
	int nr;

	raw_spin_lock_irqsave(&ds->lock, flags);
	if (on == ds->accounted) {
		raw_spin_unlock_irqrestore(&ds->lock, flags);
		return;
	}
	nr = on ? ds->nr_resident : -(int)ds->accounted_pages;
	ds->accounted = on;
	ds->accounted_pages = on ? ds->nr_resident : 0;
	mod_lruvec_page_state(ds->pages[DYNSTACK_TOP], NR_KERNEL_STACK_KB,
			      nr * (int)(PAGE_SIZE / 1024));
	raw_spin_unlock_irqrestore(&ds->lock, flags);
}

void dynstack_account_task(struct task_struct *tsk, int account)
{
	struct dynstack *ds = tsk->dynstack;

	dynstack_set_accounted(ds, account > 0);
	if (account < 0)
		memcg_kmem_uncharge_page(ds->pages[DYNSTACK_TOP], THREAD_SIZE_ORDER);
}

unsigned long *dynstack_end_magic(struct task_struct *tsk)
{
	static unsigned long nowhere = STACK_END_MAGIC;
	struct dynstack *ds = tsk->dynstack;

	if (!ds)
		return end_of_stack(tsk);
	/*
	 * Only asked for current (running: I1 says page 0 is there) or for
	 * a task that is being created and cannot run yet; a missing page 0
	 * gets its canary when it is populated.
	 */
	if (!ds->pages[0])
		return &nowhere;
	return page_address(ds->pages[0]);
}

#ifdef CONFIG_DEBUG_STACK_USAGE
/*
 * stack_not_used() for a stack whose low pages may be missing, or
 * DYNSTACK_USAGE_UNKNOWN. Called on any task from dump paths
 * (sched_show_task(): sysrq-t, the hung-task detector, panic's show_state())
 * where the stack's lock may be held by a CPU that will never release it
 * (stopped by panic, or the CPU doing the dump): so it never spins.
 */
unsigned long dynstack_not_used(struct task_struct *tsk)
{
	struct dynstack *ds = tsk->dynstack;
	unsigned long unused = 0, flags;
	bool locked = false;
	int i;

	/*
	 * The running task's own pages cannot change under it (I1: all
	 * present; nothing takes pages from a running task, and pages are
	 * only added to missing slots): no lock needed. Any other task's
	 * pages may go while we read them, unless we hold the lock.
	 */
	if (tsk != current) {
		local_irq_save(flags);
		if (!raw_spin_trylock(&ds->lock)) {
			local_irq_restore(flags);
			return DYNSTACK_USAGE_UNKNOWN;
		}
		locked = true;
	}
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		unsigned long *p, *end;

		if (!ds->pages[i] || (ds->pending & BIT(i))) {
			unused += PAGE_SIZE;
			continue;
		}
		/* Read through the direct map: no Accessed bit is set. */
		p = page_address(ds->pages[i]);
		end = p + PAGE_SIZE / sizeof(*p);
		if (i == 0) {
			p++;	/* the canary */
			unused += sizeof(*p);
		}
		for (; p < end && !*p; p++)
			unused += sizeof(*p);
		if (p < end)
			break;
	}
	if (locked) {
		raw_spin_unlock(&ds->lock);
		local_irq_restore(flags);
	}
	return unused;
}
#endif

void __init dynstack_init(void)
{
	cpuhp_setup_state(CPUHP_BP_PREPARE_DYN, "fork:dynstack_cache",
			  NULL, dynstack_cache_drain);
}
