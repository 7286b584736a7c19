// SPDX-License-Identifier: GPL-2.0
/*
 * The exit reserve: a few zero-filled pages kept for the wakeups of dying
 * tasks only, so that a task killed to free memory can run and exit while
 * kdynstackd waits in reclaim for memory that task holds.
 */
#include "internal.h"


/*
 * The exit reserve: zero-filled pages kept for the wakeups of dying tasks
 * only (dynstack_task_dying()), so that a task killed to free memory runs, exits and
 * frees it even while kdynstackd is stuck in reclaim waiting for that very
 * memory. Refilled first from the pages of freed stacks (dynstack_destroy()),
 * so its pages recirculate among dying tasks, and by kdynstackd. A wakeup
 * takes all the pages it needs or none. It exists only while a policy is
 * registered (without one no stack lacks a page, I6). reserve_lock is a
 * leaf: it nests inside ds->lock.
 */

static struct page *reserve[RESERVE_MAX];
/* reserve_target is reserve_size while a policy is registered, else 0. */
unsigned int dynstack_reserve_nr;
static unsigned int reserve_target, reserve_size;
static DEFINE_RAW_SPINLOCK(reserve_lock);
atomic_long_t dynstack_reserve_served;

bool dynstack_reserve_low(void)
{
	return READ_ONCE(dynstack_reserve_nr) < READ_ONCE(reserve_target);
}

/* Unregistering: no reserve without a policy; free its pages. */
void dynstack_reserve_drain(void)
{
	struct page *pages[RESERVE_MAX];
	unsigned int n;

	raw_spin_lock_irq(&reserve_lock);
	WRITE_ONCE(reserve_target, 0);
	n = dynstack_reserve_nr;
	memcpy(pages, reserve, n * sizeof(*pages));
	WRITE_ONCE(dynstack_reserve_nr, 0);
	raw_spin_unlock_irq(&reserve_lock);
	while (n)
		__free_page(pages[--n]);
}

/* Keep @page (any content) in the reserve if it is short; true if kept. */
bool dynstack_reserve_put(struct page *page)
{
	unsigned long flags;
	bool kept = false;

	if (!dynstack_reserve_low())
		return false;
	clear_page(page_address(page));		/* I4 */
	raw_spin_lock_irqsave(&reserve_lock, flags);
	if (dynstack_reserve_nr < reserve_target) {
		reserve[dynstack_reserve_nr++] = page;
		kept = true;
	}
	raw_spin_unlock_irqrestore(&reserve_lock, flags);
	return kept;
}

/*
 * Registering: fill the reserve to its size with GFP_KERNEL (sleeps).
 * Returns false, with the reserve drained, if memory is short.
 */
bool dynstack_reserve_fill(void)
{
	struct page *page;

	WRITE_ONCE(reserve_target, reserve_size);
	while (dynstack_reserve_low()) {
		page = alloc_page(GFP_KERNEL | __GFP_NOWARN);
		if (!page) {
			dynstack_reserve_drain();
			return false;
		}
		if (!dynstack_reserve_put(page))
			__free_page(page);
	}
	return true;
}

/*
 * Map @got fresh zero-filled pages from @fresh into the lowest of the slots
 * in @missing (I4), ds->lock held. Returns the slots filled; the caller
 * publishes them in @present.
 */


/*
 * All the slots @ds lacks from the exit reserve, or none; ds->lock held,
 * IRQs off. Only for a dying task. Returns true if the stack is full.
 */
bool dynstack_fill_from_reserve(struct dynstack *ds)
{
	struct page *pages[DYNSTACK_PAGES];
	unsigned int need = hweight32(DYNSTACK_ALL_PAGES & ~ds->present);

	lockdep_assert_held(&ds->lock);
	raw_spin_lock(&reserve_lock);
	if (dynstack_reserve_nr < need) {
		raw_spin_unlock(&reserve_lock);
		return false;
	}
	dynstack_reserve_nr -= need;
	memcpy(pages, reserve + dynstack_reserve_nr, need * sizeof(*pages));
	raw_spin_unlock(&reserve_lock);
	dynstack_fill(ds, pages, &need);
	atomic_long_inc(&dynstack_reserve_served);
	/* kdynstackd tops it up again. */
	dynstack_kick_queue();
	return true;
}

/*
 * The page of slot @i leaves the stack at once: it is zero-filled (I4),
 * because its PTE had Accessed=0 since it was installed, unless it came back
 * from pending with the task's old frames in it (dirty).
 */

/* One stack's worth of pages per CPU, within [DYNSTACK_PAGES - 1, RESERVE_MAX]. */
static int __init dynstack_reserve_init(void)
{
	reserve_size = clamp_t(unsigned int, (DYNSTACK_PAGES - 1) * nr_cpu_ids,
			     DYNSTACK_PAGES - 1, RESERVE_MAX);
	return 0;
}
subsys_initcall(dynstack_reserve_init);
