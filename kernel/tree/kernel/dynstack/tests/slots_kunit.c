// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the page-slot protocol (kernel/dynstack/slots.c) and of
 * stack accounting (stack.c).
 *
 * Every case works on stacks that belong to no task, so every state
 * transition can be driven and checked directly: partial creation,
 * population, detaching of untouched pages, pending pages and their
 * reinstall, release after a flush, and the accounting of each step.
 */
#include <kunit/test.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/string.h>
#include <linux/completion.h>
#include <linux/vmstat.h>
#include <linux/signal.h>
#include <linux/sched/signal.h>
#include <asm/tlbflush.h>

#include "../internal.h"

#define TOP	(1U << DYNSTACK_TOP)

/* A stack pointer in the top page, as a shallow sleeping task has. */
static unsigned long top_sp(struct dynstack *ds)
{
	return ds->base + THREAD_SIZE - 256;
}

static pte_t slot_pte(struct dynstack *ds, int i)
{
	return ptep_get(ds->ptes + i);
}

static void touch(struct dynstack *ds, int i, unsigned long val)
{
	/* Through the stack mapping: sets Accessed (and Dirty) on slot i. */
	WRITE_ONCE(*(unsigned long *)(ds->base + i * PAGE_SIZE + 64), val);
}

static unsigned long peek(struct dynstack *ds, int i)
{
	/* Through the direct map: leaves slot i's Accessed bit alone. */
	return *(unsigned long *)(page_address(ds->pages[i]) + 64);
}

static void free_out(struct page **out, unsigned int n)
{
	while (n--)
		__free_page(out[n]);
}

/*
 * What the reclaimer does around its flush: snapshot the slots the flush
 * will cover, flush, release only those.
 */
static unsigned int flush_and_release(struct dynstack *ds, struct page **out)
{
	unsigned int covered, n;

	raw_spin_lock_irq(&ds->lock);
	covered = ds->pending | ds->stale;
	raw_spin_unlock_irq(&ds->lock);
	flush_tlb_all();
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_release_pending(ds, covered, out);
	raw_spin_unlock_irq(&ds->lock);
	return n;
}

/*
 * What a wakeup and then kdynstackd do: pending pages back and the policy's
 * supply (none here), then fresh pages for the rest. Returns the slots
 * still missing.
 */
static unsigned int populate_all(struct kunit *test, struct dynstack *ds)
{
	struct page *pages[DYNSTACK_PAGES];
	unsigned int nr, left;

	for (nr = 0; nr < DYNSTACK_PAGES; nr++) {
		pages[nr] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[nr]);
	}
	raw_spin_lock_irq(&ds->lock);
	left = dynstack_populate(ds);
	if (left)
		left = dynstack_fill(ds, pages, &nr);
	raw_spin_unlock_irq(&ds->lock);
	free_out(pages, nr);
	return left;
}

static struct dynstack *create(struct kunit *test, unsigned int nr)
{
	struct dynstack *ds = dynstack_create(NUMA_NO_NODE, nr);

	KUNIT_ASSERT_NOT_NULL(test, ds);
	return ds;
}

static void dynstack_test_partial_create(struct kunit *test)
{
	struct dynstack *ds = create(test, 1);
	int i;

	KUNIT_EXPECT_EQ(test, ds->base & (THREAD_ALIGN - 1), 0UL);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->present, TOP);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->nr_resident, 1U);
	for (i = 0; i < DYNSTACK_TOP; i++)
		KUNIT_EXPECT_TRUE(test, pte_none(slot_pte(ds, i)));
	/* Installed with Accessed=0 and Dirty=0, never touched since. */
	KUNIT_EXPECT_TRUE(test, pte_present(slot_pte(ds, DYNSTACK_TOP)));
	KUNIT_EXPECT_FALSE(test, pte_young(slot_pte(ds, DYNSTACK_TOP)));
	KUNIT_EXPECT_FALSE(test, pte_dirty(slot_pte(ds, DYNSTACK_TOP)));
	dynstack_destroy(ds);
}

static void dynstack_test_populate(struct kunit *test)
{
	struct dynstack *ds = create(test, 1);
	unsigned int left;
	int i;

	/* No policy: the supply has nothing, and the wakeup would park. */
	raw_spin_lock_irq(&ds->lock);
	left = dynstack_populate(ds);
	raw_spin_unlock_irq(&ds->lock);
	KUNIT_EXPECT_EQ(test, left, (unsigned int)DYNSTACK_PAGES - 1);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->present, TOP);

	left = populate_all(test, ds);
	KUNIT_EXPECT_EQ(test, left, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->present, DYNSTACK_ALL_PAGES);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->nr_resident, (unsigned int)DYNSTACK_PAGES);
	for (i = 0; i < DYNSTACK_PAGES; i++) {
		void *p = page_address(ds->pages[i]);

		KUNIT_EXPECT_FALSE(test, pte_young(slot_pte(ds, i)));
		KUNIT_EXPECT_PTR_EQ(test, pte_page(slot_pte(ds, i)), ds->pages[i]);
		/* I4: zero-filled; slot 0 carries only the canary. */
		if (i == 0) {
			KUNIT_EXPECT_EQ(test, *(unsigned long *)p, STACK_END_MAGIC);
			p += sizeof(unsigned long);
		}
		KUNIT_EXPECT_NULL(test, memchr_inv(p, 0, page_address(ds->pages[i]) +
						   PAGE_SIZE - p));
	}
	dynstack_destroy(ds);
}

