#include "harness/nemesis/fault.h"

#include <fmt/format.h>

#include <array>
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

constexpr std::array kFaultKinds = {FaultKind::kKill,     FaultKind::kPause, FaultKind::kPartition,
                                    FaultKind::kRestart,  FaultKind::kDelay, FaultKind::kLoss,
                                    FaultKind::kPowerLoss};
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

}  // namespace

std::string_view FaultKindName(FaultKind kind) {
  switch (kind) {
    case FaultKind::kKill:
      return "kill";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kRestart:
      return "restart";
    case FaultKind::kDelay:
      return "delay";
    case FaultKind::kLoss:
      return "loss";
    case FaultKind::kPowerLoss:
      return "power-loss";
  }
  return "?";
}

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
  }
  return "?";
}

Result<FaultKind> ParseFaultKind(std::string_view name) {
  return ParseName("fault kind", name, kFaultKinds, &FaultKindName);
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

std::string DescribeSpec(const FaultSpec& spec) {
  switch (spec.kind) {
    case FaultKind::kPartition:
      if (spec.shape == PartitionShape::kIsolateNode || spec.shape == PartitionShape::kOneWay) {
        return fmt::format("partition {} {}", PartitionShapeName(spec.shape),
                           DescribeTarget(spec.target));
      }
      return fmt::format("partition {}", PartitionShapeName(spec.shape));
    case FaultKind::kDelay:
      return fmt::format("delay {}ms {}", spec.delay_ms, DescribeTarget(spec.target));
    case FaultKind::kLoss:
      return fmt::format("loss {} {}", spec.loss_probability, DescribeTarget(spec.target));
    default:
      return fmt::format("{} {}", FaultKindName(spec.kind), DescribeTarget(spec.target));
  }
}

}  // namespace faultline::harness
