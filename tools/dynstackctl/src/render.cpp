// SPDX-License-Identifier: GPL-2.0
#include "render.hpp"

#include "json.hpp"
#include "policy.hpp"
#include "table.hpp"

#include <array>
#include <cstdio>
#include <span>
#include <utility>

namespace dynstack {

namespace {

using U64 = std::uint64_t;

std::string num(U64 v) { return std::to_string(v); }

std::string hex(U64 v) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%llx", static_cast<unsigned long long>(v));
    return buf.data();
}

std::string pct(double v) {
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%.1f%%", v);
    return buf.data();
}

U64 kb(U64 pages, U64 page_size) { return pages * page_size / 1024; }

std::string kib(U64 pages, U64 page_size) { return num(kb(pages, page_size)) + " kB"; }

// Every counter of dynstack_stats, in ABI order, with its JSON name.
std::vector<std::pair<const char *, U64>> stat_fields(const dynstack_stats &s) {
    return {
        {"stacks", s.stacks},
        {"partial_stacks", s.partial_stacks},
        {"resident_pages", s.resident_pages},
        {"populated", s.populated},
        {"reinstalled", s.reinstalled},
        {"detached", s.detached},
        {"harvested", s.harvested},
        {"released", s.released},
        {"nopage", s.nopage},
        {"magazine_pages", s.magazine_pages},
        {"depot_pages", s.depot_pages},
        {"reserve_pages", s.reserve_pages},
        {"take_magazine", s.take_magazine},
        {"take_depot", s.take_depot},
        {"take_reserve", s.take_reserve},
        {"take_short", s.take_short},
        {"give_magazine", s.give_magazine},
        {"give_depot", s.give_depot},
        {"kicks", s.kicks},
        {"refused", s.refused},
        {"refilled", s.refilled},
        {"refill_failed", s.refill_failed},
        {"trimmed", s.trimmed},
        {"reclaim_passes", s.reclaim_passes},
        {"reclaim_scanned", s.reclaim_scanned},
        {"reclaim_detached", s.reclaim_detached},
        {"reclaim_harvested", s.reclaim_harvested},
        {"reclaim_released", s.reclaim_released},
        {"reclaim_flushes", s.reclaim_flushes},
        {"napped", s.napped},
        {"parked", s.parked},
        {"wait_us", s.wait_us},
        {"wait_max_us", s.wait_max_us},
        {"exit_reserve_pages", s.exit_reserve_pages},
        {"exit_reserve_served", s.exit_reserve_served},
        {"alloc_failed", s.alloc_failed},
        {"readers", s.readers},
        {"memcg_settled", s.memcg_settled},
        {"memcg_waits", s.memcg_waits},
        {"memcg_charged", s.memcg_charged},
        {"memcg_failed", s.memcg_failed},
    };
}

} // namespace

double saved_percent(const dynstack_version &v, const dynstack_stats &s) {
    const double virt = static_cast<double>(s.stacks) * v.stack_pages;
    if (virt <= 0) {
        return 0.0;
    }
    return 100.0 * (virt - static_cast<double>(s.resident_pages)) / virt;
}

