/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Dynamic kernel stacks: what the files of the core share.
 *
 *  slots.c    the page-slot protocol: populate, detach, pending, release
 *  stack.c    stack lifecycle: create, cache, free, accounting, readers
 *  switch.c   the switch-out hook
 *  wait.c     the wakeup hook, parked wakeups and kdynstackd
 *  reserve.c  the exit reserve for dying tasks
 *  policy.c   registering a policy, configuring it, unregistering (I6)
 *  reclaim.c  the reclaimer for blocked tasks
 *  stats.c    statistics and core_stats in sysfs
 *
 * Every task stack is a THREAD_SIZE, THREAD_ALIGN-aligned vmalloc area with
 * a guard page, as with CONFIG_VMAP_STACK, but the area has no pages of its
 * own: the core attaches and detaches them, and only ever
 *
 *  - at wakeup of a blocked task (try_to_wake_up(), before it is put on a
 *    runqueue): every missing page is filled from the policy's supply; if
 *    the supply cannot, the wakeup is deferred ("parked") until kdynstackd
 *    has filled the stack with pages it may sleep for, so that
 *
 *	I1': only a blocked or parked task may lack a stack page; a task that
 *	    is running, queued or being woken has every page mapped, and no
 *	    page fault on a stack is ever taken;
 *
 *  - at switch-out of a task that blocked (finish_task_switch(), before
 *    finish_task() clears prev->on_cpu, so no other CPU can run @prev yet):
 *    pages of @prev below its saved stack pointer whose PTE still has
 *    Accessed=0 are exchanged away and given back at once;
 *
 *  - from the reclaimer (dynstack_reclaim(), sleepable), for blocked tasks:
 *    the same, plus touched pages below the stack pointer, which are kept
 *    as "pending" until a global TLB flush.
 *
 * Where the pages come from and when they are taken away is the policy of a
 * loadable module (struct dynstack_ops); without one every stack is fully
 * populated and the hooks are static branches that are off (I6). Whether a
 * parked task runs again is not: the parked list, kdynstackd and the exit
 * reserve are the core's, so a policy that hands out no pages slows tasks
 * down but never strands them (the progress argument, docs/design.md).
 *
 * Invariants (each is named again where the code relies on it):
 *  I1: a running task has every page of its stack mapped (I1' above).
 *  I2: a page leaves a stack without a TLB flush only if its PTE was
 *      exchanged away with Accessed=0 in the same atomic operation.
 *  I3: a page whose PTE had Accessed=1 is reused for nothing until a global
 *      TLB flush completed after its PTE was cleared; until then it stays
 *      on its stack as pending, and a wakeup maps that same page again.
 *  I4: pages handed to a stack are zero-filled.
 *  I5: the wakeup hook never sleeps and never calls the page allocator;
 *      only kdynstackd allocates, in process context, and may sleep.
 *  I6: without a policy no stack has a missing page and the hooks are off.
 *  I7: a page leaves a stack only while nobody but its task holds the stack
 *      (try_get_task_stack()): readers of another task's stack (unwinders,
 *      /proc/PID/stack, sysrq-t, watchdogs, BPF) start from a saved stack
 *      pointer that may be stale and bound-check only against the stack's
 *      range, so everything at or above any stack pointer a reader reads
 *      must stay mapped while it holds the stack; see dynstack_has_readers().
 *
 * The x86 facts this rests on (Intel SDM vol. 3A):
 *  - 4.10.2.3: a translation is cached in a TLB only if the Accessed flag
 *    of the PTE is 1, and the processor sets it (atomically, in memory)
 *    before caching; speculation may set it too, which errs on the safe
 *    side. A PTE read as Accessed=0 in the same atomic exchange that
 *    clears it therefore has no TLB entry anywhere.
 *  - 4.10.4.3: a PTE going from not-present to present needs no
 *    invalidation.
 *  - Stack mappings are global: a CR3 switch does not flush them, so a
 *    translation that was ever cached must be flushed explicitly.
 */
#ifndef _KERNEL_DYNSTACK_INTERNAL_H
#define _KERNEL_DYNSTACK_INTERNAL_H

#include <linux/dynstack.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/signal.h>
#include <linux/sched/clock.h>
#include <linux/ptrace.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/memcontrol.h>
#include <linux/vmstat.h>
#include <linux/cpuhotplug.h>
#include <linux/llist.h>
#include <linux/workqueue.h>
#include <linux/wait.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/module.h>
#include <linux/irq_work.h>
#include <linux/kthread.h>
#include <linux/oom.h>
#include <linux/delay.h>
#include <asm/tlbflush.h>

