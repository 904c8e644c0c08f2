// Lost writes, ZAB invariants and session order on synthetic histories and event logs.
#include <gtest/gtest.h>

#include "checkers/checkers.h"
#include "checkers/tests/history_builder.h"
#include "checkers/zab/zxid.h"

namespace faultline::checkers {
namespace {

using nlohmann::json;
using testing::HistoryBuilder;

NodeEvent Ev(int64_t node, int64_t ts, const std::string& type, json fields) {
  fields["node"] = node;
  fields["ts_ms"] = ts;
  fields["type"] = type;
  return {node, ts, type, FieldList::FromJson(fields)};
}

// ---------------------------------------------------------------- lost writes

TEST(LostWrites, OverwrittenWriteIsNotLost) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10)
               .WithZxid(MakeZxid(1, 1))
               .Write(1, "b", 20, 30)
               .WithZxid(MakeZxid(1, 2))
               .Read(2, "b", 100, 110)
               .Build();
  EXPECT_EQ(CheckLostWrites(h).verdict, Verdict::kValid);
}

TEST(LostWrites, WriteDroppedByTruncIsReportedWithForensics) {
  HistoryBuilder b;
  b.Write(1, "a", 0, 10).WithZxid(MakeZxid(1, 1));
  b.Write(1, "b", 20, 30).WithZxid(MakeZxid(1, 2));  // acknowledged, then lost
  b.Read(2, "a", 5'000, 5'010);                      // final read after healing
  b.Fault("partition", {1}, 25, 4'000);
  History h = b.Build();
  h.node_events = {
      Ev(1, 0, "logged", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 2)}, {"count", 2}}),
      Ev(2, 0, "logged", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 2)}, {"count", 2}}),
      Ev(1, 0, "committed", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 2)}, {"count", 2}}),
      Ev(3, 2, "sync_decision",
         {{"peer", 1},
          {"mode", "TRUNC"},
          {"peer_zxid", MakeZxid(1, 2)},
          {"leader_zxid", MakeZxid(1, 1)},
          {"trunc_to", MakeZxid(1, 1)}}),
      Ev(1, 3, "truncate",
         {{"keep_up_to", MakeZxid(1, 1)},
          {"removed_first", MakeZxid(1, 2)},
          {"removed_last", MakeZxid(1, 2)},
          {"removed_count", 1}}),
  };
  LostWriteResult r = CheckLostWrites(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  const Anomaly& a = r.anomalies[0];
  EXPECT_NE(a.description.find("write of b"), std::string::npos) << a.description;
  EXPECT_NE(a.description.find("epoch 1, counter 2"), std::string::npos) << a.description;
  EXPECT_NE(a.detail.find("logged by: node 1 at 0 ms; node 2 at 0 ms"), std::string::npos)
      << a.detail;
  EXPECT_NE(a.detail.find("node 1 truncated"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("chose TRUNC for peer 1"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("partition 1"), std::string::npos) << a.detail;
}

// Regression (checker messages in unix ms, issue 10): the lost write's forensics and fault
// times read "node 1 at 1796191635841 ms" and "[1796191634310000000 .. ]" on the console and in
// `faultline anomalies`; with the run's start known they are offsets from it, as the console
// shows every other time.
TEST(LostWrites, TimesInMessagesAreOffsetsFromTheRunStartRegression) {
  const int64_t t0_ms = 1'796'191'634'000, t0_ns = t0_ms * 1'000'000;
  HistoryBuilder b;
  b.Write(1, "a", t0_ns, t0_ns + 10).WithZxid(MakeZxid(1, 1));
  b.Write(1, "b", t0_ns + 20, t0_ns + 1'250'000'000).WithZxid(MakeZxid(1, 2));  // lost
  b.Read(2, "a", t0_ns + 5'000'000'000, t0_ns + 5'000'000'010);
  b.Fault("kill", {1}, t0_ns + 1'500'000'000, t0_ns + 3'000'000'000);
  History h = b.Build();
  h.origin_ms = t0_ms;
  h.node_events = {
      Ev(1, t0_ms + 1'240, "logged",
         {{"first", MakeZxid(1, 2)}, {"last", MakeZxid(1, 2)}, {"count", 1}}),
      Ev(1, t0_ms + 3'400, "truncate",
         {{"keep_up_to", MakeZxid(1, 1)},
          {"removed_first", MakeZxid(1, 2)},
          {"removed_last", MakeZxid(1, 2)},
          {"removed_count", 1}}),
  };
  LostWriteResult r = CheckLostWrites(h);
  ASSERT_EQ(r.anomalies.size(), 1u);
  const Anomaly& a = r.anomalies[0];
  EXPECT_NE(a.description.find("acknowledged at +1.25s"), std::string::npos) << a.description;
  EXPECT_NE(a.detail.find("logged by: node 1 at +1.24s"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("at +3.40s (removed 1 txns)"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("kill 1 [+1.50s .. +3.00s]"), std::string::npos) << a.detail;
  EXPECT_EQ(a.detail.find("1796"), std::string::npos) << a.detail;
}

TEST(LostWrites, WithoutZxidsRealTimeOrderDecides) {
  auto lost =
      HistoryBuilder().Write(1, "a", 0, 10).Write(1, "b", 20, 30).Read(2, "a", 100, 110).Build();
  EXPECT_EQ(CheckLostWrites(lost).verdict, Verdict::kInvalid);
  auto concurrent =
      HistoryBuilder().Write(1, "a", 0, 50).Write(2, "b", 20, 30).Read(3, "a", 100, 110).Build();
  EXPECT_EQ(CheckLostWrites(concurrent).verdict, Verdict::kValid);
}

// Regression (quick run, op 2004): a write to a paused follower timed out (info), was forwarded
// and committed after the resume, after later acknowledged writes. The final read shows it, and
// it may have taken effect last: nothing is lost.
TEST(LostWrites, FinalValueFromATimedOutWriteDoesNotLoseLaterAcknowledgedWrites) {
  auto h = HistoryBuilder()
               .Write(1, "late", 0, 10, Outcome::kInfo)
               .Write(2, "b", 20, 30)
               .WithZxid(MakeZxid(1, 1))
               .Write(3, "c", 40, 50)
               .WithZxid(MakeZxid(1, 2))
               .Read(4, "late", 100, 110)
               .Build();
  EXPECT_EQ(CheckLostWrites(h).verdict, Verdict::kValid);
}

TEST(LostWrites, TimedOutDeleteMayExplainAFinalNil) {
  auto h = HistoryBuilder()
               .Add(1, Fn::kDelete, std::nullopt, 0, 10, Outcome::kInfo)
               .Write(2, "b", 20, 30)
               .Read(4, std::nullopt, 100, 110)
               .Build();
  EXPECT_EQ(CheckLostWrites(h).verdict, Verdict::kValid);
}

TEST(LostWrites, AcknowledgedWriteFollowedByAFinalReadOfNilIsLost) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10)
               .WithZxid(MakeZxid(1, 1))
               .Read(2, std::nullopt, 100, 110)
               .Build();
  LostWriteResult r = CheckLostWrites(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_NE(r.anomalies[0].description.find("write of a"), std::string::npos)
      << r.anomalies[0].description;
  EXPECT_NE(r.anomalies[0].description.find("shows the key absent"), std::string::npos)
      << r.anomalies[0].description;
  EXPECT_EQ(r.anomalies[0].ops, (std::vector<int64_t>{0, 1}));
}

TEST(LostWrites, AcknowledgedDeleteAfterTheWriteExplainsAFinalNil) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10)
               .Add(2, Fn::kDelete, std::nullopt, 20, 30)
               .Read(3, std::nullopt, 100, 110)
               .Build();
  EXPECT_EQ(CheckLostWrites(h).verdict, Verdict::kValid);
}

TEST(LostWrites, DeleteThatCompletedBeforeTheWriteDoesNotExplainAFinalNil) {
  auto h = HistoryBuilder()
               .Add(2, Fn::kDelete, std::nullopt, 0, 10)
               .Write(1, "a", 20, 30)
               .Read(3, std::nullopt, 100, 110)
               .Build();
  LostWriteResult r = CheckLostWrites(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);  // the delete itself is not a lost write
  EXPECT_EQ(r.anomalies[0].ops, (std::vector<int64_t>{1, 2}));
}

TEST(LostWrites, AcknowledgedSetAddMissingFromFinalReadIsLost) {
  HistoryBuilder b;
  b.Add(1, Fn::kAdd, "1", 0, 10).Add(1, Fn::kAdd, "2", 20, 30);
  b.Add(2, Fn::kReadSet, std::nullopt, 100, 110);
  History h = b.Build();
  h.ops.back().elements = {"1"};
  LostWriteResult r = CheckLostWrites(h);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_NE(r.anomalies[0].description.find("add of 2"), std::string::npos);
}

TEST(LostWrites, KeyWithoutFinalReadMakesTheVerdictUnknown) {
  auto h = HistoryBuilder().Write(1, "a", 0, 10).Build();
  EXPECT_EQ(CheckLostWrites(h).verdict, Verdict::kUnknown);
}

// ---------------------------------------------------------------- ZAB invariants

std::vector<NodeEvent> HealthyLog() {
  return {
      Ev(1, 0, "start", {{"last_zxid", 0}, {"accepted_epoch", 0}, {"current_epoch", 0}}),
      Ev(1, 1, "accepted_epoch", {{"epoch", 1}}),
      Ev(2, 1, "accepted_epoch", {{"epoch", 1}}),
      Ev(1, 2, "current_epoch", {{"epoch", 1}}),
      Ev(1, 3, "established", {{"epoch", 1}, {"leader", 1}, {"quorum", "1,2"}}),
      Ev(1, 4, "committed", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 3)}, {"count", 3}}),
      Ev(2, 5, "committed", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 2)}, {"count", 2}}),
  };
}

