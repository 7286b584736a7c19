// SPDX-License-Identifier: GPL-2.0
/*
 * The page-slot protocol: how a page enters a stack's slot (populate, fill,
 * publish) and how it leaves (detach of untouched pages, harvest of touched
 * ones into pending, release after a flush). Everything the invariants
 * I1-I4 in internal.h are about happens here, under ds->lock; proof/
 * dynstack.pml models these functions one for one.
 */
#include "internal.h"

/*
 * Live stacks by the number of pages they hold, per CPU: a stack moves from
 * one bucket to the next in dynstack_account_pages(). Only the sums over CPUs mean
 * anything; they give the number of stacks, the resident pages and the
 * residency histogram without walking dynstack_all.
 */
DEFINE_PER_CPU(long, dynstack_by_resident[DYNSTACK_PAGES + 1]);

void dynstack_install_pte(struct dynstack *ds, int i, struct page *page)
{
	/* P 0->1 needs no TLB invalidation (SDM 4.10.4.3). */
	set_pte_at(&init_mm, slot_addr(ds, i), ds->ptes + i,
		   mk_pte(page, dynstack_prot()));
}

/* Called under ds->lock (or before the stack is visible). */
void dynstack_account_pages(struct dynstack *ds, int nr)
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

/*
 * Page supply for wakeups: the policy's, and nothing else. The page
 * allocator is never called with IRQs off here (I5): when the policy has
 * nothing, the task waits for kdynstackd, which may sleep for pages.
 */
unsigned int dynstack_supply_take(struct page **pages, unsigned int nr)
{
	const struct dynstack_ops *ops = policy();

	return ops ? ops->take_pages(pages, nr) : 0;
}

void dynstack_supply_give(struct page **pages, unsigned int nr)
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
		dynstack_install_pte(ds, i, ds->pages[i]);
		added |= BIT(i);
	}
	dynstack_account_pages(ds, n);
	count_vm_events(DYNSTACK_POPULATE, n);
	return added;
}

/* Announce the slots in @added as present; ds->lock held. */
void dynstack_publish(struct dynstack *ds, unsigned int added)
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
				dynstack_install_pte(ds, i, ds->pages[i]);
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
		got = dynstack_supply_take(fresh, hweight32(missing));
		added |= install_fresh(ds, missing, fresh, got);
		missing &= ~added;
	}
	dynstack_publish(ds, added);
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
	dynstack_publish(ds, install_fresh(ds, missing, pool + *nr, n));
	return hweight32(DYNSTACK_ALL_PAGES & ~ds->present);
}

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
unsigned int dynstack_slots_below(struct dynstack *ds, unsigned long sp)
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
unsigned int dynstack_untouched(struct dynstack *ds, unsigned int mask)
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
 * dynstack_has_readers()).
 *
 * Return: the number of pages in @out.
 */
unsigned int dynstack_detach(struct dynstack *ds, unsigned long sp,
			     bool touched, struct page **out)
{
	unsigned int below = dynstack_slots_below(ds, sp);
	unsigned int cand = touched ? below & ds->present : dynstack_untouched(ds, below);
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
	dynstack_account_pages(ds, -(int)n);
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
	/* Read locklessly by the switch-out's pre-check (dynstack_untouched()). */
	WRITE_ONCE(ds->stale, ds->stale & ~covered);
	dynstack_account_pages(ds, -(int)n);
	count_vm_events(DYNSTACK_RELEASE, n);
	return n;
}
