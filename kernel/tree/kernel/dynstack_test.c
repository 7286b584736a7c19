// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the dynamic-stack core (kernel/dynstack.c).
 *
 * The first cases work on stacks that belong to no task, so every state
 * transition can be driven and checked directly: partial creation,
 * population, detaching of untouched pages, pending pages and their
 * reinstall, release after a flush, and the accounting of each step.
 * The last cases register a real policy with the scheduler hooks and
 * check invariants I1 (a running task has its whole stack) and I6
 * (nothing is missing once the policy is gone) on live tasks, what
 * the switch-out hook's settings (dynstack_configure()) do to a
 * ping-pong pair, and the waiting protocol: a wakeup the supply cannot
 * serve is parked, completed exactly once by kdynstackd, by a fatal
 * signal from the exit reserve, or by unregistering the policy.
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

#include "dynstack_internal.h"

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

/* --- A real policy on live tasks --------------------------------------- */

static DEFINE_RAW_SPINLOCK(pool_lock);
static LIST_HEAD(pool);

static unsigned int pool_take(struct page **pages, unsigned int nr)
{
	unsigned int n = 0;

	raw_spin_lock(&pool_lock);
	while (n < nr && !list_empty(&pool)) {
		pages[n] = list_first_entry(&pool, struct page, lru);
		list_del(&pages[n++]->lru);
	}
	raw_spin_unlock(&pool_lock);
	return n;
}

static void pool_give(struct page **pages, unsigned int nr)
{
	raw_spin_lock(&pool_lock);
	while (nr--)
		list_add(&pages[nr]->lru, &pool);
	raw_spin_unlock(&pool_lock);
}

static const struct dynstack_ops test_ops = {
	.name = "kunit",
	.take_pages = pool_take,
	.give_pages = pool_give,
};

struct i1_state {
	atomic_t violations;
	atomic_t corrupt;
	atomic_t rounds;
	bool stop;
};

/* Sleep with a frame that reaches well into the stack's second page. */
static noinline void deep_sleep(struct i1_state *st, int depth)
{
	unsigned long buf[96];
	int i;

	for (i = 0; i < ARRAY_SIZE(buf); i++)
		buf[i] = i ^ depth;
	/* Make the compiler keep buf on the stack and read it back. */
	barrier_data(buf);
	if (depth)
		deep_sleep(st, depth - 1);
	else
		usleep_range(1000, 2000);
	barrier_data(buf);
	for (i = 0; i < ARRAY_SIZE(buf); i++)
		if (buf[i] != (i ^ depth))
			atomic_inc(&st->corrupt);
}

static int i1_thread(void *arg)
{
	struct i1_state *st = arg;
	struct dynstack *ds = current->dynstack;

	dynstack_allow_detach(current);
	while (!READ_ONCE(st->stop)) {
		/* I1: we are running, so every page must be there. */
		if (data_race(ds->present) != DYNSTACK_ALL_PAGES)
			atomic_inc(&st->violations);
		if (atomic_inc_return(&st->rounds) & 1)
			deep_sleep(st, 10);
		else
			usleep_range(500, 1000);
	}
	return 0;
}

static bool check_full(struct dynstack *ds, void *data)
{
	unsigned int *bad = data;

	if (ds->present != DYNSTACK_ALL_PAGES || ds->pending)
		(*bad)++;
	return true;
}