TEST(ZabInvariants, HealthyLogIsValid) {
  EXPECT_EQ(CheckZabInvariants(HealthyLog()).verdict, Verdict::kValid);
}

TEST(ZabInvariants, TwoEstablishedLeadersInOneEpochAreReported) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 9, "established", {{"epoch", 1}, {"leader", 2}, {"quorum", "2,3"}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("two established leaders in epoch 1"),
            std::string::npos);
}

TEST(ZabInvariants, TruncDroppingACommittedZxidIsReported) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 10, "truncate",
                   {{"keep_up_to", MakeZxid(1, 1)},
                    {"removed_first", MakeZxid(1, 2)},
                    {"removed_last", MakeZxid(1, 2)},
                    {"removed_count", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("node 2 truncated"), std::string::npos)
      << r.anomalies[0].description;
}

// A leader decides TRUNC for a rejoining peer while its proposals of 1.2 are outstanding
// (ZooKeeper's startForwarding: TRUNC to the committed point, then the outstanding proposals);
// 1.2 commits before the peer executes the TRUNC. The peer gets 1.2 back right behind it: no
// txn is lost. A truncation beyond what the leader re-sent is still reported.
TEST(ZabInvariants, TruncOfWhatTheLeaderResendsBehindItIsFineAndBeyondItIsReported) {
  auto with_decision = [](int64_t last_sent) {
    auto log = HealthyLog();
    log.push_back(Ev(1, 9, "sync_decision",
                     {{"peer", 2}, {"mode", "TRUNC"}, {"trunc_to", MakeZxid(1, 1)},
                      {"first_sent", MakeZxid(1, 2)}, {"last_sent", last_sent}}));
    log.push_back(Ev(2, 10, "truncate",
                     {{"keep_up_to", MakeZxid(1, 1)},
                      {"removed_first", MakeZxid(1, 2)},
                      {"removed_last", MakeZxid(1, 2)},
                      {"removed_count", 1}}));
    return log;
  };
  EXPECT_EQ(CheckZabInvariants(with_decision(MakeZxid(1, 2))).verdict, Verdict::kValid);
  auto log = with_decision(0);  // nothing re-sent
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("node 2 truncated"), std::string::npos);
}

