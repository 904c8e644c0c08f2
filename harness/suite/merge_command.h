// `faultline merge SOURCE... [--into STORE] [--junit PATH] [--json]`: folds other stores (CI
// shards' stores, or their results folders holding faultline.db and runs/) and their run folders
// into one (harness/history/store_merge.h). The target is --into, else the global --store; its run
// folders go under the global --results. Sources are merged in order; the first that fails stops
// the merge (what was merged stays merged: each run is one transaction, and merging again skips
// it).
// --junit PATH: after the merge, one JUnit XML for the suite runs the sources hold, together (the
// shards of one suite: MergedSuiteJUnit, every recorded case in suite order).
// Exit code: 0 merged, 2 error (also: --junit and the sources hold no suite run).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace faultline::harness::suite {

void AddMergeCommand(CLI::App& app, int* exit_code, const std::string* store_path,
                     const std::string* results_dir);

}  // namespace faultline::harness::suite
