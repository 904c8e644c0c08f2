// FindInSim: does the simulator find a zabd fault point? The point's random suites (as the
// detection matrix lists them, workloads/detection.yaml) are run by RunSim with `--fault NAME`
// added to the suite's zabd flags, seed by seed (every suite for a seed, then the next seed),
// until a checker finds a run invalid (exit code 1). Used by sim_bench (wall time to find each
// point) and by the sim tests that pin, per point, the seeds it needs.
//
// Thread-safety: as RunSim (the calling thread; the store has its writer).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/history/history_store.h"

namespace faultline::harness::sim {

struct PointSearch {
  bool found = false;
  uint64_t seed = 0;       // the first seed with an invalid run
  std::string suite;       // its suite (the path given)
  std::string checker;     // its first invalid checker
  int runs = 0;            // simulated runs made
  double simulated_s = 0;  // simulated time of all of them
  std::string error;       // why a suite could not run ("" if every suite ran)
};

// `fault` empty: the suites as they are (the correct server). Runs land in `store`, run folders
// under `results_dir`.
PointSearch FindInSim(HistoryStore& store, const std::string& results_dir,
                      const std::vector<std::string>& suite_paths, const std::string& fault,
                      uint64_t first_seed, uint64_t last_seed);

}  // namespace faultline::harness::sim
