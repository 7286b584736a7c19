/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dynamic kernel stacks: switch-time population of THREAD_SIZE stacks.
 *
 * A stack keeps its full, THREAD_ALIGN-aligned virtual area with a guard
 * page below it, but only its top page is guaranteed to be resident. The
 * pages below it are attached when the task is switched in and may be taken
 * away while it is not running. See Documentation in dynstack's docs/design.md
 * for the mechanism and the invariants I1-I7 referred to below.
 */
#ifndef _LINUX_DYNSTACK_H
#define _LINUX_DYNSTACK_H

#include <linux/types.h>
#include <linux/spinlock_types.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/rcupdate.h>
#include <linux/jump_label.h>
#include <linux/sched.h>
#include <linux/mm.h>		/* before vmstat.h, which needs folio helpers */
#include <linux/vmstat.h>
#include <asm/page.h>
#include <asm/pgtable_types.h>

struct task_struct;
struct vm_struct;
struct page;
struct module;

#define DYNSTACK_PAGES		(THREAD_SIZE / PAGE_SIZE)
/* The page holding the top of the stack: always resident. */
#define DYNSTACK_TOP		(DYNSTACK_PAGES - 1)

/**
 * struct dynstack - one kernel stack and the state of its pages
 * @lock:	serialises every change of the fields below and of the PTEs.
 *		Nests inside p->pi_lock (wakeups, the reclaimer's
 *		task_call_func()) and rq->lock (switch-out); never take
 *		either while holding it. dynstack_park_lock and the exit
 *		reserve's lock nest inside it.
 * @base:	lowest address of the stack (end_of_stack()).
 * @ptes:	@ptes[i] maps @base + i * PAGE_SIZE. The PTE table exists for
 *		the whole life of the stack, so no hook ever allocates one.
 * @pages:	the page of each slot, NULL if the slot has none.
 * @present:	slots whose PTE is installed. Also read without @lock by the
 *		wakeup fast path (dynstack_wake_park()), see there.
 * @pending:	slots whose PTE was cleared while it had Accessed=1: the
 *		page stays here until a global TLB flush (I3).
 * @stale:	slots reinstalled from @pending before that flush: a TLB may
 *		still hold their old translation, so Accessed=0 proves
 *		nothing for them until the flush (I2).
 * @dirty:	slots reinstalled from @pending: the page holds the task's old
 *		data although its PTE has Accessed=0, so it must be zeroed
 *		before it leaves the stack or goes to a new owner (I4).
 * @nr_resident: pages in @pages (present or pending): what the stack costs.
 * @accounted:	the stack belongs to a task whose stack is accounted in
 *		NR_KERNEL_STACK_KB (between fork and exit).
 * @accounted_pages: pages currently included there; equals @nr_resident
 *		whenever @accounted.
 * @last_used:	pages at or above the stack pointer at the last switch-out.
 * @max_used:	high-water mark of @last_used.
 * @populated_ns: local_clock() when a wakeup last had to fill a slot.
 * @detached_ns: local_clock() when pages were last taken away. A policy can
 *		tell from the two how long the task slept last time, and keep
 *		the pages of tasks that only ever nap (ping-pong partners).
 * @vm:		the VA-only vmalloc area (no pages of its own).
 * @node:	NUMA node of the stack.
 * @task:	owner, NULL while cached or being freed.
 * @list:	on dynstack_all, under dynstack_all_lock.
 * @rcu:	RCU-deferred free; lives here, not in the stack's lowest page.
 * @free_node:	deferred destruction from interrupt context.
 * @test_detach: a KUnit thread: may lose pages although it is a kthread.
 * @parked_ns:	local_clock() when the wakeup was deferred.
 * @park_node:	on dynstack_parked_list while the task's wakeup is parked
 *		(the waiting protocol, dynstack_wake_park()), else empty.
 *		Linked and unlinked under dynstack_park_lock with the task's
 *		pi_lock and @lock held, so "parked" (non-empty) is stable
 *		under the pi_lock; only its place in the list moves without
 *		it (__dynstack_wake_dying()), which never makes it empty.
 */
struct dynstack {
	raw_spinlock_t lock;
	unsigned long base;
	pte_t *ptes;
	struct page *pages[DYNSTACK_PAGES];
	u8 present;
	u8 pending;
	u8 stale;
	u8 dirty;
	u8 nr_resident;
	bool accounted;
	u8 accounted_pages;
	u8 last_used;
	u8 max_used;
	int node;
	u64 populated_ns;
	u64 detached_ns;
	struct vm_struct *vm;
	struct task_struct *task;
	struct list_head list;
	struct rcu_head rcu;
	struct llist_node free_node;
	bool test_detach;
	u64 parked_ns;
	struct list_head park_node;
};

