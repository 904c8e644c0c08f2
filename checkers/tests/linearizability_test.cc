#include <gtest/gtest.h>

#include "checkers/checkers.h"
#include "checkers/linear/partition.h"
#include "checkers/tests/history_builder.h"

namespace faultline::checkers {
namespace {

using testing::HistoryBuilder;

Verdict Check(const History& h, ModelKind kind = ModelKind::kCasRegister, bool any_nil = false) {
  ModelOptions m;
  m.kind = kind;
  m.nil_read_matches_anything = any_nil;
  Budget b;
  b.time_limit_ms = 20'000;
  return CheckLinearizable(h, m, b).verdict;
}

TEST(Linearizability, EmptyHistoryIsValid) { EXPECT_EQ(Check(History{}), Verdict::kValid); }

TEST(Linearizability, SequentialWriteThenReadOfItIsValid) {
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Read(2, "1", 20, 30).Build();
  EXPECT_EQ(Check(h), Verdict::kValid);
}

TEST(Linearizability, ReadOfAValueNeverWrittenIsInvalid) {
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Read(2, "2", 20, 30).Build();
  EXPECT_EQ(Check(h), Verdict::kInvalid);
}

TEST(Linearizability, StaleReadAfterACompletedWriteIsInvalid) {
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Write(1, "2", 20, 30).Read(2, "1", 40, 50).Build();
  EXPECT_EQ(Check(h), Verdict::kInvalid);
}

TEST(Linearizability, ConcurrentWritesMayBeObservedInEitherOrder) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 100)
               .Write(2, "2", 0, 100)
               .Read(3, "2", 10, 20)
               .Read(4, "1", 30, 40)
               .Build();
  EXPECT_EQ(Check(h), Verdict::kValid);
}

TEST(Linearizability, ReadsFlipFloppingBetweenTwoConcurrentWritesAreInvalid) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 100)
               .Write(2, "2", 0, 100)
               .Read(3, "1", 10, 20)
               .Read(3, "2", 30, 40)
               .Read(3, "1", 50, 60)
               .Build();
  EXPECT_EQ(Check(h), Verdict::kInvalid);
}

TEST(Linearizability, InfoWriteMayTakeEffectLongAfterItsInvoke) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 10)
               .Write(2, "2", 20, 30, Outcome::kInfo)
               .Read(3, "1", 40, 50)
               .Read(3, "2", 60, 70)
               .Build();
  EXPECT_EQ(Check(h), Verdict::kValid);
}

TEST(Linearizability, InfoWriteMayNeverTakeEffect) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 10)
               .Write(2, "2", 20, kOpenNs, Outcome::kInfo)
               .Read(3, "1", 40, 50)
               .Build();
  EXPECT_EQ(Check(h), Verdict::kValid);
}

TEST(Linearizability, FailedWriteNeverTookEffect) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 10)
               .Write(2, "2", 20, 30, Outcome::kFail)
               .Read(3, "2", 40, 50)
               .Build();
  EXPECT_EQ(Check(h), Verdict::kInvalid);
}

TEST(Linearizability, CasSucceedsOnlyOnTheExpectedValue) {
  auto ok =
      HistoryBuilder().Write(1, "1", 0, 10).Cas(1, "1", "2", 20, 30).Read(2, "2", 40, 50).Build();
  EXPECT_EQ(Check(ok), Verdict::kValid);
  auto bad = HistoryBuilder().Write(1, "1", 0, 10).Cas(1, "3", "2", 20, 30).Build();
  EXPECT_EQ(Check(bad), Verdict::kInvalid);
}

TEST(Linearizability, CasMismatchObservesThatTheValueDiffered) {
  HistoryBuilder b;
  b.Write(1, "1", 0, 10).Cas(2, "1", "2", 20, 30);
  b.history().ops.back().f = Fn::kCasMismatch;  // "not swapped" while the value is certainly 1
  EXPECT_EQ(Check(b.Build()), Verdict::kInvalid);
  b.Write(3, "5", 15, 25);  // a concurrent write explains the mismatch
  EXPECT_EQ(Check(b.Build()), Verdict::kValid);
}

