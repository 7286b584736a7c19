// SPDX-License-Identifier: GPL-2.0
// Human tables and JSON for every read command. Pure functions of the data,
// so they are unit-tested without a device. Units: an amount of memory is in
// kB for people (the line or the column says so) and in pages in JSON
// (fields named *_pages, with page_size in status), so that scripts never
// guess; counts of events carry no unit.
#pragma once

#include "policy.hpp"

#include <linux/dynstack.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dynstack {

struct StatusData {
    dynstack_version version{};
    dynstack_stats stats{};
    long kernel_stack_kb = -1; // /proc/meminfo, -1 if unknown
};

struct TaskRow {
    int tid = 0;
    std::string comm;
    dynstack_task info{};
    std::string error; // why the thread could not be read; empty if it was
    int sys_errno = 0; // the errno behind @error
};

// Percent of virtual stack memory that is not resident.
double saved_percent(const dynstack_version &v, const dynstack_stats &s);

std::string render_status(const StatusData &d, bool json);
std::string render_stats(const dynstack_stats &s, bool json);
std::string render_cpu_stats(const dynstack_version &v, const std::vector<dynstack_cpu_stats> &cpus,
                             bool json);
// The tunables in @all (the module's table) named in @keys (all if empty),
// with their values in @p.
std::string render_policy(const Tunables &all, const dynstack_policy &p,
                          const std::vector<std::string> &keys, bool json);
// Threads: memory in kB for people, in pages in JSON; whether each is
// pinned if the module says (DYNSTACK_FEAT_PIN in @v).
std::string render_tasks(const dynstack_version &v, const std::vector<TaskRow> &rows, bool json);
std::string render_reclaim(const dynstack_reclaim &r, bool json);
std::string render_version(const dynstack_version *module, bool json);

} // namespace dynstack
