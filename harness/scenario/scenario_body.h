// ScenarioBody: a scenario as a RunBody on the one run scaffold (harness/run/scaffold.h). Internal
// to harness/scenario; RunScenario (runner.h) is the public entry. The scaffold does the run row,
// folder, cluster, partitioner, nemesis, healing, final-read recording, event ingest and the
// run row's end; this body adds:
//   Ready       wait until the cluster agrees; its leader's epoch is `start`
//   Drive       the steps in order (scenario_steps.cc); link and process steps go through the
//               Nemesis with explicit, additive grudges (scenario_faults.cc); waits poll the
//               cluster and the events the scaffold's EventPump ingested (scenario_wait.cc)
//   StopFaults  pending ops awaited, every fault a step left in force stopped and recorded
//   Settle      wait for agreement; if final_restart, kill and start every node, agree again
//   FinalReads  a local read of every key on every node, each attempt recorded as it happens
//   Judge       expectations over the record and the ingested node events: one "scenario" check
//   Report      the narrative (printed, narrative.txt) and the realized schedule
// Not thread-safe, except Complete (async op threads) under mu_.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/run/scaffold.h"
#include "harness/scenario/cluster_view.h"
#include "harness/scenario/record.h"
#include "harness/scenario/runner.h"
#include "harness/scenario/scenario.h"

namespace faultline::harness::scenario {

// The same status with `prefix: ` in front of its message.
Status Prefixed(const Status& s, const std::string& prefix);
int64_t NowMs();

class ScenarioBody final : public RunBody {
 public:
  ScenarioBody(const Scenario& s, const ScenarioRunOptions& o) : s_(s), o_(o) {
    record_.nodes = s.nodes;
  }

  Status Ready(RunScaffold& run) override;
  Status Drive(RunScaffold& run) override;
  Status StopFaults(RunScaffold& run) override;
  Status Settle(RunScaffold& run) override;
  Status FinalReads(RunScaffold& run) override;
  Judgement Judge(RunScaffold& run) override;
  void Report(RunScaffold& run, const RunOutcome& outcome) override;

  ScenarioOutcome TakeOutcome() { return std::move(outcome_); }

 private:
  // A fault a step put in force, and its row in the faults table.
  struct InForce {
    AppliedFault fault;
    int64_t row = 0;
  };

  // scenario_steps.cc
  Status RunStep(const Step& step);
  Status Dispatch(const Step& step, StepContext& ctx, std::string* note);
  Status RunOp(const Step& step, StepContext& ctx, std::string* note);
  void Complete(size_t idx, const OpResult& r);
  void JoinOps();
  void Line(const std::string& text);
  void NoteUnexpectedExits();

  // scenario_faults.cc
  Status RunLinks(const Step& step, StepContext& ctx, std::string* note);
  Status HealLinks();
  Status RunProcess(const Step& step, StepContext& ctx, std::string* note);
  Status StartFault(const FaultSpec& spec, InForce* out);
  Status StartNode(NodeId id);
  Status ResumeNode(NodeId id);

  // scenario_wait.cc
  Status RunWait(const Step& step, StepContext& ctx, std::string* note);
  Status WaitAgree(const std::string& what, Probe* seen);
  std::map<NodeId, std::vector<checkers::NodeEvent>> EventsNow();
  std::optional<int64_t> OpZxid(const std::string& name,
                                const std::map<NodeId, std::vector<checkers::NodeEvent>>& ev);

  const Scenario& s_;
  const ScenarioRunOptions& o_;
  RunScaffold* run_ = nullptr;  // set by Ready
  Db* db_ = nullptr;
  ScenarioOutcome outcome_;
  ScenarioRecord record_;
  std::mutex mu_;  // record_.ops (async op threads complete into it)
  std::unique_ptr<ClusterView> view_;
  std::vector<std::thread> threads_;
  int64_t next_final_index_ = 0;
  std::vector<InForce> link_faults_;
  std::map<NodeId, InForce> down_faults_, paused_faults_;
  int64_t step_start_ms_ = 0;
  int64_t last_action_ms_ = 0;
};

}  // namespace faultline::harness::scenario