TEST(Linearizability, ReadOfNilMustSeeAbsentValueUnlessKnossosSemantics) {
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Read(2, std::nullopt, 20, 30).Build();
  EXPECT_EQ(Check(h, ModelKind::kCasRegister, false), Verdict::kInvalid);
  EXPECT_EQ(Check(h, ModelKind::kCasRegister, true), Verdict::kValid);
}

TEST(Linearizability, KeysAreJudgedIndependently) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 10, Outcome::kOk, "a")
               .Read(2, "1", 20, 30, Outcome::kOk, "a")
               .Write(1, "1", 0, 10, Outcome::kOk, "b")
               .Read(2, "9", 20, 30, Outcome::kOk, "b")
               .Build();
  ModelOptions m;
  m.kind = ModelKind::kKv;
  LinearizabilityResult r = CheckLinearizable(h, m, Budget{});
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  ASSERT_EQ(r.keys.size(), 2u);
  EXPECT_EQ(r.keys[0].key, "a");
  EXPECT_EQ(r.keys[0].verdict, Verdict::kValid);
  EXPECT_EQ(r.keys[1].verdict, Verdict::kInvalid);
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_EQ(r.anomalies[0].key, "b");
}

TEST(Linearizability, ExhaustedTimeBudgetGivesUnknownNeverValid) {
  // Many concurrent writes and an impossible read at the end: the search must give up.
  HistoryBuilder b;
  for (int i = 0; i < 40; ++i) b.Write(i, std::to_string(i), 0, 1000);
  for (int i = 0; i < 40; ++i) b.Read(100 + i, std::to_string(i), 10 + i, 11 + i);
  b.Read(200, "nope", 2000, 2001);
  ModelOptions m;
  Budget budget;
  budget.time_limit_ms = 0;
  budget.shrink = false;
  LinearizabilityResult r = CheckLinearizable(b.Build(), m, budget);
  EXPECT_NE(r.verdict, Verdict::kValid);
}

TEST(Linearizability, MemoryBudgetExceededGivesUnknownWithReason) {
  HistoryBuilder b;
  for (int i = 0; i < 30; ++i) b.Write(i, std::to_string(i), 0, 1000);
  b.Read(200, "nope", 2000, 2001);
  ModelOptions m;
  Budget budget;
  budget.memory_limit_bytes = 1;
  budget.shrink = false;
  LinearizabilityResult r = CheckLinearizable(b.Build(), m, budget);
  EXPECT_EQ(r.verdict, Verdict::kUnknown);
  EXPECT_NE(r.reason.find("memory"), std::string::npos) << r.reason;
}

TEST(Linearizability, StatesExploredAndPeakMemoryAreReported) {
  auto h =
      HistoryBuilder().Write(1, "1", 0, 100).Write(2, "2", 0, 100).Read(3, "2", 200, 300).Build();
  LinearizabilityResult r = CheckLinearizable(h, ModelOptions{}, Budget{});
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_GT(r.states_explored, 0);
  EXPECT_GT(r.peak_memory_bytes, 0);
}

TEST(SetModel, ReadSetMustContainExactlyTheAddsLinearizedBeforeIt) {
  HistoryBuilder b;
  b.Add(1, Fn::kAdd, "1", 0, 10).Add(2, Fn::kAdd, "2", 5, 100);
  b.Add(3, Fn::kReadSet, std::nullopt, 20, 30).Add(3, Fn::kReadSet, std::nullopt, 200, 210);
  History ok = b.Build();
  ok.ops[2].elements = {"1"};  // add 2 still in flight
  ok.ops[3].elements = {"1", "2"};
  EXPECT_EQ(Check(ok, ModelKind::kSet), Verdict::kValid);
  History lost = ok;
  lost.ops[3].elements = {"2"};  // element 1 vanished
  EXPECT_EQ(Check(lost, ModelKind::kSet), Verdict::kInvalid);
}

