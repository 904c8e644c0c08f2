// `faultline scenario` on real ZooKeeper 3.8 (label e2e): the ZooKeeper version of zab.md 9(c)
// (workloads/scenarios/zookeeper/q3-majority-proposal-uncommitted.yaml) holds, and the zabd file,
// whose `logged:` wait ZooKeeper cannot answer, is refused before anything starts. Skips with one
// line when java, the zookeeper package or the faultline binary is absent.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/e2e/report/faultline_child.h"
#include "tests/e2e/zookeeper/ensemble.h"

namespace {

using faultline::e2e::FaultlineSandbox;
using faultline::e2e::kBin;
using faultline::e2e::kSource;

class ZooKeeperScenarioE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string skip = faultline::harness::zookeeper::testing::SkipReason();
    if (!skip.empty()) GTEST_SKIP() << skip;
    if (!std::filesystem::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built";
    box_ = std::make_unique<FaultlineSandbox>();
  }
  std::unique_ptr<FaultlineSandbox> box_;
};

// A proposal logged by the leader and A (a majority of 3) whose COMMIT never went out: A wins
// epoch 2 holding it and the sync commits it everywhere. Also proves `agree` holds on ZooKeeper,
// whose new leader reports 0x<epoch>00000000 while its followers report their last txn.
TEST_F(ZooKeeperScenarioE2e, AMajorityProposalWithoutCommitIsKeptOnZooKeeper) {
  std::string out;
  const int code =
      box_->Run({"scenario",
                 kSource + "/workloads/scenarios/zookeeper/q3-majority-proposal-uncommitted.yaml"},
                &out);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("HOLDS step 11 {expect: {op: w1, outcome: kept}}"), std::string::npos) << out;
  EXPECT_NE(out.find("every expectation held"), std::string::npos) << out;
  EXPECT_EQ(box_->QueryOne("SELECT system, status, verdict FROM runs"), "zookeeper|finished|valid")
      << out;
  EXPECT_EQ(box_->QueryOne("SELECT verdict FROM verdicts WHERE checker = 'scenario'"), "valid");
  // The new epoch came from the servers' logs: a second established epoch, by a node that is
  // not the killed leader, and it synced B (a DIFF that carries w1).
  EXPECT_EQ(box_->QueryOne("SELECT COUNT(DISTINCT json_extract(json, '$.epoch')) >= 2 FROM "
                           "node_events WHERE type = 'established'"),
            "1")
      << out;
  EXPECT_EQ(box_->QueryOne("SELECT COUNT(*) > 0 FROM faults WHERE kind = 'kill'"), "1");
}

TEST_F(ZooKeeperScenarioE2e, TheZabdFileIsRefusedForItsLoggedWaitBeforeAnythingStarts) {
  std::string out;
  const int code =
      box_->Run({"scenario", kSource + "/workloads/scenarios/q3-majority-proposal-uncommitted.yaml",
                 "--system", "zookeeper"},
                &out);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("step 5 (wait): `logged:` needs zabd's event log"), std::string::npos) << out;
  EXPECT_NE(out.find("system zookeeper cannot answer it"), std::string::npos) << out;
  const std::string runs = box_->QueryOne("SELECT COUNT(*) FROM runs");  // "": no store at all
  EXPECT_TRUE(runs.empty() || runs == "0") << runs << "\n" << out;
}

}  // namespace
