// SPDX-License-Identifier: GPL-2.0
// dynstackctl: inspect and tune dynamic kernel stacks through /dev/dynstack.
#include "caps.hpp"
#include "cli.hpp"
#include "device.hpp"
#include "json.hpp"
#include "metrics.hpp"
#include "policy.hpp"
#include "render.hpp"
#include "stop.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <span>
#include <sstream>

namespace dynstack {
namespace {

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

Result<StatusData> status_data(const Device &dev) {
    auto s = dev.stats();
    if (!s.ok()) {
        return s.error();
    }
    return StatusData{dev.version(), s.value(), kernel_stack_kb()};
}

Result<std::string> status(const Device &dev, bool json) {
    auto d = status_data(dev);
    if (!d.ok()) {
        return d.error();
    }
    return render_status(d.value(), json);
}

Result<std::string> cmd_metrics(const Device &dev) {
    auto d = status_data(dev);
    if (!d.ok()) {
        return d.error();
    }
    return render_metrics(d.value());
}

Result<std::string> cmd_stats(const Options &o, const Device &dev) {
    if (!o.per_cpu) {
        auto s = dev.stats();
        if (!s.ok()) {
            return s.error();
        }
        return render_stats(s.value(), o.json);
    }
    std::vector<dynstack_cpu_stats> cpus;
    for (std::uint32_t c = 0; c < dev.version().nr_cpu_ids; c++) {
        auto cs = dev.cpu_stats(c);
        if (cs.ok()) { // CPUs that are not possible are skipped
            cpus.push_back(cs.value());
        }
    }
    return render_cpu_stats(dev.version(), cpus, o.json);
}

// The module's table of tunables, with a message if it is too old to have one.
Result<Tunables> module_tunables(const Device &dev, const std::string &what) {
    auto need = dev.require(DYNSTACK_FEAT_TUNABLE_INFO | DYNSTACK_FEAT_POLICY_MASK, what);
    if (!need.ok()) {
        return need.error();
    }
    return dev.tunables();
}

Result<std::string> cmd_get(const Options &o, const Device &dev) {
    auto all = module_tunables(dev, "get");
    if (!all.ok()) {
        return all.error();
    }
    for (const auto &k : o.args) {
        if (find_tunable(all.value(), k) == nullptr) {
            return Error{"get: dynstack.ko has no tunable '" + k + "' (see dynstackctl get)",
                         Exit::Usage};
        }
    }
    auto p = dev.policy();
    if (!p.ok()) {
        return p.error();
    }
    return render_policy(all.value(), p.value(), o.args, o.json);
}

// A row per thread id; one that cannot be read is a row with its error.
std::vector<TaskRow> task_rows(const Device &dev, const std::vector<int> &tids) {
    std::vector<TaskRow> rows;
    for (const int id : tids) {
        auto t = dev.task(id);
        if (!t.ok()) {
            rows.push_back({id, "", {}, t.error().message, t.error().sys_errno});
            continue;
        }
        rows.push_back({id, comm_of("/proc/" + std::to_string(id)), t.value(), ""});
    }
    return rows;
}

// The thread ids of task, pin and unpin: checked by parse_args().
std::vector<int> tid_args(const Options &o) {
    std::vector<int> tids;
    for (const auto &a : o.args) {
        tids.push_back(static_cast<int>(parse_u32(a, "tid").value()));
    }
    return tids;
}

// Rows that failed are reported (on stderr, or in the JSON), the others
// shown, and the command fails (exit 1).
Result<std::string> show_tasks(const Options &o, const Device &dev,
                               const std::vector<TaskRow> &rows) {
    std::string out = render_tasks(dev.version(), rows, o.json);
    int failed = 0;
    for (const auto &r : rows) {
        if (!r.error.empty()) {
            failed++;
            if (!o.json) {
                std::cerr << "dynstackctl: " << r.error << "\n";
            }
        }
    }
    if (failed == 0) {
        return out;
    }
    std::cout << (o.pretty ? json_pretty(out) : out);
    return Error{"", Exit::Failure}; // already reported, row by row
}

Result<std::string> cmd_task(const Options &o, const Device &dev) {
    return show_tasks(o, dev, task_rows(dev, tid_args(o)));
}

// pin and unpin.
Result<std::string> cmd_pin(const Options &o, const Device &dev) {
    const bool unpin = o.verb == Verb::Unpin;
    if (o.all) {
        auto r = dev.pin(0, DYNSTACK_PIN_UNPIN | DYNSTACK_PIN_ALL);
        return r.ok() ? Result<std::string>(std::string()) : Result<std::string>(r.error());
    }
    // Every thread is tried. Each failure is reported as it happens (with
    // --json, the first one, as the error object); the first decides the
    // exit code.
    std::optional<Error> first;
    for (const int tid : tid_args(o)) {
        auto r = dev.pin(tid, unpin ? DYNSTACK_PIN_UNPIN : 0);
        if (r.ok()) {
            continue;
        }
        if (!o.json) {
            std::cerr << "dynstackctl: " << r.error().message << "\n";
        }
        if (!first) {
            first = r.error();
        }
    }
    if (first) {
        return o.json ? *first : Error{"", first->code}; // text: already reported
    }
    return std::string();
}

// A thread that exited since the list was read is left out, and so is one
// whose id was reused meanwhile (not pinned); one we may not read is
// reported as task reports it.
Result<std::string> cmd_pins(const Options &o, const Device &dev) {
    auto tids = dev.pins();
    if (!tids.ok()) {
        return tids.error();
    }
    auto rows = task_rows(dev, tids.value());
    std::erase_if(rows, [](const TaskRow &r) {
        return r.error.empty() ? (r.info.attrs & DYNSTACK_TASK_PINNED) == 0 : r.sys_errno == ESRCH;
    });
    return show_tasks(o, dev, rows);
}

// Every thread of every process that we may read.
std::vector<TaskRow> all_tasks(const Device &dev) {
    std::vector<TaskRow> rows;
    std::error_code ec;
    for (const auto &proc : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = proc.path().filename().string();
        if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) == 0) {
            continue;
        }
        std::error_code ec2;
        for (const auto &task : std::filesystem::directory_iterator(proc.path() / "task", ec2)) {
            int tid = 0;
            const auto tname = task.path().filename().string();
            std::from_chars(tname.data(), tname.data() + tname.size(), tid);
            auto t = dev.task(tid);
            if (t.ok()) { // gone, or not ours to read: skipped
                rows.push_back({tid, comm_of(task.path()), t.value(), ""});
            }
        }
    }
    return rows;
}

