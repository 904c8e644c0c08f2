#include "harness/sim/sim_run.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "harness/generator/op_generator.h"
#include "harness/nemesis/fault.h"
#include "harness/nemesis/nemesis.h"
#include "harness/run/fault_recorder.h"
#include "harness/run/final_reads.h"
#include "harness/run/interrupt.h"
#include "harness/run/judge.h"
#include "harness/run/nemesis_timeline.h"
#include "harness/run/recorded_run.h"
#include "harness/run/schedule.h"
#include "harness/run/summary.h"
#include "harness/sim/sim_client.h"
#include "harness/sim/sim_config.h"
#include "harness/sim/sim_history.h"
#include "harness/sim/sim_workers.h"
#include "harness/sim/world.h"
#include "harness/systems/registry.h"

namespace faultline::harness::sim {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The nemesis of a simulated run: the NemesisTimeline woken on simulated time.
class NemesisActor final : public Actor {
 public:
  NemesisActor(NemesisTimeline* timeline, uint64_t start_ms)
      : timeline_(timeline), start_ms_(start_ms) {}
  std::optional<uint64_t> NextWakeMs() const override {
    if (stopped_) return std::nullopt;
    std::optional<int64_t> t = timeline_->NextEventMs();
    if (!t) return std::nullopt;
    return start_ms_ + static_cast<uint64_t>(*t);
  }
  void Wake(uint64_t) override { timeline_->FireNext(); }
  void Stop() { stopped_ = true; }

 private:
  NemesisTimeline* timeline_;
  uint64_t start_ms_;
  bool stopped_ = false;
};

// The run after its row exists; every phase on simulated time.
class SimRun {
 public:
  SimRun(HistoryStore& store, const SimRunOptions& o, const SimSetup& setup, int64_t run_id,
         int64_t anchor_ms)
      : store_(store), o_(o), spec_(o.spec), setup_(setup), run_id_(run_id), anchor_ms_(anchor_ms) {
    WorldOptions w;
    w.nodes = spec_.system.nodes;
    w.base = setup.base;
    w.seed = spec_.seed;
    w.latency_ms_max = o.latency_ms_max;
    w.fsync_ms_min = o.fsync_ms_min;
    w.fsync_ms_max = o.fsync_ms_max;
    // zabd runs in power-loss mode when the suite cuts power (runner.cc): every kill is a cut.
    w.power_loss_mode = SpecHasFault(spec_, NeedsPowerLossMode);
    if (o.schedule) {
      for (const ScheduledFault& f : *o.schedule) {
        w.power_loss_mode = w.power_loss_mode || NeedsPowerLossMode(f.fault.kind);
      }
    }
    w.anchor_ms = anchor_ms;
    world_ = std::make_unique<World>(w);
    history_ = std::make_unique<SimHistory>(&store_, run_id_);
    recorder_ = std::make_unique<FaultRecorder>(&store_, run_id_);
    recorder_->on_start = [this](const FaultRecord& f) { history_->FaultStarted(f); };
    recorder_->on_stop = [this](int64_t i, int64_t ns) { history_->FaultStopped(i, ns); };
    world_->on_event = [this](checkers::NodeEvent e) { history_->NodeEvent(std::move(e)); };
    world_->stop = [] { return Interrupted(); };
    world_->on_crash = [this](NodeId id, const std::string& why) {
      recorder_->Crash(id, fmt::format("node {} died: {}", id, why), world_->NowNs(), "simulator");
    };
  }

