#include "harness/scenario/wait.h"

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace faultline::harness::scenario {
namespace {

class SteadyClock : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() override { return std::chrono::steady_clock::now(); }
  void Sleep(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

}  // namespace

Clock& RealClock() {
  static SteadyClock clock;
  return clock;
}

Status WaitUntil(const std::function<Probe()>& probe, std::chrono::milliseconds timeout,
                 std::chrono::milliseconds poll, Clock& clock, const std::string& what,
                 Probe* last) {
  const auto deadline = clock.Now() + timeout;
  Probe p;
  while (true) {
    p = probe();
    if (last) *last = p;
    if (p.met) return Status::Ok();
    auto now = clock.Now();
    if (now >= deadline) break;
    clock.Sleep(
        std::min(poll, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now)));
  }
  return Status::Timeout(fmt::format("{}: not reached within {} ms; last seen: {}", what,
                                     timeout.count(), p.seen.empty() ? "nothing" : p.seen));
}

std::string Zx(int64_t zxid) { return fmt::format("{:#x}", zxid); }

std::string DescribeStatuses(const std::vector<NodeStatus>& nodes) {
  std::string out;
  for (const NodeStatus& n : nodes) {
    if (!out.empty()) out += "; ";
    out += fmt::format("n{} ", n.id);
    if (!n.running) {
      out += "down";
    } else if (!n.role) {
      out += "no ROLE answer";
    } else {
      out +=
          fmt::format("{} {} e{} last_zxid={} committed={}", RoleName(n.role->role), n.role->phase,
                      n.role->epoch, Zx(n.role->last_zxid), Zx(n.role->last_committed));
    }
  }
  return out;
}

Probe EvalAgree(const std::vector<NodeStatus>& nodes) {
  Probe p{false, DescribeStatuses(nodes)};
  int running = 0, leaders = 0;
  std::set<int64_t> committed;
  std::set<std::string> digests;
  for (const NodeStatus& n : nodes) {
    if (!n.running) continue;
    ++running;
    if (!n.role || n.role->phase != "broadcast") return p;
    if (n.role->role == Role::kLeading) ++leaders;
    if (!n.committed_unknown) committed.insert(n.role->last_committed);
    if (n.digest) digests.insert(*n.digest);
  }
  if (running == 0) {
    p.seen = "no node running";
    return p;
  }
  if (leaders != 1) {
    p.seen += fmt::format(" ({} leaders)", leaders);
    return p;
  }
  if (committed.size() > 1) return p;  // empty: only nodes whose position is unknown
  if (digests.size() > 1) {
    p.seen += " (state digests differ)";
    p.diverged = true;
    return p;
  }
  p.met = true;
  return p;
}

Probe EvalLeaderEpochAbove(const std::vector<NodeStatus>& nodes, int64_t epoch) {
  Probe p{false, DescribeStatuses(nodes)};
  for (const NodeStatus& n : nodes) {
    if (n.running && n.role && n.role->role == Role::kLeading && n.role->phase == "broadcast" &&
        n.role->epoch > epoch) {
      p.met = true;
      p.seen = fmt::format("n{} leading epoch {}", n.id, n.role->epoch);
    }
  }
  return p;
}

Probe EvalRole(const NodeStatus& node, const std::string& role, const std::string& phase) {
  Probe p{false, DescribeStatuses({node})};
  if (!node.running || !node.role) return p;
  p.met = RoleName(node.role->role) == role && (phase.empty() || node.role->phase == phase);
  return p;
}

Probe EvalLogged(NodeId node, const std::vector<checkers::NodeEvent>& events,
                 std::optional<int64_t> zxid, const std::string& op) {
  int64_t highest = 0;
  for (const auto& e : events) {
    if (e.type != "logged") continue;
    int64_t first = checkers::FieldInt(e.fields, "first", 0),
            last = checkers::FieldInt(e.fields, "last", 0);
    highest = std::max(highest, last);
    if (zxid && first <= *zxid && *zxid <= last) {
      return {true, fmt::format("n{} logged {} at {}", node, op, Zx(*zxid))};
    }
  }
  std::string seen = fmt::format("n{} logged up to {}", node, Zx(highest));
  if (!zxid) seen += fmt::format("; the zxid of {} is not known yet", op);
  return {false, seen};
}

Probe EvalEvent(NodeId node, const std::vector<checkers::NodeEvent>& events,
                const std::string& type, int64_t since_ms) {
  std::string last_type;
  for (const auto& e : events) {
    if (e.ts_ms < since_ms) continue;
    if (e.type == type)
      return {true, fmt::format("n{} logged {}: {}", node, type, e.fields.Dump())};
    last_type = e.type;
  }
  return {false, last_type.empty() ? fmt::format("n{} logged no event since the step began", node)
                                   : fmt::format("n{}'s latest event: {}", node, last_type)};
}

std::vector<checkers::NodeEvent> ReadEventLog(const std::string& path, NodeId node) {
  std::vector<checkers::NodeEvent> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) continue;
    checkers::NodeEvent e;
    e.node = j.value("node", static_cast<int64_t>(node));
    e.ts_ms = checkers::FieldInt(j, "ts_ms", 0);
    e.type = j["type"].get<std::string>();
    e.fields = checkers::FieldList::FromJson(j);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace faultline::harness::scenario