TEST(ZabInvariants, TruncOfAnUncommittedTailIsFine) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 10, "truncate",
                   {{"keep_up_to", MakeZxid(1, 3)},
                    {"removed_first", MakeZxid(1, 4)},
                    {"removed_last", MakeZxid(1, 5)},
                    {"removed_count", 2}}));
  EXPECT_EQ(CheckZabInvariants(log).verdict, Verdict::kValid);
}

TEST(ZabInvariants, RestartBelowACommittedZxidIsReported) {
  auto log = HealthyLog();
  log.push_back(Ev(1, 20, "start",
                   {{"last_zxid", MakeZxid(1, 1)}, {"accepted_epoch", 1}, {"current_epoch", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("restarted"), std::string::npos);
}

TEST(ZabInvariants, CurrentEpochAboveAcceptedEpochIsReported) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 20, "current_epoch", {{"epoch", 2}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("currentEpoch 2 > acceptedEpoch 1"), std::string::npos);
}

// Regression (checker messages in unix ms, issue 10): "node 1 truncated at 1796191635841 ms"
// on the console; given the run's start, the invariants name times as offsets from it.
TEST(ZabInvariants, TimesInDescriptionsAreOffsetsFromTheRunStartRegression) {
  const int64_t t0 = 1'796'191'634'000;
  std::vector<NodeEvent> log = {
      Ev(2, t0 + 100, "accepted_epoch", {{"epoch", 2}}),
      Ev(2, t0 + 2'150, "start",
         {{"last_zxid", MakeZxid(1, 2)}, {"accepted_epoch", 1}, {"current_epoch", 1}}),
  };
  InvariantResult r = CheckZabInvariants(log, t0);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].description,
            "node 2 restarted at +2.15s with acceptedEpoch 1 below the acceptedEpoch 2 it promised "
            "at +0.10s (a promise is durable: zab.md 7.3 rule 4)");
  EXPECT_EQ(r.anomalies[0].start_ns, (t0 + 2'150) * 1'000'000);  // the anomaly's own time stays
}

// A promise is durable (zab.md 7.3 rule 4): forget-accepted-epoch's node acks epoch 2 with
// acceptedEpoch 2 in memory only, is killed before its NEWLEADER and comes back with the 1 on disk.
TEST(ZabInvariants, RestartBelowAPromisedAcceptedEpochIsReported) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 10, "accepted_epoch", {{"epoch", 2}}));
  log.push_back(Ev(2, 20, "start",
                   {{"last_zxid", MakeZxid(1, 2)}, {"accepted_epoch", 1}, {"current_epoch", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].description,
            "node 2 restarted at 20 ms with acceptedEpoch 1 below the acceptedEpoch 2 it promised "
            "at 10 ms (a promise is durable: zab.md 7.3 rule 4)");
  EXPECT_EQ(r.anomalies[0].start_ns, 20'000'000);
}

TEST(ZabInvariants, RestartBelowAnAdoptedCurrentEpochIsReported) {
  auto log = HealthyLog();
  log.push_back(Ev(1, 10, "accepted_epoch", {{"epoch", 2}}));
  log.push_back(Ev(1, 11, "current_epoch", {{"epoch", 2}}));
  log.push_back(Ev(1, 20, "start",
                   {{"last_zxid", MakeZxid(1, 3)}, {"accepted_epoch", 2}, {"current_epoch", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_NE(r.anomalies[0].description.find(
                "node 1 restarted at 20 ms with currentEpoch 1 below the currentEpoch 2 it adopted "
                "at 11 ms"),
            std::string::npos)
      << r.anomalies[0].description;
}

TEST(ZabInvariants, ForgottenPromiseIsReportedOnceNotAtEveryLaterRestart) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 10, "accepted_epoch", {{"epoch", 2}}));
  for (int64_t ts : {20, 30}) {
    log.push_back(Ev(2, ts, "start",
                     {{"last_zxid", MakeZxid(1, 2)}, {"accepted_epoch", 1}, {"current_epoch", 1}}));
  }
  EXPECT_EQ(CheckZabInvariants(log).anomalies.size(), 1u);
}

// currentEpoch certifies a durable history (zab.md 7.3 rule 1): zk-3911 / zk-4643 persist
// currentEpoch 2 for the NEWLEADER history 1|3 before 1|1..1|3 are durable; a power cut in between
// and node 3 comes back with the new epoch and an empty log.
std::vector<NodeEvent> SyncedThenCut(int64_t restart_last_zxid) {
  auto log = HealthyLog();
  log.push_back(Ev(3, 10, "accepted_epoch", {{"epoch", 2}}));
  log.push_back(Ev(3, 11, "current_epoch", {{"epoch", 2}, {"history", MakeZxid(1, 3)}}));
  log.push_back(Ev(3, 20, "start",
                   {{"last_zxid", restart_last_zxid}, {"accepted_epoch", 2}, {"current_epoch", 2}}));
  return log;
}

TEST(ZabInvariants, RestartBelowTheHistoryACurrentEpochCertifiedIsReported) {
  InvariantResult r = CheckZabInvariants(SyncedThenCut(0));
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].description,
            "node 3 restarted at 20 ms with last_zxid 0x0 (epoch 0, counter 0) below the history "
            "0x100000003 (epoch 1, "
            "counter 3) its currentEpoch 2 certified at 11 ms (currentEpoch is persisted only once "
            "that history is durable: zab.md 7.3 rule 1)");
  EXPECT_EQ(r.anomalies[0].start_ns, 20'000'000);
}

