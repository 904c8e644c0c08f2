// RunSeeds: one suite over a range of seeds, each seed one RunSim (its own World, cores, disks and
// clock), on `jobs` threads at once. What `faultline sim --seeds A..B --jobs N` and sim_bench run.
//
// Contract:
//  * Every seed's run is the run RunSim makes of it alone: seeds share nothing but the store
//    (thread-safe), so its history digest does not depend on jobs (run ids and wall times do).
//  * on_result is called on the calling thread, in seed order, once per finished seed; it returns
//    false to stop: no seed starts after that (the seeds already running finish and are reported).
//  * Interrupted() (harness/run/interrupt.h) stops it the same way.
//  * The runs' last rows may still be queued in the store when it returns (queue_end_writes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "harness/sim/sim_run.h"

namespace faultline::harness::sim {

struct SeedResult {
  uint64_t seed = 0;
  SimOutcome outcome;
  double wall_s = 0;    // this seed's run, start to end
  std::string console;  // what RunSim printed (base.out is not used: runs would interleave)
};

// Runs `base` (its spec.seed replaced) for seeds [first, last]. jobs >= 1.
void RunSeeds(HistoryStore& store, const SimRunOptions& base, uint64_t first, uint64_t last,
              int jobs, const std::function<bool(const SeedResult&)>& on_result);

}  // namespace faultline::harness::sim
