// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko statistics: one snapshot of everything the core and the
 * module count, for the front ends (sysfs.c, ioctl.c) to format. Counters
 * are read without stopping their writers: a snapshot may be slightly
 * stale, never torn (u64 on 64-bit).
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/vmstat.h>
#include <linux/string.h>

#include "dynstack_mod.h"

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

void ds_stats_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		per_cpu(nap_base, cpu) = nap_events(cpu);
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
