#include "harness/history/run_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "harness/history/history_schema.h"
#include "harness/history/sqlite_db.h"
#include "harness/history/store_util.h"

namespace faultline::harness {
namespace {

using checkers::Fn;

bool IsWrite(Fn f) {
  switch (f) {
    case Fn::kWrite:
    case Fn::kCas:
    case Fn::kDelete:
    case Fn::kAdd:
    case Fn::kPut:
    case Fn::kAppend:
    case Fn::kTxn:
      return true;
    default:
      return false;
  }
}

// Nearest-rank quantile of sorted `v` (non-empty).
double Quantile(const std::vector<double>& v, double q) {
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

bool IsLeaderRole(const std::string& role) { return role == "leading" || role == "leader"; }

}  // namespace

bool FaultHitLeader(const FaultRecord& fault) {
  nlohmann::json d = nlohmann::json::parse(fault.detail_json, nullptr, false);
  if (!d.is_object()) d = nlohmann::json::object();
  auto text = [&](const char* key) {
    return d.contains(key) && d[key].is_string() ? d[key].get<std::string>() : std::string();
  };
  if (text("target") == "leader" || text("shape").find("leader") != std::string::npos) return true;
  // Older rows carry only the description: "kill leader: node 2 (leading)".
  std::string head = fault.description.substr(0, fault.description.find(':'));
  if (head.find("leader") != std::string::npos) return true;
  // A fault on the node that was leading, unless it touched every node of a partition (halves,
  // rings: the leader may well keep its majority).
  if (!d.contains("roles") || !d["roles"].is_object()) return false;
  const auto& roles = d["roles"];
  bool on_leader = false;
  for (int64_t t : fault.targets) {
    auto it = roles.find(std::to_string(t));
    if (it != roles.end() && it->is_string() && IsLeaderRole(it->get<std::string>())) {
      on_leader = true;
    }
  }
  if (!on_leader) return false;
  return fault.kind != "partition" || fault.targets.size() < roles.size();
}

RunMetrics ComputeRunMetrics(const checkers::History& history,
                             const std::vector<FaultRecord>& faults) {
  RunMetrics m;
  int64_t first = std::numeric_limits<int64_t>::max(), last = 0;
  std::vector<double> latencies;
  std::vector<int64_t> acked;  // completion times of acknowledged writes
  for (const checkers::Op& op : history.ops) {
    if (op.process >= kFinalReadProcessMin) continue;
    ++m.ops;
    first = std::min(first, op.invoke_ns);
    last = std::max(last, op.open() ? op.invoke_ns : op.complete_ns);
    if (op.open() || op.outcome != checkers::Outcome::kOk) continue;
    ++m.ok;
    latencies.push_back(static_cast<double>(op.complete_ns - op.invoke_ns) / 1e6);
    if (IsWrite(op.f)) acked.push_back(op.complete_ns);
  }
  if (m.ops == 0) return m;
  m.workload_ms = std::max<int64_t>(0, (last - first) / 1'000'000);
  if (last > first)
    m.ok_per_s = static_cast<double>(m.ok) * 1e9 / static_cast<double>(last - first);
  if (!latencies.empty()) {
    std::sort(latencies.begin(), latencies.end());
    m.p50_ms = Quantile(latencies, 0.50);
    m.p99_ms = Quantile(latencies, 0.99);
    m.max_ms = latencies.back();
  }

  std::sort(acked.begin(), acked.end());
  std::vector<const FaultRecord*> during;
  for (const FaultRecord& f : faults) {
    if (f.start_ns >= first && f.start_ns <= last) during.push_back(&f);
  }
  if (during.empty()) return m;
  std::sort(during.begin(), during.end(),
            [](const FaultRecord* a, const FaultRecord* b) { return a->start_ns < b->start_ns; });
  m.failover_basis = "every";
  for (const FaultRecord* f : during) {
    if (FaultHitLeader(*f)) m.failover_basis = "leader";
  }
  for (size_t k = 0; k < during.size(); ++k) {
    const FaultRecord* f = during[k];
    if (m.failover_basis == "leader" && !FaultHitLeader(*f)) continue;
    // The fault's stretch: until the next fault starts (gaps that begin later are that fault's).
    const int64_t stretch_end = k + 1 < during.size() ? during[k + 1]->start_ns : last;
    int64_t prev = f->start_ns;
    int64_t longest = 0;
    bool open = false;
    auto it = std::upper_bound(acked.begin(), acked.end(), f->start_ns);
    for (; it != acked.end() && prev < stretch_end; ++it) {
      longest = std::max(longest, *it - prev);
      prev = *it;
    }
    if (it == acked.end() && prev < stretch_end && last - prev >= longest) {
      longest = last - prev;  // nothing acknowledged after prev: a lower bound
      open = true;
    }
    const double window = static_cast<double>(longest) / 1e6;
    if (!m.failover_ms || window > *m.failover_ms) {
      m.failover_ms = window;
      m.failover_open = open;
      m.failover_fault = f->index;
    }
  }
  return m;
}

std::string FormatFailover(const RunMetrics& m) {
  if (!m.failover_ms) return "-";
  return fmt::format("{:.1f}s{}", *m.failover_ms / 1000.0, m.failover_open ? "+" : "");
}

Status StoreRunMetrics(HistoryStore& store, int64_t run_id, const RunMetrics& m) {
  return store.WithConnection([&](SqliteDb& db) -> Status {
    Result<SqliteStmt> st = db.Prepare(
        "INSERT OR REPLACE INTO run_metrics (run_id, version, ops, ok, workload_ms, ok_per_s, "
        "p50_ms, p99_ms, max_ms, failover_ms, failover_open, failover_fault, failover_basis, "
        "computed_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
    if (!st.ok()) return st.status();
    auto opt = [&](int i, const std::optional<double>& v) {
      if (v) {
        st->Bind(i, *v);
      } else {
        st->BindNull(i);
      }
    };
    st->Bind(1, run_id);
    st->Bind(2, static_cast<int64_t>(kRunMetricsVersion));
    st->Bind(3, m.ops);
    st->Bind(4, m.ok);
    st->Bind(5, m.workload_ms);
    st->Bind(6, m.ok_per_s);
    opt(7, m.p50_ms);
    opt(8, m.p99_ms);
    opt(9, m.max_ms);
    opt(10, m.failover_ms);
    st->Bind(11, static_cast<int64_t>(m.failover_open ? 1 : 0));
    st->Bind(12, m.failover_fault);
    st->Bind(13, m.failover_basis);
    st->Bind(14, UnixNowMs());
    return st->Run();
  });
}

Result<std::map<int64_t, RunMetrics>> LoadStoredRunMetrics(HistoryStore& store,
                                                           const std::vector<int64_t>& run_ids) {
  return store.WithConnection([&](SqliteDb& db) -> Result<std::map<int64_t, RunMetrics>> {
    std::map<int64_t, RunMetrics> out;
    Result<std::set<std::string>> cols = TableColumns(db, "run_metrics");
    if (!cols.ok()) return cols.status();
    if (cols->empty()) return out;  // a read-only store from before the table
    Result<SqliteStmt> st = db.Prepare(
        "SELECT ops, ok, workload_ms, ok_per_s, p50_ms, p99_ms, max_ms, failover_ms, "
        "failover_open, failover_fault, failover_basis FROM run_metrics WHERE run_id=?1 AND "
        "version=?2");
    if (!st.ok()) return st.status();
    auto opt = [&](int col) -> std::optional<double> {
      if (st->IsNull(col)) return std::nullopt;
      return st->Double(col);
    };
    for (int64_t id : run_ids) {
      st->Bind(1, id);
      st->Bind(2, static_cast<int64_t>(kRunMetricsVersion));
      Result<bool> row = st->Step();
      if (!row.ok()) return row.status();
      if (*row) {
        RunMetrics m;
        m.ops = st->Int(0);
        m.ok = st->Int(1);
        m.workload_ms = st->Int(2);
        m.ok_per_s = st->Double(3);
        m.p50_ms = opt(4);
        m.p99_ms = opt(5);
        m.max_ms = opt(6);
        m.failover_ms = opt(7);
        m.failover_open = st->Int(8) != 0;
        m.failover_fault = st->OptInt(9);
        m.failover_basis = st->Text(10);
        out[id] = m;
      }
      st->Reset();
    }
    return out;
  });
}

Result<RunMetrics> RunMetricsOf(HistoryStore& store, int64_t run_id) {
  Result<std::map<int64_t, RunMetrics>> stored = LoadStoredRunMetrics(store, {run_id});
  if (!stored.ok()) return stored.status();
  if (auto it = stored->find(run_id); it != stored->end()) return it->second;
  Result<checkers::History> h = store.LoadHistory(run_id);
  if (!h.ok()) return h.status();
  Result<std::vector<FaultRecord>> faults = store.LoadFaults(run_id);
  if (!faults.ok()) return faults.status();
  return ComputeRunMetrics(*h, *faults);
}

}  // namespace faultline::harness
