// RunView: everything a report of one run shows, read from the history store and the run folder
// only (never from the live harness), so `faultline report RUN` works for any recorded run, of
// any system, including runs recorded before reports existed, interrupted or crashed runs.
//
// Node events: the store's. When the store has none (a run whose controller died before ingesting
// them), the run folder's node-*/events.jsonl are read instead and `events_source` says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness::report {

// What the stored spec says, read loosely (any faultline version, scenario files too).
struct SpecFacts {
  std::string system = "zabd";
  int nodes = 0;
  std::string read_mode;  // "" = the system's default
  std::string workload;   // register | set | ...
  int concurrency = 0;
  double rate = 0;
  std::string time_limit;  // as written ("30s")
  std::vector<std::string> nemesis_kinds;
};
SpecFacts ReadSpecFacts(const std::string& spec_yaml);

struct RunView {
  RunRecord run;
  SpecFacts spec;
  checkers::History history;        // ops, faults, node events, model, read mode
  std::vector<FaultRecord> faults;  // same faults with their stored detail (JSON)
  std::vector<CheckRecord> checks;  // verdict rows with their anomalies
  std::string store_path;           // for the replay command
  std::string events_source;        // "store", "run folder", or "none"
  int64_t t0_ns = 0;                // the run's start (runs.started_ms): offsets are from here
  int64_t end_ns = 0;               // last thing known to have happened
};

// Loads run `run_id`. `store_path` is only quoted (replay command).
Result<RunView> LoadRunView(HistoryStore& store, int64_t run_id, const std::string& store_path);

// Node events of a run folder's node-*/events.jsonl (unparsable lines skipped).
std::vector<checkers::NodeEvent> ReadFolderEvents(const std::string& folder);

}  // namespace faultline::harness::report
