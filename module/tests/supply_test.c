// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of dynstack.ko's page supply and tunables, on private
 * instances (the module's own supply is not touched, the core's hooks are
 * not involved): tier order at take, overflow at give, admission control,
 * refill and trim, demand sizing (grow, shrink, bounds, idle and busy magazines),
 * CPU hot-unplug, tunable validation.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/cpumask.h>

/* The code under test: dynstack.ko exports it when CONFIG_KUNIT is on. */
#include "../supply.h"
#include "../tunables.h"
#include "../../uapi/linux/dynstack.h"

static int kicks;

static void test_kick(struct ds_supply *s)
{
	kicks++;
}

struct fixture {
	struct ds_tunables t;
	struct ds_supply s;
	int cpu;	/* the case runs here: magazines are per CPU */
};

static struct ds_magazine *mag_of(struct fixture *f)
{
	return per_cpu_ptr(f->s.mags, f->cpu);
}

static int supply_test_init(struct kunit *test)
{
	struct fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	ds_tunables_default(&f->t);
	f->t.magazine_size = 4;
	f->t.reserve_pages = 2;
	f->t.depot_low = 8;
	f->t.depot_high = 32;
	KUNIT_ASSERT_EQ(test, ds_supply_init(&f->s, &f->t, test_kick), 0);
	kicks = 0;
	/* init runs in the case's own kthread: keep it on one CPU. */
	f->cpu = raw_smp_processor_id();
	KUNIT_ASSERT_EQ(test, set_cpus_allowed_ptr(current, cpumask_of(f->cpu)), 0);
	test->priv = f;
	return 0;
}

static void supply_test_exit(struct kunit *test)
{
	struct fixture *f = test->priv;

	ds_supply_destroy(&f->s);
}

static void add_pages(struct kunit *test, struct list_head *list,
		      unsigned long *nr, int n)
{
	while (n--) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

		KUNIT_ASSERT_NOT_NULL(test, page);
		list_add(&page->lru, list);
		(*nr)++;
	}
}

/* Like the hooks: IRQs off, and pinned to this CPU's magazine. */
static void give(struct ds_supply *s, struct page **pages, unsigned int n)
{
	local_irq_disable();
	ds_supply_give(s, pages, n);
	local_irq_enable();
}

static void give_new(struct kunit *test, struct ds_supply *s, int n)
{
	struct page *pages[16];
	int i;

	KUNIT_ASSERT_LE(test, n, (int)ARRAY_SIZE(pages));
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	give(s, pages, n);
}

/* Take one page out of the depot behind the supply's back, and free it. */
static void drop_one(struct ds_supply *s)
{
	struct page *page = list_first_entry(&s->depot, struct page, lru);

	list_del(&page->lru);
	s->depot_nr--;
	__free_page(page);
}

/* Free what this CPU's magazine and the depot hold, behind their back. */
static void empty(struct fixture *f)
{
	struct ds_magazine *mag = mag_of(f);

	while (mag->nr)
		__free_page(mag->pages[--mag->nr]);
	while (f->s.depot_nr)
		drop_one(&f->s);
}

static unsigned int take(struct ds_supply *s, struct page **pages, int n)
{
	unsigned int got;

	/* Like the hooks: IRQs off, and pinned to this CPU's magazine. */
	local_irq_disable();
	got = ds_supply_take(s, pages, n);
	local_irq_enable();
	return got;
}

/* The pages takes got from each tier so far, summed over CPUs. */
static void expect_taken(struct kunit *test, struct ds_supply *s,
			 u64 magazine, u64 depot, u64 reserve)
{
	struct ds_cpu_stats st;

	ds_supply_stats(s, -1, &st);
	KUNIT_EXPECT_EQ(test, st.take_magazine, magazine);
	KUNIT_EXPECT_EQ(test, st.take_depot, depot);
	KUNIT_EXPECT_EQ(test, st.take_reserve, reserve);
}

static void put_back(struct page **pages, unsigned int n)
{
	while (n--)
		__free_page(pages[n]);
}

