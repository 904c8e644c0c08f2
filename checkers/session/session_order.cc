// Session order for `local` reads (ZooKeeper's client guarantees): per process, reads never go
// back in time and see the process's own acknowledged writes.
//
// "Back in time" needs a write order that is certain: write A precedes write B when both carry
// zxids and zxid(A) < zxid(B), otherwise when A completed before B was invoked. Concurrent writes
// without zxids are never ordered, so they never make a false anomaly. A read names the write it
// saw by its value (values are unique per key). When reads carry zxids, a process's reads must
// also be non-decreasing in zxid across keys, and never below a zxid it wrote.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "checkers/checkers.h"
#include "checkers/session/write_order.h"
#include "checkers/zab/zxid.h"

namespace faultline::checkers {
namespace {

using session::IsRead;
using session::IsWrite;
using session::Precedes;

Anomaly SessionAnomaly(const Op& read, const Op* earlier, const std::string& what) {
  Anomaly a;
  a.checker = "session-order";
  a.key = read.key;
  a.description = what;
  a.start_ns = earlier ? earlier->invoke_ns : read.invoke_ns;
  a.end_ns = read.complete_ns;
  if (earlier) a.ops.push_back(earlier->index);
  a.ops.push_back(read.index);
  return a;
}

}  // namespace

SessionResult CheckSessionOrder(const History& h) {
  SessionResult result;
  // key -> value -> the (non-failed) write of it; keys with deletes skip nil reads.
  std::map<std::string, std::map<std::string, const Op*>> writer;
  std::map<std::string, bool> has_delete;
  for (const Op& op : h.ops) {
    if (op.outcome == Outcome::kFail) continue;
    if (IsWrite(op) && op.value) writer[op.key][*op.value] = &op;
    if (op.f == Fn::kDelete) has_delete[op.key] = true;
  }
  std::map<int64_t, std::vector<const Op*>> by_process;
  for (const Op& op : h.ops) by_process[op.process].push_back(&op);
  for (auto& [process, ops] : by_process) {
    std::stable_sort(ops.begin(), ops.end(),
                     [](const Op* a, const Op* b) { return a->invoke_ns < b->invoke_ns; });
    // key -> the writes this process has seen (read or written) that no other seen write follows,
    // with the op through which it saw each.
    std::map<std::string, std::vector<std::pair<const Op*, const Op*>>> seen;
    const Op* last_zxid_op = nullptr;  // highest zxid read or written so far
    auto observe = [&](const Op* w, const Op* via) {
      auto& s = seen[w->key];
      std::erase_if(s, [&](const auto& e) { return Precedes(*e.first, *w); });
      s.push_back({w, via});
    };
    for (const Op* op : ops) {
      if (!op->ok()) continue;
      if (IsWrite(*op)) {
        observe(op, op);
        if (op->zxid && (!last_zxid_op || *op->zxid > *last_zxid_op->zxid)) last_zxid_op = op;
        continue;
      }
      if (!IsRead(*op)) continue;
      ++result.reads_checked;
      const Op* w = nullptr;
      if (op->value) {
        auto it = writer[op->key].find(*op->value);
        if (it == writer[op->key].end()) {
          result.anomalies.push_back(SessionAnomaly(
              *op, nullptr,
              fmt::format("process {} read {} from key {:?} (op {}), a value no write produced",
                          process, *op->value, op->key, op->index)));
          continue;
        }
        w = it->second;
      }
      // The read goes back in time if a write it already saw follows the one it now sees (or,
      // for nil, if it saw any write of a key that is never deleted).
      for (const auto& [saw, via] : seen[op->key]) {
        bool back = w != nullptr ? Precedes(*w, *saw) : !has_delete[op->key];
        if (!back) continue;
        bool own = via == saw;
        result.anomalies.push_back(SessionAnomaly(
            *op, via,
            fmt::format("process {} read {} from key {:?} (op {}) after it {} {} (op {}): the "
                        "read went back in time ({})",
                        process, op->value.value_or("nil"), op->key, op->index,
                        own ? "wrote" : "read", saw->value.value_or("nil"), via->index,
                        own ? "read-your-writes" : "monotonic reads")));
        break;
      }
      if (w != nullptr) observe(w, op);
      if (op->zxid) {
        if (last_zxid_op && *op->zxid < *last_zxid_op->zxid) {
          result.anomalies.push_back(SessionAnomaly(
              *op, last_zxid_op,
              fmt::format("process {} read key {:?} (op {}) from state {} older than {} it "
                          "already saw (op {})",
                          process, op->key, op->index, ZxidString(*op->zxid),
                          ZxidString(*last_zxid_op->zxid), last_zxid_op->index)));
        } else {
          last_zxid_op = op;
        }
      }
    }
  }
  if (!result.anomalies.empty()) {
    result.verdict = Verdict::kInvalid;
    result.reason = fmt::format("{} session-order violations", result.anomalies.size());
  }
  return result;
}

}  // namespace faultline::checkers
