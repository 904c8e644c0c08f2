// Delta debugging (Zeller and Hildebrandt's ddmin) over the entries of a fault schedule: the
// smallest subset of 0..n-1 that still makes the test reproduce, 1-minimal (removing any one
// entry stops it reproducing) when the search completes.
//
// The full set is assumed to reproduce (it is the recorded failing run). The empty set is tried
// first (a fault point may lose data without any fault). Then ddmin proper: split the current
// set into k chunks, try each chunk, then each complement; keep the first that reproduces;
// otherwise double k until every chunk is one entry. Each distinct subset is tested once (a test
// that is flaky must do its own retrying: shrink tries each candidate up to --tries times).
//
// A test may answer kInterrupted (SIGINT): the search stops at once and returns the best set
// found so far (always one that reproduced), with complete = false.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace faultline::harness::shrink {

enum class Trial { kReproduced, kNotReproduced, kInterrupted };

struct DdminResult {
  std::vector<size_t> best;  // sorted indices; reproduced (or the full set)
  bool complete = false;     // the search ended: `best` is 1-minimal
  int tests = 0;             // distinct subsets tested
};

// `test` gets a sorted subset of 0..n-1. `on_best` is told every smaller reproducing set.
DdminResult Ddmin(size_t n, const std::function<Trial(const std::vector<size_t>&)>& test,
                  const std::function<void(const std::vector<size_t>&)>& on_best = nullptr);

}  // namespace faultline::harness::shrink
