#include "harness/scenario/runner.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/cluster/db.h"
#include "harness/history/history_store.h"
#include "harness/net/grudge.h"
#include "harness/net/proxy_partitioner.h"
#include "harness/report/run_outputs.h"
#include "harness/scenario/cluster_view.h"
#include "harness/scenario/wait.h"
#include "harness/systems/zabd/zabd_system.h"

namespace faultline::harness::scenario {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds kRoleTimeout{300};
constexpr milliseconds kPoll{20};
// After an unawaited write is sent, the next step waits at most this long for the leader to log
// it, so that "cut right after the leader logs w1" means exactly that.
constexpr milliseconds kSubmitSync{1000};
constexpr int kFinalReadAttempts = 10;

// The same status with `prefix: ` in front of its message.
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

int64_t NowMs() {
  return std::chrono::duration_cast<milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

checkers::Fn FnOf(StepKind k) {
  return k == StepKind::kWrite ? checkers::Fn::kWrite
         : k == StepKind::kCas ? checkers::Fn::kCas
                               : checkers::Fn::kRead;
}

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& s, const ScenarioRunOptions& o)
      : s_(s), o_(o), out_(o.out ? *o.out : std::cout) {
    record_.nodes = s.nodes;
  }

  ScenarioOutcome Execute() {
    Status st = Open();
    if (st.ok()) st = StartCluster();
    if (st.ok()) {
      record_.t0_ms = NowMs();
      last_action_ms_ = record_.t0_ms;
      for (const Step& step : s_.steps) {
        st = RunStep(step);
        NoteUnexpectedExits();
        if (!st.ok()) break;
      }
    }
    JoinOps();
    if (st.ok()) st = Settle();
    NoteUnexpectedExits();
    Stop();
    outcome_.error = st.ok() ? "" : st.message();
    if (st.ok()) outcome_.expectations = EvaluateExpectations(s_, record_);
    Finish();
    return std::move(outcome_);
  }

 private:
  // ---- setup and teardown ----------------------------------------------------------------
  Status Open() {
    Result<std::unique_ptr<HistoryStore>> store = HistoryStore::Open(o_.store_path);
    if (!store.ok()) return store.status();
    store_ = std::move(store).value();
    RunRecord r;
    r.suite = "scenario:" + s_.name;
    r.spec_text = s_.text;
    r.git_revision = GitRevision();
    r.started_ms = NowMs();
    Result<int64_t> id = store_->CreateRun(r);
    if (!id.ok()) return id.status();
    run_id_ = outcome_.run_id = *id;
    folder_ = (fs::path(o_.results_dir) / "runs" / std::to_string(run_id_)).string();
    std::error_code ec;
    fs::create_directories(folder_, ec);
    if (ec) return Status::IoError("cannot create " + folder_ + ": " + ec.message());
    std::ofstream(fs::path(folder_) / "scenario.yaml") << s_.text;
    out_ << fmt::format("scenario {} (run {}, {} nodes, tick {} ms, folder {})\n", s_.name, run_id_,
                        s_.nodes, s_.tick_time_ms, folder_);
    if (!s_.question.empty()) out_ << "question: " << s_.question << "\n";
    return store_->SetRunFolder(run_id_, folder_);
  }

