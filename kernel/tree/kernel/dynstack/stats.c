// SPDX-License-Identifier: GPL-2.0
/*
 * Statistics: the vmstat events and per-CPU residency counters summed for
 * the module (dynstack_get_stats()), per-task residency for the ioctl, and
 * /sys/kernel/mm/dynstack/core_stats.
 */
#include "internal.h"

struct kobject *dynstack_kobj;
EXPORT_SYMBOL_GPL(dynstack_kobj);

/* A dynstack_* vmstat event summed over CPUs (also used by the KUnit suite). */
unsigned long dynstack_sum_event(enum vm_event_item item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(vm_event_states, cpu).event[item];
	return sum;
}

/* @hist[i]: live stacks holding i pages, summed over CPUs; no lock, no walk. */
static void residency_sum(unsigned long *hist)
{
	int cpu, i;

	for (i = 0; i <= DYNSTACK_PAGES; i++) {
		long sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu(dynstack_by_resident[i], cpu);
		/* A stack may be counted out on one CPU before in on another. */
		hist[i] = max(sum, 0L);
	}
}

void dynstack_get_stats(struct dynstack_core_stats *st)
{
	unsigned long hist[DYNSTACK_PAGES + 1];
	int i;

	memset(st, 0, sizeof(*st));
	residency_sum(hist);
	for (i = 0; i <= DYNSTACK_PAGES; i++) {
		st->stacks += hist[i];
		st->resident_pages += i * hist[i];
	}
	st->partial = st->stacks - hist[DYNSTACK_PAGES];
	st->populated = dynstack_sum_event(DYNSTACK_POPULATE);
	st->reinstalled = dynstack_sum_event(DYNSTACK_REINSTALL);
	st->detached = dynstack_sum_event(DYNSTACK_DETACH);
	st->harvested = dynstack_sum_event(DYNSTACK_HARVEST);
	st->released = dynstack_sum_event(DYNSTACK_RELEASE);
	st->nopage = dynstack_sum_event(DYNSTACK_DEFER);
	st->readers = dynstack_sum_event(DYNSTACK_READER);
	st->parked = READ_ONCE(dynstack_nr_parked);
	st->wait_us = dynstack_sum_event(DYNSTACK_WAIT_US);
	st->wait_max_us = div_u64(READ_ONCE(dynstack_wait_max_ns), NSEC_PER_USEC);
	st->reserve_pages = READ_ONCE(dynstack_reserve_nr);
	st->reserve_served = atomic_long_read(&dynstack_reserve_served);
	st->alloc_failed = atomic_long_read(&dynstack_alloc_failed);
	st->kthread_pages = atomic_long_read(&dynstack_kthread_pages);
}
EXPORT_SYMBOL_GPL(dynstack_get_stats);

/**
 * dynstack_task_info - residency of the stack of the task with id @vpid
 * @vpid: a thread id in the caller's pid namespace
 * @resident: pages the stack holds now
 * @last_used: pages in use at its last switch-out
 * @max_used: high-water mark of @last_used
 *
 * The caller must have ptrace read access to the task, as /proc/PID/wchan
 * requires (there with the file's credentials, PTRACE_MODE_READ_FSCREDS;
 * here, a system call, with the caller's: PTRACE_MODE_READ_REALCREDS, as
 * kcmp() and process_vm_readv() use). Page counts tell less than wchan's
 * symbol; /proc/PID/stack, with whole call chains, needs CAP_SYS_ADMIN.
 *
 * Return: 0, -ESRCH (no such task or it is exiting), -EPERM, or -ENODATA
 * (a stack dynstack does not manage, like the boot CPU's idle task).
 */
int dynstack_task_info(pid_t vpid, unsigned int *resident,
		       unsigned int *last_used, unsigned int *max_used)
{
	struct task_struct *tsk;
	struct dynstack *ds;
	unsigned long flags;
	int err = 0;

	rcu_read_lock();
	tsk = find_task_by_vpid(vpid);
	if (tsk)
		get_task_struct(tsk);
	rcu_read_unlock();
	if (!tsk)
		return -ESRCH;
	if (!ptrace_may_access(tsk, PTRACE_MODE_READ_REALCREDS)) {
		err = -EPERM;
		goto put_task;
	}
	if (!try_get_task_stack(tsk)) {
		err = -ESRCH;
		goto put_task;
	}
	ds = tsk->dynstack;
	if (ds) {
		raw_spin_lock_irqsave(&ds->lock, flags);
		*resident = ds->nr_resident;
		*last_used = ds->last_used;
		*max_used = ds->max_used;
		raw_spin_unlock_irqrestore(&ds->lock, flags);
	} else {
		err = -ENODATA;
	}
	put_task_stack(tsk);
put_task:
	put_task_struct(tsk);
	return err;
}
EXPORT_SYMBOL_GPL(dynstack_task_info);

void dynstack_residency_histogram(unsigned long *hist)
{
	residency_sum(hist);
}
EXPORT_SYMBOL_GPL(dynstack_residency_histogram);

/* Call @fn on every live stack, under its lock, until it returns false. */
void dynstack_visit_stacks(dynstack_visit_t fn, void *data)
{
	struct dynstack *ds;
	bool more = true;

	spin_lock(&dynstack_all_lock);
	list_for_each_entry(ds, &dynstack_all, list) {
		raw_spin_lock_irq(&ds->lock);
		more = fn(ds, data);
		raw_spin_unlock_irq(&ds->lock);
		if (!more)
			break;
	}
	spin_unlock(&dynstack_all_lock);
}

static ssize_t core_stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct dynstack_core_stats st;

	dynstack_get_stats(&st);
	return sysfs_emit(buf,
			  "stacks %lu\npartial %lu\nresident_pages %lu\npopulated %lu\nreinstalled %lu\ndetached %lu\nharvested %lu\nreleased %lu\nnopage %lu\nreaders %lu\nparked %lu\nwait_us %lu\nwait_max_us %lu\nreserve_pages %lu\nreserve_served %lu\nalloc_failed %lu\nkthread_pages %lu\npolicy %s\n",
			  st.stacks, st.partial, st.resident_pages, st.populated,
			  st.reinstalled, st.detached, st.harvested, st.released,
			  st.nopage, st.readers, st.parked, st.wait_us,
			  st.wait_max_us, st.reserve_pages, st.reserve_served,
			  st.alloc_failed, st.kthread_pages,
			  static_key_enabled(&dynstack_switch_key) ? "registered" : "none");
}
static struct kobj_attribute core_stats_attr = __ATTR_RO(core_stats);

static int __init dynstack_stats_init(void)
{
	dynstack_kobj = kobject_create_and_add("dynstack", mm_kobj);
	if (!dynstack_kobj)
		return -ENOMEM;
	return sysfs_create_file(dynstack_kobj, &core_stats_attr.attr);
}
subsys_initcall(dynstack_stats_init);
