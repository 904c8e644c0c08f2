#include "harness/nemesis/nemesis.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace faultline::harness {
namespace {

bool NeedsLeader(const FaultSpec& spec) {
  if (!spec.links.empty()) return false;  // explicit links name their nodes
  if (spec.kind == FaultKind::kPartition) {
    if (spec.shape == PartitionShape::kIsolateLeader) return true;
    if (!ShapeUsesTarget(spec.shape)) return false;  // the other shapes ignore the target
  }
  return spec.target.kind == TargetKind::kLeader || spec.target.kind == TargetKind::kFollowers ||
         spec.target.kind == TargetKind::kFollower;
}

bool IsProcessFault(FaultKind kind) { return KindInfo(kind).fault_class == FaultClass::kProcess; }

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
  for (const auto& [from, to] : spec.links) {
    for (NodeId id : {from, to}) {
      if (std::find(ids.begin(), ids.end(), id) == ids.end()) {
        return Status::InvalidArgument(fmt::format("no node {} in the cluster", id));
      }
    }
    if (from == to) return Status::InvalidArgument(fmt::format("link {} -> {}", from, to));
  }
  if (spec.kind == FaultKind::kPartition && spec.shape == PartitionShape::kLinks &&
      spec.links.empty()) {
    return Status::InvalidArgument("a partition of explicit links needs links");
  }
  const FaultKindInfo& info = KindInfo(spec.kind);
  if (info.takes_delay && spec.delay_ms <= 0) {
    return Status::InvalidArgument("delay_ms must be > 0");
  }
  if (info.takes_loss && !(spec.loss_probability > 0.0 && spec.loss_probability <= 1.0)) {
    return Status::InvalidArgument("loss probability must be in (0, 1]");
  }
  if (IsNetworkFault(spec.kind)) {
    if (partitioner_ == nullptr) {
      return Status::Unavailable(
          fmt::format("{} needs a partitioner (none configured)", FaultKindName(spec.kind)));
    }
    if (IsLinkFault(spec.kind) && !partitioner_->SupportsLinkFaults()) {
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
  if (options_.record_roles || NeedsLeader(spec))
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

  // Process faults pick running nodes; a node named explicitly may also be killed while paused
  // (a scenario's `pause n1` then `kill n1`).
  std::vector<NodeId> eligible;
  if (IsProcessFault(spec.kind)) {
    const bool paused_ok = spec.target.kind == TargetKind::kExplicit &&
                           KindInfo(spec.kind).action != ProcessAction::kPause;
    for (NodeId id : all) {
      const NodeState st = cluster_.State(id);
      if (st == NodeState::kRunning || (paused_ok && st == NodeState::kPaused)) {
        eligible.push_back(id);
      }
    }
  } else {
    eligible = all;
  }

  fault.id = next_id_++;
  switch (KindInfo(spec.kind).fault_class) {
    case FaultClass::kProcess:
      return StartProcess(spec, std::move(fault), all, eligible, leader);
    case FaultClass::kPartition:
      return StartPartition(spec, std::move(fault), all, leader);
    case FaultClass::kLink:
      return StartLink(spec, std::move(fault), all, leader);
  }
  return Status::InvalidArgument("unknown fault class");
}

Result<AppliedFault> Nemesis::StartProcess(const FaultSpec& spec, AppliedFault fault,
                                           const std::vector<NodeId>& all,
                                           const std::vector<NodeId>& eligible,
                                           std::optional<NodeId> leader) {
  auto targets = Resolve(spec.target, all, eligible, leader);
  if (!targets.ok()) return targets.status();
  std::vector<std::string> failures;
  Status first_error;
  for (NodeId id : *targets) {
    Status s;
    switch (KindInfo(spec.kind).action) {
      case ProcessAction::kKill:
        s = cluster_.Kill(id);
        break;
      case ProcessAction::kPause:
        s = cluster_.Pause(id);
        break;
      case ProcessAction::kKillThenStart:
        s = cluster_.Kill(id);
        if (s.ok()) s = cluster_.Start(id);
        break;
      case ProcessAction::kNone:
        s = Status::InvalidArgument("a process fault without an action");
        break;
    }
    if (s.ok()) {
      fault.nodes.push_back(id);
    } else {
      failures.push_back(fmt::format("node {}: {}", id, s.ToString()));
      if (first_error.ok()) first_error = s;
    }
  }
  if (fault.nodes.empty()) return first_error;
  fault.description =
      fmt::format("{}: {}", DescribeSpec(spec), DescribeNodes(fault.nodes, fault.roles));
  if (!failures.empty()) {
    fault.description += fmt::format(" (failed: {})", fmt::join(failures, "; "));
  }
  return fault;
}

Result<AppliedFault> Nemesis::StartPartition(const FaultSpec& spec, AppliedFault fault,
                                             const std::vector<NodeId>& all,
                                             std::optional<NodeId> leader) {
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
      auto targets = Resolve(spec.target, all, all, leader);
      if (!targets.ok()) return targets.status();
      const NodeId node = Draw(*targets, 1).front();
      grudge = spec.shape == PartitionShape::kIsolateNode ? IsolateNode(all, node)
                                                          : OneWayIsolate(all, node);
      fault.nodes = {node};
      break;
    }
    case PartitionShape::kLinks:
      grudge = OneWayLinks(spec.links);
      break;
  }
  if (fault.nodes.empty()) {
    std::set<NodeId> touched;
    for (const auto& [to, from] : grudge) {
      touched.insert(to);
      touched.insert(from.begin(), from.end());
    }
    fault.nodes.assign(touched.begin(), touched.end());
  }
  grudges_[fault.id] = grudge;
  if (Status s = partitioner_->Apply(GrudgeInForce()); !s.ok()) {
    grudges_.erase(fault.id);
    (void)partitioner_->Apply(GrudgeInForce());
    return s;
  }
  fault.description = fmt::format("{}: {} | {}", DescribeSpec(spec),
                                  DescribeNodes(fault.nodes, fault.roles), DescribeGrudge(grudge));
  fault.grudge = std::move(grudge);
  return fault;
}

