// NodeRuntime over real storage on a crashable MemEnv (and a FaultyEnv): the order of execution,
// group commit, failure handling and range merging of node_runtime.h's CONTRACT.
#include "server/runtime/node_runtime.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "server/core/codec.h"
#include "server/storage/faulty_env.h"
#include "server/storage/mem_env.h"
#include "server/storage/storage.h"

namespace runtime {
namespace {

using zab::Epoch;
using zab::PeerId;
using zab::Zxid;

constexpr char kDir[] = "/node";

zab::Config FollowerConfig() {
  zab::Config c;
  c.self = PeerId{1};
  c.voters = {PeerId{1}, PeerId{2}, PeerId{3}};
  return c;
}

zab::Txn Txn(uint32_t counter) {
  return zab::Txn{Zxid::Make(Epoch{1}, counter), zab::Origin{},
                  kv::Op{kv::OpType::kSet, "k", "v" + std::to_string(counter), ""}};
}

zab::Proposal Prop(uint32_t counter) {
  return zab::Proposal{Epoch{1}, Txn(counter),
                       counter == 1 ? Zxid{} : Zxid::Make(Epoch{1}, counter - 1)};
}

// What a recovery would find durable in `env` right now.
storage::Recovered DurableNow(const storage::MemEnv& env) {
  auto image = env.CrashImage();
  storage::Recovered rec;
  auto st = storage::Storage::Open(image.get(), kDir, storage::Options{}, &rec);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return rec;
}

struct Sent {
  zab::Envelope envelope;
  uint64_t durable_last_zxid;  // of the log, at the moment the runtime handed it over
  uint32_t durable_accepted_epoch;
  uint32_t durable_current_epoch;
};

class RecordingTransport final : public Transport {
 public:
  explicit RecordingTransport(const storage::MemEnv* env) : env_(env) {}
  void Send(const zab::Envelope& e) override {
    storage::Recovered rec = DurableNow(*env_);
    sent.push_back({e, rec.log.empty() ? rec.snapshot.zxid : rec.log.back().zxid,
                    rec.accepted_epoch, rec.current_epoch});
  }
  std::vector<Sent> sent;

 private:
  const storage::MemEnv* env_;
};

class RecordingSink final : public EventSink {
 public:
  void Write(const zab::Event& e) override { events.push_back(e); }
  void EndBatch() override { ++batches; }
  std::vector<zab::Event> events;
  int batches = 0;
};

// The messages of `type` sent so far.
template <typename T>
std::vector<T> SentOf(const RecordingTransport& t) {
  std::vector<T> out;
  for (const Sent& s : t.sent) {
    if (const auto* m = std::get_if<T>(&s.envelope.message)) out.push_back(*m);
  }
  return out;
}

class NodeRuntimeTest : public ::testing::Test {
 protected:
  void Open(storage::Env* env) {
    storage::Recovered rec;
    auto st = storage::Storage::Open(env, kDir, storage::Options{}, &rec);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    storage_ = std::move(st).value();
    auto core = ToCoreRecovered(std::move(rec));
    ASSERT_TRUE(core.ok());
    runtime_ = std::make_unique<NodeRuntime>(
        FollowerConfig(), std::move(*core), now_ms_, storage_.get(), &transport_, &sink_,
        [this](const zab::ClientReply& r) { replies_.push_back(r); });
  }

