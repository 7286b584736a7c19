// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko statistics: one snapshot of everything the core and the
 * module count, for the front ends (sysfs.c, ioctl.c) to format. Counters
 * are read without stopping their writers: a snapshot may be slightly
 * stale, never torn (u64 on 64-bit).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/vmstat.h>
#include <linux/string.h>
#include <linux/bitmap.h>

#include "dynstack_mod.h"
#include "../uapi/linux/dynstack.h"

/*
 * Every global counter, once: its name (the member of struct dynstack_stats,
 * the file in stats/ and dynstackctl's JSON key), where it is in a
 * snapshot, and where in the ioctl's struct. Both are 64-bit (checked).
 */
#define STAT_AT(name, member, uoff) {					\
	#name, offsetof(struct ds_stats, member) +			\
	BUILD_BUG_ON_ZERO(sizeof_field(struct ds_stats, member) != sizeof(u64)), \
	uoff }
#define STAT(name, member) STAT_AT(name, member,			\
	offsetof(struct dynstack_stats, name) +				\
	BUILD_BUG_ON_ZERO(sizeof_field(struct dynstack_stats, name) != sizeof(u64)))
/* A counter of sysfs only (not in the ioctl's struct). */
#define STAT_SYSFS(name, member) STAT_AT(name, member, DS_STAT_NO_UOFFSET)

static const struct ds_stat_field stat_fields[] = {
	STAT(stacks, core.stacks),
	STAT(partial_stacks, core.partial),
	STAT(resident_pages, core.resident_pages),
	STAT(populated, core.populated),
	STAT(reinstalled, core.reinstalled),
	STAT(detached, core.detached),
	STAT(harvested, core.harvested),
	STAT(released, core.released),
	STAT(nopage, core.nopage),
	STAT(readers, core.readers),
	STAT(parked, core.parked),
	STAT(wait_us, core.wait_us),
	STAT(wait_max_us, core.wait_max_us),
	STAT(exit_reserve_pages, core.reserve_pages),
	STAT(exit_reserve_served, core.reserve_served),
	STAT(alloc_failed, core.alloc_failed),
	STAT(memcg_settled, core.memcg_settled),
	STAT(memcg_waits, core.memcg_waits),
	STAT(memcg_charged, core.memcg_charged),
	STAT(memcg_failed, core.memcg_failed),
	STAT(magazine_pages, levels.magazines),
	STAT(depot_pages, levels.depot),
	STAT(reserve_pages, levels.reserve),
	STAT(take_magazine, supply.take_magazine),
	STAT(take_depot, supply.take_depot),
	STAT(take_reserve, supply.take_reserve),
	STAT(take_short, supply.take_short),
	STAT(give_magazine, supply.give_magazine),
	STAT(give_depot, supply.give_depot),
	STAT(kicks, supply.kicks),
	STAT(refused, supply.refused),
	STAT(napped, napped),
	STAT(refilled, levels.refilled),
	STAT(refill_failed, levels.refill_failed),
	STAT(trimmed, levels.trimmed),
	STAT_SYSFS(depot_target, levels.target),
	STAT_SYSFS(supply_grown, levels.grown),
	STAT_SYSFS(supply_shrunk, levels.shrunk),
	STAT(reclaim_passes, reclaim.passes),
	STAT(reclaim_scanned, reclaim.scanned),
	STAT(reclaim_detached, reclaim.detached),
	STAT(reclaim_harvested, reclaim.harvested),
	STAT(reclaim_released, reclaim.released),
	STAT(reclaim_flushes, reclaim.flushes),
	STAT_SYSFS(reclaim_readers, reclaim.readers),
	STAT_SYSFS(reclaim_spared, reclaim.spared),
};
/* A counter added above needs DS_NR_STATS raised (sysfs.c sizes by it). */
static_assert(ARRAY_SIZE(stat_fields) == DS_NR_STATS);
const struct ds_stat_field *const ds_stat_fields = stat_fields;

u64 ds_stat_value(const struct ds_stats *s, const struct ds_stat_field *f)
{
	return *(const u64 *)((const char *)s + f->offset);
}

/*
 * The napping check runs in the core (dynstack_nap event); count only what
 * happened since this module was loaded, as every other statistic here.
 */
static DEFINE_PER_CPU(unsigned long, nap_base);

static unsigned long nap_events(int cpu)
{
	/* Another CPU's counter: a stale read is fine for a statistic. */
	return READ_ONCE(per_cpu(vm_event_states, cpu).event[DYNSTACK_NAP]);
}

/* Switch-outs that kept a napping task's pages: on @cpu, or all if -1. */
static u64 napped(int cpu)
{
	u64 sum = 0;
	int c;

	if (cpu >= 0)
		return nap_events(cpu) - per_cpu(nap_base, cpu);
	for_each_possible_cpu(c)
		sum += nap_events(c) - per_cpu(nap_base, c);
	return sum;
}

/*
 * Every 64-bit slot of struct dynstack_stats after size and __reserved is
 * either residency[] or filled by exactly one entry of stat_fields[]: a
 * counter added to the ABI but not to the table fails the load (and so
 * every test) instead of reading 0 for ever.
 */
static int stats_table_check(void)
{
	enum { SLOTS = sizeof(struct dynstack_stats) / sizeof(u64) };
	const unsigned int hist = offsetof(struct dynstack_stats, residency) / sizeof(u64);
	DECLARE_BITMAP(seen, SLOTS);
	unsigned int i;

	BUILD_BUG_ON(sizeof(struct dynstack_stats) % sizeof(u64));
	bitmap_zero(seen, SLOTS);
	__set_bit(0, seen);
	bitmap_set(seen, hist, DYNSTACK_HIST_BUCKETS);
	for (i = 0; i < DS_NR_STATS; i++) {
		size_t off = stat_fields[i].uoffset;

		if (off == DS_STAT_NO_UOFFSET)
			continue;
		if (__test_and_set_bit(off / sizeof(u64), seen)) {
			pr_err("stats: %s fills a slot twice\n", stat_fields[i].name);
			return -EINVAL;
		}
	}
	if (!bitmap_full(seen, SLOTS)) {
		pr_err("stats: struct dynstack_stats slot %lu has no counter\n",
		       find_first_zero_bit(seen, SLOTS));
		return -EINVAL;
	}
	return 0;
}

int ds_stats_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(nap_base, cpu) = nap_events(cpu);
	return stats_table_check();
}

void ds_stats_get(struct ds_stats *s)
{
	memset(s, 0, sizeof(*s));
	dynstack_get_stats(&s->core);
	ds_supply_levels(&ds_main_supply, &s->levels);
	ds_supply_stats(&ds_main_supply, -1, &s->supply);
	ds_reclaim_stats_get(&s->reclaim);
	s->napped = napped(-1);
	dynstack_residency_histogram(s->residency);
}

/* @cpu must be a possible CPU. */
void ds_stats_get_cpu(int cpu, struct ds_cpu_snapshot *c)
{
	memset(c, 0, sizeof(*c));
	ds_supply_stats(&ds_main_supply, cpu, &c->supply);
	c->magazine_pages = ds_supply_cpu_level(&ds_main_supply, cpu);
	c->napped = napped(cpu);
}
