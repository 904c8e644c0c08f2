#include "harness/net/grudge.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

const std::vector<NodeId> kThree = {1, 2, 3};
const std::vector<NodeId> kFive = {1, 2, 3, 4, 5};

// Every grudge a builder returns is canonical: known ids, no self-grudge, no empty set.
void ExpectCanonical(const Grudge& grudge, const std::vector<NodeId>& nodes) {
  for (const auto& [node, drops] : grudge) {
    EXPECT_NE(std::find(nodes.begin(), nodes.end(), node), nodes.end()) << node;
    EXPECT_FALSE(drops.empty()) << node;
    EXPECT_FALSE(drops.contains(node)) << node;
    for (NodeId d : drops) EXPECT_NE(std::find(nodes.begin(), nodes.end(), d), nodes.end());
  }
}

bool Symmetric(const Grudge& grudge, const std::vector<NodeId>& nodes) {
  for (NodeId a : nodes) {
    for (NodeId b : nodes) {
      if (Drops(grudge, a, b) != Drops(grudge, b, a)) return false;
    }
  }
  return true;
}

TEST(GrudgeTest, DropsReadsTheReceiversSet) {
  Grudge g = {{2, {1}}};
  EXPECT_TRUE(Drops(g, 1, 2));
  EXPECT_FALSE(Drops(g, 2, 1));
  EXPECT_FALSE(Drops(g, 1, 3));
}

TEST(GrudgeTest, HalvesOfThreeCutsTheFirstNodeFromTheOtherTwo) {
  Grudge g = Halves(kThree);
  ExpectCanonical(g, kThree);
  EXPECT_EQ(g, (Grudge{{1, {2, 3}}, {2, {1}}, {3, {1}}}));
}

TEST(GrudgeTest, HalvesOfFiveCutsTwoFromThree) {
  Grudge g = Halves(kFive);
  ExpectCanonical(g, kFive);
  EXPECT_EQ(g, (Grudge{{1, {3, 4, 5}}, {2, {3, 4, 5}}, {3, {1, 2}}, {4, {1, 2}}, {5, {1, 2}}}));
}

TEST(GrudgeTest, RandomHalvesIsAHalvesSplitOfAShuffleAndTheSeedReplaysIt) {
  for (const auto& nodes : {kThree, kFive}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      Grudge g = RandomHalves(nodes, seed);
      ExpectCanonical(g, nodes);
      EXPECT_EQ(g, RandomHalves(nodes, seed));
      EXPECT_TRUE(Symmetric(g, nodes));
      // Exactly floor(n/2) nodes hear floor(n/2) nodes; the rest hear the rest.
      size_t small_side = 0;
      for (NodeId n : nodes) {
        if (Hears(g, nodes, n).size() == nodes.size() / 2) ++small_side;
      }
      EXPECT_EQ(small_side, nodes.size() / 2);
    }
  }
}

TEST(GrudgeTest, RandomHalvesDrawsDifferentSplitsForDifferentSeeds) {
  std::set<Grudge> seen;
  for (uint64_t seed = 1; seed <= 30; ++seed) seen.insert(RandomHalves(kFive, seed));
  EXPECT_GT(seen.size(), 1u);
}

TEST(GrudgeTest, IsolateNodeCutsOneNodeBothWaysOnThreeAndFive) {
  EXPECT_EQ(IsolateNode(kThree, 2), (Grudge{{2, {1, 3}}, {1, {2}}, {3, {2}}}));
  Grudge g = IsolateNode(kFive, 4);
  ExpectCanonical(g, kFive);
  EXPECT_TRUE(Symmetric(g, kFive));
  EXPECT_EQ(Hears(g, kFive, 4), (std::set<NodeId>{4}));
  for (NodeId n : {1, 2, 3, 5}) EXPECT_EQ(Hears(g, kFive, n), (std::set<NodeId>{1, 2, 3, 5}));
}

