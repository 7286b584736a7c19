// SPDX-License-Identifier: GPL-2.0
#include "device.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
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

Error errno_error(int err, const std::string &what) {
    switch (err) {
    case EPERM:
    case EACCES:
        return {what + ": permission denied (writes need CAP_SYS_ADMIN; another user's task "
                       "needs ptrace read access)",
                Exit::Permission};
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return {what + ": dynstack.ko is not loaded (no " DYNSTACK_DEVICE "); load it with "
                       "insmod dynstack.ko",
                Exit::NoModule};
    case ENOTTY:
        return {what + ": the device does not know this command; dynstack.ko and dynstackctl "
                       "are from different versions",
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
        return {what + ": the module refused the value (EINVAL); see dynstackctl get for the "
                       "ranges",
                Exit::Failure};
    default:
        return {what + ": " + std::strerror(err), Exit::Failure};
    }
}

Result<Device> Device::open(const std::string &path) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        return errno_error(errno, "open " + path);
    }
    Device dev(std::move(fd));
    dev.version_.size = sizeof(dev.version_);
    auto r = dev.ioc(DYNSTACK_IOC_VERSION, &dev.version_, "version");
    if (!r.ok()) {
        return r.error();
    }
    if (dev.version_.abi_version != DYNSTACK_ABI_VERSION) {
        return Error{"dynstack.ko speaks ABI " + std::to_string(dev.version_.abi_version) +
                         ", this dynstackctl ABI " + std::to_string(DYNSTACK_ABI_VERSION) +
                         "; use the dynstackctl built with the module",
                     Exit::NoModule};
    }
    return dev;
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

Result<Unit> Device::set_policy(const dynstack_policy &p) const {
    dynstack_policy copy = p;
    copy.size = sizeof(copy);
    copy.flags = 0;
    return ioc(DYNSTACK_IOC_SET_POLICY, &copy, "set policy");
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

} // namespace dynstack
