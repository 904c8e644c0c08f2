// End-to-end through the System seam, without the run loop and without root: the etcd system
// lays out three real etcd 3.4 members on loopback under the generic supervisor, the status role
// query finds the leader, the gateway client reads and writes, a SIGKILL of the leader is followed
// by a new term, and the importer reads both elections from etcd's own log. Skipped with a clear
// line when etcd is not installed.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "harness/systems/etcd/etcd_system.h"

namespace faultline::harness::etcd {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using checkers::Fn;
using checkers::Outcome;

class EtcdSystemE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FindExecutable("etcd").empty()) {
      GTEST_SKIP() << "etcd not installed (apt-get install etcd-server etcd-client, or "
                      "scripts/setup.sh --with etcd): etcd e2e tests skipped";
    }
    std::string t = (fs::temp_directory_path() / "etcd_system_e2e.XXXXXX").string();
    dir_ = mkdtemp(t.data());
    auto s = EtcdSystemKind().create(SystemConfig{"etcd", 3, "linearizable", {}, ".", ""});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    system_ = std::move(s).value();
    auto db = system_->OpenDb(DbOptions{dir_, 3, NetLayout::kLoopback});
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  void TearDown() override {
    db_.reset();  // kills and reaps every etcd it started
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Retries `op` through `node` until it is ok or `patience` has passed (elections take time on a
  // loaded machine; the test asserts outcomes, never durations).
  OpResult UntilOk(NodeId node, checkers::Op op, std::chrono::seconds patience = 30s) {
    auto client = system_->NewClient(db_->Info(node), "");
    auto deadline = std::chrono::steady_clock::now() + patience;
    OpResult r;
    do {
      r = client->Invoke(op, 2000ms);
      if (r.outcome == Outcome::kOk) return r;
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }

  std::vector<checkers::NodeEvent> Events() {
    std::vector<checkers::NodeEvent> all;
    for (const NodeInfo& n : db_->Infos()) {
      auto importer = system_->NewEventImporter(n);
      auto b = importer->Finish();
      all.insert(all.end(), b.events.begin(), b.events.end());
    }
    return all;
  }

  std::string dir_;
  std::unique_ptr<System> system_;
  std::unique_ptr<Db> db_;
};

checkers::Op Op(Fn f, std::string key, std::optional<std::string> value = std::nullopt) {
  checkers::Op op;
  op.f = f;
  op.key = std::move(key);
  op.value = std::move(value);
  return op;
}

TEST_F(EtcdSystemE2e, LeaderKillGivesANewTermAndTheLogsSayWhoLed) {
  ASSERT_TRUE(db_->StartAll().ok());
  ASSERT_TRUE(db_->WaitUntilServing(60s).ok());
  Result<NodeId> first = db_->FindLeader(30s);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<RoleInfo> role = db_->QueryRole(*first, 5s);
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(role.value().role, Role::kLeading);
  EXPECT_EQ(role.value().leader_id, *first);
  const int64_t first_term = role.value().epoch;

  NodeId other = *first == 1 ? 2 : 1;
  OpResult w = UntilOk(other, Op(Fn::kWrite, "k", "v1"));
  ASSERT_EQ(w.outcome, Outcome::kOk) << w.error;
  ASSERT_TRUE(w.zxid.has_value());
  EXPECT_GT(*w.zxid, 0);  // the etcd revision the write committed at
  OpResult r = UntilOk(*first, Op(Fn::kRead, "k"));
  EXPECT_EQ(r.value, "v1");

  ASSERT_TRUE(db_->Kill(*first).ok());
  Result<NodeId> second = db_->FindLeader(60s);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_NE(*second, *first);
  Result<RoleInfo> role2 = db_->QueryRole(*second, 5s);
  ASSERT_TRUE(role2.ok());
  EXPECT_GT(role2.value().epoch, first_term);
  // The acknowledged write survived the leader's death.
  EXPECT_EQ(UntilOk(*second, Op(Fn::kRead, "k")).value, "v1");
  // Restart with the same data: the old leader rejoins as a follower.
  ASSERT_TRUE(db_->Start(*first).ok());
  EXPECT_EQ(UntilOk(*first, Op(Fn::kRead, "k")).value, "v1");

  // etcd's own log: both leaders established, in two terms, and elections naming node ids.
  std::set<std::pair<int64_t, int64_t>> established;  // (term, leader)
  bool elected_second = false;
  for (const auto& e : Events()) {
    if (e.type == "established") {
      established.emplace(e.fields["epoch"].get<int64_t>(), e.fields["leader"].get<int64_t>());
    }
    if (e.type == "elected" && e.fields["leader"] == *second) elected_second = true;
  }
  EXPECT_TRUE(established.count({first_term, *first}));
  EXPECT_TRUE(established.count({role2.value().epoch, *second}));
  EXPECT_TRUE(elected_second);
}

}  // namespace
}  // namespace faultline::harness::etcd