  void Step(const zab::Input& in) { runtime_->Step(in); }
  void Receive(uint64_t from, zab::Message m) { Step(zab::Receive{PeerId{from}, std::move(m)}); }
  void FlushOk() {
    auto s = runtime_->Flush();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Node 1 follows node 3 in epoch 1 (FLE, discovery, empty DIFF, UPTODATE), all flushed.
  void FollowLeader3() {
    Step(zab::Tick{now_ms_});
    for (uint64_t p : {2, 3}) {
      Receive(p, zab::Vote{Epoch{}, zab::PeerState::kLooking, PeerId{3}, Zxid{}, 1, Epoch{}});
    }
    now_ms_ += 100;
    Step(zab::Tick{now_ms_});
    Receive(3, zab::LeaderInfo{Epoch{1}});
    Receive(3, zab::Diff{Epoch{1}, Zxid{}});
    Receive(3, zab::NewLeader{Epoch{1}, Zxid{}});
    Receive(3, zab::UpToDate{Epoch{1}});
    FlushOk();
    ASSERT_EQ(runtime_->peer().status().phase, zab::Phase::kBroadcast);
    transport_.sent.clear();
    sink_.events.clear();
  }

  // Node 1 leads epoch 1: FLE, discovery, an empty DIFF, NEWLEADER ACKed by both followers.
  void LeadEpoch1() {
    Step(zab::Tick{now_ms_});
    for (uint64_t p : {2, 3}) {
      Receive(p, zab::Vote{Epoch{}, zab::PeerState::kLooking, PeerId{1}, Zxid{}, 1, Epoch{}});
    }
    now_ms_ += 100;
    Step(zab::Tick{now_ms_});
    for (uint64_t p : {2, 3}) Receive(p, zab::FollowerInfo{Epoch{}});
    FlushOk();
    for (uint64_t p : {2, 3}) Receive(p, zab::AckEpoch{Epoch{1}, 0, Zxid{}, Zxid{}});
    FlushOk();
    for (uint64_t p : {2, 3}) Receive(p, zab::Ack{Epoch{1}, Zxid::Make(Epoch{1}, 0)});
    FlushOk();
    ASSERT_EQ(runtime_->peer().status().role, zab::Role::kLeading);
    ASSERT_EQ(runtime_->peer().status().phase, zab::Phase::kBroadcast);
  }

  // Node 1 follows node 3. Its client's write (request 7) comes back as proposal 1, durable
  // here and ACKed; proposal 2 arrives and its fsync starts (*job); then COMMIT 1 arrives.
  // With mine_durable = false the fsync in flight is 1's own (the other follower's ACK
  // committed it) and no proposal 2 comes.
  void CommitMineWhileTheFsyncOf2Runs(std::function<faultline::Status()>* job,
                                      bool mine_durable = true) {
    FollowLeader3();
    Step(zab::ClientWrite{7, kv::Op{kv::OpType::kSet, "k", "mine", ""}});
    FlushOk();
    std::vector<zab::Request> forwarded = SentOf<zab::Request>(transport_);
    ASSERT_EQ(forwarded.size(), 1u);
    zab::Proposal mine = Prop(1);
    mine.txn.origin = forwarded[0].origin;
    mine.txn.op = forwarded[0].op;
    Receive(3, mine);
    if (mine_durable) {
      FlushOk();  // 1 durable, ACKed
      Receive(3, Prop(2));
    }
    ASSERT_TRUE(runtime_->Begin().ok());
    *job = runtime_->StartSync();
    ASSERT_TRUE(*job);
    sink_.events.clear();
    Receive(3, zab::Commit{Epoch{1}, Txn(1).zxid});
    ASSERT_TRUE(runtime_->Begin().ok());
  }

  uint64_t now_ms_ = 1000;
  storage::MemEnv mem_;
  RecordingTransport transport_{&mem_};
  RecordingSink sink_;
  std::vector<zab::ClientReply> replies_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<NodeRuntime> runtime_;
};

TEST_F(NodeRuntimeTest, AFollowerAcksAProposalOnlyOnceItIsDurable) {
  Open(&mem_);
  runtime_->coalesce_cumulative_messages = false;  // each proposal's own ACK (coalesced below)
  FollowLeader3();
  for (uint32_t c = 1; c <= 3; ++c) Receive(3, Prop(c));
  EXPECT_TRUE(transport_.sent.empty()) << "nothing leaves before Flush";
  FlushOk();
  int acks = 0;
  for (const Sent& s : transport_.sent) {
    if (const auto* a = std::get_if<zab::Ack>(&s.envelope.message)) {
      EXPECT_LE(a->zxid.value, s.durable_last_zxid) << zab::ToHex(a->zxid) << " acked unsynced";
      ++acks;
    }
  }
  EXPECT_EQ(acks, 3);
}

// Issue 8 (CPU per write): the core ACKs every proposal and COMMITs every txn, and both are
// cumulative, so of the ACKs (COMMITs) that one fsync releases to one peer only the last says
// anything: with coalesce_cumulative_messages (zabd) a follower sends one ACK per fsync, not
// one per proposal, and it is still sent only once everything it covers is durable.
TEST_F(NodeRuntimeTest, AFollowerSendsOneAckForEveryProposalOneFsyncMadeDurable) {
  Open(&mem_);
  runtime_->coalesce_cumulative_messages = true;
  FollowLeader3();
  for (uint32_t c = 1; c <= 5; ++c) Receive(3, Prop(c));
  FlushOk();
  ASSERT_EQ(SentOf<zab::Ack>(transport_).size(), 1u);
  for (const Sent& s : transport_.sent) {
    if (const auto* a = std::get_if<zab::Ack>(&s.envelope.message)) {
      EXPECT_EQ(a->zxid, Txn(5).zxid);
      EXPECT_GE(s.durable_last_zxid, Txn(5).zxid.value) << "acked unsynced";
    }
  }
  // The leader counts it for all five (LeaderOnAck: every outstanding zxid at or below it).
}

// Across batches: the ACKs of every batch one fsync releases go out as one pass.
TEST_F(NodeRuntimeTest, OneAckCoversEveryBatchBegunWhileTheLastFsyncRan) {
  Open(&mem_);
  runtime_->coalesce_cumulative_messages = true;
  FollowLeader3();
  Receive(3, Prop(1));
  ASSERT_TRUE(runtime_->Begin().ok());
  auto first = runtime_->StartSync();
  ASSERT_TRUE(first);
  for (uint32_t c = 2; c <= 3; ++c) {  // two batches while the fsync of 1 runs
    Receive(3, Prop(c));
    ASSERT_TRUE(runtime_->Begin().ok());
  }
  ASSERT_TRUE(runtime_->FinishSync(first()).ok());
  auto second = runtime_->StartSync();
  ASSERT_TRUE(second);
  ASSERT_TRUE(runtime_->FinishSync(second()).ok());
  std::vector<zab::Ack> acks = SentOf<zab::Ack>(transport_);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].zxid, Txn(1).zxid);
  EXPECT_EQ(acks[1].zxid, Txn(3).zxid);
}

TEST_F(NodeRuntimeTest, ALeaderSendsEachFollowerOneCommitForEveryTxnOneBatchCommits) {
  Open(&mem_);
  runtime_->coalesce_cumulative_messages = true;
  LeadEpoch1();
  for (uint64_t id = 1; id <= 4; ++id) {
    Step(zab::ClientWrite{id, kv::Op{kv::OpType::kSet, "k" + std::to_string(id), "v", ""}});
  }
  FlushOk();
  transport_.sent.clear();
  // Follower 2 acks each of the four (as the core would without coalescing) in one burst.
  for (uint32_t c = 1; c <= 4; ++c) Receive(2, zab::Ack{Epoch{1}, Zxid::Make(Epoch{1}, c)});
  FlushOk();
  ASSERT_EQ(replies_.size(), 4u) << "all four committed";
  for (uint64_t to : {2, 3}) {
    std::vector<zab::Commit> commits;
    for (const Sent& s : transport_.sent) {
      if (s.envelope.to.value != to) continue;
      if (const auto* c = std::get_if<zab::Commit>(&s.envelope.message)) commits.push_back(*c);
    }
    ASSERT_EQ(commits.size(), 1u) << "to " << to;
    EXPECT_EQ(commits[0].zxid, Zxid::Make(Epoch{1}, 4)) << "to " << to;
  }
}

TEST_F(NodeRuntimeTest, OneFlushIsOneFsyncForEveryAppendOfTheBatch) {
  Open(&mem_);
  FollowLeader3();
  Receive(3, Prop(1));  // creates the log segment (a directory fsync of its own)
  FlushOk();
  const uint64_t before = storage_->fsync_count();
  for (uint32_t c = 2; c <= 20; ++c) Receive(3, Prop(c));
  FlushOk();
  EXPECT_EQ(storage_->fsync_count(), before + 1);
  EXPECT_EQ(DurableNow(mem_).log.size(), 20u);
}

TEST_F(NodeRuntimeTest, DestroyingTheRuntimeDropsTheQueuedBatch) {
  Open(&mem_);
  FollowLeader3();
  Receive(3, Prop(1));
  FlushOk();
  Receive(3, Prop(2));  // queued, never flushed: the process died
  runtime_.reset();
  storage_.reset();
  mem_.Crash();
  storage::Recovered rec = DurableNow(mem_);
  ASSERT_EQ(rec.log.size(), 1u);
  EXPECT_EQ(rec.log[0].zxid, Txn(1).zxid.value);
}

TEST_F(NodeRuntimeTest, AStorageFailureReleasesNothingOfTheBatchAndStopsTheRuntime) {
  storage::FaultyEnv faulty(&mem_);
  Open(&faulty);
  FollowLeader3();
  Receive(3, Prop(1));  // the log segment exists
  FlushOk();
  transport_.sent.clear();
  sink_.events.clear();
  faulty.FailSyncsAfter(0, EIO);
  Receive(3, Prop(2));
  Receive(3, zab::Commit{Epoch{1}, Txn(2).zxid});
  auto s = runtime_->Flush();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("during sync"), std::string::npos) << s.ToString();
  ASSERT_NE(runtime_->failure(), nullptr);
  EXPECT_EQ(runtime_->failure()->op, "sync");
  EXPECT_TRUE(transport_.sent.empty()) << "an ACK left although its append was not durable";
  EXPECT_TRUE(sink_.events.empty());
  // Stopped for good: a later batch is refused the same way, even with the disk healed.
  faulty.Heal();
  Receive(3, Prop(3));
  EXPECT_FALSE(runtime_->Flush().ok());
  EXPECT_TRUE(transport_.sent.empty());
}

