// SPDX-License-Identifier: GPL-2.0
/*
 * Dynamic kernel stacks: the in-kernel core.
 *
 * Every task stack is a THREAD_SIZE, THREAD_ALIGN-aligned vmalloc area with
 * a guard page, as with CONFIG_VMAP_STACK, but the area has no pages of its
 * own: this file attaches and detaches them, and only ever
 *
 *  - at wakeup of a blocked task (try_to_wake_up(), before it is put on a
 *    runqueue): every missing page is filled from the policy's supply; if
 *    the supply cannot, the wakeup is deferred ("parked") until kdynstackd
 *    has filled the stack with pages it may sleep for, so that
 *
 *	I1': only a blocked or parked task may lack a stack page; a task that
 *	    is running, queued or being woken has every page mapped, and no
 *	    page fault on a stack is ever taken;
 *
 *  - at switch-out of a task that blocked (finish_task_switch(), before
 *    finish_task() clears prev->on_cpu, so no other CPU can run @prev yet):
 *    pages of @prev below its saved stack pointer whose PTE still has
 *    Accessed=0 are exchanged away and given back at once;
 *
 *  - from the reclaimer (dynstack_reclaim(), sleepable), for blocked tasks:
 *    the same, plus touched pages below the stack pointer, which are kept
 *    as "pending" until a global TLB flush.
 *
 * Where the pages come from and when they are taken away is the policy of a
 * loadable module (struct dynstack_ops); without one every stack is fully
 * populated and the hooks are static branches that are off (I6). Whether a
 * parked task runs again is not: the parked list, kdynstackd and the exit
 * reserve are the core's, so a policy that hands out no pages slows tasks
 * down but never strands them (the progress argument, docs/design.md).
 *
 * Invariants (each is named again where the code relies on it):
 *  I1: a running task has every page of its stack mapped (I1' above).
 *  I2: a page leaves a stack without a TLB flush only if its PTE was
 *      exchanged away with Accessed=0 in the same atomic operation.
 *  I3: a page whose PTE had Accessed=1 is reused for nothing until a global
 *      TLB flush completed after its PTE was cleared; until then it stays
 *      on its stack as pending, and a wakeup maps that same page again.
 *  I4: pages handed to a stack are zero-filled.
 *  I5: the wakeup hook never sleeps and never calls the page allocator;
 *      only kdynstackd allocates, in process context, and may sleep.
 *  I6: without a policy no stack has a missing page and the hooks are off.
 *  I7: a page leaves a stack only while nobody but its task holds the stack
 *      (try_get_task_stack()): readers of another task's stack (unwinders,
 *      /proc/PID/stack, sysrq-t, watchdogs, BPF) start from a saved stack
 *      pointer that may be stale and bound-check only against the stack's
 *      range, so everything at or above any stack pointer a reader reads
 *      must stay mapped while it holds the stack; see stack_has_readers().
 *
 * The x86 facts this rests on (Intel SDM vol. 3A):
 *  - 4.10.2.3: a translation is cached in a TLB only if the Accessed flag
 *    of the PTE is 1, and the processor sets it (atomically, in memory)
 *    before caching; speculation may set it too, which errs on the safe
 *    side. A PTE read as Accessed=0 in the same atomic exchange that
 *    clears it therefore has no TLB entry anywhere.
 *  - 4.10.4.3: a PTE going from not-present to present needs no
 *    invalidation.
 *  - Stack mappings are global: a CR3 switch does not flush them, so a
 *    translation that was ever cached must be flushed explicitly.
 */
#define pr_fmt(fmt) "dynstack: " fmt

#include <linux/dynstack.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/signal.h>
#include <linux/sched/clock.h>
#include <linux/ptrace.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/memcontrol.h>
#include <linux/vmstat.h>
#include <linux/cpuhotplug.h>
#include <linux/llist.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/oom.h>
#include <linux/delay.h>
#include <asm/tlbflush.h>

#include "dynstack_internal.h"

#define TOP_BIT		(1U << DYNSTACK_TOP)

DEFINE_STATIC_KEY_FALSE(dynstack_switch_key);
DEFINE_STATIC_KEY_FALSE(dynstack_detach_key);

/*
 * What the policy asked of the switch-out hook (dynstack_configure()):
 * whether it runs at all (under dynstack_policy_mutex) and how short a
 * sleep counts as a nap (read inline in the hook, dynstack_napping()).
 */
static bool dynstack_detach_on = true;
u64 dynstack_nap_ns;

/*
 * The registered policy. Written under dynstack_policy_mutex; read in the
 * hooks with IRQs off, which is an RCU-sched read-side section, so
 * synchronize_rcu() after clearing it waits for every reader.
 */
static const struct dynstack_ops __rcu *dynstack_policy;
static DEFINE_MUTEX(dynstack_policy_mutex);

/*
 * Every live struct dynstack, cached ones included. Walked only by the
 * repopulation at unregister (once, see dynstack_repopulate_all()) and by
 * the KUnit suite; statistics come from the counters below, so that no
 * reader of a statistics file can hold this lock for long and stall fork
 * and exit.
 */
static LIST_HEAD(dynstack_all);
static DEFINE_SPINLOCK(dynstack_all_lock);

/*
 * Live stacks by the number of pages they hold, per CPU: a stack moves from
 * one bucket to the next in account_pages(). Only the sums over CPUs mean
 * anything; they give the number of stacks, the resident pages and the
 * residency histogram without walking dynstack_all.
 */
static DEFINE_PER_CPU(long, dynstack_by_resident[DYNSTACK_PAGES + 1]);

struct kobject *dynstack_kobj;
EXPORT_SYMBOL_GPL(dynstack_kobj);

static pgprot_t dynstack_prot(void)
{
	/*
	 * PAGE_KERNEL has Accessed and Dirty preset, which would make every
	 * page look touched. Installing with A=0 D=0 is what lets the
	 * switch-out hook prove, from A alone, that no TLB holds the page.
	 */
	return __pgprot(pgprot_val(PAGE_KERNEL) & ~(_PAGE_ACCESSED | _PAGE_DIRTY));
}

static inline unsigned long slot_addr(struct dynstack *ds, int i)
{
	return ds->base + i * PAGE_SIZE;
}

/*
 * The lowest word of the stack holds STACK_END_MAGIC (end_of_stack()). It
 * is written and read through the direct map of the page, never through
 * the stack's own mapping, so that checking it does not set Accessed on
 * the lowest page and keep it resident forever.
 */
static inline void slot0_set_magic(struct page *page)
{
	*(unsigned long *)page_address(page) = STACK_END_MAGIC;
}

static inline void slot0_clear_magic(struct page *page)
{
	*(unsigned long *)page_address(page) = 0;
}

static void install_pte(struct dynstack *ds, int i, struct page *page)
{
	/* P 0->1 needs no TLB invalidation (SDM 4.10.4.3). */
	set_pte_at(&init_mm, slot_addr(ds, i), ds->ptes + i,
		   mk_pte(page, dynstack_prot()));
}