static void supply_take_order(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct page *pages[8];
	struct ds_cpu_stats st;
	unsigned int got;

	give_new(test, s, 2);		/* into this CPU's magazine */
	add_pages(test, &s->depot, &s->depot_nr, 3);
	add_pages(test, &s->reserve, &s->reserve_nr, 2);

	got = take(s, pages, 6);
	KUNIT_EXPECT_EQ(test, got, 6U);
	put_back(pages, got);
	expect_taken(test, s, 2, 3, 1);
	KUNIT_EXPECT_EQ(test, s->reserve_nr, 1UL);
	/* The reserve was touched and the depot is empty: a refill is asked. */
	KUNIT_EXPECT_GT(test, kicks, 0);

	got = take(s, pages, 2);
	KUNIT_EXPECT_EQ(test, got, 1U);
	put_back(pages, got);
	ds_supply_stats(s, -1, &st);
	KUNIT_EXPECT_EQ(test, st.take_short, 1ULL);
}

static void supply_take_restocks_magazine(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct page *pages[1];
	unsigned int got;

	add_pages(test, &s->depot, &s->depot_nr, 10);
	got = take(s, pages, 1);
	put_back(pages, got);
	/*
	 * One from the depot, and the magazine refilled to half its size
	 * (2), but at least to one worst-case wakeup (3).
	 */
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, 3U);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 6UL);
}

static void supply_give_overflow(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_cpu_stats st;

	give_new(test, s, 7);
	/* 4 fill the magazine, then the reserve (2), then the depot. */
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, 4U);
	KUNIT_EXPECT_EQ(test, s->reserve_nr, 2UL);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 1UL);
	ds_supply_stats(s, -1, &st);
	KUNIT_EXPECT_EQ(test, st.give_magazine, 4ULL);
	KUNIT_EXPECT_EQ(test, st.give_depot, 3ULL);
}

static void supply_admission(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;

	f->t.reserve_pages = 3;
	add_pages(test, &s->reserve, &s->reserve_nr, 2);
	KUNIT_EXPECT_FALSE(test, ds_supply_admit(s));
	add_pages(test, &s->reserve, &s->reserve_nr, 1);
	KUNIT_EXPECT_TRUE(test, ds_supply_admit(s));
	f->t.detach = 0;
	KUNIT_EXPECT_FALSE(test, ds_supply_admit(s));
}

static void supply_refill_and_trim(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;

	/* The target starts at its floor, depot_low. */
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.reserve, 2UL);
	KUNIT_EXPECT_EQ(test, lv.target, 8ULL);
	KUNIT_EXPECT_EQ(test, lv.depot, 8UL);
	KUNIT_EXPECT_EQ(test, s->refilled, 10ULL);

	/* Not below half the target: nothing to do. */
	drop_one(s);
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->refilled, 10ULL);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 7UL);

	/* Above the trim line, target + max(target, magazine): back to it. */
	add_pages(test, &s->depot, &s->depot_nr, 20);
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 16UL);
	KUNIT_EXPECT_EQ(test, s->trimmed, 11ULL);

	/* A smaller reserve flows into the depot, and is trimmed with it. */
	f->t.reserve_pages = 1;
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->reserve_nr, 1UL);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 16UL);
	KUNIT_EXPECT_EQ(test, s->trimmed, 12ULL);
}

/*
 * Demand sizing (sizing.c): a take that finds the depot dry doubles the
 * target, to at least twice the take and at most depot_high, once per
 * refill; the refill then fills the depot to it.
 */
static void sizing_grows_on_demand(struct kunit *test)
{
	static const unsigned long want[] = { 12, 24, 32, 32 };
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;
	struct page *pages[4];
	unsigned int i, got;

	f->t.depot_low = 0;
	f->t.reserve_pages = 0;		/* so only growth asks for a refill */
	/*
	 * Served from the depot, which restocks the magazine to its floor:
	 * no growth, nothing to do.
	 */
	add_pages(test, &s->depot, &s->depot_nr, 10);
	got = take(s, pages, 3);
	put_back(pages, got);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 0ULL);
	KUNIT_EXPECT_EQ(test, lv.grown, 0ULL);
	KUNIT_EXPECT_EQ(test, kicks, 0);
	empty(f);

	/* Dry: doubled to twice the take, and the refill is asked for. */
	got = take(s, pages, 3);
	KUNIT_EXPECT_EQ(test, got, 0U);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 6ULL);
	KUNIT_EXPECT_EQ(test, kicks, 1);
	/* Dry again before the refill ran: the same shortage, no growth. */
	got = take(s, pages, 3);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 6ULL);
	KUNIT_EXPECT_EQ(test, lv.grown, 1ULL);

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		s->growing = false;	/* as the refill leaves it */
		got = take(s, pages, 3);
		put_back(pages, got);
		ds_supply_levels(s, &lv);
		KUNIT_EXPECT_EQ_MSG(test, lv.target, (u64)want[i], "take %u", i);
	}
	/* The last take found it at depot_high: no growth left. */
	KUNIT_EXPECT_EQ(test, lv.grown, 4ULL);
	s->growing = true;
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, s->growing);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.depot, 32UL);

	/*
	 * Clamped to the tunables as they are now: busy, the depot keeps up
	 * to the trim line of the new target; an idle tick's strict trim
	 * takes it to the target.
	 */
	f->t.depot_high = 12;
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 12ULL);
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 24UL);
	ds_supply_trim(s, true);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 12UL);
}

