// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the core with a real policy registered (kernel/dynstack/
 * policy.c, switch.c, wait.c) on live tasks: invariants I1 (a running task
 * has its whole stack) and I6 (nothing is missing once the policy is gone),
 * I7 (a reader of another task's stack keeps its pages), what the
 * switch-out hook's settings (dynstack_configure()) do to a ping-pong
 * pair, and the waiting protocol: a wakeup the supply cannot serve is
 * parked, completed exactly once by kdynstackd, by a fatal signal from the
 * exit reserve, or by unregistering the policy.
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

static struct kunit_case dynstack_policy_cases[] = {
	KUNIT_CASE_SLOW(dynstack_test_policy_live),
	KUNIT_CASE_SLOW(dynstack_test_reader_keeps_pages),
	KUNIT_CASE_SLOW(dynstack_test_switch_out_settings),
	KUNIT_CASE_SLOW(dynstack_test_wait_protocol),
	{}
};

static struct kunit_suite dynstack_policy_suite = {
	.name = "dynstack_policy",
	.test_cases = dynstack_policy_cases,
};
kunit_test_suite(dynstack_policy_suite);