/* Called under ds->lock (or before the stack is visible). */
static void account_pages(struct dynstack *ds, int nr)
{
	if (!nr)
		return;
	this_cpu_dec(dynstack_by_resident[ds->nr_resident]);
	ds->nr_resident += nr;
	this_cpu_inc(dynstack_by_resident[ds->nr_resident]);
	if (ds->accounted) {
		/*
		 * The top page is the anchor: it is always resident and it
		 * carries the memcg charge, so the node and memcg
		 * NR_KERNEL_STACK_KB follow the resident pages of the stack.
		 */
		mod_lruvec_page_state(ds->pages[DYNSTACK_TOP], NR_KERNEL_STACK_KB,
				      nr * (int)(PAGE_SIZE / 1024));
		ds->accounted_pages += nr;
	}
}

static const struct dynstack_ops *policy(void)
{
	return rcu_dereference_sched(dynstack_policy);
}

/*
 * Page supply for wakeups: the policy's, and nothing else. The page
 * allocator is never called with IRQs off here (I5): when the policy has
 * nothing, the task waits for kdynstackd, which may sleep for pages.
 */
static unsigned int supply_take(struct page **pages, unsigned int nr)
{
	const struct dynstack_ops *ops = policy();

	return ops ? ops->take_pages(pages, nr) : 0;
}

static void supply_give(struct page **pages, unsigned int nr)
{
	const struct dynstack_ops *ops = policy();

	if (!nr)
		return;
	if (ops) {
		ops->give_pages(pages, nr);
		return;
	}
	while (nr--)
		__free_page(pages[nr]);
}

/*
 * The exit reserve: zero-filled pages kept for the wakeups of dying tasks
 * only (task_dying()), so that a task killed to free memory runs, exits and
 * frees it even while kdynstackd is stuck in reclaim waiting for that very
 * memory. Refilled first from the pages of freed stacks (dynstack_destroy()),
 * so its pages recirculate among dying tasks, and by kdynstackd. A wakeup
 * takes all the pages it needs or none. It exists only while a policy is
 * registered (without one no stack lacks a page, I6). reserve_lock is a
 * leaf: it nests inside ds->lock.
 */
#define RESERVE_MAX	64
/* Wakeups parked now (the list and its lock are with the waiting protocol). */
static unsigned long dynstack_nr_parked;
static struct page *reserve[RESERVE_MAX];
/* reserve_target is reserve_size while a policy is registered, else 0. */
static unsigned int reserve_nr, reserve_target, reserve_size;
static DEFINE_RAW_SPINLOCK(reserve_lock);
static atomic_long_t reserve_served;

static bool reserve_low(void)
{
	return READ_ONCE(reserve_nr) < READ_ONCE(reserve_target);
}

/* Unregistering: no reserve without a policy; free its pages. */
static void reserve_drain(void)
{
	struct page *pages[RESERVE_MAX];
	unsigned int n;

	raw_spin_lock_irq(&reserve_lock);
	WRITE_ONCE(reserve_target, 0);
	n = reserve_nr;
	memcpy(pages, reserve, n * sizeof(*pages));
	WRITE_ONCE(reserve_nr, 0);
	raw_spin_unlock_irq(&reserve_lock);
	while (n)
		__free_page(pages[--n]);
}

/* Keep @page (any content) in the reserve if it is short; true if kept. */
static bool reserve_put(struct page *page)
{
	unsigned long flags;
	bool kept = false;

	if (!reserve_low())
		return false;
	clear_page(page_address(page));		/* I4 */
	raw_spin_lock_irqsave(&reserve_lock, flags);
	if (reserve_nr < reserve_target) {
		reserve[reserve_nr++] = page;
		kept = true;
	}
	raw_spin_unlock_irqrestore(&reserve_lock, flags);
	return kept;
}

/*
 * Registering: fill the reserve to its size with GFP_KERNEL (sleeps).
 * Returns false, with the reserve drained, if memory is short.
 */
static bool reserve_fill(void)
{
	struct page *page;

	WRITE_ONCE(reserve_target, reserve_size);
	while (reserve_low()) {
		page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!page) {
			reserve_drain();
			return false;
		}
		if (!reserve_put(page))
			__free_page(page);
	}
	return true;
}

/*
 * Map @got fresh zero-filled pages from @fresh into the lowest of the slots
 * in @missing (I4), ds->lock held. Returns the slots filled; the caller
 * publishes them in @present.
 */
static unsigned int install_fresh(struct dynstack *ds, unsigned int missing,
				  struct page **fresh, unsigned int got)
{
	unsigned int i, n = 0, added = 0;

	for (i = 0; i < DYNSTACK_PAGES && n < got; i++) {
		if (!(missing & BIT(i)))
			continue;
		VM_BUG_ON_PAGE(memchr_inv(page_address(fresh[n]), 0, PAGE_SIZE),
			       fresh[n]);
		if (i == 0)
			slot0_set_magic(fresh[n]);
		ds->pages[i] = fresh[n++];
		install_pte(ds, i, ds->pages[i]);
		added |= BIT(i);
	}
	account_pages(ds, n);
	count_vm_events(DYNSTACK_POPULATE, n);
	return added;
}

/* Announce the slots in @added as present; ds->lock held. */
static void publish(struct dynstack *ds, unsigned int added)
{
	ds->populated_ns = local_clock();
	/*
	 * The PTEs before the bits that announce them: pairs with the
	 * acquire in dynstack_wake_park(), which reads @present without
	 * ds->lock.
	 */
	smp_store_release(&ds->present, ds->present | added);
}

/**
 * dynstack_populate - give every slot of @ds a mapped page, if the supply can
 * @ds: the stack, ds->lock held, IRQs off
 *
 * Pending pages are put back first (I3: a page whose old translation may
 * still be cached must be the one mapped there again). Fresh pages come
 * from the policy's supply and are zero-filled (I4). Never sleeps and never
 * calls the page allocator (I5).
 *
 * Return: the number of slots still without a page.
 */
unsigned int dynstack_populate(struct dynstack *ds)
{
	struct page *fresh[DYNSTACK_PAGES];
	unsigned int missing = DYNSTACK_ALL_PAGES & ~ds->present;
	unsigned int got, i, added = 0;

	lockdep_assert_held(&ds->lock);
	if (!missing)
		return 0;

	if (ds->pending & missing) {
		unsigned int back = ds->pending & missing;

		for (i = 0; i < DYNSTACK_PAGES; i++)
			if (back & BIT(i))
				install_pte(ds, i, ds->pages[i]);
		/*
		 * Their old translations may still be in a TLB until the
		 * reclaimer's flush: not detachable on Accessed=0 until then.
		 */
		ds->stale |= back;
		ds->dirty |= back;
		ds->pending &= ~back;
		added = back;
		missing &= ~back;
		count_vm_events(DYNSTACK_REINSTALL, hweight32(back));
	}
	if (missing) {
		got = supply_take(fresh, hweight32(missing));
		added |= install_fresh(ds, missing, fresh, got);
		missing &= ~added;
	}
	publish(ds, added);
	return hweight32(missing);
}

/*
 * Fill the slots @ds still lacks from @pool (*@nr pages, taken from the
 * end), ds->lock held. Returns the number of slots still without a page.
 */