TEST_F(NodeRuntimeTest, TheRangesOfABatchAreMergedIntoOneEventPerType) {
  Open(&mem_);
  FollowLeader3();
  const int batches_before = sink_.batches;
  for (uint32_t c = 1; c <= 4; ++c) {
    Receive(3, Prop(c));
    Receive(3, zab::Commit{Epoch{1}, Txn(c).zxid});
  }
  FlushOk();
  int logged = 0, committed = 0;
  for (const zab::Event& e : sink_.events) {
    if (e.type != "logged" && e.type != "committed") continue;
    (e.type == "logged" ? logged : committed)++;
    EXPECT_EQ(std::get<uint64_t>(e.fields[0].second), Txn(1).zxid.value) << e.type;
    EXPECT_EQ(std::get<uint64_t>(e.fields[1].second), Txn(4).zxid.value) << e.type;
    EXPECT_EQ(std::get<uint64_t>(e.fields[2].second), 4u) << e.type;
  }
  EXPECT_EQ(logged, 1);
  EXPECT_EQ(committed, 1);
  EXPECT_EQ(sink_.batches, batches_before + 1);
}

TEST_F(NodeRuntimeTest, TheObserverSeesEveryOutputWithItsInputAfterTheBatchExecuted) {
  Open(&mem_);
  std::vector<std::pair<zab::Input, zab::Output>> seen;
  runtime_->on_executed = [&](const zab::Input& in, const zab::Output& out) {
    seen.emplace_back(in, out);
  };
  FollowLeader3();
  seen.clear();
  Receive(3, Prop(1));
  Receive(3, Prop(2));
  FlushOk();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<zab::Receive>(seen[0].first));
  ASSERT_EQ(seen[1].second.storage.size(), 1u);
  EXPECT_FALSE(seen[1].second.events.empty()) << "the observer gets the events too";
}

