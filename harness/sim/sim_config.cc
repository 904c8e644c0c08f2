#include "harness/sim/sim_config.h"

#include <fmt/format.h>

#include "harness/systems/registry.h"

namespace faultline::harness::sim {
namespace {

Status Refuse(const TestSpec& spec, int line, const std::string& key, const std::string& what) {
  return Status::InvalidArgument(fmt::format(
      "{}:{}: {}: {}", spec.source_name.empty() ? "spec" : spec.source_name, line, key, what));
}

int64_t IntOption(const TestSpec& spec, const std::string& key, int64_t fallback) {
  auto it = spec.system.options.find(key);
  if (it == spec.system.options.end() || it->second.values.empty()) return fallback;
  return std::stoll(it->second.values.front());  // range-checked by ValidateSystemSpec
}

}  // namespace

Result<SimSetup> SimSetupFor(const TestSpec& spec) {
  if (spec.system.kind != "zabd") {
    return Refuse(
        spec, spec.system.line, "system.kind",
        fmt::format("the simulator runs zabd only (this suite is for {})", spec.system.kind));
  }
  if (Status s = ValidateSystemSpec(spec); !s.ok()) return s;
  SimSetup s;
  zab::Config& c = s.base;
  // The zabd system's defaults for a run's nodes (zabd_system.cc), not zabd's own.
  c.tick_time_ms = static_cast<uint64_t>(IntOption(spec, "tick_time_ms", 50));
  c.init_limit_ticks = static_cast<uint32_t>(IntOption(spec, "init_limit", 10));
  c.sync_limit_ticks = static_cast<uint32_t>(IntOption(spec, "sync_limit", 5));
  c.snapshot_every_commits = static_cast<uint64_t>(IntOption(spec, "snapshot_every", 10000));
  if (auto it = spec.system.options.find("extra_flags"); it != spec.system.options.end()) {
    const std::vector<std::string>& flags = it->second.values;
    const int line = it->second.line;
    for (size_t i = 0; i < flags.size(); ++i) {
      std::string name;
      if (flags[i] == "--fault") {
        if (i + 1 == flags.size()) {
          return Refuse(spec, line, "system.extra_flags", "--fault needs a fault point name");
        }
        name = flags[++i];
      } else if (flags[i].rfind("--fault=", 0) == 0) {
        name = flags[i].substr(8);
      } else if (flags[i] == "--power-loss-sim") {
        continue;  // every simulated crash is a power cut already (world.h)
      } else {
        return Refuse(spec, line, "system.extra_flags",
                      fmt::format("the simulator does not model zabd flag '{}' (it takes --fault "
                                  "NAME and --power-loss-sim)",
                                  flags[i]));
      }
      if (zab::KnownFaults().count(name) == 0) {
        return Refuse(spec, line, "system.extra_flags",
                      fmt::format("unknown fault point '{}' (one of {})", name,
                                  zab::JoinFaults(zab::KnownFaults())));
      }
      c.faults.insert(name);
    }
  }
  const std::string mode = spec.system.read_mode.empty() ? "linearizable" : spec.system.read_mode;
  s.read_mode_name = mode;
  s.read_mode = mode == "local"  ? zab::ReadMode::kLocal
                : mode == "sync" ? zab::ReadMode::kSync
                                 : zab::ReadMode::kLinearizable;
  return s;
}

}  // namespace faultline::harness::sim