unsigned int dynstack_fill(struct dynstack *ds, struct page **pool,
			   unsigned int *nr)
{
	unsigned int missing = DYNSTACK_ALL_PAGES & ~ds->present;
	unsigned int n = min(hweight32(missing), *nr);

	lockdep_assert_held(&ds->lock);
	if (!n)
		return hweight32(missing);
	*nr -= n;
	publish(ds, install_fresh(ds, missing, pool + *nr, n));
	return hweight32(DYNSTACK_ALL_PAGES & ~ds->present);
}

static void dynstack_kick_queue(void);

/*
 * All the slots @ds lacks from the exit reserve, or none; ds->lock held,
 * IRQs off. Only for a dying task. Returns true if the stack is full.
 */
static bool fill_from_reserve(struct dynstack *ds)
{
	struct page *pages[DYNSTACK_PAGES];
	unsigned int need = hweight32(DYNSTACK_ALL_PAGES & ~ds->present);

	lockdep_assert_held(&ds->lock);
	raw_spin_lock(&reserve_lock);
	if (reserve_nr < need) {
		raw_spin_unlock(&reserve_lock);
		return false;
	}
	reserve_nr -= need;
	memcpy(pages, reserve + reserve_nr, need * sizeof(*pages));
	raw_spin_unlock(&reserve_lock);
	dynstack_fill(ds, pages, &need);
	atomic_long_inc(&reserve_served);
	/* kdynstackd tops it up again. */
	dynstack_kick_queue();
	return true;
}

/*
 * The page of slot @i leaves the stack at once: it is zero-filled (I4),
 * because its PTE had Accessed=0 since it was installed, unless it came back
 * from pending with the task's old frames in it (dirty).
 */
static void slot_give_back(struct dynstack *ds, int i, struct page **out,
			   unsigned int *n)
{
	if (ds->dirty & BIT(i))
		clear_page(page_address(ds->pages[i]));
	else if (i == 0)
		slot0_clear_magic(ds->pages[i]);
	ds->dirty &= ~BIT(i);
	out[(*n)++] = ds->pages[i];
	ds->pages[i] = NULL;
}

/*
 * Take slot @i's page only if its PTE still has Accessed=0, in one
 * compare-and-exchange from the exact value read: if a page walk (an access
 * through the stack mapping, or a speculative walk on any CPU) set Accessed
 * between the read and the exchange, the exchange fails and the page stays
 * mapped. So this never creates a pending page: only the reclaimer, which
 * flushes afterwards, does (harvest_slot()). Returns true if the page went.
 */
static bool take_untouched(struct dynstack *ds, int i)
{
	pte_t *ptep = ds->ptes + i;
	pte_t old = ptep_get(ptep);

	if (!pte_present(old) || pte_young(old) || (ds->stale & BIT(i)))
		return false;
	/* I2: the PTE leaves with Accessed=0 in this atomic operation. */
	if (!try_cmpxchg(&ptep->pte, &old.pte, 0))
		return false;
	VM_BUG_ON(pte_page(old) != ds->pages[i]);
	/*
	 * Read locklessly only by the wakeup of this stack's task, which
	 * cannot happen now (see dynstack_detach()).
	 */
	WRITE_ONCE(ds->present, ds->present & ~BIT(i));
	return true;
}

/*
 * Exchange away slot @i's PTE whatever its Accessed bit (the reclaimer's
 * harvest). Returns true if the page may be reused at once (the PTE still
 * had Accessed=0: I2), false if it became pending and waits for the
 * caller's TLB flush (I3).
 */
static bool harvest_slot(struct dynstack *ds, int i)
{
	pte_t old = ptep_get_and_clear(&init_mm, slot_addr(ds, i), ds->ptes + i);

	VM_BUG_ON(!pte_present(old) || pte_page(old) != ds->pages[i]);
	WRITE_ONCE(ds->present, ds->present & ~BIT(i));
	if (!pte_young(old) && !(ds->stale & BIT(i)))
		return true;
	/* I3: touched (or possibly still cached): keep until a flush. */
	ds->pending |= BIT(i);
	return false;
}

/* Slots entirely below @sp, excluding the always-resident top page. */
static unsigned int slots_below(struct dynstack *ds, unsigned long sp)
{
	unsigned long off;

	if (sp <= ds->base)
		return 0;
	off = min(sp - ds->base, (unsigned long)THREAD_SIZE);
	return (BIT(off >> PAGE_SHIFT) - 1) & ~TOP_BIT;
}

/*
 * Of the slots in @mask, those whose page may go without a TLB flush as far
 * as a plain read can tell: present, not stale, Accessed=0. Accessed only
 * ever goes from 0 to 1 behind our back, so a page left out here could not
 * go anyway; one kept is checked again by the exchange in take_untouched().
 */
static unsigned int untouched(struct dynstack *ds, unsigned int mask)
{
	unsigned int i;

	/* Lockless at switch-out: the reclaimer may retire stale bits. */
	mask &= READ_ONCE(ds->present) & ~READ_ONCE(ds->stale);
	for (i = 0; i < DYNSTACK_PAGES; i++)
		if ((mask & BIT(i)) && pte_young(ptep_get(ds->ptes + i)))
			mask &= ~BIT(i);
	return mask;
}

/**
 * dynstack_detach - take away pages of a task that is not running
 * @ds: the stack, ds->lock held, IRQs off
 * @sp: the task's saved stack pointer; only pages wholly below it go
 * @touched: also clear pages with Accessed=1 (they become pending); only
 *	for a caller that flushes the TLB before it releases them (the
 *	reclaimer). Without it no pending page is ever created.
 * @out: receives the pages that may be reused at once (zero-filled)
 *
 * The caller guarantees the task is blocked and cannot be woken before
 * this returns: either it is the task's own switch-out (prev is off its
 * runqueue and still on_cpu, under rq->lock: its waker waits for on_cpu
 * to clear) or the task is pinned by task_call_func() (see
 * reclaim_pinned()). The wakeup fast path does not take ds->lock.
 * It also guarantees that nobody else holds the stack (I7,
 * stack_has_readers()).
 *
 * Return: the number of pages in @out.
 */
unsigned int dynstack_detach(struct dynstack *ds, unsigned long sp,
			     bool touched, struct page **out)
{
	unsigned int below = slots_below(ds, sp);
	unsigned int cand = touched ? below & ds->present : untouched(ds, below);
	unsigned int i, n = 0;

	lockdep_assert_held(&ds->lock);
	ds->last_used = DYNSTACK_PAGES - hweight32(below);
	ds->max_used = max(ds->max_used, ds->last_used);

	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!(cand & BIT(i)))
			continue;
		/* I2: A=0 and not stale when it left: no TLB has it. */
		if (touched ? harvest_slot(ds, i) : take_untouched(ds, i))
			slot_give_back(ds, i, out, &n);
	}
	account_pages(ds, -(int)n);
	if (n || ds->pending)
		ds->detached_ns = local_clock();
	return n;
}

