// The scenario body's waits (scenario_body.h): conditions polled against the live cluster and
// against the node events the scaffold's EventPump ingested (polled now, so a wait sees a line a
// node wrote a moment ago).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "harness/scenario/scenario_body.h"

namespace faultline::harness::scenario {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kWaitRoleTimeout{300};
constexpr milliseconds kPoll{20};
// A divergence (EvalAgree: one leader, one commit point, different states) that lasted this long
// ends an agree wait: waiting longer cannot resolve it, and it is for the expectations to judge.
constexpr milliseconds kDivergedFor{2000};

// EvalAgree, met also once a divergence has held for kDivergedFor (then `diverged` is set).
std::function<Probe()> AgreeOrDiverged(std::function<std::vector<NodeStatus>()> statuses) {
  auto since = std::make_shared<std::optional<std::chrono::steady_clock::time_point>>();
  return [statuses = std::move(statuses), since] {
    Probe p = EvalAgree(statuses());
    if (!p.diverged) {
      since->reset();
      return p;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!*since) *since = now;
    p.met = now - **since >= kDivergedFor;
    return p;
  };
}

}  // namespace

std::map<NodeId, std::vector<checkers::NodeEvent>> ScenarioBody::EventsNow() {
  run_->pump()->PollNow();
  return run_->pump()->Events();
}

Status ScenarioBody::WaitAgree(const std::string& what, Probe* seen) {
  return WaitUntil(AgreeOrDiverged([this] { return view_->Statuses(true); }),
                   milliseconds(s_.default_timeout_ms), kPoll, RealClock(), what, seen);
}

std::optional<int64_t> ScenarioBody::OpZxid(
    const std::string& name, const std::map<NodeId, std::vector<checkers::NodeEvent>>& ev) {
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

Status ScenarioBody::RunWait(const Step& step, StepContext& ctx, std::string* note) {
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
      probe = AgreeOrDiverged([this] { return view_->Statuses(true); });
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
        NodeStatus n = view_->Status(id);
        return EvalRole(n, c.role, c.phase);
      });
      break;
    case ConditionKind::kLogged:
      what = fmt::format("until {} logged {}", Names(nodes), c.op);
      probe = [this, nodes, c] {
        auto ev = EventsNow();
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
      probe = [this, nodes, c, since] {
        auto ev = EventsNow();
        Probe all{true, ""};
        for (NodeId id : nodes) {
          Probe p = EvalEvent(id, ev[id], c.event, since);
          all.met = all.met && p.met;
          all.seen += (all.seen.empty() ? "" : "; ") + p.seen;
        }
        return all;
      };
      break;
    }
  }
  Probe seen;
  Status s = WaitUntil(probe, timeout, kPoll, RealClock(), "wait " + what, &seen);
  *note = seen.seen;
  if (s.ok() && seen.diverged) *note = "never agreed, their states differ: " + seen.seen;
  return s;
}

}  // namespace faultline::harness::scenario
