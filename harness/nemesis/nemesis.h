// Nemesis: turns a FaultSpec into action against a live cluster (Jepsen's Nemesis). It resolves the
// target at the moment of the fault (leader through the system's role probe, random choices from
// one seeded RNG), applies it, and returns what it did; Stop undoes one applied fault; HealAll
// undoes everything. There is no timing loop here: the run loop (or a scenario) decides when to
// Start and Stop and records both. What a kind does is read from its FaultKindInfo row (fault.h).
//
// Partitions are ADDITIVE: every partition fault in force contributes its grudge, and the
// partitioner always holds the union of the grudges of the faults in force. Stopping one
// partition removes only its own cuts. Link settings (delay, loss) stack the same way: a link
// carries the setting of the latest fault in force on it.
//
// Determinism: with the same seed, the same cluster answers and the same sequence of calls, the
// same nodes are chosen.
//
// Thread-safety: not thread-safe. Call from one thread at a time (the run loop's nemesis thread,
// then the end-of-run cleanup after that thread has been joined).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "common/status.h"
#include "harness/cluster/cluster_control.h"
#include "harness/nemesis/fault.h"
#include "harness/net/grudge.h"
#include "harness/net/partitioner.h"

namespace faultline::harness {

// A fault as it was actually applied: what the run loop records and what Stop undoes.
struct AppliedFault {
  int64_t id = 0;  // unique per Nemesis, from 1
  FaultSpec spec;
  // Resolved targets, ascending. Partitions: the isolated node for isolate-node, isolate-leader and
  // one-way; every node the grudge mentions for the other shapes.
  std::vector<NodeId> nodes;
  // Every node's role when the fault was resolved (kUnknown: not running or no answer).
  std::map<NodeId, Role> roles;
  std::optional<Grudge> grudge;  // kPartition only: this fault's own cuts
  std::vector<Link> links;       // link faults: directed links touched
  // "kill leader: node 2 (leading)", "partition isolate-leader: node 1 (leading) | 1 drops {2,3}; 2
  // drops {1}; 3 drops {1}".
  std::string description;
};

struct NemesisOptions {
  uint64_t seed = 1;
  // How long to look for a leader when a target or shape needs one.
  std::chrono::milliseconds leader_timeout{5000};
  // Per-node ROLE timeout when recording every node's role.
  std::chrono::milliseconds role_timeout{500};
  // Record every node's role with each fault. A scenario turns it off: its steps name their nodes
  // and record their own resolutions, and a role query to a paused node would delay the step by
  // role_timeout.
  bool record_roles = true;
};

class Nemesis {
 public:
  // `cluster` and `partitioner` must outlive the Nemesis. `partitioner` may be null: partition,
  // delay and loss faults then fail with Unavailable.
  Nemesis(ClusterControl& cluster, Partitioner* partitioner, NemesisOptions options = {});

  // Resolves and applies one fault. Errors (then nothing was applied):
  //   InvalidArgument  bad spec: delay_ms <= 0, loss outside (0,1], unknown explicit id or link
  //                    end, delay/loss on a partitioner without link faults
  //   Unavailable      no leader within leader_timeout for a leader-based target or shape; no
  //                    eligible node (kill/pause/restart only pick running nodes); no partitioner
  //   other            the cluster or partitioner call failed for every target node
  // When some of several target nodes fail, the fault is applied to the rest and the failures are
  // named in the description.
  Result<AppliedFault> Start(const FaultSpec& spec);

  // Undoes one applied fault: start killed nodes, resume paused ones, remove its own cuts (the
  // union of the other partitions in force stays), remove its delay / loss on its links. A node
  // that is no longer in the state the fault left it in (already restarted, say) is skipped. The
  // first error is returned after trying everything.
  Status Stop(const AppliedFault& fault);

  // The union of the grudges of the partitions in force.
  Grudge GrudgeInForce() const;

  // Back to a healthy cluster whatever happened: heal the network (Heal: grudge, delay, loss),
  // resume every paused node, start every node that is killed or exited unexpectedly. The first
  // error is returned after trying everything.
  Status HealAll();

 private:
  Status Validate(const FaultSpec& spec) const;
  // `count` distinct nodes drawn from `pool` with rng_, ascending.
  std::vector<NodeId> Draw(std::vector<NodeId> pool, size_t count);
  // The target's nodes among `eligible`; `leader` is set when the target needs one.
  Result<std::vector<NodeId>> Resolve(const Target& target, const std::vector<NodeId>& all,
                                      const std::vector<NodeId>& eligible,
                                      std::optional<NodeId> leader);

  Result<AppliedFault> StartProcess(const FaultSpec& spec, AppliedFault fault,
                                    const std::vector<NodeId>& all,
                                    const std::vector<NodeId>& eligible,
                                    std::optional<NodeId> leader);
  Result<AppliedFault> StartPartition(const FaultSpec& spec, AppliedFault fault,
                                      const std::vector<NodeId>& all, std::optional<NodeId> leader);
  Result<AppliedFault> StartLink(const FaultSpec& spec, AppliedFault fault,
                                 const std::vector<NodeId>& all, std::optional<NodeId> leader);
  // Sets every link's effective delay / loss from the faults in force on it.
  Status ApplyLink(FaultKind kind, const Link& link);

  ClusterControl& cluster_;
  Partitioner* partitioner_;
  NemesisOptions options_;
  std::mt19937_64 rng_;
  int64_t next_id_ = 1;
  std::map<int64_t, Grudge> grudges_;  // partitions in force, by fault id
  // Link faults in force: (kind, link) -> (fault id, value) in start order; the last one holds.
  std::map<std::pair<FaultKind, Link>, std::vector<std::pair<int64_t, double>>> link_settings_;
};

}  // namespace faultline::harness