Result<AppliedFault> Nemesis::StartLink(const FaultSpec& spec, AppliedFault fault,
                                        const std::vector<NodeId>& all,
                                        std::optional<NodeId> leader) {
  std::set<Link> links(spec.links.begin(), spec.links.end());
  if (links.empty()) {
    auto targets = Resolve(spec.target, all, all, leader);
    if (!targets.ok()) return targets.status();
    for (NodeId t : *targets) {
      for (NodeId other : all) {
        if (other == t) continue;
        links.insert({t, other});
        links.insert({other, t});
      }
    }
    fault.nodes = *targets;
  } else {
    std::set<NodeId> touched;
    for (const auto& [from, to] : links) touched.insert({from, to});
    fault.nodes.assign(touched.begin(), touched.end());
  }
  const double value = KindInfo(spec.kind).takes_delay ? spec.delay_ms : spec.loss_probability;
  for (const Link& link : links) link_settings_[{spec.kind, link}].push_back({fault.id, value});
  for (const Link& link : links) {
    if (Status s = ApplyLink(spec.kind, link); !s.ok()) {
      // Leave nothing half-applied behind.
      for (const Link& l : links) {
        std::erase_if(link_settings_[{spec.kind, l}],
                      [&](const auto& entry) { return entry.first == fault.id; });
        (void)ApplyLink(spec.kind, l);
      }
      return s;
    }
  }
  fault.links.assign(links.begin(), links.end());
  fault.description = fmt::format("{}: {} ({} links)", DescribeSpec(spec),
                                  DescribeNodes(fault.nodes, fault.roles), links.size());
  return fault;
}

Status Nemesis::ApplyLink(FaultKind kind, const Link& link) {
  auto it = link_settings_.find({kind, link});
  const double value =
      it == link_settings_.end() || it->second.empty() ? 0.0 : it->second.back().second;
  if (KindInfo(kind).takes_delay) {
    return partitioner_->SetDelay(link.first, link.second, static_cast<int>(value));
  }
  return partitioner_->SetLoss(link.first, link.second, value);
}

Grudge Nemesis::GrudgeInForce() const {
  Grudge all;
  for (const auto& [id, grudge] : grudges_) {
    for (const auto& [to, from] : grudge) all[to].insert(from.begin(), from.end());
  }
  return all;
}

Status Nemesis::Stop(const AppliedFault& fault) {
  Status first;
  auto note = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  const FaultKindInfo& info = KindInfo(fault.spec.kind);
  switch (info.fault_class) {
    case FaultClass::kProcess:
      if (info.instantaneous) break;
      for (NodeId id : fault.nodes) {
        const NodeState st = cluster_.State(id);
        if (info.action == ProcessAction::kKill && st == NodeState::kKilled) {
          note(cluster_.Start(id));
        } else if (info.action == ProcessAction::kPause && st == NodeState::kPaused) {
          note(cluster_.Resume(id));
        }
      }
      break;
    case FaultClass::kPartition:
      if (grudges_.erase(fault.id) > 0 && partitioner_ != nullptr) {
        note(partitioner_->Apply(GrudgeInForce()));
      }
      break;
    case FaultClass::kLink:
      for (const Link& link : fault.links) {
        std::erase_if(link_settings_[{fault.spec.kind, link}],
                      [&](const auto& entry) { return entry.first == fault.id; });
        if (partitioner_ != nullptr) note(ApplyLink(fault.spec.kind, link));
      }
      break;
  }
  return first;
}

Status Nemesis::HealAll() {
  Status first;
  auto note = [&first](Status s) {
    if (!s.ok() && first.ok()) first = std::move(s);
  };
  grudges_.clear();
  link_settings_.clear();
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
