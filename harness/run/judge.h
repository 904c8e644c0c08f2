// JudgeStoredRun: the checkers that judge a stored run (ARCHITECTURE.md data flow 2, last step),
// one definition for every way a run is made (`faultline run`, the simulator): the run's history
// loaded from the store, the checkers the system promises for its read mode (System::PromisesFor:
// reads not promised linearizable are checked as local reads — writes linearizable, session
// order), filtered by the spec's `checkers:` list; a promised checker with nothing to read is
// stored as unknown with the reason, never as a pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/system/system.h"

namespace faultline::harness {

// The rows to store (not stored here): checks (verdicts) and observations (what the promises
// allow but reports show, e.g. stale plain reads: never a verdict). A history that cannot be
// loaded is one unknown check.
struct CheckRows {
  std::vector<CheckRecord> checks;
  std::vector<CheckRecord> observations;
};
CheckRows JudgeStoredRun(HistoryStore& store, int64_t run_id, const Promises& promises,
                         const std::vector<std::string>& spec_checkers);

// The same for a history the caller holds (the simulator judges the history it recorded, without
// reading it back): `history` must be what LoadHistory would return for the run. Its read_mode
// is set to local when the promises do not include linearizable reads; nothing else changes.
CheckRows JudgeHistory(checkers::History& history, const Promises& promises,
                       const std::vector<std::string>& spec_checkers);

// The name a spec's `checkers:` entry is stored under ("linearizable" -> "linearizability").
std::string StoredCheckerName(const std::string& spec_name);

}  // namespace faultline::harness