/**
 * dynstack_release_pending - free pages kept pending, after a TLB flush
 * @ds: the stack, ds->lock held
 * @covered: the slots that were pending or stale when the caller started
 *	its flush (a snapshot taken under ds->lock before flush_tlb_all())
 * @out: receives the released pages, zeroed
 *
 * Must only be called once a global TLB flush has completed that started
 * after the PTEs of @covered were cleared (I3). Only those slots are
 * released, and only their stale state is retired: a slot whose PTE was
 * cleared after the snapshot may still be cached by some CPU, and this
 * flush says nothing about it. Pending pages are created by the reclaim
 * pass alone (dynstack_detach() with @touched), one pass at a time under
 * dynstack_policy_mutex, and a pass harvests a task at most once: a task
 * it meets again (a thread id reused by de_thread()'s exchange_tids())
 * is in its batch, whose reference makes it read as held (I7), so it is
 * left alone. So no slot of @covered is harvested a second time before
 * this release; the snapshot does not by itself protect against that.
 *
 * A slot of @covered that was reinstalled since (stale now) stays: its old
 * translation predates the flush and is gone, and the new one was installed
 * with Accessed=0, so from now on Accessed tells the truth about it.
 *
 * Return: the number of pages in @out.
 */
unsigned int dynstack_release_pending(struct dynstack *ds, unsigned int covered,
				      struct page **out)
{
	unsigned int rel = ds->pending & covered;
	unsigned int i, n = 0;

	lockdep_assert_held(&ds->lock);
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		if (!(rel & BIT(i)))
			continue;
		/* It held stack data: zero it before anyone reuses it (I4). */
		clear_page(page_address(ds->pages[i]));
		out[n++] = ds->pages[i];
		ds->pages[i] = NULL;
	}
	ds->dirty &= ~rel;
	ds->pending &= ~rel;
	/* Read locklessly by the switch-out's pre-check (untouched()). */
	WRITE_ONCE(ds->stale, ds->stale & ~covered);
	account_pages(ds, -(int)n);
	count_vm_events(DYNSTACK_RELEASE, n);
	return n;
}

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
		install_pte(ds, i, page);
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
		if (reserve_put(ds->pages[i]))
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
	if (reserve_low())
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
	 * in the NR_KERNEL_STACK_KB statistic instead (account_pages()).
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

/**
 * stack_has_readers - does anybody but @p itself hold @p's stack?
 * @p: a live task
 * @own: references the caller itself holds (try_get_task_stack())
 *
 * I7. A live task holds one reference on its own stack; every reader of
 * another task's stack in the kernel (stack_trace_save_tsk() behind
 * /proc/PID/stack, __get_wchan(), show_trace_log_lvl() behind sched_show_task()
 * and sysrq-t, the BPF stack helpers, ...; docs/design.md lists them) holds
 * another for the whole walk. A walk starts from @p->thread.sp, which is
 * stale as soon as @p runs again, and is only bounded by the stack's range,
 * so while a reader holds the stack no page of it may go.
 *
 * A reader that is not seen here started late enough to be safe: pages
 * only ever go from below the stack pointer the detaching code read, and
 * the reader reads that stack pointer (or a newer one) after its reference
 * is visible. The ordering that makes "not seen" imply "reads the new stack
 * pointer" is a store-buffering pair, each side with a full barrier:
 *
 *   reader (try_get_task_stack())       switch-out (__dynstack_switch_out())
 *   stack_refcount++                    thread.sp = sp (switch_to())
 *   smp_mb__after_atomic()              smp_mb__after_spinlock()
 *   read thread.sp, walk the stack      read stack_refcount, detach below sp
 *
 * The reclaimer reads both thread.sp and the count of a task pinned by
 * task_call_func(), after the switch-out that stored thread.sp (on_cpu
 * hand-off). That switch-out often returned before reading the count (no
 * page to take, a nap, detach off), so the reclaimer pairs with the reader
 * on its own: thread.sp was stored before the on_cpu release, and
 * reclaim_pinned() has a full barrier between its acquire of ds->lock and
 * its read of the count. A reader it does not see therefore read that same
 * thread.sp or a newer one (the task ran since: no hole left), and the
 * reclaimer only takes pages below it. A reader drops its reference with put_task_stack(), a
 * release: its loads from the stack are done before a detach sees the
 * count go down.
 *
 * Return: true if a reader holds the stack: take nothing from it now.
 */
static bool stack_has_readers(struct task_struct *p, unsigned int own)
{
	return refcount_read(&p->stack_refcount) > 1 + own;
}

/*
 * A task that must run to free memory: killed (the OOM killer's SIGKILL
 * included), exiting, or chosen as an OOM victim. Its wakeup may take the
 * exit reserve.
 */
static bool task_dying(struct task_struct *p)
{
	return fatal_signal_pending(p) || (p->flags & PF_EXITING) ||
	       tsk_is_oom_victim(p);
}

/*
 * The out-of-line part of dynstack_switch_out(): @prev blocked, is not
 * dead, has a dynamic stack the core does not keep full and did not just
 * nap.
 */
void __dynstack_switch_out(struct task_struct *prev)
{
	struct dynstack *ds = prev->dynstack;
	const struct dynstack_ops *ops;
	struct page *out[DYNSTACK_PAGES];
	unsigned int n;

	/*
	 * Without ds->lock (prev is on_cpu, so only this CPU changes which
	 * pages it has): is there anything that could go at all? Only then
	 * ask the policy and take the lock.
	 */
	if (!untouched(ds, slots_below(ds, prev->thread.sp)))
		return;
	/*
	 * A dying task is about to free memory: do not make its wakeup
	 * wait. Not only a pending fatal signal: get_signal() dequeues
	 * SIGKILL before do_exit() sets PF_EXITING, and an OOM victim may
	 * sleep in between (a core dump, a ptrace exit stop).
	 */
	if (task_dying(prev))
		return;
	ops = policy();
	if (!ops || (ops->may_detach && !ops->may_detach(prev)))
		return;
	/*
	 * prev->on_cpu is still 1 and prev->on_rq is 0: a waker spins on
	 * on_cpu before dynstack_wake_park() looks at the stack (no wakelist
	 * shortcut for it, dynstack_wake_no_shortcut()), and the reclaimer
	 * leaves on_cpu tasks alone. thread.sp was
	 * saved by switch_to(); everything below it is dead (x86-64 kernel
	 * code has no red zone).
	 */
	raw_spin_lock(&ds->lock);
	/*
	 * I7: switch_to() stored prev->thread.sp; the full barrier orders that
	 * store before the read of the stack's reference count, against
	 * try_get_task_stack()'s barrier (see stack_has_readers()). A locked
	 * instruction already is one on x86, so this costs nothing there.
	 */
	smp_mb__after_spinlock();
	if (stack_has_readers(prev, 0)) {
		raw_spin_unlock(&ds->lock);
		count_vm_event(DYNSTACK_READER);
		return;
	}
	/* I1 for prev holds trivially: it is not running any more. */
	n = dynstack_detach(ds, prev->thread.sp, false, out);
	raw_spin_unlock(&ds->lock);
	if (n) {
		count_vm_events(DYNSTACK_DETACH, n);
		supply_give(out, n);
	}
}

