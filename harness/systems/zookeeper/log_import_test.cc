// The ZooKeeper log importer on real ZooKeeper 3.8.0 server logs (testdata/zookeeper/README.md):
// every pattern the importer relies on is exercised here on text a real server wrote.
#include "harness/systems/zookeeper/log_import.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "checkers/checkers.h"

namespace faultline::harness::zookeeper {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The three node logs of a recorded run under testdata/zookeeper/ (README.md there).
std::map<int64_t, std::string> RealLogs(const std::string& run = "kill-partition-pause") {
  std::map<int64_t, std::string> logs;
  for (int64_t id = 1; id <= 3; ++id) {
    logs[id] = ReadFile(std::string(FAULTLINE_SOURCE_DIR) + "/testdata/zookeeper/" + run +
                        "/node-" + std::to_string(id) + ".log");
  }
  return logs;
}

// Unix ms of "2026-12-01T<hms>.<ms>+0000" (the day of the recorded run).
int64_t At(int h, int m, int s, int ms) {
  constexpr int64_t kDay = 1796083200;  // 2026-12-01T00:00:00Z
  return (kDay + h * 3600 + m * 60 + s) * 1000 + ms;
}

std::vector<checkers::NodeEvent> OfType(const LogImportResult& r, const std::string& type) {
  std::vector<checkers::NodeEvent> out;
  for (const auto& e : r.events) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

const checkers::NodeEvent* Find(const LogImportResult& r, const std::string& type, int64_t node,
                                int64_t ts_ms) {
  for (const auto& e : r.events) {
    if (e.type == type && e.node == node && e.ts_ms == ts_ms) return &e;
  }
  return nullptr;
}

int64_t I(const checkers::NodeEvent& e, const char* name) {
  return e.fields.Contains(name) ? e.fields[name].get<int64_t>() : -999;
}
std::string S(const checkers::NodeEvent& e, const char* name) {
  return e.fields.Contains(name) ? e.fields[name].get<std::string>() : "<absent>";
}

TEST(ZooKeeperLogLine, ParsesTheShippedLayoutWithBracketsInTheThreadName) {
  auto r = ParseLogLine(
      "2026-12-01T21:15:39.717+0000 INFO  [QuorumPeer[myid=2](plain=127.0.0.12:2181)(secure="
      "disabled):Leader@1519] - Have quorum of supporters, sids: [[1, 2]]; starting up and "
      "setting last processed zxid: 0x200000000");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ts_ms, At(21, 15, 39, 717));
  EXPECT_EQ(r->level, "INFO");
  EXPECT_EQ(r->thread, "QuorumPeer[myid=2](plain=127.0.0.12:2181)(secure=disabled)");
  EXPECT_EQ(r->source, "Leader@1519");
  EXPECT_EQ(r->message.substr(0, 27), "Have quorum of supporters, ");
}

TEST(ZooKeeperLogLine, AppliesTheTimestampOffset) {
  auto utc = ParseLogLine("2026-12-01T21:15:39.717+0000 INFO  [main:X@1] - m");
  auto cet = ParseLogLine("2026-12-01T22:15:39.717+0100 INFO  [main:X@1] - m");
  ASSERT_TRUE(utc && cet);
  EXPECT_EQ(utc->ts_ms, cet->ts_ms);
}

TEST(ZooKeeperLogLine, StackTraceLinesAndGarbageAreNotRecords) {
  EXPECT_FALSE(ParseLogLine("java.net.SocketTimeoutException: Read timed out"));
  EXPECT_FALSE(ParseLogLine("\tat java.base/sun.nio.ch.NioSocketImpl.timedRead(Nio.java:288)"));
  EXPECT_FALSE(ParseLogLine("2026-13-01T21:15:39.717+0000 INFO  [main:X@1] - bad month"));
  EXPECT_FALSE(ParseLogLine("2026-12-01T21:15:39.717+0000 INFO  no brackets"));
  EXPECT_FALSE(ParseLogLine(""));
}

TEST(ZooKeeperLogImport, EveryQuorumLineOfTheRealRunIsRecognizedOrDeliberatelyIgnored) {
  LogImportResult r = ImportServerLogs(RealLogs());
  EXPECT_TRUE(r.stats.unrecognized_quorum_sources.empty()) << r.Summary();
  EXPECT_EQ(r.stats.malformed_lines, 0) << r.Summary();
  EXPECT_GT(r.stats.continuation_lines, 0);  // the LearnerHandler stack traces
  EXPECT_EQ(r.stats.sync_decisions, 11) << r.Summary();
  EXPECT_EQ(r.stats.sync_decisions_matched, 11) << r.Summary();
}

TEST(ZooKeeperLogImport, OneEstablishedLeaderPerEpochWithItsQuorum) {
  LogImportResult r = ImportServerLogs(RealLogs());
  auto est = OfType(r, "established");
  std::sort(est.begin(), est.end(), [](const auto& a, const auto& b) { return a.ts_ms < b.ts_ms; });
  ASSERT_EQ(est.size(), 5u) << r.Summary();
  // steps.log: start (3 leads), kill 3 (2 leads), isolate 2 (3 leads), isolate 3 (2 leads),
  // SIGSTOP 2 (3 leads).
  const int64_t leaders[] = {3, 2, 3, 2, 3};
  for (size_t i = 0; i < est.size(); ++i) {
    EXPECT_EQ(I(est[i], "epoch"), static_cast<int64_t>(i + 1));
    EXPECT_EQ(est[i].node, leaders[i]);
    EXPECT_EQ(I(est[i], "leader"), leaders[i]);
  }
  const auto* e2 = Find(r, "established", 2, At(21, 15, 39, 717));
  ASSERT_NE(e2, nullptr);
  EXPECT_EQ(S(*e2, "quorum"), "1,2");
  EXPECT_TRUE(checkers::CheckZabInvariants(r.events).anomalies.empty());
}

TEST(ZooKeeperLogImport, AFollowerLearnsItsLeaderAndEpochFromTheLeadersSyncDecision) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // After the leader (3) was killed, node 1 followed node 2 into epoch 2.
  const auto* elected = Find(r, "elected", 1, At(21, 15, 39, 505));
  ASSERT_NE(elected, nullptr);
  EXPECT_EQ(I(*elected, "leader"), 2);
  EXPECT_EQ(I(*elected, "epoch"), 2);
  EXPECT_EQ(I(*elected, "zxid"), 0x10000003e);  // node 2's vote: "proposed zxid=0x10000003e"
  const auto* received = Find(r, "sync_received", 1, At(21, 15, 39, 696));
  ASSERT_NE(received, nullptr);
  EXPECT_EQ(S(*received, "mode"), "DIFF");
  EXPECT_EQ(I(*received, "leader"), 2);
  EXPECT_EQ(I(*received, "epoch"), 2);
  EXPECT_EQ(I(*received, "zxid"), 0x10000003e);
  // The leader's own elected event and its role events carry the epoch it established.
  const auto* leading = Find(r, "elected", 2, At(21, 15, 39, 567));
  ASSERT_NE(leading, nullptr);
  EXPECT_EQ(I(*leading, "leader"), 2);
  EXPECT_EQ(I(*leading, "epoch"), 2);
}

