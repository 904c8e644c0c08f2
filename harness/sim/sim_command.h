// `faultline sim SUITE --seeds A..B` and `faultline sim --from-run RUN [--seeds A..B]`: a suite
// (or a recorded run's spec and realized fault schedule) run against a simulated zabd cluster,
// one run per seed, each recorded in the store with system zabd-sim. Prints one line per seed
// (run id, verdict, the checkers that fired, ops, faults, simulated and wall time; with --digest
// the history digest: the same seed gives the same digest) and a total (seeds with an anomaly, the
// first one and the wall time to it, simulated seconds per wall-clock second).
//
// Exit code: 0 every seed valid, 1 some seed found an anomaly, 2 an error (bad suite, bad flags,
// a seed that could not run) or an interrupt.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace faultline::harness::sim {

// `store` and `results` are the root app's global --store and --results (read when the
// command runs; an option after the subcommand falls through to them).
void AddSimCommand(CLI::App& app, int* exit_code, const std::string* store,
                   const std::string* results);

// "7" -> [7, 7]; "1..100" -> [1, 100]. InvalidArgument naming the text otherwise (0, reversed).
Result<std::pair<uint64_t, uint64_t>> ParseSeedRange(const std::string& text);

}  // namespace faultline::harness::sim
