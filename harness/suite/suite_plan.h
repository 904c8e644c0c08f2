// A suite: many tests run one after another (`faultline suite FILE`), as data. A suite file lists
// tests, or a matrix of them, or both; LoadSuitePlan expands it into a SuitePlan, the ordered list
// of cases that will run, every case's TestSpec loaded, overridden and validated before anything
// starts. Errors name the suite file, the line and the key ("nightly-suite.yaml:14:
// matrix[0].nodes[1]: must be 3 or 5"); errors inside a test file name that file's line.
//
//   name: nightly                 # default: the file stem
//   seed: 7                       # optional: every case's seed is derived from it and the case
//                                 #   name (the suite reruns the same seeds); else each test's own
//   test_count: 1                 # runs of each case (--test-count overrides); names get "#2"...
//   defaults: {time_limit: 30s}   # overrides applied to every test (the keys below)
//   matrix:                       # one mapping or a list of them: every combination
//     - tests: [kill.yaml, pause.yaml]   # test files, relative to the suite file
//       nodes: [3, 5]                    # optional axes; absent = the test's own value
//       systems: [zabd, etcd]
//       nemeses: [kill, "kill,pause", none]
//       time_limit: 20s                  # overrides for this matrix
//   tests:                        # a list
//     - test: quick.yaml          # a test file ...
//       name: quick-5             # default: <test>-<nodes>n-<system>
//       nodes: 5
//     - scenario: scenarios/zk-1154-divergent-txn-truncated.yaml   # ... or a scenario file
//
// Overrides (defaults, matrix, list entries; as `faultline run`'s flags): time_limit, seed, nodes,
// concurrency, nemesis, net, read_mode, system. List entries also take name and count (runs of
// this entry, replacing test_count).
//
// Case names are unique in the suite (a repeated name is an error naming both lines): matrix
// cases are "<test>-<nemesis>-<N>n-<system>" (the nemesis part only with a nemeses axis). Cases
// whose system this build does not have (a known system name not registered here) or whose
// system is not installed (the probe in PlanOptions) are kept with skip_reason set: they are
// reported as skipped, never run.
//
// Sharding (`--shard I/N`): case k of the whole plan (0-based) belongs to shard (k mod N) + 1.
// Every shard expands the same plan, so the shares are disjoint, cover the suite, and a case has
// the same position, name and seed in every shard.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/spec/test_spec.h"

namespace faultline::harness::suite {

enum class CaseKind { kTest, kScenario };
const char* CaseKindName(CaseKind kind);  // "test" | "scenario"

struct SuiteCase {
  int64_t position = 0;  // index in the whole plan (before sharding)
  std::string name;      // unique in the suite
  CaseKind kind = CaseKind::kTest;
  std::string file;  // the test or scenario file (as the suite names it, resolved)
  int line = 0;      // the suite file's line that made this case
  TestSpec spec;     // kTest: loaded, overridden, validated; spec.name = name without "#r"
  std::string system;       // the system kind the case runs on
  int nodes = 0;            // kTest: the cluster size (scenarios: their own)
  std::string nemesis;      // kTest: the fault kinds, comma-separated ("none"), for tables
  int repetition = 1;       // 1..count
  uint64_t seed = 0;        // kTest: the seed it runs with (0 = chosen at run time)
  std::string skip_reason;  // non-empty: not run, reported as skipped with this line
};

struct SuitePlan {
  std::string name;
  std::string file;
  int test_count = 1;
  std::optional<uint64_t> seed;  // the suite's base seed
  std::vector<SuiteCase> cases;
};

struct PlanOptions {
  std::optional<int> test_count;  // --test-count
  std::optional<uint64_t> seed;   // --seed: the base seed
  // Probes whether a (registered) system can run here; a non-ok Status is the skip reason.
  // Unset: every registered system counts as installed.
  std::function<Status(const TestSpec& spec)> installed;
  // Validates a scenario file (unset: scenario files are only checked to exist). Returns the
  // scenario's system kind.
  std::function<Result<std::string>(const std::string& path)> scenario_system;
};

// Reads and expands `path`.
Result<SuitePlan> LoadSuitePlan(const std::string& path, const PlanOptions& options);
// `source` names the text in errors; relative test files are resolved against `base_dir`.
Result<SuitePlan> ParseSuitePlan(const std::string& yaml_text, const std::string& source,
                                 const std::string& base_dir, const PlanOptions& options);

struct Shard {
  int index = 1;  // 1-based
  int count = 1;
};
// "I/N" with 1 <= I <= N <= 1000.
Result<Shard> ParseShard(const std::string& text);
// The cases of `plan` in shard `shard` (in plan order).
std::vector<SuiteCase> ShardCases(const SuitePlan& plan, Shard shard);

// "<case>: <CutScheduleNote>" for every test whose time_limit (the suite's override) cuts its
// schedule: what `faultline suite` prints before anything runs, so no fault is dropped silently.
std::vector<std::string> CutScheduleNotes(const std::vector<SuiteCase>& cases);

// The seed of case `name` in a suite with base seed `base` (never 0).
uint64_t DeriveCaseSeed(uint64_t base, const std::string& name);

}  // namespace faultline::harness::suite
