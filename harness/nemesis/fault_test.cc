#include "harness/nemesis/fault.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

TEST(FaultTest, EveryNameParsesBackToItsValue) {
  for (auto kind : {FaultKind::kKill, FaultKind::kPause, FaultKind::kPartition, FaultKind::kRestart,
                    FaultKind::kDelay, FaultKind::kLoss, FaultKind::kPowerLoss}) {
    EXPECT_EQ(*ParseFaultKind(FaultKindName(kind)), kind);
  }
  for (auto shape :
       {PartitionShape::kHalves, PartitionShape::kRandomHalves, PartitionShape::kIsolateNode,
        PartitionShape::kIsolateLeader, PartitionShape::kMajoritiesRing, PartitionShape::kBridge,
        PartitionShape::kOneWay}) {
    EXPECT_EQ(*ParsePartitionShape(PartitionShapeName(shape)), shape);
  }
  for (auto target : {TargetKind::kRandomNode, TargetKind::kLeader, TargetKind::kFollowers,
                      TargetKind::kMinority, TargetKind::kMajority, TargetKind::kAll}) {
    EXPECT_EQ(ParseTarget(TargetKindName(target))->kind, target);
  }
}

TEST(FaultTest, AnUnknownNameIsInvalidAndListsTheValidOnes) {
  auto kind = ParseFaultKind("explode");
  ASSERT_FALSE(kind.ok());
  EXPECT_EQ(kind.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(kind.status().message().find("'explode'"), std::string::npos);
  EXPECT_NE(kind.status().message().find("partition"), std::string::npos);
  EXPECT_FALSE(ParsePartitionShape("triangle").ok());
}

TEST(FaultTest, ExplicitIdsParseAndBadIdsAreRejected) {
  auto target = ParseTarget("1,3");
  ASSERT_TRUE(target.ok());
  EXPECT_EQ(target->kind, TargetKind::kExplicit);
  EXPECT_EQ(target->ids, (std::vector<NodeId>{1, 3}));
  EXPECT_FALSE(ParseTarget("1,,3").ok());
  EXPECT_FALSE(ParseTarget("0").ok());
  EXPECT_FALSE(ParseTarget("2x").ok());
  EXPECT_FALSE(ParseTarget("").ok());
}

TEST(FaultTest, DescribeSpecNamesKindTargetAndParameters) {
  FaultSpec spec;
  spec.kind = FaultKind::kDelay;
  spec.delay_ms = 200;
  spec.target = {TargetKind::kAll, {}};
  EXPECT_EQ(DescribeSpec(spec), "delay 200ms all");
  spec.kind = FaultKind::kPartition;
  spec.shape = PartitionShape::kBridge;
  EXPECT_EQ(DescribeSpec(spec), "partition bridge");
  spec.kind = FaultKind::kPause;
  spec.target = {TargetKind::kExplicit, {1, 3}};
  EXPECT_EQ(DescribeSpec(spec), "pause nodes 1,3");
}

}  // namespace
}  // namespace faultline::harness
