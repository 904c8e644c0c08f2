// TestSpec: one chaos test as data (ARCHITECTURE.md data flow 2, Jepsen "a test is data").
//
// A suite YAML document is parsed once into a TestSpec and validated as a whole: an unknown key, a
// value of the wrong type, or an impossible value is an InvalidArgument Status whose message names
// the source, the 1-based line and the dotted key path, e.g.
//   "quick.yaml:14: nemesis.kinds[1]: unknown fault kind 'kil' (one of kill, pause, ...)".
// Nothing downstream re-validates; every other part of the harness trusts a TestSpec it is given.
//
// Durations are written as a number of seconds (`30`, `0.5`) or a string with a unit
// (`250ms`, `10s`, `2m`). They are stored as integer milliseconds.
//
// Thread-safety: plain values; copy freely.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "harness/nemesis/fault.h"

namespace faultline::harness {

enum class WorkloadKind { kRegister, kSet };
enum class NetMode { kAuto, kIptables, kProxy, kNone };

const char* WorkloadKindName(WorkloadKind kind);
const char* NetModeName(NetMode mode);

// One system-specific key of the `system:` section, as written. The parser only collects these;
// the system registry (harness/systems/registry.h) validates them against the kind's own table
// and reports errors at `line`.
struct SystemOption {
  std::vector<std::string> values;  // a scalar is one value
  bool is_list = false;
  int line = 0;  // 1-based
  bool operator==(const SystemOption&) const = default;
};

// The system under test: `system: {kind, nodes, read_mode, ...system-specific keys}`.
struct SystemSpec {
  std::string kind = "zabd";                    // zabd | zookeeper | etcd | fake (see the registry)
  int nodes = 3;                                // 3 or 5
  std::string read_mode;                        // "" = the system's default (zabd: linearizable)
  std::map<std::string, SystemOption> options;  // e.g. zabd: tick_time_ms, extra_flags
  int line = 0;                                 // line of the `system:` key (0: absent)
};

// What the clients do. register: read / write / cas over `keys` keys, unique write values.
// set: unique adds (each a write of a fresh element) then final reads of every element.
struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kRegister;
  int keys = 5;
  // Op mix weights (need not sum to 1; normalized). For set only `add` is used.
  double read_weight = 0.5;
  double write_weight = 0.3;
  double cas_weight = 0.2;
  int final_read_attempts = 20;  // final reads of every key retry this many times
};

inline FaultSpec DefaultScheduledFault() {
  FaultSpec f;
  f.delay_ms = 200;
  f.loss_probability = 0.2;
  return f;
}

// One fault, either written explicitly in the spec or realized from kinds/targets/interval. Typed
// at parse time (harness/nemesis/fault.h): nothing parses fault names again at run time.
struct ScheduledFault {
  int64_t at_ms = 0;  // offset from the start of the workload
  // kind, target (default random), shape (default isolate-leader), delay (200 ms), loss (0.2)
  FaultSpec fault = DefaultScheduledFault();
  int64_t duration_ms = 0;  // how long the fault stays before it is stopped / healed
  int line = 0;             // 1-based line in the suite; 0 when generated or replayed
};

struct NemesisSpec {
  std::vector<FaultKind> kinds;          // empty = no faults
  std::vector<Target> targets;           // process fault targets drawn from (default: random)
  std::vector<PartitionShape> shapes;    // partition shapes drawn from (default: isolate-leader,
                                         // halves)
  int64_t interval_ms = 5000;            // quiet time between generated faults
  // `interval_jitter`, > 0: each quiet time is interval + a seeded uniform draw in [0, jitter],
  // so a fault timed relative to a restart lands across a window rather than at one offset.
  int64_t interval_jitter_ms = 0;
  int64_t duration_ms = 3000;            // how long each generated fault lasts
  int64_t delay_ms = 200;                // delay faults: added latency per chunk
  double loss = 0.2;                     // loss faults: probability a chunk kills its link
  std::vector<ScheduledFault> schedule;  // explicit schedule; when set, replaces generation
  // `link_delay`, > 0: every peer link delayed this long for the whole run, under the generated
  // faults (a `delay` fault on all nodes at offset 0 lasting the time limit, the schedule's first
  // entry): every message of an election, a discovery and a sync waits, so their windows are
  // wide. A generated delay fault on a link replaces it there while it lasts. Ignored, as kinds
  // are, when an explicit schedule is given (write the delay entry there).
  int64_t link_delay_ms = 0;
};

