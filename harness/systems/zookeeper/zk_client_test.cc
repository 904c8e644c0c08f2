// The parts of ZkClient that need no server (the e2e tests in tests/e2e/zookeeper/ run it against
// a real ensemble).
#include "harness/systems/zookeeper/zk_client.h"

#include <gtest/gtest.h>
#include <zookeeper/zookeeper.h>

#include <chrono>

namespace faultline::harness::zookeeper {
namespace {

using checkers::Outcome;

TEST(ZooKeeperClient, CompletionCodesMapToOutcomes) {
  EXPECT_EQ(OutcomeOfCompletion(ZOK), Outcome::kOk);
  EXPECT_EQ(OutcomeOfCompletion(ZBADVERSION), Outcome::kFail);
  EXPECT_EQ(OutcomeOfCompletion(ZNODEEXISTS), Outcome::kFail);
  EXPECT_EQ(OutcomeOfCompletion(ZTHROTTLEDOP), Outcome::kFail);
  // Sent and then the answer was lost: unknown, never fail.
  for (int rc : std::initializer_list<int>{ZCONNECTIONLOSS, ZOPERATIONTIMEOUT, ZSESSIONEXPIRED,
                                           ZSESSIONMOVED, ZCLOSING, ZSYSTEMERROR,
                                           ZRUNTIMEINCONSISTENCY, -999}) {
    EXPECT_EQ(OutcomeOfCompletion(rc), Outcome::kInfo) << rc;
  }
}

TEST(ZooKeeperClient, KeysAreEscapedIntoOneZnodeEach) {
  EXPECT_EQ(ZkClient::KeyPath("/faultline", "k17"), "/faultline/k17");
  EXPECT_EQ(ZkClient::KeyPath("/faultline", "a/b.c"), "/faultline/a%2Fb%2Ec");
  EXPECT_EQ(ZkClient::KeyPath("/faultline", ".."), "/faultline/%2E%2E");
  EXPECT_EQ(ZkClient::KeyPath("/faultline", ""), "/faultline/%");
}

TEST(ZooKeeperClient, NoServerMeansFailWithinTheTimeoutNotInfo) {
  ZkClientOptions o;
  o.connect = "127.0.0.1:1";  // nothing listens: no session, so nothing can have been sent
  ZkClient client(o);
  checkers::Op op;
  op.f = checkers::Fn::kWrite;
  op.key = "k";
  op.value = "v";
  const auto start = std::chrono::steady_clock::now();
  OpResult r = client.Invoke(op, std::chrono::milliseconds(300));
  EXPECT_EQ(r.outcome, Outcome::kFail) << r.error;
  EXPECT_NE(r.error.find("nothing sent"), std::string::npos) << r.error;
  // Bounded (not a timing assertion on speed: only that the wait ends at all).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

}  // namespace
}  // namespace faultline::harness::zookeeper