/* --- The waiting protocol: parked wakeups and kdynstackd ---------------- */

/*
 * Parked tasks in the order they are served: dying ones first, then first
 * come, first served. Each entry holds a reference to its task, taken when
 * it is parked and dropped when its wakeup completes. dynstack_park_lock
 * nests inside ds->lock (so inside p->pi_lock) and inside the siglock
 * (__dynstack_wake_dying()); nothing is taken under it.
 */
static LIST_HEAD(dynstack_parked_list);
static DEFINE_RAW_SPINLOCK(dynstack_park_lock);
static u64 dynstack_wait_max_ns;
static atomic_long_t dynstack_alloc_failed, dynstack_kthread_pages;

/* Test hook (KUnit): kdynstackd allocates nothing while this is set. */
bool dynstack_kthread_paused;

static struct task_struct *dynstack_kthread;
static void dynstack_kick_fn(struct irq_work *work);
static struct irq_work dynstack_kick = IRQ_WORK_INIT_HARD(dynstack_kick_fn);

/*
 * kdynstackd and the exit reserve are asked for work through an irq_work:
 * the wakeup hook runs under the woken task's pi_lock, where waking another
 * task would nest a second pi_lock.
 */
static void dynstack_kick_queue(void)
{
	irq_work_queue(&dynstack_kick);
}

/*
 * ds->lock and p->pi_lock held, IRQs off: defer @p's wakeup. Dying tasks
 * go to the head, realtime and deadline tasks right behind the dying ones
 * (the irq_work serves dying tasks at the head only, so nothing may get
 * in front of them), everyone else to the tail. The walk is bounded by
 * the number of dying tasks parked.
 */
static void park(struct dynstack *ds, struct task_struct *p, bool dying)
{
	struct list_head *pos = &dynstack_parked_list;
	struct dynstack *it;

	/* Dropped by try_complete(): a parked task is never freed. */
	get_task_struct(p);
	ds->parked_ns = local_clock();
	raw_spin_lock(&dynstack_park_lock);
	if (dying) {
		list_add(&ds->park_node, pos);
	} else if (p->prio < MAX_RT_PRIO) {
		/* it->task is alive: the list holds a reference to it. */
		list_for_each_entry(it, &dynstack_parked_list, park_node) {
			if (!task_dying(it->task))
				break;
			pos = &it->park_node;
		}
		list_add(&ds->park_node, pos);
	} else {
		list_add_tail(&ds->park_node, pos);
	}
	dynstack_nr_parked++;
	raw_spin_unlock(&dynstack_park_lock);
	count_vm_event(DYNSTACK_DEFER);
	dynstack_kick_queue();
}

/*
 * The slow path of dynstack_wake_park(), see there: p->pi_lock held, p is
 * TASK_WAKING with on_rq == 0 and on_cpu == 0, so neither the reclaimer
 * (task_call_func() takes pi_lock) nor a switch-out (p is not running)
 * can take pages from it now, and nothing else wakes it (TASK_WAKING
 * matches no wakeup state).
 */
bool __dynstack_wake_park(struct task_struct *p)
{
	struct dynstack *ds = p->dynstack;
	bool parked = false;

	lockdep_assert_held(&p->pi_lock);
	/* Lock order: p->pi_lock -> ds->lock -> dynstack_park_lock. */
	raw_spin_lock(&ds->lock);
	/* Cannot happen (a parked task is TASK_WAKING); if it did, stay parked. */
	if (WARN_ON_ONCE(!list_empty(&ds->park_node))) {
		parked = true;
		goto unlock;
	}
	if (dynstack_populate(ds)) {
		bool dying = task_dying(p);

		if (!dying || !fill_from_reserve(ds)) {
			/* Dying, then realtime and deadline tasks are served first. */
			park(ds, p, dying);
			parked = true;
		}
	}
unlock:
	raw_spin_unlock(&ds->lock);
	return parked;
}

/*
 * Complete @p's parked wakeup if its stack can be filled now: from pending
 * pages and the policy's supply, then from @pool (*@nr pages, kdynstackd's)
 * and, if @reserve and @p is dying, from the exit reserve. The caller holds
 * a reference to @p.
 *
 * Runs under p->pi_lock, as the try_to_wake_up() that parked @p held it, and
 * with ds->lock dropped before sched_ttwu_parked(), which takes a runqueue
 * lock (rq->lock nests outside ds->lock). While @p is parked nothing can
 * take its pages (it is TASK_WAKING: the reclaimer and the switch-out
 * leave it alone), so a stack found full here is full when @p is queued.
 * Every completer (kdynstackd, the irq_work, dynstack_unregister()) goes
 * through here, and whether @park_node is on the list, under p->pi_lock,
 * says who was first: the wakeup is completed exactly once.
 *
 * Return: true if @p is not parked any more (by us or before).
 */
static bool try_complete(struct task_struct *p, struct page **pool,
			 unsigned int *nr, bool reserve)
{
	struct dynstack *ds;
	unsigned int missing;
	unsigned long flags;
	bool done = false;
	u64 waited;

	raw_spin_lock_irqsave(&p->pi_lock, flags);
	/*
	 * Our reference pins the task_struct, not its stack: once another
	 * completer has let @p run, it may have exited and its stack gone
	 * to another task. A task that is still TASK_WAKING under pi_lock
	 * has not run since (it is dead only after do_task_dead() set
	 * TASK_DEAD, under pi_lock), so p->dynstack is its live stack.
	 */
	if (READ_ONCE(p->__state) != TASK_WAKING) {
		raw_spin_unlock_irqrestore(&p->pi_lock, flags);
		return true;
	}
	ds = p->dynstack;
	raw_spin_lock(&ds->lock);
	if (list_empty(&ds->park_node)) {
		raw_spin_unlock(&ds->lock);
		raw_spin_unlock_irqrestore(&p->pi_lock, flags);
		return true;
	}
	missing = dynstack_populate(ds);
	if (missing && pool)
		missing = dynstack_fill(ds, pool, nr);
	if (missing && reserve && task_dying(p) && fill_from_reserve(ds))
		missing = 0;
	if (!missing) {
		waited = local_clock() - ds->parked_ns;
		raw_spin_lock(&dynstack_park_lock);
		list_del_init(&ds->park_node);
		dynstack_nr_parked--;
		dynstack_wait_max_ns = max(dynstack_wait_max_ns, waited);
		raw_spin_unlock(&dynstack_park_lock);
		count_vm_events(DYNSTACK_WAIT_US, div_u64(waited, NSEC_PER_USEC));
		done = true;
	}
	raw_spin_unlock(&ds->lock);
	if (done)
		sched_ttwu_parked(p);
	raw_spin_unlock_irqrestore(&p->pi_lock, flags);
	if (done)
		put_task_struct(p);	/* the parked list's; the caller has one */
	return done;
}

/* The first parked task (if @dying_only, only a dying one), referenced. */
static struct task_struct *parked_head(bool dying_only)
{
	struct task_struct *p = NULL;
	struct dynstack *ds;
	unsigned long flags;