static void dynstack_test_policy_live(struct kunit *test)
{
	struct dynstack_reclaim_ctl ctl = { .touched = true };
	struct dynstack_core_stats before, after;
	struct task_struct *t[2];
	struct i1_state st = {};
	struct page *page, *tmp;
	unsigned int bad = 0;
	int i;

	for (i = 0; i < 256; i++) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, page);
		list_add(&page->lru, &pool);
	}
	dynstack_get_stats(&before);
	KUNIT_ASSERT_EQ(test, dynstack_register(&test_ops), 0);
	KUNIT_EXPECT_EQ(test, dynstack_register(&test_ops), -EBUSY);

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		t[i] = kthread_run(i1_thread, &st, "dynstack-i1/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
		get_task_struct(t[i]);
	}
	/* Let them switch often, and reclaim under their feet. */
	for (i = 0; i < 50; i++) {
		usleep_range(4000, 5000);
		KUNIT_EXPECT_EQ(test, dynstack_reclaim(&ctl), 0);
	}
	WRITE_ONCE(st.stop, true);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		kthread_stop(t[i]);
		put_task_struct(t[i]);
	}
	dynstack_get_stats(&after);
	dynstack_unregister(&test_ops);

	KUNIT_EXPECT_EQ(test, atomic_read(&st.violations), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&st.corrupt), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&st.rounds), 20);
	/* The hooks really ran: pages went away and came back. */
	KUNIT_EXPECT_GT(test, after.detached, before.detached);
	KUNIT_EXPECT_GT(test, after.populated, before.populated);
	KUNIT_EXPECT_GT(test, ctl.scanned, 0UL);
	KUNIT_EXPECT_EQ(test, after.nopage, before.nopage);

	/* I6: no stack is missing a page, and the hooks are off. */
	dynstack_visit_stacks(check_full, &bad);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&dynstack_switch_key));
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&dynstack_detach_key));
	KUNIT_EXPECT_EQ(test, dynstack_reclaim(&ctl), -ENODEV);

	list_for_each_entry_safe(page, tmp, &pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/* --- I7: a stack somebody reads loses nothing ---------------------------- */

struct deep_then_wait {
	struct i1_state st;
	struct completion slept, go;
};

static int deep_then_wait_thread(void *arg)
{
	struct deep_then_wait *d = arg;

	dynstack_allow_detach(current);
	/* Touch the stack's low pages, then sleep with a shallow stack. */
	deep_sleep(&d->st, 10);
	complete(&d->slept);
	wait_for_completion(&d->go);
	return 0;
}

static unsigned int resident_of(struct task_struct *t)
{
	unsigned int nr;

	raw_spin_lock_irq(&t->dynstack->lock);
	nr = t->dynstack->nr_resident;
	raw_spin_unlock_irq(&t->dynstack->lock);
	return nr;
}

static void dynstack_test_reader_keeps_pages(struct kunit *test)
{
	struct dynstack_reclaim_ctl ctl = { .touched = true };
	struct deep_then_wait d = {};
	struct page *page, *tmp;
	unsigned int before;
	struct task_struct *t;
	int i;

	for (i = 0; i < 64; i++) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, page);
		list_add(&page->lru, &pool);
	}
	init_completion(&d.slept);
	init_completion(&d.go);
	KUNIT_ASSERT_EQ(test, dynstack_register(&test_ops), 0);
	t = kthread_run(deep_then_wait_thread, &d, "dynstack-reader");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	wait_for_completion(&d.slept);
	usleep_range(2000, 3000);

	/* Held by a reader: the reclaim pass leaves it alone. */
	KUNIT_ASSERT_NOT_NULL(test, try_get_task_stack(t));
	before = resident_of(t);
	KUNIT_EXPECT_EQ(test, dynstack_reclaim(&ctl), 0);
	KUNIT_EXPECT_EQ(test, resident_of(t), before);
	KUNIT_EXPECT_GE(test, ctl.readers, 1UL);
	put_task_stack(t);

	/* Released: its dead pages go (it touched at least two). */
	memset(&ctl, 0, sizeof(ctl));
	ctl.touched = true;
	KUNIT_EXPECT_EQ(test, dynstack_reclaim(&ctl), 0);
	KUNIT_EXPECT_LT(test, resident_of(t), before);
	KUNIT_EXPECT_EQ(test, resident_of(t), 1U);
	kunit_info(test, "resident pages: %u while held, %u after\n", before,
		   resident_of(t));

	complete(&d.go);
	kthread_stop(t);
	put_task_struct(t);
	dynstack_unregister(&test_ops);
	KUNIT_EXPECT_EQ(test, atomic_read(&d.st.corrupt), 0);
	list_for_each_entry_safe(page, tmp, &pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/* --- The switch-out hook's settings: detach on/off and the nap check ---- */

struct pingpong {
	struct completion ping, pong;
	bool stop;
};

static int pong_thread(void *arg)
{
	struct pingpong *pp = arg;

	dynstack_allow_detach(current);
	for (;;) {
		wait_for_completion(&pp->ping);
		if (READ_ONCE(pp->stop))
			break;
		complete(&pp->pong);
	}
	return 0;
}

/*
 * @rounds ping-pong round trips with a kthread whose stack was just
 * stripped to what it uses: returns the pages detached meanwhile. With
 * @hold, the test holds both stacks of the pair, the partner's and its
 * own (try_get_task_stack(), as an unwinder does), during the round trips;
 * *@readers counts the switch-outs that saw a reader.
 */
static unsigned long pingpong_detached(struct kunit *test, int rounds,
				       unsigned long *naps, bool hold,
				       unsigned long *readers)
{
	struct dynstack_reclaim_ctl ctl = { .touched = true };
	struct pingpong pp = {};
	unsigned long det, nap, rd;
	struct task_struct *t;
	int i;

	init_completion(&pp.ping);
	init_completion(&pp.pong);
	t = kthread_run(pong_thread, &pp, "dynstack-pong");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	/*
	 * A realtime partner: every time it blocks it leaves its runqueue.
	 * A fair one that blocks with negative lag stays queued
	 * (sched_delayed, DELAY_DEQUEUE) and its switch-out rightly takes
	 * nothing; with the host busy that was most of them (3 pages in 500
	 * round trips), which says nothing about the settings tested here.
	 */
	sched_set_fifo_low(t);
	/* One round trip so that it sleeps, then take its dead pages. */
	complete(&pp.ping);
	wait_for_completion(&pp.pong);
	usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, dynstack_reclaim(&ctl), 0);

	if (hold) {
		KUNIT_ASSERT_NOT_NULL(test, try_get_task_stack(t));
		KUNIT_ASSERT_NOT_NULL(test, try_get_task_stack(current));
	}
	det = dynstack_sum_event(DYNSTACK_DETACH);
	nap = dynstack_sum_event(DYNSTACK_NAP);
	rd = dynstack_sum_event(DYNSTACK_READER);
	for (i = 0; i < rounds; i++) {
		/*
		 * Only once the partner has blocked and left its CPU: a ping
		 * that arrives before it sleeps finds the completion done, and
		 * a partner that never sleeps never switches out (seen: 21 and
		 * 33 pages in 500 round trips, with the host busy). Zero means
		 * it was not blocked yet (still on its way back to the wait).
		 */
		while (!wait_task_inactive(t, TASK_UNINTERRUPTIBLE))
			cond_resched();
		complete(&pp.ping);
		wait_for_completion(&pp.pong);
	}
	det = dynstack_sum_event(DYNSTACK_DETACH) - det;
	*naps = dynstack_sum_event(DYNSTACK_NAP) - nap;
	*readers = dynstack_sum_event(DYNSTACK_READER) - rd;
	if (hold) {
		put_task_stack(current);
		put_task_stack(t);
	}

	WRITE_ONCE(pp.stop, true);
	complete(&pp.ping);
	kthread_stop(t);
	put_task_struct(t);
	return det;
}

