// The end-of-run reads of every key (ARCHITECTURE.md data flow 2: "final reads of every key"),
// one definition for every run (`faultline run`, the simulator): the leader first, then the other
// nodes in turn; each key is read until one read is ok, at most `attempts` times, with a backoff
// between attempts; final reads are logical processes from kFinalReadProcessBase, and an info
// read moves on to a new process (it may still be in flight).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "checkers/history.h"
#include "harness/client/client.h"
#include "harness/cluster/node.h"

namespace faultline::harness {

inline constexpr int64_t kFinalReadProcessBase = 1'000'000'000;     // final reads' processes
inline constexpr std::chrono::milliseconds kFinalReadBackoff{250};  // between attempts of a key

struct FinalReadPlan {
  std::vector<checkers::Op> reads;  // OpGenerator::FinalReads()
  std::vector<NodeId> nodes;        // every node
  std::optional<NodeId> leader;     // read first when known
  int attempts = 1;                 // per key
  int64_t first_index = 0;          // op indexes continue the run's stream
};

// `read(node, op)` performs one read and records it (op.index, process and node are set);
// `backoff()` waits between attempts; `interrupted()` ends the loop early. Returns how many keys
// no attempt could read.
int RunFinalReads(const FinalReadPlan& plan,
                  const std::function<OpResult(NodeId, const checkers::Op&)>& read,
                  const std::function<void()>& backoff, const std::function<bool()>& interrupted);

}  // namespace faultline::harness