	raw_spin_lock_irqsave(&dynstack_park_lock, flags);
	ds = list_first_entry_or_null(&dynstack_parked_list, struct dynstack,
				      park_node);
	/* ds->task is alive: the list holds a reference to it. */
	if (ds && (!dying_only || task_dying(ds->task))) {
		p = ds->task;
		get_task_struct(p);
	}
	raw_spin_unlock_irqrestore(&dynstack_park_lock, flags);
	return p;
}

/*
 * Hardirq: serve the dying tasks at the head of the list from the exit
 * reserve now, without waiting for kdynstackd, which may be stuck in
 * reclaim until they have exited; then wake kdynstackd for the rest. The
 * loop ends when the reserve or the dying tasks run out (each round
 * completes one), so it is bounded by RESERVE_MAX.
 */
static void dynstack_kick_fn(struct irq_work *work)
{
	struct task_struct *p;

	while ((p = parked_head(true))) {
		bool done = try_complete(p, NULL, NULL, true);

		/* Not the last reference: a parked task is alive. */
		put_task_struct(p);
		if (!done)
			break;
	}
	if (dynstack_kthread)
		wake_up_process(dynstack_kthread);
}

/*
 * A fatal signal was sent to @t (signal_wake_up_state(), siglock held,
 * IRQs off) and @t looked TASK_WAKING: if it is parked, move it to the head
 * of the list and let the irq_work serve it from the exit reserve. A parked
 * task cannot be woken (its wakeup already succeeded), so this is how a
 * SIGKILL or the OOM killer reaches it. @t's stack cannot be freed under
 * us: a freed stack waits for an RCU grace period, and we run with IRQs off.
 */
void __dynstack_wake_dying(struct task_struct *t)
{
	struct dynstack *ds = READ_ONCE(t->dynstack);
	bool moved = false;

	if (!ds)
		return;
	raw_spin_lock(&dynstack_park_lock);
	if (!list_empty(&ds->park_node)) {
		list_move(&ds->park_node, &dynstack_parked_list);
		moved = true;
	}
	raw_spin_unlock(&dynstack_park_lock);
	if (moved)
		dynstack_kick_queue();
}

static bool kthread_has_work(void)
{
	return (READ_ONCE(dynstack_nr_parked) || reserve_low()) &&
	       !READ_ONCE(dynstack_kthread_paused);
}

/*
 * kdynstackd: completes parked wakeups with pages it allocates with
 * GFP_KERNEL (which may reclaim, and may invoke the OOM killer like any
 * allocation), and keeps the exit reserve full.
 *
 * Progress (docs/design.md): it is a kernel thread, so its stack is never
 * taken (dynstack_keeps_pages()) and it never waits for a stack page
 * itself; it holds no lock while it allocates, and a task parked on it
 * holds no lock that reclaim needs in the cases the core can see
 * (DYNSTACK_KEEP_FLAGS, journal_info). Its pool holds DYNSTACK_PAGES - 1
 * pages, the most a stack can lack, so the task at the head of the list
 * always completes once the pool is full: no task is held while it
 * allocates, and a failed allocation is retried after 10 ms for as long as
 * anything is parked. Not freezable: parked tasks hold up the freezer
 * (__set_task_frozen() skips TASK_WAKING).
 */
static int dynstack_kthread_fn(void *unused)
{
	struct page *pool[DYNSTACK_PAGES - 1];
	unsigned int nr = 0;

	for (;;) {
		struct task_struct *p;
		struct page *page;

		/* Pairs with the wakeup in dynstack_kick_fn(). */
		set_current_state(TASK_IDLE);
		if (!kthread_has_work()) {
			/* Nothing parked: the pool goes back to the allocator. */
			if (nr && !READ_ONCE(dynstack_nr_parked)) {
				__set_current_state(TASK_RUNNING);
				while (nr)
					__free_page(pool[--nr]);
				continue;
			}
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);

		p = parked_head(false);
		if (p) {
			bool done = try_complete(p, pool, &nr, true);

			put_task_struct(p);
			if (done) {
				cond_resched();
				continue;
			}
		}
		/*
		 * The head task needs more than the pool has, or the reserve
		 * is short. Only a waiting task justifies the OOM killer: a
		 * page for the reserve alone is not worth killing for
		 * (__GFP_NORETRY), and is retried.
		 */
		page = alloc_page(GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN |
				  (p ? 0 : __GFP_NORETRY));
		if (!page) {
			atomic_long_inc(&dynstack_alloc_failed);
			schedule_timeout_idle(msecs_to_jiffies(10));
			continue;
		}
		atomic_long_inc(&dynstack_kthread_pages);
		if (p && nr < ARRAY_SIZE(pool))
			pool[nr++] = page;
		else if (!reserve_put(page))
			__free_page(page);
	}
	return 0;
}

/* KUnit: hold kdynstackd's allocations back (the exit reserve still serves). */
void dynstack_kthread_pause(bool pause)
{
	WRITE_ONCE(dynstack_kthread_paused, pause);
	if (!pause)
		dynstack_kick_queue();
}

/*
 * KUnit: the calling kernel thread may lose stack pages as a user task
 * would. Its threads are no part of reclaim, so the progress argument
 * for kernel threads does not need them.
 */
void dynstack_allow_detach(struct task_struct *p)
{
	p->dynstack->test_detach = true;
}