  Status Run(SimOutcome* outcome) {
    world_->Start();
    NemesisOptions no;
    no.seed = spec_.seed;
    nemesis_ = std::make_unique<Nemesis>(world_->Control(), &world_->Network(), no);
    Result<NodeId> leader = world_->Control().FindLeader(kLeaderTimeout);
    if (world_->stopped()) return Status::Ok();  // interrupted (RunSim marks the run so)
    if (!leader.ok())
      return Status::Unavailable("no leader elected: " + leader.status().ToString());
    if (Status s = Drive(); !s.ok()) return s;
    if (!world_->stopped()) {  // interrupted: neither healing nor final reads would run
      Status stop = timeline_ ? timeline_->StopActive() : Status::Ok();
      Status heal = nemesis_->HealAll();
      if (!stop.ok()) out() << "warning: stopping faults: " << stop.ToString() << "\n";
      if (!heal.ok()) out() << "warning: heal: " << heal.ToString() << "\n";
      FinalReads();
    }
    outcome->simulated_ms = static_cast<int64_t>(world_->now_ms());
    outcome->node_events = world_->events_emitted();
    outcome->faults_applied = timeline_ ? timeline_->applied_count() : 0;
    outcome->ops = workers_ ? workers_->counts().total() : 0;
    return Status::Ok();
  }

  // What a run that is not judged still stores: its node events and schedule.
  void StoreUnjudged() {
    history_->StoreNodeEvents();
    StoreSchedule();
  }

  // The realized schedule into the run row (synchronous: it waits for the store's writer).
  void StoreSchedule() {
    if (std::optional<std::string> j = ScheduleJson()) (void)store_.SetSchedule(run_id_, *j);
  }
  // The realized schedule as runs.schedule holds it (nullopt: the run never got to it).
  std::optional<std::string> ScheduleJson() const {
    if (!timeline_) return std::nullopt;
    return ScheduleToJson(timeline_->realized()).dump();
  }

  // Judges the history recorded in memory (what the store will hold once flushed), so the
  // checkers run while the store's writer is still committing.
  Judgement Judge(const std::string& spec_text) {
    Judgement j;
    Result<std::unique_ptr<System>> system = MakeSystem(spec_, SystemContext{});
    if (!system.ok()) {
      j.checks.push_back({"system", "unknown", system.status().ToString(), {}});
      history_->StoreNodeEvents();
      return j;
    }
    checkers::History history = history_->Take(spec_text);
    history.origin_ms = anchor_ms_;
    if (o_.on_judge) o_.on_judge(history);
    CheckRows rows =
        JudgeHistory(history, (*system)->PromisesFor(setup_.read_mode_name), spec_.checkers);
    history_->StoreNodeEvents(std::move(history.node_events));
    j.checks = std::move(rows.checks);
    j.observations = std::move(rows.observations);
    OpCounts c = workers_ ? workers_->counts() : OpCounts{};
    j.summary = fmt::format("ops ok {} fail {} info {}; faults applied {}; simulated {:.1f} s",
                            c.ok, c.fail, c.info, timeline_ ? timeline_->applied_count() : 0,
                            static_cast<double>(world_->now_ms()) / 1000.0);
    return j;
  }

 private:
  std::ostream& out() { return o_.out ? *o_.out : std::cout; }

  Status Drive() {
    generator_ = std::make_unique<OpGenerator>(spec_.workload, spec_.rate, spec_.seed);
    WorkersOptions wo;
    wo.concurrency = spec_.concurrency;
    wo.op_timeout_ms = static_cast<uint64_t>(spec_.op_timeout_ms);
    wo.read_mode = setup_.read_mode;
    workers_ = std::make_unique<Workers>(world_.get(), generator_.get(), history_.get(), wo);
    const uint64_t start = world_->now_ms();
    std::vector<ScheduledFault> schedule =
        o_.schedule ? *o_.schedule : RealizeSchedule(spec_, spec_.seed);
    World* world = world_.get();
    timeline_ = std::make_unique<NemesisTimeline>(
        nemesis_.get(), recorder_.get(), std::move(schedule), spec_.time_limit_ms,
        TimelineClock{[world, start] { return static_cast<int64_t>(world->now_ms() - start); },
                      [world] { return world->NowNs(); }});
    NemesisActor nemesis(timeline_.get(), start);
    workers_->Start(start);
    world_->AddActor(workers_.get());
    world_->AddActor(&nemesis);
    world_->RunUntil(start + static_cast<uint64_t>(spec_.time_limit_ms));
    nemesis.Stop();
    workers_->Stop();
    // Ops in flight complete (answer or timeout), as real workers finish theirs.
    world_->RunUntil(world_->now_ms() + static_cast<uint64_t>(spec_.op_timeout_ms) + 1,
                     [this] { return workers_->idle(); });
    world_->RemoveActor(&nemesis);
    world_->RemoveActor(workers_.get());
    return Status::Ok();
  }

