// `check`: judge histories from files (or faultline runs) and print one verdict line per input.
//
//   check [--format auto|jsonl|jepsen-edn|porcupine-kv|etcd-log|run] [--model M] [--json]
//         [--time-limit S] [--memory-limit MB] [--threads N] [--stop-early] [--no-shrink] INPUT...
//
// Exit code (written to *exit_code when the subcommand ran): 0 every input valid, 1 some input
// invalid, 2 otherwise some input unknown or unreadable, or with nothing to check (no operations
// and no node events). With --json every input prints one JSON object on one line instead of the
// text report.
//
// A checker is never reported as passed when its input is missing: a required checker (see
// CheckPlan) that could not run is listed with the reason, and the verdict is then unknown.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "checkers/checkers.h"
#include "checkers/history.h"
#include "common/status.h"

namespace faultline::checkers {

// A faultline run loaded by name, with the checkers its system promised (e.g. those the run was
// judged by when it was recorded). Every one of `required` must run; one whose input is missing
// (no node events for zab-invariants, no ops) is reported as not run and the verdict is unknown.
struct LoadedRun {
  History history;
  std::vector<std::string> required;  // "linearizability", "lost-writes", "zab-invariants", ...
  // Why the run has no final reads ("" = it has them): a run that crashed or was interrupted
  // before its final-read phase cannot be judged for lost writes.
  std::string no_final_reads;
};

// Loads a faultline run by name (the harness's SQLite store). May be null: then `--format run`
// inputs are an error "runs need the faultline binary".
using RunLoader = std::function<faultline::Result<LoadedRun>(const std::string& run)>;

void AddCheckCommand(CLI::App& app, int* exit_code, RunLoader load_run);

// Which checkers to run on a history.
struct CheckPlan {
  // faultline's own history (a run, or its jsonl export): lost writes apply (final reads, zxids).
  bool own_history = false;
  // Checkers that must run (names as in CheckReport::not_run). Empty: whichever apply.
  std::vector<std::string> required;
  std::string no_final_reads;  // see LoadedRun
};

// A checker that should have judged the history but could not: its input is missing.
struct NotRun {
  std::string checker;  // "linearizability", "lost-writes", "zab-invariants", "session-order"
  std::string reason;   // e.g. "0 node events in the history (...)"
};

// Everything the command computes for one history (exposed for tests and the benchmark).
struct CheckReport {
  Verdict verdict = Verdict::kValid;
  std::string model;
  bool nothing_to_check = false;  // no ops and no node events: verdict unknown, nothing ran
  bool ran_linearizability = false;
  LinearizabilityResult linearizability;
  bool ran_lost_writes = false, ran_invariants = false, ran_session = false;
  std::vector<NotRun> not_run;  // required checkers that could not run (verdict is unknown)
  LostWriteResult lost_writes;
  InvariantResult invariants;
  SessionResult session;
  double seconds = 0;
};

// Runs every checker that applies: linearizability (writes only plus session order when the
// history's read mode is local), lost writes when the history is faultline's own and has zxids
// or node events (or lost-writes is required), ZAB invariants when it has node events. Required
// checkers whose input is missing go to not_run.
CheckReport RunChecks(const History& history, const ModelOptions& model, const Budget& budget,
                      const CheckPlan& plan);
// Same, with CheckPlan{own_history, {}} (nothing required).
CheckReport RunChecks(const History& history, const ModelOptions& model, const Budget& budget,
                      bool own_history);

std::string FormatReportLine(const std::string& input, const CheckReport& report);  // + details
std::string FormatReportJson(const std::string& input, const CheckReport& report);

}  // namespace faultline::checkers