TEST(MutexModel, TwoOverlappingHoldersAreInvalid) {
  HistoryBuilder b;
  b.Add(1, Fn::kAcquire, std::nullopt, 0, 10).Add(2, Fn::kAcquire, std::nullopt, 20, 30);
  EXPECT_EQ(Check(b.Build(), ModelKind::kMutex), Verdict::kInvalid);
  b.Add(1, Fn::kRelease, std::nullopt, 12, 15);  // released in between: fine
  EXPECT_EQ(Check(b.Build(), ModelKind::kMutex), Verdict::kValid);
}

TEST(MultiRegisterModel, TxnReadsMustSeeOneConsistentState) {
  auto txn = [](std::vector<TxnStep> steps, int64_t p, int64_t a, int64_t b) {
    Op op;
    op.process = p;
    op.f = Fn::kTxn;
    op.txn = std::move(steps);
    op.invoke_ns = a;
    op.complete_ns = b;
    op.outcome = Outcome::kOk;
    return op;
  };
  History h;
  h.ops.push_back(txn({{true, "x", "1"}, {true, "y", "1"}}, 1, 0, 10));
  h.ops.push_back(txn({{false, "x", "1"}, {false, "y", "1"}}, 2, 20, 30));
  EXPECT_EQ(Check(h, ModelKind::kMultiRegister), Verdict::kValid);
  h.ops.push_back(txn({{false, "x", "1"}, {false, "y", std::string("0")}}, 2, 40, 50));
  EXPECT_EQ(Check(h, ModelKind::kMultiRegister), Verdict::kInvalid);
}

TEST(KvStringModel, AppendsAreSeenInOneOrderByEveryGet) {
  HistoryBuilder b;
  b.Add(1, Fn::kAppend, "a", 0, 100, Outcome::kOk, "k")
      .Add(2, Fn::kAppend, "b", 0, 100, Outcome::kOk, "k");
  b.Add(3, Fn::kGet, "ba", 200, 210, Outcome::kOk, "k");
  History ok = b.Build();
  ok.initial_value = "";
  EXPECT_EQ(Check(ok, ModelKind::kKv), Verdict::kValid);
  b.Add(4, Fn::kGet, "ab", 220, 230, Outcome::kOk, "k");  // the other order, later: impossible
  History bad = b.Build();
  bad.initial_value = "";
  EXPECT_EQ(Check(bad, ModelKind::kKv), Verdict::kInvalid);
}

TEST(KvStringModel, PutResetsTheStringAndInfoAppendMayApplyLate) {
  HistoryBuilder b;
  b.Add(1, Fn::kAppend, "a", 0, 10, Outcome::kOk, "k");
  b.Add(2, Fn::kAppend, "z", 5, 6, Outcome::kInfo, "k");
  b.Add(1, Fn::kPut, "p", 20, 30, Outcome::kOk, "k");
  b.Add(3, Fn::kGet, "p", 40, 50, Outcome::kOk, "k");
  b.Add(3, Fn::kGet, "pz", 60, 70, Outcome::kOk, "k");
  History h = b.Build();
  h.initial_value = "";
  EXPECT_EQ(Check(h, ModelKind::kKv), Verdict::kValid);
}

TEST(Linearizability, StopEarlyLeavesOtherKeysUnknownNotValid) {
  HistoryBuilder b;
  b.Write(1, "1", 0, 10, Outcome::kOk, "a").Read(2, "9", 20, 30, Outcome::kOk, "a");
  for (int k = 0; k < 8; ++k) b.Write(1, "1", 0, 10, Outcome::kOk, "k" + std::to_string(k));
  ModelOptions m;
  Budget budget;
  budget.stop_on_first_invalid = true;
  budget.threads = 1;
  LinearizabilityResult r = CheckLinearizable(b.Build(), m, budget);
  EXPECT_EQ(r.verdict, Verdict::kInvalid);
  // Key "a" has the most ops, so it is checked first; the others are never claimed valid.
  for (const KeyResult& k : r.keys) {
    if (k.key != "a") {
      EXPECT_EQ(k.verdict, Verdict::kUnknown) << k.key;
    }
  }
}

}  // namespace
}  // namespace faultline::checkers