static const struct dynstack_ops other_ops = {
	.name = "kunit-other",
	.take_pages = pool_take,
	.give_pages = pool_give,
};

static void dynstack_test_switch_out_settings(struct kunit *test)
{
	const int rounds = 500;
	unsigned long churn, napped, naps, readers, held;
	struct page *page, *tmp;
	int i;

	for (i = 0; i < 256; i++) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, page);
		list_add(&page->lru, &pool);
	}
	/* Set before registering: the hooks start that way. */
	KUNIT_ASSERT_EQ(test, dynstack_configure(&test_ops, false, 0), 0);
	KUNIT_ASSERT_EQ(test, dynstack_register(&test_ops), 0);
	KUNIT_EXPECT_TRUE(test, static_key_enabled(&dynstack_switch_key));
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&dynstack_detach_key));
	/* Another policy may not change ours. */
	KUNIT_EXPECT_EQ(test, dynstack_configure(&other_ops, true, 0), -EBUSY);
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&dynstack_detach_key));

	/*
	 * Detach on, no nap check: every switch-in of the partner refills
	 * the pages below its stack pointer and every switch-out takes them
	 * again, at least one page per round trip.
	 */
	KUNIT_EXPECT_EQ(test, dynstack_configure(&test_ops, true, 0), 0);
	KUNIT_EXPECT_TRUE(test, static_key_enabled(&dynstack_detach_key));
	churn = pingpong_detached(test, rounds, &naps, false, &readers);
	KUNIT_EXPECT_GE(test, churn, (unsigned long)rounds);
	KUNIT_EXPECT_EQ(test, naps, 0UL);

	/*
	 * I7: the same, with both stacks of the pair held as an unwinder
	 * holds them: their switch-outs take nothing, and say why. (Other
	 * tasks may detach a few pages meanwhile.)
	 */
	held = pingpong_detached(test, rounds, &naps, true, &readers);
	KUNIT_EXPECT_LT(test, held, (unsigned long)rounds / 10);
	/* Every switch-out of the (realtime) partner saw the reader. */
	KUNIT_EXPECT_GE(test, readers, (unsigned long)rounds);
	kunit_info(test, "%d round trips with the stack held: %lu pages detached, %lu switch-outs saw the reader\n",
		   rounds, held, readers);

	/*
	 * With a nap threshold far above a round trip the partner keeps its
	 * pages after the first one: the core answers at switch-out without
	 * the policy. (Other tasks may detach a few pages meanwhile.)
	 */
	KUNIT_EXPECT_EQ(test, dynstack_configure(&test_ops, true, NSEC_PER_SEC), 0);
	napped = pingpong_detached(test, rounds, &naps, false, &readers);
	KUNIT_EXPECT_LT(test, napped, (unsigned long)rounds / 10);
	KUNIT_EXPECT_GE(test, naps, (unsigned long)rounds / 2);
	kunit_info(test, "%d round trips: %lu pages detached without the nap check, %lu with it (%lu naps)\n",
		   rounds, churn, napped, naps);

	/* Unregistering resets the settings for the next policy. */
	dynstack_unregister(&test_ops);
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&dynstack_detach_key));
	KUNIT_ASSERT_EQ(test, dynstack_register(&test_ops), 0);
	KUNIT_EXPECT_TRUE(test, static_key_enabled(&dynstack_detach_key));
	dynstack_unregister(&test_ops);

	list_for_each_entry_safe(page, tmp, &pool, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}


