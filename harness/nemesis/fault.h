// Fault vocabulary (ARCHITECTURE.md, fault model): what a fault does (FaultKind), whom it hits
// (Target, resolved at run time), how a partition is shaped (PartitionShape). Plain values plus
// the names used in suite YAML files, so the spec parser, the nemesis and the reports agree.
//
// Fault kinds are data: one FaultKindInfo row per kind (FaultKinds()) says its name, its class
// (what the nemesis does with it), which parameters it takes and whether it is instantaneous. The
// spec parser, the schedule generator and the nemesis read the table, so adding a kind is one
// enum value, one row, and (for a new class of action) one case in the nemesis. Faults never
// touch a system: process faults go through the Db (harness/cluster/db.h), network faults through
// the Partitioner.
//
// This header has no dependency beyond node ids, so the spec parser links it without the nemesis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

enum class FaultKind {
  kKill,       // SIGKILL; Stop starts the node again with the same data
  kPause,      // SIGSTOP; Stop sends SIGCONT
  kPartition,  // a grudge of the given shape; Stop removes it (other partitions stay)
  kRestart,    // SIGKILL then start at once; instantaneous
  kDelay,      // proxy only: delay_ms on the links of the target nodes; Stop removes it
  kLoss,       // proxy only: loss on the links of the target nodes; Stop removes it
  // SIGKILL of nodes that run in power-loss mode (DbOptions::power_loss; only a system whose
  // SystemTraits::power_loss says so): they lose what they had not fsynced, as in a power cut.
  // Stop starts them again with the same (durable) data.
  kPowerLoss,
};

// What the nemesis does with a kind.
enum class FaultClass {
  kProcess,    // acts on target nodes' processes through the Db (ProcessAction)
  kPartition,  // a grudge through the Partitioner
  kLink,       // per-link settings through a Partitioner with SupportsLinkFaults()
};

enum class ProcessAction { kNone, kKill, kPause, kKillThenStart };

struct FaultKindInfo {
  FaultKind kind;
  std::string_view name;  // as written in suites
  FaultClass fault_class;
  ProcessAction action;  // kProcess only
  bool instantaneous;    // nothing to undo at Stop (its stop is recorded at once)
  bool takes_delay;      // `delay:` parameter
  bool takes_loss;       // `loss:` parameter
  // The run must start every node in power-loss mode (DbOptions::power_loss) for this kind to
  // mean what it says; a system without SystemTraits::power_loss refuses it before any run row.
  bool needs_power_loss_mode;
  std::string_view help;
};

// Every kind, in the order names are listed in messages.
const std::vector<FaultKindInfo>& FaultKinds();
const FaultKindInfo& KindInfo(FaultKind kind);
bool IsNetworkFault(FaultKind kind);  // partition and link classes: need a partitioner
bool IsLinkFault(FaultKind kind);     // link class: needs the proxy
bool NeedsPowerLossMode(FaultKind kind);

enum class TargetKind {
  kRandomNode,  // one node drawn from the seeded RNG
  kLeader,      // the node leading now; the fault fails with Unavailable if none is found
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
  kLinks,           // FaultSpec::links exactly (scenario cuts; not a suite shape name)
};

struct Target {
  TargetKind kind = TargetKind::kRandomNode;
  std::vector<NodeId> ids;  // kExplicit only
  bool operator==(const Target&) const = default;
};

// A directed link: packets from `first` to `second`.
using Link = std::pair<NodeId, NodeId>;

struct FaultSpec {
  FaultKind kind = FaultKind::kKill;
  Target target;
  PartitionShape shape = PartitionShape::kIsolateLeader;  // kPartition only
  int delay_ms = 0;                                       // kDelay only, > 0
  double loss_probability = 0.0;                          // kLoss only, in (0, 1]
  // Explicit directed links instead of a target: kPartition with shape kLinks (packets from
  // first to second dropped), and kDelay / kLoss on exactly these links.
  std::vector<Link> links;
  bool operator==(const FaultSpec&) const = default;
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
Result<PartitionShape> ParsePartitionShape(std::string_view name);  // suite shapes only
// "leader", "minority", ... or explicit ids "1,3" / "2".
Result<Target> ParseTarget(std::string_view text);
std::string TargetText(const Target& target);  // ParseTarget's inverse: "leader", "1,3"

std::vector<std::string> FaultKindNames();
std::vector<std::string> TargetNames();  // without explicit ids
std::vector<std::string> ShapeNames();   // suite shapes (not kLinks)

// Whether the partition shape picks its node from the target (isolate-node, one-way).
bool ShapeUsesTarget(PartitionShape shape);

// "kill leader", "partition isolate-leader", "delay 200ms all", "pause nodes 1,3".
std::string DescribeSpec(const FaultSpec& spec);

}  // namespace faultline::harness
