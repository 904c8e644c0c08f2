// Shrink: from a recorded run with an anomaly to a minimal reproduction (issue 12).
//
//   1. the realized fault schedule is delta-debugged (ddmin.h): each candidate subset is run
//      with the same seed (so the same op stream), the same spec otherwise, up to `tries` times,
//      and counts when an attempt shows an anomaly of the same kind (target.h, --match);
//   2. the load is trimmed while it still reproduces: the time limit cut to the end of the last
//      fault kept plus a margin, then the clients halved down to one;
//   3. the result is written as a suite file (repro.yaml: the spec with the explicit schedule,
//      a comment header with the narrative) after every improvement, so an interrupt or a crash
//      keeps the best so far; then the file itself is run `confirm` times and the measured
//      reproduction rate (k of N) is written into its header.
// Every attempt is a run in the store (through the Attempter: real clusters via the one run
// scaffold, or the simulator). Progress is one line per attempt. The narrative names the faults
// that matter in order (with what each did in the original run), the faults found irrelevant,
// and the evidence from the best reproducing attempt: the anomaly, and for a lost write which
// nodes logged and committed its zxid and which truncation or sync decision removed it.
//
// SIGINT (Interrupted()): the attempt in progress ends (the run is marked interrupted), the
// search stops, and repro.yaml holds the best schedule found so far (rate: not measured).
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/history/history_store.h"
#include "harness/run/recorded_run.h"
#include "harness/shrink/target.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness::shrink {

// One run of a candidate.
struct Attempt {
  int64_t run_id = 0;  // 0: no run row (could not start)
  int exit_code = 2;
  bool interrupted = false;
  std::string error;
  std::vector<CheckRecord> checks;
};
// Runs `spec` (seed set, explicit schedule, kinds cleared) once.
using Attempter = std::function<Attempt(const TestSpec& spec)>;

struct ShrinkOptions {
  RecordedRun original;  // LoadRecordedRun
  MatchLevel match = MatchLevel::kChecker;
  std::string checker;  // the anomaly to keep ("" = the run's first invalid check)
  int tries = 3;        // attempts per candidate (stop at the first that reproduces)
  int confirm = 3;      // runs of the final repro.yaml for the measured rate (0: not measured)
  bool trim = true;
  std::string repro_path;       // results/runs/<id>/repro.yaml
  std::string run_command;      // how to run it, quoted in the header ("faultline run ...")
  std::ostream* out = nullptr;  // progress and narrative (default std::cout)
};

struct ShrinkResult {
  Status status;             // why nothing could be shrunk (no anomaly, no schedule...)
  std::vector<size_t> kept;  // schedule entries that matter, in order
  TestSpec repro;            // what repro.yaml holds
  bool minimal = false;      // the search completed (1-minimal)
  bool interrupted = false;
  int attempts = 0;                     // runs made (all recorded)
  std::vector<int64_t> runs;            // their ids, in order
  int confirmed = 0, confirm_runs = 0;  // k of N
  int64_t evidence_run = 0;             // the best reproducing attempt the narrative quotes
  std::string narrative;
};

ShrinkResult Shrink(const ShrinkOptions& options, const Attempter& attempt);

// The repro.yaml text: header comments (origin, rate, narrative) + SpecToYaml(spec).
std::string ReproYaml(const TestSpec& spec, const std::string& header);

}  // namespace faultline::harness::shrink
