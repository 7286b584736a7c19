/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynstack.ko internal API: what each part of the module offers the others.
 * The front ends (sysfs.c, ioctl.c) call only this and tunables.h, never
 * each other; main.c starts and stops the parts in order.
 *
 *   policy.c    the ops the core calls, registration
 *   pins.c      the threads the administrator pinned (by struct pid)
 *   refill.c    the module's supply instance and its refill thread
 *   reclaim.c   the periodic reclaim pass
 *   stats.c     the statistics, gathered from the core and the parts
 *   sysfs.c     /sys/kernel/mm/dynstack/
 *   ioctl.c     /dev/dynstack
 *   params.c    the module parameters: every tunable, at load time
 *   debugfs.c   /sys/kernel/debug/dynstack/: per-CPU bulk, fault injection
 */
#ifndef _DYNSTACK_MOD_H
#define _DYNSTACK_MOD_H

#include <linux/types.h>
#include <linux/dynstack.h>

#include "tunables.h"
#include "supply.h"

struct task_struct;

/* params.c: what the load gave; returns which fields (BIT_ULL(index)). */
u64 ds_params_given(struct ds_tunables *vals);

/* policy.c */
int ds_policy_register(void);
void ds_policy_unregister(void);
/* Hand detach and min_sleep_us to the core (dynstack_configure()). */
int ds_policy_configure(void);

/* pins.c: thread ids are in the caller's pid namespace. */
#define DS_MAX_PINS	256
bool ds_pinned(struct task_struct *p);
/* 0, -ESRCH (no such thread), -ENOSPC (DS_MAX_PINS), -ENOMEM. */
int ds_pin(pid_t vtid);
/* 0, -ESRCH (no such thread), -ENOENT (not pinned), -ENOMEM. */
int ds_unpin(pid_t vtid);
int ds_unpin_all(void);
/* Drop the threads that exited; process context. */
void ds_pins_prune(void);
bool ds_tid_pinned(pid_t vtid);
/* Up to @max ids of pinned threads the caller can see; returns how many there are. */
unsigned int ds_pins_list(pid_t *tids, unsigned int max);
void ds_pins_exit(void);

/* refill.c */
extern struct ds_supply ds_main_supply;
int ds_refill_init(const struct ds_tunables *t);
void ds_refill_exit(void);
/* Ask the refill thread to run; process context. */
void ds_refill_kick(void);
/* The tunables changed: refill, and apply a new shrink_interval_ms. */
void ds_refill_retune(void);
/* Empty the magazines and the depot, then refill (fault injection). */
void ds_refill_drain(void);

/* reclaim.c */
struct ds_reclaim_stats {
	u64 passes, scanned, detached, harvested, released, flushes, readers;
	u64 spared;
};
/* One pass with @ctl (pinned threads left out), counted in the stats. */
int ds_reclaim_now(struct dynstack_reclaim_ctl *ctl);
void ds_reclaim_stats_get(struct ds_reclaim_stats *r);
void ds_reclaim_start(void);
/* A tunable changed: a new interval restarts the clock, 0 stops it. */
void ds_reclaim_reschedule(void);
void ds_reclaim_stop(void);

/* stats.c */
struct ds_stats {
	struct dynstack_core_stats core;
	struct ds_supply_levels levels;
	struct ds_cpu_stats supply;	/* summed over CPUs */
	struct ds_reclaim_stats reclaim;
	u64 napped;
	unsigned long residency[DYNSTACK_PAGES + 1];
};

struct ds_cpu_snapshot {
	struct ds_cpu_stats supply;
	unsigned int magazine_pages;
	u64 napped;
};

/* One counter of struct ds_stats, by name; stats.c has the table. */
struct ds_stat_field {
	const char *name;
	size_t offset;		/* of a u64 in struct ds_stats */
	size_t uoffset;		/* of a __u64 in struct dynstack_stats, or: */
#define DS_STAT_NO_UOFFSET	SIZE_MAX
};
#define DS_NR_STATS	46
extern const struct ds_stat_field *const ds_stat_fields;	/* [DS_NR_STATS] */
u64 ds_stat_value(const struct ds_stats *s, const struct ds_stat_field *f);

/* Fails if the counter table does not cover struct dynstack_stats. */
int ds_stats_init(void);
void ds_stats_get(struct ds_stats *s);
void ds_stats_get_cpu(int cpu, struct ds_cpu_snapshot *c);

/* sysfs.c */
int ds_sysfs_init(void);
void ds_sysfs_exit(void);

/* debugfs.c: /sys/kernel/debug/dynstack/ (optional: never fails) */
void ds_debugfs_init(void);
void ds_debugfs_exit(void);

/* ioctl.c */
int ds_ioctl_init(void);
void ds_ioctl_exit(void);

#endif /* _DYNSTACK_MOD_H */
