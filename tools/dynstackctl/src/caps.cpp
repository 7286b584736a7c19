// SPDX-License-Identifier: GPL-2.0
#include "caps.hpp"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <memory>
#include <string>

namespace dynstack {

namespace {

struct CapFree {
    void operator()(cap_t c) const { cap_free(c); }
};
using CapPtr = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

} // namespace

bool has_sys_admin() {
    const CapPtr caps(cap_get_proc());
    cap_flag_value_t v = CAP_CLEAR;
    if (!caps || cap_get_flag(caps.get(), CAP_SYS_ADMIN, CAP_EFFECTIVE, &v) != 0) {
        return false;
    }
    return v == CAP_SET;
}

Result<Unit> require_sys_admin(const char *what) {
    if (has_sys_admin()) {
        return Unit{};
    }
    return Error{std::string(what) +
                     " changes the kernel and needs CAP_SYS_ADMIN, which this process does not "
                     "have (run it as root, or grant cap_sys_admin)",
                 Exit::Permission};
}

Result<Unit> drop_all_caps() {
    for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
        // Not fatal: without CAP_SETPCAP the bounding set cannot shrink,
        // and the cleared sets below already take every capability away.
        (void)cap_drop_bound(c);
    }
    const CapPtr caps(cap_init());
    if (!caps || cap_set_proc(caps.get()) != 0) {
        return Error{"--drop-caps: could not drop capabilities", Exit::Failure};
    }
    if (has_sys_admin()) {
        return Error{"--drop-caps: CAP_SYS_ADMIN is still effective", Exit::Failure};
    }
    return Unit{};
}

} // namespace dynstack
