#include "harness/nemesis/fault.h"

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <charconv>

namespace faultline::harness {
namespace {

template <typename Enum, size_t N>
Result<Enum> ParseName(std::string_view what, std::string_view name, const std::array<Enum, N>& all,
                       std::string_view (*to_name)(Enum)) {
  std::vector<std::string_view> names;
  for (Enum e : all) {
    if (to_name(e) == name) return e;
    names.push_back(to_name(e));
  }
  return Status::InvalidArgument(
      fmt::format("unknown {} '{}' (expected one of: {})", what, name, fmt::join(names, ", ")));
}

constexpr std::array kTargetKinds = {
    TargetKind::kRandomNode, TargetKind::kLeader,   TargetKind::kFollowers, TargetKind::kFollower,
    TargetKind::kMinority,   TargetKind::kMajority, TargetKind::kAll};
constexpr std::array kShapes = {PartitionShape::kHalves,         PartitionShape::kRandomHalves,
                                PartitionShape::kIsolateNode,    PartitionShape::kIsolateLeader,
                                PartitionShape::kMajoritiesRing, PartitionShape::kBridge,
                                PartitionShape::kOneWay};

std::string DescribeTarget(const Target& target) {
  if (target.kind == TargetKind::kExplicit) {
    return fmt::format("nodes {}", fmt::join(target.ids, ","));
  }
  return std::string(TargetKindName(target.kind));
}

std::string DescribeLinks(const std::vector<Link>& links) {
  std::vector<std::string> parts;
  for (const auto& [from, to] : links) parts.push_back(fmt::format("{}->{}", from, to));
  return fmt::format("{}", fmt::join(parts, " "));
}

}  // namespace

const std::vector<FaultKindInfo>& FaultKinds() {
  using C = FaultClass;
  using A = ProcessAction;
  static const std::vector<FaultKindInfo> kinds = {
      {FaultKind::kKill, "kill", C::kProcess, A::kKill, false, false, false, false,
       "SIGKILL the target; restart it with the same data when the fault ends"},
      {FaultKind::kPause, "pause", C::kProcess, A::kPause, false, false, false, false,
       "SIGSTOP the target; SIGCONT when the fault ends"},
      {FaultKind::kRestart, "restart", C::kProcess, A::kKillThenStart, true, false, false, false,
       "SIGKILL the target and start it again at once"},
      {FaultKind::kPartition, "partition", C::kPartition, A::kNone, false, false, false, false,
       "cut peer links in a shape; heal them when the fault ends"},
      {FaultKind::kDelay, "delay", C::kLink, A::kNone, false, true, false, false,
       "delay every chunk on the target's peer links (proxy)"},
      {FaultKind::kLoss, "loss", C::kLink, A::kNone, false, false, true, false,
       "drop the target's peer connections with a probability per chunk (proxy)"},
      // A SIGKILL; the nodes' power-loss mode makes it a power cut (unsynced writes are gone).
      {FaultKind::kPowerLoss, "power-loss", C::kProcess, A::kKill, false, false, false, true,
       "cut the target's power: SIGKILL of a node in power-loss mode; restart when it ends"},
  };
  return kinds;
}

const FaultKindInfo& KindInfo(FaultKind kind) {
  for (const FaultKindInfo& k : FaultKinds()) {
    if (k.kind == kind) return k;
  }
  assert(false && "a FaultKind without a row in FaultKinds()");
  return FaultKinds().front();
}

bool IsNetworkFault(FaultKind kind) { return KindInfo(kind).fault_class != FaultClass::kProcess; }
bool IsLinkFault(FaultKind kind) { return KindInfo(kind).fault_class == FaultClass::kLink; }
bool NeedsPowerLossMode(FaultKind kind) { return KindInfo(kind).needs_power_loss_mode; }

std::string_view FaultKindName(FaultKind kind) { return KindInfo(kind).name; }

std::string_view TargetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kRandomNode:
      return "random";
    case TargetKind::kLeader:
      return "leader";
    case TargetKind::kFollowers:
      return "followers";
    case TargetKind::kFollower:
      return "follower";
    case TargetKind::kMinority:
      return "minority";
    case TargetKind::kMajority:
      return "majority";
    case TargetKind::kAll:
      return "all";
    case TargetKind::kExplicit:
      return "ids";
  }
  return "?";
}

