// The scenario body's step loop and op steps (scenario_body.h).
#include <fmt/format.h>

#include <thread>

#include "harness/generator/workers.h"
#include "harness/scenario/scenario_body.h"

namespace faultline::harness::scenario {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kStepRoleTimeout{300};
// After an unawaited write is sent, the next step waits at most this long for the leader to log
// it, so that "cut right after the leader logs w1" means exactly that.
constexpr milliseconds kSubmitSync{1000};

checkers::Fn FnOf(StepKind k) {
  return k == StepKind::kWrite ? checkers::Fn::kWrite
         : k == StepKind::kCas ? checkers::Fn::kCas
                               : checkers::Fn::kRead;
}

}  // namespace

void ScenarioBody::Line(const std::string& text) {
  // Before step 1 (t0 not set yet) the cluster is still being set up.
  std::string line = record_.t0_ms == 0
                         ? "setup: " + text
                         : fmt::format("+{:.2f}s {}", (NowMs() - record_.t0_ms) / 1000.0, text);
  record_.step_lines.push_back(line);
}

void ScenarioBody::NoteUnexpectedExits() {
  if (db_ == nullptr) return;
  for (const UnexpectedExit& e : db_->DrainUnexpectedExits()) {
    run_->recorder()->Crash(e.id, e.Describe());
    Line("unexpected exit: " + e.Describe());
  }
}

Status ScenarioBody::RunStep(const Step& step) {
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

Status ScenarioBody::Dispatch(const Step& step, StepContext& ctx, std::string* note) {
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
      return HealLinks();
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

Status ScenarioBody::RunOp(const Step& step, StepContext& ctx, std::string* note) {
  Result<std::vector<NodeId>> nodes = view_->Resolve(step.nodes, ctx);
  if (!nodes.ok()) return nodes.status();
  if (nodes->size() != 1) {
    return Status::InvalidArgument(
        fmt::format("an op goes to one node; '{}' resolved to {}", step.nodes.text, Names(*nodes)));
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
    Result<RoleInfo> role = db_->QueryRole(target, kStepRoleTimeout);
    if (role.ok() && role->role == Role::kLeading) {
      leader = target;
      before = role->last_zxid;
    } else if (Result<NodeId> l = db_->FindLeader(kStepRoleTimeout); l.ok()) {
      if (Result<RoleInfo> lr = db_->QueryRole(*l, kStepRoleTimeout); lr.ok()) {
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
  run_->store().RecordInvoke(run_->run_id(), op);  // as it happens: before the client call
  milliseconds timeout(step.timeout_ms ? step.timeout_ms : s_.op_timeout_ms);
  auto invoke = [this, idx, info = db_->Info(target), op, mode = step.read_mode, timeout] {
    std::unique_ptr<Client> client = run_->system().NewClient(info, mode);
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
          Result<RoleInfo> r = db_->QueryRole(leader, kStepRoleTimeout);
          if (r.ok() && r->last_zxid > before) return Probe{true, "logged"};
          std::lock_guard<std::mutex> lock(mu_);
          const OpRecord& o = record_.ops[idx];
          if (o.op.complete_ns != checkers::kOpenNs) {
            return Probe{true, fmt::format("completed: {} {}", checkers::OutcomeName(o.op.outcome),
                                           o.error)};
          }
          return Probe{false, "pending"};
        },
        kSubmitSync, milliseconds(5), RealClock(), "submit", &seen);
    *note += seen.seen == "logged" ? fmt::format("; n{} logged it", leader) : "; " + seen.seen;
  }
  return Status::Ok();
}

void ScenarioBody::Complete(size_t idx, const OpResult& r) {
  std::lock_guard<std::mutex> lock(mu_);
  OpRecord& rec = record_.ops[idx];
  rec.op.complete_ns = NowNs();
  rec.op.outcome = r.outcome;
  if (rec.op.f == checkers::Fn::kRead) rec.op.value = r.value;
  rec.op.zxid = r.zxid;
  rec.error = r.error;
  run_->store().RecordCompletion(run_->run_id(), rec.op.index, r.outcome, rec.op.complete_ns,
                                 rec.op.f == checkers::Fn::kRead ? r.value : std::nullopt, {},
                                 r.zxid, r.error);
}

void ScenarioBody::JoinOps() {
  for (auto& t : threads_) t.join();
  threads_.clear();
}

}  // namespace faultline::harness::scenario
