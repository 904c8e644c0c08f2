// The `scenario` subcommand: `faultline scenario FILE [--repeat N] [--store DB] [--results DIR]
// [--zabd PATH]`. Runs the scenario N times (each a fresh cluster and its own run row), prints
// the narrative of each, and sets *exit_code after the command ran: 0 every expectation held in
// every repetition, 1 one failed, 2 a repetition could not run or the file is invalid (the worst
// over the repetitions). Exceptions do not escape the callback.
#pragma once

#include <CLI/CLI.hpp>

namespace faultline::harness::scenario {

// `store` and `results` are the root app's global --store and --results (read when the
// command runs; an option after the subcommand falls through to them).
void AddScenarioCommand(CLI::App& app, int* exit_code, const std::string* store,
                        const std::string* results);

}  // namespace faultline::harness::scenario

namespace faultline::harness {
using scenario::AddScenarioCommand;
}  // namespace faultline::harness