std::string render_status(const StatusData &d, bool json) {
    const auto &s = d.stats;
    const auto &v = d.version;
    const U64 virt = s.stacks * v.stack_pages;
    const U64 failures = s.nopage + s.take_short + s.refill_failed;
    const bool memcg = (v.features & DYNSTACK_FEAT_MEMCG) != 0;
    if (json) {
        Json j;
        j.begin_object();
        j.field("abi_version", U64{v.abi_version});
        j.field("stacks", s.stacks);
        j.field("partial_stacks", s.partial_stacks);
        j.field("resident_pages", s.resident_pages);
        j.field("virtual_pages", virt);
        j.field("page_size", U64{v.page_size});
        j.field("saved_percent", saved_percent(v, s));
        j.key("kernel_stack_kb").value(static_cast<std::int64_t>(d.kernel_stack_kb));
        j.key("supply").begin_object();
        j.field("magazine_pages", s.magazine_pages);
        j.field("depot_pages", s.depot_pages);
        j.field("reserve_pages", s.reserve_pages);
        j.end_object();
        j.key("failures").begin_object();
        j.field("nopage", s.nopage);
        j.field("take_short", s.take_short);
        j.field("refill_failed", s.refill_failed);
        j.field("refused", s.refused);
        j.end_object();
        j.key("waiting").begin_object();
        j.field("deferred", s.nopage);
        j.field("parked", s.parked);
        j.field("wait_us", s.wait_us);
        j.field("wait_max_us", s.wait_max_us);
        j.end_object();
        if (memcg) {
            j.key("memcg").begin_object();
            j.field("settled_pages", s.memcg_settled);
            j.field("charged_pages", s.memcg_charged);
            j.field("waits", s.memcg_waits);
            j.field("failed", s.memcg_failed);
            j.end_object();
        }
        j.end_object();
        return j.str();
    }
    std::string out;
    out += "stacks:         " + num(s.stacks) + " (" + num(s.partial_stacks) +
           " with pages taken away)\n";
    out += "resident:       " + kib(s.resident_pages, v.page_size) + " of " +
           kib(virt, v.page_size) + " virtual (" + pct(saved_percent(v, s)) + " saved)\n";
    if (d.kernel_stack_kb >= 0) {
        out += "KernelStack:    " + std::to_string(d.kernel_stack_kb) + " kB (/proc/meminfo)\n";
    }
    out += "supply:         magazines " + kib(s.magazine_pages, v.page_size) + ", depot " +
           kib(s.depot_pages, v.page_size) + ", reserve " + kib(s.reserve_pages, v.page_size) +
           "\n";
    out += "failures:       " + num(failures) + " (nopage " + num(s.nopage) + ", short takes " +
           num(s.take_short) + ", failed refills " + num(s.refill_failed) + ")\n";
    out += "admission:      " + num(s.refused) + " detaches refused while the reserve was low\n";
    out += "waiting:        " + num(s.nopage) + " wakeups deferred, " + num(s.parked) +
           " tasks waiting now, " + num(s.wait_us) + " us waited in all (longest " +
           num(s.wait_max_us) + " us)\n";
    if (memcg) {
        out += "memcg:          " + kib(s.memcg_settled, v.page_size) +
               " uncharged from sleeping threads, " + kib(s.memcg_charged, v.page_size) +
               " charged again; " + num(s.memcg_waits) + " wakeups waited for a charge, " +
               num(s.memcg_failed) + " blocking charges failed\n";
    }
    return out;
}

std::string render_stats(const dynstack_stats &s, bool json) {
    const auto fields = stat_fields(s);
    if (json) {
        Json j;
        j.begin_object();
        for (const auto &[name, value] : fields) {
            j.field(name, value);
        }
        j.key("residency").begin_array();
        for (const auto r : std::span(s.residency)) {
            j.value(U64{r});
        }
        j.end_array();
        j.end_object();
        return j.str();
    }
    Table t({"counter", "value"});
    for (const auto &[name, value] : fields) {
        t.add({name, num(value)});
    }
    std::string out = t.render();
    out += "\nresident pages per stack:\n";
    Table h({"pages", "stacks"});
    std::size_t pages = 0;
    for (const auto stacks : std::span(s.residency)) {
        if (stacks != 0 || pages <= 4) {
            h.add({num(pages), num(stacks)});
        }
        pages++;
    }
    return out + h.render();
}

std::string render_cpu_stats(const dynstack_version &v, const std::vector<dynstack_cpu_stats> &cpus,
                             bool json) {
    if (json) {
        Json j;
        j.begin_array();
        for (const auto &c : cpus) {
            j.begin_object();
            j.field("cpu", U64{c.cpu});
            j.field("online", c.online != 0);
            j.field("magazine_pages", U64{c.magazine_pages});
            j.field("take_magazine", U64{c.take_magazine});
            j.field("take_depot", U64{c.take_depot});
            j.field("take_reserve", U64{c.take_reserve});
            j.field("take_short", U64{c.take_short});
            j.field("give_magazine", U64{c.give_magazine});
            j.field("give_depot", U64{c.give_depot});
            j.field("kicks", U64{c.kicks});
            j.field("refused", U64{c.refused});
            j.field("napped", U64{c.napped});
            j.end_object();
        }
        j.end_array();
        return j.str();
    }
    Table t({"cpu", "online", "magazine_kB", "take_mag", "take_depot", "take_resv", "short",
             "give_mag", "give_depot", "kicks", "refused", "napped"});
    for (const auto &c : cpus) {
        t.add({num(c.cpu), c.online != 0 ? "yes" : "no", num(kb(c.magazine_pages, v.page_size)),
               num(c.take_magazine), num(c.take_depot), num(c.take_reserve), num(c.take_short),
               num(c.give_magazine), num(c.give_depot), num(c.kicks), num(c.refused),
               num(c.napped)});
    }
    return t.render();
}