/* --- The waiting protocol ----------------------------------------------- */

/* A supply that is always empty: pages given back go to the allocator. */
static unsigned int dry_take(struct page **pages, unsigned int nr)
{
	return 0;
}

static void dry_give(struct page **pages, unsigned int nr)
{
	while (nr--)
		__free_page(pages[nr]);
}

static const struct dynstack_ops dry_ops = {
	.name = "kunit-dry",
	.take_pages = dry_take,
	.give_pages = dry_give,
};

struct waiter {
	atomic_t runs;		/* times it ran after a wakeup */
	bool stop;
};

/* Sleeps with a shallow stack until woken; counts each time it runs. */
static int waiter_thread(void *arg)
{
	struct waiter *w = arg;

	dynstack_allow_detach(current);
	allow_signal(SIGKILL);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (READ_ONCE(w->stop) || signal_pending(current))
			break;
		schedule();
		atomic_inc(&w->runs);
	}
	__set_current_state(TASK_RUNNING);
	while (!kthread_should_stop())
		usleep_range(1000, 2000);
	return 0;
}

static bool only_task(struct task_struct *p, void *data)
{
	return p == data;
}

static bool wait_for(bool (*cond)(void *), void *data, unsigned int ms)
{
	while (!cond(data) && ms--)
		usleep_range(1000, 2000);
	return cond(data);
}