/*
 * The trim line keeps its room above a target that demand has grown to
 * depot_high: the larger of twice the target and the target plus a
 * magazine, or the pages flowing from one CPU's gives to another's takes
 * are freed and allocated again (a line capped at depot_high fell onto
 * the target: the refill filled to 32 and a give of one page more had
 * them trimmed).
 */
static void sizing_trim_line_at_the_ceiling(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;

	f->t.reserve_pages = 0;
	raw_spin_lock_irq(&s->lock);
	s->target = 1000;			/* grown past depot_high */
	raw_spin_unlock_irq(&s->lock);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 32ULL);

	/* Gives up to the line, 64, ask for no trim; one page over it does. */
	add_pages(test, &s->depot, &s->depot_nr, 60);
	give_new(test, s, 4 + 4);		/* the magazine's 4, then 4 more */
	KUNIT_EXPECT_EQ(test, s->depot_nr, 64UL);
	KUNIT_EXPECT_EQ(test, kicks, 0);
	give_new(test, s, 1);
	KUNIT_EXPECT_EQ(test, kicks, 1);
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.depot, 64UL);
	KUNIT_EXPECT_EQ(test, lv.trimmed, 1ULL);
	KUNIT_EXPECT_EQ(test, s->refilled, 0ULL);

	/* Idle, the tick's strict trim takes it to the target. */
	ds_supply_trim(s, true);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 32UL);

	/* Under a magazine, the line is the target plus a magazine: 2 + 4. */
	f->t.depot_low = 0;
	raw_spin_lock_irq(&s->lock);
	s->target = 2;
	raw_spin_unlock_irq(&s->lock);
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 6UL);
	KUNIT_EXPECT_EQ(test, s->refilled, 0ULL);
}

/*
 * A growth whose pages came from gives before the refill ran leaves the
 * refill nothing to fill; the target must still be able to grow again
 * after it has decayed (the refill or a tick clears s->growing).
 */
static void sizing_grows_again_after_gives(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;
	struct page *pages[3];
	unsigned int got;

	f->t.depot_low = 0;
	f->t.reserve_pages = 0;
	got = take(s, pages, 3);	/* dry: grows to 6 */
	KUNIT_EXPECT_EQ(test, got, 0U);
	KUNIT_EXPECT_TRUE(test, s->growing);
	add_pages(test, &s->depot, &s->depot_nr, 6);	/* as gives would */
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_FALSE(test, s->growing);
	/* And if the refill never ran, a tick clears it. */
	s->growing = true;
	while (s->depot_nr)
		drop_one(s);
	ds_supply_tick(s);
	KUNIT_EXPECT_FALSE(test, s->growing);
	for (got = 0; got < 4; got++)
		ds_supply_tick(s);	/* idle: 6, 3, 1, 0 */
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 0ULL);
	got = take(s, pages, 3);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 6ULL);
}

/*
 * A take the magazine serves but that leaves it under one worst-case
 * wakeup, with a depot that cannot make up the rest, is demand too: the
 * target grows and the refill is asked for at once, so that the next
 * wakeup on this CPU finds the depot filled instead of taking from the
 * reserve (a burst of wakeups after a quiet spell). A depot that makes
 * it up and is under half its target is only refilled, and a magazine
 * that served the take is restocked to the floor only. A take that
 * leaves the floor in the magazine takes no lock and asks for nothing.
 */