  Status StartCluster() {
    ZabdOptions z;
    z.binary = o_.zabd_path;
    z.tick_time_ms = s_.tick_time_ms;
    z.init_limit = s_.init_limit;
    z.sync_limit = s_.sync_limit;
    z.read_mode = s_.read_mode;
    z.extra_flags = s_.zabd_flags;
    system_ = MakeZabdSystem(z);
    DbOptions d;
    d.run_dir = folder_;
    d.nodes = s_.nodes;
    Result<std::unique_ptr<Db>> cluster = system_->OpenDb(d);
    if (!cluster.ok()) return cluster.status();
    cluster_ = std::move(cluster).value();
    view_ = std::make_unique<ClusterView>(*cluster_, *system_, s_.nodes, s_.default_timeout_ms,
                                          record_.bindings);
    std::map<NodeId, std::map<std::string, Endpoint>> peers;
    for (const NodeInfo& info : cluster_->Infos()) peers[info.id] = info.peer_ports;
    Result<std::unique_ptr<ProxyPartitioner>> proxy = ProxyPartitioner::Create(peers, 1);
    if (!proxy.ok()) return proxy.status();
    proxy_ = std::move(proxy).value();
    for (const auto& [link, endpoint] : proxy_->PortRoutes()) {
      if (Status s = cluster_->SetPeerRoute(link.from, link.to, link.port, endpoint); !s.ok()) {
        return s;
      }
    }
    if (Status s = cluster_->StartAll(); !s.ok()) return s;
    Probe seen;
    if (Status s = WaitAgree("start: wait until the cluster agrees", &seen); !s.ok()) return s;
    for (const NodeStatus& n : view_->Statuses(false)) {
      if (n.role && n.role->role == Role::kLeading) {
        record_.start_epoch = n.role->epoch;
        out_ << fmt::format("cluster up: n{} leads epoch {}\n", n.id, n.role->epoch);
      }
    }
    return Status::Ok();
  }

  void Stop() {
    if (cluster_) (void)cluster_->StopAll();
    proxy_.reset();
    if (!cluster_) return;
    for (const NodeInfo& info : cluster_->Infos()) {
      record_.events[info.id] = ReadEventLog(system_->EventLogPath(info), info.id);
      for (const auto& e : record_.events[info.id]) store_->RecordNodeEvent(run_id_, e);
    }
  }

  void Finish() {
    bool all_held = true;
    std::string reason;
    for (const auto& r : outcome_.expectations) {
      if (!r.held) {
        all_held = false;
        reason += fmt::format("step {}: {}; ", r.step, r.detail);
      }
    }
    std::string narrative = Narrate(s_, record_, outcome_.expectations);
    if (!outcome_.error.empty()) narrative += "could not run: " + outcome_.error + "\n";
    std::string verdict = !outcome_.error.empty() ? "unknown" : all_held ? "valid" : "invalid";
    outcome_.exit_code = !outcome_.error.empty() ? 2 : all_held ? 0 : 1;
    narrative += fmt::format("result: {} (exit {})\n",
                             outcome_.exit_code == 0   ? "every expectation held"
                             : outcome_.exit_code == 1 ? "an expectation failed"
                                                       : "could not run",
                             outcome_.exit_code);
    out_ << narrative;
    outcome_.narrative = narrative;
    if (!folder_.empty()) std::ofstream(fs::path(folder_) / "narrative.txt") << narrative;
    if (store_ && run_id_) {
      // The realized schedule: each step as run, with its role resolutions, and the bindings.
      nlohmann::json schedule = nlohmann::json::array();
      for (const auto& l : record_.step_lines) schedule.push_back({{"line", l}});
      nlohmann::json bindings = nlohmann::json::object();
      for (const auto& [name, ids] : record_.bindings) bindings[name] = ids;
      schedule.push_back({{"bindings", bindings}});
      (void)store_->SetSchedule(run_id_, schedule.dump());
    }
    if (store_ && run_id_) {
      CheckRecord check;
      check.checker = "scenario";
      check.verdict = verdict;
      check.reason = outcome_.error.empty() ? reason : outcome_.error;
      (void)store_->StoreCheck(run_id_, check);
      (void)store_->FinishRun(
          run_id_, outcome_.error.empty() ? kRunFinished : kRunError, verdict,
          fmt::format("{} expectations, {} ops", outcome_.expectations.size(), record_.ops.size()));
      // report.html and junit.xml in the run folder (harness/report), like every run.
      report::OutputOptions ro;
      ro.store_path = o_.store_path;
      Result<report::WrittenOutputs> w = report::WriteRunOutputs(*store_, run_id_, ro);
      if (w.ok()) {
        out_ << "report: " << w->html_path << "\n";
      } else {
        out_ << "warning: report: " << w.status().ToString() << "\n";
      }
    }
    outcome_.record = record_;
  }

  // ---- observation -------------------------------------------------------------------------
  Status WaitAgree(const std::string& what, Probe* seen) {
    return WaitUntil([&] { return EvalAgree(view_->Statuses(true)); },
                     milliseconds(s_.default_timeout_ms), kPoll, RealClock(), what, seen);
  }

