// Op zxid attribution (record.h ResolveOpZxids).
#include "harness/scenario/record.h"

#include <set>

namespace faultline::harness::scenario {
std::string NodeNames(const std::vector<NodeId>& ids, const std::string& if_none) {
  std::string out;
  for (NodeId id : ids) out += (out.empty() ? "n" : ", n") + std::to_string(id);
  return out.empty() ? if_none : out;
}

std::map<std::string, int64_t> ResolveOpZxids(
    const std::vector<OpRecord>& ops,
    const std::map<NodeId, std::vector<checkers::NodeEvent>>& events) {
  std::map<std::string, int64_t> out;
  std::set<int64_t> claimed;
  // The reply's zxid is authoritative; claim those first so a pending op never takes them.
  for (const OpRecord& r : ops) {
    if (r.op.f != checkers::Fn::kRead && r.op.outcome == checkers::Outcome::kOk && r.op.zxid) {
      out[r.name] = *r.op.zxid;
      claimed.insert(*r.op.zxid);
    }
  }
  for (const OpRecord& r : ops) {
    if (r.op.f == checkers::Fn::kRead || out.count(r.name) || r.leader_at_submit == 0) continue;
    // A fail op certainly did not happen: it has no zxid to find.
    if (r.op.outcome == checkers::Outcome::kFail && !r.op.open()) continue;
    auto it = events.find(r.leader_at_submit);
    if (it == events.end()) continue;
    std::optional<int64_t> best;
    for (const auto& e : it->second) {
      // ts_ms has millisecond granularity: allow the submit's own millisecond.
      if (e.type != "logged" || e.ts_ms < r.submit_ms - 1) continue;
      int64_t first = checkers::FieldInt(e.fields, "first", 0),
              last = checkers::FieldInt(e.fields, "last", 0);
      for (int64_t z = std::max(first, r.leader_last_zxid_before + 1); z <= last; ++z) {
        if (claimed.count(z)) continue;
        if (!best || z < *best) best = z;
        break;
      }
    }
    if (best) {
      out[r.name] = *best;
      claimed.insert(*best);
    }
  }
  return out;
}

}  // namespace faultline::harness::scenario
