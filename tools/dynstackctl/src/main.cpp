// SPDX-License-Identifier: GPL-2.0
// dynstackctl: inspect and tune dynamic kernel stacks through /dev/dynstack.
#include "caps.hpp"
#include "cli.hpp"
#include "device.hpp"
#include "policy.hpp"
#include "render.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <span>
#include <sstream>
#include <thread>

namespace dynstack {
namespace {

volatile std::sig_atomic_t interrupted = 0; // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

long kernel_stack_kb() {
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("KernelStack:", 0) == 0) {
            std::istringstream fields(line.substr(12));
            long kb = -1;
            fields >> kb;
            return kb;
        }
    }
    return -1;
}

std::string comm_of(const std::filesystem::path &task_dir) {
    std::ifstream in(task_dir / "comm");
    std::string comm;
    std::getline(in, comm);
    return comm;
}

Result<std::string> status(const Device &dev, bool json) {
    auto s = dev.stats();
    if (!s.ok()) {
        return s.error();
    }
    return render_status({dev.version(), s.value(), kernel_stack_kb()}, json);
}

Result<std::string> run_read(const Options &o, const Device &dev) {
    switch (o.verb) {
    case Verb::Status:
        return status(dev, o.json);
    case Verb::Stats: {
        if (!o.per_cpu) {
            auto s = dev.stats();
            return s.ok() ? Result<std::string>(render_stats(s.value(), o.json)) : s.error();
        }
        std::vector<dynstack_cpu_stats> cpus;
        for (std::uint32_t c = 0; c < dev.version().nr_cpu_ids; c++) {
            auto cs = dev.cpu_stats(c);
            if (cs.ok()) {
                cpus.push_back(cs.value());
            }
        }
        return render_cpu_stats(cpus, o.json);
    }
    case Verb::Get: {
        for (const auto &k : o.args) {
            if (find_tunable(k) == nullptr) {
                return Error{"get: unknown tunable '" + k + "' (see dynstackctl help get)",
                             Exit::Usage};
            }
        }
        auto p = dev.policy();
        return p.ok() ? Result<std::string>(render_policy(p.value(), o.args, o.json)) : p.error();
    }
    case Verb::Task: {
        std::vector<TaskRow> rows;
        for (const auto &a : o.args) {
            auto tid = parse_u32(a, "task");
            if (!tid.ok() || tid.value() == 0 || tid.value() > 0x3fffffff) {
                return Error{"task: '" + a + "' is not a thread id", Exit::Usage};
            }
            const int id = static_cast<int>(tid.value());
            auto t = dev.task(id);
            if (!t.ok()) {
                return t.error();
            }
            rows.push_back({id, comm_of("/proc/" + a), t.value()});
        }
        return render_tasks(rows, o.json);
    }
    case Verb::Top: {
        std::vector<TaskRow> rows;
        std::error_code ec;
        for (const auto &proc : std::filesystem::directory_iterator("/proc", ec)) {
            const auto name = proc.path().filename().string();
            if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) {
                continue;
            }
            std::error_code ec2;
            for (const auto &task : std::filesystem::directory_iterator(proc.path() / "task", ec2)) {
                int tid = 0;
                const auto tname = task.path().filename().string();
                std::from_chars(tname.data(), tname.data() + tname.size(), tid);
                auto t = dev.task(tid);
                if (t.ok()) { // gone, or not ours to read: skipped
                    rows.push_back({tid, comm_of(task.path()), t.value()});
                }
            }
        }
        std::sort(rows.begin(), rows.end(), [](const TaskRow &a, const TaskRow &b) {
            return a.info.resident_pages != b.info.resident_pages
                       ? a.info.resident_pages > b.info.resident_pages
                       : a.tid < b.tid;
        });
        if (rows.size() > o.top_n) {
            rows.resize(o.top_n);
        }
        return render_tasks(rows, o.json);
    }
    default:
        return Error{"internal: not a read command", Exit::Failure};
    }
}

int fail(const Error &e) {
    std::cerr << "dynstackctl: " << e.message << "\n";
    return static_cast<int>(e.code);
}

int run(const Options &o) {
    if (o.verb == Verb::Help) {
        std::cout << (o.help_for == Verb::Help ? usage() : command_help(o.help_for));
        return 0;
    }
    if (o.drop_caps) {
        auto r = drop_all_caps();
        if (!r.ok()) {
            return fail(r.error());
        }
    }
    if (!read_only(o.verb)) {
        auto r = require_sys_admin(o.verb == Verb::Set ? "set" : "reclaim");
        if (!r.ok()) {
            return fail(r.error());
        }
    }
    auto dev = Device::open(o.device);
    if (o.verb == Verb::Version) {
        std::cout << render_version(dev.ok() ? &dev.value().version() : nullptr, o.json);
        return 0;
    }
    if (!dev.ok()) {
        return fail(dev.error());
    }
    const Device &d = dev.value();

    if (o.verb == Verb::Set) {
        auto p = d.policy();
        if (!p.ok()) {
            return fail(p.error());
        }
        dynstack_policy next = p.value();
        auto a = apply_assignments(next, o.args);
        if (!a.ok()) {
            return fail(a.error());
        }
        const auto reserve_min = (d.version().stack_pages - 1) * d.version().nr_cpu_ids;
        auto v = validate_policy(next, reserve_min);
        if (!v.ok()) {
            return fail({"set: " + v.error().message, v.error().code});
        }
        auto r = d.set_policy(next);
        if (!r.ok()) {
            return fail(r.error());
        }
        return 0;
    }
    if (o.verb == Verb::Reclaim) {
        auto r = d.reclaim(o.touched ? DYNSTACK_RECLAIM_TOUCHED : 0);
        if (!r.ok()) {
            return fail(r.error());
        }
        std::cout << render_reclaim(r.value(), o.json);
        return 0;
    }
    if (o.verb == Verb::Watch) {
        std::signal(SIGINT, [](int) { interrupted = 1; });
        for (int i = 0; (o.count < 0 || i < o.count) && interrupted == 0; i++) {
            if (i > 0) {
                std::this_thread::sleep_for(std::chrono::seconds(o.interval_s));
            }
            auto s = status(d, o.json);
            if (!s.ok()) {
                return fail(s.error());
            }
            std::cout << s.value() << (o.json ? "" : "\n") << std::flush;
        }
        return 0;
    }
    auto out = run_read(o, d);
    if (!out.ok()) {
        return fail(out.error());
    }
    std::cout << out.value();
    return 0;
}

} // namespace
} // namespace dynstack

int main(int argc, char **argv) {
    const std::span<char *> argspan(argv, static_cast<std::size_t>(argc));
    const std::vector<std::string> args(argspan.begin() + 1, argspan.end());
    auto o = dynstack::parse_args(args);
    if (!o.ok()) {
        std::cerr << "dynstackctl: " << o.error().message << "\n";
        return static_cast<int>(o.error().code);
    }
    return dynstack::run(o.value());
}
