#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Count the results of one `make test` guest run.

Reads the guest's results channel (BEGIN/END blocks of KTAP/TAP written by
scripts/guest/run-tests.sh) and its console log, and prints one line per
test plus a summary. A test counts once, at its leaf: a KUnit case, a
parameterised case's parameter, or a kselftest harness test.

Besides the TAP, these are failures:
  - a suite listed in --expect that never reported;
  - a block that began but never ended, or a runner that never said DONE
    (the guest crashed or hung in the middle);
  - a kselftest that exited non-zero (other than 4, "skip") with no failing
    test, i.e. it died;
  - any kernel message on the console that signals a bug: oops, BUG,
    WARNING, lockdep report, RCU stall, hung task, corrupted stack end.
Usage: results.py --label L --results F --console F [--expect F] [--sum F]
"""
import argparse
import re
import sys

RESULT = re.compile(r"^(\s*)(ok|not ok) (\d+)\s*(?:- )?([^#]*?)\s*(?:#\s*(\w+)(.*))?$")
PRINTK = re.compile(r"^\[\s*\d+\.\d+\]\s?(.*)$")
KERNEL_BUG = re.compile(
    r"(BUG:|WARNING:|Oops|Kernel panic|general protection fault|"
    r"possible circular locking|possible recursive locking|"
    r"inconsistent lock state|suspicious RCU usage|INFO: rcu_.*stall|"
    r"blocked for more than|Corrupted stack end|stack-protector|"
    r"UBSAN:|kernel BUG at|Bad page state|list_add corruption|"
    r"list_del corruption|dynstack: .*(FAILED|BUG))")


def tap_leaves(lines):
    """Yield (name, status) for each leaf result of a TAP/KTAP stream."""
    prev_indent = None
    stack = []  # names of enclosing subtests, from "# Subtest:" lines
    for raw in lines:
        m = re.match(r"^(\s*)# Subtest: (.*)$", raw)
        if m:
            stack.append((len(m.group(1)), m.group(2).strip()))
            continue
        m = RESULT.match(raw)
        if not m:
            continue
        indent = len(m.group(1))
        is_parent = prev_indent is not None and prev_indent > indent
        prev_indent = indent
        name = m.group(4).strip()
        while stack and stack[-1][0] > indent:
            stack.pop()
        if is_parent:
            continue
        directive = (m.group(5) or "").upper()
        if directive == "SKIP":
            status = "skip"
        elif m.group(2) == "ok":
            status = "pass"
        elif directive in ("TODO", "XFAIL"):
            status = "skip"
        else:
            status = "fail"
        prefix = ".".join(s[1] for s in stack)
        yield (prefix + "." + name if prefix else name), status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--console", required=True)
    ap.add_argument("--expect")
    ap.add_argument("--sum", help="append 'passed failed skipped' here")
    a = ap.parse_args()

    counts = {"pass": 0, "fail": 0, "skip": 0}

    def report(name, status, why=""):
        counts[status] += 1
        tag = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}[status]
        print(f"  {tag} {a.label}: {name}{' (' + why + ')' if why else ''}")

    text = open(a.results, errors="replace").read().replace("\r", "")
    seen = set()
    block = None
    done = False
    for line in text.split("\n"):
        if line.startswith("BEGIN "):
            _, kind, name = line.split(" ", 2)
            block = (kind, name, [])
            continue
        if line.startswith("END ") and block:
            kind, name, body = block
            seen.add(f"{kind} {name}")
            leaves = list(tap_leaves(body))
            for leaf, status in leaves:
                report(f"{kind} {leaf}", status)
            if kind == "kselftest":
                m = re.search(r"rc=(\d+)", line)
                rc = int(m.group(1)) if m else -1
                if rc not in (0, 4) and not any(s == "fail" for _, s in leaves):
                    report(f"kselftest {name}", "fail", f"exited {rc}")
                if not leaves and rc == 0:
                    report(f"kselftest {name}", "fail", "printed no TAP result")
            elif not leaves:
                report(f"{kind} {name}", "fail", "no results")
            block = None
            continue
        if line.strip() == "DONE":
            done = True
            continue
        if block:
            block[2].append(line)

    if block:
        report(f"{block[0]} {block[1]}", "fail", "did not finish (guest died or hung)")
    if not done:
        report("test runner", "fail", "did not complete")
    if a.expect:
        for exp in open(a.expect):
            exp = exp.split("#")[0].strip()
            if exp and exp not in seen:
                report(exp, "fail", "expected but never reported")

    bugs = []
    for line in open(a.console, errors="replace"):
        m = PRINTK.match(line.rstrip("\r\n"))
        if m and KERNEL_BUG.search(m.group(1)):
            bugs.append(m.group(1).strip())
    if bugs:
        for b in bugs[:10]:
            print(f"    console: {b}")
        report("kernel console", "fail", f"{len(bugs)} bug/warning line(s)")

    print(f"{a.label}: {counts['pass']} passed, {counts['fail']} failed, "
          f"{counts['skip']} skipped")
    if a.sum:
        with open(a.sum, "a") as f:
            f.write(f"{counts['pass']} {counts['fail']} {counts['skip']}\n")
    return 1 if counts["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
