#include "harness/report/timeline.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace faultline::harness::report {
namespace {

constexpr int64_t kMsToNs = 1'000'000;

bool EndsLeadership(const std::string& fault_kind) {
  return fault_kind == "kill" || fault_kind == "restart" || fault_kind == "crash" ||
         fault_kind == "power-loss";
}

}  // namespace

Quantiles QuantilesOf(std::vector<double> v) {
  Quantiles q;
  q.n = static_cast<int64_t>(v.size());
  if (v.empty()) return q;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  auto at = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
  };
  q.p50 = at(0.50);
  q.p90 = at(0.90);
  q.p99 = at(0.99);
  q.max = v.back();
  return q;
}

int64_t NiceBucketNs(int64_t span_ns, int buckets_max) {
  static constexpr int64_t kTenths[] = {10, 20, 25, 50};  // 1, 2, 2.5, 5 times a power of ten
  buckets_max = std::max(1, buckets_max);
  for (int64_t decade = kBucketNsMin;; decade *= 10) {
    for (int64_t tenths : kTenths) {
      int64_t width = decade * tenths / 10;
      if (span_ns / width < buckets_max) return width;
    }
  }
}

OpSeries BucketOps(const std::vector<checkers::Op>& ops, int64_t from_ns, int64_t to_ns,
                   int buckets_max) {
  OpSeries s;
  s.from_ns = from_ns;
  int64_t span = std::max<int64_t>(to_ns - from_ns, 1);
  s.bucket_ns = NiceBucketNs(span, buckets_max);
  size_t n = static_cast<size_t>(span / s.bucket_ns + 1);
  s.buckets.resize(n);
  std::vector<std::vector<double>> ok(n), fail(n), info(n);
  for (size_t i = 0; i < n; ++i)
    s.buckets[i].start_ns = from_ns + static_cast<int64_t>(i) * s.bucket_ns;
  for (const checkers::Op& op : ops) {
    int64_t t = op.open() ? op.invoke_ns : op.complete_ns;
    if (t < from_ns || t > to_ns) continue;
    size_t i = std::min(n - 1, static_cast<size_t>((t - from_ns) / s.bucket_ns));
    OpBucket& b = s.buckets[i];
    double latency_ms = op.open() ? -1 : static_cast<double>(op.complete_ns - op.invoke_ns) / 1e6;
    if (op.open() || op.outcome == checkers::Outcome::kInfo) {
      ++b.info;
      if (latency_ms >= 0) info[i].push_back(latency_ms);
    } else if (op.outcome == checkers::Outcome::kOk) {
      ++b.ok;
      ok[i].push_back(latency_ms);
    } else {
      ++b.fail;
      fail[i].push_back(latency_ms);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    s.buckets[i].ok_latency = QuantilesOf(std::move(ok[i]));
    s.buckets[i].fail_latency = QuantilesOf(std::move(fail[i]));
    s.buckets[i].info_latency = QuantilesOf(std::move(info[i]));
  }
  return s;
}

Leadership LeadersOverTime(const std::vector<checkers::NodeEvent>& input,
                           const std::vector<checkers::Fault>& faults, int64_t end_ns) {
  std::vector<const checkers::NodeEvent*> events;
  for (const auto& e : input) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(),
                   [](const auto* a, const auto* b) { return a->ts_ms < b->ts_ms; });
  Leadership out;
  std::map<int64_t, size_t> open;  // node -> index of its open span
  auto close = [&](int64_t node, int64_t at_ns, std::string why) {
    auto it = open.find(node);
    if (it == open.end()) return;
    LeaderSpan& s = out.spans[it->second];
    s.end_ns = std::max(s.start_ns, at_ns);
    s.ended_by = std::move(why);
    open.erase(it);
  };
  // Faults that end a leadership, in time order, applied between events.
  std::vector<const checkers::Fault*> deaths;
  for (const auto& f : faults) {
    if (EndsLeadership(f.kind)) deaths.push_back(&f);
  }
  std::stable_sort(deaths.begin(), deaths.end(),
                   [](const auto* a, const auto* b) { return a->start_ns < b->start_ns; });
  size_t next_death = 0;
  auto apply_deaths_until = [&](int64_t t_ns) {
    for (; next_death < deaths.size() && deaths[next_death]->start_ns <= t_ns; ++next_death) {
      const checkers::Fault& f = *deaths[next_death];
      for (int64_t node : f.targets) {
        close(node, f.start_ns,
              f.kind == "crash"  ? "crashed"
              : f.kind == "kill" ? "killed"
                                 : f.kind);
      }
    }
  };
  for (const checkers::NodeEvent* e : events) {
    int64_t t = e->ts_ms * kMsToNs;
    apply_deaths_until(t);
    const auto& f = e->fields;
    if (e->type == "established") {
      int64_t epoch = checkers::FieldInt(f, "epoch");
      int64_t leader = checkers::FieldInt(f, "leader", e->node);
      for (auto it = open.begin(); it != open.end();) {
        auto cur = it++;
        if (cur->first != leader && out.spans[cur->second].epoch < epoch) {
          close(cur->first, t, "epoch " + std::to_string(epoch) + " established");
        }
      }
      if (open.count(leader)) close(leader, t, "epoch " + std::to_string(epoch) + " established");
      open[leader] = out.spans.size();
      out.spans.push_back(LeaderSpan{leader, epoch, t, end_ns, ""});
    } else if (e->type == "role") {
      if (checkers::FieldStr(f, "role") != "leading")
        close(e->node, t, "became " + checkers::FieldStr(f, "role"));
    } else if (e->type == "step_down") {
      std::string reason = checkers::FieldStr(f, "reason");
      close(e->node, t, reason.empty() ? "step_down" : "step_down: " + reason);
    } else if (e->type == "start") {
      close(e->node, t, "restarted");
    }
  }
  apply_deaths_until(end_ns);
  return out;
}

