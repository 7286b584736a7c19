/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dynstack: the user-space ABI of /dev/dynstack.
 *
 * Every command takes a pointer to a struct whose first member, @size, the
 * caller sets to the size of the struct it was built with. Structs only
 * ever grow at the end, the way clone3() and openat2() arguments do:
 *
 *  - input from an older caller (smaller @size) is zero-extended, and a
 *    zero in a member added later means what the module did before the
 *    member existed;
 *  - input from a newer caller (larger @size) is accepted only if every
 *    byte the module does not know is zero, else E2BIG; a @size over the
 *    page size is E2BIG too, as for openat2() and clone3();
 *  - output is copied for min(@size, module's size) bytes, and @size is
 *    set to that length so the caller knows which fields were filled.
 *
 * Members named __reserved* and flags bits not defined here must be zero
 * (EINVAL otherwise). All fields are fixed-width and naturally aligned,
 * with explicit padding, so the layout is the same for 32- and 64-bit
 * callers.
 *
 * Command numbers: _IOWR(DYNSTACK_IOC_MAGIC, nr, <the struct's VER0
 * layout>). Every command reads @size from the caller and writes back, so
 * all are _IOWR. The module matches on the type and number only, as
 * extensible ioctls do (fs/nsfs.c): the size bits of a newer caller's
 * command may differ, the struct's @size is what counts.
 *
 * Compatibility: a tool must not refuse a module for its abi_version
 * (informational; it changes only if a command's meaning changes, never
 * for a new member or command). What a module offers is told by
 * dynstack_version.features and by the @size it returns: check the
 * feature bit of what you use, and that the returned @size covers the
 * members you read. Commands a module does not know return ENOTTY.
 *
 * Permissions: anyone who can open the device (0444) may read statistics
 * and the policy. DYNSTACK_IOC_TASK follows the ptrace read rules
 * (PTRACE_MODE_READ_REALCREDS), as /proc/PID/wchan and kcmp() do: it says
 * how many pages a task's stack holds and held, which tells less than
 * wchan's kernel symbol. /proc/PID/stack needs CAP_SYS_ADMIN because it
 * shows whole kernel call chains; nothing here does. Every command that
 * changes something needs CAP_SYS_ADMIN (EPERM otherwise, and nothing is
 * changed).
 */
#ifndef _UAPI_LINUX_DYNSTACK_H
#define _UAPI_LINUX_DYNSTACK_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Informational only: see "Compatibility" above. */
#define DYNSTACK_ABI_VERSION	2
#define DYNSTACK_DEVICE		"/dev/dynstack"
#define DYNSTACK_IOC_MAGIC	0xB9

/* Feature bits in dynstack_version.features. */
#define DYNSTACK_FEAT_DETACH		(1ULL << 0)	/* switch-out detach */
#define DYNSTACK_FEAT_RECLAIM		(1ULL << 1)	/* reclaim of touched pages */
#define DYNSTACK_FEAT_PER_CPU_STATS	(1ULL << 2)
#define DYNSTACK_FEAT_TASK_INFO		(1ULL << 3)
#define DYNSTACK_FEAT_WAIT		(1ULL << 4)	/* waiting protocol, stats VER2 */
#define DYNSTACK_FEAT_POLICY_MASK	(1ULL << 5)	/* policy VER3: partial SET, error_field */
#define DYNSTACK_FEAT_TUNABLE_INFO	(1ULL << 6)	/* DYNSTACK_IOC_TUNABLE */
#define DYNSTACK_FEAT_PIN		(1ULL << 7)	/* IOC_PIN, IOC_PINS, task.attrs */
#define DYNSTACK_FEAT_MEMCG		(1ULL << 8)	/* memcg charge follows residency, stats VER3 */
#define DYNSTACK_FEAT_SIZING		(1ULL << 9)	/* supply sized by demand, policy VER4 */

/* DYNSTACK_IOC_VERSION: what the module is. Output only. */
struct dynstack_version {
	__u32 size;
	__u32 abi_version;		/* DYNSTACK_ABI_VERSION of the module */
	__u64 features;			/* DYNSTACK_FEAT_* */
	__u32 page_size;		/* bytes */
	__u32 stack_pages;		/* pages per kernel stack */
	__u32 nr_cpu_ids;		/* CPU numbers are below this */
	__u32 __reserved;
};
#define DYNSTACK_VERSION_SIZE_VER0	32

/*
 * Number of buckets of dynstack_stats.residency: 0..stack_pages pages.
 * Enough for stacks of up to 7 pages (x86-64's 16 KiB stacks have 4);
 * a module whose stacks are bigger does not build (BUILD_BUG_ON), so a
 * histogram is never cut short. Use dynstack_version.stack_pages + 1 as
 * the number of buckets that mean something.
 */
#define DYNSTACK_HIST_BUCKETS	8

/* DYNSTACK_IOC_STATS: global statistics. Output only. */
struct dynstack_stats {
	__u32 size;
	__u32 __reserved;
	/* Stacks, now. */
	__u64 stacks;			/* live kernel stacks */
	__u64 partial_stacks;		/* with at least one page missing */
	__u64 resident_pages;		/* pages held by live stacks */
	/* Core events since boot. */
	__u64 populated;		/* fresh pages mapped at wakeup */
	__u64 reinstalled;		/* pending pages mapped back */
	__u64 detached;			/* untouched pages taken */
	__u64 harvested;		/* touched dead pages taken (reclaim) */
	__u64 released;			/* of those, freed after a TLB flush */
	__u64 nopage;			/* wakeups deferred: the supply could not fill the stack */
	/* Supply, now. */
	__u64 magazine_pages;
	__u64 depot_pages;
	__u64 reserve_pages;
	/* Supply events since load. */
	__u64 take_magazine;
	__u64 take_depot;
	__u64 take_reserve;
	__u64 take_short;
	__u64 give_magazine;
	__u64 give_depot;
	__u64 kicks;
	__u64 refused;			/* detaches refused by admission control */
	__u64 refilled;
	__u64 refill_failed;
	__u64 trimmed;
	/* Reclaim passes since load. */
	__u64 reclaim_passes;
	__u64 reclaim_scanned;
	__u64 reclaim_detached;
	__u64 reclaim_harvested;
	__u64 reclaim_released;
	__u64 reclaim_flushes;
	/* residency[i]: live stacks with i resident pages. */
	__u64 residency[DYNSTACK_HIST_BUCKETS];
	/* Since VER1. */
	__u64 napped;			/* switch-outs that kept a napping task's pages */
	/* Since VER2: the waiting protocol (docs/design.md). */
	__u64 parked;			/* tasks waiting for stack pages now */
	__u64 wait_us;			/* total time tasks waited for stack pages */
	__u64 wait_max_us;		/* the longest such wait */
	__u64 exit_reserve_pages;	/* core's exit reserve, now */
	__u64 exit_reserve_served;	/* wakeups of dying tasks it served */
	__u64 alloc_failed;		/* kdynstackd allocations that failed */
	__u64 readers;			/* detaches skipped: stack held by a reader */
	/* Since VER3: the memcg charge follows residency (FEAT_MEMCG). */
	__u64 memcg_settled;		/* pages uncharged from sleeping tasks' memcgs */
	__u64 memcg_waits;		/* wakeups that waited for their memcg charge */
	__u64 memcg_charged;		/* pages charged again for them */
	__u64 memcg_failed;		/* blocking charges that failed (retried) */
};
#define DYNSTACK_STATS_SIZE_VER0	304
#define DYNSTACK_STATS_SIZE_VER1	312
#define DYNSTACK_STATS_SIZE_VER2	368
#define DYNSTACK_STATS_SIZE_VER3	400

/* DYNSTACK_IOC_CPU_STATS: statistics of one CPU. In: @cpu. */
struct dynstack_cpu_stats {
	__u32 size;
	__u32 cpu;			/* in: below nr_cpu_ids */
	__u32 flags;			/* in: must be 0 */
	__u32 online;			/* out: 1 if the CPU is online */
	__u64 magazine_pages;
	__u64 take_magazine;
	__u64 take_depot;
	__u64 take_reserve;
	__u64 take_short;
	__u64 give_magazine;
	__u64 give_depot;
	__u64 kicks;
	__u64 refused;
	/* Since VER1. */
	__u64 napped;
};
#define DYNSTACK_CPU_STATS_SIZE_VER0	88
#define DYNSTACK_CPU_STATS_SIZE_VER1	96

/*
 * DYNSTACK_IOC_GET_POLICY / DYNSTACK_IOC_SET_POLICY: every tunable of
 * /sys/kernel/mm/dynstack/, as one struct. Ranges: DYNSTACK_IOC_TUNABLE.
 *
 * SET changes, in one step under the module's lock, either
 *  - with DYNSTACK_POLICY_SET_MASK in @flags: exactly the fields whose bit
 *    (1 << DYNSTACK_POLICY_<FIELD>) is set in @mask; the others keep their
 *    current value, so two tools that change different fields cannot undo
 *    each other;
 *  - without it: every field the caller's @size covers; fields past it
 *    keep their current value.
 * The result is validated as a whole and applied all or nothing. On
 * EINVAL the struct is copied back (if the caller's @size covers
 * @error_field) with @error_field set to the field that was wrong
 * (DYNSTACK_POLICY_<FIELD>), or to -1 if no one field is to blame (bad
 * @flags or @mask). GET leaves @mask and @error_field 0, so what it
 * returns can be sent back as it is; the @size it returns says which
 * fields the module knows.
 */
enum {
	DYNSTACK_POLICY_DETACH,
	DYNSTACK_POLICY_MAGAZINE_SIZE,
	DYNSTACK_POLICY_DEPOT_LOW,
	DYNSTACK_POLICY_DEPOT_HIGH,
	DYNSTACK_POLICY_RESERVE_PAGES,
	DYNSTACK_POLICY_RECLAIM_INTERVAL_MS,
	DYNSTACK_POLICY_RECLAIM_TOUCHED,
	DYNSTACK_POLICY_PIN_KTHREADS,
	DYNSTACK_POLICY_MIN_SLEEP_US,
	DYNSTACK_POLICY_PARTIAL_FORK,
	DYNSTACK_POLICY_SHRINK_INTERVAL_MS,
};
#define DYNSTACK_POLICY_SET_MASK	(1U << 0)	/* flags: change @mask only */

struct dynstack_policy {
	__u32 size;
	__u32 flags;			/* in, SET: DYNSTACK_POLICY_SET_MASK */
	__u32 detach;			/* 0/1 */
	__u32 magazine_size;		/* pages */
	__u32 depot_low;		/* pages, < depot_high */
	__u32 depot_high;		/* pages */
	__u32 reserve_pages;		/* >= (stack_pages - 1) * nr_cpu_ids */
	__u32 reclaim_interval_ms;	/* 0 (off) or at least 10 */
	__u32 reclaim_touched;		/* 0/1 */
	__u32 pin_kthreads;		/* only 1 */
	/*
	 * Since VER1: keep the pages of a task whose last sleep was shorter
	 * than this (µs). 0 takes them at every switch-out.
	 */
	__u32 min_sleep_us;
	/* Since VER2: retired, only 0 (new stacks are always full). */
	__u32 partial_fork;
	/* Since VER3. */
	__u64 mask;			/* in, SET: the fields to change */
	__s32 error_field;		/* in: 0; out, SET on EINVAL: DYNSTACK_POLICY_*, or -1 */
	__u32 __reserved;
	/*
	 * Since VER4 (FEAT_SIZING): the supply's sizing tick (ms). Each
	 * tick the depot's target falls toward what wakeups took from it
	 * since the last one (at most by half), and a CPU's magazine that
	 * saw no use gives half of its pages back. 0 (never shrink) or at
	 * least 10.
	 */
	__u32 shrink_interval_ms;
	__u32 __reserved2;
};
#define DYNSTACK_POLICY_SIZE_VER0	40
#define DYNSTACK_POLICY_SIZE_VER1	44
#define DYNSTACK_POLICY_SIZE_VER2	48
#define DYNSTACK_POLICY_SIZE_VER3	64
#define DYNSTACK_POLICY_SIZE_VER4	72

/*
 * DYNSTACK_IOC_TUNABLE: the module's description of one tunable, so that a
 * tool needs no copy of the ranges. In: @index (DYNSTACK_POLICY_*, or any
 * number: ENOENT past the last). @min and @max are the field's own range;
 * @help states the rules between fields too (depot_low < depot_high, ...).
 */
struct dynstack_tunable {
	__u32 size;
	__u32 index;			/* in */
	__u32 flags;			/* in: must be 0 */
	__u32 min;			/* out */
	__u32 max;			/* out */
	__u32 value;			/* out: the current value */
	char name[32];			/* out: NUL-terminated, as in sysfs */
	char help[128];			/* out: NUL-terminated */
};
#define DYNSTACK_TUNABLE_SIZE_VER0	184

/*
 * DYNSTACK_IOC_TASK: one task's stack. In: @pid, a thread id in the
 * caller's pid namespace.
 */
#define DYNSTACK_TASK_PINNED	(1U << 0)	/* pinned (DYNSTACK_IOC_PIN) */
struct dynstack_task {
	__u32 size;
	__s32 pid;			/* in */
	__u32 flags;			/* in: must be 0 */
	__u32 resident_pages;		/* out: pages the stack holds now */
	__u32 last_used_pages;		/* out: pages in use at last switch-out */
	__u32 max_used_pages;		/* out: high-water mark of the above */
	__u32 stack_pages;		/* out: virtual size, in pages */
	__u32 attrs;			/* out: DYNSTACK_TASK_* (FEAT_PIN) */
};
#define DYNSTACK_TASK_SIZE_VER0		32

/* DYNSTACK_IOC_RECLAIM: one reclaim pass now. */
#define DYNSTACK_RECLAIM_TOUCHED	(1U << 0)	/* also touched dead pages */
struct dynstack_reclaim {
	__u32 size;
	__u32 flags;			/* in: DYNSTACK_RECLAIM_* */
	__u64 scanned;			/* out */
	__u64 detached;			/* out */
	__u64 harvested;		/* out */
	__u64 released;			/* out */
	__u64 flushes;			/* out */
};
#define DYNSTACK_RECLAIM_SIZE_VER0	48

/*
 * DYNSTACK_IOC_PIN: pin a thread (it keeps a full stack) or unpin it;
 * CAP_SYS_ADMIN. The pin is on the thread's struct pid, not on its
 * number: once the thread has exited, a new thread that gets the same id
 * is not pinned. An exec by a thread that is not the leader swaps it the
 * leader's id, and the pin follows the id (as /proc/PID does). Errors:
 * ESRCH no such thread, ENOENT (UNPIN) not pinned, ENOSPC too many pinned
 * threads (256), EINVAL bad flags or @tid, ENOMEM.
 */
#define DYNSTACK_PIN_UNPIN	(1U << 0)	/* unpin instead */
#define DYNSTACK_PIN_ALL	(1U << 1)	/* with UNPIN: every thread, @tid 0 */
struct dynstack_pin {
	__u32 size;
	__u32 flags;			/* in: DYNSTACK_PIN_* */
	__s32 tid;			/* in: thread id, caller's pid namespace */
	__u32 __reserved;
};
#define DYNSTACK_PIN_SIZE_VER0		16

/*
 * DYNSTACK_IOC_PINS: the pinned threads, by their ids in the caller's pid
 * namespace (threads it cannot see are left out). In: @count, the room at
 * @tids (0 asks only how many there are). Out: @count, how many there are,
 * which may exceed the room given: the first min(room, count) ids are
 * written.
 */
struct dynstack_pins {
	__u32 size;
	__u32 count;			/* in: room; out: pinned threads */
	__u64 tids;			/* in: user pointer to __s32[room] */
};
#define DYNSTACK_PINS_SIZE_VER0		16

#define DYNSTACK_IOC_VERSION	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x00, \
				     DYNSTACK_VERSION_SIZE_VER0)