/**
 * struct dynstack_ops - the policy a module registers with the core
 * @name:	shown in logs.
 * @owner:	the module.
 * @take_pages:	fill @pages with up to @nr zero-filled pages, return how
 *		many. Called with IRQs off, from a wakeup (under the woken
 *		task's pi_lock and its stack's lock, maybe in hardirq
 *		context) or from kdynstackd: must not sleep, must not enter
 *		the page allocator (I5). Returning fewer is always safe: the
 *		task waits for kdynstackd instead.
 * @give_pages:	take back @nr zero-filled pages. IRQs off, same rules.
 * @may_detach:	may the untouched pages of @prev be taken away now? Called
 *		at switch-out with IRQs off. Admission control and pinning go
 *		here. Only asked when @prev has a page that could go and did
 *		not just nap (dynstack_configure()); tasks the core keeps full
 *		(dynstack_keeps_pages()) are never asked.
 */
struct dynstack_ops {
	const char *name;
	struct module *owner;
	unsigned int (*take_pages)(struct page **pages, unsigned int nr);
	void (*give_pages)(struct page **pages, unsigned int nr);
	bool (*may_detach)(struct task_struct *prev);
};

/**
 * struct dynstack_core_stats - what the core counts
 * @stacks:	live dynamic stacks, cached ones included
 * @partial:	of those, stacks with a page missing
 * @resident_pages: pages held by live stacks
 * @populated:	pages installed fresh at wakeup, since boot
 * @reinstalled: pending pages put back at wakeup, since boot
 * @detached:	Accessed=0 pages taken away, since boot
 * @harvested:	touched dead pages taken from sleeping tasks, since boot
 * @released:	of those, pages freed after a TLB flush, since boot
 * @nopage:	wakeups deferred because the policy's supply could not fill
 *		the stack, since boot (each one waited for kdynstackd)
 * @readers:	detaches skipped because another task held the stack (I7)
 * @parked:	tasks waiting for stack pages now
 * @wait_us:	total time tasks waited for stack pages, since boot
 * @wait_max_us: the longest such wait, since boot
 * @reserve_pages: pages in the exit reserve now
 * @reserve_served: wakeups of dying tasks served from the exit reserve
 * @alloc_failed: kdynstackd's page allocations that failed, since boot
 * @kthread_pages: pages kdynstackd allocated (GFP_KERNEL, process context),
 *		since boot: the only pages the core takes from the page
 *		allocator after fork
 */
struct dynstack_core_stats {
	unsigned long stacks;
	unsigned long partial;
	unsigned long resident_pages;
	unsigned long populated;
	unsigned long reinstalled;
	unsigned long detached;
	unsigned long harvested;
	unsigned long released;
	unsigned long nopage;
	unsigned long readers;
	unsigned long parked;
	unsigned long wait_us;
	unsigned long wait_max_us;
	unsigned long reserve_pages;
	unsigned long reserve_served;
	unsigned long alloc_failed;
	unsigned long kthread_pages;
};

extern struct kobject *dynstack_kobj;	/* /sys/kernel/mm/dynstack */

/*
 * What stack_not_used() says of a dynamic stack whose lock is busy (never a
 * byte count): dump paths must not spin on it.
 */
#define DYNSTACK_USAGE_UNKNOWN	ULONG_MAX

#ifdef CONFIG_DYNAMIC_STACK

DECLARE_STATIC_KEY_FALSE(dynstack_switch_key);
DECLARE_STATIC_KEY_FALSE(dynstack_detach_key);

/* kernel/fork.c */
int dynstack_alloc_task_stack(struct task_struct *tsk, int node);
void dynstack_free_task_stack(struct task_struct *tsk);
void dynstack_account_task(struct task_struct *tsk, int account);
void dynstack_init(void);

/* Stack-end canary and usage, read through the direct map (no A bit set). */
unsigned long *dynstack_end_magic(struct task_struct *tsk);
unsigned long dynstack_not_used(struct task_struct *tsk);

#define DYNSTACK_ALL_PAGES	((1U << DYNSTACK_PAGES) - 1)

/*
 * I1': only a task that is blocked (on_rq == 0, on_cpu == 0, a sleeping
 * state) or parked (TASK_WAKING, its wakeup deferred by
 * dynstack_wake_park()) may lack a stack page. Every other task, running,
 * queued, preempted, sched_delayed, new or being woken, has all of them.
 * The scheduler keeps it with three hooks: pages go only at switch-out of
 * a task that blocked (dynstack_switch_out()) and from blocked tasks in the
 * reclaimer; the one edge from blocked to queued, try_to_wake_up()'s
 * on_rq == 0 branch, fills the stack or parks the task
 * (dynstack_wake_park()); and the on_cpu wakelist shortcut, which would
 * queue a task before its switch-out has run, is not taken for tasks
 * whose stack may still lose pages (dynstack_wake_no_shortcut()).
 *
 * So context_switch() never fills anything, and only checks, in debug
 * builds, that @next's stack is whole.
 */
