// Condition waits for scenarios: a clock seam, a polling loop with a timeout that reports what it
// last saw, and the pure evaluators of each condition kind (scenario.h ConditionKind) over
// snapshots read from the servers (ROLE, INFO) and their event logs. Everything here is pure or
// behind the Clock seam, so the wait logic is unit-tested without processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness::scenario {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point Now() = 0;
  virtual void Sleep(std::chrono::milliseconds d) = 0;
};
Clock& RealClock();

// One evaluation of a condition: whether it holds, and what was seen (for the timeout message
// and the narrative), e.g. "n2 logged up to 0x100000002".
struct Probe {
  bool met = false;
  std::string seen;
  // EvalAgree only: everything agrees but the state digests (the replicas diverged).
  bool diverged = false;
};

// Evaluates `probe` at once, then every `poll` until it holds or `timeout` has passed (the probe
// is evaluated one last time at the deadline). Ok with *last = the satisfying probe, or Timeout
// "<what>: not reached within <T> ms; last seen: <seen>".
Status WaitUntil(const std::function<Probe()>& probe, std::chrono::milliseconds timeout,
                 std::chrono::milliseconds poll, Clock& clock, const std::string& what,
                 Probe* last = nullptr);

// What the controller saw of one node at one moment.
struct NodeStatus {
  NodeId id = 0;
  bool running = false;               // the process is running (not killed, paused or stopped)
  std::optional<RoleInfo> role;       // nullopt: no ROLE answer
  std::optional<std::string> digest;  // INFO state_digest, when read
  // role->last_committed says nothing about the node's history (ClusterView: on a system without
  // ROLE phases, a zxid with counter 0, as ZooKeeper's leader reports before its epoch's first
  // txn).
  bool committed_unknown = false;
};

// "0x100000003"; "0x0" for zero.
std::string Zx(int64_t zxid);
std::string DescribeStatuses(const std::vector<NodeStatus>& nodes);  // "n1 leading e2 lc=0x.."

// Every running node answers ROLE in phase broadcast with exactly one leader among them, the
// same last_committed (nodes whose position is unknown left out), and (where read) the same state
// digest. At least one node must run.
Probe EvalAgree(const std::vector<NodeStatus>& nodes);
// Some running node answers ROLE leading, phase broadcast, epoch > `epoch`.
Probe EvalLeaderEpochAbove(const std::vector<NodeStatus>& nodes, int64_t epoch);
// `node` answers ROLE with `role` (and `phase` if not empty).
Probe EvalRole(const NodeStatus& node, const std::string& role, const std::string& phase);
// `events` (one node's log) holds a `logged` range containing `zxid`; nullopt zxid: not met
// (the op's zxid is not known yet), `op` names it in the message.
Probe EvalLogged(NodeId node, const std::vector<checkers::NodeEvent>& events,
                 std::optional<int64_t> zxid, const std::string& op);
// `events` holds an event of `type` with ts_ms >= since_ms.
Probe EvalEvent(NodeId node, const std::vector<checkers::NodeEvent>& events,
                const std::string& type, int64_t since_ms);

// One node's JSON-lines event log (docs/contracts.md section 3). A missing file is empty; torn
// or unparsable lines are skipped.
std::vector<checkers::NodeEvent> ReadEventLog(const std::string& path, NodeId node);

}  // namespace faultline::harness::scenario
