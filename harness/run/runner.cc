#include "harness/run/runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <thread>

#include "harness/generator/op_generator.h"
#include "harness/generator/workers.h"
#include "harness/run/final_reads.h"
#include "harness/run/interrupt.h"
#include "harness/run/judge.h"
#include "harness/run/nemesis_loop.h"
#include "harness/run/progress.h"
#include "harness/run/schedule.h"
#include "harness/run/summary.h"

namespace faultline::harness {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Bounds of the run's phases (TigerBeetle: bounds together; the scaffold's are in scaffold.h).
constexpr milliseconds kRoleTimeout{150};  // per node, for the progress line
constexpr milliseconds kPollInterval{50};  // main loop: interrupts and crashes

class WorkloadBody final : public RunBody {
 public:
  WorkloadBody(const RunOptions& o, const TestSpec& spec) : o_(o), spec_(spec) {}

  Status Ready(RunScaffold& run) override {
    Result<NodeId> leader = run.db()->FindLeader(kLeaderTimeout);
    if (!leader.ok()) {
      if (!run.db()->CanQueryRoles()) {
        run.out() << "cluster up (the system cannot tell its leader)\n";
        return Status::Ok();
      }
      return Status::Unavailable("no leader elected: " + leader.status().ToString());
    }
    run.out() << fmt::format("cluster up: leader node {}\n", *leader);
    return Status::Ok();
  }

  Status Drive(RunScaffold& run) override {
    Db& db = *run.db();
    generator_ = std::make_unique<OpGenerator>(spec_.workload, spec_.rate, spec_.seed);
    std::vector<NodeId> ids = db.NodeIds();
    WorkerOptions wo;
    wo.run_id = run.run_id();
    wo.concurrency = spec_.concurrency;
    wo.op_timeout = milliseconds(spec_.op_timeout_ms);
    workers_ = std::make_unique<Workers>(
        generator_.get(), &run.store(),
        [&run, &db, ids](int worker) -> std::unique_ptr<Client> {
          return run.system().NewClient(db.Info(ids[worker % ids.size()]), "");
        },
        wo);
    std::vector<ScheduledFault> schedule =
        o_.schedule ? o_.schedule(spec_, spec_.seed) : RealizeSchedule(spec_, spec_.seed);
    nemesis_loop_ = std::make_unique<NemesisLoop>(run.nemesis(), run.recorder(),
                                                  std::move(schedule), spec_.time_limit_ms);
    progress_ = std::make_unique<Progress>(
        run.out(), o_.tty, spec_.time_limit_ms,
        ProgressSources{[this] { return workers_->counts(); },
                        [this] {
                          std::string s;
                          for (const auto& k : nemesis_loop_->active()) {
                            s += (s.empty() ? "" : ", ") + k;
                          }
                          return s;
                        },
                        [&db] {
                          for (const auto& [id, role] : db.Roles(kRoleTimeout)) {
                            if (role == Role::kLeading) return std::to_string(id);
                          }
                          return std::string("none");
                        }});
    const Clock::time_point start = Clock::now();
    workers_->Start(start);
    nemesis_loop_->Start(start);
    progress_->Start(start);
    const auto end = start + milliseconds(spec_.time_limit_ms);
    while (Clock::now() < end && !run.Interrupted()) {
      DrainCrashes(run);
      std::this_thread::sleep_for(kPollInterval);
    }
    workers_->Stop();
    nemesis_loop_->Stop();
    workers_->Join();
    progress_->Stop();
    DrainCrashes(run);
    return Status::Ok();
  }

  Status StopFaults(RunScaffold& run) override {
    if (workers_) {
      workers_->Stop();
      workers_->Join();
    }
    if (progress_) progress_->Stop();
    if (!nemesis_loop_) return Status::Ok();
    nemesis_loop_->Stop();
    Status s = nemesis_loop_->StopActive();
    (void)run.store().SetSchedule(run.run_id(), ScheduleToJson(nemesis_loop_->realized()).dump());
    return s;
  }

  Status Settle(RunScaffold& run) override {
    Result<NodeId> leader = run.db()->FindLeader(kLeaderTimeout);
    if (leader.ok()) {
      leader_ = *leader;
    } else if (run.db()->CanQueryRoles()) {
      run.out() << "warning: no leader after healing; final reads may fail\n";
    }
    return Status::Ok();
  }