std::string top_once(const Options &o, const Device &dev) {
    auto rows = all_tasks(dev);
    const auto key = [&o](const TaskRow &r) {
        return o.top_sort == TopSort::Resident ? r.info.resident_pages : r.info.max_used_pages;
    };
    std::sort(rows.begin(), rows.end(), [&key](const TaskRow &a, const TaskRow &b) {
        return key(a) != key(b) ? key(a) > key(b) : a.tid < b.tid;
    });
    if (rows.size() > o.top_n) {
        rows.resize(o.top_n);
    }
    return render_tasks(dev.version(), rows, o.json);
}

// top -d: a new list every interval until SIGINT or SIGTERM (run()).
Result<std::string> cmd_top(const Options &o, const Device &dev) {
    if (o.top_delay_s == 0) {
        return top_once(o, dev);
    }
    catch_stop_signals();
    do {
        std::cout << top_once(o, dev) << (o.json ? "" : "\n") << std::flush;
    } while (sleep_unless_stopped(std::chrono::seconds(o.top_delay_s)));
    return std::string();
}

// Only the fields named change (DYNSTACK_POLICY_SET_MASK), in one step in
// the module: no read-modify-write here that another tool could race.
Result<std::string> cmd_set(const Options &o, const Device &dev) {
    auto as = parse_assignments(o.args);
    if (!as.ok()) {
        return as.error();
    }
    auto all = module_tunables(dev, "set");
    if (!all.ok()) {
        return all.error();
    }
    auto update = make_update(all.value(), as.value());
    if (!update.ok()) {
        return update.error();
    }
    auto r = dev.set_policy(update.value());
    if (!r.ok()) {
        if (update.value().error_field >= 0) {
            return Error{explain_refusal(all.value(), update.value()), Exit::Usage};
        }
        return r.error();
    }
    return std::string();
}

Result<std::string> cmd_reclaim(const Options &o, const Device &dev) {
    auto r = dev.reclaim(o.touched ? DYNSTACK_RECLAIM_TOUCHED : 0);
    if (!r.ok()) {
        return r.error();
    }
    return render_reclaim(r.value(), o.json);
}

