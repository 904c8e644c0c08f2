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
  if (n.link_delay_ms > 0) {
    // The run-long delay on every link (test_spec.h link_delay): in force from the start, under
    // the generated faults (the timeline allows faults to overlap).
    ScheduledFault d;
    d.fault.kind = FaultKind::kDelay;
    d.fault.target = Target{TargetKind::kAll, {}};
    d.fault.delay_ms = static_cast<int>(n.link_delay_ms);
    d.duration_ms = spec.time_limit_ms;
    out.push_back(d);
  }
  if (n.kinds.empty()) return out;
  std::mt19937_64 rng(seed ^ kScheduleSeedSalt);
  std::vector<Target> targets = n.targets.empty() ? std::vector<Target>{Target{}} : n.targets;
  std::vector<PartitionShape> shapes =
      n.shapes.empty()
          ? std::vector<PartitionShape>{PartitionShape::kIsolateLeader, PartitionShape::kHalves}
          : n.shapes;
  // nemesis.interval_jitter: drawn only when set, so schedules without it stay as they were.
  auto quiet = [&]() -> int64_t {
    if (n.interval_jitter_ms <= 0) return n.interval_ms;
    return n.interval_ms +
           static_cast<int64_t>(rng() % static_cast<uint64_t>(n.interval_jitter_ms + 1));
  };
  for (int64_t at = quiet(); at < spec.time_limit_ms; at += n.duration_ms + quiet()) {
    ScheduledFault f;
    f.at_ms = at;
    f.fault.kind = Pick(n.kinds, rng);
    // Draw every field in a fixed order so the stream does not depend on the kind.
    const Target& target = Pick(targets, rng);
    const PartitionShape shape = Pick(shapes, rng);
    // A partition takes the target too: isolate-node and one-way draw their node from it
    // (fault.h PartitionShape); the other shapes ignore it.
    if (f.fault.kind == FaultKind::kPartition) f.fault.shape = shape;
    f.fault.target = target;
    f.duration_ms = n.duration_ms;
    f.fault.delay_ms = static_cast<int>(n.delay_ms);
    f.fault.loss_probability = n.loss;
    out.push_back(f);
  }
  return out;
}

nlohmann::json ScheduleToJson(const std::vector<RealizedFault>& schedule) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : schedule) {
    nlohmann::json roles = nlohmann::json::object();
    for (const auto& [id, role] : r.roles) roles[std::to_string(id)] = role;
    const FaultSpec& f = r.planned.fault;
    out.push_back({{"at_ms", r.planned.at_ms},
                   {"kind", FaultKindName(f.kind)},
                   {"target", TargetText(f.target)},
                   {"shape", f.kind == FaultKind::kPartition ? PartitionShapeName(f.shape) : ""},
                   {"duration_ms", r.planned.duration_ms},
                   {"delay_ms", f.delay_ms},
                   {"loss", f.loss_probability},
                   {"applied", r.applied},
                   {"error", r.error},
                   {"nodes", r.nodes},
                   {"roles", roles},
                   {"description", r.description},
                   {"links", r.links},
                   {"started_offset_ms", r.started_offset_ms},
                   {"stopped_offset_ms", r.stopped_offset_ms}});
  }
  return out;
}

Result<std::vector<ScheduledFault>> ScheduleForReplay(const std::string& schedule_json,
                                                      bool exact_partitions) {
  nlohmann::json j = nlohmann::json::parse(schedule_json, nullptr, false);
  if (!j.is_array()) return Status::Corruption("stored schedule is not a JSON array");
  std::vector<ScheduledFault> out;
  try {
    for (const auto& e : j) {
      ScheduledFault f;
      f.at_ms = e.at("at_ms").get<int64_t>();
      Result<FaultKind> kind = ParseFaultKind(e.at("kind").get<std::string>());
      if (!kind.ok()) return Status::Corruption("stored schedule: " + kind.status().message());
      f.fault.kind = *kind;
      const std::string target = e.value("target", "");
      if (!target.empty()) {  // runs recorded before typed faults stored "" for the default
        Result<Target> t = ParseTarget(target);
        if (!t.ok()) return Status::Corruption("stored schedule: " + t.status().message());
        f.fault.target = *t;
      }
      const std::string shape = e.value("shape", "");
      if (shape == PartitionShapeName(PartitionShape::kLinks)) {
        // An explicit-links partition (a shrunk or --from-run schedule): the same links again.
        f.fault.shape = PartitionShape::kLinks;
        f.fault.links = e.value("links", std::vector<Link>{});
        if (f.fault.links.empty()) {
          return Status::Corruption("stored schedule: a links partition without links");
        }
      } else if (!shape.empty()) {
        Result<PartitionShape> sh = ParsePartitionShape(shape);
        if (!sh.ok()) return Status::Corruption("stored schedule: " + sh.status().message());
        f.fault.shape = *sh;
      }
      f.duration_ms = e.at("duration_ms").get<int64_t>();
      f.fault.delay_ms = static_cast<int>(e.value("delay_ms", int64_t{200}));
      f.fault.loss_probability = e.value("loss", 0.2);
      std::vector<int> nodes = e.value("nodes", std::vector<int>{});
      // Partitions keep their shape; only the shapes that isolate one drawn node take ids.
      bool by_ids = f.fault.kind != FaultKind::kPartition || ShapeUsesTarget(f.fault.shape);
      if (e.value("applied", false) && by_ids && !nodes.empty()) {
        f.fault.target = Target{TargetKind::kExplicit, {nodes.begin(), nodes.end()}};
      }
      std::vector<Link> links = e.value("links", std::vector<Link>{});
      if (exact_partitions && f.fault.kind == FaultKind::kPartition && e.value("applied", false) &&
          !links.empty()) {
        f.fault.shape = PartitionShape::kLinks;
        f.fault.target = Target{};
        f.fault.links = std::move(links);
      }
      out.push_back(f);
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(fmt::format("stored schedule: {}", e.what()));
  }
  return out;
}

}  // namespace faultline::harness
