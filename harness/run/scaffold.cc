#include "harness/run/scaffold.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "harness/generator/workers.h"
#include "harness/history/store_util.h"
#include "harness/net/iptables_partitioner.h"
#include "harness/net/netns.h"
#include "harness/net/proxy_partitioner.h"
#include "harness/report/run_outputs.h"
#include "harness/run/interrupt.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

int64_t NowMs() { return NowNs() / 1000000; }

// The run's report.html and junit.xml (harness/report/run_outputs.h), from the store.
void WriteOutputs(HistoryStore& store, int64_t run_id, const std::string& store_path,
                  const std::string& junit_path, std::ostream& out) {
  report::OutputOptions o;
  o.store_path = store_path;
  o.extra_junit = junit_path;
  Result<report::WrittenOutputs> w = report::WriteRunOutputs(store, run_id, o);
  if (!w.ok()) {
    out << "warning: report: " << w.status().ToString() << "\n";
    return;
  }
  out << "report: " << w->html_path << "\njunit: " << w->junit_path
      << (junit_path.empty() ? "" : " and " + junit_path) << "\n";
}

checkers::Verdict ParseVerdict(const std::string& v) {
  return v == "valid"     ? checkers::Verdict::kValid
         : v == "invalid" ? checkers::Verdict::kInvalid
                          : checkers::Verdict::kUnknown;
}

constexpr int kMaxFolderSuffix = 1000;

}  // namespace

Result<std::string> CreateRunFolder(const std::string& results_dir, int64_t run_id) {
  const fs::path runs = fs::path(results_dir) / "runs";
  std::error_code ec;
  fs::create_directories(runs, ec);
  if (ec) return Status::IoError("cannot create " + runs.string() + ": " + ec.message());
  for (int k = 1; k <= kMaxFolderSuffix; ++k) {
    const fs::path folder =
        runs / (k == 1 ? std::to_string(run_id) : fmt::format("{}-{}", run_id, k));
    // mkdir is atomic: true only for the one caller that made the folder.
    if (fs::create_directory(folder, ec)) return folder.string();
    if (ec) return Status::IoError("cannot create " + folder.string() + ": " + ec.message());
  }
  return Status::IoError(fmt::format("{}: run folders {} to {}-{} all exist", runs.string(),
                                     run_id, run_id, kMaxFolderSuffix));
}

RunScaffold::RunScaffold(const ScaffoldOptions& options, System& system)
    : options_(options), system_(system), out_(options.out ? options.out : &std::cout) {}

RunScaffold::~RunScaffold() { (void)Teardown(); }

bool RunScaffold::Interrupted() {
  interrupted_ = interrupted_ || harness::Interrupted();
  return interrupted_;
}

Status RunScaffold::Setup() {
  // Must happen before any thread exists (the store's writer included): unshare() moves only the
  // calling thread. A process that made its namespace already (a repeated scenario) stays in it.
  if (options_.net == "iptables" && !InPrivateNetns()) {
    if (!options_.allow_netns) return Status::Unavailable("net: iptables needs a private netns");
    if (Status s = EnterPrivateNetns(); !s.ok()) {
      return Status::Unavailable("cannot enter a private network namespace: " + s.ToString());
    }
  }
  Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(options_.store_path);
  if (!store.ok()) return store.status();
  store_ = std::move(store).value();
  RunRecord r;
  r.suite = options_.suite;
  r.system = system_.Kind();
  r.spec_text = options_.spec_text;
  r.seed = options_.seed;
  r.git_revision = GitRevision();
  r.started_ms = NowMs();
  r.replay_of = options_.replay_of;
  Result<int64_t> id = store_->CreateRun(r);
  if (!id.ok()) return id.status();
  run_id_ = *id;
  Result<std::string> folder = CreateRunFolder(options_.results_dir, run_id_);
  if (!folder.ok()) return folder.status();
  folder_ = std::move(folder).value();
  for (const auto& [name, text] : options_.files) std::ofstream(fs::path(folder_) / name) << text;
  if (Status s = store_->SetRunFolder(run_id_, folder_); !s.ok()) return s;
  if (options_.banner) *out_ << options_.banner(run_id_, folder_);
  recorder_ = std::make_unique<FaultRecorder>(store_.get(), run_id_);
  return Status::Ok();
}