#define DYNSTACK_IOC_STATS	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x01, \
				     DYNSTACK_STATS_SIZE_VER0)
#define DYNSTACK_IOC_CPU_STATS	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x02, \
				     DYNSTACK_CPU_STATS_SIZE_VER0)
#define DYNSTACK_IOC_GET_POLICY	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x03, \
				     DYNSTACK_POLICY_SIZE_VER0)
#define DYNSTACK_IOC_SET_POLICY	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x04, \
				     DYNSTACK_POLICY_SIZE_VER0)
#define DYNSTACK_IOC_TASK	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x05, \
				     DYNSTACK_TASK_SIZE_VER0)
#define DYNSTACK_IOC_RECLAIM	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x06, \
				     DYNSTACK_RECLAIM_SIZE_VER0)
#define DYNSTACK_IOC_TUNABLE	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x07, \
				     DYNSTACK_TUNABLE_SIZE_VER0)
#define DYNSTACK_IOC_PIN	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x08, \
				     DYNSTACK_PIN_SIZE_VER0)
#define DYNSTACK_IOC_PINS	_IOC(_IOC_READ | _IOC_WRITE, DYNSTACK_IOC_MAGIC, 0x09, \
				     DYNSTACK_PINS_SIZE_VER0)

#endif /* _UAPI_LINUX_DYNSTACK_H */
