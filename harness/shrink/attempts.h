// The two ways shrink (and replay --repeat) run a candidate spec:
//   RealAttempter — fresh real clusters through ExecuteRun (the one run scaffold: the system's
//     processes, the net mode, the Nemesis, the store), the run marked replay_of the original;
//   SimAttempter  — the zabd simulator (harness/sim RunSim), for zabd runs only (system
//     zabd-sim in the store), fast and deterministic.
// Each attempt is one run in the store; its stored checks are read back afterwards.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "harness/history/history_store.h"
#include "harness/shrink/shrink.h"

namespace faultline::harness::shrink {

struct AttemptContext {
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";
  int64_t replay_of = 0;        // the original run (0: none)
  std::string spec_dir = ".";   // where the system resolves relative paths
  std::ostream* out = nullptr;  // each run's progress and summary (nullptr: kept quiet)
  bool tty = false;             // live progress line (real runs)
};

// The store is opened only between runs (ExecuteRun may enter a netns single-threaded first).
Attempter RealAttempter(const AttemptContext& context);
// `store` stays open for every attempt and must outlive the attempter.
Attempter SimAttempter(HistoryStore* store, const AttemptContext& context);

}  // namespace faultline::harness::shrink
