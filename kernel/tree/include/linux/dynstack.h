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
 *		Nests inside rq->lock (switch-in runs under it) and
 *		p->pi_lock (the reclaimer runs under task_call_func()); never
 *		take either while holding it.
 * @base:	lowest address of the stack (end_of_stack()).
 * @ptes:	@ptes[i] maps @base + i * PAGE_SIZE. The PTE table exists for
 *		the whole life of the stack, so no hook ever allocates one.
 * @pages:	the page of each slot, NULL if the slot has none.
 * @present:	slots whose PTE is installed. Also read without @lock by the
 *		switch-in fast path (dynstack_switch_in()), see there.
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
 * @populated_ns: local_clock() when a switch-in last had to fill a slot.
 * @detached_ns: local_clock() when pages were last taken away. A policy can
 *		tell from the two how long the task slept last time, and keep
 *		the pages of tasks that only ever nap (ping-pong partners).
 * @vm:		the VA-only vmalloc area (no pages of its own).
 * @node:	NUMA node of the stack.
 * @task:	owner, NULL while cached or being freed.
 * @list:	on dynstack_all, under dynstack_all_lock.
 * @rcu:	RCU-deferred free; lives here, not in the stack's lowest page.
 * @free_node:	deferred destruction from interrupt context.
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
};

/**
 * struct dynstack_ops - the policy a module registers with the core
 * @name:	shown in logs.
 * @owner:	the module.
 * @take_pages:	fill @pages with up to @nr zero-filled pages, return how
 *		many. Called with IRQs off, under rq->lock: must not sleep,
 *		must not enter the page allocator's slow path (I5).
 * @give_pages:	take back @nr zero-filled pages. Same context.
 * @may_detach:	may the untouched pages of @prev be taken away now? Called
 *		at switch-out with IRQs off. Admission control and pinning go
 *		here. Only asked when @prev has a page that could go and did
 *		not just nap (dynstack_configure()); idle and dying tasks are
 *		never asked.
 * @fork_partial: may a new stack start with only its top page (the rest
 *		filled at its first switch-in)? Called at fork, may sleep.
 *		NULL means yes. Saying no makes fork allocate the whole stack
 *		with GFP_KERNEL, as without a policy, so that a short supply
 *		never turns a fork storm into a debt.
 */
struct dynstack_ops {
	const char *name;
	struct module *owner;
	unsigned int (*take_pages)(struct page **pages, unsigned int nr);
	void (*give_pages)(struct page **pages, unsigned int nr);
	bool (*may_detach)(struct task_struct *prev);
	bool (*fork_partial)(void);
};

/**
 * struct dynstack_core_stats - what the core counts
 * @stacks:	live dynamic stacks, cached ones included
 * @partial:	of those, stacks with a page missing
 * @resident_pages: pages held by live stacks
 * @populated:	pages installed fresh at switch-in, since boot
 * @reinstalled: pending pages put back at switch-in, since boot
 * @detached:	Accessed=0 pages taken away, since boot
 * @harvested:	touched dead pages taken from sleeping tasks, since boot
 * @released:	of those, pages freed after a TLB flush, since boot
 * @nopage:	switch-ins the policy's supply could not serve, since boot
 * @readers:	detaches skipped because another task held the stack (I7)
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

/* kernel/sched/core.c, IRQs off, rq->lock held. */
void __dynstack_switch_in(struct task_struct *next);
void __dynstack_switch_out(struct task_struct *prev);

#define DYNSTACK_ALL_PAGES	((1U << DYNSTACK_PAGES) - 1)

/*
 * The fast path is one load: a stack with every page present needs nothing.
 * No lock is needed to trust that answer, because nothing can take a page
 * away from @next while it is being switched in:
 *  - its own switch-out ran before, under the rq->lock or p->on_cpu
 *    hand-off that lets a task move from one CPU to the next;
 *  - the reclaimer only detaches with the task pinned by task_call_func()
 *    (p->pi_lock, plus rq->lock unless it is blocked), so it finished
 *    before the wakeup or enqueue that led here, or starts after @next
 *    is on_cpu and leaves it alone.
 * Pages are only ever added concurrently (dynstack_unregister()'s
 * repopulation): the acquire pairs with the release in dynstack_populate(),
 * so a full @present implies the PTEs it publishes are visible.
 */
static __always_inline void dynstack_switch_in(struct task_struct *next)
{
	if (!static_branch_unlikely(&dynstack_switch_key) || !next->dynstack)
		return;
	/* Pairs with the release in dynstack_populate(); see above. */
	if (smp_load_acquire(&next->dynstack->present) != DYNSTACK_ALL_PAGES)
		__dynstack_switch_in(next);
}

/* Set by dynstack_configure(); read here, on every switch-out. */
extern u64 dynstack_nap_ns;

/*
 * Did @ds's task only nap last time: switched in again less than
 * dynstack_nap_ns after its pages were taken? Then taking them again now
 * would most likely just make its next switch-in put them back (ping-pong
 * partners, short waits); the reclaimer still takes them if it really
 * sleeps. The timestamps are written under ds->lock by this task's own
 * switches, or by the reclaimer, which leaves it alone while it is on_cpu,
 * as it is at switch-out.
 */
static __always_inline bool dynstack_napping(const struct dynstack *ds)
{
	u64 nap = READ_ONCE(dynstack_nap_ns);

	return nap && ds->populated_ns > ds->detached_ns &&
	       ds->populated_ns - ds->detached_ns < nap;
}

/*
 * The answers that need neither a call nor a lock are given inline, as
 * this runs on every context switch: dying and idle tasks keep their
 * stacks, and so do nappers (counted as dynstack_nap).
 */
static __always_inline void dynstack_switch_out(struct task_struct *prev,
						unsigned int prev_state)
{
	struct dynstack *ds;

	if (!static_branch_unlikely(&dynstack_detach_key) ||
	    prev_state == TASK_DEAD || is_idle_task(prev))
		return;
	ds = prev->dynstack;
	if (!ds)
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

#endif /* CONFIG_DYNAMIC_STACK */

#endif /* _LINUX_DYNSTACK_H */
