// SPDX-License-Identifier: GPL-2.0
#include "device.hpp"

#include <bit>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iterator>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace dynstack {

Fd &Fd::operator=(Fd &&other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = other.release();
    }
    return *this;
}

Fd::~Fd() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

namespace {

Error errno_message(int err, const std::string &what) {
    switch (err) {
    case EPERM:
        return {what + ": operation not permitted (writes need CAP_SYS_ADMIN; another user's "
                       "task needs ptrace read access)",
                Exit::Permission};
    case EACCES:
        return {what + ": access denied by the file's mode or a security module (SELinux, "
                       "AppArmor); the device is world-readable unless one of them says otherwise",
                Exit::Permission};
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return {what + ": dynstack.ko is not loaded (no " DYNSTACK_DEVICE "); load it with "
                       "insmod dynstack.ko",
                Exit::NoModule};
    case ENOTTY:
        return {what + ": the device does not know this command; dynstack.ko is older than "
                       "this dynstackctl",
                Exit::NoModule};
    case E2BIG:
        return {what + ": the module is older than this dynstackctl and does not know a field "
                       "it was sent",
                Exit::NoModule};
    case ESRCH:
        return {what + ": no such task", Exit::Failure};
    case ENODATA:
        return {what + ": this task's stack is not a dynamic stack (the boot CPU's idle task)",
                Exit::Failure};
    case EINVAL:
        return {what + ": the module refused the request (EINVAL)", Exit::Failure};
    default:
        return {what + ": " + std::strerror(err), Exit::Failure};
    }
}

} // namespace

Error errno_error(int err, const std::string &what) {
    Error e = errno_message(err, what);
    e.sys_errno = err;
    return e;
}

Result<Device> Device::open(const std::string &path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return errno_error(errno, "open " + path);
    }
    Device dev(std::move(fd));
    dev.version_.size = sizeof(dev.version_);
    if (::ioctl(dev.fd_.get(), DYNSTACK_IOC_VERSION, &dev.version_) != 0) {
        if (errno == ENOTTY || errno == EINVAL) {
            return Error{path + " is not a dynstack device (it does not answer "
                                "DYNSTACK_IOC_VERSION); give the right one with --device PATH",
                         Exit::Usage};
        }
        return errno_error(errno, path);
    }
    return dev;
}

Result<Unit> Device::require(std::uint64_t features, const std::string &what) const {
    if ((version_.features & features) != features) {
        return Error{what + ": dynstack.ko (ABI " + std::to_string(version_.abi_version) +
                         ") is older than this dynstackctl and cannot do it; use the "
                         "dynstackctl built with the module",
                     Exit::NoModule};
    }
    return Unit{};
}

Result<Unit> Device::ioc(unsigned long cmd, void *arg, const std::string &what) const {
    if (::ioctl(fd_.get(), cmd, arg) != 0) {
        return errno_error(errno, what);
    }
    return Unit{};
}

Result<dynstack_stats> Device::stats() const {
    dynstack_stats s{};
    s.size = sizeof(s);
    auto r = ioc(DYNSTACK_IOC_STATS, &s, "stats");
    if (!r.ok()) {
        return r.error();
    }
    return s;
}

Result<dynstack_cpu_stats> Device::cpu_stats(std::uint32_t cpu) const {
    dynstack_cpu_stats c{};
    c.size = sizeof(c);
    c.cpu = cpu;
    auto r = ioc(DYNSTACK_IOC_CPU_STATS, &c, "per-CPU stats");
    if (!r.ok()) {
        return r.error();
    }
    return c;
}

Result<dynstack_policy> Device::policy() const {
    dynstack_policy p{};
    p.size = sizeof(p);
    auto r = ioc(DYNSTACK_IOC_GET_POLICY, &p, "get policy");
    if (!r.ok()) {
        return r.error();
    }
    return p;
}

