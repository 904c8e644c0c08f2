// The etcd log importer on real etcd 3.4.23 logs (testdata/etcd/server-3.4/, see its README for
// what happened during the capture).
#include "harness/systems/etcd/log_import.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "checkers/checkers.h"

namespace faultline::harness::etcd {
namespace {

using checkers::NodeEvent;

const std::map<std::string, NodeId> kPeerUrls = {
    {"http://127.0.0.1:23801", 1}, {"http://127.0.0.1:23802", 2}, {"http://127.0.0.1:23803", 3}};

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/testdata/etcd/server-3.4/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<NodeEvent> Node(int id) {
  return ImportEtcdLog(ReadTestdata("kill-pause-n" + std::to_string(id) + ".log"), id, kPeerUrls);
}

std::vector<const NodeEvent*> OfType(const std::vector<NodeEvent>& events, const std::string& t) {
  std::vector<const NodeEvent*> out;
  for (const NodeEvent& e : events) {
    if (e.type == t) out.push_back(&e);
  }
  return out;
}

TEST(EtcdLogImport, StartsAndRestartsNameTheMember) {
  auto n1 = Node(1);
  auto starts = OfType(n1, "start");
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0]->fields["member_id"], "a6bac19c5a26dc7f");
  EXPECT_EQ(starts[0]->fields["restarted"], false);
  EXPECT_EQ(starts[1]->fields["restarted"], true);  // after the SIGKILL
  EXPECT_EQ(starts[0]->node, 1);
  EXPECT_EQ(starts[0]->fields["node"], 1);
  EXPECT_EQ(starts[0]->fields["type"], "start");
}

TEST(EtcdLogImport, BecameLeaderIsAnEstablishedEpochWithTheTerm) {
  auto n1 = Node(1);
  auto est = OfType(n1, "established");
  ASSERT_EQ(est.size(), 1u);
  EXPECT_EQ(est[0]->fields["epoch"], 2);
  EXPECT_EQ(est[0]->fields["leader"], 1);
  EXPECT_EQ(est[0]->ts_ms, ParseLogTimestampMs("2026-12-01T20:55:51.686Z"));
  auto n3 = Node(3);
  auto est3 = OfType(n3, "established");
  ASSERT_EQ(est3.size(), 1u);
  EXPECT_EQ(est3[0]->fields["epoch"], 5);
}

