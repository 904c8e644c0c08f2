// Jepsen history.edn -> suite with an explicit nemesis.schedule, on the hand-written histories
// in Jepsen's shapes under testdata/jepsen/.
#include "harness/convert/jepsen_schedule.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "checkers/tests/test_files.h"
#include "harness/convert/convert_command.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

const fs::path kJepsen = checkers::testing::kTestdata / "jepsen";

JepsenConversion Convert(const std::string& name, const JepsenConvertOptions& o = {}) {
  auto c = ConvertJepsenHistory(checkers::testing::ReadTestFile(kJepsen / name), name, o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : JepsenConversion{};
}

std::string Issues(const JepsenConversion& c) {
  std::string out;
  for (const auto& i : c.issues) {
    out += std::to_string(i.line) + (i.error ? " error: " : " warning: ") + i.message + "\n";
  }
  return out;
}

// Faults are typed (harness/nemesis/fault.h); compared here by their suite names ("" for a
// target the shape ignores, and for the shape of a process fault).
std::string TargetOf(const ScheduledFault& f) {
  const bool partition = f.fault.kind == FaultKind::kPartition;
  return !partition || ShapeUsesTarget(f.fault.shape) ? TargetText(f.fault.target) : "";
}

void ExpectFault(const ScheduledFault& f, int64_t at, const std::string& kind,
                 const std::string& target, const std::string& shape, int64_t duration) {
  EXPECT_EQ(f.at_ms, at);
  EXPECT_EQ(FaultKindName(f.fault.kind), kind);
  EXPECT_EQ(TargetOf(f), target);
  EXPECT_EQ(f.fault.kind == FaultKind::kPartition ? PartitionShapeName(f.fault.shape) : "", shape);
  EXPECT_EQ(f.duration_ms, duration);
}

TEST(ConvertJepsen, CombinedPackageHistoryBecomesAnExplicitSchedule) {
  JepsenConversion c = Convert("combined.edn");
  EXPECT_EQ(c.errors, 0) << Issues(c);
  EXPECT_EQ(c.spec.system.nodes, 5);
  const auto& s = c.spec.nemesis.schedule;
  ASSERT_EQ(s.size(), 4u) << Issues(c);
  ExpectFault(s[0], 5000, "kill", "2", "", 4000);  // {"n2" :killed} .. :start :all
  ExpectFault(s[1], 14000, "partition", "3", "isolate-node", 6000);  // n3 cut from everyone
  ExpectFault(s[2], 25000, "pause", "4,5", "", 3500);
  ExpectFault(s[3], 31000, "partition", "", "halves", 5000);  // {n1 n2} | {n3 n4 n5}
  EXPECT_EQ(c.spec.time_limit_ms, 46000);                     // last op at 40 s, + 5 s
  EXPECT_TRUE(c.spec.nemesis.kinds.empty());

  // The YAML is a suite faultline reads back to the same schedule; its comments say where each
  // entry came from.
  auto back = ParseTestSpec(c.yaml, "back.yaml");
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << c.yaml;
  ASSERT_EQ(back->nemesis.schedule.size(), 4u);
  ExpectFault(back->nemesis.schedule[1], 14000, "partition", "3", "isolate-node", 6000);
  EXPECT_EQ(back->system.nodes, 5);
  EXPECT_EQ(c.yaml.rfind("# Converted by `faultline convert-jepsen` from combined.edn", 0), 0u);
  EXPECT_NE(c.yaml.find("# schedule[0] <- line 5: :kill -> kill 2"), std::string::npos) << c.yaml;
}

TEST(ConvertJepsen, OlderPartitionerGrudgesMatchFaultlineShapes) {
  JepsenConversion c = Convert("partitioner-cut-off.edn");
  EXPECT_EQ(c.errors, 0) << Issues(c);
  const auto& s = c.spec.nemesis.schedule;
  ASSERT_EQ(s.size(), 2u) << Issues(c);
  ExpectFault(s[0], 10000, "partition", "", "halves", 15000);
  // Never healed: it lasts until the history's last op (40.1 s), with a warning.
  ExpectFault(s[1], 40000, "partition", "3", "isolate-node", 100);
  EXPECT_NE(Issues(c).find("9 warning: lasts until the history ends"), std::string::npos)
      << Issues(c);
}

// A grudge that is none of faultline's shapes cannot be written in a suite: an error naming the
// line (and why), never a silently dropped or silently different partition.
TEST(ConvertJepsen, GrudgeOfNoFaultlineShapeIsAnErrorUnlessApproximated) {
  JepsenConversion c = Convert("partition-unshaped.edn");
  EXPECT_TRUE(c.spec.nemesis.schedule.empty());
  ASSERT_EQ(c.errors, 3) << Issues(c);  // the partition, the packet fault, the clock fault
  EXPECT_EQ(c.issues[0].line, 3);
  EXPECT_NE(c.issues[0].message.find("no grudge field"), std::string::npos) << Issues(c);
  EXPECT_NE(c.yaml.find("# NOT CONVERTED partition-unshaped.edn:3:"), std::string::npos) << c.yaml;

  JepsenConvertOptions approximate;
  approximate.approximate = true;
  JepsenConversion a = Convert("partition-unshaped.edn", approximate);
  EXPECT_EQ(a.errors, 2) << Issues(a);
  ASSERT_EQ(a.spec.nemesis.schedule.size(), 1u);
  ExpectFault(a.spec.nemesis.schedule[0], 2000, "partition", "", "random-halves", 5000);
}

// The same split under other node names is faultline's halves: renumbering the nodes (kills and
// pauses follow the same renaming) converts it exactly.
TEST(ConvertJepsen, RenumberingTheNodesTurnsAJepsenSplitIntoHalves) {
  JepsenConvertOptions renumber;
  renumber.renumber = true;
  JepsenConversion r = Convert("partition-unshaped.edn", renumber);
  EXPECT_EQ(r.errors, 2) << Issues(r);  // only the packet and clock faults remain
  ASSERT_EQ(r.spec.nemesis.schedule.size(), 1u);
  ExpectFault(r.spec.nemesis.schedule[0], 2000, "partition", "", "halves", 5000);
  EXPECT_NE(Issues(r).find("--renumber: nodes numbered n1=3,n2=1,n3=4,n4=2,n5=5"),
            std::string::npos)
      << Issues(r);
  EXPECT_NE(r.yaml.find("# Node ids: n1=3 n2=1 n3=4 n4=2 n5=5"), std::string::npos) << r.yaml;
}

TEST(ConvertJepsen, NodeIdsComeFromTheFlagOrFromTheNames) {
  const std::string h = R"([
{:type :info, :f :kill, :value ["alpha"], :process :nemesis, :time 1000000000}
{:type :info, :f :kill, :value {"alpha" :killed}, :process :nemesis, :time 1000000001}
{:type :info, :f :start, :value :all, :process :nemesis, :time 2000000000}
{:type :info, :f :pause, :value ["gamma"], :process :nemesis, :time 3000000000}
{:type :info, :f :resume, :value ["gamma"], :process :nemesis, :time 4000000000}])";
  auto sorted = ConvertJepsenHistory(h, "h.edn", {});
  ASSERT_TRUE(sorted.ok()) << sorted.status().ToString();
  ASSERT_EQ(sorted->spec.nemesis.schedule.size(), 2u);
  EXPECT_EQ(TargetOf(sorted->spec.nemesis.schedule[0]), "1");  // alpha=1 gamma=2
  EXPECT_EQ(TargetOf(sorted->spec.nemesis.schedule[1]), "2");
  EXPECT_EQ(sorted->spec.system.nodes, 3);
  EXPECT_NE(sorted->issues[0].message.find("alpha=1,gamma=2"), std::string::npos);

  JepsenConvertOptions o;
  o.node_ids = *ParseNodeIds("gamma=1,alpha=5");
  auto flagged = ConvertJepsenHistory(h, "h.edn", o);
  ASSERT_TRUE(flagged.ok()) << flagged.status().ToString();
  EXPECT_EQ(TargetOf(flagged->spec.nemesis.schedule[0]), "5");
  EXPECT_EQ(flagged->spec.system.nodes, 5);

  o.node_ids = *ParseNodeIds("alpha=1");
  auto missing = ConvertJepsenHistory(h, "h.edn", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("\"gamma\""), std::string::npos);
  o.node_ids = *ParseNodeIds("alpha=1,gamma=6");
  EXPECT_FALSE(ConvertJepsenHistory(h, "h.edn", o).ok());  // past 5 nodes
}