/* I2: only Accessed=0 pages go, and they go zero-filled. */
static void dynstack_test_detach_untouched(struct kunit *test)
{
	struct dynstack *ds = create(test, DYNSTACK_PAGES);
	struct page *out[DYNSTACK_PAGES];
	unsigned int n;
	int i;

	touch(ds, 2, 0xfeed);
	KUNIT_EXPECT_TRUE(test, pte_young(slot_pte(ds, 2)));

	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), false, out);
	raw_spin_unlock_irq(&ds->lock);

	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->present, TOP | BIT(2));
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->nr_resident, 2U);
	KUNIT_EXPECT_TRUE(test, pte_none(slot_pte(ds, 0)));
	KUNIT_EXPECT_TRUE(test, pte_none(slot_pte(ds, 1)));
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_NULL(test, memchr_inv(page_address(out[i]), 0, PAGE_SIZE));
	free_out(out, n);

	/*
	 * A touched page is never taken by the Accessed=0 path, and that
	 * path never leaves a pending page (only the reclaimer, which
	 * flushes, may).
	 */
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), false, out);
	raw_spin_unlock_irq(&ds->lock);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, 0U);
	KUNIT_EXPECT_TRUE(test, pte_present(slot_pte(ds, 2)));
	KUNIT_EXPECT_EQ(test, peek(ds, 2), 0xfeedUL);
	dynstack_destroy(ds);
}

/* Nothing at or above the saved stack pointer is taken. */
static void dynstack_test_respects_sp(struct kunit *test)
{
	struct dynstack *ds = create(test, DYNSTACK_PAGES);
	struct page *out[DYNSTACK_PAGES];
	unsigned int n;

	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, ds->base + PAGE_SIZE + 100, true, out);
	raw_spin_unlock_irq(&ds->lock);
	KUNIT_EXPECT_EQ(test, n, 1U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->present, DYNSTACK_ALL_PAGES & ~1U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->last_used, (unsigned int)DYNSTACK_PAGES - 1);
	free_out(out, n);

	/* An sp below the stack (corrupt) takes nothing. */
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, ds->base - 8, true, out);
	raw_spin_unlock_irq(&ds->lock);
	KUNIT_EXPECT_EQ(test, n, 0U);
	dynstack_destroy(ds);
}

/* I3: a touched page is kept pending and the same page comes back. */
static void dynstack_test_pending_reinstall(struct kunit *test)
{
	struct dynstack *ds = create(test, DYNSTACK_PAGES);
	struct page *out[DYNSTACK_PAGES], *page1 = ds->pages[1];
	unsigned int n;

	touch(ds, 1, 0x5a5a);
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), true, out);
	raw_spin_unlock_irq(&ds->lock);
	free_out(out, n);

	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, (unsigned int)BIT(1));
	KUNIT_EXPECT_TRUE(test, pte_none(slot_pte(ds, 1)));
	/* Still held: it counts as resident until released. */
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->nr_resident, 2U);

	KUNIT_EXPECT_EQ(test, populate_all(test, ds), 0U);
	KUNIT_EXPECT_PTR_EQ(test, ds->pages[1], page1);
	KUNIT_EXPECT_EQ(test, peek(ds, 1), 0x5a5aUL);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->stale, (unsigned int)BIT(1));
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, 0U);
	KUNIT_EXPECT_FALSE(test, pte_young(slot_pte(ds, 1)));

	/*
	 * Reinstalled before any flush, its Accessed=0 proves nothing: the
	 * old translation may still be cached. Only the fresh pages go.
	 */
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), false, out);
	raw_spin_unlock_irq(&ds->lock);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_TRUE(test, pte_present(slot_pte(ds, 1)));
	free_out(out, n);
	dynstack_destroy(ds);
}

/*
 * I4: a page reinstalled from pending holds the task's data with
 * Accessed=0; once the flush made it detachable again, it must leave zeroed.
 */
static void dynstack_test_reinstalled_leaves_zeroed(struct kunit *test)
{
	struct dynstack *ds = create(test, DYNSTACK_PAGES);
	struct page *out[DYNSTACK_PAGES], *page1 = ds->pages[1];
	unsigned int n, i;
	bool found = false;

	touch(ds, 1, 0xdead);
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), true, out);
	raw_spin_unlock_irq(&ds->lock);
	free_out(out, n);
	populate_all(test, ds);
	KUNIT_EXPECT_EQ(test, peek(ds, 1), 0xdeadUL);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->dirty, (unsigned int)BIT(1));

	/* The flush that retires the stale state (nothing pending now). */
	n = flush_and_release(ds, out);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->stale, 0U);

	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), false, out);
	raw_spin_unlock_irq(&ds->lock);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_NULL(test, memchr_inv(page_address(out[i]), 0, PAGE_SIZE));
		found |= out[i] == page1;
	}
	KUNIT_EXPECT_TRUE(test, found);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->dirty, 0U);
	free_out(out, n);
	dynstack_destroy(ds);
}