#define TOP_BIT		(1U << DYNSTACK_TOP)

/* slots.c: the page-slot protocol (I1-I4). */
DECLARE_PER_CPU(long, dynstack_by_resident[DYNSTACK_PAGES + 1]);
void dynstack_install_pte(struct dynstack *ds, int i, struct page *page);
void dynstack_account_pages(struct dynstack *ds, int nr);
unsigned int dynstack_supply_take(struct page **pages, unsigned int nr);
void dynstack_supply_give(struct page **pages, unsigned int nr);
void dynstack_publish(struct dynstack *ds, unsigned int added);
unsigned int dynstack_populate(struct dynstack *ds);
unsigned int dynstack_fill(struct dynstack *ds, struct page **pool,
			   unsigned int *nr);
unsigned int dynstack_slots_below(struct dynstack *ds, unsigned long sp);
unsigned int dynstack_untouched(struct dynstack *ds, unsigned int mask);
unsigned int dynstack_detach(struct dynstack *ds, unsigned long sp,
			     bool touched, struct page **out);
unsigned int dynstack_release_pending(struct dynstack *ds, unsigned int covered,
				      struct page **out);

/* stack.c: stacks, their cache and their accounting. */
extern struct list_head dynstack_all;
extern spinlock_t dynstack_all_lock;
struct dynstack *dynstack_create(int node, unsigned int nr_pages);
void dynstack_destroy(struct dynstack *ds);
void dynstack_set_accounted(struct dynstack *ds, bool on);

/* switch.c: the switch-out hook and the rules for taking pages (I7). */
bool dynstack_has_readers(struct task_struct *p, unsigned int own);
bool dynstack_task_dying(struct task_struct *p);
void dynstack_allow_detach(struct task_struct *p);

/* wait.c: parked wakeups and kdynstackd. */
extern unsigned long dynstack_nr_parked;
extern u64 dynstack_wait_max_ns;
extern atomic_long_t dynstack_alloc_failed, dynstack_kthread_pages;
extern struct task_struct *dynstack_kthread;
extern bool dynstack_kthread_paused;
void dynstack_kick_queue(void);
void dynstack_complete_all(void);
void dynstack_kthread_pause(bool pause);

/* reserve.c: the exit reserve, pages for dying tasks only. */
#define RESERVE_MAX	64
extern unsigned int dynstack_reserve_nr;
extern atomic_long_t dynstack_reserve_served;
bool dynstack_reserve_low(void);
void dynstack_reserve_drain(void);
bool dynstack_reserve_put(struct page *page);
bool dynstack_reserve_fill(void);
bool dynstack_fill_from_reserve(struct dynstack *ds);

/* policy.c: registration, the switch-out settings, repopulation (I6). */
extern const struct dynstack_ops __rcu *dynstack_policy;
extern struct mutex dynstack_policy_mutex;
extern bool dynstack_detach_on;

/* stats.c: counters summed for the module, sysfs and the KUnit suite. */
typedef bool (*dynstack_visit_t)(struct dynstack *ds, void *data);
void dynstack_visit_stacks(dynstack_visit_t fn, void *data);
unsigned long dynstack_sum_event(enum vm_event_item item);

static inline pgprot_t dynstack_prot(void)
{
	/*
	 * PAGE_KERNEL has Accessed and Dirty preset, which would make every
	 * page look touched. Installing with A=0 D=0 is what lets the
	 * switch-out hook prove, from A alone, that no TLB holds the page.
	 */
	return __pgprot(pgprot_val(PAGE_KERNEL) & ~(_PAGE_ACCESSED | _PAGE_DIRTY));
}

static inline unsigned long slot_addr(struct dynstack *ds, int i)
{
	return ds->base + i * PAGE_SIZE;
}

/*
 * The lowest word of the stack holds STACK_END_MAGIC (end_of_stack()). It
 * is written and read through the direct map of the page, never through
 * the stack's own mapping, so that checking it does not set Accessed on
 * the lowest page and keep it resident forever.
 */
static inline void slot0_set_magic(struct page *page)
{
	*(unsigned long *)page_address(page) = STACK_END_MAGIC;
}

static inline void slot0_clear_magic(struct page *page)
{
	*(unsigned long *)page_address(page) = 0;
}


/* The registered policy, or NULL; IRQs off or dynstack_policy_mutex held. */
static inline const struct dynstack_ops *policy(void)
{
	return rcu_dereference_sched(dynstack_policy);
}

#endif /* _KERNEL_DYNSTACK_INTERNAL_H */