TEST(GrudgeTest, MajoritiesRingOfFiveLetsEachNodeHearADifferentSymmetricMajority) {
  Grudge g = MajoritiesRing(kFive);
  ExpectCanonical(g, kFive);
  EXPECT_TRUE(Symmetric(g, kFive));
  EXPECT_EQ(Hears(g, kFive, 1), (std::set<NodeId>{5, 1, 2}));
  EXPECT_EQ(Hears(g, kFive, 3), (std::set<NodeId>{2, 3, 4}));
  std::set<std::set<NodeId>> majorities;
  for (NodeId n : kFive) majorities.insert(Hears(g, kFive, n));
  EXPECT_EQ(majorities.size(), 5u);
}

TEST(GrudgeTest, MajoritiesRingOfThreeIsOneWayWithEachNodeHearingItselfAndItsSuccessor) {
  Grudge g = MajoritiesRing(kThree);
  ExpectCanonical(g, kThree);
  EXPECT_EQ(g, (Grudge{{1, {3}}, {2, {1}}, {3, {2}}}));
  std::set<std::set<NodeId>> majorities;
  for (NodeId n : kThree) {
    EXPECT_EQ(Hears(g, kThree, n).size(), 2u);
    majorities.insert(Hears(g, kThree, n));
  }
  EXPECT_EQ(majorities.size(), 3u);
}

TEST(GrudgeTest, BridgeOfFiveKeepsTheMiddleNodeConnectedToBothSides) {
  Grudge g = Bridge(kFive);
  ExpectCanonical(g, kFive);
  EXPECT_EQ(g, (Grudge{{1, {4, 5}}, {2, {4, 5}}, {4, {1, 2}}, {5, {1, 2}}}));
  EXPECT_EQ(Hears(g, kFive, 3), (std::set<NodeId>(kFive.begin(), kFive.end())));
}

TEST(GrudgeTest, BridgeOfThreeCutsTheOuterNodesAndSparesTheMiddle) {
  Grudge g = Bridge(kThree);
  ExpectCanonical(g, kThree);
  EXPECT_EQ(g, (Grudge{{1, {3}}, {3, {1}}}));
}

TEST(GrudgeTest, OneWayIsolateSilencesANodeThatStillHearsEveryone) {
  for (const auto& nodes : {kThree, kFive}) {
    Grudge g = OneWayIsolate(nodes, 1);
    ExpectCanonical(g, nodes);
    EXPECT_EQ(Hears(g, nodes, 1), (std::set<NodeId>(nodes.begin(), nodes.end())));
    for (NodeId n : nodes) {
      if (n != 1) {
        EXPECT_TRUE(Drops(g, 1, n));
        EXPECT_FALSE(Drops(g, n, 1));
      }
    }
  }
}

TEST(GrudgeTest, OneWayLinksDropOnlyTheNamedDirections) {
  Grudge g = OneWayLinks({{1, 2}, {3, 2}, {4, 4}});
  EXPECT_EQ(g, (Grudge{{2, {1, 3}}}));
  EXPECT_FALSE(Drops(g, 2, 1));
}

TEST(GrudgeTest, CompleteGrudgeLeavesNodesOutsideEveryComponentUncut) {
  Grudge g = CompleteGrudge({{1}, {2}});
  EXPECT_EQ(g, (Grudge{{1, {2}}, {2, {1}}}));
  EXPECT_EQ(Hears(g, kThree, 3), (std::set<NodeId>{1, 2, 3}));
}

TEST(GrudgeTest, DescribeGrudgeListsEveryReceiverInOrder) {
  EXPECT_EQ(DescribeGrudge({}), "no grudge");
  EXPECT_EQ(DescribeGrudge(IsolateNode(kThree, 1)), "1 drops {2,3}; 2 drops {1}; 3 drops {1}");
}

}  // namespace
}  // namespace faultline::harness
