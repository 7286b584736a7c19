// SPDX-License-Identifier: GPL-2.0
/*
 * The waiting protocol: the wakeup hook fills a stack from the supply or
 * parks the wakeup (I1', I5); kdynstackd allocates for parked tasks, may
 * sleep, and completes their wakeups in order, dying tasks first. Its
 * progress argument is in docs/design.md and proof/waiting.pml.
 */
#define pr_fmt(fmt) "dynstack: " fmt

#include "internal.h"

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
u64 dynstack_wait_max_ns;
atomic_long_t dynstack_alloc_failed, dynstack_kthread_pages;

/* Test hook (KUnit): kdynstackd allocates nothing while this is set. */
bool dynstack_kthread_paused;

struct task_struct *dynstack_kthread;
static void dynstack_kick_fn(struct irq_work *work);
static struct irq_work dynstack_kick = IRQ_WORK_INIT_HARD(dynstack_kick_fn);

/*
 * kdynstackd and the exit reserve are asked for work through an irq_work:
 * the wakeup hook runs under the woken task's pi_lock, where waking another
 * task would nest a second pi_lock.
 */
void dynstack_kick_queue(void)
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
			if (!dynstack_task_dying(it->task))
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
		bool dying = dynstack_task_dying(p);

		if (!dying || !dynstack_fill_from_reserve(ds)) {
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
	if (missing && reserve && dynstack_task_dying(p) && dynstack_fill_from_reserve(ds))
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
	if (ds && (!dying_only || dynstack_task_dying(ds->task))) {
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
	return (READ_ONCE(dynstack_nr_parked) || dynstack_reserve_low()) &&
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
		else if (!dynstack_reserve_put(page))
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


/* Wakeups parked now (the list and its lock are with the waiting protocol). */
unsigned long dynstack_nr_parked;

/* Complete every parked wakeup; every stack is full (dynstack_unregister()). */
void dynstack_complete_all(void)
{
	struct task_struct *p;

	while ((p = parked_head(false))) {
		bool done = try_complete(p, NULL, NULL, false);

		put_task_struct(p);
		if (WARN_ON_ONCE(!done))
			break;
	}
}

/*
 * kdynstackd exists from boot, before any policy can register
 * (dynstack_register() refuses without it), so that no task is ever parked
 * without someone to complete its wakeup.
 */
static int __init dynstack_wait_init(void)
{
	struct task_struct *t;

	t = kthread_run(dynstack_kthread_fn, NULL, "kdynstackd");
	if (IS_ERR(t)) {
		pr_err("cannot start kdynstackd: no policy can register\n");
		return PTR_ERR(t);
	}
	/* Above every normal task: parked tasks are served first. */
	sched_set_fifo_low(t);
	WRITE_ONCE(dynstack_kthread, t);
	return 0;
}
subsys_initcall(dynstack_wait_init);
