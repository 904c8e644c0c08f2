// RunScenario and the scenario body's phases around the steps (scenario_body.h).
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "harness/generator/workers.h"
#include "harness/scenario/scenario_body.h"
#include "harness/systems/registry.h"

namespace faultline::harness::scenario {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr int kFinalReadAttempts = 10;
constexpr milliseconds kFinalReadBackoff{50};
constexpr int64_t kFinalReadProcessBase = 1000;  // + node id

SystemOption Scalar(const std::string& v) { return SystemOption{{v}, false, 0}; }

// The system a scenario runs against: its `system:` section, or (older files) zabd built from the
// top-level keys; then the command line's --zabd and --system.
Result<TestSpec> SystemSpecOf(const Scenario& s, const ScenarioRunOptions& o) {
  TestSpec spec;
  spec.source_name = s.source;
  if (s.has_system_section) {
    spec.system = s.system;
  } else {
    spec.system.kind = "zabd";
    spec.system.nodes = s.nodes;
    spec.system.read_mode = s.read_mode;
    spec.system.options["tick_time_ms"] = Scalar(std::to_string(s.tick_time_ms));
    spec.system.options["init_limit"] = Scalar(std::to_string(s.init_limit));
    spec.system.options["sync_limit"] = Scalar(std::to_string(s.sync_limit));
    if (!s.zabd_flags.empty()) {
      spec.system.options["extra_flags"] = SystemOption{s.zabd_flags, true, 0};
    }
  }
  if (!o.zabd_path.empty() && spec.system.kind == "zabd") {
    spec.system.options["zabd"] = Scalar(o.zabd_path);
  }
  if (!o.system_kind.empty()) {
    Result<std::vector<std::string>> dropped = OverrideSystemKind(o.system_kind, &spec);
    if (!dropped.ok()) return dropped.status();
  }
  if (Status st = ValidateSystemSpec(spec); !st.ok()) return st;
  return spec;
}

// What the steps need that only some systems can answer (SystemTraits); "" when all is fine.
std::string Unanswerable(const Scenario& s, const SystemTraits& t, const std::string& kind) {
  for (const Step& step : s.steps) {
    const std::string where = fmt::format("{}:{}: step {} ({})", s.source, step.line, step.index,
                                          StepKindName(step.kind));
    if (step.kind != StepKind::kWait) continue;
    const Condition& c = step.condition;
    if (c.kind == ConditionKind::kLogged && !t.zab_event_log) {
      return fmt::format(
          "{}: `logged:` needs zabd's event log (a logged range per txn); system {} cannot "
          "answer it",
          where, kind);
    }
    if (c.kind == ConditionKind::kRole && !c.phase.empty() && !t.role_phases) {
      return fmt::format(
          "{}: a role with `phase: {}` needs zabd's ROLE phases; system {} reports "
          "no phase",
          where, c.phase, kind);
    }
  }
  return "";
}

}  // namespace

Status Prefixed(const Status& s, const std::string& prefix) {
  std::string m = prefix + ": " + s.message();
  switch (s.code()) {
    case StatusCode::kOk:
      return s;
    case StatusCode::kIoError:
      return Status::IoError(m);
    case StatusCode::kCorruption:
      return Status::Corruption(m);
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(m);
    case StatusCode::kNotFound:
      return Status::NotFound(m);
    case StatusCode::kTimeout:
      return Status::Timeout(m);
    case StatusCode::kUnavailable:
      return Status::Unavailable(m);
  }
  return Status::Unavailable(m);
}

int64_t NowMs() { return NowNs() / 1000000; }

Status ScenarioBody::Ready(RunScaffold& run) {
  run_ = &run;
  db_ = run.db();
  view_ = std::make_unique<ClusterView>(*db_, run.system(), s_.nodes, s_.default_timeout_ms,
                                        record_.bindings);
  Probe seen;
  if (Status s = WaitAgree("start: wait until the cluster agrees", &seen); !s.ok()) return s;
  for (const NodeStatus& n : view_->Statuses(false)) {
    if (n.role && n.role->role == Role::kLeading) {
      record_.start_epoch = n.role->epoch;
      run.out() << fmt::format("cluster up: n{} leads epoch {}\n", n.id, n.role->epoch);
    }
  }
  return Status::Ok();
}

