// Broadcast phase and the end-to-end happy path (zab.md 6).
#include <gtest/gtest.h>

#include "server/core/testing/cluster.h"

namespace zab {
namespace {

using testing::Cluster;
using testing::SetOp;

TEST(ZabBroadcast, ThreeNodesElectOneLeaderAndCommitAWriteEverywhere) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  uint64_t l = *c.Leader();
  ASSERT_TRUE(c.RunUntil(
      [&] {
        for (uint64_t i = 1; i <= 3; ++i) {
          if (c.peer(i).status().phase != Phase::kBroadcast) return false;
        }
        return true;
      },
      5000));
  uint64_t rid = c.Write(l, SetOp("x", "1"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(l, rid).has_value(); }, 1000));
  auto r = *c.ReplyFor(l, rid);
  EXPECT_EQ(r.status, ReplyStatus::kOk);
  EXPECT_EQ(r.zxid.counter(), 1u);
  c.RunFor(200);
  for (uint64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(c.peer(i).LocalGet("x"), "1") << i;
    EXPECT_EQ(c.peer(i).status().last_applied, r.zxid);
  }
  EXPECT_TRUE(c.violations.empty());
}

TEST(ZabBroadcast, AWriteAtAFollowerIsForwardedAndAnsweredByTheFollower) {
  Cluster c(3);
  ASSERT_TRUE(c.RunUntil([&] { return c.Leader().has_value(); }, 5000));
  uint64_t l = *c.Leader();
  uint64_t f = l == 1 ? 2 : 1;
  ASSERT_TRUE(c.RunUntil([&] { return c.peer(f).status().phase == Phase::kBroadcast; }, 5000));
  uint64_t rid = c.Write(f, SetOp("k", "v"));
  ASSERT_TRUE(c.RunUntil([&] { return c.ReplyFor(f, rid).has_value(); }, 1000));
  EXPECT_EQ(c.ReplyFor(f, rid)->status, ReplyStatus::kOk);
  EXPECT_EQ(c.peer(f).LocalGet("k"), "v");
  EXPECT_EQ(c.peer(l).LocalGet("k"), "v");
}

}  // namespace
}  // namespace zab
