// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko page supply, read for statistics: the levels of its tiers
 * and the per-CPU counters of takes and gives, as snapshots that never
 * stop the hooks (other CPUs' counters and magazines are read racily).
 */
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "supply.h"

/* Pages in @cpu's magazine: another CPU's, a stale snapshot is fine. */
unsigned int ds_supply_cpu_level(struct ds_supply *s, int cpu)
{
	return READ_ONCE(per_cpu_ptr(s->mags, cpu)->nr);
}

void ds_supply_levels(struct ds_supply *s, struct ds_supply_levels *l)
{
	int cpu;

	l->magazines = 0;
	/* Statistics: racy snapshots of other CPUs' magazines are fine. */
	for_each_possible_cpu(cpu)
		l->magazines += READ_ONCE(per_cpu_ptr(s->mags, cpu)->nr);
	raw_spin_lock_irq(&s->lock);
	l->depot = s->depot_nr;
	l->reserve = s->reserve_nr;
	l->refilled = s->refilled;
	l->refill_failed = s->refill_failed;
	l->trimmed = s->trimmed;
	l->target = ds_sizing_target(s);
	l->grown = s->grown;
	l->shrunk = s->shrunk;
	raw_spin_unlock_irq(&s->lock);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_levels);

/* The statistics of @cpu, or their sum over all CPUs if @cpu < 0. */
void ds_supply_stats(struct ds_supply *s, int cpu, struct ds_cpu_stats *sum)
{
	int c;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(c) {
		struct ds_cpu_stats *st = per_cpu_ptr(s->stats, c);

		if (cpu >= 0 && c != cpu)
			continue;
		/* Counters owned by other CPUs: a torn read is not possible
		 * for u64 on x86-64, a stale one is fine.
		 */
		sum->take_magazine += READ_ONCE(st->take_magazine);
		sum->take_depot += READ_ONCE(st->take_depot);
		sum->take_reserve += READ_ONCE(st->take_reserve);
		sum->take_short += READ_ONCE(st->take_short);
		sum->give_magazine += READ_ONCE(st->give_magazine);
		sum->give_depot += READ_ONCE(st->give_depot);
		sum->kicks += READ_ONCE(st->kicks);
		sum->refused += READ_ONCE(st->refused);
	}
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_stats);
