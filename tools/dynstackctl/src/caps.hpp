// SPDX-License-Identifier: GPL-2.0
// Capabilities, with libcap: tell the user before trying what is missing.
#pragma once

#include "result.hpp"

namespace dynstack {

// Whether CAP_SYS_ADMIN is in this process's effective set.
bool has_sys_admin();

// Nothing, or an error saying that @what needs CAP_SYS_ADMIN.
Result<Unit> require_sys_admin(const char *what);

// Drop every capability (effective, permitted, inheritable, and the
// bounding set where allowed): --drop-caps.
Result<Unit> drop_all_caps();

} // namespace dynstack
