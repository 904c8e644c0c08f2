#include "harness/scenario/record.h"

#include <gtest/gtest.h>

namespace faultline::harness::scenario {
namespace {

checkers::NodeEvent Ev(NodeId node, int64_t ts, std::string type, nlohmann::json fields) {
  checkers::NodeEvent e;
  e.node = node;
  e.ts_ms = ts;
  e.type = type;
  fields["type"] = type;
  fields["node"] = node;
  fields["ts_ms"] = ts;
  e.fields = checkers::FieldList::FromJson(fields);
  return e;
}

OpRecord Write(std::string name, std::string value, checkers::Outcome outcome,
               std::optional<int64_t> zxid, NodeId leader, int64_t before, int64_t submit_ms) {
  OpRecord r;
  r.name = std::move(name);
  r.op.f = checkers::Fn::kWrite;
  r.op.key = "x";
  r.op.value = std::move(value);
  r.op.outcome = outcome;
  r.op.complete_ns = submit_ms * 1000000 + 1;
  r.op.invoke_ns = submit_ms * 1000000;
  r.op.zxid = zxid;
  r.target = leader;
  r.leader_at_submit = leader;
  r.leader_last_zxid_before = before;
  r.submit_ms = submit_ms;
  return r;
}

TEST(ResolveOpZxids, AnInfoWriteGetsTheNextZxidItsLeaderLogged) {
  std::vector<OpRecord> ops = {
      Write("w0", "0", checkers::Outcome::kOk, 0x100000001, 3, 0, 100),
      Write("w1", "1", checkers::Outcome::kInfo, std::nullopt, 3, 0x100000001, 200)};
  std::map<NodeId, std::vector<checkers::NodeEvent>> events;
  events[3] = {Ev(3, 100, "logged", {{"first", 0x100000001}, {"last", 0x100000001}}),
               Ev(3, 200, "logged", {{"first", 0x100000002}, {"last", 0x100000002}})};
  auto z = ResolveOpZxids(ops, events);
  EXPECT_EQ(z.at("w0"), 0x100000001);
  EXPECT_EQ(z.at("w1"), 0x100000002);
}

TEST(ResolveOpZxids, PendingWritesAreAttributedInSubmitOrderAndSkipAckedZxids) {
  std::vector<OpRecord> ops = {
      Write("a", "a", checkers::Outcome::kInfo, std::nullopt, 1, 0x100000000, 100),
      Write("b", "b", checkers::Outcome::kOk, 0x100000001, 1, 0x100000000, 100),
      Write("c", "c", checkers::Outcome::kInfo, std::nullopt, 1, 0x100000000, 100)};
  std::map<NodeId, std::vector<checkers::NodeEvent>> events;
  events[1] = {Ev(1, 100, "logged", {{"first", 0x100000001}, {"last", 0x100000003}})};
  auto z = ResolveOpZxids(ops, events);
  EXPECT_EQ(z.at("b"), 0x100000001);
  EXPECT_EQ(z.at("a"), 0x100000002);
  EXPECT_EQ(z.at("c"), 0x100000003);
}

TEST(ResolveOpZxids, NothingLoggedAfterTheSubmitMeansNoZxid) {
  std::vector<OpRecord> ops = {
      Write("w1", "1", checkers::Outcome::kInfo, std::nullopt, 2, 0x100000005, 500)};
  std::map<NodeId, std::vector<checkers::NodeEvent>> events;
  events[2] = {Ev(2, 100, "logged", {{"first", 0x100000001}, {"last", 0x100000005}})};
  EXPECT_TRUE(ResolveOpZxids(ops, events).empty());
}

Scenario OneWrite(const std::string& outcome) {
  Result<Scenario> s = ParseScenario(
      "name: t\nsteps:\n  - write: {name: w1, value: '1'}\n"
      "  - expect: {op: w1, outcome: " +
          outcome + "}\n  - expect: acked-kept\n",
      "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return *s;
}

ScenarioRecord Finals(std::vector<std::optional<std::string>> values, checkers::Outcome w1) {
  ScenarioRecord rec;
  rec.nodes = static_cast<int>(values.size());
  rec.ops = {Write("w1", "1", w1, std::nullopt, 1, 0, 100)};
  for (size_t i = 0; i < values.size(); ++i) rec.final_values[i + 1]["x"] = values[i];
  return rec;
}

TEST(EvaluateExpectations, KeptHoldsOnlyWhenEveryNodeHasTheValue) {
  auto r =
      EvaluateExpectations(OneWrite("kept"), Finals({"1", "1", "1"}, checkers::Outcome::kInfo));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(r[0].held) << r[0].detail;
  EXPECT_NE(r[0].detail.find("w1 was info for the client"), std::string::npos) << r[0].detail;
  r = EvaluateExpectations(OneWrite("kept"),
                           Finals({"1", std::nullopt, "1"}, checkers::Outcome::kInfo));
  EXPECT_FALSE(r[0].held);
  EXPECT_NE(r[0].detail.find("divergent (n1, n3 have x=1, n2 do not)"), std::string::npos)
      << r[0].detail;
}

TEST(EvaluateExpectations, LostHoldsWhenNoNodeHasTheValue) {
  auto r = EvaluateExpectations(OneWrite("lost"), Finals({std::nullopt, std::nullopt, std::nullopt},
                                                         checkers::Outcome::kInfo));
  EXPECT_TRUE(r[0].held) << r[0].detail;
  EXPECT_TRUE(r[1].held) << r[1].detail;  // an info write may be lost
  r = EvaluateExpectations(OneWrite("lost"), Finals({"1", "1", "1"}, checkers::Outcome::kInfo));
  EXPECT_FALSE(r[0].held);
}

TEST(EvaluateExpectations, EitherStillFailsOnDivergence) {
  auto r =
      EvaluateExpectations(OneWrite("either"), Finals({"1", "1", "1"}, checkers::Outcome::kInfo));
  EXPECT_TRUE(r[0].held);
  r = EvaluateExpectations(OneWrite("either"),
                           Finals({"1", std::nullopt, std::nullopt}, checkers::Outcome::kInfo));
  EXPECT_FALSE(r[0].held);
}

TEST(EvaluateExpectations, AnAcknowledgedWriteMissingOnOneNodeFailsAckedKept) {
  auto r = EvaluateExpectations(OneWrite("either"),
                                Finals({"1", std::nullopt, "1"}, checkers::Outcome::kOk));
  EXPECT_FALSE(r[1].held);
  EXPECT_NE(r[1].detail.find("w1 (x=1, ok) is missing on n2"), std::string::npos) << r[1].detail;
}

TEST(EvaluateExpectations, AnUnreadNodeCannotBeJudgedKept) {
  ScenarioRecord rec = Finals({"1", "1", "1"}, checkers::Outcome::kOk);
  rec.final_values.erase(2);
  auto r = EvaluateExpectations(OneWrite("kept"), rec);
  EXPECT_FALSE(r[0].held);
  EXPECT_NE(r[0].detail.find("failed on n2"), std::string::npos);
}

TEST(EvaluateExpectations, SyncExpectationReadsTheLastDecisionBeforeTheExpectStep) {
  Result<Scenario> s = ParseScenario(
      "name: t\nsteps:\n  - write: {name: w1}\n  - expect: {sync: {node: n3, mode: DIFF, first: "
      "w1, last: w1}}\n",
      "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ScenarioRecord rec;
  rec.ops = {Write("w1", "w1", checkers::Outcome::kOk, 0x100000002, 1, 0, 100)};
  rec.step_ms[2] = 1000;
  rec.events[1] = {
      Ev(1, 500, "sync_decision",
         {{"peer", 3}, {"mode", "DIFF"}, {"first_sent", 0x100000002}, {"last_sent", 0x100000004}}),
      Ev(1, 1500, "sync_decision", {{"peer", 3}, {"mode", "SNAP"}})};
  auto r = EvaluateExpectations(*s, rec);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].held) << r[0].detail;
  rec.ops[0].op.zxid = 0x100000001;  // not in the range sent
  r = EvaluateExpectations(*s, rec);
  EXPECT_FALSE(r[0].held) << r[0].detail;
}

}  // namespace
}  // namespace faultline::harness::scenario