std::vector<NodeSummary> SummarizeNodes(const std::vector<checkers::NodeEvent>& input,
                                        const std::vector<checkers::Fault>& faults) {
  std::vector<const checkers::NodeEvent*> events;
  for (const auto& e : input) events.push_back(&e);
  std::stable_sort(events.begin(), events.end(),
                   [](const auto* a, const auto* b) { return a->ts_ms < b->ts_ms; });
  std::map<int64_t, NodeSummary> nodes;
  auto node = [&](int64_t id) -> NodeSummary& {
    NodeSummary& n = nodes[id];
    n.node = id;
    return n;
  };
  for (const checkers::NodeEvent* e : events) {
    NodeSummary& n = node(e->node);
    const auto& f = e->fields;
    if (e->type == "start") {
      ++n.starts;
      n.accepted_epoch = std::max(n.accepted_epoch, checkers::FieldInt(f, "accepted_epoch"));
      n.current_epoch = std::max(n.current_epoch, checkers::FieldInt(f, "current_epoch"));
      n.last_role.clear();
    } else if (e->type == "role") {
      std::string role = checkers::FieldStr(f, "role");
      if (role != n.last_role) ++n.role_changes;
      n.last_role = role;
    } else if (e->type == "elected") {
      ++n.elections;
    } else if (e->type == "established") {
      int64_t epoch = checkers::FieldInt(f, "epoch");
      NodeSummary& l = node(checkers::FieldInt(f, "leader", e->node));
      if (std::find(l.led_epochs.begin(), l.led_epochs.end(), epoch) == l.led_epochs.end()) {
        l.led_epochs.push_back(epoch);
      }
    } else if (e->type == "accepted_epoch") {
      n.accepted_epoch = std::max(n.accepted_epoch, checkers::FieldInt(f, "epoch"));
    } else if (e->type == "current_epoch") {
      n.current_epoch = std::max(n.current_epoch, checkers::FieldInt(f, "epoch"));
    } else if (e->type == "sync_received") {
      ++n.sync_received[checkers::FieldStr(f, "mode")];
    } else if (e->type == "sync_decision") {
      ++n.sync_sent[checkers::FieldStr(f, "mode")];
    } else if (e->type == "truncate") {
      ++n.truncations;
    } else if (e->type == "step_down") {
      ++n.step_downs;
    } else if (e->type == "committed") {
      n.last_committed = std::max(n.last_committed, checkers::FieldInt(f, "last"));
    } else if (e->type == "snapshot_installed") {
      n.last_committed = std::max(n.last_committed, checkers::FieldInt(f, "zxid"));
    }
  }
  for (const checkers::Fault& f : faults) {
    for (int64_t t : f.targets) ++node(t).faults[f.kind];
  }
  std::vector<NodeSummary> out;
  for (auto& [id, n] : nodes) out.push_back(std::move(n));
  return out;
}

OutcomeCounts CountOutcomes(const std::vector<checkers::Op>& ops, int64_t from_ns, int64_t to_ns) {
  OutcomeCounts c;
  for (const checkers::Op& op : ops) {
    if (op.invoke_ns < from_ns || op.invoke_ns > to_ns) continue;
    if (op.open() || op.outcome == checkers::Outcome::kInfo) {
      ++c.info;
    } else if (op.ok()) {
      ++c.ok;
    } else {
      ++c.fail;
    }
  }
  return c;
}

std::vector<int64_t> OkCompletions(const std::vector<checkers::Op>& ops) {
  std::vector<int64_t> out;
  for (const auto& op : ops) {
    if (op.ok() && !op.open()) out.push_back(op.complete_ns);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Gap LongestOkGap(const std::vector<int64_t>& ok, int64_t from_ns, int64_t to_ns, int64_t grace_ns) {
  Gap best;
  if (ok.empty()) return best;
  const int64_t window_end = to_ns + grace_ns;
  // The gaps that overlap [from, window_end]: from the last ok at or before `from` onwards.
  auto it = std::upper_bound(ok.begin(), ok.end(), from_ns);
  if (it != ok.begin()) --it;
  for (; it + 1 != ok.end() && *it <= window_end; ++it) {
    Gap g{*it, *(it + 1)};
    if (g.end_ns < from_ns) continue;
    if (g.length_ns() > best.length_ns()) best = g;
  }
  return best;
}

}  // namespace faultline::harness::report