static bool reserve_full(void *unused)
{
	struct dynstack_core_stats st;

	dynstack_get_stats(&st);
	return st.reserve_pages >= DYNSTACK_PAGES - 1;
}

struct runs_at_least {
	struct waiter *w;
	int n;
};

static bool ran(void *data)
{
	struct runs_at_least *r = data;

	return atomic_read(&r->w->runs) >= r->n;
}

/* Let @t fall asleep, then take every page the reclaimer can. */
static void strip(struct kunit *test, struct task_struct *t)
{
	struct dynstack_reclaim_ctl ctl = {
		.touched = true, .filter = only_task, .data = t,
	};

	int ms = 1000;

	/* 0 while it still runs (state RUNNING) on its way to sleep. */
	while (!wait_task_inactive(t, TASK_INTERRUPTIBLE) && ms--)
		usleep_range(1000, 2000);
	KUNIT_ASSERT_GT(test, ms, 0);
	KUNIT_ASSERT_EQ(test, dynstack_reclaim(&ctl), 0);
	KUNIT_ASSERT_LT(test, resident_of(t), (unsigned int)DYNSTACK_PAGES);
}

static void expect_parked(struct kunit *test, struct task_struct *t)
{
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->__state), (unsigned int)TASK_WAKING);
	KUNIT_EXPECT_EQ(test, READ_ONCE(t->on_rq), 0);
	KUNIT_EXPECT_TRUE(test, dynstack_parked(t));
}

struct racer {
	struct task_struct *target;
	struct completion *go;
	atomic_t *won;
};

static int racer_thread(void *arg)
{
	struct racer *r = arg;

	wait_for_completion(r->go);
	if (wake_up_process(r->target))
		atomic_inc(r->won);
	return 0;
}

