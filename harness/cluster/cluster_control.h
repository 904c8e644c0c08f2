// ClusterControl: the narrow view of a running cluster that the nemesis needs (Jepsen's Db
// protocol). `Cluster` implements it with real processes; unit tests implement it with a fake.
#pragma once

#include <chrono>
#include <map>
#include <vector>

#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

class ClusterControl {
 public:
  virtual ~ClusterControl() = default;

  // Every configured node id, ascending.
  virtual std::vector<NodeId> NodeIds() const = 0;
  virtual NodeState State(NodeId id) const = 0;

  // Asks `ROLE` of every node whose state is kRunning, at most `timeout` per node. Nodes that do
  // not answer (or are not running) map to kUnknown. Never fails.
  virtual std::map<NodeId, Role> Roles(std::chrono::milliseconds timeout) = 0;

  // The node that answers `ROLE` with `leading`, polling until `timeout` has passed. When two nodes
  // claim leadership (an old leader not yet stepped down) the one with the highest epoch wins.
  // Timeout status when no running node leads within `timeout`.
  virtual Result<NodeId> FindLeader(std::chrono::milliseconds timeout) = 0;

  // Process control. Each returns once the effect is certain: Kill after the process is reaped,
  // Start after the process is spawned (not after it serves), Pause/Resume after the signal is
  // delivered. Errors: InvalidArgument for an unknown id; Unavailable when the state does not allow
  // it (Kill of a node not running or paused, Pause of a node not running, Resume of a node not
  // paused, Start of a node that is running or paused).
  virtual Status Start(NodeId id) = 0;
  virtual Status Kill(NodeId id) = 0;
  virtual Status Pause(NodeId id) = 0;
  virtual Status Resume(NodeId id) = 0;
};

}  // namespace faultline::harness