static void dynstack_test_release_after_flush(struct kunit *test)
{
	struct dynstack *ds = create(test, DYNSTACK_PAGES);
	struct page *out[DYNSTACK_PAGES];
	unsigned int n;

	touch(ds, 1, 0x1234);
	touch(ds, 2, 0x5678);
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), true, out);
	raw_spin_unlock_irq(&ds->lock);
	free_out(out, n);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, (unsigned int)(BIT(1) | BIT(2)));

	n = flush_and_release(ds, out);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->stale, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->present, TOP);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->nr_resident, 1U);
	/* I4: they held data; they leave zeroed. */
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(out[0]), 0, PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(out[1]), 0, PAGE_SIZE));
	free_out(out, n);
	dynstack_destroy(ds);
}

/*
 * I3 with a flush per batch: a slot whose PTE was cleared after the
 * reclaimer took its snapshot (so after its flush may have started) is not
 * released by that flush, and keeps its stale state.
 */
static void dynstack_test_release_covered_only(struct kunit *test)
{
	struct dynstack *ds = create(test, DYNSTACK_PAGES);
	struct page *out[DYNSTACK_PAGES], *page0;
	unsigned int covered, n;

	touch(ds, 1, 0x1111);
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, ds->base + 2 * PAGE_SIZE, true, out);
	covered = ds->pending | ds->stale;
	raw_spin_unlock_irq(&ds->lock);
	free_out(out, n);
	KUNIT_EXPECT_EQ(test, covered, (unsigned int)BIT(1));

	/*
	 * Before the flush: the task runs (slot 1 comes back stale, slot 0
	 * fresh), touches slot 0 and sleeps, and slot 0 is harvested.
	 */
	populate_all(test, ds);
	page0 = ds->pages[0];
	touch(ds, 0, 0x2222);
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, ds->base + PAGE_SIZE, true, out);
	raw_spin_unlock_irq(&ds->lock);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, (unsigned int)BIT(0));

	flush_tlb_all();
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_release_pending(ds, covered, out);
	raw_spin_unlock_irq(&ds->lock);
	/* Slot 1 is no longer pending, slot 0 was not covered: nothing goes. */
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->pending, (unsigned int)BIT(0));
	KUNIT_EXPECT_PTR_EQ(test, ds->pages[0], page0);
	/* Slot 1's old translation is gone with the flush; it is not stale. */
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->stale, 0U);

	/* The next batch covers slot 0. */
	n = flush_and_release(ds, out);
	KUNIT_EXPECT_EQ(test, n, 1U);
	KUNIT_EXPECT_PTR_EQ(test, out[0], page0);
	KUNIT_EXPECT_NULL(test, memchr_inv(page_address(out[0]), 0, PAGE_SIZE));
	free_out(out, n);
	dynstack_destroy(ds);
}

/* Every step moves the accounted pages by exactly what it moved. */
static void dynstack_test_accounting(struct kunit *test)
{
	struct dynstack *ds = create(test, 1);
	struct page *out[DYNSTACK_PAGES];
	unsigned int n;

	dynstack_set_accounted(ds, true);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->accounted_pages, 1U);

	populate_all(test, ds);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->accounted_pages, 4U);

	touch(ds, 1, 1);
	raw_spin_lock_irq(&ds->lock);
	n = dynstack_detach(ds, top_sp(ds), true, out);
	raw_spin_unlock_irq(&ds->lock);
	free_out(out, n);
	KUNIT_EXPECT_EQ(test, n, 2U);
	/* The pending page is still accounted: it is still held. */
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->accounted_pages, 2U);

	n = flush_and_release(ds, out);
	free_out(out, n);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->accounted_pages, 1U);

	dynstack_set_accounted(ds, false);
	KUNIT_EXPECT_EQ(test, (unsigned int)ds->accounted_pages, 0U);
	dynstack_destroy(ds);
}

static struct kunit_case dynstack_slots_cases[] = {
	KUNIT_CASE(dynstack_test_partial_create),
	KUNIT_CASE(dynstack_test_populate),
	KUNIT_CASE(dynstack_test_detach_untouched),
	KUNIT_CASE(dynstack_test_respects_sp),
	KUNIT_CASE(dynstack_test_pending_reinstall),
	KUNIT_CASE(dynstack_test_reinstalled_leaves_zeroed),
	KUNIT_CASE(dynstack_test_release_after_flush),
	KUNIT_CASE(dynstack_test_release_covered_only),
	KUNIT_CASE(dynstack_test_accounting),
	{}
};

static struct kunit_suite dynstack_slots_suite = {
	.name = "dynstack_slots",
	.test_cases = dynstack_slots_cases,
};
kunit_test_suite(dynstack_slots_suite);