TEST(ZooKeeperLogImport, EmptyDiffWhenThePeerIsInSync) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // "Synchronizing with Learner sid: 1 ... lastProcessedZxid=0x10000003e peerLastZxid=0x10000003e"
  // then "Sending DIFF zxid=0x10000003e for peer sid: 1".
  const auto* d = Find(r, "sync_decision", 2, At(21, 15, 39, 692));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(S(*d, "mode"), "DIFF");
  EXPECT_EQ(I(*d, "peer"), 1);
  EXPECT_EQ(I(*d, "peer_zxid"), 0x10000003e);
  EXPECT_EQ(I(*d, "leader_zxid"), 0x10000003e);
  EXPECT_EQ(I(*d, "min_zxid"), 0x100000001);
  EXPECT_EQ(I(*d, "max_zxid"), 0x10000003e);
  EXPECT_EQ(I(*d, "epoch"), 2);
  EXPECT_EQ(I(*d, "last_sent"), 0x10000003e);  // DEBUG "Start forwarding"
  EXPECT_FALSE(d->fields.Contains("inferred"));
  EXPECT_TRUE(d->fields["matched"].get<bool>());
}

TEST(ZooKeeperLogImport, DiffFromTheCommittedLogForARestartedNode) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // Node 3 restarted with 0x10000003e after epoch 2 wrote 42 txns.
  const auto* start = Find(r, "start", 3, At(21, 15, 44, 837));
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(I(*start, "last_zxid"), 0x10000003e);
  const auto* d = Find(r, "sync_decision", 2, At(21, 15, 45, 486));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(S(*d, "mode"), "DIFF");
  EXPECT_EQ(S(*d, "source"), "committedLog");
  EXPECT_EQ(I(*d, "peer"), 3);
  EXPECT_EQ(I(*d, "peer_zxid"), 0x10000003e);
  EXPECT_EQ(I(*d, "max_zxid"), 0x20000002a);
}

