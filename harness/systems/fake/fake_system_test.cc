// The fake system obeys the Db and Client contracts the run loop relies on (the run loop's own
// test with the fake is harness/run/run_test.cc, FakeSystemRun*).
#include "harness/systems/fake/fake_system.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace faultline::harness {
namespace {

class FakeSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (std::filesystem::temp_directory_path() / "fake_system_test.XXXXXX").string();
    dir_ = mkdtemp(t.data());
    SystemConfig c;
    c.kind = "fake";
    c.read_mode = "linearizable";
    if (lose_every_ > 0) c.options["lose_every"] = {std::to_string(lose_every_)};
    auto s = FakeSystemKind().create(c);
    ASSERT_TRUE(s.ok());
    system_ = std::move(s).value();
    auto db = system_->OpenDb(DbOptions{dir_, 3, NetLayout::kLoopback});
    ASSERT_TRUE(db.ok());
    db_ = std::move(db).value();
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  OpResult Do(NodeId node, checkers::Fn f, std::string key, std::optional<std::string> value = {},
              std::optional<std::string> expected = {}) {
    checkers::Op op;
    op.f = f;
    op.key = std::move(key);
    op.value = std::move(value);
    op.expected = std::move(expected);
    return system_->NewClient(db_->Info(node), "")->Invoke(op, std::chrono::milliseconds(100));
  }

  int lose_every_ = 0;
  std::string dir_;
  std::unique_ptr<System> system_;
  std::unique_ptr<Db> db_;
};

TEST_F(FakeSystemTest, ALeaderIsElectedOnceAMajorityRunsAndOpsNeedOne) {
  EXPECT_EQ(Do(1, checkers::Fn::kWrite, "x", "1").outcome,
            checkers::Outcome::kFail);  // not started
  ASSERT_TRUE(db_->Start(1).ok());
  EXPECT_EQ(db_->FindLeader(std::chrono::milliseconds(0)).status().code(), StatusCode::kTimeout);
  EXPECT_EQ(Do(1, checkers::Fn::kWrite, "x", "1").error, "no quorum");
  ASSERT_TRUE(db_->StartAll().ok());
  Result<NodeId> leader = db_->FindLeader(std::chrono::milliseconds(0));
  ASSERT_TRUE(leader.ok());
  EXPECT_EQ(*leader, 1);
  OpResult w = Do(2, checkers::Fn::kWrite, "x", "1");
  EXPECT_EQ(w.outcome, checkers::Outcome::kOk);
  ASSERT_TRUE(w.zxid.has_value());
  EXPECT_EQ(*Do(3, checkers::Fn::kRead, "x").value, "1");
  EXPECT_EQ(Do(3, checkers::Fn::kCas, "x", "2", "9").outcome, checkers::Outcome::kFail);
  EXPECT_EQ(Do(3, checkers::Fn::kCas, "x", "2", "1").outcome, checkers::Outcome::kOk);
}

TEST_F(FakeSystemTest, KillPauseAndResumeFollowTheClusterControlContract) {
  ASSERT_TRUE(db_->StartAll().ok());
  ASSERT_TRUE(db_->Kill(1).ok());
  EXPECT_EQ(db_->State(1), NodeState::kKilled);
  EXPECT_EQ(db_->Kill(1).code(), StatusCode::kUnavailable);
  EXPECT_EQ(*db_->FindLeader(std::chrono::milliseconds(0)), 2);  // a new leader, a new epoch
  ASSERT_TRUE(db_->Pause(2).ok());
  EXPECT_EQ(Do(2, checkers::Fn::kRead, "x").outcome, checkers::Outcome::kInfo);  // no reply
  EXPECT_EQ(Do(3, checkers::Fn::kRead, "x").error, "no quorum");
  ASSERT_TRUE(db_->Resume(2).ok());
  ASSERT_TRUE(db_->Start(1).ok());
  EXPECT_EQ(db_->Info(1).restarts, 1);
  EXPECT_EQ(*db_->FindLeader(std::chrono::milliseconds(0)), 1);
  ASSERT_TRUE(db_->StopAll().ok());
  for (NodeId id : db_->NodeIds()) EXPECT_EQ(db_->State(id), NodeState::kNotStarted);
}

TEST_F(FakeSystemTest, RoleChangesAreLoggedForTheImporter) {
  ASSERT_TRUE(db_->StartAll().ok());
  auto importer = system_->NewEventImporter(db_->Info(1));
  ASSERT_NE(importer, nullptr);
  EventImporter::Batch b = importer->Poll();
  ASSERT_FALSE(b.events.empty());
  EXPECT_EQ(b.events.back().type, "role");
  EXPECT_EQ(b.events.back().fields["role"], "leading");
  EXPECT_EQ(b.skipped, 0);
  ASSERT_TRUE(db_->Kill(2).ok());
  ASSERT_TRUE(db_->Kill(1).ok());                // no majority: node 3 looks
  EXPECT_TRUE(importer->Poll().events.empty());  // node 1 is dead; its log did not grow
  auto three = system_->NewEventImporter(db_->Info(3))->Poll();
  EXPECT_EQ(three.events.back().fields["role"], "looking");
}

TEST_F(FakeSystemTest, TheFakeHasNoPeerNetwork) {
  EXPECT_FALSE(system_->Traits().has_peer_network);
  EXPECT_FALSE(system_->Traits().proxy_refusal.empty());
  EXPECT_EQ(db_->SetPeerRoute(1, 2, "peer", {"127.0.0.1", 1}).code(), StatusCode::kInvalidArgument);
}

class LosingFakeSystemTest : public FakeSystemTest {
 protected:
  LosingFakeSystemTest() { lose_every_ = 2; }
};

TEST_F(LosingFakeSystemTest, ThePlantedBugAcknowledgesEverySecondWriteWithoutApplyingIt) {
  ASSERT_TRUE(db_->StartAll().ok());
  EXPECT_EQ(Do(1, checkers::Fn::kWrite, "x", "1").outcome, checkers::Outcome::kOk);
  EXPECT_EQ(Do(1, checkers::Fn::kWrite, "x", "2").outcome, checkers::Outcome::kOk);
  EXPECT_EQ(*Do(1, checkers::Fn::kRead, "x").value, "1");
}

}  // namespace
}  // namespace faultline::harness
