// The `matrix` subcommand: `faultline matrix FILE [--seeds N] [--time-limit D] [--only a,b]
// [--store DB] [--results DIR] [--zabd PATH]` runs the detection matrix of FILE (matrix.h),
// prints one line per run and the table, and stores the table under <results>/matrix/. Sets
// *exit_code: 0 every fault point run was detected by some run and the correct server raised no
// false alarm, 1 otherwise, 2 the file is invalid. Exceptions do not escape the callback.
#pragma once

#include <CLI/CLI.hpp>

namespace faultline::harness {

// `store` and `results` are the root app's global --store and --results (read when the
// command runs; an option after the subcommand falls through to them).
void AddMatrixCommand(CLI::App& app, int* exit_code, const std::string* store,
                      const std::string* results);

}  // namespace faultline::harness
