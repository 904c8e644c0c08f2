#include "harness/nemesis/fake_cluster.h"

#include <fmt/format.h>

namespace faultline::harness {

FakeCluster::FakeCluster(int n, NodeId leader_id) : leader(leader_id) {
  for (NodeId id = 1; id <= n; ++id) states[id] = NodeState::kRunning;
}

std::vector<NodeId> FakeCluster::NodeIds() const {
  std::vector<NodeId> ids;
  for (const auto& [id, state] : states) ids.push_back(id);
  return ids;
}

NodeState FakeCluster::State(NodeId id) const { return states.at(id); }

std::map<NodeId, Role> FakeCluster::Roles(std::chrono::milliseconds) {
  std::map<NodeId, Role> roles;
  for (const auto& [id, state] : states) {
    roles[id] = state != NodeState::kRunning ? Role::kUnknown
                : leader == id               ? Role::kLeading
                : leader                     ? Role::kFollowing
                                             : Role::kLooking;
  }
  return roles;
}

Result<NodeId> FakeCluster::FindLeader(std::chrono::milliseconds) {
  if (leader && states.at(*leader) == NodeState::kRunning) return *leader;
  return Status::Timeout("no leader");
}

Status FakeCluster::Start(NodeId id) {
  calls.push_back(fmt::format("start {}", id));
  NodeState& s = states.at(id);
  if (s == NodeState::kRunning || s == NodeState::kPaused) return Status::Unavailable("alive");
  s = NodeState::kRunning;
  return Status::Ok();
}

Status FakeCluster::Kill(NodeId id) {
  calls.push_back(fmt::format("kill {}", id));
  if (auto it = fail_kill.find(id); it != fail_kill.end()) return it->second;
  NodeState& s = states.at(id);
  if (s != NodeState::kRunning && s != NodeState::kPaused) return Status::Unavailable("dead");
  s = NodeState::kKilled;
  return Status::Ok();
}

Status FakeCluster::Pause(NodeId id) {
  calls.push_back(fmt::format("pause {}", id));
  NodeState& s = states.at(id);
  if (s != NodeState::kRunning) return Status::Unavailable("not running");
  s = NodeState::kPaused;
  return Status::Ok();
}

Status FakeCluster::Resume(NodeId id) {
  calls.push_back(fmt::format("resume {}", id));
  NodeState& s = states.at(id);
  if (s != NodeState::kPaused) return Status::Unavailable("not paused");
  s = NodeState::kRunning;
  return Status::Ok();
}

Status FakePartitioner::Apply(const Grudge& g) {
  grudge = g;
  return Status::Ok();
}

Status FakePartitioner::Heal() {
  ++heals;
  grudge.clear();
  delays.clear();
  losses.clear();
  return Status::Ok();
}

Status FakePartitioner::SetDelay(NodeId from, NodeId to, int delay_ms) {
  if (!link_faults_) return Status::Unavailable("no link faults");
  if (delay_ms == 0) {
    delays.erase({from, to});
  } else {
    delays[{from, to}] = delay_ms;
  }
  return Status::Ok();
}

Status FakePartitioner::SetLoss(NodeId from, NodeId to, double probability) {
  if (!link_faults_) return Status::Unavailable("no link faults");
  if (probability == 0.0) {
    losses.erase({from, to});
  } else {
    losses[{from, to}] = probability;
  }
  return Status::Ok();
}

}  // namespace faultline::harness
