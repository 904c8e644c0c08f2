#include "harness/run/schedule.h"

#include <fmt/format.h>

#include <random>

namespace faultline::harness {
namespace {

constexpr uint64_t kScheduleSeedSalt = 0x5eed5c4edull;  // schedule RNG independent of ops

template <typename T>
const T& Pick(const std::vector<T>& items, std::mt19937_64& rng) {
  return items[rng() % items.size()];
}

}  // namespace

std::vector<ScheduledFault> RealizeSchedule(const TestSpec& spec, uint64_t seed) {
  const NemesisSpec& n = spec.nemesis;
  if (!n.schedule.empty()) return n.schedule;
  std::vector<ScheduledFault> out;
  if (n.kinds.empty()) return out;
  std::mt19937_64 rng(seed ^ kScheduleSeedSalt);
  std::vector<std::string> targets =
      n.targets.empty() ? std::vector<std::string>{"random"} : n.targets;
  std::vector<std::string> shapes =
      n.shapes.empty() ? std::vector<std::string>{"isolate-leader", "halves"} : n.shapes;
  for (int64_t at = n.interval_ms; at < spec.time_limit_ms; at += n.duration_ms + n.interval_ms) {
    ScheduledFault f;
    f.at_ms = at;
    f.kind = Pick(n.kinds, rng);
    // Draw every field in a fixed order so the stream does not depend on the kind.
    std::string target = Pick(targets, rng);
    std::string shape = Pick(shapes, rng);
    // A partition takes the target too: isolate-node and one-way draw their node from it
    // (fault.h PartitionShape); the other shapes ignore it.
    if (f.kind == "partition") f.shape = shape;
    f.target = target;
    f.duration_ms = n.duration_ms;
    f.delay_ms = n.delay_ms;
    f.loss = n.loss;
    out.push_back(f);
  }
  return out;
}

Result<FaultSpec> ToFaultSpec(const ScheduledFault& f) {
  FaultSpec spec;
  Result<FaultKind> kind = ParseFaultKind(f.kind);
  if (!kind.ok()) return kind.status();
  spec.kind = *kind;
  Result<Target> target = ParseTarget(f.target.empty() ? "random" : f.target);
  if (!target.ok()) return target.status();
  spec.target = *target;
  if (spec.kind == FaultKind::kPartition) {
    Result<PartitionShape> shape =
        ParsePartitionShape(f.shape.empty() ? "isolate-leader" : f.shape);
    if (!shape.ok()) return shape.status();
    spec.shape = *shape;
  }
  spec.delay_ms = static_cast<int>(f.delay_ms);
  spec.loss_probability = f.loss;
  return spec;
}

nlohmann::json ScheduleToJson(const std::vector<RealizedFault>& schedule) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : schedule) {
    nlohmann::json roles = nlohmann::json::object();
    for (const auto& [id, role] : r.roles) roles[std::to_string(id)] = role;
    out.push_back({{"at_ms", r.planned.at_ms},
                   {"kind", r.planned.kind},
                   {"target", r.planned.target},
                   {"shape", r.planned.shape},
                   {"duration_ms", r.planned.duration_ms},
                   {"delay_ms", r.planned.delay_ms},
                   {"loss", r.planned.loss},
                   {"applied", r.applied},
                   {"error", r.error},
                   {"nodes", r.nodes},
                   {"roles", roles},
                   {"description", r.description},
                   {"started_offset_ms", r.started_offset_ms},
                   {"stopped_offset_ms", r.stopped_offset_ms}});
  }
  return out;
}

Result<std::vector<ScheduledFault>> ScheduleForReplay(const std::string& schedule_json) {
  nlohmann::json j = nlohmann::json::parse(schedule_json, nullptr, false);
  if (!j.is_array()) return Status::Corruption("stored schedule is not a JSON array");
  std::vector<ScheduledFault> out;
  try {
    for (const auto& e : j) {
      ScheduledFault f;
      f.at_ms = e.at("at_ms").get<int64_t>();
      f.kind = e.at("kind").get<std::string>();
      f.target = e.value("target", "");
      f.shape = e.value("shape", "");
      f.duration_ms = e.at("duration_ms").get<int64_t>();
      f.delay_ms = e.value("delay_ms", int64_t{200});
      f.loss = e.value("loss", 0.2);
      std::vector<int> nodes = e.value("nodes", std::vector<int>{});
      // Partitions keep their shape; only the shapes that isolate one drawn node take ids.
      bool by_ids = f.kind != "partition" || f.shape == "isolate-node" || f.shape == "one-way";
      if (e.value("applied", false) && by_ids && !nodes.empty()) {
        std::string ids;
        for (int id : nodes) ids += (ids.empty() ? "" : ",") + std::to_string(id);
        f.target = ids;
      }
      out.push_back(f);
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(fmt::format("stored schedule: {}", e.what()));
  }
  return out;
}

}  // namespace faultline::harness