TEST(ZabInvariants, RestartAtOrAboveTheCertifiedHistoryIsFine) {
  for (int64_t last : {MakeZxid(1, 3), MakeZxid(2, 1)}) {
    InvariantResult r = CheckZabInvariants(SyncedThenCut(last));
    EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
  }
}

TEST(ZabInvariants, ATruncationOrSnapInstallAfterTheCertificateLiftsIt) {
  // A later leader may TRUNC what an epoch that never formed certified, or SNAP the node to a
  // state that ends below it: the restart is then held to nothing more.
  for (const char* type : {"truncate", "snapshot_installed"}) {
    SCOPED_TRACE(type);
    auto log = SyncedThenCut(MakeZxid(1, 1));
    nlohmann::json fields = std::string(type) == "truncate"
                                ? nlohmann::json{{"keep_up_to", MakeZxid(1, 1)},
                                                 {"removed_first", MakeZxid(1, 2)},
                                                 {"removed_last", MakeZxid(1, 3)},
                                                 {"removed_count", 2}}
                                : nlohmann::json{{"zxid", MakeZxid(1, 1)}};
    log.insert(log.end() - 1, Ev(3, 15, type, fields));
    // (node 1 committed 1|3, so a truncation of it would be a violation of its own: commit less)
    for (NodeEvent& e : log) {
      if (e.type == "committed") e.fields.Set("last", MakeZxid(1, 1));
    }
    InvariantResult r = CheckZabInvariants(log);
    EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
  }
}

