// SPDX-License-Identifier: GPL-2.0
// dynstackctl metrics: the global statistics in the Prometheus text
// exposition format, for node_exporter's textfile collector.
#pragma once

#include "render.hpp"

#include <string>

namespace dynstack {

// Every counter and gauge of @d, one HELP/TYPE/sample block each, with
// units in base units (bytes, seconds) as Prometheus names them.
std::string render_metrics(const StatusData &d);

} // namespace dynstack
