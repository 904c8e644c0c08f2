// `faultline shrink RUN` and `faultline replay RUN [--repeat N]` (issue 12).
//
//   faultline shrink RUN [--tries 3] [--confirm 3] [--match checker|key|write] [--checker C]
//                        [--no-trim] [--sim] [--exact-partitions]
//     shrink.h on fresh real clusters (or, --sim, the zabd simulator); writes
//     <results>/runs/RUN/repro.yaml. Exit 0 shrunk and the repro reproduced at least once when
//     measured, 1 it never reproduced when measured, 2 error / interrupted (repro.yaml then holds
//     the best so far).
//   faultline replay RUN [--repeat N]
//     reruns RUN's seed, op stream and realized schedule N times (default 1) and reports how many
//     replays reproduced the original anomaly kind (the same checker invalid), or, for a valid
//     run, how many stayed valid. Exit code as a run's over all replays: 1 some replay found an
//     anomaly, else 2 some could not run / unknown / interrupted, else 0.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace faultline::harness::shrink {

// `store` and `results` are the global options (bound before the callbacks run).
void AddShrinkCommand(CLI::App& app, int* exit_code, const std::string* store,
                      const std::string* results);
void AddReplayCommand(CLI::App& app, int* exit_code, const std::string* store,
                      const std::string* results);

}  // namespace faultline::harness::shrink