TEST(ZabInvariants, ACurrentEpochWithoutAHistoryCertifiesNothing) {
  // A leader's currentEpoch (and other systems' logs) carry no `history`.
  auto log = HealthyLog();
  log.push_back(Ev(1, 20, "start",
                   {{"last_zxid", MakeZxid(1, 3)}, {"accepted_epoch", 1}, {"current_epoch", 1}}));
  log.push_back(Ev(3, 21, "accepted_epoch", {{"epoch", 2}}));
  log.push_back(Ev(3, 22, "current_epoch", {{"epoch", 2}}));
  log.push_back(Ev(3, 30, "start", {{"last_zxid", 0}, {"accepted_epoch", 2}, {"current_epoch", 2}}));
  InvariantResult r = CheckZabInvariants(log);
  EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
}

// A vote advertises the last logged zxid (zab.md 7.3 rule 2): zk-2845's node votes with its
// last APPLIED zxid, and after a restart its recovered log tail is logged but not yet applied.
std::vector<NodeEvent> RestartThenVote(int64_t vote_leader, int64_t vote_zxid) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 20, "start",
                   {{"last_zxid", MakeZxid(1, 2)}, {"accepted_epoch", 1}, {"current_epoch", 1}}));
  log.push_back(Ev(2, 21, "vote",
                   {{"round", 1}, {"leader", vote_leader}, {"zxid", vote_zxid}, {"epoch", 1}}));
  return log;
}

