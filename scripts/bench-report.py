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
              "`supply` is what dynstack.ko's magazines, depot and reserve hold besides). "
              "`mix`: threads in futex wait, pipe read, epoll_wait, nanosleep, accept and "
              "FIFO read; `deep`: each thread first sends over TCP on loopback and polls "
              "256 descriptors, then sleeps in read.\n")
    md.append("`core count`: the resident pages of all dynamic stacks as the core counts "
              "them (`core/resident_pages` in sysfs), loaded state. `net`: saved vs nomod "
              "after adding the supply to the loaded figure.\n")
    md.append("| workload | threads | mainline kB | nomod kB | loaded kB | core count kB | "
              "supply kB | saved vs nomod | saved vs mainline | net | per thread (loaded) |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|")
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
        result["memory"].append({"workload": wl, "threads": n, "mainline_kb": m,
                                 "nomod_kb": nm, "loaded_kb": ld, "supply_kb": sup,
                                 "core_count_kb": core_kb, "net_saved_pct": round(net, 1),
                                 "saved_vs_nomod_pct": round(saved_nomod, 1),
                                 "saved_vs_mainline_pct": round(saved_main, 1),
                                 "bytes_per_task_loaded": round(per)})
        md.append(f"| {wl} | {n} | {m} | {nm} | {ld} | {core_kb} | {sup} | {saved_nomod:.1f}% | "
                  f"{saved_main:.1f}% | {net:.1f}% | {per / 1024:.1f} kB |")
        if n == 5000:
            result["targets"].append({
                "target": f"memory saved with 5000 sleeping threads ({wl}) >= 74%",
                "measured": f"{saved_nomod:.1f}% (vs nomod), {saved_main:.1f}% (vs mainline)",
                "met": saved_nomod >= 74.0})
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
