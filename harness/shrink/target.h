// What "the same anomaly" means when a run is shrunk or replayed: the original run's first
// violation (first invalid check, its first anomaly that is not an observation), and how an
// attempt's checks compare with it.
//
// Levels (--match): `checker` — the same checker is invalid; `key` — ... with an anomaly on the
// same key (falls back to `checker` when the original anomaly names no key); `write` — for lost
// writes, the same write is lost (the same op index: shrink and replay keep the op stream of
// the seed), otherwise as `key`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness::shrink {

enum class MatchLevel { kChecker, kKey, kWrite };
Result<MatchLevel> ParseMatchLevel(const std::string& text);
const char* MatchLevelName(MatchLevel level);

struct AnomalyTarget {
  std::string checker;      // the check row's checker ("lost-writes", "linearizability", ...)
  std::string key;          // "" when the anomaly names none
  int64_t write_op = -1;    // lost writes: the lost write's op index
  std::string description;  // the original anomaly, for the narrative
};

// The first violation of a run's checks (of `checker` when given: "zab-invariants"); NotFound
// when the run has none (nothing to reproduce).
Result<AnomalyTarget> TargetOf(const std::vector<CheckRecord>& checks,
                               const std::string& checker = "");

struct AttemptMatch {
  bool same_checker = false;
  bool same_key = false;
  bool same_write = false;
  const checkers::Anomaly* anomaly = nullptr;  // the best-matching anomaly (points into checks)
  std::string checker;                         // the invalid checker it came from
};
AttemptMatch Compare(const AnomalyTarget& target, const std::vector<CheckRecord>& checks);
bool Reproduces(const AnomalyTarget& target, const AttemptMatch& m, MatchLevel level);
// "same lost write (op 41, key k1)", "same checker, other key (k2)", "no lost-writes anomaly".
std::string DescribeMatch(const AnomalyTarget& target, const AttemptMatch& m);

}  // namespace faultline::harness::shrink
