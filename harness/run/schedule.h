// The run's fault schedule: realized once from the spec and the seed (or taken verbatim from an
// explicit schedule / a replayed run), already typed (ScheduledFault holds a FaultSpec), and
// stored with the run as JSON so that `faultline replay` can rerun it.
//
// Generated schedule (spec.nemesis.kinds not empty, no explicit schedule): the first fault at
// `interval`, then one fault at a time: kind, target and shape drawn uniformly from the spec's
// lists with an RNG seeded from the run seed, `duration` long, `interval` of quiet between
// faults (plus a seeded draw in [0, interval_jitter] when that is set, the first fault's too),
// until the time limit. Same spec + seed = same schedule. With nemesis.link_delay, the
// first entry is a `delay` of every link at offset 0 lasting the time limit (under the others).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/nemesis/fault.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness {

// One schedule entry plus what happened when it was applied (filled by the run loop).
struct RealizedFault {
  ScheduledFault planned;
  bool applied = false;
  std::string error;                    // why it could not be applied
  std::vector<NodeId> nodes;            // resolved targets
  std::map<NodeId, std::string> roles;  // every node's role at resolution time
  std::string description;
  std::vector<Link> links;  // partitions: the directed links this fault cut (its own grudge)
  int64_t started_offset_ms = -1;  // actual offsets from the workload start
  int64_t stopped_offset_ms = -1;
};

std::vector<ScheduledFault> RealizeSchedule(const TestSpec& spec, uint64_t seed);

nlohmann::json ScheduleToJson(const std::vector<RealizedFault>& schedule);
// Rebuilds the explicit schedule of a stored run for replay: same offsets, kinds, shapes and
// durations; process-fault targets become the node ids they resolved to ("1,3"), so the replay
// hits the same nodes. Entries that were never applied are kept with their original target.
// Corruption when the stored JSON (or a name in it) is not what ScheduleToJson writes.
//
// `exact_partitions` (shrink, the simulator's --from-run): every applied partition becomes the
// links it actually cut (shape `links`), so the same cuts happen whoever leads; runs recorded
// before links were stored keep their shape.
Result<std::vector<ScheduledFault>> ScheduleForReplay(const std::string& schedule_json,
                                                      bool exact_partitions = false);

}  // namespace faultline::harness
