// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko page supply: per-CPU magazines, a depot and an emergency
 * reserve of zero-filled pages.
 *
 * ds_supply_take() and ds_supply_give() run in the core's hooks: IRQs off,
 * under a woken task's pi_lock and its stack's lock (wakeup, possibly in
 * hardirq), under rq->lock (switch-out) or in kdynstackd. They never sleep
 * and never allocate (I5); when a level crosses a threshold they call
 * s->kick(), which must not take any lock that can be held across a wakeup
 * (dynstack.ko raises an irq_work). Everything that allocates or frees
 * pages runs in that worker and may sleep: ds_supply_refill(), and the
 * sizing tick with ds_supply_trim(). A take that comes up short is not an
 * error: the core parks the woken task until its own kdynstackd has the
 * pages.
 *
 * Order at wakeup: this CPU's magazine, the depot, the reserve. The
 * reserve is only touched when the rest is empty, and while it is not full
 * ds_supply_admit() refuses to create new debt (admission control).
 */
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "supply.h"

int ds_supply_init(struct ds_supply *s, const struct ds_tunables *t,
		   void (*kick)(struct ds_supply *s))
{
	memset(s, 0, sizeof(*s));
	raw_spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->depot);
	INIT_LIST_HEAD(&s->reserve);
	s->t = t;
	s->kick = kick;
	s->mags = alloc_percpu(struct ds_magazine);
	s->stats = alloc_percpu(struct ds_cpu_stats);
	if (!s->mags || !s->stats) {
		free_percpu(s->mags);
		free_percpu(s->stats);
		return -ENOMEM;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_init);

static struct page *pop(struct list_head *list, unsigned long *nr)
{
	struct page *page = list_first_entry(list, struct page, lru);

	list_del(&page->lru);
	(*nr)--;
	return page;
}

static void push(struct list_head *list, unsigned long *nr, struct page *page)
{
	list_add(&page->lru, list);
	(*nr)++;
}

/* Called with s->lock held: does any level want the worker? */
static bool wants_work(struct ds_supply *s)
{
	return s->reserve_nr < READ_ONCE(s->t->reserve_pages) ||
	       s->depot_nr < DIV_ROUND_UP(ds_sizing_target(s), 2) ||
	       s->depot_nr > ds_sizing_trim_line(s);
}

/**
 * ds_supply_take - up to @nr zero-filled pages for a woken task's stack
 * @s: the supply
 * @pages: receives the pages
 * @nr: how many are wanted
 *
 * IRQs off.
 *
 * Return: how many pages were put in @pages.
 */