TEST(EtcdLogImport, ElectedLeadersAreMappedToNodeIdsThroughPeerUrls) {
  auto n1 = Node(1);
  std::vector<std::pair<int64_t, int64_t>> elected;  // (term, leader)
  for (const NodeEvent* e : OfType(n1, "elected")) {
    elected.emplace_back(e->fields["epoch"].get<int64_t>(), e->fields["leader"].get<int64_t>());
  }
  // n1 led term 2; after its restart it followed n2 (term 3), then n3 (term 5).
  EXPECT_EQ(elected, (std::vector<std::pair<int64_t, int64_t>>{{2, 1}, {3, 2}, {5, 3}}));
  auto lost = OfType(n1, "leader_lost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0]->fields["leader"], 2);
  EXPECT_EQ(lost[0]->fields["epoch"], 4);
}

TEST(EtcdLogImport, RolesFollowRaftStates) {
  auto n3 = Node(3);
  std::vector<std::string> roles;
  for (const NodeEvent* e : OfType(n3, "role")) {
    roles.push_back(e->fields["role"].get<std::string>() + "@" +
                    std::to_string(e->fields["epoch"].get<int64_t>()));
  }
  EXPECT_EQ(roles,
            (std::vector<std::string>{"following@0", "following@1", "following@2", "following@3",
                                      "looking@4", "looking@5", "leading@5"}));
}

TEST(EtcdLogImport, ALeaderThatBecomesFollowerStepsDown) {
  // n2 led term 3, was SIGSTOPped, and on SIGCONT found term 5 led by n3.
  auto n2 = Node(2);
  auto downs = OfType(n2, "step_down");
  ASSERT_EQ(downs.size(), 1u);
  EXPECT_EQ(downs[0]->fields["epoch"], 5);
  auto elected = OfType(n2, "elected");
  ASSERT_FALSE(elected.empty());
  EXPECT_EQ(elected.back()->fields["leader"], 3);  // "changed leader from n2 to n3 at term 5"
  EXPECT_EQ(elected.back()->fields["previous_leader"], 2);
  // A killed leader writes nothing; its restart is a start, not a step_down.
  EXPECT_TRUE(OfType(Node(1), "step_down").empty());
}

TEST(EtcdLogImport, TheCapturedRunHasOneLeaderPerTerm) {
  std::vector<NodeEvent> all;
  for (int id = 1; id <= 3; ++id) {
    auto n = Node(id);
    all.insert(all.end(), n.begin(), n.end());
  }
  auto result = checkers::CheckZabInvariants(all);
  EXPECT_TRUE(result.anomalies.empty()) << result.anomalies.front().description;
  // The same events with a second leader claimed in term 3 are caught (Raft election safety).
  NodeEvent extra = *OfType(Node(3), "established").front();
  extra.fields.Set("epoch", 3);
  all.push_back(extra);
  auto bad = checkers::CheckZabInvariants(all);
  ASSERT_EQ(bad.anomalies.size(), 1u);
  EXPECT_NE(bad.anomalies[0].description.find("two established leaders in epoch 3"),
            std::string::npos)
      << bad.anomalies[0].description;
}

TEST(EtcdLogImport, NonJsonAndTornLinesAreCountedNotImported) {
  std::string text =
      "2026-12-01 20:56:48.423419 E | rafthttp: request sent was ignored\n"
      R"({"level":"info","ts":"2026-12-01T20:55:51.686Z","caller":"raft/raft.go:771","msg":"a6bac19c5a26dc7f became leader at term 2"})"
      "\n"
      R"({"level":"info","ts":"2026-12-01T20:55:51.686Z","msg":"a6bac19c5a26dc7f becam)"
      "\n"
      R"({"level":"info","ts":"2026-12-01T20:55:52.000Z","msg":"a6bac19c5a26dc7f became follower at term 3"})";
  EtcdLogStats stats;
  auto events = ImportEtcdLog(text, 1, kPeerUrls, &stats);
  EXPECT_EQ(stats.lines, 3);  // the last line has no '\n' yet: etcd may still be writing it
  EXPECT_EQ(stats.not_json, 2);
  ASSERT_EQ(events.size(), 2u);  // role + established
  EXPECT_EQ(events[1].type, "established");
}

TEST(EtcdLogImport, UnknownMembersAreNamedByTheirRawId) {
  std::string text =
      R"({"level":"info","ts":"2026-12-01T20:55:51.686Z","msg":"raft.node: a6bac19c5a26dc7f elected leader 00000000000000ff at term 9"})"
      "\n";
  auto events = ImportEtcdLog(text, 1, kPeerUrls);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].fields["leader"], -1);
  EXPECT_EQ(events[0].fields["leader_member"], "00000000000000ff");
}

TEST(EtcdLogTimestamp, ParsesUtcAndOffsets) {
  EXPECT_EQ(ParseLogTimestampMs("1970-01-01T00:00:01.250Z"), 1250);
  EXPECT_EQ(ParseLogTimestampMs("1970-01-01T01:00:01.250+01:00"), 1250);
  EXPECT_EQ(ParseLogTimestampMs("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(ParseLogTimestampMs("1970-01-01T00:00:01.123456789Z"), 1123);
  EXPECT_EQ(ParseLogTimestampMs("2026-12-01T20:55:51.557Z"), 1796158551557);
  EXPECT_EQ(ParseLogTimestampMs(""), -1);
  EXPECT_EQ(ParseLogTimestampMs("2026-13-01T20:55:51.557Z"), -1);
  EXPECT_EQ(ParseLogTimestampMs("2026-12-01 20:55:51.557Z"), -1);
  EXPECT_EQ(ParseLogTimestampMs("2026-12-01T20:55:51.Z"), -1);
}

}  // namespace
}  // namespace faultline::harness::etcd