/* Complete every parked wakeup; every stack is full (dynstack_unregister()). */
static void dynstack_complete_all(void)
{
	struct task_struct *p;

	while ((p = parked_head(false))) {
		bool done = try_complete(p, NULL, NULL, false);

		put_task_struct(p);
		if (WARN_ON_ONCE(!done))
			break;
	}
}

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
		install_pte(ds, i, ds->pages[i]);
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
		install_pte(ds, i, ds->pages[i]);
		/* As in publish(): PTE first. */
		smp_store_release(&ds->present, ds->present | BIT(i));
		account_pages(ds, 1);
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
	if (!reserve_fill()) {
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
	reserve_drain();
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

/*
 * Tasks whose touched pages wait for one flush, with the slots the flush
 * covers (dynstack_release_pending()); about 9 KiB.
 */
struct reclaim_batch {
	unsigned int nr;
	struct task_struct *tasks[1023];
	u8 covered[1023];
};

struct reclaim_one {
	bool touched;
	unsigned int n, harvested;
	bool reader;
	u8 covered;
	struct page *out[DYNSTACK_PAGES];
};

/*
 * Called by task_call_func(), with @p pinned: blocked with p->pi_lock held
 * off its wakeup (and p->on_cpu already 0), or on a runqueue with its
 * rq->lock held off schedule(). Only the first kind loses pages, and it
 * cannot be woken before we return, which is what lets
 * dynstack_wake_park() look at @present without ds->lock. IRQs are off.
 */
static int reclaim_pinned(struct task_struct *p, void *arg)
{
	struct reclaim_one *r = arg;
	struct dynstack *ds = p->dynstack;
	unsigned int before, state = READ_ONCE(p->__state);

	/*
	 * I1': only a blocked task may lose pages. Not one that is running or
	 * queued (we hold its rq->lock: it stays so), not one being woken or
	 * parked (TASK_WAKING: on a wakelist it is about to be queued without
	 * passing dynstack_wake_park() again), not a new or dead one, nor one
	 * the core keeps full or that is dying. A blocked task's state and
	 * flags are stable: we hold its pi_lock, which its wakeup needs, and
	 * only it changes its flags. Its thread.sp is the one switch_to()
	 * saved: the on_cpu hand-off (smp_store_release() in finish_task())
	 * is ordered before our locks.
	 */
	if (READ_ONCE(p->on_cpu) || READ_ONCE(p->on_rq) ||
	    state == TASK_RUNNING || state == TASK_WAKING ||
	    state == TASK_NEW || state == TASK_DEAD ||
	    dynstack_keeps_pages(p, ds) || task_dying(p))
		return 0;
	/* Lock order: p->pi_lock -> rq->lock -> ds->lock. */
	raw_spin_lock(&ds->lock);
	/*
	 * I7: order the read of the count after thread.sp's store, which
	 * came before the on_cpu release we acquired: a release/acquire
	 * chain alone does not order a store before a later load (see
	 * stack_has_readers()). Free on x86. The caller holds one
	 * reference of its own.
	 */
	smp_mb__after_spinlock();
	if (stack_has_readers(p, 1)) {
		r->reader = true;
	} else {
		before = ds->pending;
		r->n = dynstack_detach(ds, READ_ONCE(p->thread.sp), r->touched,
				       r->out);
		r->harvested = hweight32(ds->pending & ~before);
	}
	/* What the caller's flush will cover (dynstack_release_pending()). */
	r->covered = ds->pending | ds->stale;
	raw_spin_unlock(&ds->lock);
	return 0;
}

/*
 * Detach what can go from one task that is not running. Returns the slots
 * the caller's flush must cover before they are released (pending, or
 * stale), 0 if none.
 */
static u8 reclaim_task(struct task_struct *p, struct dynstack_reclaim_ctl *ctl,
		       bool touched)
{
	struct reclaim_one r = { .touched = touched };
	unsigned long flags;

	task_call_func(p, reclaim_pinned, &r);
	ctl->scanned++;
	if (r.reader) {
		ctl->readers++;
		count_vm_event(DYNSTACK_READER);
	}
	if (r.n) {
		ctl->detached += r.n;
		count_vm_events(DYNSTACK_DETACH, r.n);
		local_irq_save(flags);
		supply_give(r.out, r.n);
		local_irq_restore(flags);
	}
	if (r.harvested) {
		ctl->harvested += r.harvested;
		count_vm_events(DYNSTACK_HARVEST, r.harvested);
	}
	return r.covered;
}

/* Tasks a reclaim pass takes from the pid table at a time, under RCU. */
#define RECLAIM_CHUNK	32

/*
 * Up to RECLAIM_CHUNK candidate tasks with thread ids from *@next on, each
 * with its task_struct and stack held; *@next moves past the last one
 * looked at. Walking by thread id (the pid table is an IDR) lets the pass
 * drop RCU and reschedule between chunks and still carry on where it was.
 */
static unsigned int reclaim_chunk(struct dynstack_reclaim_ctl *ctl, pid_t *next,
				  struct task_struct **chunk)
{
	unsigned int n = 0;
	struct pid *pid;

	rcu_read_lock();
	while (n < RECLAIM_CHUNK &&
	       (pid = find_ge_pid(*next, &init_pid_ns))) {
		struct task_struct *p = pid_task(pid, PIDTYPE_PID);
		struct dynstack *ds;

		*next = pid_nr(pid) + 1;
		ds = p ? READ_ONCE(p->dynstack) : NULL;
		if (!ds || p == current || dynstack_keeps_pages(p, ds))
			continue;
		if (ctl->filter && !ctl->filter(p, ctl->data))
			continue;
		/* Keeps the stack from being freed until we are done. */
		if (!try_get_task_stack(p))
			continue;
		get_task_struct(p);
		chunk[n++] = p;
	}
	rcu_read_unlock();
	return n;
}

static void reclaim_put(struct task_struct *p)
{
	put_task_stack(p);
	put_task_struct(p);
}

/**
 * dynstack_reclaim - one pass over the tasks that are not running
 * @ctl: what to take, which tasks (@ctl->filter), and the results
 *
 * Untouched pages below each task's stack pointer are given back at once;
 * with ctl->touched, touched ones are cleared too and, after one global TLB
 * flush for the whole batch, zeroed and given back (unless the task was
 * switched in meanwhile, which puts them back first). Stacks that another
 * task is reading (I7) are left alone. Tasks are visited RECLAIM_CHUNK at a
 * time, with a rescheduling point between chunks: IRQs are off only while
 * one task is pinned. Sleeps.
 *
 * Return: 0, or -ENODEV if no policy is registered.
 */
int dynstack_reclaim(struct dynstack_reclaim_ctl *ctl)
{
	struct task_struct *chunk[RECLAIM_CHUNK];
	struct reclaim_batch *b;
	unsigned int i, n;
	pid_t next = 1;
	int ret = 0;

	b = kvzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	mutex_lock(&dynstack_policy_mutex);
	if (!rcu_access_pointer(dynstack_policy)) {
		ret = -ENODEV;
		goto out;
	}
	while ((n = reclaim_chunk(ctl, &next, chunk))) {
		for (i = 0; i < n; i++) {
			struct task_struct *p = chunk[i];
			bool touched = ctl->touched && b->nr < ARRAY_SIZE(b->tasks);
			u8 covered = reclaim_task(p, ctl, touched);

			/* Only a task in the batch can have pending pages. */
			if (covered && touched) {
				b->covered[b->nr] = covered;
				b->tasks[b->nr++] = p;
				continue;
			}
			reclaim_put(p);
		}
		cond_resched();
	}

	/* Touched pages of more tasks are left for the next pass. */
	ctl->more = ctl->touched && b->nr == ARRAY_SIZE(b->tasks);
	if (b->nr) {
		/*
		 * I3: every slot in b->covered had its PTE cleared before
		 * this flush starts (under ds->lock, which we took and
		 * dropped since), so none of them is reused before it
		 * completes, and only they are released after it.
		 */
		flush_tlb_all();
		ctl->flushes++;
	}
	for (i = 0; i < b->nr; i++) {
		struct task_struct *p = b->tasks[i];
		struct dynstack *ds = p->dynstack;
		struct page *out[DYNSTACK_PAGES];
		unsigned long flags;

		raw_spin_lock_irqsave(&ds->lock, flags);
		n = dynstack_release_pending(ds, b->covered[i], out);
		supply_give(out, n);
		raw_spin_unlock_irqrestore(&ds->lock, flags);
		ctl->released += n;
		reclaim_put(p);
		cond_resched();
	}
out:
	mutex_unlock(&dynstack_policy_mutex);
	kvfree(b);
	return ret;
}
EXPORT_SYMBOL_GPL(dynstack_reclaim);

/* A dynstack_* vmstat event summed over CPUs (also used by the KUnit suite). */
unsigned long dynstack_sum_event(enum vm_event_item item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(vm_event_states, cpu).event[item];
	return sum;
}

/* @hist[i]: live stacks holding i pages, summed over CPUs; no lock, no walk. */
static void residency_sum(unsigned long *hist)
{
	int cpu, i;

	for (i = 0; i <= DYNSTACK_PAGES; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(dynstack_by_resident[i], cpu);
		/* A stack may be counted out on one CPU before in on another. */
		hist[i] = max(sum, 0L);
	}
}

void dynstack_get_stats(struct dynstack_core_stats *st)
{
	unsigned long hist[DYNSTACK_PAGES + 1];
	int i;

	memset(st, 0, sizeof(*st));
	residency_sum(hist);
	for (i = 0; i <= DYNSTACK_PAGES; i++) {
		st->stacks += hist[i];
		st->resident_pages += i * hist[i];
	}
	st->partial = st->stacks - hist[DYNSTACK_PAGES];
	st->populated = dynstack_sum_event(DYNSTACK_POPULATE);
	st->reinstalled = dynstack_sum_event(DYNSTACK_REINSTALL);
	st->detached = dynstack_sum_event(DYNSTACK_DETACH);
	st->harvested = dynstack_sum_event(DYNSTACK_HARVEST);
	st->released = dynstack_sum_event(DYNSTACK_RELEASE);
	st->nopage = dynstack_sum_event(DYNSTACK_DEFER);
	st->readers = dynstack_sum_event(DYNSTACK_READER);
	st->parked = READ_ONCE(dynstack_nr_parked);
	st->wait_us = dynstack_sum_event(DYNSTACK_WAIT_US);
	st->wait_max_us = div_u64(READ_ONCE(dynstack_wait_max_ns), NSEC_PER_USEC);
	st->reserve_pages = READ_ONCE(reserve_nr);
	st->reserve_served = atomic_long_read(&reserve_served);
	st->alloc_failed = atomic_long_read(&dynstack_alloc_failed);
	st->kthread_pages = atomic_long_read(&dynstack_kthread_pages);
}
EXPORT_SYMBOL_GPL(dynstack_get_stats);

/**
 * dynstack_task_info - residency of the stack of the task with id @vpid
 * @vpid: a thread id in the caller's pid namespace
 * @resident: pages the stack holds now
 * @last_used: pages in use at its last switch-out
 * @max_used: high-water mark of @last_used
 *
 * The caller must have ptrace read access to the task, as /proc/PID/wchan
 * requires (there with the file's credentials, PTRACE_MODE_READ_FSCREDS;
 * here, a system call, with the caller's: PTRACE_MODE_READ_REALCREDS, as
 * kcmp() and process_vm_readv() use). Page counts tell less than wchan's
 * symbol; /proc/PID/stack, with whole call chains, needs CAP_SYS_ADMIN.
 *
 * Return: 0, -ESRCH (no such task or it is exiting), -EPERM, or -ENODATA
 * (a stack dynstack does not manage, like the boot CPU's idle task).
 */
int dynstack_task_info(pid_t vpid, unsigned int *resident,
		       unsigned int *last_used, unsigned int *max_used)
{
	struct task_struct *tsk;
	struct dynstack *ds;
	unsigned long flags;
	int err = 0;

	rcu_read_lock();
	tsk = find_task_by_vpid(vpid);
	if (tsk)
		get_task_struct(tsk);
	rcu_read_unlock();
	if (!tsk)
		return -ESRCH;
	if (!ptrace_may_access(tsk, PTRACE_MODE_READ_REALCREDS)) {
		err = -EPERM;
		goto put_task;
	}
	if (!try_get_task_stack(tsk)) {
		err = -ESRCH;
		goto put_task;
	}
	ds = tsk->dynstack;
	if (ds) {
		raw_spin_lock_irqsave(&ds->lock, flags);
		*resident = ds->nr_resident;
		*last_used = ds->last_used;
		*max_used = ds->max_used;
		raw_spin_unlock_irqrestore(&ds->lock, flags);
	} else {
		err = -ENODATA;
	}
	put_task_stack(tsk);
put_task:
	put_task_struct(tsk);
	return err;
}
EXPORT_SYMBOL_GPL(dynstack_task_info);

void dynstack_residency_histogram(unsigned long *hist)
{
	residency_sum(hist);
}
EXPORT_SYMBOL_GPL(dynstack_residency_histogram);

/* Call @fn on every live stack, under its lock, until it returns false. */
void dynstack_visit_stacks(dynstack_visit_t fn, void *data)
{
	struct dynstack *ds;
	bool more = true;

	spin_lock(&dynstack_all_lock);
	list_for_each_entry(ds, &dynstack_all, list) {
		raw_spin_lock_irq(&ds->lock);
		more = fn(ds, data);
		raw_spin_unlock_irq(&ds->lock);
		if (!more)
			break;
	}
	spin_unlock(&dynstack_all_lock);
}

static ssize_t core_stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct dynstack_core_stats st;

	dynstack_get_stats(&st);
	return sysfs_emit(buf,
			  "stacks %lu\npartial %lu\nresident_pages %lu\npopulated %lu\nreinstalled %lu\ndetached %lu\nharvested %lu\nreleased %lu\nnopage %lu\nreaders %lu\nparked %lu\nwait_us %lu\nwait_max_us %lu\nreserve_pages %lu\nreserve_served %lu\nalloc_failed %lu\nkthread_pages %lu\npolicy %s\n",
			  st.stacks, st.partial, st.resident_pages, st.populated,
			  st.reinstalled, st.detached, st.harvested, st.released,
			  st.nopage, st.readers, st.parked, st.wait_us,
			  st.wait_max_us, st.reserve_pages, st.reserve_served,
			  st.alloc_failed, st.kthread_pages,
			  static_key_enabled(&dynstack_switch_key) ? "registered" : "none");
}
static struct kobj_attribute core_stats_attr = __ATTR_RO(core_stats);