  Status FinalReads(RunScaffold& run) override {
    Db& db = *run.db();
    std::map<NodeId, std::unique_ptr<Client>> clients;
    for (NodeId id : db.NodeIds()) clients[id] = run.system().NewClient(db.Info(id), "");
    FinalReadPlan plan;
    plan.reads = generator_->FinalReads();
    plan.nodes = db.NodeIds();
    plan.leader = leader_;
    plan.attempts = spec_.workload.final_read_attempts;
    plan.first_index = generator_->generated();
    const int failed_keys = RunFinalReads(
        plan,
        [&](NodeId node, const checkers::Op& op) {
          return run.RecordedOp(*clients[node], op, milliseconds(spec_.op_timeout_ms * 2));
        },
        [] { std::this_thread::sleep_for(kFinalReadBackoff); }, [&] { return run.Interrupted(); });
    if (failed_keys) {
      run.out() << fmt::format("warning: final reads failed on {} key(s)\n", failed_keys);
    }
    return Status::Ok();
  }

  Judgement Judge(RunScaffold& run) override {
    Judgement j;
    CheckRows rows =
        JudgeStoredRun(run.store(), run.run_id(), run.system().PromisesFor(""), spec_.checkers);
    j.checks = std::move(rows.checks);
    j.observations = std::move(rows.observations);
    OpCounts c = workers_ ? workers_->counts() : OpCounts{};
    j.summary = fmt::format("ops ok {} fail {} info {}; faults applied {}", c.ok, c.fail, c.info,
                            nemesis_loop_ ? nemesis_loop_->applied_count() : 0);
    return j;
  }

  void Report(RunScaffold& run, const RunOutcome& outcome) override {
    (void)PrintRunSummary(run.store(), outcome.run_id, run.out());
  }

 private:
  void DrainCrashes(RunScaffold& run) {
    for (const auto& e : run.db()->DrainUnexpectedExits()) {
      run.recorder()->Crash(e.id, e.Describe());
      run.out() << "\nnode crashed: " << e.Describe() << "\n";
    }
  }

  const RunOptions& o_;
  const TestSpec& spec_;
  std::optional<NodeId> leader_;
  // Declaration order = reverse destruction order: workers and loops stop before the generator.
  std::unique_ptr<OpGenerator> generator_;
  std::unique_ptr<Workers> workers_;
  std::unique_ptr<NemesisLoop> nemesis_loop_;
  std::unique_ptr<Progress> progress_;
};

RunOutcome Refuse(std::ostream& out, const std::string& error) {
  RunOutcome outcome;
  outcome.verdict = "unknown";
  outcome.error = error;
  out << "error: " << error << "\n";
  return outcome;
}

}  // namespace

std::string ResolveNetMode(const TestSpec& spec, bool is_root) {
  Result<std::string> net =
      ChooseNet(spec.net, SpecHasFault(spec, IsNetworkFault), SpecHasFault(spec, IsLinkFault),
                SystemTraits{}, is_root, spec.system.kind);
  return net.ok() ? *net : "unavailable";
}

RunOutcome ExecuteRun(const RunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  TestSpec spec = options.spec;
  Result<std::unique_ptr<System>> system = MakeSystem(spec, options.system_context);
  if (!system.ok()) return Refuse(out, system.status().message());
  Result<std::string> net =
      ChooseNet(spec.net, SpecHasFault(spec, IsNetworkFault), SpecHasFault(spec, IsLinkFault),
                (*system)->Traits(), geteuid() == 0, (*system)->Kind());
  if (!net.ok()) return Refuse(out, net.status().message());
  const bool power_loss = SpecHasFault(spec, NeedsPowerLossMode);
  if (power_loss && !(*system)->Traits().power_loss) {
    return Refuse(out, fmt::format("system {} cannot simulate a power loss (its nodes cannot hold "
                                   "unsynced writes in memory); use kill",
                                   (*system)->Kind()));
  }
  if (spec.seed == 0) spec.seed = std::random_device{}() | (uint64_t{1} << 32);

  ScaffoldOptions so;
  so.suite = spec.name;
  so.spec_text = SpecToYaml(spec);
  so.files = {{"spec.yaml", so.spec_text}};
  if (!spec.source_text.empty() && spec.source_text != so.spec_text) {
    so.files.push_back({"spec.original.yaml", spec.source_text});
  }
  so.seed = spec.seed;
  so.nodes = spec.system.nodes;
  so.net = *net;
  so.power_loss = power_loss;
  so.junit_path = options.junit_path;
  so.replay_of = options.replay_of;
  so.store_path = options.store_path;
  so.results_dir = options.results_dir;
  so.allow_netns = options.allow_netns;
  so.out = &out;
  so.banner = [&spec, &system, net = *net](int64_t id, const std::string& folder) {
    return fmt::format(
        "run {}: suite {}, system {} ({} reads), seed {}, {} nodes, net {}, folder "
        "{}\n",
        id, spec.name, (*system)->Kind(), (*system)->ReadMode(), spec.seed, spec.system.nodes, net,
        folder);
  };
  WorkloadBody body(options, spec);
  return ExecuteBody(so, **system, body);
}

}  // namespace faultline::harness
