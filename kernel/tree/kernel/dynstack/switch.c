// SPDX-License-Identifier: GPL-2.0
/*
 * The switch-out hook: pages below the saved stack pointer of a task that
 * blocked, untouched since they were installed, leave at once (I2), unless
 * a reader holds the stack (I7) or the task is dying. Also the two rules
 * the reclaimer shares: dynstack_has_readers() and dynstack_task_dying().
 */
#include "internal.h"

/**
 * dynstack_has_readers - does anybody but @p itself hold @p's stack?
 * @p: a live task
 * @own: references the caller itself holds (try_get_task_stack())
 *
 * I7. A live task holds one reference on its own stack; every reader of
 * another task's stack in the kernel (stack_trace_save_tsk() behind
 * /proc/PID/stack, __get_wchan(), show_trace_log_lvl() behind sched_show_task()
 * and sysrq-t, the BPF stack helpers, ...; docs/design.md lists them) holds
 * another for the whole walk. A walk starts from @p->thread.sp, which is
 * stale as soon as @p runs again, and is only bounded by the stack's range,
 * so while a reader holds the stack no page of it may go.
 *
 * A reader that is not seen here started late enough to be safe: pages
 * only ever go from below the stack pointer the detaching code read, and
 * the reader reads that stack pointer (or a newer one) after its reference
 * is visible. The ordering that makes "not seen" imply "reads the new stack
 * pointer" is a store-buffering pair, each side with a full barrier:
 *
 *   reader (try_get_task_stack())       switch-out (__dynstack_switch_out())
 *   stack_refcount++                    thread.sp = sp (switch_to())
 *   smp_mb__after_atomic()              smp_mb__after_spinlock()
 *   read thread.sp, walk the stack      read stack_refcount, detach below sp
 *
 * The reclaimer reads both thread.sp and the count of a task pinned by
 * task_call_func(), after the switch-out that stored thread.sp (on_cpu
 * hand-off). That switch-out often returned before reading the count (no
 * page to take, a nap, detach off), so the reclaimer pairs with the reader
 * on its own: thread.sp was stored before the on_cpu release, and
 * reclaim_pinned() has a full barrier between its acquire of ds->lock and
 * its read of the count. A reader it does not see therefore read that same
 * thread.sp or a newer one (the task ran since: no hole left), and the
 * reclaimer only takes pages below it. A reader drops its reference with put_task_stack(), a
 * release: its loads from the stack are done before a detach sees the
 * count go down.
 *
 * Return: true if a reader holds the stack: take nothing from it now.
 */
bool dynstack_has_readers(struct task_struct *p, unsigned int own)
{
	return refcount_read(&p->stack_refcount) > 1 + own;
}

/*
 * A task that must run to free memory: killed (the OOM killer's SIGKILL
 * included), exiting, or chosen as an OOM victim. Its wakeup may take the
 * exit reserve.
 */
bool dynstack_task_dying(struct task_struct *p)
{
	return fatal_signal_pending(p) || (p->flags & PF_EXITING) ||
	       tsk_is_oom_victim(p);
}

/*
 * The out-of-line part of dynstack_switch_out(): @prev blocked, is not
 * dead, has a dynamic stack the core does not keep full and did not just
 * nap.
 */
void __dynstack_switch_out(struct task_struct *prev)
{
	struct dynstack *ds = prev->dynstack;
	const struct dynstack_ops *ops;
	struct page *out[DYNSTACK_PAGES];
	unsigned int n;

	/*
	 * Without ds->lock (prev is on_cpu, so only this CPU changes which
	 * pages it has): is there anything that could go at all? Only then
	 * ask the policy and take the lock.
	 */
	if (!dynstack_untouched(ds, dynstack_slots_below(ds, prev->thread.sp)))
		return;
	/*
	 * A dying task is about to free memory: do not make its wakeup
	 * wait. Not only a pending fatal signal: get_signal() dequeues
	 * SIGKILL before do_exit() sets PF_EXITING, and an OOM victim may
	 * sleep in between (a core dump, a ptrace exit stop).
	 */
	if (dynstack_task_dying(prev))
		return;
	ops = policy();
	if (!ops || (ops->may_detach && !ops->may_detach(prev)))
		return;
	/*
	 * prev->on_cpu is still 1 and prev->on_rq is 0: a waker spins on
	 * on_cpu before dynstack_wake_park() looks at the stack (no wakelist
	 * shortcut for it, dynstack_wake_no_shortcut()), and the reclaimer
	 * leaves on_cpu tasks alone. thread.sp was
	 * saved by switch_to(); everything below it is dead (x86-64 kernel
	 * code has no red zone).
	 */
	raw_spin_lock(&ds->lock);
	/*
	 * I7: switch_to() stored prev->thread.sp; the full barrier orders that
	 * store before the read of the stack's reference count, against
	 * try_get_task_stack()'s barrier (see dynstack_has_readers()). A locked
	 * instruction already is one on x86, so this costs nothing there.
	 */
	smp_mb__after_spinlock();
	if (dynstack_has_readers(prev, 0)) {
		raw_spin_unlock(&ds->lock);
		count_vm_event(DYNSTACK_READER);
		return;
	}
	/* I1 for prev holds trivially: it is not running any more. */
	n = dynstack_detach(ds, prev->thread.sp, false, out);
	raw_spin_unlock(&ds->lock);
	if (n) {
		count_vm_events(DYNSTACK_DETACH, n);
		dynstack_supply_give(out, n);
	}
}


/*
 * KUnit: the calling kernel thread may lose stack pages as a user task
 * would. Its threads are no part of reclaim, so the progress argument
 * for kernel threads does not need them.
 */
void dynstack_allow_detach(struct task_struct *p)
{
	p->dynstack->test_detach = true;
}
