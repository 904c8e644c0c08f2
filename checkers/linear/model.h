// Sequential specifications for the linearizability search, compiled for one partition (one key,
// or the whole history for multi-register).
//
// A PartitionModel owns its own value and state tables, so one instance is used by one thread.
// States are opaque uint64 ids (a value id, a mutex bit, or an id into an interned state table),
// which lets the search memoize (linearized set, state) cheaply whatever the model.
// To add a model: subclass PartitionModel and add a case to MakePartitionModel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkers/checkers.h"
#include "checkers/history.h"

namespace faultline::checkers {

class PartitionModel {
 public:
  virtual ~PartitionModel() = default;
  virtual uint64_t Init() = 0;
  // Applies op `i` (index into the partition's op list) to `state`. Returns false when the op's
  // result is impossible in that state (the op cannot be linearized there).
  virtual bool Step(uint64_t state, int i, uint64_t* next) = 0;
  // True if op `i` never changes the state (reads). The search linearizes such an op as soon as it
  // is legal: any linearization that places it later can place it here instead.
  virtual bool ReadOnly(int i) const = 0;
  virtual std::string DescribeState(uint64_t state) const = 0;
  // Pruning hint. `upcoming` is the head of the entry list after the op just linearized: calls
  // (ops that may still be linearized) and returns (ops that must be linearized by then), in time
  // order, up to a few returns. Returns false only if no continuation from `state` can make every
  // listed return legal. Default: true.
  struct Entry {
    int op;
    bool call;
  };
  virtual bool Viable(uint64_t state, const std::vector<Entry>& upcoming) { return true; }
  // Which entries Viable needs to see (the search keeps them on a side list, so the scan skips
  // everything else). Models without Viable watch nothing and are never asked.
  virtual bool Watched(int op, bool call) const { return false; }
  // Ops with equal effect classes have the same Step in every state (same function, same
  // arguments), so the search may treat unrequired ones as interchangeable. kNoEffectClass: unique.
  static constexpr uint64_t kNoEffectClass = ~uint64_t{0};
  virtual uint64_t EffectClass(int i) const { return kNoEffectClass; }
  // For an op that need not be linearized (info, open): true when it can be left out of every
  // linearization (nothing can observe what it writes), so the search never tries it. Must hold
  // for every linearization: the search relies on it. Default: false.
  virtual bool Irrelevant(int i) const { return false; }
  // Bytes held by the model's tables (counted against the memory budget).
  virtual int64_t MemoryBytes() const { return 0; }
};

// `ops` must outlive the model. Ops whose f does not belong to the model make it fail: returns
// nullptr and sets *error.
std::unique_ptr<PartitionModel> MakePartitionModel(const ModelOptions& options,
                                                   const std::vector<const Op*>& ops,
                                                   const std::optional<std::string>& initial,
                                                   std::string* error);

}  // namespace faultline::checkers