TEST(ZabInvariants, AFirstVoteAfterARestartBelowTheRecoveredLogIsReported) {
  InvariantResult r = CheckZabInvariants(RestartThenVote(2, MakeZxid(1, 1)));
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].description,
            "node 2 voted for itself at 21 ms with zxid 0x100000001 (epoch 1, counter 1) below the "
            "last zxid 0x100000002 (epoch 1, counter 2) it recovered at 20 ms (a vote advertises "
            "the last logged zxid: zab.md 7.3 rule 2)");
}

TEST(ZabInvariants, AVoteWithTheRecoveredZxidOrForAnotherNodeIsFine) {
  for (auto [leader, zxid] : {std::pair<int64_t, int64_t>{2, MakeZxid(1, 2)},
                              std::pair<int64_t, int64_t>{1, MakeZxid(1, 1)}}) {
    InvariantResult r = CheckZabInvariants(RestartThenVote(leader, zxid));
    EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
  }
  // Only the first vote after a start is held to it; and only zabd's `start` records (with the
  // epoch fields): an imported ZooKeeper start names its applied point.
  auto later = RestartThenVote(1, MakeZxid(1, 1));
  later.push_back(Ev(2, 22, "vote", {{"round", 2}, {"leader", 2}, {"zxid", 0}, {"epoch", 1}}));
  EXPECT_EQ(CheckZabInvariants(later).verdict, Verdict::kValid);
  std::vector<NodeEvent> zk = {Ev(2, 20, "start", {{"last_zxid", MakeZxid(1, 2)}}),
                               Ev(2, 21, "vote", {{"leader", 2}, {"zxid", MakeZxid(1, 1)}})};
  EXPECT_EQ(CheckZabInvariants(zk).verdict, Verdict::kValid);
}

TEST(ZabInvariants, RestartWithTheSameOrAHigherEpochIsFine) {
  auto log = HealthyLog();
  log.push_back(Ev(2, 10, "accepted_epoch", {{"epoch", 2}}));
  log.push_back(Ev(2, 20, "start",  // the same: the promise was durable
                   {{"last_zxid", MakeZxid(1, 2)}, {"accepted_epoch", 2}, {"current_epoch", 1}}));
  log.push_back(Ev(1, 21, "start",  // higher than anything node 1 reported (a write it never
                                    // reported before its death) is no broken promise
                   {{"last_zxid", MakeZxid(1, 3)}, {"accepted_epoch", 3}, {"current_epoch", 1}}));
  log.push_back(Ev(1, 30, "start",
                   {{"last_zxid", MakeZxid(1, 3)}, {"accepted_epoch", 3}, {"current_epoch", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
}

// Imported ZooKeeper and etcd logs: `start` without the epoch fields, no epoch events. A restart
// never looks like a forgotten promise there.
TEST(ZabInvariants, StartWithoutEpochFieldsIsNotComparedWithPromises) {
  std::vector<NodeEvent> log = {
      Ev(1, 0, "start", {{"last_zxid", 0}}),
      Ev(1, 5, "established", {{"epoch", 2}, {"leader", 1}}),
      Ev(1, 9, "start", {{"last_zxid", 0}}),
      Ev(2, 0, "start", {{"member_id", "8e9e05c52164694d"}, {"restarted", false}}),
      Ev(2, 9, "start", {{"member_id", "8e9e05c52164694d"}, {"restarted", true}}),
  };
  EXPECT_EQ(CheckZabInvariants(log).verdict, Verdict::kValid);
  // ...and a node that reported epochs but then logs a start without them is not compared either.
  auto mixed = HealthyLog();
  mixed.push_back(Ev(1, 20, "start", {{"last_zxid", MakeZxid(1, 3)}}));
  EXPECT_EQ(CheckZabInvariants(mixed).verdict, Verdict::kValid);
}

TEST(ZabInvariants, DivergentCommittedSequencesAreReported) {
  auto log = HealthyLog();
  // Node 3 commits (1,1) then skips to (2,1): it never committed (1,2), which node 1 did.
  log.push_back(
      Ev(3, 6, "committed", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 1)}, {"count", 1}}));
  log.push_back(
      Ev(3, 7, "committed", {{"first", MakeZxid(2, 1)}, {"last", MakeZxid(2, 1)}, {"count", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("diverge"), std::string::npos);
}

TEST(ZabInvariants, DivergenceIsPlacedInTimeWhenBothNodesHadCommittedPastIt) {
  // Regression (issue 10): the divergence anomaly had time 0, printed as +-1796155125.8s.
  auto log = HealthyLog();
  log.push_back(
      Ev(3, 6, "committed", {{"first", MakeZxid(1, 1)}, {"last", MakeZxid(1, 1)}, {"count", 1}}));
  log.push_back(
      Ev(3, 7, "committed", {{"first", MakeZxid(2, 1)}, {"last", MakeZxid(2, 1)}, {"count", 1}}));
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_FALSE(r.anomalies.empty());
  for (const Anomaly& a : r.anomalies) {
    EXPECT_EQ(a.start_ns, 7'000'000) << a.description;  // node 3 skipped past it at 7 ms
  }
}

// ---------------------------------------------------------------- session order

TEST(SessionOrder, MonotonicReadsAndOwnWritesAreValid) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10)
               .Read(1, "a", 20, 30)
               .Write(2, "b", 40, 50)
               .Read(1, "b", 60, 70)
               .Build();
  EXPECT_EQ(CheckSessionOrder(h).verdict, Verdict::kValid);
}

TEST(SessionOrder, ReadGoingBackInTimeIsReported) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10)
               .Write(1, "b", 20, 30)
               .Read(2, "b", 40, 50)
               .Read(2, "a", 60, 70)
               .Build();
  SessionResult r = CheckSessionOrder(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("monotonic reads"), std::string::npos);
}

