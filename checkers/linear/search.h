// The linearizability search for one partition: Wing & Gong's backtracking over an entry list
// (Lowe's "JIT" variant as in Porcupine) with Lowe's memoization of (linearized set, model state).
//
// Beyond Porcupine:
//   - the memo is an open-addressing table keyed by an incrementally maintained Zobrist hash of
//     the linearized set (O(1) per step instead of hashing the bitset), bitsets in one arena;
//   - read-only ops are linearized as soon as they are legal and never branched on (a
//     linearization that places a read later can place it here; the state is unchanged), which
//     removes the 2^reads blow-up of concurrent reads;
//   - ops that may never take effect (info, open) do not have to be linearized: the search
//     succeeds when every ok op is;
//   - two candidate orders take turns with growing state budgets (each alone is complete):
//     acknowledged ops before those that may never take effect (whose calls stay in the entry
//     list to the end and would be tried first every time), and plain entry order (better when
//     timed-out ops took effect at once);
//   - of interchangeable ops that may never take effect (same effect class, PartitionModel::
//     EffectClass), only the earliest waiting one is tried: no permutations of twins;
//   - unacknowledged ops the model calls irrelevant (PartitionModel::Irrelevant: nothing can
//     observe what they write) are never tried;
//   - subsumption in the memo: a configuration is dropped when one with the same state, the same
//     ok ops linearized and a subset of its unrequired ops linearized was already visited.
// On Porcupine's 102 Jepsen etcd logs these cut the states explored from 374,694 to 8,359.
// Budgets: a deadline, a shared memory counter and a stop flag; exceeding any yields kUnknown.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "checkers/checkers.h"
#include "checkers/linear/model.h"

namespace faultline::checkers {

struct SearchOp {
  int64_t call = 0;      // invoke time
  int64_t ret = 0;       // completion time; ignored (infinite) when !required
  bool required = true;  // ok op: must be linearized; false: may take effect any time, or never
};

struct SearchLimits {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  int64_t memory_limit_bytes = int64_t{1} << 30;
  std::atomic<int64_t>* memory_used = nullptr;  // shared by concurrent searches; may be null
  std::atomic<int64_t>* memory_peak = nullptr;
  const std::atomic<bool>* stop = nullptr;  // set by another thread: give up (kUnknown)
};

struct SearchResult {
  Verdict verdict = Verdict::kUnknown;
  std::string reason;
  int64_t states_explored = 0;
  int64_t cache_bytes = 0;
  // kInvalid: ops of the longest linearizable prefix found and the op (index into ops) whose
  // return could not be reached, for explanations.
  std::vector<int> best_prefix;
  int stuck_op = -1;
};

// `ops[i]` describes op i of `model`. Calls are ordered before returns at equal times (ops that
// touch at an instant are concurrent: never a false "invalid").
SearchResult SearchLinearization(PartitionModel& model, const std::vector<SearchOp>& ops,
                                 const SearchLimits& limits);

}  // namespace faultline::checkers
