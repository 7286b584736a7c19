/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dynstack.ko page supply (supply.c): per-CPU magazines, a depot and an
 * emergency reserve of zero-filled pages, with the depot sized by demand
 * (sizing.c) and its levels and counters read by supply_stats.c. A
 * mechanism with no global state: refill.c owns the module's
 * instance, the thread that refills it and the sizing tick's clock.
 */
#ifndef _DYNSTACK_SUPPLY_H
#define _DYNSTACK_SUPPLY_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/percpu.h>
#include <linux/dynstack.h>

#include "tunables.h"

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

/*
 * A magazine keeps one worst-case wakeup, its floor (this, or
 * magazine_size if smaller): a take that leaves it with less restocks it
 * from the depot, to the floor if the magazine served the take and toward
 * half its size if not, with at most half the depot; and the tick trims
 * no idle magazine below it, so a burst after a quiet spell starts from
 * pages at hand.
 */
#define DS_MAG_FLOOR	(DYNSTACK_PAGES - 1)

struct ds_magazine {
	unsigned int nr;
	/*
	 * The fewest pages it held since the first take of the sizing tick's
	 * interval @interval: the pages below are ones no take reached.
	 * Both written by its own CPU only, IRQs off; a stale remote read
	 * only moves a trim by a tick.
	 */
	unsigned int low;
	unsigned long interval;
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
	/*
	 * The depot target, under @lock, kept within [depot_low, depot_high]
	 * by ds_sizing_target(): the refill fills the depot to it once it
	 * falls below half. A take that finds the depot dry, or that leaves
	 * its magazine under the floor without a depot that both makes up
	 * the rest and is being refilled, doubles it (ds_sizing_grow()); a
	 * tick halves it, down to twice the pages taken beyond the magazines
	 * in its interval.
	 */
	unsigned long target;
	/* Under @lock: it grew, and the refill made no page nor a tick ran since. */
	bool growing;
	/* Under @lock: pages moved from the depot to restock a magazine. */
	u64 restocked;
	u64 restocked_seen;	/* at the last tick */
	/* Takes beyond the magazines at the last tick: ds_supply_tick()'s. */
	u64 demand_seen;
	/* Sleepable-side counters, under @lock. */
	u64 refilled;		/* pages allocated into depot and reserve */
	u64 refill_failed;	/* allocations that failed */
	u64 trimmed;		/* pages given back to the page allocator */
	u64 grown;		/* takes that raised it (dry depot, or under the floor) */
	u64 shrunk;		/* idle ticks that lowered the target */
	/*
	 * The sizing tick's interval, bumped by each tick after it trimmed
	 * the magazines; a take that finds its magazine's mag->interval
	 * behind starts the magazine's low mark afresh. Read by every take,
	 * written once a tick: a cache line of its own, away from @lock.
	 */
	unsigned long interval ____cacheline_aligned_in_smp;
};

int ds_supply_init(struct ds_supply *s, const struct ds_tunables *t,
		   void (*kick)(struct ds_supply *s));
/* Frees every page: only when no hook can run (after unregister). */
void ds_supply_destroy(struct ds_supply *s);
unsigned int ds_supply_take(struct ds_supply *s, struct page **pages,
			    unsigned int nr);
void ds_supply_give(struct ds_supply *s, struct page **pages, unsigned int nr);
bool ds_supply_admit(struct ds_supply *s);
/* A switch-out refused by admission control, on this CPU, IRQs off. */
void ds_supply_count_refused(struct ds_supply *s);
int ds_supply_refill(struct ds_supply *s, gfp_t gfp);
/*
 * Free the depot's pages above the target (@strict) or the trim line, and
 * the reserve's above reserve_pages; sleeps.
 */
void ds_supply_trim(struct ds_supply *s, bool strict);
/* A page from a magazine back to a short reserve, else the depot; s->lock. */
void ds_supply_put_locked(struct ds_supply *s, struct page *page);

/* sizing.c: demand sizing. The first three with s->lock held. */
unsigned long ds_sizing_target(struct ds_supply *s);
unsigned long ds_sizing_trim_line(struct ds_supply *s);
void ds_sizing_grow(struct ds_supply *s, unsigned int nr);
/* Once per shrink_interval_ms; process context, sleeps, one at a time. */
void ds_supply_tick(struct ds_supply *s);
void ds_supply_cpu_dead(struct ds_supply *s, unsigned int cpu);

struct ds_supply_levels {
	unsigned long magazines, depot, reserve;
	u64 target;				/* clamped, as the refill uses it */
	u64 refilled, refill_failed, trimmed;	/* the counters under @lock */
	u64 grown, shrunk;
};
void ds_supply_levels(struct ds_supply *s, struct ds_supply_levels *l);
unsigned int ds_supply_cpu_level(struct ds_supply *s, int cpu);
/* Empty every magazine and the depot, not the reserve (fault injection). */
void ds_supply_drain(struct ds_supply *s);
void ds_supply_stats(struct ds_supply *s, int cpu, struct ds_cpu_stats *sum);

#endif /* _DYNSTACK_SUPPLY_H */