// ---- Pipelined sync (Begin / StartSync / FinishSync; zabd runs the fsync on a thread) --------

TEST_F(NodeRuntimeTest, ABatchBegunWhileAnFsyncRunsIsReleasedOnlyByAnFsyncThatCoversIt) {
  Open(&mem_);
  FollowLeader3();
  Receive(3, Prop(1));
  ASSERT_TRUE(runtime_->Begin().ok());
  auto first = runtime_->StartSync();
  ASSERT_TRUE(first);
  Receive(3, Prop(2));  // arrives while the fsync of 1 runs: logged, not covered by it
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_FALSE(runtime_->StartSync()) << "one fsync in flight at a time";
  EXPECT_TRUE(SentOf<zab::Ack>(transport_).empty());
  ASSERT_TRUE(runtime_->FinishSync(first()).ok());
  std::vector<zab::Ack> acks = SentOf<zab::Ack>(transport_);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].zxid, Txn(1).zxid);
  EXPECT_EQ(runtime_->unreleased(), 1u);
  auto second = runtime_->StartSync();
  ASSERT_TRUE(second);
  ASSERT_TRUE(runtime_->FinishSync(second()).ok());
  acks = SentOf<zab::Ack>(transport_);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].zxid, Txn(2).zxid);
  for (const Sent& s : transport_.sent) {
    if (const auto* a = std::get_if<zab::Ack>(&s.envelope.message)) {
      EXPECT_LE(a->zxid.value, s.durable_last_zxid) << zab::ToHex(a->zxid) << " acked unsynced";
    }
  }
}