Status RunScaffold::StartNetwork() {
  DbOptions d;
  d.run_dir = folder_;
  d.nodes = options_.nodes;
  d.layout = options_.net == "iptables" ? NetLayout::kPrivateNetns : NetLayout::kLoopback;
  d.power_loss = options_.power_loss;
  Result<std::unique_ptr<Db>> db = system_.OpenDb(d);
  if (!db.ok()) return db.status();
  db_ = std::move(db).value();
  if (options_.net == "iptables") {
    Result<std::unique_ptr<IptablesPartitioner>> p = IptablesPartitioner::ForCluster(
        db_->Infos(), {.cut_connections_opened_by_target =
                           system_.Traits().peers_reply_on_dialed_connections});
    if (!p.ok()) return p.status();
    partitioner_ = std::move(p).value();
  } else if (options_.net == "proxy") {
    std::map<NodeId, std::map<std::string, Endpoint>> peers;
    for (const NodeInfo& info : db_->Infos()) peers[info.id] = info.peer_ports;
    Result<std::unique_ptr<ProxyPartitioner>> p = ProxyPartitioner::Create(peers, options_.seed);
    if (!p.ok()) return p.status();
    for (const auto& [link, endpoint] : (*p)->PortRoutes()) {
      if (Status s = db_->SetPeerRoute(link.from, link.to, link.port, endpoint); !s.ok()) return s;
    }
    partitioner_ = std::move(p).value();
  }
  NemesisOptions no = options_.nemesis;
  no.seed = options_.seed;
  nemesis_ = std::make_unique<Nemesis>(*db_, partitioner_.get(), no);
  pump_ = std::make_unique<EventPump>(store_.get(), run_id_, system_, db_->Infos());
  pump_->Start();
  if (Status s = db_->StartAll(); !s.ok()) return s;
  if (Interrupted()) return Status::Ok();
  return db_->WaitUntilServing(kServeTimeout);
}

Status RunScaffold::Teardown() {
  Status s;
  if (db_) s = db_->StopAll();
  partitioner_.reset();
  return s;
}

OpResult RunScaffold::RecordedOp(Client& client, checkers::Op op, std::chrono::milliseconds timeout,
                                 checkers::Op* op_out) {
  op.invoke_ns = NowNs();
  checkers::Op recorded = op;
  recorded.elements.clear();  // candidates are not part of the stored invoke
  store_->RecordInvoke(run_id_, recorded);
  OpResult r = client.Invoke(op, timeout);
  op.complete_ns = std::max(NowNs(), op.invoke_ns + 1);
  store_->RecordCompletion(run_id_, op.index, r.outcome, op.complete_ns, r.value, r.elements,
                           r.zxid, r.error);
  if (op_out != nullptr) {
    op.outcome = r.outcome;
    op.value = r.value;
    op.elements = r.elements;
    op.zxid = r.zxid;
    *op_out = op;
  }
  return r;
}

RunOutcome ExecuteBody(const ScaffoldOptions& options, System& system, RunBody& body) {
  RunOutcome outcome;
  outcome.net = options.net;
  RunScaffold run(options, system);
  std::ostream& out = run.out();
  Status s = run.Setup();
  if (!s.ok()) {
    outcome.error = s.ToString();
    outcome.verdict = "unknown";
    out << "error: " << outcome.error << "\n";
    if (run.store_ && run.run_id_) {
      outcome.run_id = run.run_id_;
      (void)run.store_->FinishRun(run.run_id_, kRunError, "unknown", outcome.error);
      WriteOutputs(*run.store_, run.run_id_, options.store_path, options.junit_path, out);
    }
    return outcome;
  }
  outcome.run_id = run.run_id();
  s = run.StartNetwork();
  if (s.ok() && !run.Interrupted()) s = body.Ready(run);
  if (s.ok() && !run.Interrupted()) s = body.Drive(run);
  // Heal whatever happened (the parts that exist): the body's faults first, then everything.
  if (run.nemesis()) {
    Status stop = body.StopFaults(run);
    Status heal = run.nemesis()->HealAll();
    if (!stop.ok()) out << "warning: stopping faults: " << stop.ToString() << "\n";
    if (!heal.ok()) out << "warning: heal: " << heal.ToString() << "\n";
  }
  if (s.ok() && !run.Interrupted()) s = body.Settle(run);
  if (s.ok() && !run.Interrupted()) s = body.FinalReads(run);
  Status cleanup = run.Teardown();
  if (s.ok() && !cleanup.ok()) out << "warning: cleanup: " << cleanup.ToString() << "\n";
  if (run.pump()) {
    IngestCounts c = run.pump()->Finish();
    out << fmt::format("node events ingested: {}{}\n", c.events,
                       c.skipped ? fmt::format(" ({} unparsable lines skipped)", c.skipped) : "");
  }
  (void)run.store().Flush();
  RunOutcome end = FinishStoredRun(
      run.store(), run.run_id(), s, run.Interrupted(), [&] { return body.Judge(run); }, out);
  end.net = outcome.net;
  outcome = end;
  body.Report(run, outcome);
  WriteOutputs(run.store(), run.run_id(), options.store_path, options.junit_path, out);
  return outcome;
}