void __init dynstack_init(void)
{
	cpuhp_setup_state(CPUHP_BP_PREPARE_DYN, "fork:dynstack_cache",
			  NULL, dynstack_cache_drain);
}

/*
 * kdynstackd and the exit reserve exist from boot, before any policy can
 * register (dynstack_register() refuses without them), so that no task is
 * ever parked without someone to complete its wakeup.
 */
static int __init dynstack_late_init(void)
{
	struct task_struct *t;

	reserve_size = clamp_t(unsigned int, (DYNSTACK_PAGES - 1) * nr_cpu_ids,
			       DYNSTACK_PAGES - 1, RESERVE_MAX);
	t = kthread_run(dynstack_kthread_fn, NULL, "kdynstackd");
	if (IS_ERR(t)) {
		pr_err("cannot start kdynstackd: no policy can register\n");
	} else {
		/* Above every normal task: parked tasks are served first. */
		sched_set_fifo_low(t);
		WRITE_ONCE(dynstack_kthread, t);
	}

	dynstack_kobj = kobject_create_and_add("dynstack", mm_kobj);
	if (!dynstack_kobj)
		return -ENOMEM;
	return sysfs_create_file(dynstack_kobj, &core_stats_attr.attr);
}
subsys_initcall(dynstack_late_init);
