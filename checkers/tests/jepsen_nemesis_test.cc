// Jepsen nemesis ops -> neutral fault schedule, on hand-written histories in the shapes Jepsen
// writes (testdata/jepsen/) and on small inline ones.
#include "checkers/import/jepsen_nemesis.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "checkers/tests/test_files.h"

namespace faultline::checkers {
namespace {

namespace fs = std::filesystem;
using Kind = NemesisFault::Kind;

const fs::path kJepsen = testing::kTestdata / "jepsen";

NemesisSchedule Import(const std::string& text, const NemesisImportOptions& o = {}) {
  auto s = ImportJepsenNemesis(text, "h.edn", o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : NemesisSchedule{};
}

int Errors(const NemesisSchedule& s) {
  int n = 0;
  for (const NemesisIssue& i : s.issues) n += i.error;
  return n;
}

std::string Issues(const NemesisSchedule& s) {
  std::string out;
  for (const NemesisIssue& i : s.issues) {
    out += std::to_string(i.line) + (i.error ? " error: " : " warning: ") + i.message + "\n";
  }
  return out;
}

TEST(JepsenNemesis, CombinedPackageKillsPausesAndPartitionsWithTheirResults) {
  NemesisSchedule s = Import(testing::ReadTestFile(kJepsen / "combined.edn"));
  EXPECT_EQ(Errors(s), 0) << Issues(s);
  EXPECT_EQ(s.nemesis_ops, 16);
  EXPECT_EQ(s.end_ms, 40002);
  EXPECT_EQ(s.nodes, (std::set<std::string>{"n1", "n2", "n3", "n4", "n5"}));
  ASSERT_EQ(s.faults.size(), 4u) << Issues(s);

  const NemesisFault& kill = s.faults[0];  // :kill :primaries, completed {"n2" :killed}
  EXPECT_EQ(kill.kind, Kind::kKill);
  EXPECT_EQ(kill.offset_ms, 5000);
  EXPECT_EQ(kill.duration_ms, 4000);  // until :start :all
  EXPECT_EQ(kill.targets, std::vector<std::string>{"n2"});
  EXPECT_EQ(kill.line, 5);
  EXPECT_EQ(kill.end_line, 9);

  const NemesisFault& isolate = s.faults[1];
  EXPECT_EQ(isolate.kind, Kind::kPartition);
  EXPECT_EQ(isolate.offset_ms, 14000);
  EXPECT_EQ(isolate.duration_ms, 6000);
  ASSERT_TRUE(isolate.has_grudge);
  EXPECT_EQ(isolate.grudge.at("n3"), (std::set<std::string>{"n1", "n2", "n4", "n5"}));
  EXPECT_EQ(isolate.grudge.at("n1"), std::set<std::string>{"n3"});

  const NemesisFault& pause = s.faults[2];
  EXPECT_EQ(pause.kind, Kind::kPause);
  EXPECT_EQ(pause.targets, (std::vector<std::string>{"n4", "n5"}));
  EXPECT_EQ(pause.duration_ms, 3500);

  const NemesisFault& halves = s.faults[3];
  EXPECT_EQ(halves.kind, Kind::kPartition);
  EXPECT_EQ(halves.grudge.size(), 5u);
  EXPECT_EQ(halves.duration_ms, 5000);
}

TEST(JepsenNemesis, OlderPartitionerCutOffStringsAreGrudges) {
  NemesisSchedule s = Import(testing::ReadTestFile(kJepsen / "partitioner-cut-off.edn"));
  ASSERT_EQ(s.faults.size(), 2u) << Issues(s);
  EXPECT_EQ(s.faults[0].kind, Kind::kPartition);
  EXPECT_EQ(s.faults[0].grudge.at("n1"), (std::set<std::string>{"n3", "n4", "n5"}));
  EXPECT_EQ(s.faults[0].offset_ms, 10000);
  EXPECT_EQ(s.faults[0].duration_ms, 15000);
  // The #[...] printing of older Jepsen: a vector of alternating nodes and "sets".
  EXPECT_EQ(s.faults[1].grudge.at("n3"), (std::set<std::string>{"n1", "n2", "n4", "n5"}));
  EXPECT_EQ(s.faults[1].duration_ms, -1);  // never healed in the history
  EXPECT_EQ(Errors(s), 0) << Issues(s);
  ASSERT_EQ(s.issues.size(), 1u);
  EXPECT_EQ(s.issues[0].line, 9);
  EXPECT_NE(s.issues[0].message.find("not ended"), std::string::npos);
}

TEST(JepsenNemesis, OpsFaultlineCannotReplayAreErrorsNamingTheirLine) {
  NemesisSchedule s = Import(testing::ReadTestFile(kJepsen / "partition-unshaped.edn"));
  ASSERT_EQ(s.faults.size(), 1u);  // the partition; its shape is judged by the harness
  EXPECT_TRUE(s.faults[0].has_grudge);
  ASSERT_EQ(Errors(s), 2) << Issues(s);
  EXPECT_EQ(s.issues[0].line, 7);
  EXPECT_NE(s.issues[0].message.find(":start-packet"), std::string::npos) << Issues(s);
  EXPECT_EQ(s.issues[1].line, 9);
  EXPECT_NE(s.issues[1].message.find(":bump-clock"), std::string::npos) << Issues(s);
}

TEST(JepsenNemesis, NodeStartStopperKillsAreToldApartFromPartitions) {
  NemesisSchedule s = Import(R"([
{:type :info, :f :start, :process :nemesis, :time 1000000000}
{:type :info, :f :start, :process :nemesis, :time 1500000000, :value {"n1" [:killed "java"]}}
{:type :info, :f :stop, :process :nemesis, :time 4000000000}
{:type :info, :f :stop, :process :nemesis, :time 4100000000, :value {"n1" [:restarted "java"]}}
{:type :info, :f :start, :process :nemesis, :time 6000000000}
{:type :info, :f :start, :process :nemesis, :time 6000000001, :value {:n2 [:paused "java"]}}
{:type :info, :f :stop, :process :nemesis, :time 7000000000, :value nil}])");
  EXPECT_EQ(Errors(s), 0) << Issues(s);
  ASSERT_EQ(s.faults.size(), 2u) << Issues(s);
  EXPECT_EQ(s.faults[0].kind, Kind::kKill);
  EXPECT_EQ(s.faults[0].targets, std::vector<std::string>{"n1"});
  EXPECT_EQ(s.faults[0].duration_ms, 3000);
  EXPECT_EQ(s.faults[1].kind, Kind::kPause);
  EXPECT_EQ(s.faults[1].targets, std::vector<std::string>{"n2"});
  EXPECT_EQ(s.faults[1].duration_ms, 1000);  // a lone :stop entry ends it too
}

TEST(JepsenNemesis, BareStartWithoutResultNeedsToBeTold) {
  const std::string h = R"(
{:type :info, :f :start, :process :nemesis, :time 1000000000}
{:type :info, :f :start, :process :nemesis, :time 1000000001}
{:type :info, :f :stop, :process :nemesis, :time 3000000000}
{:type :info, :f :stop, :process :nemesis, :time 3000000001})";
  NemesisSchedule unknown = Import(h);
  EXPECT_TRUE(unknown.faults.empty());
  ASSERT_EQ(Errors(unknown), 2) << Issues(unknown);  // the :start, and the :stop that ends it
  EXPECT_NE(unknown.issues[0].message.find("--start-means"), std::string::npos);
  NemesisImportOptions o;
  o.bare_start_means = "partition";
  NemesisSchedule told = Import(h, o);
  EXPECT_EQ(Errors(told), 0) << Issues(told);
  ASSERT_EQ(told.faults.size(), 1u);
  EXPECT_EQ(told.faults[0].kind, Kind::kPartition);
  EXPECT_FALSE(told.faults[0].has_grudge);
  EXPECT_EQ(told.faults[0].duration_ms, 2000);
}

TEST(JepsenNemesis, NodeSpecsAreKeptWhenNoResultNamesTheNodes) {
  NemesisSchedule s = Import(R"([
{:type :info, :f :kill, :value :majority, :process :nemesis, :time 1000000000}
{:type :info, :f :kill, :value nil, :process :nemesis, :time 1000000002}
{:type :info, :f :start-partition, :value :majorities-ring, :process :nemesis, :time 2000000000}
{:type :info, :f :restart, :value ["n3"], :process :nemesis, :time 2500000000}
{:type :info, :f :recover, :value nil, :process :nemesis, :time 3000000000}])");
  EXPECT_EQ(Errors(s), 0) << Issues(s);
  ASSERT_EQ(s.faults.size(), 3u) << Issues(s);
  EXPECT_EQ(s.faults[0].target_spec, "majority");
  EXPECT_TRUE(s.faults[0].targets.empty());
  EXPECT_EQ(s.faults[0].duration_ms, 2000);  // :recover heals everything
  EXPECT_EQ(s.faults[1].partition_spec, "majorities-ring");
  EXPECT_EQ(s.faults[1].duration_ms, 1000);
  EXPECT_EQ(s.faults[2].kind, Kind::kRestart);
  EXPECT_EQ(s.faults[2].targets, std::vector<std::string>{"n3"});
}

