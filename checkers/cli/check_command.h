// `check`: judge histories from files (or faultline runs) and print one verdict line per input.
//
//   check [--format auto|jsonl|jepsen-edn|porcupine-kv|etcd-log|run] [--model M] [--json]
//         [--time-limit S] [--memory-limit MB] [--threads N] [--stop-early] [--no-shrink] INPUT...
//
// Exit code (written to *exit_code when the subcommand ran): 0 every input valid, 1 some input
// invalid, 2 otherwise some input unknown or unreadable. With --json every input prints one JSON
// object on one line instead of the text report.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "checkers/checkers.h"
#include "checkers/history.h"
#include "common/status.h"

namespace faultline::checkers {

// Loads a faultline run by name (the harness's SQLite store). May be null: then `--format run`
// inputs are an error "runs need the faultline binary".
using RunLoader = std::function<faultline::Result<History>(const std::string& run)>;

void AddCheckCommand(CLI::App& app, int* exit_code, RunLoader load_run);

// Everything the command computes for one history (exposed for tests and the benchmark).
struct CheckReport {
  Verdict verdict = Verdict::kValid;
  std::string model;
  LinearizabilityResult linearizability;
  bool ran_lost_writes = false, ran_invariants = false, ran_session = false;
  LostWriteResult lost_writes;
  InvariantResult invariants;
  SessionResult session;
  double seconds = 0;
};

// Runs every checker that applies: linearizability (writes only plus session order when the
// history's read mode is local), lost writes and ZAB invariants when the history has node
// events or zxids (faultline's own histories).
CheckReport RunChecks(const History& history, const ModelOptions& model, const Budget& budget,
                      bool own_history);

std::string FormatReportLine(const std::string& input, const CheckReport& report);  // + details
std::string FormatReportJson(const std::string& input, const CheckReport& report);

}  // namespace faultline::checkers
