// Suite records: one suite_runs row per `faultline suite` invocation (a shard of a sharded suite is
// its own invocation), and one suite_cases row per test case of it as it finishes: its position
// in the whole (unsharded) suite, name, seed, the run it made (NULL when it made none: skipped, or
// failed before a run row existed) and its outcome. Runs themselves stay in `runs`; a case only
// points at one. docs/store-schema.md documents the tables.
//
// Case outcomes: valid | invalid | unknown (the run's verdict), error (could not run: the reason
// says why), skipped (its system is not installed or not part of this build).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/history/history_store.h"

namespace faultline::harness {

inline constexpr const char* kCaseValid = "valid";
inline constexpr const char* kCaseInvalid = "invalid";
inline constexpr const char* kCaseUnknown = "unknown";
inline constexpr const char* kCaseError = "error";
inline constexpr const char* kCaseSkipped = "skipped";

struct SuiteRunRecord {
  int64_t id = 0;
  std::string uid;  // identity across stores (merge); made by CreateSuiteRun when empty
  std::string name;
  std::string file;
  std::string label;  // free text from --label (a CI pipeline id), joins the shards of one nightly
  std::string shard;  // "2/4", "" = the whole suite
  int64_t cases = 0;  // cases this invocation runs (its shard's share)
  int64_t started_ms = 0;
  std::optional<int64_t> ended_ms;
  std::optional<int64_t> exit_code;
  std::string host;
  std::string git_revision;
};

struct SuiteCaseRecord {
  int64_t suite_run_id = 0;
  int64_t position = 0;  // index in the whole suite (0-based), the same in every shard
  std::string name;
  std::string kind;  // test | scenario
  std::string file;
  uint64_t seed = 0;
  std::optional<int64_t> run_id;
  std::string outcome;
  std::string reason;
};

Result<int64_t> CreateSuiteRun(HistoryStore& store, const SuiteRunRecord& run);
Status RecordSuiteCase(HistoryStore& store, const SuiteCaseRecord& c);
Status FinishSuiteRun(HistoryStore& store, int64_t suite_run_id, int exit_code);

// Newest first. Empty on a read-only store from before suites.
Result<std::vector<SuiteRunRecord>> ListSuiteRuns(HistoryStore& store, int limit = 50);
Result<SuiteRunRecord> GetSuiteRun(HistoryStore& store, int64_t suite_run_id);
Result<std::vector<SuiteCaseRecord>> LoadSuiteCases(HistoryStore& store, int64_t suite_run_id);

}  // namespace faultline::harness
