// Stale reads as observations (checkers.h, CheckStaleReads), and the ZOOKEEPER-1675 explanation of
// sync+read linearizability violations (ExplainSyncReadAnomalies).
//
// A read is stale when a write of its key that certainly committed before the read began (ok, and
// completed before the read's invoke) certainly follows the write the read observed. Writes are
// ordered by zxid when both carry one, else by real time (ok A completed before B was invoked), so
// concurrent or unknown writes never make a read stale. An info write never counts as committed,
// and an observed info write without a zxid cannot be ordered: both keep the count conservative.
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

std::string Ms(int64_t ns) { return fmt::format("{:.1f} ms", ns / 1e6); }

}  // namespace

StaleReadResult CheckStaleReads(const History& h) {
  StaleReadResult result;
  // key -> its ok writes by completion time; key -> value -> the write of it (not failed).
  std::map<std::string, std::vector<const Op*>> committed;
  std::map<std::string, std::map<std::string, const Op*>> writer;
  std::map<std::string, bool> has_delete;
  for (const Op& op : h.ops) {
    if (op.f == Fn::kDelete && op.outcome != Outcome::kFail) has_delete[op.key] = true;
    if (!IsWrite(op) || op.outcome == Outcome::kFail || !op.value) continue;
    writer[op.key][*op.value] = &op;
    if (op.ok() && !op.open()) committed[op.key].push_back(&op);
  }
  for (auto& [key, writes] : committed) {
    std::sort(writes.begin(), writes.end(),
              [](const Op* a, const Op* b) { return a->complete_ns < b->complete_ns; });
  }
  for (const Op& read : h.ops) {
    if (!IsRead(read) || !read.ok()) continue;
    ++result.reads_checked;
    const Op* seen = nullptr;
    if (read.value) {
      auto it = writer[read.key].find(*read.value);
      if (it == writer[read.key].end()) continue;  // no write produced it: session order's business
      seen = it->second;
    } else if (has_delete[read.key]) {
      continue;  // nil may be a delete's effect: not ordered here
    }
    // The writes committed before the read began that certainly follow what it saw.
    const Op* first_missed = nullptr;
    const Op* last_missed = nullptr;
    int64_t missed = 0;
    for (const Op* w : committed[read.key]) {
      if (w->complete_ns >= read.invoke_ns) break;
      if (w == seen || (seen != nullptr && !Precedes(*seen, *w))) continue;
      ++missed;
      if (first_missed == nullptr || w->complete_ns < first_missed->complete_ns) first_missed = w;
      if (last_missed == nullptr || w->complete_ns > last_missed->complete_ns) last_missed = w;
    }
    if (missed == 0) continue;
    ++result.stale_reads;
    const int64_t behind_ns = read.invoke_ns - first_missed->complete_ns;
    result.max_writes_behind = std::max(result.max_writes_behind, missed);
    result.max_behind_ns = std::max(result.max_behind_ns, behind_ns);
    if (static_cast<int64_t>(result.observations.size()) >= kStaleReadObservationsMax) continue;
    Anomaly a;
    a.checker = "stale-reads";
    a.observation = true;
    a.key = read.key;
    a.start_ns = first_missed->complete_ns;
    a.end_ns = read.complete_ns;
    if (seen != nullptr) a.ops.push_back(seen->index);
    a.ops.push_back(last_missed->index);
    a.ops.push_back(read.index);
    a.description = fmt::format(
        "stale read (allowed: reads are sequentially consistent): process {} read {} from key {:?} "
        "(op {}{}) while {} acknowledged write{} of that key had completed before it began: the "
        "first {} earlier (op {}{}), the latest writing {} (op {}{})",
        read.process, read.value.value_or("nil"), read.key, read.index,
        read.node ? fmt::format(", node {}", *read.node) : "", missed, missed == 1 ? "" : "s",
        Ms(behind_ns), first_missed->index,
        first_missed->zxid ? " at " + ZxidString(*first_missed->zxid) : "",
        last_missed->value.value_or("nil"), last_missed->index,
        last_missed->zxid ? " at " + ZxidString(*last_missed->zxid) : "");
    a.detail =
        fmt::format("writes behind: {}\nbehind: {}\nobserved write: {}\n", missed, Ms(behind_ns),
                    seen != nullptr ? fmt::format("op {}", seen->index)
                                    : std::string("none (the initial nil)"));
    result.observations.push_back(std::move(a));
  }
  result.reason =
      result.stale_reads == 0
          ? fmt::format("{} reads, none stale", result.reads_checked)
          : fmt::format(
                "{} of {} reads stale (observations, not anomalies): at most {} writes and "
                "{} behind",
                result.stale_reads, result.reads_checked, result.max_writes_behind,
                Ms(result.max_behind_ns));
  return result;
}

int ExplainSyncReadAnomalies(const History& h, std::vector<Anomaly>* anomalies) {
  if (h.read_mode != ReadMode::kSync) return 0;
  int explained = 0;
  for (Anomaly& a : *anomalies) {
    if (a.observation) continue;
    std::vector<const Fault*> partitions;
    for (const Fault& f : h.faults) {
      // The deposed leader serves sync+read until it notices (syncLimit): a partition that was in
      // force during the anomaly, or ended just before it, opens the window.
      if (f.kind == "partition" && f.start_ns <= a.end_ns &&
          (f.stop_ns == kOpenNs || f.stop_ns >= a.start_ns)) {
        partitions.push_back(&f);
      }
    }
    if (partitions.empty()) continue;
    ++explained;
    std::vector<std::string> names;
    for (const Fault* f : partitions) {
      names.push_back(f->description.empty()
                          ? fmt::format("partition of {}", fmt::join(f->targets, ","))
                          : f->description);
    }
    a.description += fmt::format(
        " This is the known ZOOKEEPER-1675 window: sync is not a quorum operation, so a leader "
        "that a partition ({}) has deposed but that has not yet noticed can answer sync+read "
        "with state the new leader has overwritten.",
        fmt::join(names, "; "));
    a.detail += "known issue: ZOOKEEPER-1675 (sync() is not a quorum operation)\n";
  }
  return explained;
}

}  // namespace faultline::checkers
