// SPDX-License-Identifier: GPL-2.0
#include "cli.hpp"

namespace dynstack {

std::string usage() {
    return "usage: dynstackctl [--json] COMMAND\n"
           "\n"
           "commands:\n"
           "  status     kernel-stack memory and whether dynstack.ko is loaded\n"
           "  version    print the tool and ABI version\n"
           "  help       this text\n"
           "\n"
           "options:\n"
           "  --json     machine-readable output\n"
           "\n"
           "exit status: 0 success, 1 runtime error, 2 usage error\n";
}

Result<Command> parse_args(const std::vector<std::string> &args) {
    Command cmd;
    bool have_verb = false;
    for (const auto &arg : args) {
        if (arg == "--json") {
            cmd.json = true;
        } else if (arg == "-h" || arg == "--help" || arg == "help") {
            cmd.verb = Verb::Help;
            return cmd;
        } else if (arg == "--version" || arg == "version") {
            cmd.verb = Verb::Version;
            have_verb = true;
        } else if (arg == "status") {
            cmd.verb = Verb::Status;
            have_verb = true;
        } else if (!arg.empty() && arg[0] == '-') {
            return Error{"unknown option '" + arg + "' (see dynstackctl --help)"};
        } else {
            return Error{"unknown command '" + arg + "' (see dynstackctl --help)"};
        }
    }
    if (!have_verb) {
        return Error{"no command given (see dynstackctl --help)"};
    }
    return cmd;
}

} // namespace dynstack