// zabd runs the fsync of a lone append on its loop and hands bigger batches to its fsync thread
// (driver.cc StartSync): unsynced_appends() counts the appends the next StartSync job covers.
TEST_F(NodeRuntimeTest, UnsyncedAppendsCountWhatTheNextFsyncWouldCover) {
  Open(&mem_);
  FollowLeader3();
  EXPECT_EQ(runtime_->unsynced_appends(), 0u);
  Receive(3, Prop(1));
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_EQ(runtime_->unsynced_appends(), 1u);
  auto first = runtime_->StartSync();
  ASSERT_TRUE(first);
  EXPECT_EQ(runtime_->unsynced_appends(), 0u);  // the job in flight covers it
  Receive(3, Prop(2));
  ASSERT_TRUE(runtime_->Begin().ok());
  Receive(3, Prop(3));
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_EQ(runtime_->unsynced_appends(), 2u);  // begun while it ran: the next one covers both
  ASSERT_TRUE(runtime_->FinishSync(first()).ok());
  EXPECT_EQ(runtime_->unsynced_appends(), 2u);
  auto second = runtime_->StartSync();
  ASSERT_TRUE(second);
  EXPECT_EQ(runtime_->unsynced_appends(), 0u);
  ASSERT_TRUE(runtime_->FinishSync(second()).ok());
  // The ACK of 1 after the first fsync; one ACK of 3 for both batches the second released.
  std::vector<zab::Ack> acks = SentOf<zab::Ack>(transport_);
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[1].zxid, Zxid::Make(Epoch{1}, 3));
}

TEST_F(NodeRuntimeTest, AFollowersPingAckWaitsForTheFsyncOfWhatItAcknowledges) {
  Open(&mem_);
  FollowLeader3();
  Receive(3, zab::Ping{Epoch{1}, Zxid{}, 1});  // acks nothing unsynced: leaves at once
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_EQ(SentOf<zab::PingAck>(transport_).size(), 1u);
  Receive(3, Prop(1));
  ASSERT_TRUE(runtime_->Begin().ok());
  auto job = runtime_->StartSync();
  ASSERT_TRUE(job);
  Receive(3, zab::Ping{Epoch{1}, Zxid{}, 2});  // its lastLogged is 1, an ACK of 1 in effect
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_EQ(SentOf<zab::PingAck>(transport_).size(), 1u);
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  ASSERT_EQ(SentOf<zab::PingAck>(transport_).size(), 2u);
  EXPECT_EQ(SentOf<zab::PingAck>(transport_)[1].last_logged, Txn(1).zxid);
}

// CONTRACT "Replies ahead": a follower's client write committed at z gets its reply while the
// fsync of z+1 runs (z was durable here already: this follower ACKed it). Its `committed` record
// keeps its place in the log: written with its batch, after that fsync.
TEST_F(NodeRuntimeTest, AFollowersReplyToACommittedWriteDoesNotWaitForTheFsyncOfLaterProposals) {
  Open(&mem_);
  std::function<faultline::Status()> job;
  ASSERT_NO_FATAL_FAILURE(CommitMineWhileTheFsyncOf2Runs(&job));
  ASSERT_EQ(replies_.size(), 1u) << "the reply to 1 waited for the fsync of 2";
  EXPECT_EQ(replies_[0].request_id, 7u);
  EXPECT_EQ(replies_[0].zxid, Txn(1).zxid);
  EXPECT_TRUE(sink_.events.empty()) << "events are written with their batch";
  EXPECT_EQ(SentOf<zab::Ack>(transport_).size(), 1u) << "the ACK of 2 still waits";
  Receive(3, zab::Ping{Epoch{1}, Txn(1).zxid, 1});  // another batch begun: looks again
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_EQ(replies_.size(), 1u) << "released ahead twice";
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  EXPECT_EQ(replies_.size(), 1u) << "released once, not again with its batch";
  ASSERT_EQ(SentOf<zab::Ack>(transport_).size(), 2u);
  EXPECT_EQ(SentOf<zab::Ack>(transport_)[1].zxid, Txn(2).zxid);
  ASSERT_EQ(sink_.events.size(), 2u) << "the same records as without release_ahead";
  EXPECT_EQ(sink_.events[0].type, "logged");
  EXPECT_EQ(sink_.events[1].type, "committed");
}

