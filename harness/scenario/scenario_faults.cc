// The scenario body's link and process steps, through the Nemesis (scenario_body.h). Each step's
// fault is a FaultSpec with explicit nodes or links; partitions are additive (a cut adds to the
// cuts in force, `heal` stops every link fault the steps started). Every fault is recorded by the
// run's FaultRecorder when it starts and when it stops, as the run loop's are.
#include <fmt/format.h>

#include <algorithm>

#include "harness/scenario/scenario_body.h"

namespace faultline::harness::scenario {

Status ScenarioBody::StartFault(const FaultSpec& spec, InForce* out) {
  Result<AppliedFault> applied = run_->nemesis()->Start(spec);
  if (!applied.ok()) return applied.status();
  out->row = run_->recorder()->Started(*applied);
  out->fault = std::move(applied).value();
  return Status::Ok();
}

Status ScenarioBody::RunLinks(const Step& step, StepContext& ctx, std::string* note) {
  Result<std::vector<NodeId>> from = view_->Resolve(step.from, ctx);
  if (!from.ok()) return from.status();
  std::vector<NodeId> to;
  if (step.to.empty()) {
    for (NodeId id : db_->NodeIds()) {
      if (std::find(from->begin(), from->end(), id) == from->end()) to.push_back(id);
    }
  } else {
    Result<std::vector<NodeId>> r = view_->Resolve(step.to, ctx);
    if (!r.ok()) return r.status();
    to = *r;
  }
  if (!step.bind_as.empty()) record_.bindings[step.bind_as] = *from;
  FaultSpec spec;
  for (NodeId a : *from) {
    for (NodeId b : to) {
      if (a == b) continue;
      spec.links.push_back({a, b});  // packets from a to b
      if (step.kind == StepKind::kCut) spec.links.push_back({b, a});
    }
  }
  if (spec.links.empty()) {
    *note = "no links between " + Names(*from) + " and " + Names(to);
    return Status::Ok();
  }
  if (step.kind == StepKind::kDelay) {
    spec.kind = FaultKind::kDelay;
    spec.delay_ms = step.delay_ms;
  } else {
    spec.kind = FaultKind::kPartition;
    spec.shape = PartitionShape::kLinks;
  }
  InForce f;
  if (Status s = StartFault(spec, &f); !s.ok()) return s;
  link_faults_.push_back(std::move(f));
  *note = step.kind == StepKind::kDelay
              ? fmt::format("{} ms on links {} -> {}", step.delay_ms, Names(*from), Names(to))
              : "in force: " + DescribeGrudge(run_->nemesis()->GrudgeInForce());
  return Status::Ok();
}

Status ScenarioBody::HealLinks() {
  Status first;
  for (const InForce& f : link_faults_) {
    Status s = run_->nemesis()->Stop(f.fault);
    run_->recorder()->Stopped(f.row, s);
    if (!s.ok() && first.ok()) first = s;
  }
  link_faults_.clear();
  return first;
}

Status ScenarioBody::StartNode(NodeId id) {
  auto it = down_faults_.find(id);
  if (it != down_faults_.end()) {
    Status s = run_->nemesis()->Stop(it->second.fault);  // starts the killed node
    run_->recorder()->Stopped(it->second.row, s);
    down_faults_.erase(it);
    if (!s.ok()) return s;
  }
  paused_faults_.erase(id);
  const NodeState st = db_->State(id);
  if (st == NodeState::kRunning || st == NodeState::kPaused) return Status::Ok();
  return db_->Start(id);  // down without a step's fault (it exited on its own)
}

Status ScenarioBody::ResumeNode(NodeId id) {
  auto it = paused_faults_.find(id);
  if (it == paused_faults_.end()) return db_->Resume(id);
  Status s = run_->nemesis()->Stop(it->second.fault);
  run_->recorder()->Stopped(it->second.row, s);
  paused_faults_.erase(it);
  return s;
}

Status ScenarioBody::RunProcess(const Step& step, StepContext& ctx, std::string* note) {
  Result<std::vector<NodeId>> nodes = view_->Resolve(step.nodes, ctx);
  if (!nodes.ok()) return nodes.status();
  if (!step.bind_as.empty()) record_.bindings[step.bind_as] = *nodes;
  std::vector<std::string> done;
  auto explicit_fault = [](FaultKind kind, NodeId id) {
    FaultSpec spec;
    spec.kind = kind;
    spec.target = {TargetKind::kExplicit, {id}};
    return spec;
  };
  for (NodeId id : *nodes) {
    NodeState st = db_->State(id);
    bool live = st == NodeState::kRunning || st == NodeState::kPaused;
    Status s;
    switch (step.kind) {
      case StepKind::kKill: {
        if (!live) {
          done.push_back(fmt::format("n{} already down", id));
          continue;
        }
        InForce f;
        s = StartFault(explicit_fault(FaultKind::kKill, id), &f);
        if (s.ok()) {
          if (auto p = paused_faults_.find(id); p != paused_faults_.end()) {
            run_->recorder()->Stopped(p->second.row);  // the kill ended the pause
            paused_faults_.erase(p);
          }
          down_faults_[id] = std::move(f);
        }
        break;
      }
      case StepKind::kPause: {
        InForce f;
        s = StartFault(explicit_fault(FaultKind::kPause, id), &f);
        if (s.ok()) paused_faults_[id] = std::move(f);
        break;
      }
      case StepKind::kResume:
        s = ResumeNode(id);
        break;
      case StepKind::kRestart:
        if (live) {
          InForce f;  // instantaneous: recorded started and stopped
          s = StartFault(explicit_fault(FaultKind::kRestart, id), &f);
          if (s.ok()) {
            if (auto p = paused_faults_.find(id); p != paused_faults_.end()) {
              run_->recorder()->Stopped(p->second.row);
              paused_faults_.erase(p);
            }
          }
        } else {
          s = StartNode(id);
        }
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

Status ScenarioBody::StopFaults(RunScaffold& run) {
  record_.settle_ms = NowMs();
  JoinOps();
  if (run_ == nullptr) return Status::Ok();  // never got past setup
  Line("settle: heal, resume, start every node, wait for agreement");
  Status first = HealLinks();
  auto note = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  for (auto& [id, f] : paused_faults_) {
    Status s = run.nemesis()->Stop(f.fault);
    run.recorder()->Stopped(f.row, s);
    note(s);
  }
  paused_faults_.clear();
  for (auto& [id, f] : down_faults_) {
    Status s = run.nemesis()->Stop(f.fault);
    run.recorder()->Stopped(f.row, s);
    note(s);
  }
  down_faults_.clear();
  return first;  // the scaffold's HealAll then starts anything still down
}

}  // namespace faultline::harness::scenario