static __always_inline void dynstack_switch_in(struct task_struct *next)
{
#ifdef CONFIG_DEBUG_VM
	if (static_branch_unlikely(&dynstack_switch_key) && next->dynstack)
		VM_WARN_ON_ONCE(READ_ONCE(next->dynstack->present) !=
				DYNSTACK_ALL_PAGES);
#endif
}

/* kernel/sched/core.c: try_to_wake_up(), see dynstack_wake_park(). */
bool __dynstack_wake_park(struct task_struct *p);

/**
 * dynstack_wake_park - fill @p's stack for a wakeup, or defer the wakeup
 * @p: a task try_to_wake_up() found blocked; p->pi_lock is held, IRQs are
 *	off, p is TASK_WAKING, p->on_rq == 0 and p->on_cpu == 0 (acquired
 *	after its switch-out, so whatever that switch-out took is visible)
 *
 * The fast path is one load: a full stack needs nothing. @present of a
 * blocked task changes only under p->pi_lock (the reclaimer pins the task
 * with task_call_func()) or before the on_cpu release of its switch-out,
 * which the caller acquired; the one concurrent writer,
 * dynstack_unregister()'s repopulation, only adds pages, publishing the
 * PTEs before the bits (release, paired with the acquire here).
 *
 * Otherwise the missing pages are put back from pending and from the
 * policy's supply, without sleeping and without the page allocator; if
 * that is not enough the task is parked: it stays TASK_WAKING, on no
 * runqueue, until kdynstackd (or, for a dying task, the exit reserve)
 * fills its stack and completes the wakeup with sched_ttwu_parked().
 *
 * Return: true if @p was parked: try_to_wake_up() must stop there (the
 * wakeup succeeded; a second one finds TASK_WAKING and returns 0).
 */
static __always_inline bool dynstack_wake_park(struct task_struct *p)
{
	if (!static_branch_unlikely(&dynstack_switch_key) || !p->dynstack)
		return false;
	/* Pairs with the releases in dynstack_populate() and repopulate_one(). */
	if (smp_load_acquire(&p->dynstack->present) == DYNSTACK_ALL_PAGES)
		return false;
	return __dynstack_wake_park(p);
}

/*
 * try_to_wake_up() may queue a task that is still on_cpu on its CPU's
 * wakelist, to be activated right after its switch-out, without passing
 * dynstack_wake_park(). That switch-out may take pages (while a policy is
 * registered), so tasks with a dynamic stack do not take that shortcut:
 * their waker waits for on_cpu to clear, as with TTWU_QUEUE off, and then
 * sees what the switch-out took. dynstack_register() enables the switch
 * key and waits for an RCU grace period before it enables detaching, so
 * a waker that saw the key off and took the shortcut has queued its task
 * before any switch-out can take a page.
 */
static __always_inline bool dynstack_wake_no_shortcut(struct task_struct *p)
{
	/* Kernel threads never lose pages (dynstack_keeps_pages()). */
	return static_branch_unlikely(&dynstack_switch_key) && p->dynstack &&
	       (!(p->flags & PF_KTHREAD) || p->dynstack->test_detach);
}

/* kernel/signal.c: a fatal signal for @t; see __dynstack_wake_dying(). */
void __dynstack_wake_dying(struct task_struct *t);

static __always_inline void dynstack_wake_dying(struct task_struct *t)
{
	if (static_branch_unlikely(&dynstack_switch_key) &&
	    READ_ONCE(t->__state) == TASK_WAKING)
		__dynstack_wake_dying(t);
}

/* Is @p's wakeup parked? Stable under p->pi_lock (see @park_node). */
static inline bool dynstack_parked(struct task_struct *p)
{
	return p->dynstack && !list_empty(&p->dynstack->park_node);
}

/* kernel/sched/core.c: complete a parked wakeup, p->pi_lock held. */
void sched_ttwu_parked(struct task_struct *p);

/* kernel/sched/core.c, IRQs off, rq->lock held. */
void __dynstack_switch_out(struct task_struct *prev);

/*
 * Tasks whose stack always stays full, so that they are never parked (the
 * progress argument in docs/design.md, "What happens when the supply runs
 * dry"): every kernel thread (kswapd, the OOM reaper, kdynstackd, the
 * workers that reclaim and I/O completion may wait on, idle) and every
 * task that reclaim may be waiting on right now: inside reclaim
 * (PF_MEMALLOC), in a NOFS/NOIO scope or holding a journal handle (the
 * allocations of kdynstackd may wait for it to finish), or exiting.
 * Flags are read of a task that is not running: only the task itself
 * changes them, so they are what it had when it blocked.
 */