// The observer (the simulator's oracles) sees an Output released ahead once, when its replies
// leave, and not again when its batch is released.
TEST_F(NodeRuntimeTest, TheObserverSeesAnOutputReleasedAheadOnceWhenItsRepliesLeave) {
  Open(&mem_);
  int commits_seen = 0;
  runtime_->on_executed = [&](const zab::Input& in, const zab::Output&) {
    const auto* r = std::get_if<zab::Receive>(&in);
    commits_seen += r != nullptr && std::holds_alternative<zab::Commit>(r->message);
  };
  std::function<faultline::Status()> job;
  ASSERT_NO_FATAL_FAILURE(CommitMineWhileTheFsyncOf2Runs(&job));
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_EQ(commits_seen, 1);
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  EXPECT_EQ(commits_seen, 1);
}

TEST_F(NodeRuntimeTest, WithoutReleaseAheadAFollowersReplyWaitsForTheFsyncOfLaterProposals) {
  Open(&mem_);
  runtime_->release_ahead = false;
  std::function<faultline::Status()> job;
  ASSERT_NO_FATAL_FAILURE(CommitMineWhileTheFsyncOf2Runs(&job));
  EXPECT_TRUE(replies_.empty());
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  EXPECT_EQ(replies_.size(), 1u);
}

// A COMMIT of a zxid this follower has logged but not yet made durable (the other follower's
// ACK committed it) waits for its own fsync: a reply from this node says "durable here too".
TEST_F(NodeRuntimeTest, ACommitOfAZxidNotYetDurableHereWaitsForItsFsync) {
  Open(&mem_);
  std::function<faultline::Status()> job;
  ASSERT_NO_FATAL_FAILURE(CommitMineWhileTheFsyncOf2Runs(&job, /*mine_durable=*/false));
  EXPECT_TRUE(replies_.empty()) << "replied before its own fsync of 1";
  for (const zab::Event& e : sink_.events) EXPECT_NE(e.type, "committed");
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  ASSERT_EQ(replies_.size(), 1u);
  EXPECT_EQ(replies_[0].zxid, Txn(1).zxid);
  ASSERT_FALSE(sink_.events.empty());
  EXPECT_EQ(sink_.events.back().type, "committed");
}

// A read on the leader sees a write the leader committed (a follower's ACK, its own counted at
// proposal time) before its own fsync of it completed: that read must not pass the commit,
// which waits for the fsync, or a crash now would lose a value a client has read.
TEST_F(NodeRuntimeTest, AReadOfAWriteNotYetDurableOnTheLeaderDoesNotGoAheadOfItsCommit) {
  Open(&mem_);
  LeadEpoch1();
  Step(zab::ClientWrite{1, kv::Op{kv::OpType::kSet, "k", "v1", ""}});
  ASSERT_TRUE(runtime_->Begin().ok());
  auto job = runtime_->StartSync();
  ASSERT_TRUE(job);
  const zab::Zxid z1 = Zxid::Make(Epoch{1}, 1);
  Receive(2, zab::Ack{Epoch{1}, z1});  // a quorum with the leader's own ACK: committed
  ASSERT_TRUE(runtime_->Begin().ok());
  Step(zab::ClientRead{2, "k", zab::ReadMode::kLocal});
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_TRUE(replies_.empty()) << "a reply left before the leader's fsync of " << zab::ToHex(z1);
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  ASSERT_EQ(replies_.size(), 2u);
  EXPECT_EQ(replies_[0].request_id, 1u);
  EXPECT_EQ(replies_[1].request_id, 2u);
  EXPECT_EQ(replies_[1].value, std::optional<std::string>("v1"));
}