  std::map<NodeId, std::vector<checkers::NodeEvent>> AllEvents() {
    std::map<NodeId, std::vector<checkers::NodeEvent>> out;
    for (const NodeInfo& info : cluster_->Infos()) {
      out[info.id] = ReadEventLog(system_->EventLogPath(info), info.id);
    }
    return out;
  }

  std::optional<int64_t> OpZxid(const std::string& name,
                                const std::map<NodeId, std::vector<checkers::NodeEvent>>& ev) {
    std::vector<OpRecord> ops;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ops = record_.ops;
    }
    auto zxids = ResolveOpZxids(ops, ev);
    auto it = zxids.find(name);
    if (it == zxids.end()) return std::nullopt;
    return it->second;
  }

  void NoteUnexpectedExits() {
    if (!cluster_) return;
    for (const UnexpectedExit& e : cluster_->DrainUnexpectedExits()) {
      Line("unexpected exit: " + e.Describe());
    }
  }

  void Line(const std::string& text) {
    // Before step 1 (t0 not set yet) the cluster is still being set up.
    std::string line = record_.t0_ms == 0
                           ? "setup: " + text
                           : fmt::format("+{:.2f}s {}", (NowMs() - record_.t0_ms) / 1000.0, text);
    record_.step_lines.push_back(line);
  }

  // ---- steps -------------------------------------------------------------------------------
  Status RunStep(const Step& step) {
    StepContext ctx;
    std::string prefix =
        fmt::format("step {} ({}, line {})", step.index, StepKindName(step.kind), step.line);
    std::string note;
    Status s = Dispatch(step, ctx, &note);
    std::string resolved;
    for (const auto& r : ctx.resolved) resolved += (resolved.empty() ? " [" : ", ") + r;
    if (!resolved.empty()) resolved += "]";
    Line(fmt::format("step {} {}{}{}", step.index, step.text, resolved,
                     note.empty() ? "" : ": " + note));
    if (step.kind != StepKind::kWait && step.kind != StepKind::kExpect) {
      last_action_ms_ = step_start_ms_;
    }
    if (!s.ok()) return Prefixed(s, prefix);
    return s;
  }

  Status Dispatch(const Step& step, StepContext& ctx, std::string* note) {
    step_start_ms_ = NowMs();
    record_.step_ms[step.index] = step_start_ms_;
    switch (step.kind) {
      case StepKind::kWrite:
      case StepKind::kRead:
      case StepKind::kCas:
        return RunOp(step, ctx, note);
      case StepKind::kBind:
        for (const auto& [name, sel] : step.bindings) {
          Result<std::vector<NodeId>> r = view_->Resolve(sel, ctx);
          if (!r.ok()) return r.status();
          record_.bindings[name] = *r;
          *note += fmt::format("{}{}={}", note->empty() ? "" : ", ", name, Names(*r));
        }
        return Status::Ok();
      case StepKind::kCut:
      case StepKind::kCutOneWay:
      case StepKind::kDelay:
        return RunLinks(step, ctx, note);
      case StepKind::kHeal:
        return Heal();
      case StepKind::kKill:
      case StepKind::kPause:
      case StepKind::kResume:
      case StepKind::kRestart:
      case StepKind::kStart:
        return RunProcess(step, ctx, note);
      case StepKind::kWait:
        return RunWait(step, ctx, note);
      case StepKind::kSleep:
        std::this_thread::sleep_for(milliseconds(step.sleep_ms));
        return Status::Ok();
      case StepKind::kExpect:
        *note = "checked after the settle phase";
        return Status::Ok();
    }
    return Status::Ok();
  }

  Status RunOp(const Step& step, StepContext& ctx, std::string* note) {
    Result<std::vector<NodeId>> nodes = view_->Resolve(step.nodes, ctx);
    if (!nodes.ok()) return nodes.status();
    if (nodes->size() != 1) {
      return Status::InvalidArgument(fmt::format("an op goes to one node; '{}' resolved to {}",
                                                 step.nodes.text, Names(*nodes)));
    }
    const NodeId target = (*nodes)[0];
    if (!step.bind_as.empty()) record_.bindings[step.bind_as] = *nodes;
    OpRecord rec;
    rec.name = step.name;
    rec.step = step.index;
    rec.read_mode = step.read_mode;
    rec.target = target;
    checkers::Op& op = rec.op;
    op.f = FnOf(step.kind);
    op.key = step.key;
    if (step.kind != StepKind::kRead) op.value = step.value;
    if (step.kind == StepKind::kCas) op.expected = step.expected;
    op.node = target;
    NodeId leader = 0;
    int64_t before = -1;
    if (step.kind != StepKind::kRead) {
      Result<RoleInfo> role = cluster_->QueryRole(target, kRoleTimeout);
      if (role.ok() && role->role == Role::kLeading) {
        leader = target;
        before = role->last_zxid;
      } else if (Result<NodeId> l = cluster_->FindLeader(kRoleTimeout); l.ok()) {
        if (Result<RoleInfo> lr = cluster_->QueryRole(*l, kRoleTimeout); lr.ok()) {
          leader = *l;
          before = lr->last_zxid;
        }
      }
    }
    rec.leader_at_submit = leader;
    rec.leader_last_zxid_before = before;
    size_t idx;
    {
      std::lock_guard<std::mutex> lock(mu_);
      op.index = static_cast<int64_t>(record_.ops.size()) + 1;
      op.process = op.index;
      rec.submit_ms = NowMs();
      op.invoke_ns = NowNs();
      idx = record_.ops.size();
      record_.ops.push_back(rec);
    }
    store_->RecordInvoke(run_id_, op);
    milliseconds timeout(step.timeout_ms ? step.timeout_ms : s_.op_timeout_ms);
    auto invoke = [this, idx, info = cluster_->Info(target), op, mode = step.read_mode, timeout] {
      std::unique_ptr<Client> client = system_->NewClient(info, mode);
      OpResult r = client->Invoke(op, timeout);
      Complete(idx, r);
    };
    std::string what = step.kind == StepKind::kRead ? fmt::format("GET {}", step.key)
                       : step.kind == StepKind::kWrite
                           ? fmt::format("SET {}={}", step.key, step.value)
                           : fmt::format("CAS {} {}->{}", step.key, step.expected, step.value);
    if (step.wait) {
      invoke();
      std::lock_guard<std::mutex> lock(mu_);
      const OpRecord& done = record_.ops[idx];
      *note = fmt::format("{} {} to n{}: {}{}{}", step.name, what, target,
                          checkers::OutcomeName(done.op.outcome),
                          done.op.zxid ? " at " + Zx(*done.op.zxid) : "",
                          done.error.empty() ? "" : " (" + done.error + ")");
      return Status::Ok();
    }
    threads_.emplace_back(invoke);
    *note = fmt::format("{} {} sent to n{} (not waiting for the reply)", step.name, what, target);
    if (leader != 0) {
      // Sync point: the next step starts once the leader has logged it (or after kSubmitSync).
      Probe seen;
      (void)WaitUntil(
          [&] {
            Result<RoleInfo> r = cluster_->QueryRole(leader, kRoleTimeout);
            if (r.ok() && r->last_zxid > before) return Probe{true, "logged"};
            std::lock_guard<std::mutex> lock(mu_);
            const OpRecord& o = record_.ops[idx];
            if (o.op.complete_ns != checkers::kOpenNs) {
              return Probe{true, fmt::format("completed: {} {}",
                                             checkers::OutcomeName(o.op.outcome), o.error)};
            }
            return Probe{false, "pending"};
          },
          kSubmitSync, milliseconds(5), RealClock(), "submit", &seen);
      *note += seen.seen == "logged" ? fmt::format("; n{} logged it", leader) : "; " + seen.seen;
    }
    return Status::Ok();
  }

  void Complete(size_t idx, const OpResult& r) {
    std::lock_guard<std::mutex> lock(mu_);
    OpRecord& rec = record_.ops[idx];
    rec.op.complete_ns = NowNs();
    rec.op.outcome = r.outcome;
    if (rec.op.f == checkers::Fn::kRead) rec.op.value = r.value;
    rec.op.zxid = r.zxid;
    rec.error = r.error;
    store_->RecordCompletion(run_id_, rec.op.index, r.outcome, rec.op.complete_ns,
                             rec.op.f == checkers::Fn::kRead ? r.value : std::nullopt, {}, r.zxid,
                             r.error);
  }

  void JoinOps() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int64_t StartFault(const std::string& kind, const std::vector<NodeId>& targets,
                     const std::string& description) {
    FaultRecord f;
    f.index = ++fault_count_;
    f.kind = kind;
    f.targets.assign(targets.begin(), targets.end());
    f.start_ns = NowNs();
    f.description = description;
    store_->RecordFaultStart(run_id_, f);
    return f.index;
  }
  void StopFault(int64_t index) { store_->RecordFaultStop(run_id_, index, NowNs()); }

  Status RunLinks(const Step& step, StepContext& ctx, std::string* note) {
    Result<std::vector<NodeId>> from = view_->Resolve(step.from, ctx);
    if (!from.ok()) return from.status();
    std::vector<NodeId> to;
    if (step.to.empty()) {
      for (NodeId id : cluster_->NodeIds()) {
        if (std::find(from->begin(), from->end(), id) == from->end()) to.push_back(id);
      }
    } else {
      Result<std::vector<NodeId>> r = view_->Resolve(step.to, ctx);
      if (!r.ok()) return r.status();
      to = *r;
    }
    if (!step.bind_as.empty()) record_.bindings[step.bind_as] = *from;
    std::vector<NodeId> targets = *from;
    targets.insert(targets.end(), to.begin(), to.end());
    if (step.kind == StepKind::kDelay) {
      for (NodeId a : *from) {
        for (NodeId b : to) {
          if (a == b) continue;
          if (Status s = proxy_->SetDelay(a, b, step.delay_ms); !s.ok()) return s;
        }
      }
      *note = fmt::format("{} ms on links {} -> {}", step.delay_ms, Names(*from), Names(to));
      link_faults_.push_back(StartFault("delay", targets, *note));
      return Status::Ok();
    }
    for (NodeId a : *from) {
      for (NodeId b : to) {
        if (a == b) continue;
        grudge_[b].insert(a);  // b drops packets from a
        if (step.kind == StepKind::kCut) grudge_[a].insert(b);
      }
    }
    if (Status s = proxy_->Apply(grudge_); !s.ok()) return s;
    *note = "in force: " + DescribeGrudge(grudge_);
    link_faults_.push_back(StartFault("partition", targets, *note));
    return Status::Ok();
  }

  Status Heal() {
    grudge_.clear();
    Status s = proxy_->Heal();
    for (int64_t f : link_faults_) StopFault(f);
    link_faults_.clear();
    return s;
  }

  Status RunProcess(const Step& step, StepContext& ctx, std::string* note) {
    Result<std::vector<NodeId>> nodes = view_->Resolve(step.nodes, ctx);
    if (!nodes.ok()) return nodes.status();
    if (!step.bind_as.empty()) record_.bindings[step.bind_as] = *nodes;
    std::vector<std::string> done;
    for (NodeId id : *nodes) {
      NodeState st = cluster_->State(id);
      bool live = st == NodeState::kRunning || st == NodeState::kPaused;
      Status s;
      switch (step.kind) {
        case StepKind::kKill:
          if (!live) {
            done.push_back(fmt::format("n{} already down", id));
            continue;
          }
          s = cluster_->Kill(id);
          if (s.ok()) down_faults_[id] = StartFault("kill", {id}, fmt::format("kill n{}", id));
          break;
        case StepKind::kPause:
          s = cluster_->Pause(id);
          if (s.ok()) paused_faults_[id] = StartFault("pause", {id}, fmt::format("pause n{}", id));
          break;
        case StepKind::kResume:
          s = cluster_->Resume(id);
          if (s.ok() && paused_faults_.count(id)) {
            StopFault(paused_faults_[id]);
            paused_faults_.erase(id);
          }
          break;
        case StepKind::kRestart:
          if (live) s = cluster_->Kill(id);
          if (s.ok()) s = StartNode(id);
          break;
        case StepKind::kStart:
          if (live) {
            done.push_back(fmt::format("n{} already running", id));
            continue;
          }
          s = StartNode(id);
          break;
        default:
          break;
      }
      if (!s.ok()) return Prefixed(s, fmt::format("n{}", id));
      done.push_back(fmt::format("n{} {}", id, StepKindName(step.kind)));
    }
    for (const auto& d : done) *note += (note->empty() ? "" : ", ") + d;
    return Status::Ok();
  }

  Status StartNode(NodeId id) {
    Status s = cluster_->Start(id);
    if (s.ok() && down_faults_.count(id)) {
      StopFault(down_faults_[id]);
      down_faults_.erase(id);
    }
    paused_faults_.erase(id);
    return s;
  }

  Status RunWait(const Step& step, StepContext& ctx, std::string* note) {
    const Condition& c = step.condition;
    milliseconds timeout(step.timeout_ms ? step.timeout_ms : s_.default_timeout_ms);
    std::function<Probe()> probe;
    std::string what;
    std::vector<NodeId> nodes;
    if (!c.node.empty()) {
      Result<std::vector<NodeId>> r = view_->Resolve(c.node, ctx);
      if (!r.ok()) return r.status();
      nodes = *r;
    }
    auto each = [nodes](const std::function<Probe(NodeId)>& one) {
      return [nodes, one] {
        Probe all{true, ""};
        for (NodeId id : nodes) {
          Probe p = one(id);
          all.met = all.met && p.met;
          all.seen += (all.seen.empty() ? "" : "; ") + p.seen;
        }
        return all;
      };
    };
    switch (c.kind) {
      case ConditionKind::kAgree:
        what = "until every running node agrees";
        probe = [this] { return EvalAgree(view_->Statuses(true)); };
        break;
      case ConditionKind::kLeaderEpochAbove: {
        int64_t bound = 0;
        if (c.epoch == "start") {
          bound = record_.start_epoch;
        } else if (c.epoch == "current") {
          for (const NodeStatus& n : view_->Statuses(false)) {
            if (n.role) bound = std::max(bound, n.role->epoch);
          }
        } else {
          bound = std::stoll(c.epoch);
        }
        what = fmt::format("until a leader is established in an epoch above {}", bound);
        probe = [this, bound] { return EvalLeaderEpochAbove(view_->Statuses(false), bound); };
        break;
      }
      case ConditionKind::kRole:
        what = fmt::format("until {} {} {}", Names(nodes), c.role, c.phase);
        probe = each([this, c](NodeId id) {
          NodeStatus n;
          n.id = id;
          n.running = cluster_->State(id) == NodeState::kRunning;
          if (n.running) {
            if (Result<RoleInfo> r = cluster_->QueryRole(id, kRoleTimeout); r.ok()) n.role = *r;
          }
          return EvalRole(n, c.role, c.phase);
        });
        break;
      case ConditionKind::kLogged:
        what = fmt::format("until {} logged {}", Names(nodes), c.op);
        probe = [this, nodes, c] {
          auto ev = AllEvents();
          std::optional<int64_t> z = OpZxid(c.op, ev);
          Probe all{true, ""};
          for (NodeId id : nodes) {
            Probe p = EvalLogged(id, ev[id], z, c.op);
            all.met = all.met && p.met;
            all.seen += (all.seen.empty() ? "" : "; ") + p.seen;
          }
          return all;
        };
        break;
      case ConditionKind::kEvent: {
        int64_t since = last_action_ms_;
        what = fmt::format("until {} logged a {} event", Names(nodes), c.event);
        probe = each([this, c, since](NodeId id) {
          return EvalEvent(id, ReadEventLog(system_->EventLogPath(cluster_->Info(id)), id), c.event,
                           since);
        });
        break;
      }
    }
    Probe seen;
    Status s = WaitUntil(probe, timeout, kPoll, RealClock(), "wait " + what, &seen);
    *note = seen.seen;
    return s;
  }

  // ---- settle phase ------------------------------------------------------------------------
  Status Settle() {
    record_.settle_ms = NowMs();
    Line("settle: heal, resume, start every node, wait for agreement");
    if (Status s = Heal(); !s.ok()) return s;
    for (NodeId id : cluster_->NodeIds()) {
      NodeState st = cluster_->State(id);
      Status s;
      if (st == NodeState::kPaused) {
        s = cluster_->Resume(id);
        if (s.ok() && paused_faults_.count(id)) StopFault(paused_faults_[id]);
      } else if (st != NodeState::kRunning) {
        s = StartNode(id);
      }
      if (!s.ok()) return Prefixed(s, fmt::format("settle: n{}", id));
    }
    paused_faults_.clear();
    Probe seen;
    if (Status s = WaitAgree("settle: wait until every node agrees", &seen); !s.ok()) return s;
    Line("settle: agreed: " + seen.seen);
    if (s_.final_restart) {
      for (NodeId id : cluster_->NodeIds()) {
        if (Status s = cluster_->Kill(id); !s.ok()) return s;
      }
      for (NodeId id : cluster_->NodeIds()) {
        if (Status s = cluster_->Start(id); !s.ok()) return s;
      }
      if (Status s = WaitAgree("settle: wait until every node agrees after restarting all", &seen);
          !s.ok()) {
        return s;
      }
      Line("settle: restarted every node, agreed: " + seen.seen);
    }
    FinalReads();
    return Status::Ok();
  }

  void FinalReads() {
    std::set<std::string> keys;
    for (const OpRecord& r : record_.ops) keys.insert(r.op.key);
    std::string summary;
    for (NodeId id : cluster_->NodeIds()) {
      std::unique_ptr<Client> client = system_->NewClient(cluster_->Info(id), "local");
      for (const std::string& key : keys) {
        checkers::Op op;
        op.index = static_cast<int64_t>(record_.ops.size() + record_.final_reads.size()) + 1;
        op.process = 1000 + id;
        op.f = checkers::Fn::kRead;
        op.key = key;
        op.node = id;
        for (int attempt = 0; attempt < kFinalReadAttempts; ++attempt) {
          op.invoke_ns = NowNs();
          OpResult r = client->Invoke(op, milliseconds(s_.op_timeout_ms));
          op.complete_ns = NowNs();
          op.outcome = r.outcome;
          op.value = r.value;
          op.zxid = r.zxid;
          if (r.outcome == checkers::Outcome::kOk) break;
          client->Reset();
          std::this_thread::sleep_for(milliseconds(50));
        }
        if (op.outcome != checkers::Outcome::kOk) continue;  // never judged from a failed read
        store_->RecordInvoke(run_id_, op);
        store_->RecordCompletion(run_id_, op.index, op.outcome, op.complete_ns, op.value, {},
                                 op.zxid, "");
        record_.final_values[id][key] = op.value;
        record_.final_reads.push_back(op);
        summary += fmt::format("{}n{} {}={}", summary.empty() ? "" : ", ", id, key,
                               op.value ? *op.value : "nil");
      }
    }
    Line("settle: final local reads: " + summary);
  }

  const Scenario& s_;
  const ScenarioRunOptions& o_;
  std::ostream& out_;
  ScenarioOutcome outcome_;
  ScenarioRecord record_;
  std::mutex mu_;  // record_.ops (async op threads complete into it)
  std::unique_ptr<HistoryStore> store_;
  int64_t run_id_ = 0;
  std::string folder_;
  std::unique_ptr<System> system_;
  std::unique_ptr<Db> cluster_;
  std::unique_ptr<ProxyPartitioner> proxy_;
  std::unique_ptr<ClusterView> view_;  // over cluster_ and record_.bindings
  Grudge grudge_;
  std::vector<std::thread> threads_;
  int64_t fault_count_ = 0;
  std::vector<int64_t> link_faults_;
  std::map<NodeId, int64_t> down_faults_, paused_faults_;
  int64_t step_start_ms_ = 0;
  int64_t last_action_ms_ = 0;
};

}  // namespace

ScenarioOutcome RunScenario(const Scenario& scenario, const ScenarioRunOptions& options) {
  ScenarioRun run(scenario, options);
  return run.Execute();
}

}  // namespace faultline::harness::scenario