TEST(SessionOrder, ReadNotSeeingOwnWriteIsReported) {
  auto h = HistoryBuilder().Write(2, "a", 0, 10).Write(1, "b", 20, 30).Read(1, "a", 40, 50).Build();
  SessionResult r = CheckSessionOrder(h);
  ASSERT_EQ(r.verdict, Verdict::kInvalid);
  EXPECT_NE(r.anomalies[0].description.find("read-your-writes"), std::string::npos);
}

TEST(SessionOrder, StaleReadOfAnotherClientIsAllowed) {
  // Local reads may lag: process 2 never saw b, so reading a is fine for it.
  auto h = HistoryBuilder().Write(1, "a", 0, 10).Write(1, "b", 20, 30).Read(2, "a", 40, 50).Build();
  EXPECT_EQ(CheckSessionOrder(h).verdict, Verdict::kValid);
}

TEST(SessionOrder, ConcurrentWritesWithoutZxidsMayBeSeenInEitherOrder) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 100)
               .Write(2, "b", 10, 20)
               .Read(3, "b", 30, 40)
               .Read(3, "a", 150, 160)
               .Build();
  EXPECT_EQ(CheckSessionOrder(h).verdict, Verdict::kValid);
}

TEST(SessionOrder, ZxidsOrderConcurrentWrites) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 100)
               .WithZxid(MakeZxid(1, 2))
               .Write(2, "b", 10, 20)
               .WithZxid(MakeZxid(1, 1))
               .Read(3, "a", 110, 120)
               .Read(3, "b", 150, 160)
               .Build();
  SessionResult r = CheckSessionOrder(h);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
}

TEST(SessionOrder, ReadOfNilAfterSeeingAWriteIsReported) {
  auto h = HistoryBuilder()
               .Write(1, "a", 0, 10)
               .Read(2, "a", 20, 30)
               .Read(2, std::nullopt, 40, 50)
               .Build();
  EXPECT_EQ(CheckSessionOrder(h).verdict, Verdict::kInvalid);
}

}  // namespace
}  // namespace faultline::checkers