// Once the leader's fsync of 1 completed, a read (and the reply to 1) no longer waits for the
// fsync of a later write's proposal.
TEST_F(NodeRuntimeTest, ALeadersRepliesOfDurableCommitsDoNotWaitForTheFsyncOfLaterProposals) {
  Open(&mem_);
  LeadEpoch1();
  Step(zab::ClientWrite{1, kv::Op{kv::OpType::kSet, "k", "v1", ""}});
  FlushOk();  // 1 durable on the leader
  Step(zab::ClientWrite{2, kv::Op{kv::OpType::kSet, "k", "v2", ""}});
  ASSERT_TRUE(runtime_->Begin().ok());
  auto job = runtime_->StartSync();  // the fsync of 2 runs
  ASSERT_TRUE(job);
  Receive(2, zab::Ack{Epoch{1}, Zxid::Make(Epoch{1}, 1)});
  ASSERT_TRUE(runtime_->Begin().ok());
  Step(zab::ClientRead{3, "k", zab::ReadMode::kLocal});
  ASSERT_TRUE(runtime_->Begin().ok());
  ASSERT_EQ(replies_.size(), 2u);
  EXPECT_EQ(replies_[0].request_id, 1u);
  EXPECT_EQ(replies_[1].value, std::optional<std::string>("v1"));
  EXPECT_EQ(SentOf<zab::Commit>(transport_).size(), 2u) << "COMMIT 1 to both followers";
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
  EXPECT_EQ(replies_.size(), 2u);
}

TEST_F(NodeRuntimeTest, ABatchWithAnEpochWriteNeedsTheFsyncInFlightFinishedFirst) {
  Open(&mem_);
  FollowLeader3();
  Receive(3, Prop(1));
  ASSERT_TRUE(runtime_->Begin().ok());
  auto job = runtime_->StartSync();
  ASSERT_TRUE(job);
  // A new leader's epoch: the follower writes acceptedEpoch (durable order behind the log).
  Step(zab::PeerDisconnected{PeerId{3}});
  now_ms_ += 10000;
  Step(zab::Tick{now_ms_});
  for (uint64_t p : {2, 3}) {
    Receive(p, zab::Vote{Epoch{1}, zab::PeerState::kLooking, PeerId{3}, Txn(1).zxid, 2, Epoch{1}});
  }
  now_ms_ += 100;
  Step(zab::Tick{now_ms_});
  Receive(3, zab::LeaderInfo{Epoch{2}});
  if (runtime_->must_finish_sync_first()) {
    EXPECT_FALSE(runtime_->Begin().ok()) << "refused, never run out of durable order";
    return;
  }
  ADD_FAILURE() << "the batch holds no epoch write: the test drove the core wrongly";
}

TEST_F(NodeRuntimeTest, ALeaderKeepsPingingWhileItsFsyncOfAWriteRuns) {
  // Issue 8: a 1 MiB write's fsync took > sync_limit under load, the leader's event loop sat in
  // it, sent no PING, and a follower gave up on it ("leader silent for sync_limit").
  Open(&mem_);
  LeadEpoch1();
  transport_.sent.clear();
  Step(zab::ClientWrite{7, kv::Op{kv::OpType::kSet, "big", std::string(4096, 'b'), ""}});
  ASSERT_TRUE(runtime_->Begin().ok());
  EXPECT_EQ(SentOf<zab::Proposal>(transport_).size(), 2u) << "proposals go before the fsync";
  auto job = runtime_->StartSync();  // the slow fsync, still running
  ASSERT_TRUE(job);
  const std::size_t pings_before = SentOf<zab::Ping>(transport_).size();
  for (int tick = 0; tick < 4; ++tick) {
    now_ms_ += zab::Config{}.tick_time_ms;
    Step(zab::Tick{now_ms_});
    ASSERT_TRUE(runtime_->Begin().ok());
  }
  EXPECT_GE(SentOf<zab::Ping>(transport_).size(), pings_before + 2)
      << "the pings waited for the fsync";
  EXPECT_TRUE(replies_.empty());
  ASSERT_TRUE(runtime_->FinishSync(job()).ok());
}

TEST_F(NodeRuntimeTest, ANewLeaderSendsNewLeaderWhileItWritesCurrentEpochButLeaderInfoAfter) {
  // Election speed (issue 8): the followers write their currentEpoch while the leader writes its
  // own, instead of after it. LEADERINFO still waits for the leader's acceptedEpoch (the core's
  // 7.3 rule 4 on the leader side), and no ACK-like message goes early.
  Open(&mem_);
  LeadEpoch1();
  int leader_infos = 0, new_leaders = 0;
  for (const Sent& s : transport_.sent) {
    if (std::holds_alternative<zab::LeaderInfo>(s.envelope.message)) {
      ++leader_infos;
      EXPECT_EQ(s.durable_accepted_epoch, 1u) << "LEADERINFO before acceptedEpoch was durable";
    }
    if (std::holds_alternative<zab::NewLeader>(s.envelope.message)) {
      ++new_leaders;
      EXPECT_EQ(s.durable_current_epoch, 0u) << "NEWLEADER waited for the leader's currentEpoch";
    }
  }
  EXPECT_EQ(leader_infos, 2);
  EXPECT_EQ(new_leaders, 2);
  EXPECT_EQ(DurableNow(mem_).current_epoch, 1u);
}

