// FakeCluster and FakePartitioner: in-memory stand-ins for nemesis unit tests. They record every
// call and obey the ClusterControl / Partitioner contracts on states, without processes. Not
// thread-safe (tests drive them from one thread).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/cluster/cluster_control.h"
#include "harness/net/partitioner.h"

namespace faultline::harness {

class FakeCluster : public ClusterControl {
 public:
  explicit FakeCluster(int n, NodeId leader = 1);

  std::vector<NodeId> NodeIds() const override;
  NodeState State(NodeId id) const override;
  std::map<NodeId, Role> Roles(std::chrono::milliseconds timeout) override;
  Result<NodeId> FindLeader(std::chrono::milliseconds timeout) override;
  Status Start(NodeId id) override;
  Status Kill(NodeId id) override;
  Status Pause(NodeId id) override;
  Status Resume(NodeId id) override;

  std::optional<NodeId> leader;        // who answers `leading` (when running)
  std::map<NodeId, NodeState> states;  // all kRunning at first
  std::map<NodeId, Status> fail_kill;  // Kill(id) returns this instead
  std::vector<std::string> calls;      // "kill 2", "start 2", "pause 1", "resume 1"
};

class FakePartitioner : public Partitioner {
 public:
  explicit FakePartitioner(bool link_faults = true) : link_faults_(link_faults) {}
  Status Apply(const Grudge& grudge) override;
  Status Heal() override;
  bool SupportsLinkFaults() const override { return link_faults_; }
  Status SetDelay(NodeId from, NodeId to, int delay_ms) override;
  Status SetLoss(NodeId from, NodeId to, double probability) override;
  std::string Name() const override { return "fake"; }

  Grudge grudge;
  std::map<std::pair<NodeId, NodeId>, int> delays;     // only non-zero entries
  std::map<std::pair<NodeId, NodeId>, double> losses;  // only non-zero entries
  int heals = 0;

 private:
  bool link_faults_;
};

}  // namespace faultline::harness
