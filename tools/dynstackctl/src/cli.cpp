// SPDX-License-Identifier: GPL-2.0
#include "cli.hpp"

#include "policy.hpp"

#include <array>
#include <utility>

namespace dynstack {

namespace {

struct Command {
    std::string_view name;
    Verb verb;
    std::string_view synopsis;
    std::string_view brief;
    std::string_view help;
};

constexpr std::array<Command, 13> kCommands = {{
    {"status", Verb::Status, "status",
     "savings, resident and virtual stack memory, supply, failures",
     "One screen: stacks, resident against virtual stack memory and the savings, the page\n"
     "supply levels, and every failure counter."},
    {"stats", Verb::Stats, "stats [--per-cpu]", "every counter, in total or per CPU",
     "Every counter of the core and of dynstack.ko; --per-cpu: the supply counters of each\n"
     "CPU."},
    {"get", Verb::Get, "get [KEY...]", "the tunables and their ranges",
     "The tunables (all, or the KEYs given), with their ranges."},
    {"set", Verb::Set, "set KEY=VALUE...", "change tunables, all or none (CAP_SYS_ADMIN)",
     "Change tunables. Each value is checked against the module's own range, then only the\n"
     "fields named are sent: the module changes all of them or none, in one step, and leaves\n"
     "every other tunable as it is. Needs CAP_SYS_ADMIN."},
    {"task", Verb::Task, "task TID...", "stack residency of threads",
     "Stack residency of threads, in pages of the page size: resident now, in use at the\n"
     "last switch-out and the high-water mark of that. Other users' threads need ptrace\n"
     "read access; a thread that cannot be read is reported and the others are shown\n"
     "(exit 1)."},
    {"top", Verb::Top, "top [-n N] [-s KEY] [-d SECS]",
     "threads with the most resident stack pages",
     "The N threads (default 20) with the most resident stack pages (-s resident, the\n"
     "default), or with the deepest stack use (-s max_used); -d: again every SECS until\n"
     "interrupted."},
    {"pin", Verb::Pin, "pin TID...", "threads keep full stacks (CAP_SYS_ADMIN)",
     "Pin threads: each gets its stack pages back at its next switch-in and never loses\n"
     "them again. The pin is on the thread, not on the number: a new thread that later gets\n"
     "the same id is not pinned. Thread ids are those of this pid namespace. Needs\n"
     "CAP_SYS_ADMIN."},
    {"unpin", Verb::Unpin, "unpin TID...|--all",
     "threads give stack pages back again (CAP_SYS_ADMIN)",
     "Unpin threads, or with --all every pinned thread (also those this pid namespace cannot\n"
     "see). A thread that is not pinned is an error (exit 1). Needs CAP_SYS_ADMIN."},
    {"pins", Verb::Pins, "pins", "the pinned threads and their stacks",
     "The pinned threads this pid namespace can see, with their stack residency as in task."},
    {"reclaim", Verb::Reclaim, "reclaim [--touched]", "one reclaim pass now (CAP_SYS_ADMIN)",
     "Run one reclaim pass now over sleeping tasks; --touched also takes touched pages below\n"
     "their stack pointer (costs one TLB flush). Needs CAP_SYS_ADMIN."},
    {"watch", Verb::Watch, "watch [-i SECONDS] [-n COUNT]", "status, repeated",
     "status, again every SECONDS (default 2), COUNT times or until interrupted."},
    {"metrics", Verb::Metrics, "metrics",
     "every counter in the Prometheus text format (node_exporter textfile)",
     "Every global counter and gauge in the Prometheus text exposition format, for\n"
     "node_exporter's textfile collector: write it to a .prom file from cron or a timer."},
    {"version", Verb::Version, "version", "versions of the tool and the module",
     "The version of dynstackctl and the ABI and features of the module, also when the\n"
     "module speaks another ABI version (tools and modules agree by feature bits)."},
}};

const Command *find_command(std::string_view name) {
    for (const auto &c : kCommands) {
        if (c.name == name) {
            return &c;
        }
    }
    return nullptr;
}

Result<unsigned> number_arg(const std::vector<std::string> &argv, std::size_t &i,
                            std::string_view opt, unsigned min, unsigned max) {
    if (i + 1 >= argv.size()) {
        return Error{std::string(opt) + " needs a number", Exit::Usage};
    }
    auto v = parse_u32(argv[++i], opt);
    if (!v.ok()) {
        return v.error();
    }
    if (v.value() < min || v.value() > max) {
        return Error{std::string(opt) + " must be between " + std::to_string(min) + " and " +
                         std::to_string(max),
                     Exit::Usage};
    }
    return v.value();
}

} // namespace

std::string usage() {
    std::string s = "usage: dynstackctl [-j|--json] [-p|--pretty] [--drop-caps] [--device PATH] "
                    "COMMAND [ARGS]\n\n"
                    "Inspect and tune dynamic kernel stacks (dynstack.ko).\n\ncommands:\n";
    for (const auto &c : kCommands) {
        s += "  " + std::string(c.synopsis);
        s += std::string(c.synopsis.size() < 30 ? 30 - c.synopsis.size() : 1, ' ');
        s += std::string(c.brief) + "\n";
    }
    s += "  help [COMMAND]                this text, or one command's\n\n"
         "options:\n"
         "  -j, --json     machine-readable output (every read command; fields in docs/usage.md);\n"
         "                 errors too, as {\"error\": ..., \"exit_code\": N}\n"
         "  -p, --pretty   indented JSON (implies --json)\n"
         "  --version      the version of dynstackctl\n"
         "  --drop-caps    drop every capability first (read-only commands)\n"
         "  --device PATH, --device=PATH  the device (default /dev/dynstack)\n\n"
         "exit status: 0 ok, 1 the module or an ioctl failed, 2 bad command line or value,\n"
         "3 missing capability or permission, 4 dynstack.ko not loaded or too old\n";
    return s;
}

std::string command_help(Verb verb) {
    for (const auto &c : kCommands) {
        if (c.verb == verb) {
            std::string s = "usage: dynstackctl [--json] " + std::string(c.synopsis) + "\n\n" +
                            std::string(c.help) + "\n";
            if (verb == Verb::Get || verb == Verb::Set) {
                s += "\nkeys: the module's tunables, one per file in /sys/kernel/mm/dynstack/;\n"
                     "`dynstackctl get` lists them with their values, ranges and rules.\n";
            }
            return s;
        }
    }
    return usage();
}

bool read_only(Verb verb) {
    return verb != Verb::Set && verb != Verb::Reclaim && verb != Verb::Pin && verb != Verb::Unpin;
}

std::vector<std::string_view> command_names() {
    std::vector<std::string_view> names;
    names.reserve(kCommands.size());
    for (const auto &c : kCommands) {
        names.push_back(c.name);
    }
    return names;
}

std::string_view command_name(Verb verb) {
    for (const auto &c : kCommands) {
        if (c.verb == verb) {
            return c.name;
        }
    }
    return "dynstackctl";
}

namespace {

// top -s KEY at @i.
Result<TopSort> sort_arg(const std::vector<std::string> &argv, std::size_t &i) {
    const std::string by = i + 1 < argv.size() ? argv[++i] : "";
    if (by == "resident") {
        return TopSort::Resident;
    }
    if (by == "max_used") {
        return TopSort::MaxUsed;
    }
    return Error{"-s needs resident or max_used", Exit::Usage};
}

// top's -s and -d, watch's -i, and -n of both, at @i: whether it was one.
Result<bool> repeat_arg(Options &o, const std::vector<std::string> &argv, std::size_t &i) {
    const std::string &a = argv[i];
    const bool top = o.verb == Verb::Top;
    const bool watch = o.verb == Verb::Watch;
    if ((a == "-i" && watch) || (a == "-d" && top)) {
        auto v = number_arg(argv, i, a, 1, 3600);
        if (!v.ok()) {
            return v.error();
        }
        (watch ? o.interval_s : o.top_delay_s) = v.value();
    } else if (a == "-s" && top) {
        auto by = sort_arg(argv, i);
        if (!by.ok()) {
            return by.error();
        }
        o.top_sort = by.value();
    } else if (a == "-n" && (watch || top)) {
        auto v = number_arg(argv, i, "-n", 1, 1000000);
        if (!v.ok()) {
            return v.error();
        }
        if (watch) {
            o.count = static_cast<int>(v.value());
        } else {
            o.top_n = v.value();
        }
    } else {
        return false;
    }
    return true;
}

bool takes_tids(Verb verb) {
    return verb == Verb::Task || verb == Verb::Pin || verb == Verb::Unpin;
}

// An argument after the command: its own options and operands.
Result<Unit> command_arg(Options &o, const std::vector<std::string> &argv, std::size_t &i) {
    const std::string &a = argv[i];
    auto repeat = repeat_arg(o, argv, i);
    if (!repeat.ok()) {
        return repeat.error();
    }
    if (repeat.value()) {
        return Unit{};
    }
    if (a == "--per-cpu" && o.verb == Verb::Stats) {
        o.per_cpu = true;
    } else if (a == "--touched" && o.verb == Verb::Reclaim) {
        o.touched = true;
    } else if (a == "--all" && o.verb == Verb::Unpin) {
        o.all = true;
    } else if (a.rfind('-', 0) == 0 && a.size() > 1) {
        return Error{"unknown option '" + a + "' for this command (see dynstackctl help)",
                     Exit::Usage};
    } else if (o.verb == Verb::Get || o.verb == Verb::Set || takes_tids(o.verb)) {
        o.args.push_back(a);
    } else {
        return Error{"unexpected argument '" + a + "' (see dynstackctl help)", Exit::Usage};
    }
    return Unit{};
}

// An option valid anywhere (-j, -p, --drop-caps, --device) at @i: whether
// it was one.
Result<bool> global_arg(Options &o, const std::vector<std::string> &argv, std::size_t &i) {
    const std::string &a = argv[i];
    if (a == "--json" || a == "-j") {
        o.json = true;
    } else if (a == "--pretty" || a == "-p") {
        o.json = true;
        o.pretty = true;
    } else if (a == "--drop-caps") {
        o.drop_caps = true;
    } else if (a == "--device" || a.rfind("--device=", 0) == 0) {
        if (a == "--device") {
            o.device = i + 1 < argv.size() ? argv[++i] : "";
        } else {
            o.device = a.substr(std::string_view("--device=").size());
        }
        if (o.device.empty()) {
            return Error{"--device needs a path", Exit::Usage};
        }
    } else {
        return false;
    }
    return true;
}

// "help [COMMAND]" at @i.
Result<Options> help_arg(Options o, const std::vector<std::string> &argv, std::size_t i) {
    o.verb = Verb::Help;
    if (i + 1 < argv.size()) {
        const Command *c = find_command(argv[i + 1]);
        if (c == nullptr) {
            return Error{"help: unknown command '" + argv[i + 1] + "'", Exit::Usage};
        }
        o.help_for = c->verb;
    }
    return o;
}

// The thread ids of task, pin and unpin (unpin --all takes none).
Result<Unit> check_tids(const Options &o) {
    if (!takes_tids(o.verb)) {
        return Unit{};
    }
    const std::string name(command_name(o.verb));
    if (o.all && !o.args.empty()) {
        return Error{"unpin: give thread ids or --all, not both", Exit::Usage};
    }
    if (!o.all && o.args.empty()) {
        return Error{name + ": give at least one thread id" +
                         (o.verb == Verb::Unpin ? " or --all" : ""),
                     Exit::Usage};
    }
    for (const auto &a : o.args) {
        auto tid = parse_u32(a, name);
        if (!tid.ok() || tid.value() == 0 || tid.value() > kMaxTid) {
            std::string msg = name;
            msg += ": '" + a + "' is not a thread id";
            return Error{msg, Exit::Usage};
        }
    }
    return Unit{};
}

Result<Options> check_complete(const Options &o) {
    if (o.verb == Verb::Set && o.args.empty()) {
        return Error{"set: nothing to set; give KEY=VALUE (see dynstackctl help set)", Exit::Usage};
    }
    if (o.verb == Verb::Set) {
        // KEY=VALUE syntax now, before the device is opened: a usage error
        // is one whatever the module says. Names and ranges are the module's.
        auto as = parse_assignments(o.args);
        if (!as.ok()) {
            return as.error();
        }
    }
    auto tids = check_tids(o);
    if (!tids.ok()) {
        return tids.error();
    }
    if (o.drop_caps && !read_only(o.verb)) {
        return Error{"--drop-caps is for read-only commands; this one needs CAP_SYS_ADMIN",
                     Exit::Usage};
    }
    return o;
}

} // namespace

Result<Options> parse_args(const std::vector<std::string> &argv) {
    Options o;
    bool have_verb = false;
    for (std::size_t i = 0; i < argv.size(); i++) {
        const std::string &a = argv[i];
        auto global = global_arg(o, argv, i);
        if (!global.ok()) {
            return global.error();
        }
        if (global.value()) {
            continue;
        }
        if (a == "-h" || a == "--help") {
            o.help_for = have_verb ? o.verb : Verb::Help;
            o.verb = Verb::Help;
            return o;
        }
        if (a == "--version") {
            o.verb = Verb::ToolVersion;
            return o;
        }
        if (have_verb) {
            auto r = command_arg(o, argv, i);
            if (!r.ok()) {
                return r.error();
            }
        } else if (a == "help") {
            return help_arg(o, argv, i);
        } else if (const Command *c = find_command(a); c != nullptr) {
            o.verb = c->verb;
            have_verb = true;
        } else {
            return Error{(a.rfind('-', 0) == 0 ? "unknown option '" : "unknown command '") + a +
                             "' (see dynstackctl --help)",
                         Exit::Usage};
        }
    }
    if (!have_verb) {
        return Error{"no command given (see dynstackctl --help)", Exit::Usage};
    }
    return check_complete(o);
}

} // namespace dynstack
