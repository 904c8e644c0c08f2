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

TEST(Linearizability, EmptyHistoryIsValid) {
  EXPECT_EQ(Check(History{}), Verdict::kValid);
}

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
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Write(2, "2", 20, kOpenNs, Outcome::kInfo)
               .Read(3, "1", 40, 50).Build();
  EXPECT_EQ(Check(h), Verdict::kValid);
}

TEST(Linearizability, FailedWriteNeverTookEffect) {
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Write(2, "2", 20, 30, Outcome::kFail)
               .Read(3, "2", 40, 50).Build();
  EXPECT_EQ(Check(h), Verdict::kInvalid);
}

TEST(Linearizability, CasSucceedsOnlyOnTheExpectedValue) {
  auto ok = HistoryBuilder().Write(1, "1", 0, 10).Cas(1, "1", "2", 20, 30).Read(2, "2", 40, 50).Build();
  EXPECT_EQ(Check(ok), Verdict::kValid);
  auto bad = HistoryBuilder().Write(1, "1", 0, 10).Cas(1, "3", "2", 20, 30).Build();
  EXPECT_EQ(Check(bad), Verdict::kInvalid);
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
  auto h = HistoryBuilder().Write(1, "1", 0, 100).Write(2, "2", 0, 100).Read(3, "2", 200, 300).Build();
  LinearizabilityResult r = CheckLinearizable(h, ModelOptions{}, Budget{});
  EXPECT_EQ(r.verdict, Verdict::kValid);
  EXPECT_GT(r.states_explored, 0);
  EXPECT_GT(r.peak_memory_bytes, 0);
}

}  // namespace
}  // namespace faultline::checkers