RunOutcome FinishStoredRun(HistoryStore& store, int64_t run_id, const Status& s, bool interrupted,
                           const std::function<Judgement()>& judge, std::ostream& out,
                           EndWrites writes) {
  RunOutcome outcome;
  outcome.run_id = run_id;
  outcome.interrupted = interrupted;
  RunEnd end;
  end.status = kRunFinished;
  if (!s.ok()) {
    end.status = kRunError;
    outcome.error = s.ToString();
    outcome.verdict = "unknown";
    end.summary = outcome.error;
  } else if (outcome.interrupted) {
    end.status = kRunInterrupted;
    outcome.verdict = "unknown";
  } else {
    Judgement j = judge();
    checkers::Verdict combined = checkers::Verdict::kValid;
    for (const CheckRecord& c : j.checks) {
      combined = checkers::CombineVerdicts(combined, ParseVerdict(c.verdict));
    }
    end.checks = std::move(j.checks);
    for (CheckRecord& c : j.observations) end.checks.push_back(std::move(c));
    end.schedule_json = std::move(j.schedule_json);
    outcome.verdict = std::string(checkers::VerdictName(combined));
    end.summary = std::move(j.summary);
  }
  end.verdict = outcome.verdict;
  end.ended_ms = UnixNowMs();
  outcome.exit_code = end.status != kRunFinished      ? 2
                      : outcome.verdict == "valid"   ? 0
                      : outcome.verdict == "invalid" ? 1
                                                     : 2;
  store.RecordRunEnd(run_id, std::move(end));
  if (writes == EndWrites::kCommitted) {
    if (Status f = store.Flush(); !f.ok()) out << "warning: " << f.ToString() << "\n";
  }
  if (!s.ok()) out << "error: " << outcome.error << "\n";
  if (outcome.interrupted) out << "interrupted: cleaned up, run marked interrupted\n";
  return outcome;
}

void WriteRunReport(HistoryStore& store, int64_t run_id, const std::string& store_path,
                    std::ostream& out) {
  WriteOutputs(store, run_id, store_path, "", out);
}

Result<std::string> ChooseNet(NetMode requested, bool network_faults, bool link_faults,
                              const SystemTraits& traits, bool is_root,
                              const std::string& system_kind) {
  if (network_faults && !traits.has_peer_network) {
    return Status::InvalidArgument(
        fmt::format("system {} cannot take network faults: {}", system_kind, traits.proxy_refusal));
  }
  std::string net;
  switch (requested) {
    case NetMode::kNone:
      net = "none";
      break;
    case NetMode::kProxy:
      net = "proxy";
      break;
    case NetMode::kIptables:
      if (!is_root) {
        return Status::InvalidArgument("net: iptables needs root (run as root, or use net: proxy)");
      }
      net = "iptables";
      break;
    case NetMode::kAuto:
      net = !network_faults ? "none" : link_faults || !is_root ? "proxy" : "iptables";
      break;
  }
  if (net == "proxy" && !traits.proxy_refusal.empty()) {
    const char* why = requested == NetMode::kProxy ? "net: proxy"
                      : link_faults                ? "delay/loss faults need it"
                                                   : "partitions without root";
    return Status::InvalidArgument(
        fmt::format("net: this run needs the TCP proxy ({}), but system {} cannot run through it: "
                    "{}",
                    why, system_kind, traits.proxy_refusal));
  }
  return net;
}

}  // namespace faultline::harness
