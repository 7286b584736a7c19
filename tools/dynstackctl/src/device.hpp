// SPDX-License-Identifier: GPL-2.0
// /dev/dynstack: an owned file descriptor and one method per ioctl.
#pragma once

#include "policy.hpp"
#include "result.hpp"

#include <linux/dynstack.h>

#include <string>
#include <vector>

namespace dynstack {

// Owns a file descriptor; closes it once.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    Fd(Fd &&other) noexcept : fd_(other.release()) {}
    Fd &operator=(Fd &&other) noexcept;
    ~Fd();
    [[nodiscard]] int get() const { return fd_; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    int fd_ = -1;
};

class Device {
  public:
    // Opens @path and reads the module's version and features. A module
    // with another abi_version is not refused (uapi: "Compatibility");
    // require() checks for what a command needs.
    static Result<Device> open(const std::string &path);

    // An error naming @what unless the module has every bit of @features.
    [[nodiscard]] Result<Unit> require(std::uint64_t features, const std::string &what) const;

    [[nodiscard]] const dynstack_version &version() const { return version_; }
    Result<dynstack_stats> stats() const;
    Result<dynstack_cpu_stats> cpu_stats(std::uint32_t cpu) const;
    Result<dynstack_policy> policy() const;
    // On EINVAL, @p.error_field names the refused field (or is -1);
    // on any other error it is -1.
    Result<Unit> set_policy(dynstack_policy &p) const;
    // The module's table of tunables (DYNSTACK_IOC_TUNABLE), in index order.
    Result<Tunables> tunables() const;
    Result<dynstack_task> task(int tid) const;
    Result<dynstack_reclaim> reclaim(std::uint32_t flags) const;
    // DYNSTACK_IOC_PIN: pin @tid, or with DYNSTACK_PIN_UNPIN unpin it
    // (DYNSTACK_PIN_ALL: every thread, @tid 0).
    Result<Unit> pin(int tid, std::uint32_t flags) const;
    // DYNSTACK_IOC_PINS: the ids of the pinned threads we can see.
    Result<std::vector<int>> pins() const;

  private:
    explicit Device(Fd fd) : fd_(std::move(fd)) {}
    Result<Unit> ioc(unsigned long cmd, void *arg, const std::string &what) const;
    Fd fd_;
    dynstack_version version_{};
};

// The message for a failed ioctl or open, with what the user can do.
Error errno_error(int err, const std::string &what);

} // namespace dynstack
