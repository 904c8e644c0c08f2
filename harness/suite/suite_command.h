// `faultline suite FILE`: runs a suite file's tests (harness/suite/suite_plan.h for the format,
// suite_runner.h for what a run of it does and its exit code).
//
//   faultline suite FILE [--test-count N] [--seed N] [--shard I/N] [--junit PATH] [--label TEXT]
//                        [--verbose] [--list]
//
// --list prints the plan (every case, its seed, what would be skipped and why) and runs nothing.
// Exit codes: 0 every test valid, 1 an anomaly found, 2 a test could not run (or the suite file
// is wrong: the error names file:line).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace faultline::harness::suite {

// `store_path` and `results_dir` are read when the command runs (the global options).
void AddSuiteCommand(CLI::App& app, int* exit_code, const std::string* store_path,
                     const std::string* results_dir);

}  // namespace faultline::harness::suite