TEST(JepsenNemesis, MissingTimeAndBadValuesAreErrorsNotSilence) {
  NemesisSchedule s = Import(R"([
{:type :info, :f :kill, :value :one, :process :nemesis}
{:type :info, :f :pause, :value 17, :process :nemesis, :time 5}
{:type :info, :f :start-partition, :value "sideways", :process :nemesis, :time 6}])");
  EXPECT_TRUE(s.faults.empty());
  ASSERT_EQ(Errors(s), 3) << Issues(s);
  EXPECT_NE(s.issues[0].message.find("no :time"), std::string::npos) << Issues(s);
  EXPECT_EQ(s.issues[1].line, 3);
  EXPECT_EQ(s.issues[2].line, 4);
}

TEST(JepsenNemesis, MalformedHistoryIsAStatusNamingTheLine) {
  auto bad = ImportJepsenNemesis("[{:type :info, :f :kill\n :process :nemesis", "x.edn");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("x.edn:"), std::string::npos) << bad.status().message();
  auto not_maps = ImportJepsenNemesis("[1 2]", "y.edn");
  ASSERT_FALSE(not_maps.ok());
  EXPECT_NE(not_maps.status().message().find("y.edn:1: expected an op map"), std::string::npos);
}

// Found by a hostile try: `faultline convert-jepsen empty.edn` wrote an empty suite and exited 0.
// A file with no op maps at all (empty, whitespace, comments, an empty vector) is an error naming
// it; a history of client ops without nemesis ops is still a schedule of no faults.
TEST(JepsenNemesis, AFileWithNoOpsIsNotAHistory) {
  for (const char* empty : {"", "\n  \n", "; only a comment\n", "[]"}) {
    auto r = ImportJepsenNemesis(empty, "e.edn");
    ASSERT_FALSE(r.ok()) << "'" << empty << "' imported";
    EXPECT_NE(r.status().message().find("e.edn: no ops"), std::string::npos)
        << r.status().message();
  }
  auto clients = ImportJepsenNemesis("{:type :invoke, :f :read, :process 0, :time 5}", "c.edn");
  ASSERT_TRUE(clients.ok()) << clients.status().ToString();
  EXPECT_TRUE(clients->faults.empty());
}

}  // namespace
}  // namespace faultline::checkers
