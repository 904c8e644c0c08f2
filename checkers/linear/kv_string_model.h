// The Porcupine key-value model (get / put / append on one string per key) with hash-consed
// states: a state is a chain node (parent state, appended value), so an append costs O(1) instead
// of copying the string. Each node carries a polynomial hash and the length of its string; a get
// is legal when hash and length match and the string really is equal (verified once per node and
// get, so a hash collision can never make a history valid).
//
// Pruning (Viable): with no put among the candidates, the state only grows until the earliest
// returning get is linearized, so the state must be a prefix of that get's value.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checkers/linear/model.h"

namespace faultline::checkers {

// Accepts partitions of kGet/kPut/kAppend (kRead/kWrite are treated as get/put).
std::unique_ptr<PartitionModel> MakeKvStringModel(const std::vector<const Op*>& ops,
                                                  const std::optional<std::string>& initial);

}  // namespace faultline::checkers