static void sizing_grows_when_the_magazine_falls_under_its_floor(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;
	struct page *pages[3];
	unsigned int got;

	f->t.depot_low = 0;
	f->t.reserve_pages = 3;
	KUNIT_ASSERT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	kicks = 0;
	give_new(test, s, 4);		/* the magazine's size */
	/* A short reserve: the locked path would kick, the lock-free one not. */
	f->t.reserve_pages = 4;
	got = take(s, pages, 1);	/* 3 left: the floor */
	put_back(pages, got);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 0ULL);
	KUNIT_EXPECT_EQ(test, kicks, 0);
	f->t.reserve_pages = 3;

	got = take(s, pages, 3);	/* served, 0 left, the depot dry */
	KUNIT_EXPECT_EQ(test, got, 3U);
	put_back(pages, got);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 6ULL);
	KUNIT_EXPECT_EQ(test, lv.grown, 1ULL);
	KUNIT_EXPECT_EQ(test, kicks, 1);

	/*
	 * The refill runs before the next wakeup, which takes no reserve
	 * page and leaves the magazine 1 page and the depot 2, under half
	 * its target: one worst-case wakeup between them, and a refill due.
	 * The refill is asked for, the target stays.
	 */
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	kicks = 0;
	got = take(s, pages, 3);
	KUNIT_EXPECT_EQ(test, got, 3U);
	put_back(pages, got);
	expect_taken(test, s, 4, 3, 0);
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, 1U);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 2UL);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 6ULL);
	KUNIT_EXPECT_EQ(test, lv.grown, 1ULL);
	KUNIT_EXPECT_EQ(test, kicks, 1);

	/* A take it served restocks it to the floor only, not half its size. */
	f->t.magazine_size = 16;
	empty(f);
	add_pages(test, &s->depot, &s->depot_nr, 10);
	give_new(test, s, 3);
	got = take(s, pages, 3);
	put_back(pages, got);
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, 3U);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 7UL);
}

/*
 * The same take with the depot at a target of 0 (an idle spell): the 2
 * pages left in the depot make up the magazine's floor, but no refill is
 * due to replace them, so the wakeup after the next would take from the
 * reserve. The target grows, and the refill is asked for at once.
 */
static void sizing_grows_when_no_refill_is_due(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;
	struct page *pages[3];
	unsigned int got;

	f->t.depot_low = 0;
	KUNIT_ASSERT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	give_new(test, s, 3);		/* the floor */
	add_pages(test, &s->depot, &s->depot_nr, 3);
	kicks = 0;
	got = take(s, pages, 3);
	KUNIT_EXPECT_EQ(test, got, 3U);
	put_back(pages, got);
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, 1U);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 2UL);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 6ULL);
	KUNIT_EXPECT_EQ(test, lv.grown, 1ULL);
	KUNIT_EXPECT_EQ(test, kicks, 1);
}

static void tick_n(struct ds_supply *s, int n)
{
	while (n--)
		ds_supply_tick(s);
}

/*
 * A tick sets the target to the larger of half itself and twice the pages
 * taken past the magazines since the last one, not below depot_low: idle,
 * from depot_high to the floor in log2(depot_high) + 1 ticks, the depot
 * trimmed to it; busy, no lower than demand.
 */
static void sizing_shrinks_when_idle(struct kunit *test)
{
	static const unsigned long want[] = { 16, 8, 4, 2, 1, 0, 0 };
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;
	struct page *pages[8];
	unsigned int i, got;

	f->t.depot_low = 0;
	s->target = 32;
	add_pages(test, &s->depot, &s->depot_nr, 32);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ds_supply_tick(s);
		ds_supply_levels(s, &lv);
		KUNIT_EXPECT_EQ_MSG(test, lv.target, (u64)want[i], "tick %u", i);
		KUNIT_EXPECT_EQ_MSG(test, lv.depot, want[i], "tick %u", i);
	}
	KUNIT_EXPECT_EQ(test, lv.shrunk, 6ULL);
	KUNIT_EXPECT_EQ(test, lv.trimmed, 32ULL);

	/* Busy: 8 pages taken from the depot keep a target of 16. */
	s->target = 16;
	add_pages(test, &s->depot, &s->depot_nr, 16);
	got = take(s, pages, 8);	/* restocks the magazine, too (3) */
	KUNIT_EXPECT_EQ(test, got, 8U);
	put_back(pages, got);
	ds_supply_tick(s);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 16ULL);
	/* Trimmed to the line only: 16 + 16, more than it holds. */
	KUNIT_EXPECT_EQ(test, lv.depot, 5UL);
	ds_supply_tick(s);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 8ULL);

	/* Never below the floor. */
	f->t.depot_low = 5;
	tick_n(s, 8);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.target, 5ULL);
	KUNIT_EXPECT_LE(test, lv.depot, 5UL);
}

