// `srvr` replies as real ZooKeeper 3.8.0 servers wrote them (testdata/zookeeper/srvr/).
#include "harness/systems/zookeeper/srvr.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace faultline::harness::zookeeper {
namespace {

std::string Srvr(const std::string& name) {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/testdata/zookeeper/srvr/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ZooKeeperSrvr, LeaderReportsItsEpochInTheZxid) {
  auto info = ParseSrvr(Srvr("leader.txt"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->role, Role::kLeading);
  EXPECT_EQ(info->epoch, 1);
  EXPECT_EQ(info->last_zxid, 0x100000000);
  EXPECT_EQ(info->phase, "broadcast");
}

TEST(ZooKeeperSrvr, FollowerReportsTheZxidOfTheLastTxnItApplied) {
  auto info = ParseSrvr(Srvr("follower.txt"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->role, Role::kFollowing);
  EXPECT_EQ(info->last_zxid, 0);  // joined epoch 1, no txn yet
  EXPECT_EQ(info->leader_id, -1);
}

TEST(ZooKeeperSrvr, AServerWithoutQuorumIsLooking) {
  auto info = ParseSrvr(Srvr("not-serving.txt"));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->role, Role::kLooking);
  EXPECT_EQ(info->phase, "election");
}

TEST(ZooKeeperSrvr, AnythingElseIsCorruption) {
  for (const char* text :
       {"", "Mode: leader\n", "Zxid: 0x5\n", "imok", "Zxid: zz\nMode: leader\n"}) {
    auto info = ParseSrvr(text);
    ASSERT_FALSE(info.ok()) << text;
    EXPECT_EQ(info.status().code(), StatusCode::kCorruption) << text;
  }
}

TEST(ZooKeeperSrvr, QueryOfAClosedPortIsUnavailableAndBounded) {
  // Port 1 on loopback: nothing listens there (connection refused).
  auto info = QuerySrvr(Endpoint{"127.0.0.1", 1}, std::chrono::milliseconds(2000));
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnavailable) << info.status().ToString();
}

}  // namespace
}  // namespace faultline::harness::zookeeper
