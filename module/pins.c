// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the threads the administrator pinned (they keep full stacks).
 *
 * A pin is a reference to the thread's struct pid, not its number:
 *
 *  - a thread id that is reused after the pinned thread exited names a new
 *    struct pid, so it pins nothing (a bare number would pin whichever
 *    thread got it next);
 *  - numbers are read and shown in the caller's pid namespace (the writer
 *    of pinned_tids or the ioctl caller), and a pinned thread that the
 *    caller's namespace cannot see is not shown to it;
 *  - a pinned thread that exits is no longer listed. Its entry holds only
 *    the struct pid, but that keeps the thread's pid namespace alive, so
 *    the next change of the set or the next reclaim pass drops it
 *    (ds_pins_prune()).
 *
 * The set is published with RCU. Each published set holds a reference on
 * every struct pid in it and drops them only after a grace period
 * (pins_free_rcu()), so a struct pid that any reader may still compare
 * cannot have been freed and reused for another thread.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/overflow.h>

#include "dynstack_mod.h"

struct ds_pins {
	struct rcu_head rcu;
	unsigned int nr;
	struct pid *pids[];
};

/* Read under RCU (the switch-out hook: RCU-sched, IRQs off); written under pins_mutex. */
static struct ds_pins __rcu *pins;
static DEFINE_MUTEX(pins_mutex);

/* Whether @set holds @pid; compares pointers, never dereferences them. */
static bool set_has(const struct ds_pins *set, const struct pid *pid)
{
	unsigned int i;

	for (i = 0; set && pid && i < set->nr; i++)
		if (set->pids[i] == pid)
			return true;
	return false;
}

/*
 * Whether @p is pinned. The reader's RCU section keeps the set, and with it
 * a reference on each struct pid, alive (see above). p->thread_pid changes only in
 * exchange_tids(), when a thread that is not the leader execs and takes
 * the leader's id: the pin follows the id, as /proc/PID does.
 */
bool ds_pinned(struct task_struct *p)
{
	bool found;

	rcu_read_lock_sched();
	found = set_has(rcu_dereference_sched(pins), READ_ONCE(p->thread_pid));
	rcu_read_unlock_sched();
	return found;
}

static void pins_free(struct ds_pins *set)
{
	unsigned int i;

	for (i = 0; i < set->nr; i++)
		put_pid(set->pids[i]);
	kfree(set);
}

/* RCU callback: put_pid() is safe here (delayed_put_pid() does the same). */
static void pins_free_rcu(struct rcu_head *head)
{
	pins_free(container_of(head, struct ds_pins, rcu));
}

enum pins_op { PINS_ADD, PINS_DEL, PINS_CLEAR, PINS_PRUNE };

/* A thread still uses @pid as its id (it has not been released). */
static bool pid_in_use(struct pid *pid)
{
	return pid_has_task(pid, PIDTYPE_PID);
}

/*
 * Publish a new set: the old one without the threads that exited, changed
 * by @op on @pid (PINS_PRUNE: no other change). -ENOENT to delete what is not there, -ENOSPC past
 * DS_MAX_PINS; on error nothing changes.
 */
static int pins_change(enum pins_op op, struct pid *pid)
{
	struct ds_pins *old, *new;
	unsigned int i, n = 0;
	bool found = false;
	int err = 0;

	new = kzalloc(struct_size(new, pids, DS_MAX_PINS), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	mutex_lock(&pins_mutex);
	old = rcu_dereference_protected(pins, lockdep_is_held(&pins_mutex));
	for (i = 0; old && i < old->nr; i++) {
		struct pid *p = old->pids[i];

		found |= p == pid;
		if (op == PINS_CLEAR || (op == PINS_DEL && p == pid) ||
		    !pid_in_use(p))
			continue;
		new->pids[n++] = p;
	}
	if (op == PINS_DEL && !found)
		err = -ENOENT;
	else if (op == PINS_ADD && !found && n == DS_MAX_PINS)
		err = -ENOSPC;
	if (err) {
		mutex_unlock(&pins_mutex);
		kfree(new);
		return err;
	}
	if (op == PINS_ADD && !found)
		new->pids[n++] = pid;
	new->nr = n;
	/* The new set's own references, taken before readers can see it. */
	for (i = 0; i < n; i++)
		get_pid(new->pids[i]);
	rcu_assign_pointer(pins, new);
	mutex_unlock(&pins_mutex);
	if (old)
		call_rcu(&old->rcu, pins_free_rcu);
	return 0;
}

/* The thread with id @vtid in the caller's pid namespace, or NULL. */
static struct pid *get_thread_pid(pid_t vtid)
{
	struct pid *pid = vtid > 0 ? find_get_pid(vtid) : NULL;

	if (pid && !pid_in_use(pid)) {
		put_pid(pid);
		pid = NULL;
	}
	return pid;
}

/* @op (PINS_ADD or PINS_DEL) on the thread with id @vtid in the caller's namespace. */
static int pins_change_tid(enum pins_op op, pid_t vtid)
{
	struct pid *pid = get_thread_pid(vtid);
	int err;

	if (!pid)
		return -ESRCH;
	err = pins_change(op, pid);
	put_pid(pid);
	return err;
}

/*
 * Pin the thread with id @vtid in the caller's pid namespace: it gets its
 * pages back at its next switch-in and never loses them again. Pinning a
 * pinned thread changes nothing.
 */
int ds_pin(pid_t vtid)
{
	return pins_change_tid(PINS_ADD, vtid);
}

int ds_unpin(pid_t vtid)
{
	return pins_change_tid(PINS_DEL, vtid);
}

int ds_unpin_all(void)
{
	return pins_change(PINS_CLEAR, NULL);
}

/*
 * Drop the entries of threads that exited (process context; the reclaim
 * work calls it). Publishes a new set only if there is one to drop.
 */
void ds_pins_prune(void)
{
	const struct ds_pins *set;
	bool dead = false;
	unsigned int i;

	rcu_read_lock();
	set = rcu_dereference(pins);
	for (i = 0; set && i < set->nr && !dead; i++)
		dead = !pid_in_use(set->pids[i]);
	rcu_read_unlock();
	if (dead)
		pins_change(PINS_PRUNE, NULL);	/* -ENOMEM: next time */
}

/* Whether the thread with id @vtid in the caller's namespace is pinned. */
bool ds_tid_pinned(pid_t vtid)
{
	bool found;

	rcu_read_lock();
	found = set_has(rcu_dereference(pins), vtid > 0 ? find_vpid(vtid) : NULL);
	rcu_read_unlock();
	return found;
}

/*
 * The ids, in the caller's pid namespace, of the live pinned threads it can
 * see: up to @max into @tids. Returns how many there are (maybe > @max).
 */
unsigned int ds_pins_list(pid_t *tids, unsigned int max)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	const struct ds_pins *set;
	unsigned int i, n = 0;

	rcu_read_lock();
	set = rcu_dereference(pins);
	for (i = 0; set && i < set->nr; i++) {
		pid_t nr = pid_in_use(set->pids[i]) ?
			   pid_nr_ns(set->pids[i], ns) : 0;

		if (!nr)
			continue;
		if (n < max)
			tids[n] = nr;
		n++;
	}
	rcu_read_unlock();
	return n;
}

/* Module exit: no reader or writer is left (core unregistered, no sysfs). */
void ds_pins_exit(void)
{
	struct ds_pins *set = rcu_dereference_protected(pins, true);

	RCU_INIT_POINTER(pins, NULL);
	if (set)
		pins_free(set);
	/* Sets replaced earlier may still wait in pins_free_rcu(). */
	rcu_barrier();
}
