// SPDX-License-Identifier: GPL-2.0
// The status data the render and metrics tests share: 100 stacks of 4
// pages holding 100 pages (75% saved), 400 kB of KernelStack.
#pragma once

#include "render.hpp"

inline dynstack::StatusData sample_status() {
    dynstack::StatusData d;
    d.version.abi_version = DYNSTACK_ABI_VERSION;
    d.version.page_size = 4096;
    d.version.stack_pages = 4;
    d.version.nr_cpu_ids = 2;
    d.stats.stacks = 100;
    d.stats.partial_stacks = 90;
    d.stats.resident_pages = 100;
    d.stats.reserve_pages = 12;
    d.stats.nopage = 1;
    d.kernel_stack_kb = 400;
    return d;
}
