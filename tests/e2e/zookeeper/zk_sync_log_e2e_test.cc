// Sync decisions the recorded run (testdata/zookeeper/kill-partition-pause) does not have, made by
// real ZooKeeper 3.8 servers (label e2e): a snapshot for a late joiner at an empty committed log,
// and the forced snapshot sync. testdata/zookeeper/sync-lines/ keeps one log of each for the unit
// tests. Each test skips with one line when java or the zookeeper package is absent.
#include <gtest/gtest.h>

#include "harness/systems/zookeeper/log_import.h"
#include "tests/e2e/zookeeper/ensemble.h"

namespace faultline::harness::zookeeper {
namespace {

using namespace std::chrono_literals;
using testing::ZkEnsemble;

constexpr auto kSyncServeTimeout = 90s;  // JVMs starting on a loaded 2-core machine

std::unique_ptr<ZkEnsemble> Ensemble(testing::EnsembleOptions o = {}) {
  auto e = ZkEnsemble::Create(std::move(o));
  if (!e.ok()) {
    ADD_FAILURE() << e.status().ToString();
    return nullptr;
  }
  return std::move(*e);
}

std::vector<checkers::NodeEvent> Decisions(const LogImportResult& r, int64_t peer) {
  std::vector<checkers::NodeEvent> out;
  for (const auto& e : r.events) {
    if (e.type == "sync_decision" && e.fields.Int("peer").value_or(-1) == peer) out.push_back(e);
  }
  return out;
}

bool LogHas(const std::map<int64_t, std::string>& logs, int64_t node, const std::string& text) {
  return logs.count(node) > 0 && logs.at(node).find(text) != std::string::npos;
}

// Nodes 1 and 3 form epoch 1 with no writes, so the leader's committed log is empty while its
// last processed zxid is 0x100000000; node 2 then joins with nothing. ZooKeeper 3.8.0 takes no
// log path for it (no "Using committedLog" line) and sends a snapshot without logging why: the
// importer must still say SNAP, joined with what node 2 logged.
TEST(ZooKeeperSyncLines, ALateJoinerAtAnEmptyCommittedLogIsSyncedBySnap) {
  const std::string skip = testing::SkipReason();
  if (!skip.empty()) GTEST_SKIP() << skip;
  auto e = Ensemble();
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->Start(1).ok());
  ASSERT_TRUE(e->Start(3).ok());
  Status serving = e->WaitServing(kSyncServeTimeout);
  ASSERT_TRUE(serving.ok()) << serving.ToString();
  const int leader = e->FindLeader(30s);
  ASSERT_NE(leader, 0);
  ASSERT_TRUE(e->Start(2).ok());
  serving = e->WaitServing(kSyncServeTimeout);
  ASSERT_TRUE(serving.ok()) << serving.ToString();

  const auto logs = e->ServerLogs();
  ASSERT_TRUE(LogHas(logs, leader, "Sending snapshot last zxid of peer is 0x0"))
      << "ZooKeeper took another path for the late joiner; see " << e->dir();
  LogImportResult r = ImportServerLogs(logs);
  EXPECT_TRUE(r.stats.unrecognized_quorum_sources.empty()) << r.Summary();
  const auto d = Decisions(r, 2);
  ASSERT_EQ(d.size(), 1u) << r.Summary();
  EXPECT_EQ(d[0].node, leader);
  EXPECT_EQ(d[0].fields["mode"].get<std::string>(), "SNAP") << d[0].fields.Dump();
  EXPECT_EQ(d[0].fields["peer_zxid"].get<int64_t>(), 0);
  EXPECT_TRUE(d[0].fields["matched"].get<bool>()) << d[0].fields.Dump();
}

// `forceSnapshotSync=true` in zoo.cfg becomes the system property zookeeper.forceSnapshotSync
// (ZooKeeper turns unknown zoo.cfg keys into "zookeeper."-prefixed properties): every learner is
// then synced by SNAP, which the importer reports with the reason "forced".
TEST(ZooKeeperSyncLines, AForcedSnapshotSyncIsASnapWithItsReason) {
  const std::string skip = testing::SkipReason();
  if (!skip.empty()) GTEST_SKIP() << skip;
  testing::EnsembleOptions o;
  o.extra_config = {"forceSnapshotSync=true"};
  auto e = Ensemble(o);
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->StartAll().ok());
  Status serving = e->WaitServing(kSyncServeTimeout);
  ASSERT_TRUE(serving.ok()) << serving.ToString();
  const int leader = e->FindLeader(30s);
  ASSERT_NE(leader, 0);

  const auto logs = e->ServerLogs();
  ASSERT_TRUE(LogHas(logs, leader, "Forcing snapshot sync")) << "see " << e->dir();
  LogImportResult r = ImportServerLogs(logs);
  EXPECT_TRUE(r.stats.unrecognized_quorum_sources.empty()) << r.Summary();
  int snaps = 0;
  for (int64_t peer = 1; peer <= 3; ++peer) {
    if (peer == leader) continue;
    for (const auto& d : Decisions(r, peer)) {
      EXPECT_EQ(d.fields["mode"].get<std::string>(), "SNAP") << d.fields.Dump();
      EXPECT_EQ(d.fields.Str("reason"), "forced") << d.fields.Dump();
      EXPECT_TRUE(d.fields["matched"].get<bool>()) << d.fields.Dump();
      ++snaps;
    }
  }
  EXPECT_EQ(snaps, 2) << r.Summary();
}

}  // namespace
}  // namespace faultline::harness::zookeeper
