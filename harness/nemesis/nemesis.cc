#include "harness/nemesis/nemesis.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace faultline::harness {
namespace {

bool NeedsLeader(const FaultSpec& spec) {
  if (spec.kind == FaultKind::kPartition) {
    if (spec.shape == PartitionShape::kIsolateLeader) return true;
    if (spec.shape != PartitionShape::kIsolateNode && spec.shape != PartitionShape::kOneWay) {
      return false;  // the other shapes ignore the target
    }
  }
  return spec.target.kind == TargetKind::kLeader || spec.target.kind == TargetKind::kFollowers ||
         spec.target.kind == TargetKind::kFollower;
}

bool IsProcessFault(FaultKind kind) {
  return kind == FaultKind::kKill || kind == FaultKind::kPause || kind == FaultKind::kRestart ||
         kind == FaultKind::kPowerLoss;
}

std::string DescribeNodes(const std::vector<NodeId>& nodes, const std::map<NodeId, Role>& roles) {
  std::vector<std::string> parts;
  for (NodeId id : nodes) {
    auto it = roles.find(id);
    parts.push_back(
        fmt::format("{} ({})", id, RoleName(it == roles.end() ? Role::kUnknown : it->second)));
  }
  return fmt::format("node{} {}", nodes.size() == 1 ? "" : "s", fmt::join(parts, ", "));
}

}  // namespace

Nemesis::Nemesis(ClusterControl& cluster, Partitioner* partitioner, NemesisOptions options)
    : cluster_(cluster), partitioner_(partitioner), options_(options), rng_(options.seed) {}

Status Nemesis::Validate(const FaultSpec& spec) const {
  const std::vector<NodeId> ids = cluster_.NodeIds();
  if (spec.target.kind == TargetKind::kExplicit) {
    if (spec.target.ids.empty()) return Status::InvalidArgument("explicit target without ids");
    for (NodeId id : spec.target.ids) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        return Status::InvalidArgument(fmt::format("no node {} in the cluster", id));
      }
    }
  }
  switch (spec.kind) {
    case FaultKind::kDelay:
      if (spec.delay_ms <= 0) return Status::InvalidArgument("delay_ms must be > 0");
      break;
    case FaultKind::kLoss:
      if (!(spec.loss_probability > 0.0 && spec.loss_probability <= 1.0)) {
        return Status::InvalidArgument("loss probability must be in (0, 1]");
      }
      break;
    default:
      break;
  }
  if (spec.kind == FaultKind::kPartition || spec.kind == FaultKind::kDelay ||
      spec.kind == FaultKind::kLoss) {
    if (partitioner_ == nullptr) {
      return Status::Unavailable(
          fmt::format("{} needs a partitioner (none configured)", FaultKindName(spec.kind)));
    }
    if (spec.kind != FaultKind::kPartition && !partitioner_->SupportsLinkFaults()) {
      return Status::InvalidArgument(fmt::format("{} is not supported by the {} partitioner",
                                                 FaultKindName(spec.kind), partitioner_->Name()));
    }
  }
  return Status::Ok();
}

std::vector<NodeId> Nemesis::Draw(std::vector<NodeId> pool, size_t count) {
  std::shuffle(pool.begin(), pool.end(), rng_);
  pool.resize(std::min(count, pool.size()));
  std::sort(pool.begin(), pool.end());
  return pool;
}

