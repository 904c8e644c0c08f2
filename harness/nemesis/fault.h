// Fault vocabulary (ARCHITECTURE.md, fault model): what a fault does (FaultKind), whom it hits
// (Target, resolved at run time), how a partition is shaped (PartitionShape). Plain values plus the
// names used in suite YAML files, so the spec parser and the reports agree.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "harness/cluster/node.h"
#include "harness/net/grudge.h"

namespace faultline::harness {

enum class FaultKind {
  kKill,       // SIGKILL; Stop starts the node again with the same data
  kPause,      // SIGSTOP; Stop sends SIGCONT
  kPartition,  // a grudge of the given shape; Stop heals the partition
  kRestart,    // SIGKILL then start at once; Stop does nothing (the fault is instantaneous)
  kDelay,      // proxy only: delay_ms on every link to and from the target nodes; Stop removes it
  kLoss,       // proxy only: loss on every link to and from the target nodes; Stop removes it
  // SIGKILL of nodes that run in power-loss mode (DbOptions::power_loss; only a system whose
  // SystemTraits::power_loss says so): they lose what they had not fsynced, as in a power cut.
  // Stop starts them again with the same (durable) data.
  kPowerLoss,
};

enum class TargetKind {
  kRandomNode,  // one node drawn from the seeded RNG
  kLeader,      // the node leading now (ROLE); the fault fails with Unavailable if none is found
  kFollowers,   // every node except the leader (needs a leader)
  kFollower,    // one node other than the leader, drawn at random (needs a leader)
  kMinority,    // floor(n/2) nodes drawn at random (3 -> 1, 5 -> 2)
  kMajority,    // floor(n/2)+1 nodes drawn at random (3 -> 2, 5 -> 3)
  kAll,         // every node
  kExplicit,    // Target::ids
};

enum class PartitionShape {
  kHalves,          // grudge.h Halves
  kRandomHalves,    // RandomHalves, seeded from the nemesis RNG
  kIsolateNode,     // IsolateNode of one node drawn from the resolved target
  kIsolateLeader,   // IsolateNode of the leader (the target is ignored)
  kMajoritiesRing,  // MajoritiesRing in node-id order
  kBridge,          // Bridge in node-id order
  kOneWay,          // OneWayIsolate of one node drawn from the resolved target
};

struct Target {
  TargetKind kind = TargetKind::kRandomNode;
  std::vector<NodeId> ids;  // kExplicit only
};

struct FaultSpec {
  FaultKind kind = FaultKind::kKill;
  Target target;
  PartitionShape shape = PartitionShape::kIsolateLeader;  // kPartition only
  int delay_ms = 0;                                       // kDelay only, > 0
  double loss_probability = 0.0;                          // kLoss only, in (0, 1]
};

// A fault as it was actually applied: what the run loop records and what Stop undoes.
struct AppliedFault {
  FaultSpec spec;
  // Resolved targets, ascending. Partitions: the isolated node for isolate-node, isolate-leader and
  // one-way; every node the grudge mentions for the other shapes.
  std::vector<NodeId> nodes;
  // Every node's role when the fault was resolved (kUnknown: not running or no answer).
  std::map<NodeId, Role> roles;
  std::optional<Grudge> grudge;                  // kPartition only
  std::vector<std::pair<NodeId, NodeId>> links;  // kDelay / kLoss: directed links touched
  // "kill leader: node 2 (leading)", "partition isolate-leader: node 1 (leading) | 1 drops {2,3}; 2
  // drops {1}; 3 drops {1}".
  std::string description;
};

// Names as written in suite files: kill pause partition restart delay loss power-loss / random
// leader followers follower minority majority all / halves random-halves isolate-node
// isolate-leader majorities-ring bridge one-way. Parse* return InvalidArgument naming the bad word
// and listing the valid ones.
std::string_view FaultKindName(FaultKind kind);
std::string_view TargetKindName(TargetKind kind);
std::string_view PartitionShapeName(PartitionShape shape);
Result<FaultKind> ParseFaultKind(std::string_view name);
Result<TargetKind> ParseTargetKind(std::string_view name);
Result<PartitionShape> ParsePartitionShape(std::string_view name);
// "leader", "minority", ... or explicit ids "1,3" / "2".
Result<Target> ParseTarget(std::string_view text);

// "kill leader", "partition isolate-leader", "delay 200ms all", "pause nodes 1,3".
std::string DescribeSpec(const FaultSpec& spec);

}  // namespace faultline::harness
