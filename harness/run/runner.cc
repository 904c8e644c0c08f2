#include "harness/run/runner.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "checkers/cli/check_command.h"
#include "harness/generator/op_generator.h"
#include "harness/generator/workers.h"
#include "harness/history/history_store.h"
#include "harness/nemesis/nemesis.h"
#include "harness/net/iptables_partitioner.h"
#include "harness/net/netns.h"
#include "harness/net/proxy_partitioner.h"
#include "harness/report/run_outputs.h"
#include "harness/run/event_pump.h"
#include "harness/run/interrupt.h"
#include "harness/run/nemesis_loop.h"
#include "harness/run/progress.h"
#include "harness/run/schedule.h"
#include "harness/run/summary.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Bounds of the run's phases (TigerBeetle: bounds together).
constexpr milliseconds kServeTimeout{15000};              // every node answers PING after start
constexpr milliseconds kLeaderTimeout{30000};             // a leader at start and after healing
constexpr milliseconds kRoleTimeout{150};                 // per node, for the progress line
constexpr milliseconds kFinalReadBackoff{250};            // between final read attempts
constexpr milliseconds kPollInterval{50};                 // main loop: interrupts and crashes
constexpr int64_t kFinalReadProcessBase = 1'000'000'000;  // final reads' logical processes

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool HasKind(const TestSpec& spec, bool (*pred)(const std::string&)) {
  for (const auto& k : spec.nemesis.kinds) {
    if (pred(k)) return true;
  }
  for (const auto& f : spec.nemesis.schedule) {
    if (pred(f.kind)) return true;
  }
  return false;
}

bool IsLinkFault(const std::string& k) { return k == "delay" || k == "loss"; }
bool IsPowerLoss(const std::string& k) { return k == "power-loss"; }

// The checker names a spec may list, mapped to the names RunChecks reports under.
std::string CheckerName(const std::string& spec_name) {
  if (spec_name == "linearizable") return "linearizability";
  if (spec_name == "set") return "lost-writes";
  return spec_name;
}

class Run {
 public:
  explicit Run(const RunOptions& options)
      : o_(options), spec_(options.spec), out_(options.out ? *options.out : std::cout) {}

  RunOutcome Execute() {
    Result<std::unique_ptr<System>> system = MakeSystem(spec_, o_.system_context);
    if (!system.ok()) return Fail(system.status().message());
    system_ = std::move(system).value();
    const SystemTraits traits = system_->Traits();
    if (!traits.has_peer_network && HasKind(spec_, IsNetworkFault)) {
      return Fail(fmt::format("system {} cannot take network faults: {}", system_->Kind(),
                              traits.proxy_refusal));
    }
    if (!traits.power_loss && HasKind(spec_, IsPowerLoss)) {
      return Fail(fmt::format(
          "system {} cannot simulate a power loss (its nodes cannot hold unsynced writes in "
          "memory); use kill",
          system_->Kind()));
    }
    outcome_.net = ResolveNetMode(spec_, geteuid() == 0, traits.proxy_refusal.empty());
    if (spec_.net == NetMode::kIptables && outcome_.net != "iptables") {
      return Fail("net: iptables needs root (run as root, or use net: proxy)");
    }
    if (outcome_.net == "proxy" && !traits.proxy_refusal.empty()) {
      return Fail(fmt::format(
          "net: this run needs the TCP proxy ({}), but system {} cannot run through it: {}",
          spec_.net == NetMode::kProxy  ? "net: proxy"
          : HasKind(spec_, IsLinkFault) ? "delay/loss faults need it"
                                        : "partitions without root",
          system_->Kind(), traits.proxy_refusal));
    }
    if (spec_.seed == 0) spec_.seed = std::random_device{}() | (uint64_t{1} << 32);
    // Must happen before any thread exists (the store's writer included): unshare() moves only
    // the calling thread.
    if (outcome_.net == "iptables") {
      if (!o_.allow_netns) return Fail("net: iptables needs a private network namespace");
      if (Status s = EnterPrivateNetns(); !s.ok()) {
        return Fail("cannot enter a private network namespace: " + s.ToString());
      }
    }
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(o_.store_path);
    if (!store.ok()) return Fail(store.status().ToString());
    store_ = std::move(store).value();
    if (Status s = CreateRunRow(); !s.ok()) return Fail(s.ToString());

    Status s = Drive();
    // Whatever happened: stop everything we started (the Cluster kills and reaps its nodes).
    Status cleanup = Cleanup();
    if (s.ok() && !cleanup.ok()) out_ << "warning: cleanup: " << cleanup.ToString() << "\n";
    IngestEvents();
    std::string status = kRunFinished;
    if (!s.ok()) {
      status = kRunError;
      outcome_.error = s.ToString();
      outcome_.verdict = "unknown";
    } else if (interrupted_) {
      status = kRunInterrupted;
      outcome_.verdict = "unknown";
    } else {
      Check();
    }
    StoreSchedule();
    if (Status f = store_->FinishRun(outcome_.run_id, status, outcome_.verdict, summary_);
        !f.ok()) {
      out_ << "warning: " << f.ToString() << "\n";
    }
    if (!s.ok()) out_ << "error: " << s.ToString() << "\n";
    if (interrupted_) out_ << "interrupted: cleaned up, run marked interrupted\n";
    (void)PrintRunSummary(*store_, outcome_.run_id, out_);
    WriteOutputs();
    outcome_.exit_code = outcome_.verdict == "valid" ? 0 : outcome_.verdict == "invalid" ? 1 : 2;
    if (status != kRunFinished) outcome_.exit_code = 2;
    return outcome_;
  }

