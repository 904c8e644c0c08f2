// ClusterView: what a scenario step asks of the live cluster. ROLE/INFO snapshots of every node,
// and node selectors (scenario.h) resolved against them: `leader` through ROLE (waiting up to the
// scenario's timeout), followers from the controller's process states, bindings from the run's
// record. Holds references to the Cluster and the bindings (both owned by the runner, which
// outlives the view). Used by one thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/db.h"
#include "harness/scenario/scenario.h"
#include "harness/scenario/wait.h"
#include "harness/system/system.h"

namespace faultline::harness::scenario {

// "n1, n3"; "(none)" when empty.
std::string Names(const std::vector<NodeId>& ids);

// Per-step memo: `leader` is resolved once per step, so `leader` and `followers` agree.
struct StepContext {
  std::optional<NodeId> leader;
  std::vector<std::string> resolved;  // "leader=n3", for the narrative
};

class ClusterView {
 public:
  ClusterView(Db& cluster, System& system, int nodes, int leader_timeout_ms,
              const std::map<std::string, std::vector<NodeId>>& bindings)
      : cluster_(cluster),
        system_(system),
        nodes_(nodes),
        leader_timeout_ms_(leader_timeout_ms),
        bindings_(bindings) {}

  // The role of every running node (and the state digest when asked and the system has one);
  // never fails. For a system without ROLE phases (SystemTraits::role_phases false) a node that
  // leads or follows is reported in phase "broadcast" with last_committed = last_zxid, so that
  // `agree` means: one leader, everyone at the same zxid.
  std::vector<NodeStatus> Statuses(bool with_digest);
  NodeStatus Status(NodeId id, bool with_digest = false);
  // Nodes running or paused, by id.
  std::vector<NodeId> Started();
  // The union of the selector's terms, ascending. Unavailable when a role cannot be resolved
  // (no leader within the timeout, fewer followers than asked for). Records each resolution in
  // ctx.resolved.
  Result<std::vector<NodeId>> Resolve(const Selector& sel, StepContext& ctx);

 private:
  std::optional<std::string> Digest(NodeId id);
  Result<NodeId> Leader(StepContext& ctx);
  Result<std::vector<NodeId>> Followers(StepContext& ctx);
  Result<std::vector<NodeId>> ResolveTerm(const std::string& t, StepContext& ctx);

  Db& cluster_;
  System& system_;
  const int nodes_;
  const int leader_timeout_ms_;
  const std::map<std::string, std::vector<NodeId>>& bindings_;
};

}  // namespace faultline::harness::scenario
