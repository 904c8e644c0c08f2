// Internal pieces of CheckLinearizable: splitting a history into independent partitions
// (P-compositionality), checking one partition, shrinking an illegal one, explaining it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checkers/checkers.h"
#include "checkers/history.h"
#include "checkers/linear/search.h"

namespace faultline::checkers {

struct Partition {
  std::string key;
  std::vector<const Op*> ops;  // sorted by invoke time, then index
};

// One partition per key (one for the whole history with multi-register). Fail ops are dropped
// (they never happened); so are read-only ops that are not ok (they constrain nothing).
std::vector<Partition> SplitByKey(const History& history, const ModelOptions& model);

// Runs the search on `ops`. kUnknown with the reason when the model rejects an op.
SearchResult CheckPartition(const ModelOptions& model, const std::vector<const Op*>& ops,
                            const std::optional<std::string>& initial, const SearchLimits& limits);

// True when every ok read of `ops` observes only values written by ops of `ops` (or the initial
// value): the property shrinking preserves when the full history has it.
bool ObservedValuesSupported(const std::vector<const Op*>& ops,
                             const std::optional<std::string>& initial);

struct Shrunk {
  std::vector<const Op*> ops;  // still illegal
  bool attempted = false;      // false: shrinking was switched off
  bool minimal = false;        // no single op can be removed (false if the deadline cut it short)
  SearchResult search;         // the search on `ops` (stuck_op indexes `ops`)
  int candidates = 0;          // sub-histories searched while shrinking
};

// Removes ops (halves, quarters, ..., then single ops until a fixpoint) while the history stays
// illegal and, when the full history has that property, every ok read (and cas) still observes
// values that remaining ops wrote. The result is 1-minimal under that predicate (`minimal`). When
// some read observes a value no op wrote, that read alone is the result. Budget: 5 s per key,
// 200 ms and 64 MB per candidate (a candidate that runs out keeps its ops). `ops` must be illegal.
Shrunk ShrinkIllegal(const ModelOptions& model, std::vector<const Op*> ops,
                     const std::optional<std::string>& initial,
                     std::chrono::steady_clock::time_point deadline);

// Text for an illegal partition: which op could not be explained (for a read: its value, the
// writes of that value in the whole partition and the other writes it could have seen), a
// timeline of the shrunk ops (one row per process) and the faults active around them.
struct Explanation {
  std::string summary;  // one paragraph
  std::string detail;   // multi-line timeline
  int64_t start_ns = 0, end_ns = 0;
};
Explanation ExplainIllegal(const Partition& full, const Shrunk& shrunk,
                           const std::vector<Fault>& faults);

}  // namespace faultline::checkers
