// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko page supply, demand sizing: the depot target that the refill
 * fills to, grown at once by a take that finds the depot dry or leaves
 * its magazine under the floor (unless a refill is already making up the
 * rest), and halved by a tick while nothing needs the depot; the same
 * tick trims each magazine to its working set.
 *
 * Why: a depot kept between fixed watermarks held 1.3 MB on an idle
 * machine, a tenth of what 1000 sleeping threads save.
 * Sized by demand, an idle supply falls to its reserve within a bounded
 * number of ticks (ds_supply_tick()), and a burst raises it within one
 * take. A short supply is never a correctness problem: a wakeup the supply
 * cannot serve waits for the core's kdynstackd (I5, the waiting protocol),
 * so this is a trade of memory against wakeup latency only.
 */
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/lockdep.h>
#include <linux/sched/isolation.h>
#include <linux/export.h>
#include <kunit/visibility.h>

#include "supply.h"

/* The depot target within the tunables as they are now. s->lock held. */
unsigned long ds_sizing_target(struct ds_supply *s)
{
	lockdep_assert_held(&s->lock);
	return clamp_t(unsigned long, s->target, READ_ONCE(s->t->depot_low),
		       READ_ONCE(s->t->depot_high));
}

/*
 * Above this many pages a give has the worker trim the depot: the larger
 * of twice the target and the target plus a magazine, so that pages
 * flowing from one CPU's gives to another's takes are not freed and
 * allocated again. depot_high bounds the target, not this line: capped at
 * depot_high, the line fell onto the target once demand had grown it
 * there, and a busy depot then lived between half its target (refilled to
 * it) and the target (trimmed to it), a band under a millisecond of the
 * flow wide. With 5000 threads waking every 100 ms (145k pages/s through
 * the supply) it was freed and allocated again tens of thousands of pages
 * a second, and 40-57% of the pages the wakeups needed were missing, so
 * that those waited for kdynstackd (docs/benchmarks.md, "The trim line").
 * The line is at most depot_high + max(depot_high, magazine_size) pages
 * (512 by default). It is a threshold, not a hard bound: the trim is
 * asynchronous, and gives that come before the worker runs add to the
 * depot meanwhile. An idle depot is trimmed to its target by the tick.
 * s->lock held.
 */
unsigned long ds_sizing_trim_line(struct ds_supply *s)
{
	unsigned long t = ds_sizing_target(s);

	return t + max_t(unsigned long, t, READ_ONCE(s->t->magazine_size));
}

/*
 * A take of @nr pages found the depot dry, or left this CPU's magazine
 * under its floor without a depot that both makes up the rest and is
 * being refilled (@nr is then the floor; ds_supply_take()): demand is
 * above the target. Double it, to at least twice this take and at most
 * depot_high, then not again until the refill has made a page (for the
 * reserve or the depot) or found the depot half full, or a tick has
 * passed: dry takes before the refill thread got to run are the same
 * shortage seen again, while a dry take although the refill is filling
 * is demand outrunning it. So a lone wakeup after a long idle spell costs
 * a few pages, and a storm reaches depot_high within
 * log2(depot_high / @nr) growths. s->lock held.
 */
void ds_sizing_grow(struct ds_supply *s, unsigned int nr)
{
	unsigned long old = ds_sizing_target(s);

	if (s->growing)
		return;
	s->target = min_t(unsigned long, max_t(unsigned long, 2 * old, 2 * nr),
			  READ_ONCE(s->t->depot_high));
	if (s->target > old) {
		s->grown++;
		s->growing = true;
	}
}

/*
 * The pages @mag held all along this interval: down to its low mark if a
 * take started it, all of them if none did. @interval is s->interval.
 */
static unsigned int magazine_unused(const struct ds_magazine *mag,
				    unsigned long interval)
{
	unsigned int nr = READ_ONCE(mag->nr);

	if (READ_ONCE(mag->interval) != interval)
		return nr;
	return min(READ_ONCE(mag->low), nr);
}

/*
 * on_each_cpu_cond(): did @cpu's magazine hold, all along this interval,
 * more than one worst-case wakeup? Then an IPI has it give half of the
 * rest back. A magazine at its working set plus the floor, or below,
 * gets none: no IPI wakes a CPU in light use to trim nothing. The level
 * and the mark are another CPU's; a stale read only moves the trim by a
 * tick. CPUs without the scheduler tick (nohz_full) are left alone: no
 * IPI disturbs them, at the price of the pages their magazine holds.
 */
