// RunScenario: one scenario against a fresh real zabd cluster (proxy network, so no root).
//
//   1. a run row in the HistoryStore (suite "scenario:<name>", the scenario text as the spec) and
//      the run folder <results>/runs/<id>/ (scenario.yaml, node folders, event logs);
//   2. a TCP proxy per directed peer link (ProxyPartitioner), N zabd nodes routed through it;
//      wait until the cluster agrees (one leader, every node in broadcast); its epoch is `start`;
//   3. the steps in order; roles are resolved when a step runs and the resolution is printed;
//      ops are recorded (invoke/completion) and faults (start/stop) in the store as they happen;
//   4. the settle phase: ops still pending are awaited (their client timeouts bound it), heal,
//      resume, start every stopped node, wait for agreement; if final_restart, kill and start
//      every node and wait for agreement again; then a local read of every key on every node;
//   5. every node stopped, event logs ingested into node_events, expectations evaluated and
//      stored as one check ("scenario"), the narrative printed.
//
// Exit code: 0 every expectation held, 1 one failed, 2 the scenario could not run (a wait timed
// out, a role could not be resolved, the cluster failed). Every process started is killed and
// reaped before RunScenario returns.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "harness/scenario/record.h"
#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {

struct ScenarioRunOptions {
  std::string zabd_path;
  std::string store_path = "results/faultline.db";
  std::string results_dir = "results";
  std::ostream* out = nullptr;  // narrative (default std::cout)
};

struct ScenarioOutcome {
  int exit_code = 2;
  int64_t run_id = 0;
  std::vector<ExpectationResult> expectations;
  std::string error;      // why it could not run (exit 2)
  std::string narrative;  // what was printed
  ScenarioRecord record;
};

ScenarioOutcome RunScenario(const Scenario& scenario, const ScenarioRunOptions& options);

}  // namespace faultline::harness::scenario
