// SPDX-License-Identifier: GPL-2.0
#include "sysinfo.hpp"

#include <gtest/gtest.h>

using dynstack::meminfo_field;

static const char *const kMeminfo = "MemTotal:        2014284 kB\n"
                                    "KernelStackX:      999 kB\n"
                                    "KernelStack:       1648 kB\n"
                                    "PageTables:         300 kB\n";

TEST(Meminfo, FindsExactField) {
    auto kb = meminfo_field(kMeminfo, "KernelStack");
    ASSERT_TRUE(kb.ok()) << kb.error();
    EXPECT_EQ(kb.value(), 1648);
}

TEST(Meminfo, PrefixIsNotAMatch) {
    EXPECT_FALSE(meminfo_field(kMeminfo, "Kernel").ok());
}

TEST(Meminfo, MissingFieldNamed) {
    auto kb = meminfo_field(kMeminfo, "Nope");
    ASSERT_FALSE(kb.ok());
    EXPECT_NE(kb.error().find("Nope"), std::string::npos);
}

TEST(Meminfo, GarbageValueRejected) {
    EXPECT_FALSE(meminfo_field("KernelStack: lots kB\n", "KernelStack").ok());
}

TEST(Status, JsonIsStable) {
    dynstack::Status st{true, 4096, 0};
    EXPECT_EQ(dynstack::render_status(st, true),
              R"({"module_loaded":true,"kernel_stack_kb":4096,"abi_version":0})"
              "\n");
}