  void FinalReads() {
    Result<NodeId> leader = world_->Control().FindLeader(kLeaderTimeout);
    if (!leader.ok()) out() << "warning: no leader after healing; final reads may fail\n";
    std::map<NodeId, std::unique_ptr<SimClient>> clients;
    FinalReadPlan plan;
    for (NodeId id = 1; id <= world_->nodes(); ++id) {
      clients[id] = std::make_unique<SimClient>(world_.get(), id, setup_.read_mode);
      plan.nodes.push_back(id);
    }
    if (leader.ok()) plan.leader = *leader;
    plan.reads = generator_->FinalReads();
    plan.attempts = spec_.workload.final_read_attempts;
    plan.first_index = generator_->generated();
    const int failed = RunFinalReads(
        plan,
        [&](NodeId node, const checkers::Op& read) {
          checkers::Op op = read;
          op.invoke_ns = world_->NowNs();
          checkers::Op recorded = op;
          recorded.elements.clear();  // candidates are not part of the stored invoke
          history_->Invoke(recorded);
          OpResult r = clients[node]->Invoke(op, milliseconds(spec_.op_timeout_ms * 2));
          history_->Complete(op.index, r.outcome, std::max(world_->NowNs(), op.invoke_ns + 1),
                             r.value, r.elements, r.zxid, r.error);
          return r;
        },
        [&] { world_->RunUntil(world_->now_ms() + kFinalReadBackoff.count()); },
        [] { return false; });
    if (failed) out() << fmt::format("warning: final reads failed on {} key(s)\n", failed);
  }

  HistoryStore& store_;
  const SimRunOptions& o_;
  const TestSpec& spec_;
  const SimSetup& setup_;
  int64_t run_id_;
  int64_t anchor_ms_;  // the run's start (unix ms): simulated time 0
  // Declaration order = reverse destruction order: the world outlives what points into it.
  std::unique_ptr<World> world_;
  std::unique_ptr<SimHistory> history_;
  std::unique_ptr<FaultRecorder> recorder_;
  std::unique_ptr<Nemesis> nemesis_;
  std::unique_ptr<OpGenerator> generator_;
  std::unique_ptr<Workers> workers_;
  std::unique_ptr<NemesisTimeline> timeline_;
};

}  // namespace

SimOutcome RunSim(HistoryStore& store, const SimRunOptions& options) {
  SimOutcome outcome;
  std::ostream& out = options.out ? *options.out : std::cout;
  Result<SimSetup> setup = SimSetupFor(options.spec);
  if (!setup.ok()) {
    outcome.run.error = setup.status().message();
    outcome.run.verdict = "unknown";
    out << "error: " << outcome.run.error << "\n";
    return outcome;
  }
  SimRunOptions o = options;
  if (o.spec.seed == 0) o.spec.seed = 1;
  const std::string spec_text = SpecToYaml(o.spec);
  RunRecord r;
  r.suite = o.spec.name;
  r.system = kSimSystemKind;
  r.spec_text = spec_text;
  r.seed = o.spec.seed;
  static const std::string revision = GitRevision();  // a git process per run cost more than a run
  r.git_revision = revision;
  r.started_ms = NowNs() / 1'000'000;
  r.replay_of = o.replay_of;
  Result<int64_t> id = store.CreateRun(r);
  if (!id.ok()) {
    outcome.run.error = id.status().ToString();
    out << "error: " << outcome.run.error << "\n";
    return outcome;
  }
  Result<std::string> folder = CreateRunFolder(o.results_dir, *id);  // as every run makes it
  Status s = folder.status();
  if (s.ok()) {
    std::ofstream(fs::path(*folder) / "spec.yaml") << spec_text;
    s = store.SetRunFolder(*id, *folder);
  }
  SimRun run(store, o, *setup, *id, r.started_ms);
  if (s.ok()) s = run.Run(&outcome);
  const bool interrupted = Interrupted();
  if (!s.ok() || interrupted) run.StoreUnjudged();
  outcome.run = FinishStoredRun(
      store, *id, s, interrupted,
      [&] {
        Judgement j = run.Judge(spec_text);
        j.schedule_json = run.ScheduleJson();
        // The invalid ones in the order they are stored (LoadChecks order): checks, then
        // observations.
        for (const auto* rows : {&j.checks, &j.observations}) {
          for (const CheckRecord& c : *rows) {
            if (c.verdict != "invalid") continue;
            if (outcome.first_checker.empty()) outcome.first_checker = c.checker;
            outcome.invalid_checkers.push_back(c.checker);
          }
        }
        return j;
      },
      out, o.queue_end_writes && !o.summary && !o.report ? EndWrites::kQueued
                                                          : EndWrites::kCommitted);
  outcome.run.net = "sim";
  if (o.summary) (void)PrintRunSummary(store, *id, out);
  if (o.report) WriteRunReport(store, *id, o.store_path, out);
  return outcome;
}

