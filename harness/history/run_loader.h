// The `check` command's RunLoader over the history store: `faultline check RUN` loads run RUN
// from the store at *store_path (opened read-only; a missing store is an error naming it) with
// the checkers the run must be judged by:
//   - the checkers of the verdict rows the run stored when it was checked (its system's promises,
//     including rows saying a checker could not run), else
//   - for a run never checked (interrupted, crashed): by its system, zabd -> linearizability,
//     lost-writes, zab-invariants (+ session-order for local reads); others -> linearizability.
// A run that did not finish has no final reads: lost-writes is then reported as not run.
#pragma once

#include <string>
#include <vector>

#include "checkers/cli/check_command.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

// `store_path` is read when the loader is called (CLI11 fills it after the command is built).
checkers::RunLoader StoreRunLoader(const std::string* store_path);

// The checkers run `run_id` must be judged by (see the header comment).
Result<std::vector<std::string>> RequiredCheckers(HistoryStore& store, int64_t run_id);

}  // namespace faultline::harness