unsigned int ds_supply_take(struct ds_supply *s, struct page **pages,
			    unsigned int nr)
{
	struct ds_magazine *mag = this_cpu_ptr(s->mags);
	struct ds_cpu_stats *st = this_cpu_ptr(s->stats);
	unsigned long interval = READ_ONCE(s->interval);
	unsigned int size = min_t(unsigned int, READ_ONCE(s->t->magazine_size), DS_MAG_MAX);
	unsigned int floor = min_t(unsigned int, DS_MAG_FLOOR, size);
	unsigned int n = 0, want, d = 0, r = 0;
	bool served, kick;

	lockdep_assert_irqs_disabled();
	/* The first take since the tick: the magazine's low mark restarts. */
	if (unlikely(mag->interval != interval)) {
		mag->interval = interval;
		mag->low = mag->nr;
	}
	while (n < nr && mag->nr)
		pages[n++] = mag->pages[--mag->nr];
	mag->low = min(mag->low, mag->nr);
	st->take_magazine += n;
	/*
	 * Served, with one worst-case wakeup left: no lock. Else restock.
	 * (So a take of nr pages locks unless the magazine held the floor
	 * plus nr; with magazine_size at the floor or less, every take does:
	 * what so small a magazine trades for its pages.)
	 */
	served = n == nr;
	if (served && mag->nr >= floor)
		return n;

	raw_spin_lock(&s->lock);
	while (n < nr && s->depot_nr) {
		pages[n++] = pop(&s->depot, &s->depot_nr);
		d++;
	}
	while (n < nr && s->reserve_nr) {
		pages[n++] = pop(&s->reserve, &s->reserve_nr);
		r++;
	}
	if (r || n < nr)
		ds_sizing_grow(s, nr);
	/*
	 * Restock the magazine in the same lock hold: after a take it could
	 * not serve, toward half its size; after one it served, only to the
	 * floor, or a magazine the tick trimmed would fill up again at its
	 * next wakeup. With at most half of what the depot holds: a depot
	 * sized by demand is small, and one CPU must not empty it for the
	 * others.
	 */
	want = served ? floor : max(size / 2, floor);
	want = min_t(unsigned long, want, mag->nr + s->depot_nr / 2);
	while (mag->nr < want) {
		mag->pages[mag->nr++] = pop(&s->depot, &s->depot_nr);
		s->restocked++;
	}
	/*
	 * Still under the floor: the next wakeup here needs the depot. If
	 * the magazine and the depot together hold less than one worst-case
	 * wakeup, it would take from the reserve (a burst after a quiet
	 * spell, with the magazine trimmed to the floor and the depot to its
	 * target); and if the depot is not under half its target, no refill
	 * is due to fill it (at a target of 0, none ever is), so the wakeup
	 * after would. Either is demand as surely as a dry take: grow, and
	 * the refill kicked below (once the depot is under half the new
	 * target) fills the depot first. Only a depot that
	 * holds the rest and is being refilled anyway (wants_work()) leaves
	 * the target alone: the growth would double it for nothing.
	 */
	if (mag->nr < floor &&
	    (mag->nr + s->depot_nr < floor ||
	     s->depot_nr >= DIV_ROUND_UP(ds_sizing_target(s), 2)))
		ds_sizing_grow(s, floor);
	kick = wants_work(s);
	raw_spin_unlock(&s->lock);

	st->take_depot += d;
	st->take_reserve += r;
	st->take_short += nr - n;
	if (kick) {
		st->kicks++;
		s->kick(s);
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_take);

/**
 * ds_supply_give - take back @nr zero-filled pages; IRQs off
 * @s: the supply
 * @pages: the pages
 * @nr: how many
 */
void ds_supply_give(struct ds_supply *s, struct page **pages, unsigned int nr)
{
	struct ds_magazine *mag = this_cpu_ptr(s->mags);
	struct ds_cpu_stats *st = this_cpu_ptr(s->stats);
	unsigned int size = min_t(unsigned int, READ_ONCE(s->t->magazine_size),
				  DS_MAG_MAX);
	bool kick;

	lockdep_assert_irqs_disabled();
	while (nr && mag->nr < size) {
		mag->pages[mag->nr++] = pages[--nr];
		st->give_magazine++;
	}
	if (!nr)
		return;

	st->give_depot += nr;
	raw_spin_lock(&s->lock);
	/* Refill the reserve first: it gates admission. */
	while (nr && s->reserve_nr < READ_ONCE(s->t->reserve_pages))
		push(&s->reserve, &s->reserve_nr, pages[--nr]);
	while (nr)
		push(&s->depot, &s->depot_nr, pages[--nr]);
	kick = s->depot_nr > ds_sizing_trim_line(s);
	raw_spin_unlock(&s->lock);
	if (kick) {
		st->kicks++;
		s->kick(s);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_give);

/*
 * Admission control: may a switch-out create debt (missing pages that a
 * later wakeup must fill from the supply)? Only while detaching is on
 * and the reserve, the last tier, is full.
 */
bool ds_supply_admit(struct ds_supply *s)
{
	/* A threshold read without the lock: a stale value only delays. */
	return READ_ONCE(s->t->detach) &&
	       READ_ONCE(s->reserve_nr) >= READ_ONCE(s->t->reserve_pages);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_admit);

void ds_supply_count_refused(struct ds_supply *s)
{
	this_cpu_inc(s->stats->refused);
}

/*
 * Give back to the page allocator the reserve's pages above reserve_pages
 * (via the depot) and the depot's above its target (@strict: the sizing
 * tick of an idle supply) or above the trim line; sleeps.
 */
void ds_supply_trim(struct ds_supply *s, bool strict)
{
	struct page *page, *tmp;
	unsigned long keep;
	LIST_HEAD(surplus);

	raw_spin_lock_irq(&s->lock);
	while (s->reserve_nr > READ_ONCE(s->t->reserve_pages))
		push(&s->depot, &s->depot_nr, pop(&s->reserve, &s->reserve_nr));
	keep = strict ? ds_sizing_target(s) : ds_sizing_trim_line(s);
	while (s->depot_nr > keep) {
		list_add(&pop(&s->depot, &s->depot_nr)->lru, &surplus);
		s->trimmed++;
	}
	raw_spin_unlock_irq(&s->lock);
	list_for_each_entry_safe(page, tmp, &surplus, lru)
		__free_page(page);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_trim);

/**
 * ds_supply_refill - bring the reserve and the depot to their targets
 * @s: the supply
 * @gfp: allocation flags; GFP_KERNEL from the worker
 *
 * Fills the reserve to reserve_pages and, once the depot is below half its
 * target, the depot to the target; gives pages above the trim line (and
 * above reserve_pages in the reserve) back to the page allocator. May
 * sleep when @gfp allows.
 *
 * Return: 0, or -ENOMEM if an allocation failed (the levels are then
 * short; the next kick tries again).
 */
int ds_supply_refill(struct ds_supply *s, gfp_t gfp)
{
	const struct ds_tunables *t = s->t;
	bool filling = false;
	struct page *page;
	int ret = 0;

	for (;;) {
		unsigned long target;
		bool more;

		raw_spin_lock_irq(&s->lock);
		target = ds_sizing_target(s);
		/* Once below half, fill up to the target, not to half. */
		filling |= s->depot_nr < DIV_ROUND_UP(target, 2);
		more = s->reserve_nr < READ_ONCE(t->reserve_pages) ||
		       (filling && s->depot_nr < target);
		raw_spin_unlock_irq(&s->lock);
		if (!more)
			break;

		page = alloc_page(gfp | __GFP_ZERO | __GFP_NOWARN);
		raw_spin_lock_irq(&s->lock);
		if (!page) {
			s->refill_failed++;
			raw_spin_unlock_irq(&s->lock);
			ret = -ENOMEM;
			break;
		}
		s->refilled++;
		/*
		 * Acting on the last growth, wherever the page goes: a dry take
		 * from now on is demand outrunning the refill, and may grow it
		 * again. (Only a push to the depot counted before: a storm
		 * that kept the reserve short stopped the growth.)
		 */
		s->growing = false;
		/* The reserve first: it gates admission. */
		if (s->reserve_nr < READ_ONCE(t->reserve_pages))
			push(&s->reserve, &s->reserve_nr, page);
		else
			push(&s->depot, &s->depot_nr, page);
		raw_spin_unlock_irq(&s->lock);
		cond_resched();
	}

	/* Whoever filled the depot to half its target, the growth is served. */
	raw_spin_lock_irq(&s->lock);
	if (s->depot_nr >= DIV_ROUND_UP(ds_sizing_target(s), 2))
		s->growing = false;
	raw_spin_unlock_irq(&s->lock);
	ds_supply_trim(s, false);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_refill);

/*
 * Called with s->lock held, on the magazine's own CPU with IRQs off, for a
 * dead CPU, or with no hook left: the magazine's pages go to the depot.
 */
static void magazine_to_depot(struct ds_supply *s, struct ds_magazine *mag)
{
	while (mag->nr)
		push(&s->depot, &s->depot_nr, mag->pages[--mag->nr]);
	mag->low = 0;
}

/* Free the depot's pages and, if @reserve, the reserve's; sleeps. */
static void free_depot(struct ds_supply *s, bool reserve)
{
	struct page *page, *tmp;
	LIST_HEAD(all);

	raw_spin_lock_irq(&s->lock);
	list_splice_init(&s->depot, &all);
	s->depot_nr = 0;
	if (reserve) {
		list_splice_init(&s->reserve, &all);
		s->reserve_nr = 0;
	}
	raw_spin_unlock_irq(&s->lock);
	list_for_each_entry_safe(page, tmp, &all, lru)
		__free_page(page);
}

/*
 * A CPU went away: its magazine goes to the depot. Runs after the CPU is
 * dead, so it can no longer touch its magazine.
 */
void ds_supply_cpu_dead(struct ds_supply *s, unsigned int cpu)
{
	raw_spin_lock_irq(&s->lock);
	magazine_to_depot(s, per_cpu_ptr(s->mags, cpu));
	raw_spin_unlock_irq(&s->lock);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_cpu_dead);

/* On each CPU, IRQs off (on_each_cpu()): its magazine into the depot. */
static void drain_magazine(void *arg)
{
	struct ds_supply *s = arg;

	raw_spin_lock(&s->lock);
	magazine_to_depot(s, this_cpu_ptr(s->mags));
	raw_spin_unlock(&s->lock);
}

/*
 * A page back from a magazine, s->lock held: to the reserve if it is short
 * (it gates admission), else to the depot.
 */
void ds_supply_put_locked(struct ds_supply *s, struct page *page)
{
	lockdep_assert_held(&s->lock);
	if (s->reserve_nr < READ_ONCE(s->t->reserve_pages))
		push(&s->reserve, &s->reserve_nr, page);
	else
		push(&s->depot, &s->depot_nr, page);
}

/*
 * ds_supply_drain - free every page of the magazines and the depot
 * @s: the supply
 *
 * The reserve stays, so admission control keeps working: this is fault
 * injection while the hooks run (each magazine is emptied by its own CPU).
 * Sleeps.
 */
void ds_supply_drain(struct ds_supply *s)
{
	on_each_cpu(drain_magazine, s, 1);
	free_depot(s, false);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_drain);

/*
 * Free the supply and every page it holds. Only when no hook can run any
 * more (after dynstack_unregister(), or on a supply the hooks never saw):
 * it empties the magazines of other CPUs, offline ones included.
 */
void ds_supply_destroy(struct ds_supply *s)
{
	int cpu;

	raw_spin_lock_irq(&s->lock);
	for_each_possible_cpu(cpu)
		magazine_to_depot(s, per_cpu_ptr(s->mags, cpu));
	raw_spin_unlock_irq(&s->lock);
	free_depot(s, true);
	free_percpu(s->mags);
	free_percpu(s->stats);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_destroy);
