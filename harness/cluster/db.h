// Db: a running cluster of the system under test as the run loop sees it (Jepsen's Db): the
// nemesis's ClusterControl plus the lifecycle around a run. The generic process supervisor
// (cluster.h) implements it for every real system; the fake system (harness/systems/fake)
// implements it in process. Node ids are 1..N.
//
// Contract (in addition to ClusterControl's):
//   - StartAll starts every node that is not running or paused; the first failure is returned and
//     the nodes started so far keep running.
//   - StopAll kills every live node and waits until it is gone; states become kNotStarted. It is
//     idempotent, and the destructor does the same: nothing the Db started outlives it.
//   - WaitUntilServing returns once every running node answers the system's liveness probe.
//   - QueryRole asks one node what it is. A system that cannot tell answers Unavailable with a
//     sentence saying so (CanQueryRoles() is then false, and leader-based fault targets fail
//     with that sentence instead of timing out).
//   - SetPeerRoute (proxy mode; before the node's next start): node `from` dials `to`'s peer port
//     `port` at `endpoint` instead of the real address. InvalidArgument for unknown ids or ports.
//   - DrainUnexpectedExits: exits the Db noticed but did not cause, oldest first, each once.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/cluster/cluster_control.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

class Db : public ClusterControl {
 public:
  virtual Status StartAll() = 0;
  virtual Status StopAll() = 0;
  virtual Status WaitUntilServing(std::chrono::milliseconds timeout) = 0;
  virtual Result<RoleInfo> QueryRole(NodeId id, std::chrono::milliseconds timeout) = 0;
  virtual bool CanQueryRoles() const = 0;
  virtual Status SetPeerRoute(NodeId from, NodeId to, const std::string& port,
                              Endpoint endpoint) = 0;
  virtual std::vector<NodeInfo> Infos() const = 0;
  virtual NodeInfo Info(NodeId id) const = 0;  // id must exist
  virtual std::vector<UnexpectedExit> DrainUnexpectedExits() = 0;

  // Kill (when live) then Start with the same data.
  Status Restart(NodeId id);
};

}  // namespace faultline::harness
