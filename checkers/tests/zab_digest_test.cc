// ZAB invariants: committed prefixes compared by the state digest zabd stamps on each
// `committed` range (issue 12: "a divergence inside a merged range can be missed").
#include <gtest/gtest.h>

#include "checkers/checkers.h"
#include "checkers/zab/zxid.h"

namespace faultline::checkers {
namespace {

using nlohmann::json;

NodeEvent Committed(int64_t node, int64_t ts, int64_t first, int64_t last,
                    std::optional<uint64_t> digest) {
  json f = {{"node", node},   {"ts_ms", ts},  {"type", "committed"},
            {"first", first}, {"last", last}, {"count", last - first + 1}};
  if (digest) f["digest"] = *digest;
  return {node, ts, "committed", FieldList::FromJson(f)};
}

// Node 1 committed 1..10 in one merged range; node 2 in two ranges, 1..4 and 5..10, and its
// txn 7 differs (or is missing): no range boundary lies at 7, every boundary zxid is committed by
// both, so only the digests at 10 show it.
std::vector<NodeEvent> DivergingInsideARange(bool with_digests) {
  auto d = [&](uint64_t v) { return with_digests ? std::optional<uint64_t>(v) : std::nullopt; };
  return {Committed(1, 10, MakeZxid(1, 1), MakeZxid(1, 10), d(0xaaaa)),
          Committed(2, 11, MakeZxid(1, 1), MakeZxid(1, 4), d(0x1234)),
          Committed(2, 12, MakeZxid(1, 5), MakeZxid(1, 10), d(0xbbbb))};
}

TEST(ZabInvariantsDigest, TwoNodesDivergingStrictlyInsideAMergedRangeAreReported) {
  InvariantResult r = CheckZabInvariants(DivergingInsideARange(true));
  ASSERT_EQ(r.verdict, Verdict::kInvalid) << r.reason;
  ASSERT_EQ(r.anomalies.size(), 1u);
  EXPECT_NE(r.anomalies[0].description.find("diverge at or before 0x10000000a"), std::string::npos)
      << r.anomalies[0].description;
  EXPECT_NE(r.anomalies[0].description.find("node 1 and node 2"), std::string::npos);
  EXPECT_EQ(r.anomalies[0].start_ns, 12 * 1'000'000);  // when the second digest was reported
}

TEST(ZabInvariantsDigest, WithoutDigestsTheSameLogPassesTheBoundaryComparison) {
  // The gap the digest closes: boundaries alone cannot see inside a range.
  EXPECT_EQ(CheckZabInvariants(DivergingInsideARange(false)).verdict, Verdict::kValid);
}

TEST(ZabInvariantsDigest, EqualDigestsAtCommonEndsAndEndsOnlyOneNodeReportedAreFine) {
  std::vector<NodeEvent> log = {Committed(1, 10, MakeZxid(1, 1), MakeZxid(1, 10), 0xaaaa),
                                Committed(2, 11, MakeZxid(1, 1), MakeZxid(1, 4), 0x1234),
                                Committed(2, 12, MakeZxid(1, 5), MakeZxid(1, 10), 0xaaaa),
                                Committed(3, 13, MakeZxid(1, 1), MakeZxid(1, 6), 0x5555)};
  InvariantResult r = CheckZabInvariants(log);
  EXPECT_EQ(r.verdict, Verdict::kValid) << r.reason;
}

TEST(ZabInvariantsDigest, ADigestBeyondTheOtherNodesCommittedPrefixIsNotCompared) {
  // Node 2 is behind (committed up to 4): nothing above 4 is compared, whatever it reports.
  std::vector<NodeEvent> log = {Committed(1, 10, MakeZxid(1, 1), MakeZxid(1, 10), 0xaaaa),
                                Committed(2, 11, MakeZxid(1, 1), MakeZxid(1, 4), 0x1234)};
  EXPECT_EQ(CheckZabInvariants(log).verdict, Verdict::kValid);
}

// zab.md 7.3 rule 5 (never snapshot an uncommitted tail; snapshot-uncommitted-tail, ZOOKEEPER-
// 1549): a prospective leader snapshots its state with its uncommitted tail applied but names
// the snapshot after its committed point. Its `snapshot` event carries the digest of what it
// wrote, which is not the digest committed there.
NodeEvent Snapshot(int64_t node, int64_t ts, int64_t zxid, std::optional<uint64_t> digest) {
  json f = {{"node", node}, {"ts_ms", ts}, {"type", "snapshot"}, {"zxid", zxid}};
  if (digest) f["digest"] = *digest;
  return {node, ts, "snapshot", FieldList::FromJson(f)};
}

TEST(ZabInvariantsDigest, ASnapshotWhoseStateIsNotTheStateCommittedAtItsNameIsReported) {
  std::vector<NodeEvent> log = {Committed(1, 10, MakeZxid(1, 1), MakeZxid(1, 4), 0x1234),
                                Committed(2, 11, MakeZxid(1, 1), MakeZxid(1, 4), 0x1234),
                                Snapshot(2, 20, MakeZxid(1, 4), 0x9999)};
  InvariantResult r = CheckZabInvariants(log);
  ASSERT_EQ(r.verdict, Verdict::kInvalid) << r.reason;
  ASSERT_EQ(r.anomalies.size(), 1u);  // once per snapshot, not once per node that disagrees
  EXPECT_EQ(r.anomalies[0].description,
            "node 2 wrote a snapshot at 20 ms named 0x100000004 (epoch 1, counter 4) whose state "
            "(digest 0000000000009999) is not the state committed there (node 1 committed up to "
            "it with digest 0000000000001234 at 10 ms): a snapshot holds more than its name "
            "(zab.md 7.3 rule 5, never snapshot an uncommitted tail)");
  EXPECT_EQ(r.anomalies[0].start_ns, 20 * 1'000'000);
}

TEST(ZabInvariantsDigest, ASnapshotOfTheCommittedStateOrWithNothingToCompareIsFine) {
  std::vector<NodeEvent> log = {Committed(1, 10, MakeZxid(1, 1), MakeZxid(1, 4), 0x1234),
                                Snapshot(1, 11, MakeZxid(1, 4), 0x1234),   // the same state
                                Snapshot(2, 12, MakeZxid(1, 3), 0x7777),   // no digest at 1|3
                                Snapshot(3, 13, MakeZxid(1, 4), std::nullopt)};  // no digest
  InvariantResult r = CheckZabInvariants(log);
  EXPECT_EQ(r.verdict, Verdict::kValid) << (r.anomalies.empty() ? "" : r.anomalies[0].description);
}

}  // namespace
}  // namespace faultline::checkers