TEST(ZooKeeperLogImport, TruncForAnIsolatedLeadersUncommittedTail) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // Node 2 led epoch 2, logged 0x20000003a while isolated; node 3 led epoch 3 without new writes.
  const auto* d = Find(r, "sync_decision", 3, At(21, 15, 54, 249));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(S(*d, "mode"), "TRUNC");
  EXPECT_EQ(I(*d, "peer"), 2);
  EXPECT_EQ(I(*d, "peer_zxid"), 0x20000003a);
  EXPECT_EQ(I(*d, "max_zxid"), 0x200000039);
  EXPECT_EQ(I(*d, "trunc_to"), 0x200000039);  // DEBUG "Sending TRUNC to follower zxidToSend="
  EXPECT_EQ(I(*d, "epoch"), 3);
  EXPECT_FALSE(d->fields.Contains("inferred"));
  const auto* t = Find(r, "truncate", 2, At(21, 15, 54, 269));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(I(*t, "keep_up_to"), 0x200000039);
  EXPECT_EQ(I(*t, "removed_first"), 0x20000003a);
  EXPECT_EQ(I(*t, "removed_last"), 0x20000003a);
  EXPECT_EQ(I(*t, "removed_count"), 1);
  const auto* got = Find(r, "sync_received", 2, At(21, 15, 54, 269));
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(S(*got, "mode"), "TRUNC");
  EXPECT_EQ(I(*got, "leader"), 3);
}

TEST(ZooKeeperLogImport, TruncIsInferredWhenDebugLinesAreOff) {
  // The same real logs as a default INFO-level configuration writes them.
  auto logs = RealLogs();
  for (auto& [id, text] : logs) {
    std::stringstream in(text), out;
    for (std::string line; std::getline(in, line);) {
      if (line.find(" DEBUG [") == std::string::npos) out << line << '\n';
    }
    text = out.str();
  }
  LogImportResult r = ImportServerLogs(logs);
  const auto* d = Find(r, "sync_decision", 3, At(21, 15, 54, 249));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(S(*d, "mode"), "TRUNC");
  EXPECT_EQ(I(*d, "trunc_to"), 0x200000039);
  EXPECT_TRUE(d->fields["inferred"].get<bool>());
  EXPECT_TRUE(d->fields["matched"].get<bool>());
  EXPECT_FALSE(d->fields.Contains("last_sent"));
}

TEST(ZooKeeperLogImport, SnapWhenTruncWouldCrossAnEpoch) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // Node 3 led epoch 3 and logged 0x300000020 while isolated; epoch 4 (node 2) wrote on.
  const auto* d = Find(r, "sync_decision", 2, At(21, 16, 3, 488));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(S(*d, "mode"), "SNAP");  // although "Using committedLog" came first
  EXPECT_EQ(S(*d, "reason"), "no TRUNC across an epoch boundary");
  EXPECT_EQ(I(*d, "peer"), 3);
  EXPECT_EQ(I(*d, "peer_zxid"), 0x300000020);
  EXPECT_EQ(I(*d, "snap_zxid"), 0x400000020);
  EXPECT_EQ(I(*d, "epoch"), 4);
  const auto* installed = Find(r, "snapshot_installed", 3, At(21, 16, 3, 488));
  ASSERT_NE(installed, nullptr);
  EXPECT_EQ(I(*installed, "zxid"), 0x400000020);
  EXPECT_EQ(I(*installed, "epoch"), 4);
}

TEST(ZooKeeperLogImport, DiffFromTheTxnLogWhenTheCommittedLogNoLongerReaches) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // Node 1 was down for 600 writes (commitLogCount is 500).
  const auto* d = Find(r, "sync_decision", 2, At(21, 16, 11, 428));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(S(*d, "mode"), "DIFF");
  EXPECT_EQ(S(*d, "source"), "txnlog+committedLog");
  EXPECT_EQ(I(*d, "peer_zxid"), 0x40000002e);
  EXPECT_EQ(I(*d, "min_zxid"), 0x4000000a4);
}