struct remote_give {
	struct ds_supply *s;
	struct page *pages[8];
};

/* On the remote CPU, IRQs off (IPI): as a switch-out there would. */
static void give_there(void *arg)
{
	struct remote_give *rg = arg;

	ds_supply_give(rg->s, rg->pages, ARRAY_SIZE(rg->pages));
}

/*
 * A magazine that saw no take for a whole tick gives half of what it holds
 * above one worst-case wakeup (DS_MAG_FLOOR) back, to a short reserve
 * first; one whose takes reach down to the floor keeps its pages. Another
 * CPU's magazine is trimmed by an IPI to that CPU.
 */
static void sizing_trims_idle_magazines(struct kunit *test)
{
	static const unsigned int want[] = { 16, 9, 6, 4, DS_MAG_FLOOR, DS_MAG_FLOOR };
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct remote_give rg = { .s = s };
	struct page *pages[4];
	unsigned int i, got;
	int cpu;

	f->t.depot_low = 0;
	f->t.magazine_size = 16;
	give_new(test, s, 16);
	/* A new magazine's mark is 0 in interval 0: that tick trims nothing. */
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ds_supply_tick(s);
		KUNIT_EXPECT_EQ_MSG(test, mag_of(f)->nr, want[i], "tick %u", i);
	}
	/* The reserve (2) was short: it came first. The rest was freed. */
	KUNIT_EXPECT_EQ(test, s->reserve_nr, 2UL);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 0UL);
	KUNIT_EXPECT_EQ(test, s->trimmed, 16ULL - DS_MAG_FLOOR - 2);

	/* In use down to its floor between ticks: the magazine stays. */
	give_new(test, s, 4);
	for (i = 0; i < 3; i++) {
		got = take(s, pages, 4);
		KUNIT_EXPECT_EQ(test, got, 4U);
		give(s, pages, got);
		ds_supply_tick(s);
	}
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, DS_MAG_FLOOR + 4U);

	/* Another CPU's magazine, through the IPI. */
	cpu = cpumask_any_but(cpu_online_mask, f->cpu);
	if (cpu >= nr_cpu_ids)
		kunit_skip(test, "one online CPU: no remote magazine");
	for (i = 0; i < ARRAY_SIZE(rg.pages); i++) {
		rg.pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, rg.pages[i]);
	}
	KUNIT_ASSERT_EQ(test, smp_call_function_single(cpu, give_there, &rg, 1), 0);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(s->mags, cpu)->nr, 8U);
	/* No take there since it was made: all of it was unused. */
	ds_supply_tick(s);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(s->mags, cpu)->nr, 5U);
	ds_supply_tick(s);
	KUNIT_EXPECT_EQ(test, per_cpu_ptr(s->mags, cpu)->nr, 4U);
}

/*
 * A busy magazine is trimmed to its working set: with two pages taken and
 * given back between ticks, half of the pages no take reached, above the
 * floor, go back at each tick, down to the two plus DS_MAG_FLOOR.
 */
static void sizing_trims_magazines_to_working_set(struct kunit *test)
{
	static const unsigned int want[] = { 16, 10, 7, 6, DS_MAG_FLOOR + 2,
					     DS_MAG_FLOOR + 2 };
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct page *pages[2];
	unsigned int i, got;

	f->t.depot_low = 0;
	f->t.magazine_size = 16;
	give_new(test, s, 16);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		got = take(s, pages, 2);
		KUNIT_EXPECT_EQ(test, got, 2U);
		give(s, pages, got);
		ds_supply_tick(s);
		KUNIT_EXPECT_EQ_MSG(test, mag_of(f)->nr, want[i], "tick %u", i);
	}
	KUNIT_EXPECT_EQ(test, s->depot_nr, 0UL);
	KUNIT_EXPECT_EQ(test, s->trimmed, 16ULL - DS_MAG_FLOOR - 2 - 2);
}

static void supply_cpu_dead(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_magazine *mag;
	int cpu = cpumask_last(cpu_possible_mask), i;

	mag = per_cpu_ptr(s->mags, cpu);
	for (i = 0; i < 3; i++) {
		mag->pages[mag->nr] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, mag->pages[mag->nr]);
		mag->nr++;
	}
	ds_supply_cpu_dead(s, cpu);
	KUNIT_EXPECT_EQ(test, mag->nr, 0U);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 3UL);
}

