// SPDX-License-Identifier: GPL-2.0
// dynstackctl: inspect and tune dynamic kernel stacks.
#include "cli.hpp"
#include "sysinfo.hpp"

#include <linux/dynstack.h>

#include <iostream>
#include <span>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    std::span<char *> argspan(argv, static_cast<std::size_t>(argc));
    std::vector<std::string> args(argspan.begin() + 1, argspan.end());
    auto cmd = dynstack::parse_args(args);
    if (!cmd.ok()) {
        std::cerr << "dynstackctl: " << cmd.error() << "\n";
        return 2;
    }
    switch (cmd.value().verb) {
    case dynstack::Verb::Help:
        std::cout << dynstack::usage();
        return 0;
    case dynstack::Verb::Version:
        std::cout << "dynstackctl (ABI " << DYNSTACK_ABI_VERSION << ")\n";
        return 0;
    case dynstack::Verb::Status: {
        auto st = dynstack::read_status();
        if (!st.ok()) {
            std::cerr << "dynstackctl: " << st.error() << "\n";
            return 1;
        }
        std::cout << dynstack::render_status(st.value(), cmd.value().json);
        return 0;
    }
    }
    return 1;
}