TEST(ZooKeeperLogImport, RolesStepDownsAndSnapshots) {
  LogImportResult r = ImportServerLogs(RealLogs());
  // The isolated leader 2 gave up: "Shutdown called. For the reason Not sufficient followers ..."
  const auto* down = Find(r, "step_down", 2, At(21, 15, 50, 992));
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(I(*down, "epoch"), 2);
  EXPECT_EQ(S(*down, "reason").substr(0, 30), "Not sufficient followers synce");
  const auto* follower_down = Find(r, "step_down", 1, At(21, 15, 39, 11));
  ASSERT_NE(follower_down, nullptr);
  EXPECT_EQ(I(*follower_down, "epoch"), 1);
  int broadcast = 0, looking = 0;
  for (const auto& e : OfType(r, "role")) {
    if (S(e, "phase") == "broadcast") ++broadcast;
    if (S(e, "role") == "looking") {
      ++looking;
      EXPECT_FALSE(e.fields.Contains("epoch"));
    }
  }
  EXPECT_EQ(broadcast, 16);  // 5 leaders + 11 follower syncs reached broadcast
  EXPECT_GT(looking, 0);
  EXPECT_FALSE(OfType(r, "snapshot").empty());
  EXPECT_EQ(OfType(r, "newleader").size(), 11u);
  EXPECT_EQ(OfType(r, "uptodate").size(), 11u);
}

TEST(ZooKeeperLogImport, ALateJoinerAtAnEmptyCommittedLogGetsASnapWithNoReasonLogged) {
  LogImportResult r = ImportServerLogs(RealLogs("sync-lines/late-joiner-snap"));
  EXPECT_TRUE(r.stats.unrecognized_quorum_sources.empty()) << r.Summary();
  std::vector<checkers::NodeEvent> to_2;
  for (const auto& e : OfType(r, "sync_decision")) {
    if (I(e, "peer") == 2) to_2.push_back(e);
  }
  ASSERT_EQ(to_2.size(), 1u) << r.Summary();
  EXPECT_EQ(to_2[0].node, 3);
  EXPECT_EQ(S(to_2[0], "mode"), "SNAP");
  EXPECT_EQ(I(to_2[0], "peer_zxid"), 0);
  EXPECT_EQ(I(to_2[0], "leader_zxid"), 0x100000000);
  EXPECT_EQ(I(to_2[0], "snap_zxid"), 0x100000000);
  EXPECT_TRUE(to_2[0].fields["matched"].get<bool>());
  EXPECT_EQ(I(to_2[0], "epoch"), 1);
}

TEST(ZooKeeperLogImport, AForcedSnapshotSyncIsASnapForEveryLearnerWithItsReason) {
  LogImportResult r = ImportServerLogs(RealLogs("sync-lines/forced-snap"));
  // "Forcing snapshot sync is enabled" (the acceptor thread) is a configuration echo.
  EXPECT_TRUE(r.stats.unrecognized_quorum_sources.empty()) << r.Summary();
  const auto d = OfType(r, "sync_decision");
  ASSERT_EQ(d.size(), 2u) << r.Summary();
  for (const auto& e : d) {
    EXPECT_EQ(e.node, 3);
    EXPECT_EQ(S(e, "mode"), "SNAP") << e.fields.Dump();
    EXPECT_EQ(S(e, "reason"), "forced") << e.fields.Dump();
    EXPECT_TRUE(e.fields["matched"].get<bool>()) << e.fields.Dump();
  }
}

// testdata/zookeeper/sync-lines/txnlog-gap (README there): node 2 got a SNAP at 0x200000000 (a
// new-epoch zxid), was killed, the leader (node 3) committed 700 more txns and lost the txn log
// files between node 2's zxid and the start of its committed log; node 2 then rejoined. The
// leader's real lines: "Use txnlog and committedLog", "Sending TRUNC zxid=0x2000002c8  for peer
// sid: 2" (LearnerHandler.queueCommittedProposals logs TRUNC but queues DIFF for a peer at a
// new-epoch zxid), "Detected gap between end of txnlog: 0x200000000 and start of committedLog:
// 0x2000000d4" (the queued packets are dropped), "Sending snapshot".
std::vector<checkers::NodeEvent> GapRunDecisionsFor2() {
  LogImportResult r = ImportServerLogs(RealLogs("sync-lines/txnlog-gap"));
  EXPECT_TRUE(r.stats.unrecognized_quorum_sources.empty()) << r.Summary();
  std::vector<checkers::NodeEvent> to_2;
  for (const auto& e : OfType(r, "sync_decision")) {
    if (I(e, "peer") == 2) to_2.push_back(e);
  }
  return to_2;
}

