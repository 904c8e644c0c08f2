// CheckLinearizable: split by key, search each key on a worker thread, shrink and explain the
// illegal ones. Every key gets its own verdict; the history's verdict combines them.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "checkers/checkers.h"
#include "checkers/linear/partition.h"

namespace faultline::checkers {

std::vector<Partition> SplitByKey(const History& history, const ModelOptions& model) {
  std::map<std::string, Partition> parts;
  for (const Op& op : history.ops) {
    if (op.outcome == Outcome::kFail) continue;
    bool read_only =
        op.f == Fn::kRead || op.f == Fn::kGet || op.f == Fn::kReadSet || op.f == Fn::kCasMismatch ||
        (op.f == Fn::kTxn &&
         std::none_of(op.txn.begin(), op.txn.end(), [](const TxnStep& s) { return s.is_write; }));
    if (read_only && op.outcome != Outcome::kOk) continue;
    std::string key = model.kind == ModelKind::kMultiRegister ? std::string() : op.key;
    Partition& p = parts[key];
    p.key = key;
    p.ops.push_back(&op);
  }
  std::vector<Partition> out;
  for (auto& [k, p] : parts) {
    std::sort(p.ops.begin(), p.ops.end(), [](const Op* a, const Op* b) {
      return a->invoke_ns != b->invoke_ns ? a->invoke_ns < b->invoke_ns : a->index < b->index;
    });
    out.push_back(std::move(p));
  }
  return out;
}

SearchResult CheckPartition(const ModelOptions& model, const std::vector<const Op*>& ops,
                            const std::optional<std::string>& initial, const SearchLimits& limits) {
  std::string error;
  auto m = MakePartitionModel(model, ops, initial, &error);
  if (m == nullptr) {
    SearchResult r;
    r.verdict = Verdict::kUnknown;
    r.reason = error;
    return r;
  }
  std::vector<SearchOp> sops(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    bool ok = ops[i]->outcome == Outcome::kOk && !ops[i]->open();
    sops[i] = {ops[i]->invoke_ns, ok ? ops[i]->complete_ns : kOpenNs, ok};
  }
  return SearchLinearization(*m, sops, limits);
}

LinearizabilityResult CheckLinearizable(const History& history, const ModelOptions& model,
                                        const Budget& budget) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(budget.time_limit_ms);
  LinearizabilityResult result;
  std::vector<Partition> parts = SplitByKey(history, model);
  result.keys.resize(parts.size());
  // Biggest partitions first, so one big key does not start last.
  std::vector<size_t> order(parts.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return parts[a].ops.size() > parts[b].ops.size(); });

  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::atomic<int64_t> memory_used{0}, memory_peak{0};
  std::vector<std::optional<Anomaly>> anomalies(parts.size());
  auto worker = [&]() {
    for (size_t n = next++; n < order.size(); n = next++) {
      const size_t i = order[n];
      const Partition& part = parts[i];
      KeyResult& kr = result.keys[i];
      kr.key = part.key;
      kr.ops = static_cast<int64_t>(part.ops.size());
      const auto key_start = Clock::now();
      if (stop.load()) {
        kr.verdict = Verdict::kUnknown;
        kr.reason = "not checked: another key is invalid";
        continue;
      }
      SearchLimits limits;
      limits.deadline = deadline;
      limits.memory_limit_bytes = budget.memory_limit_bytes;
      limits.memory_used = &memory_used;
      limits.memory_peak = &memory_peak;
      limits.stop = budget.stop_on_first_invalid ? &stop : nullptr;
      SearchResult sr = CheckPartition(model, part.ops, history.initial_value, limits);
      kr.verdict = sr.verdict;
      kr.reason = sr.reason;
      kr.states_explored = sr.states_explored;
      kr.cache_bytes = sr.cache_bytes;
      if (sr.verdict == Verdict::kInvalid) {
        if (budget.stop_on_first_invalid) stop = true;
        Shrunk shrunk;
        if (budget.shrink) {
          shrunk = ShrinkIllegal(model, part.ops, history.initial_value, deadline);
        } else {
          shrunk.ops = part.ops;
          shrunk.search = sr;
        }
        for (const Op* op : shrunk.ops) kr.minimal_ops.push_back(op->index);
        Explanation ex = ExplainIllegal(part, shrunk, history.faults);
        kr.reason = ex.summary;
        Anomaly a;
        a.checker = "linearizability";
        a.key = part.key;
        a.description = ex.summary;
        a.detail = ex.detail;
        a.start_ns = ex.start_ns;
        a.end_ns = ex.end_ns;
        a.ops = kr.minimal_ops;
        anomalies[i] = std::move(a);
      }
      kr.seconds = std::chrono::duration<double>(Clock::now() - key_start).count();
    }
  };
  // One key (every register history) runs on the caller's thread: no thread start-up, and no
  // hardware_concurrency(), which reads sysfs on every call.
  int threads = 1;
  if (parts.size() > 1) {
    threads = budget.threads > 0
                  ? budget.threads
                  : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    threads = std::max(1, std::min<int>(threads, static_cast<int>(parts.size())));
  }
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }

  result.verdict = Verdict::kValid;
  for (size_t i = 0; i < parts.size(); ++i) {
    const KeyResult& kr = result.keys[i];
    result.verdict = CombineVerdicts(result.verdict, kr.verdict);
    result.states_explored += kr.states_explored;
    if (anomalies[i]) result.anomalies.push_back(std::move(*anomalies[i]));
  }
  result.peak_memory_bytes = memory_peak.load();
  int invalid = 0, unknown = 0;
  for (const KeyResult& kr : result.keys) {
    invalid += kr.verdict == Verdict::kInvalid;
    unknown += kr.verdict == Verdict::kUnknown;
  }
  if (result.verdict == Verdict::kInvalid) {
    result.reason = fmt::format("{} of {} keys not linearizable", invalid, parts.size());
  } else if (result.verdict == Verdict::kUnknown) {
    for (const KeyResult& kr : result.keys) {
      if (kr.verdict == Verdict::kUnknown) {
        result.reason = fmt::format("{} of {} keys undecided (key {:?}: {})", unknown, parts.size(),
                                    kr.key, kr.reason);
        break;
      }
    }
  }
  return result;
}

}  // namespace faultline::checkers
