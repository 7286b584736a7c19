// SPDX-License-Identifier: GPL-2.0
#include "metrics.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace dynstack {

namespace {

class Exposition {
  public:
    void gauge(std::string_view name, std::string_view help, double v) {
        sample(name, "gauge", help, v);
    }
    void counter(std::string_view name, std::string_view help, double v) {
        sample(name, "counter", help, v);
    }
    // One family with a label per bucket.
    void header(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP dynstack_" + std::string(name) + " " + std::string(help) + "\n";
        out_ += "# TYPE dynstack_" + std::string(name) + " " + std::string(type) + "\n";
    }
    void labelled(std::string_view name, std::string_view label, std::uint64_t at, double v) {
        out_ += "dynstack_" + std::string(name) + "{" + std::string(label) + "=\"" +
                std::to_string(at) + "\"} " + number(v) + "\n";
    }
    [[nodiscard]] const std::string &str() const { return out_; }

  private:
    static std::string number(double v) {
        std::array<char, 32> buf{};
        std::snprintf(buf.data(), buf.size(), "%.17g", v);
        return buf.data();
    }
    void sample(std::string_view name, std::string_view type, std::string_view help, double v) {
        header(name, type, help);
        out_ += "dynstack_" + std::string(name) + " " + number(v) + "\n";
    }
    std::string out_;
};

double d(std::uint64_t v) { return static_cast<double>(v); }

} // namespace

std::string render_metrics(const StatusData &data) {
    const auto &s = data.stats;
    const auto &v = data.version;
    const double page = v.page_size;
    Exposition e;
    e.gauge("stacks", "Live kernel stacks, cached ones included.", d(s.stacks));
    e.gauge("partial_stacks", "Kernel stacks with at least one page missing.", d(s.partial_stacks));
    e.gauge("resident_bytes", "Memory held by kernel stacks.", d(s.resident_pages) * page);
    e.gauge("virtual_bytes", "Memory kernel stacks would hold if all were full.",
            d(s.stacks) * v.stack_pages * page);
    e.gauge("saved_ratio", "Share of the virtual stack memory that is not resident (0..1).",
            saved_percent(v, s) / 100.0);
    e.gauge("supply_bytes", "Pages the module's supply holds (magazines, depot, reserve).",
            d(s.magazine_pages + s.depot_pages + s.reserve_pages) * page);
    e.gauge("parked_tasks", "Tasks whose wakeup waits for stack pages now.", d(s.parked));
    e.gauge("exit_reserve_bytes", "The core's exit reserve for dying tasks.",
            d(s.exit_reserve_pages) * page);
    e.gauge("wait_max_seconds", "The longest wait for stack pages since boot.",
            d(s.wait_max_us) / 1e6);
    e.counter("wait_seconds_total", "Time tasks waited for stack pages, since boot.",
              d(s.wait_us) / 1e6);
    e.counter("deferred_wakeups_total",
              "Wakeups that waited because the supply could not fill the stack.", d(s.nopage));
    e.counter("populated_pages_total", "Fresh pages mapped at wakeup, since boot.", d(s.populated));
    e.counter("reinstalled_pages_total", "Pending pages mapped back at wakeup, since boot.",
              d(s.reinstalled));
    e.counter("detached_pages_total", "Untouched pages taken at switch-out or by reclaim.",
              d(s.detached));
    e.counter("harvested_pages_total", "Touched dead pages taken by reclaim, since boot.",
              d(s.harvested));
    e.counter("released_pages_total", "Harvested pages freed after a TLB flush, since boot.",
              d(s.released));
    e.counter("reader_skips_total", "Detaches skipped because a reader held the stack.",
              d(s.readers));
    e.counter("napped_total", "Switch-outs that kept a napping task's pages (since load).",
              d(s.napped));
    e.counter("take_short_pages_total", "Pages asked of the supply and not served.",
              d(s.take_short));
    e.counter("take_reserve_pages_total", "Pages served from the supply's reserve.",
              d(s.take_reserve));
    e.counter("refused_total", "Switch-outs refused by admission control.", d(s.refused));
    e.counter("refill_failed_total", "Supply allocations that failed.", d(s.refill_failed));
    e.counter("alloc_failed_total", "kdynstackd allocations that failed.", d(s.alloc_failed));
    e.counter("exit_reserve_served_total", "Wakeups of dying tasks served from the exit reserve.",
              d(s.exit_reserve_served));
    if ((v.features & DYNSTACK_FEAT_MEMCG) != 0) {
        e.counter("memcg_settled_bytes_total",
                  "Stack memory uncharged from sleeping tasks' memory cgroups, since boot.",
                  d(s.memcg_settled) * page);
        e.counter("memcg_charged_bytes_total",
                  "Stack memory charged again to memory cgroups for wakeups, since boot.",
                  d(s.memcg_charged) * page);
        e.counter("memcg_waits_total", "Wakeups that waited for their memory cgroup charge.",
                  d(s.memcg_waits));
        e.counter("memcg_failed_total", "Blocking memory cgroup charges that failed.",
                  d(s.memcg_failed));
    }
    e.counter("reclaim_passes_total", "Reclaim passes since load.", d(s.reclaim_passes));
    e.counter("reclaim_tlb_flushes_total", "Global TLB flushes by reclaim since load.",
              d(s.reclaim_flushes));
    e.header("stacks_by_resident_pages", "gauge", "Live stacks by pages they hold.");
    std::uint32_t pages = 0;
    for (const auto stacks : s.residency) {
        if (pages > v.stack_pages) {
            break;
        }
        e.labelled("stacks_by_resident_pages", "pages", pages++, d(stacks));
    }
    if (data.kernel_stack_kb >= 0) {
        e.gauge("meminfo_kernel_stack_bytes", "KernelStack in /proc/meminfo.",
                static_cast<double>(data.kernel_stack_kb) * 1024);
    }
    return e.str();
}

} // namespace dynstack
