// `faultline merge SOURCE... [--into STORE] [--json]`: folds other stores (CI shards' stores, or
// their results folders holding faultline.db and runs/) and their run folders into one
// (harness/history/store_merge.h). The target is --into, else the global --store; its run folders
// go under the global --results. Sources are merged in order; the first that fails stops the merge
// (what was merged stays merged: each run is one transaction, and merging again skips it).
// Exit code: 0 merged, 2 error.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace faultline::harness::suite {

void AddMergeCommand(CLI::App& app, int* exit_code, const std::string* store_path,
                     const std::string* results_dir);

}  // namespace faultline::harness::suite
