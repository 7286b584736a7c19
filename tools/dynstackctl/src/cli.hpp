// SPDX-License-Identifier: GPL-2.0
// dynstackctl's command line.
#pragma once

#include "result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dynstack {

enum class Verb {
    Help,
    Version,
    ToolVersion,
    Status,
    Stats,
    Get,
    Set,
    Task,
    Top,
    Reclaim,
    Watch,
    Metrics,
    Pin,
    Unpin,
    Pins
};

// What top sorts by.
enum class TopSort { Resident, MaxUsed };

struct Options {
    Verb verb = Verb::Help;
    Verb help_for = Verb::Help; // with Verb::Help: the command asked about
    bool json = false;
    bool pretty = false; // -p/--pretty: indented JSON (implies --json)
    bool drop_caps = false;
    bool per_cpu = false;
    bool touched = false;
    bool all = false; // unpin --all
    std::string device = "/dev/dynstack";
    std::vector<std::string> args; // keys for get, KEY=VALUE for set, TIDs for task/pin/unpin
    unsigned interval_s = 2;       // watch -i
    int count = -1;                // watch -n; -1 = until interrupted
    unsigned top_n = 20;           // top -n
    unsigned top_delay_s = 0;      // top -d; 0 = once
    TopSort top_sort = TopSort::Resident; // top -s
};

// The largest thread id (PID_MAX_LIMIT).
inline constexpr std::uint32_t kMaxTid = 0x3fffffff;

// The command line, with every argument checked that can be without the
// module (exit 2 before the device is opened).
Result<Options> parse_args(const std::vector<std::string> &argv);

// The general help, or the help of one command.
std::string usage();
std::string command_help(Verb verb);

// Whether the command only reads (so --drop-caps may be used with it).
bool read_only(Verb verb);

// The command's name, as typed.
std::string_view command_name(Verb verb);

// Every command's name, in the order of the help text.
std::vector<std::string_view> command_names();

} // namespace dynstack
