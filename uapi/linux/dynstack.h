/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dynstack: the user-space ABI of /dev/dynstack.
 *
 * Every command takes a pointer to a struct whose first member, @size, the
 * caller sets to the size of the struct it was built with. Structs only
 * ever grow at the end, the way clone3() and openat2() arguments do:
 *
 *  - input from an older caller (smaller @size) is zero-extended;
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
 * Permissions: anyone who can open the device may read statistics and the
 * policy; per-task data follows the ptrace read rules
 * (PTRACE_MODE_READ_REALCREDS), as /proc/PID/wchan does: it says how many
 * pages a task's stack holds and held, which tells less than wchan's
 * kernel symbol. (/proc/PID/stack needs CAP_SYS_ADMIN because it shows
 * whole kernel call chains; nothing here does.) Every command that changes
 * something needs CAP_SYS_ADMIN (EPERM otherwise, and nothing is changed).
 */
#ifndef _UAPI_LINUX_DYNSTACK_H
#define _UAPI_LINUX_DYNSTACK_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define DYNSTACK_ABI_VERSION	1
#define DYNSTACK_DEVICE		"/dev/dynstack"
#define DYNSTACK_IOC_MAGIC	0xB9

/* Feature bits in dynstack_version.features. */
#define DYNSTACK_FEAT_DETACH		(1ULL << 0)	/* switch-out detach */
#define DYNSTACK_FEAT_RECLAIM		(1ULL << 1)	/* reclaim of touched pages */
#define DYNSTACK_FEAT_PER_CPU_STATS	(1ULL << 2)
#define DYNSTACK_FEAT_TASK_INFO		(1ULL << 3)
#define DYNSTACK_FEAT_WAIT		(1ULL << 4)	/* waiting protocol, stats VER2 */

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

/* Number of buckets of dynstack_stats.residency: 0..stack_pages pages. */
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
};
#define DYNSTACK_STATS_SIZE_VER0	304
#define DYNSTACK_STATS_SIZE_VER1	312
#define DYNSTACK_STATS_SIZE_VER2	368

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
 * /sys/kernel/mm/dynstack/, as one struct. SET validates the whole struct
 * and applies all of it or nothing (EINVAL). Ranges: docs/usage.md.
 */
struct dynstack_policy {
	__u32 size;
	__u32 flags;			/* must be 0 */
	__u32 detach;			/* 0/1 */
	__u32 magazine_size;		/* 1..256 pages */
	__u32 depot_low;		/* pages, < depot_high */
	__u32 depot_high;		/* pages */
	__u32 reserve_pages;		/* >= (stack_pages - 1) * nr_cpu_ids */
	__u32 reclaim_interval_ms;	/* 0 (off) or 10..3600000 */
	__u32 reclaim_touched;		/* 0/1 */
	__u32 pin_kthreads;		/* 0/1 */
	/*
	 * Since VER1: keep the pages of a task whose last sleep was shorter
	 * than this (µs). 0, what a VER0 caller sends, takes them at every
	 * switch-out, as before.
	 */
	__u32 min_sleep_us;		/* 0..60000000 */
	/*
	 * Since VER2: new stacks start with only their top page. 0, what an
	 * older caller sends, makes them full at fork.
	 */
	__u32 partial_fork;		/* 0/1 */
};
#define DYNSTACK_POLICY_SIZE_VER0	40
#define DYNSTACK_POLICY_SIZE_VER1	44
#define DYNSTACK_POLICY_SIZE_VER2	48

/* DYNSTACK_IOC_TASK: one task's stack. In: @pid (a thread id). */
struct dynstack_task {
	__u32 size;
	__s32 pid;			/* in */
	__u32 flags;			/* in: must be 0 */
	__u32 resident_pages;		/* out: pages the stack holds now */
	__u32 last_used_pages;		/* out: pages in use at last switch-out */
	__u32 max_used_pages;		/* out: high-water mark of the above */
	__u32 stack_pages;		/* out: virtual size, in pages */
	__u32 __reserved;
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

#define DYNSTACK_IOC_VERSION	_IO(DYNSTACK_IOC_MAGIC, 0x00)
#define DYNSTACK_IOC_STATS	_IO(DYNSTACK_IOC_MAGIC, 0x01)
#define DYNSTACK_IOC_CPU_STATS	_IO(DYNSTACK_IOC_MAGIC, 0x02)
#define DYNSTACK_IOC_GET_POLICY	_IO(DYNSTACK_IOC_MAGIC, 0x03)
#define DYNSTACK_IOC_SET_POLICY	_IO(DYNSTACK_IOC_MAGIC, 0x04)
#define DYNSTACK_IOC_TASK	_IO(DYNSTACK_IOC_MAGIC, 0x05)
#define DYNSTACK_IOC_RECLAIM	_IO(DYNSTACK_IOC_MAGIC, 0x06)

#endif /* _UAPI_LINUX_DYNSTACK_H */