Status ScenarioBody::Drive(RunScaffold& run) {
  record_.t0_ms = NowMs();
  last_action_ms_ = record_.t0_ms;
  for (const Step& step : s_.steps) {
    if (run.Interrupted()) return Status::Ok();
    Status st = RunStep(step);
    NoteUnexpectedExits();
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status ScenarioBody::Settle(RunScaffold& run) {
  Probe seen;
  // Replicas that settle into one epoch, one commit point and different states never agree
  // (WaitAgree ends on such a divergence): a finding for the expectations to judge (final
  // reads, invariants), not a scenario that could not run.
  auto agreed = [&](const std::string& prefix) {
    Line("settle: " + prefix +
         (seen.diverged ? "never agreed, their states differ: " : "agreed: ") + seen.seen);
  };
  if (Status s = WaitAgree("settle: wait until every node agrees", &seen); !s.ok()) return s;
  agreed("");
  if (s_.final_restart) {
    // Part of settling, not a fault: every node restarts from its own disk.
    for (NodeId id : db_->NodeIds()) {
      if (Status s = db_->Kill(id); !s.ok()) return Prefixed(s, fmt::format("settle: n{}", id));
    }
    for (NodeId id : db_->NodeIds()) {
      if (Status s = db_->Start(id); !s.ok()) return Prefixed(s, fmt::format("settle: n{}", id));
    }
    if (Status s = WaitAgree("settle: wait until every node agrees after restarting all", &seen);
        !s.ok()) {
      return s;
    }
    agreed("restarted every node, ");
  }
  return Status::Ok();
}

Status ScenarioBody::FinalReads(RunScaffold& run) {
  std::set<std::string> keys;
  for (const OpRecord& r : record_.ops) keys.insert(r.op.key);
  next_final_index_ = static_cast<int64_t>(record_.ops.size());
  std::string summary;
  for (NodeId id : db_->NodeIds()) {
    std::unique_ptr<Client> client = run.system().NewClient(db_->Info(id), "local");
    for (const std::string& key : keys) {
      checkers::Op op;
      op.process = kFinalReadProcessBase + id;
      op.f = checkers::Fn::kRead;
      op.key = key;
      op.node = id;
      checkers::Op done;
      for (int attempt = 0; attempt < kFinalReadAttempts; ++attempt) {
        op.index = ++next_final_index_;
        OpResult r = run.RecordedOp(*client, op, milliseconds(s_.op_timeout_ms), &done);
        if (r.outcome == checkers::Outcome::kOk) break;
        if (r.outcome == checkers::Outcome::kInfo) ++op.process;  // a lost reply ends a session
        client->Reset();
        std::this_thread::sleep_for(kFinalReadBackoff);
      }
      if (done.outcome != checkers::Outcome::kOk) continue;  // never judged from a failed read
      record_.final_values[id][key] = done.value;
      record_.final_reads.push_back(done);
      summary += fmt::format("{}n{} {}={}", summary.empty() ? "" : ", ", id, key,
                             done.value ? *done.value : "nil");
    }
  }
  Line("settle: final local reads: " + summary);
  return Status::Ok();
}

Judgement ScenarioBody::Judge(RunScaffold& run) {
  record_.events = run.pump()->Events();
  outcome_.expectations = EvaluateExpectations(s_, record_);
  Judgement j;
  CheckRecord check;
  check.checker = "scenario";
  bool all_held = true;
  for (const auto& r : outcome_.expectations) {
    if (!r.held) {
      all_held = false;
      check.reason += fmt::format("step {}: {}; ", r.step, r.detail);
    }
  }
  check.verdict = all_held ? "valid" : "invalid";
  j.checks.push_back(std::move(check));
  j.summary =
      fmt::format("{} expectations, {} ops", outcome_.expectations.size(), record_.ops.size());
  return j;
}

void ScenarioBody::Report(RunScaffold& run, const RunOutcome& outcome) {
  outcome_.run_id = outcome.run_id;
  outcome_.error = outcome.error;
  if (outcome.interrupted && outcome_.error.empty()) outcome_.error = "interrupted";
  if (run.pump() != nullptr && record_.events.empty()) record_.events = run.pump()->Events();
  std::string narrative = Narrate(s_, record_, outcome_.expectations);
  if (!outcome_.error.empty()) narrative += "could not run: " + outcome_.error + "\n";
  outcome_.exit_code = outcome.exit_code;
  narrative += fmt::format("result: {} (exit {})\n",
                           outcome_.exit_code == 0   ? "every expectation held"
                           : outcome_.exit_code == 1 ? "an expectation failed"
                                                     : "could not run",
                           outcome_.exit_code);
  run.out() << narrative;
  outcome_.narrative = narrative;
  if (outcome.run_id == 0) return;
  std::ofstream(fs::path(run.folder()) / "narrative.txt") << narrative;
  // The realized schedule: each step as run, with its role resolutions, and the bindings.
  nlohmann::json schedule = nlohmann::json::array();
  for (const auto& l : record_.step_lines) schedule.push_back({{"line", l}});
  nlohmann::json bindings = nlohmann::json::object();
  for (const auto& [name, ids] : record_.bindings) bindings[name] = ids;
  schedule.push_back({{"bindings", bindings}});
  (void)run.store().SetSchedule(outcome.run_id, schedule.dump());
  outcome_.record = record_;
}

ScenarioOutcome RunScenario(const Scenario& scenario, const ScenarioRunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  auto refuse = [&](const std::string& error) {
    ScenarioOutcome o;
    o.exit_code = 2;
    o.error = error;
    out << "error: " << error << "\n";
    return o;
  };
  Result<TestSpec> spec = SystemSpecOf(scenario, options);
  if (!spec.ok()) return refuse(spec.status().message());
  Result<std::unique_ptr<System>> system = MakeSystem(*spec, options.system_context);
  if (!system.ok()) return refuse(system.status().message());
  const SystemTraits traits = (*system)->Traits();
  if (std::string why = Unanswerable(scenario, traits, (*system)->Kind()); !why.empty()) {
    return refuse(why);
  }
  bool cuts = false, delays = false;
  for (const Step& step : scenario.steps) {
    cuts |= step.kind == StepKind::kCut || step.kind == StepKind::kCutOneWay;
    delays |= step.kind == StepKind::kDelay;
  }
  // No link step: no partitioner (a scenario of kills and pauses runs on any system).
  Result<std::string> net =
      ChooseNet(cuts || delays ? scenario.net : NetMode::kNone, cuts || delays, delays, traits,
                geteuid() == 0, (*system)->Kind());
  if (!net.ok()) return refuse(net.status().message());

  ScaffoldOptions so;
  so.suite = "scenario:" + scenario.name;
  so.spec_text = scenario.text;
  so.files = {{"scenario.yaml", scenario.text}};
  so.seed = 1;
  so.nodes = spec->system.nodes;
  so.net = *net;
  so.store_path = options.store_path;
  so.results_dir = options.results_dir;
  so.out = &out;
  so.nemesis.record_roles = false;  // steps record their own resolutions
  so.banner = [&](int64_t id, const std::string& folder) {
    std::string text =
        fmt::format("scenario {} (run {}, system {}, {} nodes, net {}, folder {})\n", scenario.name,
                    id, (*system)->Kind(), spec->system.nodes, *net, folder);
    if (!scenario.question.empty()) text += "question: " + scenario.question + "\n";
    return text;
  };
  ScenarioBody body(scenario, options);
  (void)ExecuteBody(so, **system, body);
  return body.TakeOutcome();
}

}  // namespace faultline::harness::scenario
