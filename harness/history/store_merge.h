// MergeStore: folds one history store (a CI shard's, another machine's) and its run folders into
// a target store, keeping every row and giving every run a new id unique in the target.
//
// For each run of the source, in id order:
//   - a run whose uid the target already holds is not copied again (merging twice, or a shard
//     merged into two nightlies, adds nothing); rows from before runs.uid get one derived from
//     their content (start, suite, seed, spec, controller), so that holds for them too;
//   - otherwise its row is inserted with a new id, and its ops, faults, node events, verdicts,
//     anomalies and metrics with that id, in one transaction; replay_of is mapped when the
//     replayed run came from the same source;
//   - its run folder is copied (never moved) to <results_dir>/runs/<new id> and runs.folder says
//     so. The folder is found where runs.folder says (as recorded: absolute, or relative to the
//     current directory), else at <folder of the source store>/runs/<old id> (the default layout
//     results/faultline.db + results/runs/<id>, wherever the artifacts were unpacked). A run
//     whose folder is in neither place is merged without one and counted in folders_missing.
//     A target folder that already exists is an error (nothing is overwritten).
// Then suite_runs (by uid, like runs) and suite_cases, their run ids mapped.
//
// Columns: the intersection of the source's and the target's (an older source reads back with
// the target's defaults). The source is only read. A source that is the target, or is not a
// faultline store, is an error naming it.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace faultline::harness {

struct MergeOptions {
  std::string target_store;
  std::string results_dir = "results";  // the target's run folders: <results_dir>/runs/<id>
};

struct MergeResult {
  std::string source;
  int64_t runs_merged = 0;
  int64_t runs_already_present = 0;
  int64_t suite_runs_merged = 0;
  int64_t suite_runs_already_present = 0;
  int64_t folders_copied = 0;
  int64_t folders_missing = 0;
  std::map<int64_t, int64_t> run_ids;        // source id -> target id (present ones included)
  std::map<int64_t, int64_t> suite_run_ids;  // the same for suite_runs
  std::map<std::string, int64_t> rows;       // table -> rows copied
  std::vector<std::string> warnings;         // a missing folder, ...
};

Result<MergeResult> MergeStore(const std::string& source_store, const MergeOptions& options);

}  // namespace faultline::harness