Result<Unit> Device::set_policy(dynstack_policy &p) const {
    p.size = sizeof(p);
    p.error_field = 0;
    if (::ioctl(fd_.get(), DYNSTACK_IOC_SET_POLICY, &p) != 0) {
        const int err = errno;
        if (err != EINVAL) {
            p.error_field = -1; // only an EINVAL names a field
        }
        return errno_error(err, "set policy");
    }
    return Unit{};
}

namespace {

// A fixed-size char array from the kernel, up to its first NUL (if any).
template <std::size_t N> std::string c_string(const char (&chars)[N]) {
    const std::string_view v(std::data(chars), N);
    return std::string(v.substr(0, v.find('\0')));
}

} // namespace

Result<Tunables> Device::tunables() const {
    Tunables all;
    for (std::uint32_t i = 0;; i++) {
        dynstack_tunable t{};
        t.size = sizeof(t);
        t.index = i;
        if (::ioctl(fd_.get(), DYNSTACK_IOC_TUNABLE, &t) != 0) {
            if (errno == ENOENT && i > 0) {
                return all;
            }
            if (errno == ENOENT) {
                return Error{"dynstack.ko reports no tunables", Exit::Failure};
            }
            return errno_error(errno, "tunable " + std::to_string(i));
        }
        all.push_back({t.index, c_string(t.name), t.min, t.max, t.value, c_string(t.help)});
    }
}

Result<dynstack_task> Device::task(int tid) const {
    dynstack_task t{};
    t.size = sizeof(t);
    t.pid = tid;
    auto r = ioc(DYNSTACK_IOC_TASK, &t, "task " + std::to_string(tid));
    if (!r.ok()) {
        return r.error();
    }
    return t;
}

Result<dynstack_reclaim> Device::reclaim(std::uint32_t flags) const {
    dynstack_reclaim rc{};
    rc.size = sizeof(rc);
    rc.flags = flags;
    auto r = ioc(DYNSTACK_IOC_RECLAIM, &rc, "reclaim");
    if (!r.ok()) {
        return r.error();
    }
    return rc;
}

Result<Unit> Device::pin(int tid, std::uint32_t flags) const {
    dynstack_pin p{};
    p.size = sizeof(p);
    p.flags = flags;
    p.tid = tid;
    const bool unpin = (flags & DYNSTACK_PIN_UNPIN) != 0;
    const std::string what = std::string(unpin ? "unpin " : "pin ") +
                             ((flags & DYNSTACK_PIN_ALL) != 0 ? "--all" : std::to_string(tid));
    if (auto need = require(DYNSTACK_FEAT_PIN, unpin ? "unpin" : "pin"); !need.ok()) {
        return need.error();
    }
    if (::ioctl(fd_.get(), DYNSTACK_IOC_PIN, &p) == 0) {
        return Unit{};
    }
    // Errors that mean something else here than for the other commands.
    if (errno == ENOENT) {
        return Error{what + ": that thread is not pinned", Exit::Failure};
    }
    if (errno == ENOSPC) {
        return Error{what + ": too many pinned threads (the module keeps at most 256); unpin "
                            "some first",
                     Exit::Failure};
    }
    return errno_error(errno, what);
}

Result<std::vector<int>> Device::pins() const {
    if (auto need = require(DYNSTACK_FEAT_PIN, "pins"); !need.ok()) {
        return need.error();
    }
    std::vector<int> tids;
    // The set may grow between asking how many and reading them: retry.
    for (int attempt = 0; attempt < 8; attempt++) {
        dynstack_pins p{};
        p.size = sizeof(p);
        p.count = static_cast<std::uint32_t>(tids.size());
        p.tids = std::bit_cast<std::uintptr_t>(tids.data());
        auto r = ioc(DYNSTACK_IOC_PINS, &p, "pins");
        if (!r.ok()) {
            return r.error();
        }
        if (p.count <= tids.size()) {
            tids.resize(p.count);
            return tids;
        }
        tids.resize(p.count);
    }
    return Error{"pins: the set of pinned threads kept changing; try again", Exit::Failure};
}

} // namespace dynstack