static void dynstack_test_wait_protocol(struct kunit *test)
{
	struct dynstack_core_stats before, mid, after;
	struct waiter w = {};
	struct runs_at_least r = { .w = &w };
	struct task_struct *t, *rt[4];
	struct racer racers[4];
	DECLARE_COMPLETION_ONSTACK(go);
	atomic_t won = ATOMIC_INIT(0);
	unsigned long defer;
	int i;

	/*
	 * An empty supply: every wakeup of a stripped stack must park. The
	 * exit reserve exists while a policy is registered.
	 */
	KUNIT_ASSERT_EQ(test, dynstack_register(&dry_ops), 0);
	KUNIT_ASSERT_TRUE(test, wait_for(reserve_full, NULL, 1000));
	dynstack_kthread_pause(true);

	t = kthread_run(waiter_thread, &w, "dynstack-waiter");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	get_task_struct(t);
	dynstack_get_stats(&before);

	/* 1. Parked: the wakeup succeeds once, the task does not run. */
	strip(test, t);
	defer = dynstack_sum_event(DYNSTACK_DEFER);
	KUNIT_EXPECT_EQ(test, wake_up_process(t), 1);
	KUNIT_EXPECT_EQ(test, wake_up_process(t), 0);
	expect_parked(test, t);
	KUNIT_EXPECT_EQ(test, dynstack_sum_event(DYNSTACK_DEFER), defer + 1);
	msleep(50);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.runs), 0);
	dynstack_get_stats(&mid);
	KUNIT_EXPECT_GE(test, mid.parked, 1UL);

	/* 2. kdynstackd fills the stack and completes the wakeup, once. */
	dynstack_kthread_pause(false);
	r.n = 1;
	KUNIT_EXPECT_TRUE(test, wait_for(ran, &r, 2000));
	KUNIT_EXPECT_FALSE(test, dynstack_parked(t));
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.runs), 1);
	dynstack_get_stats(&after);
	KUNIT_EXPECT_GE(test, after.wait_us - before.wait_us, 50000UL);
	KUNIT_EXPECT_GE(test, after.wait_max_us, 50000UL);

	/* 3. Concurrent wakeups of a parked task: one wins, it runs once. */
	dynstack_kthread_pause(true);
	strip(test, t);
	for (i = 0; i < ARRAY_SIZE(racers); i++) {
		racers[i] = (struct racer){ .target = t, .go = &go, .won = &won };
		rt[i] = kthread_run(racer_thread, &racers[i], "dynstack-racer/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(rt[i]));
		get_task_struct(rt[i]);
	}
	complete_all(&go);
	for (i = 0; i < ARRAY_SIZE(racers); i++) {
		kthread_stop(rt[i]);
		put_task_struct(rt[i]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&won), 1);
	expect_parked(test, t);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.runs), 1);
	dynstack_kthread_pause(false);
	r.n = 2;
	KUNIT_EXPECT_TRUE(test, wait_for(ran, &r, 2000));
	msleep(20);
	KUNIT_EXPECT_EQ(test, atomic_read(&w.runs), 2);

	/* 4. Unregistering completes a parked wakeup. */
	dynstack_kthread_pause(true);
	strip(test, t);
	KUNIT_EXPECT_EQ(test, wake_up_process(t), 1);
	expect_parked(test, t);
	dynstack_unregister(&dry_ops);
	r.n = 3;
	KUNIT_EXPECT_TRUE(test, wait_for(ran, &r, 2000));
	KUNIT_EXPECT_FALSE(test, dynstack_parked(t));
	KUNIT_EXPECT_EQ(test, resident_of(t), (unsigned int)DYNSTACK_PAGES);

	/*
	 * 5. A parked task that is killed runs from the exit reserve while
	 * kdynstackd still allocates nothing.
	 */
	dynstack_kthread_pause(false);
	KUNIT_ASSERT_EQ(test, dynstack_register(&dry_ops), 0);
	KUNIT_ASSERT_TRUE(test, wait_for(reserve_full, NULL, 1000));
	dynstack_kthread_pause(true);
	strip(test, t);
	KUNIT_EXPECT_EQ(test, wake_up_process(t), 1);
	expect_parked(test, t);
	dynstack_get_stats(&mid);
	send_sig(SIGKILL, t, 1);
	r.n = 4;
	KUNIT_EXPECT_TRUE(test, wait_for(ran, &r, 2000));
	KUNIT_EXPECT_FALSE(test, dynstack_parked(t));
	dynstack_get_stats(&after);
	KUNIT_EXPECT_EQ(test, after.reserve_served, mid.reserve_served + 1);

	dynstack_kthread_pause(false);
	WRITE_ONCE(w.stop, true);
	wake_up_process(t);
	kthread_stop(t);
	put_task_struct(t);
	dynstack_unregister(&dry_ops);
	dynstack_get_stats(&after);
	KUNIT_EXPECT_EQ(test, after.parked, 0UL);
	/* No policy, no reserve (I6). */
	KUNIT_EXPECT_EQ(test, after.reserve_pages, 0UL);
}

static struct kunit_case dynstack_core_cases[] = {
	KUNIT_CASE(dynstack_test_partial_create),
	KUNIT_CASE(dynstack_test_populate),
	KUNIT_CASE(dynstack_test_detach_untouched),
	KUNIT_CASE(dynstack_test_respects_sp),
	KUNIT_CASE(dynstack_test_pending_reinstall),
	KUNIT_CASE(dynstack_test_reinstalled_leaves_zeroed),
	KUNIT_CASE(dynstack_test_release_after_flush),
	KUNIT_CASE(dynstack_test_release_covered_only),
	KUNIT_CASE(dynstack_test_accounting),
	KUNIT_CASE_SLOW(dynstack_test_policy_live),
	KUNIT_CASE_SLOW(dynstack_test_reader_keeps_pages),
	KUNIT_CASE_SLOW(dynstack_test_switch_out_settings),
	KUNIT_CASE_SLOW(dynstack_test_wait_protocol),
	{}
};

static struct kunit_suite dynstack_core_suite = {
	.name = "dynstack_core",
	.test_cases = dynstack_core_cases,
};
kunit_test_suite(dynstack_core_suite);