std::string_view PartitionShapeName(PartitionShape shape) {
  switch (shape) {
    case PartitionShape::kHalves:
      return "halves";
    case PartitionShape::kRandomHalves:
      return "random-halves";
    case PartitionShape::kIsolateNode:
      return "isolate-node";
    case PartitionShape::kIsolateLeader:
      return "isolate-leader";
    case PartitionShape::kMajoritiesRing:
      return "majorities-ring";
    case PartitionShape::kBridge:
      return "bridge";
    case PartitionShape::kOneWay:
      return "one-way";
    case PartitionShape::kLinks:
      return "links";
  }
  return "?";
}

Result<FaultKind> ParseFaultKind(std::string_view name) {
  for (const FaultKindInfo& k : FaultKinds()) {
    if (k.name == name) return k.kind;
  }
  return Status::InvalidArgument(
      fmt::format("unknown fault kind '{}' (one of {})", name, fmt::join(FaultKindNames(), ", ")));
}

Result<TargetKind> ParseTargetKind(std::string_view name) {
  return ParseName("target", name, kTargetKinds, &TargetKindName);
}

Result<PartitionShape> ParsePartitionShape(std::string_view name) {
  return ParseName("partition shape", name, kShapes, &PartitionShapeName);
}

Result<Target> ParseTarget(std::string_view text) {
  if (text.empty() || (text.front() < '0' || text.front() > '9')) {
    auto kind = ParseTargetKind(text);
    if (!kind.ok()) {
      return Status::InvalidArgument(kind.status().message() + ", or node ids like 1,3");
    }
    return Target{*kind, {}};
  }
  Target target{TargetKind::kExplicit, {}};
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = std::min(text.find(',', pos), text.size());
    const std::string_view word = text.substr(pos, comma - pos);
    NodeId id = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), id);
    if (ec != std::errc() || p != word.data() + word.size() || id <= 0) {
      return Status::InvalidArgument(fmt::format("bad node id '{}' in target '{}'", word, text));
    }
    target.ids.push_back(id);
    pos = comma + 1;
  }
  return target;
}

std::string TargetText(const Target& target) {
  if (target.kind == TargetKind::kExplicit) return fmt::format("{}", fmt::join(target.ids, ","));
  return std::string(TargetKindName(target.kind));
}

std::vector<std::string> FaultKindNames() {
  std::vector<std::string> out;
  for (const FaultKindInfo& k : FaultKinds()) out.emplace_back(k.name);
  return out;
}

std::vector<std::string> TargetNames() {
  std::vector<std::string> out;
  for (TargetKind k : kTargetKinds) out.emplace_back(TargetKindName(k));
  return out;
}

std::vector<std::string> ShapeNames() {
  std::vector<std::string> out;
  for (PartitionShape s : kShapes) out.emplace_back(PartitionShapeName(s));
  return out;
}

bool ShapeUsesTarget(PartitionShape shape) {
  return shape == PartitionShape::kIsolateNode || shape == PartitionShape::kOneWay;
}

std::string DescribeSpec(const FaultSpec& spec) {
  const FaultKindInfo& info = KindInfo(spec.kind);
  const std::string where =
      spec.links.empty() ? DescribeTarget(spec.target) : "links " + DescribeLinks(spec.links);
  switch (info.fault_class) {
    case FaultClass::kPartition:
      if (spec.shape == PartitionShape::kLinks) {
        return fmt::format("partition links {}", DescribeLinks(spec.links));
      }
      if (ShapeUsesTarget(spec.shape)) {
        return fmt::format("partition {} {}", PartitionShapeName(spec.shape), where);
      }
      return fmt::format("partition {}", PartitionShapeName(spec.shape));
    case FaultClass::kLink:
      if (info.takes_delay) return fmt::format("{} {}ms {}", info.name, spec.delay_ms, where);
      return fmt::format("{} {} {}", info.name, spec.loss_probability, where);
    case FaultClass::kProcess:
      break;
  }
  return fmt::format("{} {}", info.name, where);
}

}  // namespace faultline::harness
