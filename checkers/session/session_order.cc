// Session order for `local` reads (ZooKeeper's client guarantees): per process, reads never go
// back in time and see the process's own acknowledged writes.
//
// Write order per key: by zxid when every non-failed write of the key carries one, otherwise by
// completion time. A read's version is the position of the write whose value it returned (values
// are unique per key); nil is version -1 (before any write). When reads carry zxids, a process's
// reads must also be non-decreasing in zxid across keys, and not below its own earlier writes.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "checkers/checkers.h"
#include "checkers/zab/zxid.h"

namespace faultline::checkers {
namespace {

bool IsWrite(const Op& op) { return op.f == Fn::kWrite || op.f == Fn::kPut || op.f == Fn::kCas; }
bool IsRead(const Op& op) { return op.f == Fn::kRead || op.f == Fn::kGet; }

Anomaly Make(const Op& read, const Op* earlier, const std::string& what) {
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
  // Versions of the writes of every key.
  std::map<std::string, std::vector<const Op*>> writes;
  for (const Op& op : h.ops) {
    if (IsWrite(op) && op.outcome != Outcome::kFail) writes[op.key].push_back(&op);
  }
  std::map<std::string, std::map<std::string, int>> version;  // key -> value -> version
  for (auto& [key, ws] : writes) {
    bool by_zxid =
        std::all_of(ws.begin(), ws.end(), [](const Op* w) { return w->zxid.has_value(); });
    std::stable_sort(ws.begin(), ws.end(), [&](const Op* a, const Op* b) {
      return by_zxid ? *a->zxid < *b->zxid : a->complete_ns < b->complete_ns;
    });
    for (size_t i = 0; i < ws.size(); ++i) {
      if (ws[i]->value) version[key][*ws[i]->value] = static_cast<int>(i);
    }
  }
  // Each process's ops in invoke order.
  std::map<int64_t, std::vector<const Op*>> by_process;
  for (const Op& op : h.ops) by_process[op.process].push_back(&op);
  for (auto& [process, ops] : by_process) {
    std::stable_sort(ops.begin(), ops.end(),
                     [](const Op* a, const Op* b) { return a->invoke_ns < b->invoke_ns; });
    std::map<std::string, std::pair<int, const Op*>> seen;  // key -> highest version + its op
    const Op* last_zxid_op = nullptr;                       // highest zxid seen or written
    for (const Op* op : ops) {
      if (!op->ok()) continue;
      if (IsWrite(*op)) {
        int v = op->value ? version[op->key][*op->value] : -1;
        auto it = seen.find(op->key);
        if (it == seen.end() || v > it->second.first) seen[op->key] = {v, op};
        if (op->zxid && (!last_zxid_op || *op->zxid > *last_zxid_op->zxid)) last_zxid_op = op;
        continue;
      }
      if (!IsRead(*op)) continue;
      ++result.reads_checked;
      int v = -1;
      if (op->value) {
        auto it = version[op->key].find(*op->value);
        if (it == version[op->key].end()) {
          result.anomalies.push_back(Make(
              *op, nullptr,
              fmt::format("process {} read {} from key {:?} (op {}), a value no write produced",
                          process, *op->value, op->key, op->index)));
          continue;
        }
        v = it->second;
      }
      auto s = seen.find(op->key);
      if (s != seen.end() && v < s->second.first) {
        const Op* before = s->second.second;
        result.anomalies.push_back(
            Make(*op, before,
                 fmt::format("process {} read {} from key {:?} (op {}) after it {} {} (op {}): the "
                             "read went back "
                             "in time{}",
                             process, op->value.value_or("nil"), op->key, op->index,
                             IsWrite(*before) ? "wrote" : "read", before->value.value_or("nil"),
                             before->index,
                             IsWrite(*before) ? " (read-your-writes)" : " (monotonic reads)")));
      } else if (s == seen.end() || v > s->second.first) {
        seen[op->key] = {v, op};
      }
      if (op->zxid) {
        if (last_zxid_op && *op->zxid < *last_zxid_op->zxid) {
          result.anomalies.push_back(
              Make(*op, last_zxid_op,
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
