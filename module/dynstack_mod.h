/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynstack.ko internals: the page supply, the tunables and the statistics.
 */
#ifndef _DYNSTACK_MOD_H
#define _DYNSTACK_MOD_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/percpu.h>
#include <linux/dynstack.h>

/* Upper bound of magazine_size: the per-CPU arrays are this big. */
#define DS_MAG_MAX	256

/*
 * The tunables. One value per sysfs file; every write validates the whole
 * set with the new value and publishes it only if it is valid. The hooks
 * read single fields with READ_ONCE(); no hook depends on two fields being
 * consistent with each other.
 */
struct ds_tunables {
	u32 detach;		/* take untouched pages at switch-out: 0/1 */
	u32 magazine_size;	/* pages per CPU magazine: 1..DS_MAG_MAX */
	u32 depot_low;		/* refill the depot below this many pages */
	u32 depot_high;		/* give pages back to the allocator above */
	u32 reserve_pages;	/* emergency reserve, at least reserve_min() */
	u32 reclaim_interval_ms;/* reclaim pass period; 0 = off */
	u32 reclaim_touched;	/* reclaim touched dead pages too: 0/1 */
	u32 pin_kthreads;	/* retired: always 1, the core keeps kthreads full */
	/* Keep the pages of tasks whose last sleep was shorter; 0 = never. */
	u32 min_sleep_us;
	u32 partial_fork;	/* retired: always 0, new stacks are full */
};

struct ds_tunable_desc {
	const char *name;
	size_t offset;
	u32 min, max;
	const char *help;
};

extern const struct ds_tunable_desc ds_tunable_descs[];
extern const unsigned int ds_nr_tunables;

void ds_tunables_default(struct ds_tunables *t);
/* 0 if valid; else -EINVAL with a reason in *why. */
int ds_tunables_validate(const struct ds_tunables *t, const char **why);
/* Validate and publish, all or nothing (main.c). */
int ds_tunables_set(const struct ds_tunables *new, const char **why);
u32 ds_reserve_min(void);

/* Per-CPU statistics, written with IRQs off by their own CPU only. */
struct ds_cpu_stats {
	u64 take_magazine;	/* pages served from this CPU's magazine */
	u64 take_depot;		/* from the depot */
	u64 take_reserve;	/* from the emergency reserve */
	u64 take_short;		/* pages asked for and not served */
	u64 give_magazine;	/* pages given back into the magazine */
	u64 give_depot;		/* overflowing into the depot or reserve */
	u64 kicks;		/* refill/trim requests raised */
	u64 refused;		/* switch-outs refused by admission control */
};

struct ds_magazine {
	unsigned int nr;
	struct page *pages[DS_MAG_MAX];
};

/*
 * The supply. Magazines are used with IRQs off on their own CPU only, so
 * they need no lock. The depot and the reserve are behind @lock, a raw
 * spinlock because the hooks take it with IRQs off under rq->lock or a
 * task's pi_lock; lock order: p->pi_lock -> rq->lock -> dynstack::lock ->
 * ds_supply::lock.
 */
struct ds_supply {
	raw_spinlock_t lock;
	struct list_head depot;
	unsigned long depot_nr;
	struct list_head reserve;
	unsigned long reserve_nr;
	struct ds_magazine __percpu *mags;
	struct ds_cpu_stats __percpu *stats;
	const struct ds_tunables *t;
	/* Ask for ds_supply_refill() from sleepable context. IRQs are off. */
	void (*kick)(struct ds_supply *s);
	/* Sleepable-side counters, under @lock. */
	u64 refilled;		/* pages allocated into depot and reserve */
	u64 refill_failed;	/* allocations that failed */
	u64 trimmed;		/* pages given back to the page allocator */
};

int ds_supply_init(struct ds_supply *s, const struct ds_tunables *t,
		   void (*kick)(struct ds_supply *s));
void ds_supply_destroy(struct ds_supply *s);
unsigned int ds_supply_take(struct ds_supply *s, struct page **pages,
			    unsigned int nr);
void ds_supply_give(struct ds_supply *s, struct page **pages, unsigned int nr);
bool ds_supply_admit(struct ds_supply *s);
int ds_supply_refill(struct ds_supply *s, gfp_t gfp);
void ds_supply_drain_caches(struct ds_supply *s);
void ds_supply_cpu_dead(struct ds_supply *s, unsigned int cpu);

struct ds_supply_levels {
	unsigned long magazines, depot, reserve;
};
void ds_supply_levels(struct ds_supply *s, struct ds_supply_levels *l);
void ds_supply_stats(struct ds_supply *s, int cpu, struct ds_cpu_stats *sum);

/* main.c: the module's one policy instance, for the ioctl interface. */
struct ds_reclaim_stats {
	u64 passes, scanned, detached, harvested, released, flushes, readers;
};

extern struct ds_supply ds_main_supply;
void ds_get_tunables(struct ds_tunables *t);
void ds_get_reclaim_stats(struct ds_reclaim_stats *r);
u64 ds_napped(int cpu);
int ds_reclaim_now(struct dynstack_reclaim_ctl *ctl);

/* ioctl.c: /dev/dynstack */
int ds_ioctl_init(void);
void ds_ioctl_exit(void);

#endif /* _DYNSTACK_MOD_H */
