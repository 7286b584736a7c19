// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of dynstack.ko's page supply and tunables, on private
 * instances (the module's own supply is not touched, the core's hooks are
 * not involved): tier order at take, overflow at give, admission control,
 * refill and trim to the watermarks, CPU hot-unplug, tunable validation.
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

static void give_new(struct kunit *test, struct ds_supply *s, int n)
{
	struct page *pages[16];
	int i;

	KUNIT_ASSERT_LE(test, n, (int)ARRAY_SIZE(pages));
	for (i = 0; i < n; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	local_irq_disable();
	ds_supply_give(s, pages, n);
	local_irq_enable();
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
	ds_supply_stats(s, -1, &st);
	KUNIT_EXPECT_EQ(test, st.take_magazine, 2ULL);
	KUNIT_EXPECT_EQ(test, st.take_depot, 3ULL);
	KUNIT_EXPECT_EQ(test, st.take_reserve, 1ULL);
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
	/* One from the depot, and the magazine refilled to half its size. */
	KUNIT_EXPECT_EQ(test, mag_of(f)->nr, 2U);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 7UL);
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

	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	ds_supply_levels(s, &lv);
	KUNIT_EXPECT_EQ(test, lv.reserve, 2UL);
	KUNIT_EXPECT_EQ(test, lv.depot, 20UL);	/* (8 + 32) / 2 */
	KUNIT_EXPECT_EQ(test, s->refilled, 22ULL);

	/* Between the watermarks: nothing to do. */
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->refilled, 22ULL);

	add_pages(test, &s->depot, &s->depot_nr, 20);
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 32UL);
	KUNIT_EXPECT_EQ(test, s->trimmed, 8ULL);

	/* A smaller reserve flows into the depot. */
	f->t.reserve_pages = 1;
	f->t.depot_high = 64;
	KUNIT_EXPECT_EQ(test, ds_supply_refill(s, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, s->reserve_nr, 1UL);
	KUNIT_EXPECT_EQ(test, s->depot_nr, 33UL);
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
}

static struct kunit_case supply_cases[] = {
	KUNIT_CASE(supply_take_order),
	KUNIT_CASE(supply_take_restocks_magazine),
	KUNIT_CASE(supply_give_overflow),
	KUNIT_CASE(supply_admission),
	KUNIT_CASE(supply_refill_and_trim),
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