#define DYNSTACK_KEEP_FLAGS	(PF_KTHREAD | PF_IDLE | PF_EXITING | PF_MEMALLOC | \
				 PF_MEMALLOC_NOFS | PF_MEMALLOC_NOIO)

static __always_inline bool dynstack_keeps_pages(struct task_struct *p,
						 const struct dynstack *ds)
{
	unsigned int flags = p->flags;

	if (unlikely(ds->test_detach))
		flags &= ~PF_KTHREAD;
	return (flags & DYNSTACK_KEEP_FLAGS) || p->journal_info;
}

/* Set by dynstack_configure(); read here, on every switch-out. */
extern u64 dynstack_nap_ns;

/*
 * Did @ds's task only nap last time: woken again less than dynstack_nap_ns
 * after its pages were taken? Then taking them again now would most likely
 * just make its next wakeup put them back (ping-pong partners, short
 * waits); the reclaimer still takes them if it really sleeps. The
 * timestamps are written under ds->lock by the task's wakeups and its own
 * switch-outs, or by the reclaimer, which leaves it alone while it is
 * on_cpu, as it is at switch-out.
 */
static __always_inline bool dynstack_napping(const struct dynstack *ds)
{
	u64 nap = READ_ONCE(dynstack_nap_ns);

	return nap && ds->populated_ns > ds->detached_ns &&
	       ds->populated_ns - ds->detached_ns < nap;
}

/*
 * The answers that need neither a call nor a lock are given inline, as
 * this runs on every context switch. Only a task that blocked (it is off
 * its runqueue: prev->on_rq is stable under the rq->lock we hold) may lose
 * pages, I1'; preempted and sched_delayed tasks are still on_rq and keep
 * them. Dying tasks, the tasks the core keeps full and nappers (counted as
 * dynstack_nap) keep them too.
 */
static __always_inline void dynstack_switch_out(struct task_struct *prev,
						unsigned int prev_state)
{
	struct dynstack *ds;

	if (!static_branch_unlikely(&dynstack_detach_key) ||
	    prev_state == TASK_DEAD || READ_ONCE(prev->on_rq))
		return;
	ds = prev->dynstack;
	if (!ds || dynstack_keeps_pages(prev, ds))
		return;
	if (dynstack_napping(ds)) {
		count_vm_event(DYNSTACK_NAP);
		return;
	}
	__dynstack_switch_out(prev);
}

/* The policy module's interface. */
int dynstack_register(const struct dynstack_ops *ops);
void dynstack_unregister(const struct dynstack_ops *ops);
int dynstack_configure(const struct dynstack_ops *ops, bool detach, u64 nap_ns);

/**
 * struct dynstack_reclaim_ctl - one reclaim pass over sleeping tasks
 * @filter:	called under RCU for each candidate task; return false to skip.
 * @data:	passed to @filter.
 * @touched:	also take touched pages below the stack pointer (costs a
 *		global TLB flush per pass); otherwise only Accessed=0 pages.
 * @scanned:	result: tasks looked at.
 * @detached:	result: untouched pages given back at once.
 * @harvested:	result: touched pages cleared, kept until the flush.
 * @released:	result: of those, pages given back after the flush.
 * @flushes:	result: global TLB flushes done.
 * @readers:	result: tasks left alone because another task held their
 *		stack (I7).
 * @more:	result: the batch of tasks with touched pages was full; another
 *		pass would find more.
 */
struct dynstack_reclaim_ctl {
	bool (*filter)(struct task_struct *p, void *data);
	void *data;
	bool touched;
	unsigned long scanned;
	unsigned long detached;
	unsigned long harvested;
	unsigned long released;
	unsigned long flushes;
	unsigned long readers;
	bool more;
};
int dynstack_reclaim(struct dynstack_reclaim_ctl *ctl);

void dynstack_get_stats(struct dynstack_core_stats *st);

int dynstack_task_info(pid_t vpid, unsigned int *resident,
		       unsigned int *last_used, unsigned int *max_used);

/* Histogram of resident pages per live stack, @hist[0..DYNSTACK_PAGES]. */
void dynstack_residency_histogram(unsigned long *hist);

#else /* !CONFIG_DYNAMIC_STACK */

static inline void dynstack_switch_in(struct task_struct *next) { }
static inline void dynstack_switch_out(struct task_struct *prev,
				       unsigned int prev_state) { }
static inline bool dynstack_wake_park(struct task_struct *p) { return false; }
static inline bool dynstack_wake_no_shortcut(struct task_struct *p) { return false; }
static inline void dynstack_wake_dying(struct task_struct *t) { }
static inline bool dynstack_parked(struct task_struct *p) { return false; }

#endif /* CONFIG_DYNAMIC_STACK */

#endif /* _LINUX_DYNSTACK_H */