std::string render_policy(const Tunables &all, const dynstack_policy &p,
                          const std::vector<std::string> &keys, bool json) {
    std::vector<const Tunable *> shown;
    for (const auto &t : all) {
        bool wanted = keys.empty();
        for (const auto &k : keys) {
            wanted = wanted || k == t.name;
        }
        if (wanted) {
            shown.push_back(&t);
        }
    }
    if (json) {
        Json j;
        j.begin_object();
        for (const auto *t : shown) {
            j.field(t->name, U64{policy_value(p, *t)});
        }
        j.end_object();
        return j.str();
    }
    Table tab({"key", "value", "range", "meaning"});
    for (const auto *t : shown) {
        tab.add({t->name, num(policy_value(p, *t)), num(t->min) + ".." + num(t->max), t->help});
    }
    return tab.render();
}

std::string render_tasks(const dynstack_version &v, const std::vector<TaskRow> &rows, bool json) {
    const bool pins = (v.features & DYNSTACK_FEAT_PIN) != 0;
    if (json) {
        Json j;
        j.begin_array();
        for (const auto &r : rows) {
            j.begin_object();
            j.key("tid").value(static_cast<std::int64_t>(r.tid));
            if (!r.error.empty()) {
                j.field("error", std::string_view(r.error));
                j.end_object();
                continue;
            }
            j.field("comm", std::string_view(r.comm));
            j.field("resident_pages", U64{r.info.resident_pages});
            j.field("last_used_pages", U64{r.info.last_used_pages});
            j.field("max_used_pages", U64{r.info.max_used_pages});
            j.field("stack_pages", U64{r.info.stack_pages});
            if (pins) {
                j.field("pinned", (r.info.attrs & DYNSTACK_TASK_PINNED) != 0);
            }
            j.end_object();
        }
        j.end_array();
        return j.str();
    }
    std::vector<std::string> head = {"tid",          "comm",        "resident_kB",
                                     "last_used_kB", "max_used_kB", "stack_kB"};
    if (pins) {
        head.emplace_back("pinned");
    }
    Table t(head);
    for (const auto &r : rows) {
        if (!r.error.empty()) {
            continue; // reported on stderr by the caller
        }
        std::vector<std::string> row = {std::to_string(r.tid),
                                        r.comm,
                                        num(kb(r.info.resident_pages, v.page_size)),
                                        num(kb(r.info.last_used_pages, v.page_size)),
                                        num(kb(r.info.max_used_pages, v.page_size)),
                                        num(kb(r.info.stack_pages, v.page_size))};
        if (pins) {
            row.emplace_back((r.info.attrs & DYNSTACK_TASK_PINNED) != 0 ? "yes" : "-");
        }
        t.add(row);
    }
    return t.render();
}

std::string render_reclaim(const dynstack_reclaim &r, bool json) {
    if (json) {
        Json j;
        j.begin_object();
        j.field("scanned", U64{r.scanned});
        j.field("detached", U64{r.detached});
        j.field("harvested", U64{r.harvested});
        j.field("released", U64{r.released});
        j.field("flushes", U64{r.flushes});
        j.end_object();
        return j.str();
    }
    return "reclaim: scanned " + num(r.scanned) + " tasks, took " + num(r.detached) +
           " untouched pages, " + num(r.harvested) + " touched pages (" + num(r.released) +
           " released after " + num(r.flushes) + " TLB flush" + (r.flushes == 1 ? "" : "es") +
           ")\n";
}

std::string render_version(const dynstack_version *module, bool json) {
    if (json) {
        Json j;
        j.begin_object();
        j.field("tool_version", std::string_view(DYNSTACKCTL_VERSION));
        j.field("tool_abi_version", U64{DYNSTACK_ABI_VERSION});
        if (module != nullptr) {
            j.field("module_abi_version", U64{module->abi_version});
            j.field("features", U64{module->features});
            j.field("stack_pages", U64{module->stack_pages});
            j.field("nr_cpu_ids", U64{module->nr_cpu_ids});
        }
        j.end_object();
        return j.str();
    }
    std::string out =
        "dynstackctl " DYNSTACKCTL_VERSION ", ABI " + std::to_string(DYNSTACK_ABI_VERSION) + "\n";
    if (module != nullptr) {
        out += "dynstack.ko ABI " + num(module->abi_version) + ", features 0x" +
               hex(module->features) + ", " + num(module->stack_pages) + " pages per stack, " +
               num(module->nr_cpu_ids) + " CPU ids\n";
        if (module->abi_version != DYNSTACK_ABI_VERSION) {
            out += "the module speaks another ABI version: commands whose feature bit it lacks "
                   "will say so\n";
        }
    } else {
        out += "dynstack.ko not loaded\n";
    }
    return out;
}

} // namespace dynstack
