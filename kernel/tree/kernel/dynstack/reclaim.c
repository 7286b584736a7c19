// SPDX-License-Identifier: GPL-2.0
/*
 * The reclaimer: a sleepable pass over blocked tasks, taking untouched pages
 * at once (I2) and touched ones as pending until one global TLB flush for
 * the whole batch (I3). The module decides when it runs and on whom.
 */
#include "internal.h"

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
	    dynstack_keeps_pages(p, ds) || dynstack_task_dying(p))
		return 0;
	/* Lock order: p->pi_lock -> rq->lock -> ds->lock. */
	raw_spin_lock(&ds->lock);
	/*
	 * I7: order the read of the count after thread.sp's store, which
	 * came before the on_cpu release we acquired: a release/acquire
	 * chain alone does not order a store before a later load (see
	 * dynstack_has_readers()). Free on x86. The caller holds one
	 * reference of its own.
	 */
	smp_mb__after_spinlock();
	if (dynstack_has_readers(p, 1)) {
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
		dynstack_supply_give(r.out, r.n);
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
		dynstack_supply_give(out, n);
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
