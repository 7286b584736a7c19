// SPDX-License-Identifier: GPL-2.0
// The ABI of uapi/linux/dynstack.h: sizes and offsets must never change for
// fields that exist (new fields only at the end, with a new size).
#include <linux/dynstack.h>

#include <cstddef>
#include <set>

#include <gtest/gtest.h>

TEST(Abi, SizesMatchTheirLatestVersion) {
    EXPECT_EQ(sizeof(dynstack_version), static_cast<std::size_t>(DYNSTACK_VERSION_SIZE_VER0));
    EXPECT_EQ(sizeof(dynstack_stats), static_cast<std::size_t>(DYNSTACK_STATS_SIZE_VER3));
    EXPECT_EQ(sizeof(dynstack_cpu_stats), static_cast<std::size_t>(DYNSTACK_CPU_STATS_SIZE_VER1));
    EXPECT_EQ(sizeof(dynstack_policy), static_cast<std::size_t>(DYNSTACK_POLICY_SIZE_VER4));
    EXPECT_EQ(sizeof(dynstack_tunable), static_cast<std::size_t>(DYNSTACK_TUNABLE_SIZE_VER0));
    EXPECT_EQ(sizeof(dynstack_task), static_cast<std::size_t>(DYNSTACK_TASK_SIZE_VER0));
    EXPECT_EQ(sizeof(dynstack_reclaim), static_cast<std::size_t>(DYNSTACK_RECLAIM_SIZE_VER0));
}

TEST(Abi, NewFieldsOnlyAfterTheOldEnd) {
    EXPECT_EQ(offsetof(dynstack_stats, napped), static_cast<std::size_t>(DYNSTACK_STATS_SIZE_VER0));
    EXPECT_EQ(offsetof(dynstack_stats, parked), static_cast<std::size_t>(DYNSTACK_STATS_SIZE_VER1));
    EXPECT_EQ(offsetof(dynstack_stats, memcg_settled),
              static_cast<std::size_t>(DYNSTACK_STATS_SIZE_VER2));
    EXPECT_EQ(offsetof(dynstack_cpu_stats, napped),
              static_cast<std::size_t>(DYNSTACK_CPU_STATS_SIZE_VER0));
    EXPECT_EQ(offsetof(dynstack_policy, min_sleep_us),
              static_cast<std::size_t>(DYNSTACK_POLICY_SIZE_VER0));
    EXPECT_EQ(offsetof(dynstack_policy, partial_fork),
              static_cast<std::size_t>(DYNSTACK_POLICY_SIZE_VER1));
    EXPECT_EQ(offsetof(dynstack_policy, mask), static_cast<std::size_t>(DYNSTACK_POLICY_SIZE_VER2));
    EXPECT_EQ(offsetof(dynstack_policy, shrink_interval_ms),
              static_cast<std::size_t>(DYNSTACK_POLICY_SIZE_VER3));
}

TEST(Abi, SizeIsAlwaysFirstAndEightByteFieldsAligned) {
    EXPECT_EQ(offsetof(dynstack_version, size), 0U);
    EXPECT_EQ(offsetof(dynstack_stats, size), 0U);
    EXPECT_EQ(offsetof(dynstack_policy, size), 0U);
    EXPECT_EQ(offsetof(dynstack_version, features), 8U);
    EXPECT_EQ(offsetof(dynstack_stats, stacks), 8U);
    EXPECT_EQ(offsetof(dynstack_stats, residency), 240U);
    EXPECT_EQ(offsetof(dynstack_cpu_stats, magazine_pages), 16U);
    EXPECT_EQ(offsetof(dynstack_reclaim, scanned), 8U);
}

TEST(Abi, PolicyFieldOrder) {
    EXPECT_EQ(offsetof(dynstack_policy, flags), 4U);
    EXPECT_EQ(offsetof(dynstack_policy, detach), 8U);
    EXPECT_EQ(offsetof(dynstack_policy, magazine_size), 12U);
    EXPECT_EQ(offsetof(dynstack_policy, depot_low), 16U);
    EXPECT_EQ(offsetof(dynstack_policy, depot_high), 20U);
    EXPECT_EQ(offsetof(dynstack_policy, reserve_pages), 24U);
    EXPECT_EQ(offsetof(dynstack_policy, reclaim_interval_ms), 28U);
    EXPECT_EQ(offsetof(dynstack_policy, reclaim_touched), 32U);
    EXPECT_EQ(offsetof(dynstack_policy, pin_kthreads), 36U);
    EXPECT_EQ(offsetof(dynstack_task, pid), 4U);
}

TEST(Abi, CommandsAreDistinctReadWriteAndCarryTheirVer0Size) {
    struct Cmd {
        unsigned long cmd;
        unsigned size;
    };
    const Cmd all[] = {{DYNSTACK_IOC_VERSION, DYNSTACK_VERSION_SIZE_VER0},
                       {DYNSTACK_IOC_STATS, DYNSTACK_STATS_SIZE_VER0},
                       {DYNSTACK_IOC_CPU_STATS, DYNSTACK_CPU_STATS_SIZE_VER0},
                       {DYNSTACK_IOC_GET_POLICY, DYNSTACK_POLICY_SIZE_VER0},
                       {DYNSTACK_IOC_SET_POLICY, DYNSTACK_POLICY_SIZE_VER0},
                       {DYNSTACK_IOC_TASK, DYNSTACK_TASK_SIZE_VER0},
                       {DYNSTACK_IOC_RECLAIM, DYNSTACK_RECLAIM_SIZE_VER0},
                       {DYNSTACK_IOC_TUNABLE, DYNSTACK_TUNABLE_SIZE_VER0}};
    std::set<unsigned> numbers;
    for (const auto &c : all) {
        EXPECT_EQ(_IOC_TYPE(c.cmd), static_cast<unsigned>(DYNSTACK_IOC_MAGIC));
        EXPECT_EQ(_IOC_DIR(c.cmd), static_cast<unsigned>(_IOC_READ | _IOC_WRITE));
        EXPECT_EQ(_IOC_SIZE(c.cmd), c.size);
        numbers.insert(_IOC_NR(c.cmd));
    }
    EXPECT_EQ(numbers.size(), std::size(all));
}