Result<std::vector<NodeId>> Nemesis::Resolve(const Target& target, const std::vector<NodeId>& all,
                                             const std::vector<NodeId>& eligible,
                                             std::optional<NodeId> leader) {
  auto is_eligible = [&](NodeId id) {
    return std::find(eligible.begin(), eligible.end(), id) != eligible.end();
  };
  std::vector<NodeId> out;
  switch (target.kind) {
    case TargetKind::kRandomNode:
      out = Draw(eligible, 1);
      break;
    case TargetKind::kLeader:
      if (is_eligible(*leader)) out = {*leader};
      break;
    case TargetKind::kFollowers:
      std::copy_if(eligible.begin(), eligible.end(), std::back_inserter(out),
                   [&](NodeId id) { return id != *leader; });
      break;
    case TargetKind::kFollower: {
      std::vector<NodeId> followers;
      std::copy_if(eligible.begin(), eligible.end(), std::back_inserter(followers),
                   [&](NodeId id) { return id != *leader; });
      out = Draw(followers, 1);
      break;
    }
    case TargetKind::kMinority:
      out = Draw(eligible, all.size() / 2);
      break;
    case TargetKind::kMajority:
      out = Draw(eligible, all.size() / 2 + 1);
      break;
    case TargetKind::kAll:
      out = eligible;
      break;
    case TargetKind::kExplicit:
      std::copy_if(target.ids.begin(), target.ids.end(), std::back_inserter(out), is_eligible);
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      break;
  }
  if (out.empty()) {
    return Status::Unavailable(
        fmt::format("no eligible node for target {}", TargetKindName(target.kind)));
  }
  return out;
}

Result<AppliedFault> Nemesis::Start(const FaultSpec& spec) {
  if (Status s = Validate(spec); !s.ok()) return s;
  AppliedFault fault;
  fault.spec = spec;
  fault.roles = cluster_.Roles(options_.role_timeout);
  const std::vector<NodeId> all = cluster_.NodeIds();

  std::optional<NodeId> leader;
  if (NeedsLeader(spec)) {
    // One ROLE round was just taken; trust it when it names exactly one leader.
    std::vector<NodeId> leading;
    for (const auto& [id, role] : fault.roles) {
      if (role == Role::kLeading) leading.push_back(id);
    }
    if (leading.size() == 1) {
      leader = leading.front();
    } else {
      auto found = cluster_.FindLeader(options_.leader_timeout);
      if (!found.ok()) {
        return Status::Unavailable(
            fmt::format("{}: no leader: {}", DescribeSpec(spec), found.status().message()));
      }
      leader = *found;
      fault.roles = cluster_.Roles(options_.role_timeout);
    }
  }

  std::vector<NodeId> eligible;
  if (IsProcessFault(spec.kind)) {
    for (NodeId id : all) {
      if (cluster_.State(id) == NodeState::kRunning) eligible.push_back(id);
    }
  } else {
    eligible = all;
  }

  const std::string head = DescribeSpec(spec);
  switch (spec.kind) {
    case FaultKind::kKill:
    case FaultKind::kPowerLoss:  // a SIGKILL; the node's power-loss mode makes it a power cut
    case FaultKind::kPause:
    case FaultKind::kRestart: {
      auto targets = Resolve(spec.target, all, eligible, leader);
      if (!targets.ok()) return targets.status();
      std::vector<std::string> failures;
      Status first_error;
      for (NodeId id : *targets) {
        Status s;
        if (spec.kind == FaultKind::kKill || spec.kind == FaultKind::kPowerLoss) {
          s = cluster_.Kill(id);
        } else if (spec.kind == FaultKind::kPause) {
          s = cluster_.Pause(id);
        } else {
          s = cluster_.Kill(id);
          if (s.ok()) s = cluster_.Start(id);
        }
        if (s.ok()) {
          fault.nodes.push_back(id);
        } else {
          failures.push_back(fmt::format("node {}: {}", id, s.ToString()));
          if (first_error.ok()) first_error = s;
        }
      }
      if (fault.nodes.empty()) return first_error;
      fault.description = fmt::format("{}: {}", head, DescribeNodes(fault.nodes, fault.roles));
      if (!failures.empty()) {
        fault.description += fmt::format(" (failed: {})", fmt::join(failures, "; "));
      }
      return fault;
    }
    case FaultKind::kPartition: {
      Grudge grudge;
      switch (spec.shape) {
        case PartitionShape::kHalves:
          grudge = Halves(all);
          break;
        case PartitionShape::kRandomHalves:
          grudge = RandomHalves(all, rng_());
          break;
        case PartitionShape::kMajoritiesRing:
          grudge = MajoritiesRing(all);
          break;
        case PartitionShape::kBridge:
          grudge = Bridge(all);
          break;
        case PartitionShape::kIsolateLeader:
          grudge = IsolateNode(all, *leader);
          fault.nodes = {*leader};
          break;
        case PartitionShape::kIsolateNode:
        case PartitionShape::kOneWay: {
          auto targets = Resolve(spec.target, all, eligible, leader);
          if (!targets.ok()) return targets.status();
          const NodeId node = Draw(*targets, 1).front();
          grudge = spec.shape == PartitionShape::kIsolateNode ? IsolateNode(all, node)
                                                              : OneWayIsolate(all, node);
          fault.nodes = {node};
          break;
        }
      }
      if (fault.nodes.empty()) {
        std::set<NodeId> touched;
        for (const auto& [to, from] : grudge) {
          touched.insert(to);
          touched.insert(from.begin(), from.end());
        }
        fault.nodes.assign(touched.begin(), touched.end());
      }
      if (Status s = partitioner_->Apply(grudge); !s.ok()) return s;
      fault.description = fmt::format("{}: {} | {}", head, DescribeNodes(fault.nodes, fault.roles),
                                      DescribeGrudge(grudge));
      fault.grudge = std::move(grudge);
      return fault;
    }
    case FaultKind::kDelay:
    case FaultKind::kLoss: {
      auto targets = Resolve(spec.target, all, eligible, leader);
      if (!targets.ok()) return targets.status();
      std::set<std::pair<NodeId, NodeId>> links;
      for (NodeId t : *targets) {
        for (NodeId other : all) {
          if (other == t) continue;
          links.insert({t, other});
          links.insert({other, t});
        }
      }
      for (const auto& [from, to] : links) {
        Status s = spec.kind == FaultKind::kDelay
                       ? partitioner_->SetDelay(from, to, spec.delay_ms)
                       : partitioner_->SetLoss(from, to, spec.loss_probability);
        if (!s.ok()) {
          // Leave nothing half-applied behind.
          for (const auto& [f, t] : links) {
            (void)(spec.kind == FaultKind::kDelay ? partitioner_->SetDelay(f, t, 0)
                                                  : partitioner_->SetLoss(f, t, 0.0));
          }
          return s;
        }
      }
      fault.nodes = *targets;
      fault.links.assign(links.begin(), links.end());
      fault.description = fmt::format("{}: {} ({} links)", head,
                                      DescribeNodes(fault.nodes, fault.roles), links.size());
      return fault;
    }
  }
  return Status::InvalidArgument("unknown fault kind");
}

