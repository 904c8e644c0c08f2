// RunSuite: the cases of a SuitePlan (or a shard of it), one after another, each through the one
// run scaffold (harness/run ExecuteRun for tests, harness/scenario RunScenario for scenarios: a
// CaseExecutor), continuing past failures. A library: `faultline suite` is one caller; another
// command that builds its own list of cases (a detection matrix) reuses RunSuite, the table and
// the JUnit writer as they are.
//
// For each case, in order:
//   - skipped cases (SuiteCase::skip_reason) are reported and recorded, never run;
//   - a progress line "[ 3/14] kill-5n-zabd: running (seed 123, log ...)"; the run's own output
//     goes to <suite folder>/<position>-<name>.log (or to `out` with `verbose`);
//   - the case's outcome (valid / invalid / unknown from its run's verdict; error when it could
//     not run), its run's anomaly count and RunMetrics (stored in run_metrics), one line;
//   - a suite_cases row (harness/history/suite_records.h) under the suite's suite_runs row.
// An interrupt (SIGINT / SIGTERM) ends the case in progress the usual way (cleaned up, marked
// interrupted) and stops the suite: the remaining cases are reported as not run.
// At the end: the table (test, seed, verdict, anomalies, ops/s, p99, failover, run), the totals,
// one JUnit file for the whole suite (<suite folder>/junit.xml, and SuiteRunOptions::junit_path),
// the suite row finished with its exit code.
//
// The store is opened only between cases: nothing of the suite runs (no thread) while a case
// runs, so a case may still enter a private network namespace.
//
// Exit code (SuiteExitCode): 1 when any case found an anomaly (invalid), else 2 when any could
// not run or ended unknown (interrupted included), else 0. Skipped cases do not change it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/history/run_metrics.h"
#include "harness/suite/suite_plan.h"

namespace faultline::harness::suite {

struct CaseResult {
  std::string outcome;            // valid | invalid | unknown | error | skipped (suite_records.h)
  std::optional<int64_t> run_id;  // the run the case made, if any
  std::string reason;             // error / skipped / unknown: why
};

// Runs one case to its end; what the run prints goes to `log`.
class CaseExecutor {
 public:
  virtual ~CaseExecutor() = default;
  virtual CaseResult Run(const SuiteCase& c, std::ostream& log) = 0;
};

struct ExecutorOptions {
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";
  std::string bin_dir;  // where zabd is ("" = beside this program)
  bool tty = false;     // the runs' live progress line (only with verbose output)
};

// Tests through ExecuteRun, scenarios through RunScenario.
std::unique_ptr<CaseExecutor> MakeScaffoldExecutor(const ExecutorOptions& options);

// The default installed probe for PlanOptions::installed: builds the system and opens (never
// starts) a cluster of it in a temporary folder; NotFound (a missing binary, package, runtime)
// is "not installed", with the system's own message.
Status ProbeInstalled(const TestSpec& spec);

struct SuiteRunOptions {
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";
  std::string label;            // suite_runs.label
  std::optional<Shard> shard;   // recorded ("2/4"); the cases given are already the share
  std::string junit_path;       // also write the suite's JUnit XML here ("" = only the folder)
  std::ostream* out = nullptr;  // progress, table (default std::cout)
  bool verbose = false;         // the runs' own output to `out` instead of the case logs
};

struct SuiteRow {
  SuiteCase c;
  CaseResult result;
  int64_t anomalies = 0;
  std::optional<RunMetrics> metrics;
  double seconds = 0;
  bool ran = false;  // false: skipped or not reached (interrupted)
};

struct SuiteOutcome {
  int exit_code = 2;
  int64_t suite_run_id = 0;
  std::string folder;      // <results>/suites/<id>
  std::string junit_path;  // <folder>/junit.xml
  std::vector<SuiteRow> rows;
  bool interrupted = false;
  std::string error;  // the suite itself could not start (store, folder)
};

SuiteOutcome RunSuite(const SuitePlan& plan, const std::vector<SuiteCase>& cases,
                      const SuiteRunOptions& options, CaseExecutor& executor);

int SuiteExitCode(const std::vector<SuiteRow>& rows);

// The table and totals lines.
void PrintSuiteTable(const std::vector<SuiteRow>& rows, std::ostream& out);

// One JUnit document for the rows: each run's testsuite (harness/report JUnitSuiteForRun, named
// after the case), skipped cases as a skipped testcase, cases without a run as an error.
Result<std::string> SuiteJUnit(const std::string& store_path, const std::string& suite_name,
                               const std::vector<SuiteRow>& rows);

// One JUnit document for several suite runs of the store together (the shards of one suite after
// `faultline merge`): their recorded cases in suite order (position; a position two of them
// recorded is written once), each as SuiteJUnit writes it, with the run's stored metrics. Named
// after the suite runs (their distinct names joined by " + "). A case a shard never reached
// (interrupted) was not recorded and is not in it. NotFound for an unknown suite run id.
Result<std::string> MergedSuiteJUnit(const std::string& store_path,
                                     const std::vector<int64_t>& suite_run_ids);

}  // namespace faultline::harness::suite
