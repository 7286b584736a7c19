#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn `make bench` raw results into results.json and a Markdown report.

Usage: bench-report.py RESULTS.jsonl OUT.json OUT.md MODE MINUTES

Every figure is compared with the other kernel states measured in the same
invocation; targets are reported, met or missed, never tuned for.
"""
import json
import statistics
import sys

STATES = ["mainline", "nomod", "loaded", "nodetach", "churn"]
STATE_DESC = {
    "mainline": "unpatched Linux 6.12, same configuration minus CONFIG_DYNAMIC_STACK",
    "nomod": "dynstack kernel, dynstack.ko not loaded",
    "loaded": "dynstack.ko loaded with its defaults",
    "nodetach": "dynstack.ko loaded, detach=0",
    "churn": "dynstack.ko loaded, min_sleep_us=0: each wakeup refills what the switch-out took",
}
TIMING = ["pipe-same", "pipe-cross", "futex-cross", "thread", "fork"]


def load(path):
    rows = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return rows


def pct(a, b):
    return 100.0 * (a - b) / b if b else float("nan")


def main():
    rows = load(sys.argv[1])
    out_json, out_md, mode, minutes = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
    result = {"mode": mode, "minutes": int(minutes), "memory": [], "timing": [],
              "module_work": [], "targets": []}
    md = []
    md.append(f"# dynstack benchmarks ({mode} run, {minutes} min)\n")
    md.append("Machine: 2 host cores, QEMU TCG (no KVM), guest 2 vCPUs and 4 GiB; "
              "kernels built with clang from Debian's linux-source-6.12.\n")
    md.append("States: " + "; ".join(f"**{s}**: {d}" for s, d in STATE_DESC.items()) + ".\n")

    # Memory.
    mem = [r for r in rows if r.get("kind") == "memory"]
    md.append("## Kernel-stack memory with sleeping threads\n")
    md.append("KernelStack from /proc/meminfo with the workload asleep (whole system; "
              "`supply` is what dynstack.ko's magazines, depot and reserve hold besides, "
              "the mean of 5 samples a second apart once settled). "
              "`mix`: threads in futex wait, pipe read, epoll_wait, nanosleep, accept and "
              "FIFO read; `deep`: each thread first sends over TCP on loopback and polls "
              "256 descriptors, then sleeps in read.\n")
    md.append("`core count`: the resident pages of all dynamic stacks as the core counts "
              "them (`core/resident_pages` in sysfs), loaded state. `net`: saved vs nomod "
              "after adding the supply to the loaded figure.\n")
    md.append("`floor`: the most any policy could save vs nomod, every user task's stack "
              "at one page and every kernel thread's full (the core keeps them so): "
              "12 KiB per user task over the nomod figure (`kthreads` counted in the "
              "loaded guest, tasks without a cmdline).\n")
    md.append("| workload | threads | mainline kB | nomod kB | loaded kB | core count kB | "
              "supply kB | saved vs nomod | saved vs mainline | net | floor | net vs floor | "
              "per thread (loaded) |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    keys = sorted({(r["workload"], r["threads"]) for r in mem}, key=lambda k: (k[0], k[1]))
    for wl, n in keys:
        by = {r["state"]: r for r in mem if r["workload"] == wl and r["threads"] == n}
        if not all(s in by for s in ("mainline", "nomod", "loaded")):
            continue
        m, nm, ld = (by[s]["kernel_stack_kb"] for s in ("mainline", "nomod", "loaded"))
        sup = by["loaded"]["supply_kb"]
        core = by["loaded"].get("resident_pages", -1)
        core_kb = core * 4 if core >= 0 else "-"
        net = -pct(ld + sup, nm)
        saved_nomod = -pct(ld, nm)
        saved_main = -pct(ld, m)
        per = ld * 1024 / max(by["loaded"]["tasks"], 1)
        kt = by["loaded"].get("kthreads")
        floor = (100.0 * 12 * (by["loaded"]["tasks"] - kt) / nm) if kt is not None else None
        result["memory"].append({"workload": wl, "threads": n, "mainline_kb": m,
                                 "nomod_kb": nm, "loaded_kb": ld, "supply_kb": sup,
                                 "core_count_kb": core_kb, "net_saved_pct": round(net, 1),
                                 "saved_vs_nomod_pct": round(saved_nomod, 1),
                                 "saved_vs_mainline_pct": round(saved_main, 1),
                                 "kthreads": kt,
                                 "floor_pct": round(floor, 1) if floor is not None else None,
                                 "bytes_per_task_loaded": round(per)})
        fl = f"{floor:.1f}%" if floor is not None else "-"
        gap = f"{net - floor:+.1f}" if floor is not None else "-"
        md.append(f"| {wl} | {n} | {m} | {nm} | {ld} | {core_kb} | {sup} | {saved_nomod:.1f}% | "
                  f"{saved_main:.1f}% | {net:.1f}% | {fl} | {gap} | {per / 1024:.1f} kB |")
        if n == 5000:
            result["targets"].append({
                "target": f"memory saved with 5000 sleeping threads ({wl}) >= 74%",
                "measured": f"{saved_nomod:.1f}% (vs nomod), {saved_main:.1f}% (vs mainline)",
                "met": saved_nomod >= 74.0})
        # Issue 15's net targets, as filed, and restated against the floor
        # that kernel threads leave (they keep full stacks by design).
        goal = {1000: 73.0, 5000: 74.5}.get(n)
        if goal is not None:
            result["targets"].append({
                "target": f"net saving with {n} sleeping threads ({wl}) >= {goal}% (as filed)",
                "measured": f"{net:.1f}% net, floor {fl}",
                "met": net >= goal})
            if floor is not None:
                result["targets"].append({
                    "target": f"net saving with {n} sleeping threads ({wl}) within 0.5 "
                              f"points of the floor",
                    "measured": f"{net:.1f}% net vs {fl} floor ({gap})",
                    "met": net >= floor - 0.5})
    md.append("")

    # rmmod: the unregister repopulation, one pass over every stack.
    rm = [r for r in rows if r.get("kind") == "rmmod"]
    if rm:
        md.append("## rmmod with sleeping threads\n")
        md.append("`rmmod dynstack` puts a page in every missing slot of every stack "
                  "(dynstack_unregister(), one pass) before it returns; measured with the "
                  "`deep` workload asleep and its stacks stripped (loaded state, wall mode, "
                  "/proc/uptime resolution 10 ms).\n")
        md.append("| threads | partial stacks | pages put back | rmmod time | per 1000 stacks |")
        md.append("|---|---|---|---|---|")
        result["rmmod"] = []
        for r in sorted(rm, key=lambda r: r["threads"]):
            sec = r["centiseconds"] / 100
            per = sec * 1000 / max(r["partial_stacks"], 1)
            md.append(f"| {r['threads']} | {r['partial_stacks']} | {r['missing_pages']} | "
                      f"{sec:.2f} s | {per:.3f} s |")
            result["rmmod"].append(r)
        big = max(rm, key=lambda r: r["threads"])
        result["targets"].append({
            "target": f"rmmod with {big['threads']} sleeping threads: seconds, not minutes",
            "measured": f"{big['centiseconds'] / 100:.2f} s for {big['partial_stacks']} partial stacks",
            "met": big["centiseconds"] < 6000})
        md.append("")

    # The Android-like mix, while it runs.
    mixes = {r["state"]: r for r in rows if r.get("kind") == "mix"}
    if mixes:
        md.append("## An Android-like process mix, while it runs\n")
        md.append("`androidmix`: 40 processes of 62 threads (2480): binder-style pairs (a "
                  "client nudged at random, mean every 2 s, calls a server thread that "
                  "touches 3 KiB of stack and answers; 80% of the threads), loopers blocked in "
                  "epoll_wait (15%), threads woken at 60 Hz (5%), and one driver per process. "
                  "KernelStack sampled every second while it runs (Thomas Gleixner: not only "
                  "once everything sleeps), wall-clock boot, after the sleeping workloads.\n")
        md.append("| state | threads | transactions/s | KernelStack mean (min-max) | supply kB | "
                  "saved vs nomod | net | saved vs mainline |")
        md.append("|---|---|---|---|---|---|---|---|")
        result["mix"] = list(mixes.values())
        for st in ("mainline", "nomod", "loaded"):
            r = mixes.get(st)
            if not r:
                continue
            sv = (lambda b: f"{-pct(r['kernel_stack_kb'], mixes[b]['kernel_stack_kb']):.1f}%"
                  if b in mixes and b != st else "-")
            net = (f"{-pct(r['kernel_stack_kb'] + r.get('supply_kb', 0), mixes['nomod']['kernel_stack_kb']):.1f}%"
                   if st == "loaded" and "nomod" in mixes else "-")
            md.append(f"| {st} | {r['threads']} | {r['transactions_per_s']:.0f} | {r['kernel_stack_kb']} "
                      f"({r['kernel_stack_min_kb']}-{r['kernel_stack_max_kb']}) | "
                      f"{r.get('supply_kb', 0) if st == 'loaded' else '-'} | {sv('nomod')} | {net} | "
                      f"{sv('mainline')} |")
        md.append("")

    # Threads per GiB.
    fills = {r["state"]: r for r in rows if r.get("kind") == "fill"}
    if fills:
        mib = next(iter(fills.values())).get("mem_total_kb", 0) // 1024
        md.append("## Sleeping threads that fit in the guest's memory\n")
        md.append(f"One boot per state with {mib} MiB of usable memory (1 GiB given to QEMU in "
                  "the full run, 512 MiB in the quick one), no swap, 2 vCPUs: `threadfill` "
                  "creates threads (16 KiB user stack, one page touched, then read() on a "
                  "pipe) until the OOM killer kills it or creation fails. threads-max, "
                  "pid_max and vm.max_map_count are raised first, so memory sets the limit. "
                  "`per thread`: MemFree before, minus MemFree at the last sample, over the "
                  "threads: everything a thread costs (kernel stack, task_struct and the "
                  "other slab objects, user stack, page tables). KernelStack and SUnreclaim "
                  "at that last sample.\n")
        md.append("| state | threads | ended by | per thread | KernelStack | SUnreclaim | "
                  "PageTables | vs mainline | vs nomod |")
        md.append("|---|---|---|---|---|---|---|---|---|")
        result["fill"] = []
        for st in ("mainline", "nomod", "loaded"):
            r = fills.get(st)
            if not r:
                continue
            per = (r["mem_free_kb"] - r["peak_mem_free_kb"]) / max(r["threads"], 1)
            ratio = (lambda b: f"{r['threads'] / fills[b]['threads']:.2f}x"
                     if b in fills and fills[b]["threads"] else "-")
            md.append(f"| {st} | {r['threads']} | {r['reason']} | {per:.1f} kB | "
                      f"{r['peak_kernel_stack_kb'] // 1024} MB | {r['peak_sunreclaim_kb'] // 1024} MB | "
                      f"{r['peak_page_tables_kb'] // 1024} MB | {ratio('mainline')} | {ratio('nomod')} |")
            result["fill"].append(dict(r, per_thread_kb=round(per, 1)))
        if "loaded" in fills and "mainline" in fills and fills["mainline"]["threads"]:
            x = fills["loaded"]["threads"] / fills["mainline"]["threads"]
            result["targets"].append({
                "target": "sleeping threads that fit: more with dynstack.ko than mainline",
                "measured": f"{fills['loaded']['threads']} vs {fills['mainline']['threads']} "
                            f"({x:.2f}x)",
                "met": x > 1.0})
        md.append("")

    # Timing.
    tim = [r for r in rows if r.get("kind") == "timing"]
    md.append("## Context switch and creation\n")
    md.append("ns per operation (a ping-pong round trip, a create+join, a fork+exit+wait). "
              "`icount`: QEMU `-icount shift=0,sleep=off`, one guest ns per instruction "
              "executed, so the figure is guest instructions per operation (several runs "
              "show as min / median / max and should agree); `wall`: min / median / max "
              "over the repetitions, guest time follows the host clock. Ratios use "
              "medians.\n")
    md.append("| benchmark | mode | mainline | nomod | loaded | nodetach | churn | loaded vs nomod | "
              "nodetach vs nomod | churn vs nomod | nomod vs mainline |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|")
    med, mins = {}, {}
    for b in TIMING:
        for vm in ("icount", "wall"):
            cells, vals = [], {}
            for s in STATES:
                xs = [r["ns_per_op"] for r in tim
                      if r["bench"] == b and r["mode"] == vm and r["state"] == s]
                if not xs:
                    cells.append("-")
                    continue
                vals[s] = statistics.median(xs)
                mins.setdefault((b, vm), {})[s] = min(xs)
                cells.append(f"{vals[s]:.0f}" if len(xs) == 1 else
                             f"{min(xs):.0f} / {vals[s]:.0f} / {max(xs):.0f}")
            med[(b, vm)] = vals

            def rel(a, c):
                return f"{pct(vals[a], vals[c]):+.1f}%" if a in vals and c in vals else "-"
            md.append(f"| {b} | {vm} | " + " | ".join(cells) + f" | {rel('loaded', 'nomod')} | "
                      f"{rel('nodetach', 'nomod')} | {rel('churn', 'nomod')} | "
                      f"{rel('nomod', 'mainline')} |")
            result["timing"].append({"bench": b, "mode": vm, "ns_per_op": vals})
    md.append("")

    def measured(key, a, b, d):
        # Wall clock: the medians decide; the minima are shown as well,
        # because under TCG the spread of one state exceeds the effects.
        if key[1] != "wall":
            return f"{d:+.1f}%"
        m = mins.get(key, {})
        return f"{d:+.1f}% (medians; minima {pct(m[a], m[b]):+.1f}%)"

    for vm in ("icount", "wall"):
        for b in ("pipe-same", "pipe-cross", "futex-cross"):
            v = med.get((b, vm), {})
            if "loaded" in v and "nomod" in v:
                d = pct(v["loaded"], v["nomod"])
                result["targets"].append({"target": f"{b} ({vm}): detach on <= 2% slower than nomod",
                                          "measured": measured((b, vm), "loaded", "nomod", d),
                                          "met": d <= 2.0})
            if "nodetach" in v and "nomod" in v:
                d = pct(v["nodetach"], v["nomod"])
                result["targets"].append({"target": f"{b} ({vm}): detach off <= 0.5% slower than nomod",
                                          "measured": measured((b, vm), "nodetach", "nomod", d),
                                          "met": d <= 0.5})
        v = med.get(("thread", vm), {})
        if "loaded" in v and "mainline" in v:
            d = pct(v["loaded"], v["mainline"])
            result["targets"].append({"target": f"thread create+exit ({vm}): no slower than mainline",
                                      "measured": measured(("thread", vm), "loaded", "mainline", d)
                                      + " loaded vs mainline", "met": d <= 0.0})

    # Live depth at switch-out.
    dep = [r for r in rows if r.get("kind") == "depth"]
    if dep:
        md.append("## Live stack depth at switch-out\n")
        md.append("Every blocking switch-out of a task with a dynamic stack, by the pages at or "
                  "above its saved stack pointer (what the stack must hold while the task "
                  "sleeps, whatever the policy), during each workload of the loaded state's "
                  "first wall-clock boot (debugfs `live_depth`, a static key off in every other "
                  "run). Memory workloads: from their start until they sleep, settled; timing "
                  "workloads: the whole run.\n")
        md.append("| workload | switch-outs | 1 page | 2 pages | 3 pages | 4 pages |")
        md.append("|---|---|---|---|---|---|")
        result["depth"] = dep
        for r in dep:
            h = r["switch_outs_by_live_pages"]
            tot = sum(h)
            cells = " | ".join(f"{100.0 * c / tot:.2f}%" if tot else "-" for c in h[:4])
            md.append(f"| {r['workload']} | {tot} | {cells} |")
        md.append("")

    # Wake-rate matrix.
    wk = [r for r in rows if r.get("kind") == "wake"]
    if wk:
        nap = max((r.get("min_sleep_us", -1) for r in wk if r["state"] == "loaded"), default=-1)
        md.append("## Threads that wake often: the wake-rate matrix\n")
        md.append("N threads each wake every T (clock_nanosleep, phases spread evenly), touch "
                  "2 KiB of stack and sleep again (`wakerate`), icount boots. Each cell runs "
                  "twice. With the CPUs idle between wakeups: the achieved rate, KernelStack "
                  "(mean of samples every 250 ms while they run) and the core's populate, "
                  "detach and nap events per second. With a SCHED_IDLE spinner soaking each CPU: "
                  "instructions per wakeup, measured as the spinners' lost work (timer "
                  "interrupt, scheduler, dynstack and the 2 KiB all included). Where the rate "
                  "falls short of N/T the CPUs were saturated (near 200k wakeups/s on 2 vCPUs; "
                  "5000 threads at 10 ms or less are not run: they saturate it too, and "
                  "starve the sampler). "
                  + (f"min_sleep_us was {nap}: " if nap >= 0 else "")
                  + "a task whose last sleep was shorter than min_sleep_us keeps its pages "
                  "(napped). `supply kB`: what the module's magazines, depot and reserve held "
                  "meanwhile (mean of the same samples), loaded; `net`: saved vs nomod after "
                  "adding it. `short/s`: pages per second the supply could not give in the "
                  "soaked run, whose wakeups waited for kdynstackd.\n")
        md.append("| N | T | wakeups/s | KernelStack kB mainline / nomod / loaded | saved vs nomod | "
                  "supply kB | net | populated/s | detached/s | napped/s | "
                  "instr/wakeup mainline / nomod / loaded | loaded vs nomod | short/s |")
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        result["wake"] = wk
        cells = sorted({(r["threads"], r["period_us"]) for r in wk})
        for n, t in cells:
            def get(st, soak):
                for r in wk:
                    if (r["threads"], r["period_us"], r["state"], r.get("soak", 0)) == (n, t, st, soak):
                        return r
                return None
            idle = {st: get(st, 0) for st in ("mainline", "nomod", "loaded")}
            soak = {st: get(st, 1) for st in ("mainline", "nomod", "loaded")}
            ks = " / ".join(f"{r['kernel_stack_kb']}" if r else "-" for r in idle.values())
            ins = " / ".join(f"{r['busy_ns_per_wakeup']:.0f}" if r else "-" for r in soak.values())
            ld, nm = idle["loaded"], idle["nomod"]
            saved = f"{-pct(ld['kernel_stack_kb'], nm['kernel_stack_kb']):.1f}%" if ld and nm else "-"
            sl, sn = soak["loaded"], soak["nomod"]
            cost = (f"{pct(sl['busy_ns_per_wakeup'], sn['busy_ns_per_wakeup']):+.1f}%"
                    if sl and sn and sn["busy_ns_per_wakeup"] > 0 else "-")
            per = (lambda k: f"{ld[k]:.0f}" if ld else "-")
            rate = f"{ld['wakeups_per_s']:.0f}" if ld else "-"
            sup = ld.get("supply_kb", -1) if ld else -1
            supply = f"{sup:.0f}" if sup >= 0 else "-"
            net = (f"{-pct(ld['kernel_stack_kb'] + sup, nm['kernel_stack_kb']):.1f}%"
                   if ld and nm and sup >= 0 else "-")
            short = f"{sl['short_per_s']:.0f}" if sl and sl.get("short_per_s", -1) >= 0 else "-"
            tt = f"{t / 1000:g} ms" if t >= 1000 else f"{t} us"
            md.append(f"| {n} | {tt} | {rate} | {ks} | {saved} | {supply} | {net} | "
                      f"{per('populated_per_s')} | {per('detached_per_s')} | "
                      f"{per('napped_per_s')} | {ins} | {cost} | {short} |")
        md.append("")

    # Module work.
    md.append("## The module's own work during each benchmark (states loaded and churn, icount runs)\n")
    md.append("`napped`: switch-outs where the core kept the pages of a task that only "
              "napped last time (min_sleep_us) without asking the module.\n")
    md.append("| benchmark | context switches | populated / switch | detached / switch | "
              "napped / switch | magazine hits | depot hits | reserve hits |")
    md.append("|---|---|---|---|---|---|---|---|")
    for r in tim:
        if r["state"] not in ("loaded", "churn") or r["mode"] != "icount":
            continue
        sw = max(r.get("switches", 0), 1)
        takes = r.get("take_magazine", 0) + r.get("take_depot", 0) + r.get("take_reserve", 0)
        share = (lambda k: f"{100.0 * r.get(k, 0) / takes:.1f}%" if takes else "-")
        md.append(f"| {r['bench']} ({r['state']}) | {r.get('switches', 0)} | {r.get('populated', 0) / sw:.3f} | "
                  f"{r.get('detached', 0) / sw:.3f} | {r.get('napped', 0) / sw:.3f} | "
                  f"{share('take_magazine')} | "
                  f"{share('take_depot')} | {share('take_reserve')} |")
        result["module_work"].append(r)
    md.append("")

    # The lean supply must not make the timing runs dip into the reserve.
    lean = [r for r in tim if r["state"] in ("loaded", "churn")]
    if lean:
        hits = sum(r.get("take_reserve", 0) for r in lean)
        result["targets"].append({
            "target": "no switch-in served from the reserve in the timing benchmarks "
                      "(loaded and churn)",
            "measured": f"{hits} pages from the reserve over {len(lean)} runs",
            "met": hits == 0})

    errors = [r for r in rows if r.get("kind") == "error"]
    if errors:
        md.append("## Failed measurements\n")
        for r in errors:
            md.append(f"- {r['state']}: {r['what']}")
        md.append("")
        result["errors"] = errors

    md.append("## Targets\n")
    md.append("| target | measured | met |")
    md.append("|---|---|---|")
    for t in result["targets"]:
        md.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    md.append("")

    json.dump(result, open(out_json, "w"), indent=1)
    open(out_md, "w").write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