TEST(ZooKeeperLogImport, ADetectedGapInTheLeadersTxnLogFallsBackToASnap) {
  const auto to_2 = GapRunDecisionsFor2();
  ASSERT_EQ(to_2.size(), 2u);  // the first join (empty) and the rejoin after the gap
  const checkers::NodeEvent& d = to_2[1];
  EXPECT_EQ(d.node, 3);
  EXPECT_EQ(S(d, "source"), "txnlog+committedLog");
  EXPECT_EQ(S(d, "mode"), "SNAP") << d.fields.Dump();
  EXPECT_EQ(S(d, "reason"), "gap between the txn log and the committed log");
  EXPECT_EQ(I(d, "peer_zxid"), 0x200000000);
  EXPECT_EQ(I(d, "min_zxid"), 0x2000000d4);
  EXPECT_EQ(I(d, "snap_zxid"), 0x2000002c8);
  EXPECT_TRUE(d.fields["matched"].get<bool>()) << d.fields.Dump();  // "Getting a snapshot"
}

// Found on the real text above: the first join of node 2 (empty, the leader's txn log starts at
// 0x100000001) has ZKDatabase's "Unable to find proposals from txnlog for zxid: 0x0" between
// "Synchronizing" and "Sending snapshot", in the LearnerHandler's thread. The importer ended the
// decision at that line (any other line of the thread does), so it was UNKNOWN and "Start
// forwarding" / "Sending snapshot" were counted as unrecognized quorum lines.
TEST(ZooKeeperLogImport, UnableToFindProposalsRegressionTheDecisionGoesOnToItsSnap) {
  const auto to_2 = GapRunDecisionsFor2();
  ASSERT_EQ(to_2.size(), 2u);
  const checkers::NodeEvent& d = to_2[0];
  EXPECT_EQ(I(d, "peer_zxid"), 0);
  EXPECT_EQ(S(d, "mode"), "SNAP") << d.fields.Dump();
  EXPECT_EQ(S(d, "reason"), "the txn log does not reach back to the peer's zxid");
  EXPECT_EQ(I(d, "snap_zxid"), 0x200000000);
  EXPECT_EQ(I(d, "last_sent"), 0x200000000);
  EXPECT_TRUE(d.fields["matched"].get<bool>()) << d.fields.Dump();
}

TEST(ZooKeeperLogImport, ATruncLineForANewEpochPeerIsNoTruncation) {
  // The leader logged "Sending TRUNC zxid=0x2000002c8" for the peer at 0x200000000: no TRUNC was
  // queued (a DIFF was, then dropped for the gap), so the decision has no trunc_to and is not
  // TRUNC or TRUNC+DIFF.
  const auto to_2 = GapRunDecisionsFor2();
  ASSERT_EQ(to_2.size(), 2u);
  EXPECT_FALSE(to_2[1].fields.Contains("trunc_to")) << to_2[1].fields.Dump();
  EXPECT_EQ(S(to_2[1], "mode"), "SNAP");
  // The same line alone (the gap line cut off) reads as the DIFF ZooKeeper queued.
  const std::string real = ReadFile(std::string(FAULTLINE_SOURCE_DIR) +
                                    "/testdata/zookeeper/sync-lines/txnlog-gap/node-3.log");
  const size_t gap = real.find("Detected gap between end of txnlog");
  ASSERT_NE(gap, std::string::npos);
  LogImportResult cut = ImportServerLogs({{3, real.substr(0, real.rfind('\n', gap) + 1)}});
  const auto d = OfType(cut, "sync_decision");
  ASSERT_FALSE(d.empty());
  EXPECT_EQ(I(d.back(), "peer_zxid"), 0x200000000);
  EXPECT_EQ(S(d.back(), "mode"), "DIFF") << d.back().fields.Dump();
  EXPECT_FALSE(d.back().fields.Contains("trunc_to"));
}

TEST(ZooKeeperLogImport, AnUnfinishedDecisionAtTheEndOfTheLogIsUnknown) {
  const std::string leader =
      "2026-12-01T21:15:45.486+0000 INFO  [LearnerHandler-/127.0.0.1:37608:LearnerHandler@805] - "
      "Synchronizing with Learner sid: 3 maxCommittedLog=0x20000002a minCommittedLog=0x100000001 "
      "lastProcessedZxid=0x20000002a peerLastZxid=0x10000003e\n";
  LogImportResult r = ImportServerLogs({{2, leader}});
  ASSERT_EQ(OfType(r, "sync_decision").size(), 1u);
  EXPECT_EQ(S(OfType(r, "sync_decision")[0], "mode"), "UNKNOWN");
  EXPECT_FALSE(OfType(r, "sync_decision")[0].fields["matched"].get<bool>());
}

TEST(ZooKeeperLogImport, EmptyAndGarbageInputGiveNoEvents) {
  LogImportResult r = ImportServerLogs({{1, ""}, {2, "not a log\n\x01\x02\n"}});
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.stats.records, 0);
  EXPECT_EQ(r.stats.continuation_lines, 2);
}

}  // namespace
}  // namespace faultline::harness::zookeeper