 private:
  RunOutcome Fail(std::string error) {
    outcome_.error = error;
    outcome_.exit_code = 2;
    outcome_.verdict = "unknown";
    out_ << "error: " << error << "\n";
    if (store_ && outcome_.run_id) {
      (void)store_->FinishRun(outcome_.run_id, kRunError, "unknown", error);
      WriteOutputs();
    }
    return outcome_;
  }

  Status CreateRunRow() {
    RunRecord r;
    r.suite = spec_.name;
    r.system = system_->Kind();
    r.spec_text = SpecToYaml(spec_);
    r.seed = spec_.seed;
    r.git_revision = GitRevision();
    r.started_ms = NowMs();
    r.replay_of = o_.replay_of;
    Result<int64_t> id = store_->CreateRun(r);
    if (!id.ok()) return id.status();
    outcome_.run_id = *id;
    folder_ = (fs::path(o_.results_dir) / "runs" / std::to_string(*id)).string();
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec) return Status::IoError("cannot create " + folder_ + ": " + ec.message());
    std::ofstream(fs::path(folder_) / "spec.yaml") << r.spec_text;
    if (!spec_.source_text.empty() && spec_.source_text != r.spec_text) {
      std::ofstream(fs::path(folder_) / "spec.original.yaml") << spec_.source_text;
    }
    out_ << fmt::format(
        "run {}: suite {}, system {} ({} reads), seed {}, {} nodes, net {}, folder {}\n", *id,
        spec_.name, system_->Kind(), system_->ReadMode(), spec_.seed, spec_.system.nodes,
        outcome_.net, folder_);
    return store_->SetRunFolder(*id, folder_);
  }

  Status StartCluster() {
    DbOptions d;
    d.run_dir = folder_;
    d.nodes = spec_.system.nodes;
    d.layout = outcome_.net == "iptables" ? NetLayout::kPrivateNetns : NetLayout::kLoopback;
    d.power_loss = HasKind(spec_, IsPowerLoss);
    Result<std::unique_ptr<Db>> db = system_->OpenDb(d);
    if (!db.ok()) return db.status();
    cluster_ = std::move(db).value();
    if (outcome_.net == "iptables") {
      Result<std::unique_ptr<IptablesPartitioner>> p = IptablesPartitioner::ForCluster(
          cluster_->Infos(), {.cut_connections_opened_by_target =
                                  system_->Traits().peers_reply_on_dialed_connections});
      if (!p.ok()) return p.status();
      partitioner_ = std::move(p).value();
    } else if (outcome_.net == "proxy") {
      std::map<NodeId, std::map<std::string, Endpoint>> peers;
      for (const NodeInfo& info : cluster_->Infos()) peers[info.id] = info.peer_ports;
      Result<std::unique_ptr<ProxyPartitioner>> p = ProxyPartitioner::Create(peers, spec_.seed);
      if (!p.ok()) return p.status();
      for (const auto& [link, endpoint] : (*p)->PortRoutes()) {
        if (Status s = cluster_->SetPeerRoute(link.from, link.to, link.port, endpoint); !s.ok()) {
          return s;
        }
      }
      partitioner_ = std::move(p).value();
    }
    pump_ = std::make_unique<EventPump>(store_.get(), outcome_.run_id, *system_, cluster_->Infos());
    pump_->Start();
    if (Status s = cluster_->StartAll(); !s.ok()) return s;
    if (Interrupted()) return Status::Ok();  // Drive notices and cleans up
    if (Status s = cluster_->WaitUntilServing(kServeTimeout); !s.ok()) return s;
    if (Interrupted()) return Status::Ok();
    Result<NodeId> leader = cluster_->FindLeader(kLeaderTimeout);
    if (!leader.ok()) {
      if (!cluster_->CanQueryRoles()) {
        out_ << "cluster up (the system cannot tell its leader)\n";
        return Status::Ok();
      }
      return Status::Unavailable("no leader elected: " + leader.status().ToString());
    }
    out_ << fmt::format("cluster up: leader node {}\n", *leader);
    return Status::Ok();
  }

  Status Drive() {
    if (Status s = StartCluster(); !s.ok()) return s;
    if (Interrupted()) {
      interrupted_ = true;
      return Status::Ok();
    }
    generator_ = std::make_unique<OpGenerator>(spec_.workload, spec_.rate, spec_.seed);
    std::vector<NodeId> ids = cluster_->NodeIds();
    WorkerOptions wo;
    wo.run_id = outcome_.run_id;
    wo.concurrency = spec_.concurrency;
    wo.op_timeout = milliseconds(spec_.op_timeout_ms);
    workers_ = std::make_unique<Workers>(
        generator_.get(), store_.get(),
        [this, ids](int worker) -> std::unique_ptr<Client> {
          return system_->NewClient(cluster_->Info(ids[worker % ids.size()]), "");
        },
        wo);
    NemesisOptions no;
    no.seed = spec_.seed;
    nemesis_ = std::make_unique<Nemesis>(*cluster_, partitioner_.get(), no);
    nemesis_loop_ =
        std::make_unique<NemesisLoop>(nemesis_.get(), store_.get(), outcome_.run_id,
                                      RealizeSchedule(spec_, spec_.seed), spec_.time_limit_ms);
    progress_ = std::make_unique<Progress>(
        out_, o_.tty, spec_.time_limit_ms,
        ProgressSources{[this] { return workers_->counts(); },
                        [this] {
                          std::string s;
                          for (const auto& k : nemesis_loop_->active()) {
                            s += (s.empty() ? "" : ", ") + k;
                          }
                          return s;
                        },
                        [this] {
                          for (const auto& [id, role] : cluster_->Roles(kRoleTimeout)) {
                            if (role == Role::kLeading) return std::to_string(id);
                          }
                          return std::string("none");
                        }});
    start_ = Clock::now();
    workers_->Start(start_);
    nemesis_loop_->Start(start_);
    progress_->Start(start_);
    const auto end = start_ + milliseconds(spec_.time_limit_ms);
    while (Clock::now() < end) {
      if (Interrupted()) {
        interrupted_ = true;
        break;
      }
      DrainCrashes();
      std::this_thread::sleep_for(kPollInterval);
    }
    workers_->Stop();
    nemesis_loop_->Stop();
    workers_->Join();
    progress_->Stop();
    DrainCrashes();
    Status heal = Heal();
    if (!heal.ok()) out_ << "warning: heal: " << heal.ToString() << "\n";
    if (!interrupted_) FinalReads();
    return Status::Ok();
  }

  void DrainCrashes() {
    if (!cluster_ || !nemesis_loop_) return;
    for (const auto& e : cluster_->DrainUnexpectedExits()) {
      nemesis_loop_->RecordCrash(e.id, e.Describe());
      out_ << "\nnode crashed: " << e.Describe() << "\n";
    }
  }

  // Stops every fault in force, then HealAll (heal network, resume, restart dead nodes).
  Status Heal() {
    Status first;
    if (nemesis_loop_) first = nemesis_loop_->StopActive();
    if (nemesis_) {
      Status s = nemesis_->HealAll();
      if (first.ok()) first = s;
    }
    return first;
  }

  void FinalReads() {
    Result<NodeId> leader = cluster_->FindLeader(kLeaderTimeout);
    if (!leader.ok()) out_ << "warning: no leader after healing; final reads may fail\n";
    std::vector<NodeId> order = cluster_->NodeIds();
    if (leader.ok()) {
      std::erase(order, *leader);
      order.insert(order.begin(), *leader);
    }
    std::map<NodeId, std::unique_ptr<Client>> clients;
    for (NodeId id : order) clients[id] = system_->NewClient(cluster_->Info(id), "");
    int64_t index = generator_->generated();
    int64_t process = kFinalReadProcessBase;
    int failed_keys = 0;
    for (checkers::Op op : generator_->FinalReads()) {
      bool done = false;
      for (int attempt = 0; attempt < spec_.workload.final_read_attempts && !done; ++attempt) {
        if (Interrupted()) {
          interrupted_ = true;
          return;
        }
        NodeId node = order[attempt % order.size()];
        op.index = index++;
        op.process = process;
        op.node = node;
        op.invoke_ns = NowNs();
        checkers::Op recorded = op;
        recorded.elements.clear();  // candidates are not part of the stored invoke
        store_->RecordInvoke(outcome_.run_id, recorded);
        OpResult r = clients[node]->Invoke(op, milliseconds(spec_.op_timeout_ms * 2));
        store_->RecordCompletion(outcome_.run_id, op.index, r.outcome,
                                 std::max(NowNs(), op.invoke_ns + 1), r.value, r.elements, r.zxid,
                                 r.error);
        done = r.outcome == checkers::Outcome::kOk;
        if (r.outcome == checkers::Outcome::kInfo) ++process;
        if (!done) std::this_thread::sleep_for(kFinalReadBackoff);
      }
      if (!done) ++failed_keys;
    }
    if (failed_keys) out_ << fmt::format("warning: final reads failed on {} key(s)\n", failed_keys);
  }

  Status Cleanup() {
    if (workers_) {
      workers_->Stop();
      workers_->Join();
    }
    if (nemesis_loop_) nemesis_loop_->Stop();
    if (progress_) progress_->Stop();
    if (pump_) pump_->Stop();
    Status s;
    if (cluster_) {
      (void)Heal();
      s = cluster_->StopAll();
    }
    partitioner_.reset();
    return s;
  }

  void IngestEvents() {
    if (!pump_) return;
    IngestCounts c = pump_->Finish();
    (void)store_->Flush();
    out_ << fmt::format("node events ingested: {}{}\n", c.events,
                        c.skipped ? fmt::format(" ({} unparsable lines skipped)", c.skipped) : "");
  }

  // The run's report.html and junit.xml (harness/report/run_outputs.h): a failure to write them
  // is reported but never changes the verdict.
  void WriteOutputs() {
    report::OutputOptions o;
    o.store_path = o_.store_path;
    o.extra_junit = o_.junit_path;
    Result<report::WrittenOutputs> w = report::WriteRunOutputs(*store_, outcome_.run_id, o);
    if (!w.ok()) {
      out_ << "warning: report: " << w.status().ToString() << "\n";
      return;
    }
    out_ << "report: " << w->html_path << "\njunit: " << w->junit_path
         << (o_.junit_path.empty() ? "" : " and " + o_.junit_path) << "\n";
  }

  void StoreSchedule() {
    if (!nemesis_loop_) return;
    (void)store_->SetSchedule(outcome_.run_id, ScheduleToJson(nemesis_loop_->realized()).dump());
  }

  void Check() {
    Result<checkers::History> h = store_->LoadHistory(outcome_.run_id);
    if (!h.ok()) {
      outcome_.verdict = "unknown";
      summary_ = "could not load history: " + h.status().ToString();
      return;
    }
    checkers::ModelOptions model;
    if (!checkers::ParseModelKind(h->model, &model.kind))
      model.kind = checkers::ModelKind::kCasRegister;
    checkers::Budget budget;
    // Judge by the system's promises for its read mode (system.h): reads that are not promised
    // linearizable are checked as ZooKeeper-style local reads (writes linearizable, session order).
    const Promises promises = system_->PromisesFor("");
    if (!promises.linearizable_reads) h->read_mode = checkers::ReadMode::kLocal;
    checkers::CheckPlan plan;
    plan.own_history = true;
    plan.required = promises.checkers;
    checkers::CheckReport report = checkers::RunChecks(*h, model, budget, plan);
    std::vector<CheckRecord> records;
    auto add = [&](std::string name, checkers::Verdict v, std::string reason,
                   std::vector<checkers::Anomaly> anomalies) {
      records.push_back(CheckRecord{std::move(name), std::string(checkers::VerdictName(v)),
                                    std::move(reason), std::move(anomalies)});
    };
    if (report.ran_linearizability) {
      add("linearizability", report.linearizability.verdict, report.linearizability.reason,
          report.linearizability.anomalies);
    }
    if (report.ran_lost_writes) {
      add("lost-writes", report.lost_writes.verdict, report.lost_writes.reason,
          report.lost_writes.anomalies);
    }
    if (report.ran_invariants) {
      add("zab-invariants", report.invariants.verdict, report.invariants.reason,
          report.invariants.anomalies);
    }
    if (report.ran_session) {
      add("session-order", report.session.verdict, report.session.reason, report.session.anomalies);
    }
    // What the promises allow but reports show (stale plain reads): stored, never a verdict.
    const auto& observed = promises.observations;
    const bool stale_reads =
        std::find(observed.begin(), observed.end(), "stale-reads") != observed.end();
    if (stale_reads && !h->ops.empty()) {
      checkers::StaleReadResult stale = checkers::CheckStaleReads(*h);
      add("stale-reads", checkers::Verdict::kValid, stale.reason, std::move(stale.observations));
    }
    // A promised checker that had nothing to read is not a pass: stored as unknown, with why.
    for (const checkers::NotRun& n : report.not_run) {
      add(n.checker, checkers::Verdict::kUnknown, "could not run: " + n.reason, {});
    }
    checkers::Verdict combined = checkers::Verdict::kValid;
    for (const auto& r : records) {
      bool selected = promises.Promised(r.checker);
      if (selected && !spec_.checkers.empty()) {
        selected = false;
        for (const auto& name : spec_.checkers) selected |= CheckerName(name) == r.checker;
      }
      if (!selected && r.checker == "stale-reads" && stale_reads) {
        (void)store_->StoreCheck(outcome_.run_id, r);  // observations only: no verdict
        continue;
      }
      if (!selected) continue;
      (void)store_->StoreCheck(outcome_.run_id, r);
      checkers::Verdict v = r.verdict == "valid"     ? checkers::Verdict::kValid
                            : r.verdict == "invalid" ? checkers::Verdict::kInvalid
                                                     : checkers::Verdict::kUnknown;
      combined = checkers::CombineVerdicts(combined, v);
    }
    outcome_.verdict = std::string(checkers::VerdictName(combined));
    OpCounts c = workers_ ? workers_->counts() : OpCounts{};
    summary_ = fmt::format("ops ok {} fail {} info {}; faults applied {}", c.ok, c.fail, c.info,
                           nemesis_loop_ ? nemesis_loop_->applied_count() : 0);
  }

  const RunOptions& o_;
  TestSpec spec_;
  std::ostream& out_;
  RunOutcome outcome_;
  std::string folder_;
  std::string summary_;
  bool interrupted_ = false;
  Clock::time_point start_;
  // Declaration order = reverse destruction order: workers and loops go before the cluster.
  std::unique_ptr<HistoryStore> store_;
  std::unique_ptr<System> system_;
  std::unique_ptr<Db> cluster_;
  std::unique_ptr<Partitioner> partitioner_;
  std::unique_ptr<Nemesis> nemesis_;
  std::unique_ptr<OpGenerator> generator_;
  std::unique_ptr<Workers> workers_;
  std::unique_ptr<NemesisLoop> nemesis_loop_;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<EventPump> pump_;
};

}  // namespace

std::string ResolveNetMode(const TestSpec& spec, bool is_root, bool proxy_ok) {
  switch (spec.net) {
    case NetMode::kNone:
      return "none";
    case NetMode::kProxy:
      return "proxy";
    case NetMode::kIptables:
      return is_root ? "iptables" : "unavailable";
    case NetMode::kAuto:
      break;
  }
  if (!HasKind(spec, IsNetworkFault)) return "none";
  if (HasKind(spec, IsLinkFault) || !is_root) return "proxy";
  (void)proxy_ok;  // under root, partitions only: iptables either way
  return "iptables";
}

RunOutcome ExecuteRun(const RunOptions& options) { return Run(options).Execute(); }

}  // namespace faultline::harness
