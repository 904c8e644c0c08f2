// Nemesis: turns a FaultSpec into action against a live cluster (Jepsen's Nemesis). It resolves the
// target at the moment of the fault (leader through ROLE, random choices from one seeded RNG),
// applies it, and returns what it did; Stop undoes one applied fault; HealAll undoes everything.
// There is no timing loop here: the run loop decides when to Start and Stop and records both.
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
#include "harness/net/partitioner.h"

namespace faultline::harness {

struct NemesisOptions {
  uint64_t seed = 1;
  // How long to look for a leader when a target or shape needs one.
  std::chrono::milliseconds leader_timeout{5000};
  // Per-node ROLE timeout when recording every node's role.
  std::chrono::milliseconds role_timeout{500};
};

class Nemesis {
 public:
  // `cluster` and `partitioner` must outlive the Nemesis. `partitioner` may be null: partition,
  // delay and loss faults then fail with Unavailable.
  Nemesis(ClusterControl& cluster, Partitioner* partitioner, NemesisOptions options = {});

  // Resolves and applies one fault. Errors (then nothing was applied):
  //   InvalidArgument  bad spec: delay_ms <= 0, loss outside (0,1], unknown explicit id,
  //                    delay/loss on a partitioner without link faults
  //   Unavailable      no leader within leader_timeout for a leader-based target or shape; no
  //                    eligible node (kill/pause/restart only pick running nodes); no partitioner
  //   other            the cluster or partitioner call failed for every target node
  // When some of several target nodes fail, the fault is applied to the rest and the failures are
  // named in the description.
  Result<AppliedFault> Start(const FaultSpec& spec);

  // Undoes one applied fault: start killed nodes, resume paused ones, heal the partition
  // (Apply({})), remove delay / loss on its links. A node that is no longer in the state the fault
  // left it in (already restarted, say) is skipped. The first error is returned after trying
  // everything.
  Status Stop(const AppliedFault& fault);

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

  ClusterControl& cluster_;
  Partitioner* partitioner_;
  NemesisOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace faultline::harness