// One sample per interval, the device opened only for each sample (an open
// file would keep `rmmod dynstack` waiting), until the count is reached or
// SIGINT or SIGTERM arrives: then within kStopPoll, with exit code 128 + the
// signal's number (run()).
Result<std::string> cmd_watch(const Options &o) {
    catch_stop_signals();
    for (int i = 0; o.count < 0 || i < o.count; i++) {
        if (i > 0 && !sleep_unless_stopped(std::chrono::seconds(o.interval_s))) {
            break;
        }
        auto dev = Device::open(o.device);
        if (!dev.ok()) {
            return dev.error();
        }
        auto s = status(dev.value(), o.json);
        if (!s.ok()) {
            return s.error();
        }
        std::cout << s.value() << (o.json ? "" : "\n") << std::flush;
    }
    return std::string();
}

Result<std::string> dispatch(const Options &o, const Device &dev) {
    switch (o.verb) {
    case Verb::Status:
        return status(dev, o.json);
    case Verb::Stats:
        return cmd_stats(o, dev);
    case Verb::Get:
        return cmd_get(o, dev);
    case Verb::Set:
        return cmd_set(o, dev);
    case Verb::Task:
        return cmd_task(o, dev);
    case Verb::Top:
        return cmd_top(o, dev);
    case Verb::Reclaim:
        return cmd_reclaim(o, dev);
    case Verb::Metrics:
        return cmd_metrics(dev);
    case Verb::Pin:
    case Verb::Unpin:
        return cmd_pin(o, dev);
    case Verb::Pins:
        return cmd_pins(o, dev);
    default:
        return Error{"internal: unexpected command", Exit::Failure};
    }
}

// Output as asked: JSON indented with --pretty.
void emit(const Options &o, const std::string &out) {
    std::cout << (o.pretty ? json_pretty(out) : out);
}

// An error: on stderr, or with --json as a JSON object on stdout (as
// bpftool does), so that a script parsing the output sees it.
int fail(const Options &o, const Error &e) {
    if (!e.message.empty()) {
        if (o.json) {
            Json j;
            j.begin_object();
            j.field("error", std::string_view(e.message));
            j.field("exit_code", static_cast<int>(e.code));
            j.end_object();
            emit(o, j.str());
        } else {
            std::cerr << "dynstackctl: " << e.message << "\n";
        }
    }
    return static_cast<int>(e.code);
}

// --drop-caps, and CAP_SYS_ADMIN for a command that writes.
Result<Unit> check_caps(const Options &o) {
    if (o.drop_caps) {
        auto r = drop_all_caps();
        if (!r.ok()) {
            return r.error();
        }
    }
    if (!read_only(o.verb)) {
        const std::string name(command_name(o.verb));
        return require_sys_admin(name.c_str());
    }
    return Unit{};
}

int run(const Options &o) {
    if (o.verb == Verb::Help) {
        std::cout << (o.help_for == Verb::Help ? usage() : command_help(o.help_for));
        return 0;
    }
    if (o.verb == Verb::ToolVersion) {
        std::cout << "dynstackctl " DYNSTACKCTL_VERSION " (ABI " << DYNSTACK_ABI_VERSION << ")\n";
        return 0;
    }
    auto caps = check_caps(o);
    if (!caps.ok()) {
        return fail(o, caps.error());
    }
    if (o.verb == Verb::Watch) {
        auto out = cmd_watch(o);
        if (!out.ok()) {
            return fail(o, out.error());
        }
        const int sig = stop_signal();
        return sig != 0 ? 128 + sig : 0;
    }
    auto dev = Device::open(o.device);
    if (o.verb == Verb::Version) {
        if (!dev.ok() && dev.error().code != Exit::NoModule) {
            return fail(o, dev.error());
        }
        emit(o, render_version(dev.ok() ? &dev.value().version() : nullptr, o.json));
        return 0;
    }
    if (!dev.ok()) {
        return fail(o, dev.error());
    }
    auto out = dispatch(o, dev.value());
    if (!out.ok()) {
        return fail(o, out.error());
    }
    emit(o, out.value());
    const int sig = stop_signal();
    return sig != 0 ? 128 + sig : 0;
}

} // namespace
} // namespace dynstack

int main(int argc, char **argv) {
    try {
        const std::span<char *> argspan(argv, static_cast<std::size_t>(argc));
        const std::vector<std::string> args(argspan.begin() + 1, argspan.end());
        auto o = dynstack::parse_args(args);
        if (!o.ok()) {
            std::cerr << "dynstackctl: " << o.error().message << "\n";
            return static_cast<int>(o.error().code);
        }
        return dynstack::run(o.value());
    } catch (const std::exception &e) {
        std::cerr << "dynstackctl: " << e.what() << "\n";
        return static_cast<int>(dynstack::Exit::Failure);
    }
}