TEST(ConvertJepsen, BadNodeFlagsAreErrorsNamingThePart) {
  EXPECT_NE(ParseNodeIds("n1=1,n2").status().message().find("'n2' is not NAME=ID"),
            std::string::npos);
  EXPECT_NE(ParseNodeIds("n1=0").status().message().find("'n1=0'"), std::string::npos);
  EXPECT_NE(ParseNodeIds("n1=1,n2=1").status().message().find("id 1 is given twice"),
            std::string::npos);
  EXPECT_NE(ParseNodeIds("n1=1,n1=2").status().message().find("\"n1\" is given twice"),
            std::string::npos);
  EXPECT_FALSE(ParseNodeIds("").ok());
}

TEST(ConvertJepsen, CommandPrintsTheSuiteAndExitsTwoWhenSomethingIsNotConverted) {
  for (auto [name, code] : {std::pair{"combined.edn", 0}, {"partition-unshaped.edn", 2}}) {
    CLI::App app;
    std::ostringstream out, err;
    int exit_code = -1;
    AddConvertJepsenCommand(app, &exit_code, out, err);
    app.parse("convert-jepsen " + (kJepsen / name).string(), false);
    EXPECT_EQ(exit_code, code) << name << "\n" << err.str();
    EXPECT_NE(out.str().find("nemesis:"), std::string::npos) << out.str();
    if (code == 2) {
      EXPECT_NE(err.str().find("partition-unshaped.edn:3: error: partition grudge"),
                std::string::npos)
          << err.str();
    }
  }
  CLI::App app;
  std::ostringstream out, err;
  int exit_code = -1;
  AddConvertJepsenCommand(app, &exit_code, out, err);
  app.parse("convert-jepsen /nonexistent/history.edn", false);
  EXPECT_EQ(exit_code, 2);
  EXPECT_TRUE(out.str().empty());
  EXPECT_NE(err.str().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace faultline::harness