static void supply_drain(struct kunit *test)
{
	struct fixture *f = test->priv;
	struct ds_supply *s = &f->s;
	struct ds_supply_levels lv;

	give_new(test, s, 9);
	ds_supply_levels(s, &lv);
	KUNIT_ASSERT_GT(test, lv.magazines, 0UL);
	KUNIT_ASSERT_GT(test, lv.depot, 0UL);
	KUNIT_ASSERT_EQ(test, lv.reserve, 2UL);
	/* Fault injection: magazines and depot go, the reserve stays. */
	ds_supply_drain(s);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.magazines + lv.depot, 0UL);
	KUNIT_EXPECT_EQ(test, lv.reserve, 2UL);
}

#define ONLY(f)	BIT_ULL(DYNSTACK_POLICY_##f)

static void tunables_validation(struct kunit *test)
{
	struct ds_tunables_error err;
	struct ds_tunables t, bad;
	unsigned int i;

	ds_tunables_default(&t);
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&t, 0, &err), 0);
	KUNIT_EXPECT_GE(test, t.reserve_pages, ds_reserve_min());

	/* Every field, one past each end of its range, is blamed itself. */
	for (i = 0; i < ds_nr_tunables; i++) {
		const struct ds_tunable_desc *d = &ds_tunable_descs[i];
		u32 *v = (u32 *)((char *)&bad + d->offset);

		bad = t;
		*v = d->max + 1;
		err.field = -1;
		KUNIT_EXPECT_EQ_MSG(test, ds_tunables_validate(&bad, BIT_ULL(i), &err),
				    -EINVAL, "%s = %u", d->name, *v);
		KUNIT_EXPECT_EQ_MSG(test, err.field, (int)i, "%s", d->name);
		if (d->min > 0) {
			*v = d->min - 1;
			KUNIT_EXPECT_EQ_MSG(test, ds_tunables_validate(&bad, BIT_ULL(i), &err),
					    -EINVAL, "%s = %u", d->name, *v);
		}
	}

	/* A broken rule between two fields blames the one that changed. */
	bad = t;
	bad.depot_low = bad.depot_high;
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, ONLY(DEPOT_LOW), &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, err.field, DYNSTACK_POLICY_DEPOT_LOW);
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, ONLY(DEPOT_HIGH), &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, err.field, DYNSTACK_POLICY_DEPOT_HIGH);
	bad = t;
	bad.reserve_pages = ds_reserve_min() - 1;
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, 0, &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, err.field, DYNSTACK_POLICY_RESERVE_PAGES);
	bad = t;
	bad.reclaim_interval_ms = 9;
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, 0, &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, err.field, DYNSTACK_POLICY_RECLAIM_INTERVAL_MS);
	bad.reclaim_interval_ms = 0;
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, 0, &err), 0);
	bad = t;
	bad.shrink_interval_ms = 9;
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, 0, &err), -EINVAL);
	KUNIT_EXPECT_EQ(test, err.field, DYNSTACK_POLICY_SHRINK_INTERVAL_MS);
	bad.shrink_interval_ms = 0;
	KUNIT_EXPECT_EQ(test, ds_tunables_validate(&bad, 0, &err), 0);
}

static struct kunit_case supply_cases[] = {
	KUNIT_CASE(supply_take_order),
	KUNIT_CASE(supply_take_restocks_magazine),
	KUNIT_CASE(supply_give_overflow),
	KUNIT_CASE(supply_admission),
	KUNIT_CASE(supply_refill_and_trim),
	KUNIT_CASE(sizing_grows_on_demand),
	KUNIT_CASE(sizing_trim_line_at_the_ceiling),
	KUNIT_CASE(sizing_grows_again_after_gives),
	KUNIT_CASE(sizing_grows_when_the_magazine_falls_under_its_floor),
	KUNIT_CASE(sizing_grows_when_no_refill_is_due),
	KUNIT_CASE(sizing_shrinks_when_idle),
	KUNIT_CASE(sizing_trims_idle_magazines),
	KUNIT_CASE(sizing_trims_magazines_to_working_set),
	KUNIT_CASE(supply_cpu_dead),
	KUNIT_CASE(supply_drain),
	KUNIT_CASE(tunables_validation),
	{}
};

static struct kunit_suite supply_suite = {
	.name = "dynstack_supply",
	.init = supply_test_init,
	.exit = supply_test_exit,
	.test_cases = supply_cases,
};
kunit_test_suite(supply_suite);

MODULE_DESCRIPTION("dynstack.ko: KUnit tests of the page supply and tunables");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