TEST(SupersededTest, OnlyAnAckOrCommitALaterOneToTheSamePeerInTheSameEpochCoversIsDropped) {
  auto z = [](uint32_t epoch, uint32_t counter) { return Zxid::Make(Epoch{epoch}, counter); };
  auto ack = [&](uint64_t to, uint32_t epoch, uint32_t counter) {
    return zab::Envelope{PeerId{to}, zab::Ack{Epoch{epoch}, z(epoch, counter)}};
  };
  auto commit = [&](uint64_t to, uint32_t epoch, uint32_t counter) {
    return zab::Envelope{PeerId{to}, zab::Commit{Epoch{epoch}, z(epoch, counter)}};
  };
  std::vector<zab::Envelope> msgs = {
      ack(3, 2, 0),     // 0: the NEWLEADER ACK (an epoch marker): never dropped
      ack(3, 2, 1),     // 1: covered by 4
      commit(3, 2, 1),  // 2: a COMMIT; the next COMMIT to 3 is of another epoch: kept
      ack(2, 2, 1),     // 3: to another peer: its own sequence, kept
      ack(3, 2, 2),     // 4: covered by 6 (a PING between them changes nothing)
      zab::Envelope{PeerId{3}, zab::Ping{Epoch{2}, z(2, 1), 7}},
      ack(3, 2, 3),     // 6: the last proposal ACK before the marker: kept
      ack(3, 3, 0),     // 7: a marker does not cover what comes before it
      commit(3, 3, 5),  // 8: the last COMMIT to 3: kept
      commit(2, 2, 4),  // 9: lower than the next COMMIT to 2 (10)? no: 10 is lower: kept
      commit(2, 2, 3),  // 10: kept
  };
  std::vector<const zab::Envelope*> pass;
  for (const auto& m : msgs) pass.push_back(&m);
  const std::vector<bool> dropped = Superseded(pass);
  const std::vector<bool> expected = {false, true,  false, false, true, false,
                                      false, false, false, false, false};
  EXPECT_EQ(dropped, expected);
}

TEST(AppendMergingRangesTest, MergesOnlyAdjacentRangesOfOneTypeThatMoveForward) {
  auto range = [](const char* type, uint64_t first, uint64_t last, uint64_t count) {
    return zab::Event{type, {{"first", first}, {"last", last}, {"count", count}}};
  };
  std::vector<zab::Event> events;
  AppendMergingRanges(&events, range("logged", 1, 2, 2));
  AppendMergingRanges(&events, range("logged", 3, 5, 3));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<uint64_t>(events[0].fields[1].second), 5u);
  EXPECT_EQ(std::get<uint64_t>(events[0].fields[2].second), 5u);
  AppendMergingRanges(&events, range("committed", 1, 2, 2));  // another type
  AppendMergingRanges(&events, range("committed", 2, 2, 1));  // not past the end (new run)
  AppendMergingRanges(&events, zab::Event{"role", {{"role", std::string("looking")}}});
  AppendMergingRanges(&events, range("committed", 3, 3, 1));  // a role change in between
  EXPECT_EQ(events.size(), 5u);
  AppendMergingRanges(&events, range("logged", 4, 4, 1));
  AppendMergingRanges(&events, range("committed", 4, 4, 1));  // past a `logged` range: merged
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(std::get<uint64_t>(events[4].fields[1].second), 4u);
}

TEST(ToCoreRecoveredTest, ARecordWhosePayloadNamesAnotherZxidIsCorruptionNamingIt) {
  storage::Recovered rec;
  rec.log.push_back(storage::Record{Txn(2).zxid.value, zab::EncodeTxn(Txn(3))});
  auto r = ToCoreRecovered(std::move(rec));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(zab::ToHex(Txn(2).zxid)), std::string::npos)
      << r.status().ToString();
}

}  // namespace
}  // namespace runtime
