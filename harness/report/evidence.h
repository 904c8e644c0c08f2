// Evidence for an anomaly, found in the run's history (pure; used by the report and its tests):
//   - the op a linearizability counterexample cannot linearize (from the checker's detail text,
//     checkers/linear/explain.cc: the ops list marks it "* op N");
//   - lost-write forensics for a zxid: which nodes logged and committed it, which truncation and
//     which leader sync decision removed it (zab.md 5.1: TRUNC / SNAP drop a follower's tail);
//   - the event-log lines that show a ZAB invariant violation (checkers/zab/invariants.cc), chosen
//     by the kind of violation its description names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkers/checkers.h"

namespace faultline::harness::report {

std::optional<int64_t> CulpritOp(const checkers::Anomaly& anomaly);

struct ZxidTrail {
  struct NodeTrail {
    int64_t node = 0;
    std::optional<int64_t> logged_ms, committed_ms;
    std::optional<int64_t> removed_ms;  // a truncate (or SNAP install) that dropped it
    std::string removed_how;            // "truncate keep_up_to 0x200000003" / "SNAP ..."
  };
  int64_t zxid = 0;
  std::vector<NodeTrail> nodes;  // every node that logged, committed or lost it
  // Leader sync decisions that removed it from a follower: "+at n2 chose TRUNC for n1 ...".
  struct Decision {
    int64_t ts_ms = 0;
    int64_t leader = 0;
    int64_t peer = 0;
    std::string mode;
    std::string text;
  };
  std::vector<Decision> decisions;
};
ZxidTrail TrailOf(int64_t zxid, const std::vector<checkers::NodeEvent>& events);

// Up to `max_lines` events that show `anomaly` (a zab-invariants one), in time order. Falls back
// to the events of the nodes it names around its time when the description is not recognised.
std::vector<const checkers::NodeEvent*> InvariantEvidence(
    const checkers::Anomaly& anomaly, const std::vector<checkers::NodeEvent>& events,
    size_t max_lines = 40);

// An event's fields without ts_ms/node/type, as `epoch=3 leader=2 zxid=0x300000002`: fields
// holding a zxid (named *zxid*, first, last, keep_up_to, trunc_to, removed_*, *_sent) in hex, the
// way the checkers' descriptions write them.
std::string EventFields(const checkers::NodeEvent& e);

// Unix times a checker wrote into a text (ms with their unit: "truncated at 1796171413925 ms",
// or bare ns: "acknowledged at 1796162207669816988") as offsets from the run's start `t0_ms`
// ("truncated at +8.83s"). Numbers that cannot be times of this run (more than a day away from
// its start) are left as they are.
std::string WithOffsets(const std::string& text, int64_t t0_ms);

}  // namespace faultline::harness::report