struct TestSpec {
  std::string name;  // suite name (defaults to the file stem)
  SystemSpec system;
  WorkloadSpec workload;
  int concurrency = 5;  // client workers (logical processes at start)
  double rate = 100;    // total ops/s across workers; 0 = unlimited
  int64_t op_timeout_ms = 1000;
  int64_t time_limit_ms = 30000;
  NemesisSpec nemesis;
  std::vector<std::string> checkers;  // empty = every checker that applies to the workload
  uint64_t seed = 0;                  // 0 in the file = pick one at run time
  NetMode net = NetMode::kAuto;
  std::string source_text;  // the YAML as given (stored with the run)
  std::string source_name;  // the file (or "run 12"), for error messages after parsing
};

// Checker names the spec accepts (fault names: harness/nemesis/fault.h).
const std::vector<std::string>& KnownCheckers();
// Whether any fault the spec may start (generated kinds or the explicit schedule) satisfies pred.
bool SpecHasFault(const TestSpec& spec, bool (*pred)(FaultKind));

// Parses and validates. `source_name` prefixes every error message (a file name).
Result<TestSpec> ParseTestSpec(const std::string& yaml_text, const std::string& source_name);
// Only the `system:` section of a YAML document (scenario files use the same section); an absent
// section is the default (zabd, 3 nodes) with line 0. Errors as ParseTestSpec's.
Result<SystemSpec> ParseSystemSection(const std::string& yaml_text, const std::string& source_name);
// Reads `path` and parses it; the default name is the file stem.
Result<TestSpec> LoadTestSpec(const std::string& path);

// Command-line overrides (`faultline run --time-limit ...`); unset fields leave the spec alone.
struct SpecOverrides {
  std::optional<std::string> time_limit;  // duration text, as in the YAML
  std::optional<uint64_t> seed;
  std::optional<int> nodes;
  std::optional<int> concurrency;
  std::optional<std::string> nemesis;  // comma-separated kinds; "none" = no faults
  std::optional<std::string> net;
  std::optional<std::string> read_mode;  // validated by the system registry
};
// Applies and re-validates the touched fields; errors name the flag (and, for --nodes, the
// schedule entry and line whose explicit target no longer exists).
Status ApplyOverrides(const SpecOverrides& overrides, TestSpec* spec);

// The scheduled faults that start at or after the spec's time_limit, so will not run (a shorter
// --time-limit cuts the schedule on purpose; a file may not, LoadTestSpec): "" when none, else
// one line naming each, e.g. "2 scheduled faults start at or after the time limit (5000 ms) and
// will not run: nemesis.schedule[1] (line 18: pause at 6000 ms), ...". The commands print it as
// a note, so a cut fault is never dropped silently.
std::string CutScheduleNote(const TestSpec& spec);

// The effective spec (after overrides) as a YAML document that ParseTestSpec reads back to an
// equal spec; this is what a run stores, so that a replay runs exactly what ran.
std::string SpecToYaml(const TestSpec& spec);

// The longest duration a spec may name (time_limit, op_timeout, a fault's at / duration, ...):
// 7 days. Beyond it a run's history outgrows memory long before the end (`--time-limit 9e18ms`
// filled 11 GB in seconds under the simulator), and ns timestamps near int64's end overflow.
inline constexpr int64_t kMaxDurationMs = 7LL * 24 * 3'600'000;

// "250ms" / "10s" / "2m" / "1.5" (seconds) -> milliseconds. InvalidArgument naming the text when
// it is not a duration, negative, or above kMaxDurationMs.
Result<int64_t> ParseDurationMs(const std::string& text);

}  // namespace faultline::harness
