#include <gtest/gtest.h>

#include <algorithm>

#include "checkers/checkers.h"
#include "checkers/linear/partition.h"
#include "checkers/tests/generated_history.h"
#include "checkers/tests/history_builder.h"

namespace faultline::checkers {
namespace {

using testing::HistoryBuilder;

bool StillIllegal(const ModelOptions& m, const std::vector<const Op*>& ops) {
  return CheckPartition(m, ops, std::nullopt, SearchLimits{}).verdict == Verdict::kInvalid;
}

// Nightly size (checkers_bench --nightly): key 0 of a generated 108,000-op history, 9,580 ops,
// with one read returning the value of a write 2,000 writes back. The report must show the
// 1-minimal counterexample, not all 9,580 ops: shrinking has to finish well inside its 5 s (with
// the search of 291f958^, deciding the key alone exhausted the 1 GB memory budget).
TEST(Shrink, NightlySizeKeyShrinksToTheStaleReadAndItsWrites) {
  History all = testing::NightlyHistory(108'000, 10, 2000, 42);
  ModelOptions m;
  std::vector<const Op*> ops;
  for (const Op& op : all.ops) {
    if (op.key == "0" && op.outcome != Outcome::kFail) ops.push_back(&op);
  }
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op* a, const Op* b) { return a->invoke_ns < b->invoke_ns; });
  ASSERT_TRUE(StillIllegal(m, ops));
  Shrunk s = ShrinkIllegal(m, ops, std::nullopt,
                           std::chrono::steady_clock::now() + std::chrono::seconds(60));
  EXPECT_TRUE(s.minimal);
  EXPECT_EQ(s.ops.size(), 3u);  // the stale read, the write it saw, one write after that
  EXPECT_LT(s.candidates, 200);
}

TEST(Shrink, ResultIsIllegalAndNoSingleOpCanBeRemoved) {
  // A stale read buried among unrelated, legal traffic.
  HistoryBuilder b;
  for (int i = 0; i < 20; ++i) {
    b.Write(i % 4, "w" + std::to_string(i), 100 * i, 100 * i + 50);
    b.Read(10 + i % 3, "w" + std::to_string(i), 100 * i + 60, 100 * i + 70);
  }
  b.Read(99, "w3", 5000, 5010);  // w19 completed long before: stale
  History h = b.Build();
  ModelOptions m;
  std::vector<const Op*> ops;
  for (const Op& op : h.ops) ops.push_back(&op);
  ASSERT_TRUE(StillIllegal(m, ops));

  Shrunk s = ShrinkIllegal(m, ops, std::nullopt,
                           std::chrono::steady_clock::now() + std::chrono::seconds(20));
  EXPECT_TRUE(s.minimal);
  EXPECT_LT(s.ops.size(), ops.size());
  EXPECT_TRUE(StillIllegal(m, s.ops));
  EXPECT_TRUE(ObservedValuesSupported(s.ops, std::nullopt));
  for (size_t i = 0; i < s.ops.size(); ++i) {
    std::vector<const Op*> fewer = s.ops;
    fewer.erase(fewer.begin() + static_cast<long>(i));
    EXPECT_FALSE(StillIllegal(m, fewer) && ObservedValuesSupported(fewer, std::nullopt))
        << "op " << s.ops[i]->index << " could still be removed";
  }
  // The stale read, the write it saw and a later completed write are the whole story.
  EXPECT_EQ(s.ops.size(), 3u);
}

TEST(Shrink, ReadOfAValueNobodyWroteShrinksToThatRead) {
  auto h = HistoryBuilder().Write(1, "1", 0, 10).Write(2, "2", 20, 30).Read(3, "7", 40, 50).Build();
  std::vector<const Op*> ops;
  for (const Op& op : h.ops) ops.push_back(&op);
  Shrunk s = ShrinkIllegal(ModelOptions{}, ops, std::nullopt,
                           std::chrono::steady_clock::now() + std::chrono::seconds(20));
  ASSERT_EQ(s.ops.size(), 1u);
  EXPECT_EQ(s.ops[0]->index, 2);
}

TEST(Shrink, InvalidKeyReportNamesTheUnexplainedReadAndActiveFaults) {
  auto h = HistoryBuilder()
               .Write(1, "1", 0, 10)
               .Write(1, "2", 20, 30)
               .Read(2, "1", 40, 50)
               .Fault("partition", {2}, 15, 45)
               .Fault("kill", {3}, 1000, 2000)
               .Build();
  LinearizabilityResult r = CheckLinearizable(h, ModelOptions{}, Budget{});
  ASSERT_EQ(r.anomalies.size(), 1u);
  const Anomaly& a = r.anomalies[0];
  EXPECT_NE(a.description.find("read of 1 by process 2"), std::string::npos) << a.description;
  EXPECT_NE(a.detail.find("partition 2"), std::string::npos) << a.detail;
  EXPECT_EQ(a.detail.find("kill"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("p2"), std::string::npos) << a.detail;  // a process row
  EXPECT_EQ(r.keys[0].minimal_ops.size(), 3u);
}

}  // namespace
}  // namespace faultline::checkers
