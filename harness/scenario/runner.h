// RunScenario: one scenario against a fresh cluster of its system (the `system:` section, or zabd
// from the older top-level keys), on the one run scaffold (harness/run/scaffold.h) shared with
// `faultline run`. Net: the TCP proxy by default (no root; `net:` may ask for iptables or auto).
//
//   0. before anything starts: the system is built and validated, and a step the system cannot
//      answer (`logged:` needs zabd's event log, a role `phase:` needs zabd's ROLE) is an error
//      naming the step and the system;
//   1. a run row in the HistoryStore (suite "scenario:<name>", the scenario text as the spec) and
//      the run folder <results>/runs/<id>/ (scenario.yaml, node folders, logs);
//   2. the partitioner (a proxy listener per directed link and peer port), N nodes, every node's
//      events ingested as the run goes; wait until the cluster agrees; its epoch is `start`;
//   3. the steps in order; roles are resolved when a step runs and the resolution is printed;
//      link and process steps go through the Nemesis (additive grudges: a cut adds to the cuts in
//      force); ops and faults are recorded in the store as they happen;
//   4. the settle phase: ops still pending are awaited (their client timeouts bound it), every
//      step's fault stopped, the network healed, paused nodes resumed, stopped nodes started,
//      agreement awaited; if final_restart, every node killed and started, agreement again; then
//      a local read of every key on every node (each attempt recorded invoke first);
//   5. every node stopped, the rest of the events ingested, expectations evaluated and stored as
//      one check ("scenario"), the narrative printed.
//
// Exit code: 0 every expectation held, 1 one failed, 2 the scenario could not run (a wait timed
// out, a role could not be resolved, the cluster failed, the system cannot answer a step). Every
// process started is killed and reaped before RunScenario returns.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "harness/scenario/record.h"
#include "harness/scenario/scenario.h"
#include "harness/systems/registry.h"

namespace faultline::harness::scenario {

struct ScenarioRunOptions {
  std::string zabd_path;    // zabd only: the binary ("" = beside faultline)
  std::string system_kind;  // --system: run against another kind ("" = the scenario's)
  SystemContext system_context;
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
