// Role of an etcd node from its maintenance status, and the query's error cases.
#include "harness/systems/etcd/status_query.h"

#include <gtest/gtest.h>

#include "harness/systems/etcd/fake_gateway.h"

namespace faultline::harness::etcd {
namespace {

using namespace std::chrono_literals;

StatusResponse Status3(uint64_t self, uint64_t leader) {
  StatusResponse s;
  s.header.member_id = self;
  s.header.revision = 42;
  s.leader_id = leader;
  s.raft_term = 7;
  return s;
}

const MemberIds kMembers = {{111, 1}, {222, 2}, {333, 3}};

TEST(EtcdRole, LeaderIsTheMemberThatNamesItself) {
  RoleInfo r = ToRoleInfo(Status3(222, 222), kMembers);
  EXPECT_EQ(r.role, Role::kLeading);
  EXPECT_EQ(r.epoch, 7);  // the Raft term
  EXPECT_EQ(r.leader_id, 2);
  EXPECT_EQ(r.last_zxid, 42);
}

TEST(EtcdRole, FollowerNamesItsLeaderAndNoLeaderIsLooking) {
  RoleInfo f = ToRoleInfo(Status3(111, 333), kMembers);
  EXPECT_EQ(f.role, Role::kFollowing);
  EXPECT_EQ(f.leader_id, 3);
  RoleInfo l = ToRoleInfo(Status3(111, 0), kMembers);
  EXPECT_EQ(l.role, Role::kLooking);
  EXPECT_EQ(l.leader_id, -1);
  RoleInfo unknown = ToRoleInfo(Status3(111, 999), kMembers);
  EXPECT_EQ(unknown.role, Role::kFollowing);
  EXPECT_EQ(unknown.leader_id, -1);  // a member id nobody introduced
}

TEST(EtcdStatusQuery, ParsesALiveAnswer) {
  FakeGateway gw([](const std::string& target, const std::string&) {
    EXPECT_EQ(target, "/v3/maintenance/status");
    return FakeHttpAction::Reply(
        200,
        R"({"header":{"cluster_id":"8293792321382317022","member_id":"14869379042079578201","revision":"3","raft_term":"5"},"version":"3.4.23","dbSize":"20480","leader":"14869379042079578201","raftIndex":"15","raftTerm":"5","raftAppliedIndex":"15","dbSizeInUse":"16384"})");
  });
  auto s = QueryStatus({"127.0.0.1", static_cast<uint16_t>(gw.port())}, 2000ms);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(ToRoleInfo(s.value(), {{14869379042079578201u, 3}}).role, Role::kLeading);
  EXPECT_EQ(s.value().raft_term, 5);
}

TEST(EtcdStatusQuery, SilenceIsTimeoutAndErrorsAreUnavailable) {
  FakeGateway silent(
      [](const std::string&, const std::string&) { return FakeHttpAction::Silence(); });
  auto t = QueryStatus({"127.0.0.1", static_cast<uint16_t>(silent.port())}, 200ms);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kTimeout);
  FakeGateway failing([](const std::string&, const std::string&) {
    return FakeHttpAction::Reply(503, R"({"error":"etcdserver: not capable","code":14})");
  });
  auto u = QueryStatus({"127.0.0.1", static_cast<uint16_t>(failing.port())}, 2000ms);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(u.status().message().find("not capable"), std::string::npos);
  FakeGateway garbage(
      [](const std::string&, const std::string&) { return FakeHttpAction::Reply(200, "[]"); });
  auto c = QueryStatus({"127.0.0.1", static_cast<uint16_t>(garbage.port())}, 2000ms);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace faultline::harness::etcd