Result<SimInput> SimInputFromRun(HistoryStore& store, int64_t run_id) {
  Result<RecordedRun> run = LoadRecordedRun(store, run_id, /*exact_partitions=*/true);
  if (!run.ok()) return run.status();
  SimInput in;
  // The realized schedule replaces the spec's (an empty one: the run had no faults).
  in.spec = WithExactSchedule(run->spec, run->schedule);
  return in;
}

Result<std::string> HistoryFingerprint(HistoryStore& store, int64_t run_id) {
  if (Status s = store.Flush(); !s.ok()) return s;
  Result<RunRecord> run = store.GetRun(run_id);
  if (!run.ok()) return run.status();
  Result<checkers::History> h = store.LoadHistory(run_id);
  if (!h.ok()) return h.status();
  Result<std::vector<FaultRecord>> faults = store.LoadFaults(run_id);
  if (!faults.ok()) return faults.status();
  const int64_t origin_ns = run->started_ms * 1'000'000;
  auto rel = [&](int64_t ns) {
    return ns == checkers::kOpenNs ? std::string("open") : std::to_string(ns - origin_ns);
  };
  std::string text =
      fmt::format("seed {} suite {} system {}\n", run->seed, run->suite, run->system);
  for (const checkers::Op& op : h->ops) {
    text +=
        fmt::format("op {} p{} {} {} v={} e={} els={} n={} [{}, {}] {} z={}\n", op.index,
                    op.process, checkers::FnName(op.f), op.key, op.value.value_or("nil"),
                    op.expected.value_or("-"), nlohmann::json(op.elements).dump(),
                    op.node.value_or(0), rel(op.invoke_ns), rel(op.complete_ns),
                    checkers::OutcomeName(op.outcome), op.zxid ? std::to_string(*op.zxid) : "-");
  }
  for (const FaultRecord& f : *faults) {
    nlohmann::json detail = nlohmann::json::parse(f.detail_json, nullptr, false);
    if (detail.is_object() && detail.contains("applied_ns") &&
        detail["applied_ns"].is_number_integer()) {
      detail["applied_ns"] = rel(detail["applied_ns"].get<int64_t>());
    }
    text += fmt::format("fault {} {} {} [{}, {}] {} {}\n", f.index, f.kind,
                        nlohmann::json(f.targets).dump(), rel(f.start_ns),
                        f.stop_ns ? rel(*f.stop_ns) : "open", f.description,
                        detail.is_discarded() ? f.detail_json : detail.dump());
  }
  const int64_t origin_ms = run->started_ms;
  for (const checkers::NodeEvent& e : h->node_events) {
    checkers::FieldList fields = e.fields;
    fields.Set("ts_ms", e.ts_ms - origin_ms);
    text += fmt::format("event {} {} {}\n", e.node, e.ts_ms - origin_ms, fields.Dump());
  }
  text += "schedule " + run->schedule_json + "\n";
  return text;
}

}  // namespace faultline::harness::sim
