// SPDX-License-Identifier: GPL-2.0
#include "metrics.hpp"
#include "sample_status.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

using namespace dynstack;

namespace {

StatusData sample() {
    StatusData d = sample_status();
    d.stats.wait_us = 1500000;
    d.stats.residency[1] = 100;
    return d;
}

// What breaks the text format: a sample whose family has no TYPE line
// just before, a counter not named _total, an empty line. "" if none.
std::string format_problems(const std::string &out) {
    std::istringstream lines(out);
    std::string line;
    std::string family; // the # TYPE seen last
    std::string problems;
    while (std::getline(lines, line)) {
        if (line.rfind("# HELP dynstack_", 0) == 0) {
            continue;
        }
        if (line.rfind("# TYPE dynstack_", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
            const auto type = line.substr(line.rfind(' ') + 1);
            if ((type != "gauge" && type != "counter") ||
                (type == "counter") != family.ends_with("_total")) {
                problems += "bad TYPE: " + line + "\n";
            }
        } else if (family.empty() || line.rfind(family, 0) != 0 ||
                   line.find(' ') == std::string::npos) {
            problems += "stray sample: " + line + "\n";
        }
    }
    return problems;
}

} // namespace

// The text exposition format: every sample preceded by its HELP and TYPE,
// names with the dynstack_ prefix and base units, counters ending _total.
TEST(Metrics, PrometheusTextFormat) {
    const auto out = render_metrics(sample());
    EXPECT_NE(out.find("# TYPE dynstack_resident_bytes gauge\ndynstack_resident_bytes 409600\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("dynstack_saved_ratio 0.75\n"), std::string::npos) << out;
    EXPECT_NE(out.find("dynstack_wait_seconds_total 1.5\n"), std::string::npos) << out;
    EXPECT_NE(out.find("dynstack_stacks_by_resident_pages{pages=\"1\"} 100\n"), std::string::npos);
    EXPECT_NE(out.find("dynstack_stacks_by_resident_pages{pages=\"4\"} 0\n"), std::string::npos);
    EXPECT_EQ(out.find("pages=\"5\""), std::string::npos);
    EXPECT_NE(out.find("dynstack_meminfo_kernel_stack_bytes 409600\n"), std::string::npos);

    EXPECT_EQ(format_problems(out), "");
}
