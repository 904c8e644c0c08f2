// ScenarioRecord: what one scenario run observed (client ops, final per-node values, every node's
// event log), and the pure functions that turn it into answers: op zxid attribution, expectation
// verdicts and the narrative. No I/O here; the runner (runner.h) fills the record.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "checkers/history.h"
#include "harness/cluster/node.h"
#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {

// One client op of the scenario.
struct OpRecord {
  std::string name;
  int step = 0;           // step index
  checkers::Op op;        // invoke/complete times, outcome, observed value, zxid (when ok)
  std::string read_mode;  // reads: the mode asked for ("" = server default)
  std::string error;      // fail/info: why
  NodeId target = 0;      // the node the client talked to
  // For attributing a zxid to a write whose reply carried none (info, or still pending): the
  // leader when it was submitted, its ROLE last_zxid just before, and the submit time.
  NodeId leader_at_submit = 0;
  int64_t leader_last_zxid_before = -1;
  int64_t submit_ms = 0;
};

struct ScenarioRecord {
  int nodes = 3;
  int64_t t0_ms = 0;                      // unix ms when step 1 began
  int64_t start_epoch = 0;                // the leader's epoch before step 1
  int64_t settle_ms = 0;                  // unix ms when the settle phase began (0: never reached)
  std::vector<OpRecord> ops;              // in submit order
  std::vector<checkers::Op> final_reads;  // settle phase: local read of each key per node
  std::map<NodeId, std::map<std::string, std::optional<std::string>>> final_values;
  std::map<NodeId, std::vector<checkers::NodeEvent>> events;  // per node, file order
  std::map<int, int64_t> step_ms;                             // step index -> unix ms when it began
  std::vector<std::string> step_lines;                        // "+0.41s step 3 kill L -> n3"
  std::map<std::string, std::vector<NodeId>> bindings;
};

// The zxid of every write/cas op that has one: the reply's zxid when ok; otherwise the lowest
// zxid that `leader_at_submit` logged above `leader_last_zxid_before`, at or after the submit
// time, and not attributed to an earlier op (ops are attributed in submit order).
std::map<std::string, int64_t> ResolveOpZxids(
    const std::vector<OpRecord>& ops,
    const std::map<NodeId, std::vector<checkers::NodeEvent>>& events);

struct ExpectationResult {
  int step = 0;
  std::string text;  // the step as written
  bool held = false;
  std::string detail;  // the evidence, one or more sentences
};

// Evaluates every `expect` step of `scenario` against `record` (after the settle phase).
std::vector<ExpectationResult> EvaluateExpectations(const Scenario& scenario,
                                                    const ScenarioRecord& record);

// The human story of the run: steps with time offsets, epochs and leaders, sync decisions,
// truncations, each op's client view and where it was logged, and the expectations.
std::string Narrate(const Scenario& scenario, const ScenarioRecord& record,
                    const std::vector<ExpectationResult>& results);

// "n1, n3" for {1, 3}; `if_none` for no node.
std::string NodeNames(const std::vector<NodeId>& ids, const std::string& if_none = "");

// Value written by a write/cas op step ("" for reads).
inline const std::string& WrittenValue(const Step& s) { return s.value; }

}  // namespace faultline::harness::scenario