Status Nemesis::Stop(const AppliedFault& fault) {
  Status first;
  auto note = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  switch (fault.spec.kind) {
    case FaultKind::kKill:
    case FaultKind::kPowerLoss:
      for (NodeId id : fault.nodes) {
        if (cluster_.State(id) == NodeState::kKilled) note(cluster_.Start(id));
      }
      break;
    case FaultKind::kPause:
      for (NodeId id : fault.nodes) {
        if (cluster_.State(id) == NodeState::kPaused) note(cluster_.Resume(id));
      }
      break;
    case FaultKind::kRestart:
      break;
    case FaultKind::kPartition:
      if (partitioner_ != nullptr) note(partitioner_->Apply({}));
      break;
    case FaultKind::kDelay:
      for (const auto& [from, to] : fault.links) note(partitioner_->SetDelay(from, to, 0));
      break;
    case FaultKind::kLoss:
      for (const auto& [from, to] : fault.links) note(partitioner_->SetLoss(from, to, 0.0));
      break;
  }
  return first;
}

Status Nemesis::HealAll() {
  Status first;
  auto note = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  if (partitioner_ != nullptr) note(partitioner_->Heal());
  for (NodeId id : cluster_.NodeIds()) {
    switch (cluster_.State(id)) {
      case NodeState::kPaused:
        note(cluster_.Resume(id));
        break;
      case NodeState::kKilled:
      case NodeState::kExitedUnexpectedly:
        note(cluster_.Start(id));
        break;
      default:
        break;
    }
  }
  return first;
}

}  // namespace faultline::harness