static bool magazine_has_unused(int cpu, void *info)
{
	struct ds_supply *s = info;

	return magazine_unused(per_cpu_ptr(s->mags, cpu), s->interval) >
	       DS_MAG_FLOOR && housekeeping_cpu(cpu, HK_TYPE_TICK);
}

/*
 * On its own CPU, IRQs off (IPI from ds_supply_tick()): of the pages this
 * magazine held all along this interval (magazine_unused()), those
 * above DS_MAG_FLOOR are unused beyond one worst-case wakeup; half of
 * them go back (rounded up), a short reserve first. So an idle magazine
 * falls to DS_MAG_FLOOR by halves, a busy one to its working set plus
 * DS_MAG_FLOOR, and one whose takes reach down to the floor keeps every
 * page. The tick then starts the next interval.
 */
static void trim_magazine(void *info)
{
	struct ds_supply *s = info;
	struct ds_magazine *mag = this_cpu_ptr(s->mags);
	unsigned int unused = magazine_unused(mag, s->interval);
	unsigned int keep;

	if (unused <= DS_MAG_FLOOR)
		return;
	keep = mag->nr - DIV_ROUND_UP(unused - DS_MAG_FLOOR, 2);
	raw_spin_lock(&s->lock);
	while (mag->nr > keep)
		ds_supply_put_locked(s, mag->pages[--mag->nr]);
	raw_spin_unlock(&s->lock);
}

/**
 * ds_supply_tick - shrink the supply toward what demand needs
 * @s: the supply
 *
 * The sizing policy's clock, once per shrink_interval_ms. The depot target
 * becomes the larger of half itself and twice the pages taken from the
 * depot and the reserve since the last tick, for wakeups and to restock
 * magazines, not below depot_low: it decays by halves while idle and
 * toward demand while busy. An idle supply has its
 * depot trimmed to the target, a busy one only to the trim line. First,
 * each CPU whose magazine held more than DS_MAG_FLOOR pages that no take
 * reached this interval gives half of those above the floor back (an
 * IPI, only to such CPUs: none once every magazine is at its working set
 * plus the floor). So an idle supply is at its floor within
 * max(log2(depot_high), log2(magazine_size)) + 2 ticks, a busy magazine
 * at its working set plus the floor within log2(magazine_size) + 2, and a
 * wakeup that finds the depot dry (or leaves its magazine under the
 * floor, unless a refill is already making up the rest) doubles the
 * target again at once.
 * Process context, sleeps; one caller at a time (demand_seen, interval).
 */
void ds_supply_tick(struct ds_supply *s)
{
	struct ds_cpu_stats sum;
	unsigned long old, want;
	u64 demand, taken;

	ds_supply_stats(s, -1, &sum);
	demand = sum.take_depot + sum.take_reserve + sum.take_short;
	taken = demand - s->demand_seen;
	s->demand_seen = demand;
	on_each_cpu_cond(magazine_has_unused, trim_magazine, s, true);
	/*
	 * The next interval: each magazine's low mark restarts at its next
	 * take. Only this tick writes it; a take that still sees the old
	 * value keeps a mark one interval longer, which only delays a trim.
	 */
	WRITE_ONCE(s->interval, s->interval + 1);

	raw_spin_lock_irq(&s->lock);
	/*
	 * A growth that gives filled before the refill ran leaves nothing to
	 * fill, so the refill never clears it: a tick does, or the target
	 * could never grow again.
	 */
	s->growing = false;
	taken += s->restocked - s->restocked_seen;
	s->restocked_seen = s->restocked;
	old = ds_sizing_target(s);
	want = max_t(u64, old / 2, min_t(u64, 2 * taken, ULONG_MAX));
	want = max_t(unsigned long, want, READ_ONCE(s->t->depot_low));
	s->target = min(want, old);
	if (want < old)
		s->shrunk++;
	raw_spin_unlock_irq(&s->lock);
	ds_supply_trim(s, !taken);
}
EXPORT_SYMBOL_IF_KUNIT(ds_supply_tick);
