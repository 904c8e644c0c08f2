// The detection matrix (issue 11): does faultline catch each of zabd's fault points
// (server/core/fault_points.h), in random suites and not only in hand-written scenarios, and does
// it stay quiet on the correct server?
//
// A matrix file (workloads/detection.yaml) names, for every fault point, the random suites and the
// scenarios chosen for it, how many seeds each suite runs with, and the suites the correct server
// runs. RunMatrix runs them all through the ordinary run scaffold (each suite run is a `faultline
// run` child process, so that a private network namespace and iptables partitions work as root;
// scenarios go through RunScenario), each a run of its own in the store with its own folder, and
// judges every run by the CHECKERS' VERDICTS only (a scenario by its expectations), never by a
// fault's own log line:
//   - detected: some checker the system promises found the run invalid (exit 1);
//   - chaos time to detection: from the first operation of the run to the moment the earliest
//     anomaly a checker reported was witnessed: the end of its time range (the read that cannot
//     be explained, the final read that misses a write, the node event), else its start, else
//     its latest op. (Not its start: a lost write is invoked long before anything shows it lost.)
//   - a false alarm: a correct-server run judged invalid.
// The table (FormatMatrixTable) is printed and stored as Markdown and JSON under
// <results>/matrix/; every cell links to its runs' reports (<results>/runs/<id>/report.html).
// <results>/matrix/<name>-<time>/ keeps each suite as run (with its --fault flag) and its output.
//
// Thread-safety: none; one caller.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "common/status.h"

namespace faultline::harness {

struct MatrixPoint {
  std::string fault;                     // a name from zab::KnownFaults()
  std::vector<std::string> suites;       // random suites (relative to the matrix file)
  std::vector<std::string> scenarios;    // scenarios (relative to the matrix file)
  std::optional<int64_t> time_limit_ms;  // overrides the matrix's (and the suites') time_limit
  int line = 0;
};

struct MatrixSpec {
  std::string name;
  std::string dir = ".";  // the matrix file's folder: paths are relative to it
  int seeds = 5;          // seeds per (point, suite): first_seed, first_seed + 1, ...
  uint64_t first_seed = 1;
  std::optional<int64_t> time_limit_ms;  // overrides every suite's time_limit
  std::vector<MatrixPoint> points;
  std::vector<std::string> correct_suites;  // the correct server (no fault point)
  int correct_seeds = 5;
  std::optional<int64_t> correct_time_limit_ms;  // overrides time_limit_ms for the correct server
};

// Errors name the source, the line and the key ("detection.yaml:7: points[2].fault: unknown fault
// point 'zk-9999' (known: ...)"); a suite or scenario file that does not exist is an error too.
Result<MatrixSpec> ParseMatrixSpec(const std::string& yaml_text, const std::string& source,
                                   const std::string& dir);
Result<MatrixSpec> LoadMatrixSpec(const std::string& path);

// One run of the matrix: a (fault point or the correct server, suite or scenario, seed).
struct MatrixRun {
  std::string fault;   // "" = the correct server
  std::string source;  // the suite or scenario as written in the matrix file
  bool scenario = false;
  uint64_t seed = 0;
  int64_t run_id = 0;
  std::string folder;   // the run's folder as the store recorded it ("": <results>/runs/<id>)
  std::string verdict;  // valid | invalid | unknown | error (suites); passed | failed | error
  bool detected = false;
  std::optional<int64_t> detect_ms;  // chaos time to the first detection
  std::vector<std::string> fired;    // checkers that found it invalid; "expectation" (scenario)
  std::string summary;               // the first anomaly or failed expectation, one line
  std::string error;                 // why the run could not run
};

// What the checkers said about a finished run, as stored: the checks and the ops' invoke times.
struct StoredCheck {
  std::string checker;
  std::string verdict;
  struct Anomaly {
    std::string description;
    int64_t start_ns = 0;
    std::vector<int64_t> op_invoke_ns;  // invoke times of the ops it names
    bool observation = false;
    int64_t end_ns = 0;  // the end of its time range (0: none)
  };
  std::vector<Anomaly> anomalies;
};
// Fills detected, fired, detect_ms and summary of `run` from its stored checks; `first_op_ns` is
// the invoke time of the run's first operation.
void JudgeRun(const std::vector<StoredCheck>& checks, int64_t first_op_ns, MatrixRun* run);

// The Markdown table: one row per fault point (random suites: detected n of m, median chaos time
// to detection, checkers, first anomaly; scenarios: n of m; links to every run's report), then
// the correct server (runs, false alarms, unknown). `results_dir` prefixes the report links.
std::string FormatMatrixTable(const MatrixSpec& spec, const std::vector<MatrixRun>& runs,
                              const std::string& results_dir);
// Every point detected by some run, and no false alarm: the matrix command's exit 0.
bool MatrixPassed(const MatrixSpec& spec, const std::vector<MatrixRun>& runs);

struct MatrixOptions {
  MatrixSpec spec;
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";
  std::string zabd_path;          // scenarios' zabd ("" = beside this binary); suites use their own
  std::vector<std::string> only;  // run only these fault points ("correct" = the correct server)
  std::ostream* out = nullptr;    // one line per run, then the table (default std::cout)
};

struct MatrixOutcome {
  std::vector<MatrixRun> runs;
  std::string table;
  std::string table_path;  // where the Markdown was stored ("" if it could not be)
  int exit_code = 2;       // 0 passed, 1 a point undetected or a false alarm, 2 could not run
};

MatrixOutcome RunMatrix(const MatrixOptions& options);

}  // namespace faultline::harness
