// Unit tests of shrink's parts: ddmin, "the same anomaly", and the shrink loop with a scripted
// attempter (which schedules reproduce is fixed by the test), repro.yaml and the interrupt.
#include "harness/shrink/shrink.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/convert/jepsen_schedule.h"
#include "harness/run/interrupt.h"
#include "harness/shrink/ddmin.h"
#include "harness/shrink/target.h"

namespace faultline::harness::shrink {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::vector<size_t>& s, std::initializer_list<size_t> need) {
  for (size_t n : need) {
    if (std::find(s.begin(), s.end(), n) == s.end()) return false;
  }
  return true;
}

TEST(Ddmin, FindsTheTwoEntriesThatMatterAndIsOneMinimal) {
  std::set<std::vector<size_t>> seen;
  DdminResult r = Ddmin(8, [&](const std::vector<size_t>& s) {
    EXPECT_TRUE(seen.insert(s).second) << "a subset was tested twice";
    return Contains(s, {2, 5}) ? Trial::kReproduced : Trial::kNotReproduced;
  });
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.best, (std::vector<size_t>{2, 5}));
  EXPECT_EQ(r.tests, static_cast<int>(seen.size()));
  EXPECT_TRUE(seen.count({})) << "the empty schedule is tried";
}

TEST(Ddmin, AnAnomalyWithoutFaultsShrinksToNothingInOneTest) {
  DdminResult r = Ddmin(5, [](const std::vector<size_t>&) { return Trial::kReproduced; });
  EXPECT_TRUE(r.complete);
  EXPECT_TRUE(r.best.empty());
  EXPECT_EQ(r.tests, 1);
}

TEST(Ddmin, SingleNeededEntryAmongMany) {
  DdminResult r = Ddmin(11, [](const std::vector<size_t>& s) {
    return Contains(s, {7}) ? Trial::kReproduced : Trial::kNotReproduced;
  });
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.best, (std::vector<size_t>{7}));
}

TEST(Ddmin, InterruptStopsAtOnceAndKeepsTheBestSoFar) {
  int calls = 0;
  std::vector<std::vector<size_t>> bests;
  DdminResult r = Ddmin(
      8,
      [&](const std::vector<size_t>& s) {
        if (++calls == 4) return Trial::kInterrupted;
        return Contains(s, {6}) ? Trial::kReproduced : Trial::kNotReproduced;
      },
      [&](const std::vector<size_t>& b) { bests.push_back(b); });
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(calls, 4);
  ASSERT_FALSE(bests.empty());
  EXPECT_EQ(r.best, bests.back());
  EXPECT_LT(r.best.size(), 8u);
  EXPECT_TRUE(Contains(r.best, {6}));
}

CheckRecord LostWriteCheck(const std::string& key, int64_t write_op) {
  CheckRecord c;
  c.checker = "lost-writes";
  c.verdict = "invalid";
  checkers::Anomaly a;
  a.checker = "lost-write";
  a.key = key;
  a.ops = {write_op, 999};
  a.description = "acknowledged write of 5 to key " + key + " is lost";
  a.detail =
      "logged by: node 3 at 1200 ms\ncommitted by: node 3 at 1201 ms\nremoved by truncate: node 3 "
      "truncated to 0x100000004 at 5000 ms (removed 2 txns)\nremoved by sync decision: leader "
      "node 1 chose TRUNC for peer 3 at 4999 ms\n";
  c.anomalies.push_back(a);
  return c;
}

TEST(Target, LevelsOfTheSameAnomaly) {
  CheckRecord lin{"linearizability", "valid", "", {}};
  Result<AnomalyTarget> t = TargetOf({lin, LostWriteCheck("k1", 41)});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->checker, "lost-writes");
  EXPECT_EQ(t->key, "k1");
  EXPECT_EQ(t->write_op, 41);
  EXPECT_FALSE(TargetOf({lin}).ok()) << "a valid run has nothing to reproduce";

  AttemptMatch same = Compare(*t, {LostWriteCheck("k1", 41)});
  AttemptMatch key = Compare(*t, {LostWriteCheck("k1", 50)});
  AttemptMatch other = Compare(*t, {LostWriteCheck("k2", 50)});
  AttemptMatch none = Compare(*t, {lin});
  EXPECT_TRUE(Reproduces(*t, same, MatchLevel::kWrite));
  EXPECT_FALSE(Reproduces(*t, key, MatchLevel::kWrite));
  EXPECT_TRUE(Reproduces(*t, key, MatchLevel::kKey));
  EXPECT_FALSE(Reproduces(*t, other, MatchLevel::kKey));
  EXPECT_TRUE(Reproduces(*t, other, MatchLevel::kChecker));
  EXPECT_FALSE(Reproduces(*t, none, MatchLevel::kChecker));
  EXPECT_EQ(DescribeMatch(*t, same), "same lost write (op 41, key k1)");
  EXPECT_EQ(DescribeMatch(*t, other), "lost-writes, other key (k2)");
  EXPECT_EQ(DescribeMatch(*t, none), "no lost-writes anomaly");
  EXPECT_FALSE(ParseMatchLevel("keys").ok());
}

ScheduledFault Fault(int64_t at, FaultKind kind, PartitionShape shape, Target target) {
  ScheduledFault f;
  f.at_ms = at;
  f.duration_ms = 1000;
  f.fault.kind = kind;
  f.fault.shape = shape;
  f.fault.target = target;
  return f;
}

// A recorded run of three faults of which only the isolate-leader partition matters.
RecordedRun ThreeFaultRun() {
  RecordedRun r;
  r.run.id = 12;
  r.run.suite = "detect";
  r.run.seed = 9;
  r.spec.name = "detect";
  r.spec.seed = 9;
  r.spec.concurrency = 8;
  r.spec.time_limit_ms = 20000;
  r.spec.nemesis.kinds = {FaultKind::kPartition};
  Target one{TargetKind::kExplicit, {1}};
  r.schedule = {Fault(1000, FaultKind::kPartition, PartitionShape::kIsolateNode, one),
                Fault(3000, FaultKind::kPartition, PartitionShape::kIsolateLeader, Target{}),
                Fault(6000, FaultKind::kPause, PartitionShape::kIsolateLeader, one)};
  r.realized = {"partition isolate-node: node 1 (following)",
                "partition isolate-leader: node 3 (leading) | 1 drops {3}",
                "pause 1: node 1 (following)"};
  r.checks = {LostWriteCheck("k1", 41)};
  return r;
}

bool HasIsolateLeader(const TestSpec& s) {
  for (const ScheduledFault& f : s.nemesis.schedule) {
    if (f.fault.kind == FaultKind::kPartition && f.fault.shape == PartitionShape::kIsolateLeader) {
      return true;
    }
  }
  return false;
}

class ShrinkLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "shrink_test.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(ShrinkLoop, KeepsTheFaultThatMattersTrimsTheLoadAndMeasuresTheRate) {
  ShrinkOptions o;
  o.original = ThreeFaultRun();
  o.repro_path = dir_ + "/repro.yaml";
  o.run_command = "faultline run " + o.repro_path;
  std::ostringstream out;
  o.out = &out;
  std::vector<TestSpec> seen;
  int64_t next_run = 100;
  ShrinkResult r = Shrink(o, [&](const TestSpec& s) {
    seen.push_back(s);
    Attempt a;
    a.run_id = next_run++;
    // Flaky like a real cluster: a candidate with the partition reproduces on its 2nd try only.
    static int flake = 0;
    const bool yes = HasIsolateLeader(s) && (++flake % 2 == 0);
    a.exit_code = yes ? 1 : 0;
    if (yes) a.checks = {LostWriteCheck("k1", 41)};
    return a;
  });
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.minimal);
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.kept, (std::vector<size_t>{1}));
  EXPECT_EQ(r.attempts, static_cast<int>(seen.size()));
  EXPECT_EQ(r.runs.size(), seen.size()) << "every attempt is a run";
  for (const TestSpec& s : seen) {
    EXPECT_EQ(s.seed, 9u) << "same op stream";
    EXPECT_TRUE(s.nemesis.kinds.empty()) << "exactly the candidate's faults, nothing generated";
  }
  // Trimmed: time to the partition's end + 2 s margin, clients halved down to 1.
  EXPECT_EQ(r.repro.time_limit_ms, 6000);
  EXPECT_EQ(r.repro.concurrency, 1);
  EXPECT_EQ(r.confirm_runs, 3);
  EXPECT_GE(r.confirmed, 1);
  // repro.yaml: reads back as a suite with the one fault, and says how it was found.
  std::string text = Read(o.repro_path);
  Result<TestSpec> back = ParseTestSpec(text, o.repro_path);
  ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n" << text;
  ASSERT_EQ(back->nemesis.schedule.size(), 1u);
  EXPECT_EQ(back->nemesis.schedule[0].at_ms, 3000);
  EXPECT_TRUE(back->nemesis.kinds.empty());
  EXPECT_EQ(back->seed, 9u);
  EXPECT_NE(text.find("# reproduction rate: " + std::to_string(r.confirmed) + " of 3 runs"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# reproduce: faultline run " + o.repro_path), std::string::npos) << text;
  // The narrative: the fault that matters with what it did, the others, the evidence.
  EXPECT_NE(r.narrative.find("faults that matter (1 of 3)"), std::string::npos) << r.narrative;
  EXPECT_NE(r.narrative.find("partition isolate-leader: node 3 (leading)"), std::string::npos)
      << r.narrative;
  EXPECT_NE(r.narrative.find("not needed:"), std::string::npos) << r.narrative;
  EXPECT_NE(r.narrative.find("logged by: node 3"), std::string::npos) << r.narrative;
  EXPECT_NE(r.narrative.find("removed by sync decision: leader node 1 chose TRUNC"),
            std::string::npos)
      << r.narrative;
  EXPECT_NE(r.narrative.find("1-minimal"), std::string::npos) << r.narrative;
  EXPECT_NE(out.str().find("REPRODUCED"), std::string::npos);
}

TEST_F(ShrinkLoop, ARunWithoutAnAnomalyIsRefused) {
  ShrinkOptions o;
  o.original = ThreeFaultRun();
  o.original.checks = {CheckRecord{"lost-writes", "valid", "", {}}};
  std::ostringstream out;
  o.out = &out;
  int calls = 0;
  ShrinkResult r = Shrink(o, [&](const TestSpec&) {
    ++calls;
    return Attempt{};
  });
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("nothing to shrink"), std::string::npos);
  EXPECT_EQ(calls, 0);
}

TEST_F(ShrinkLoop, AnAttemptThatCannotRunStopsTheSearchWithTheReason) {
  ShrinkOptions o;
  o.original = ThreeFaultRun();
  std::ostringstream out;
  o.out = &out;
  int calls = 0;
  ShrinkResult r = Shrink(o, [&](const TestSpec&) {
    ++calls;
    Attempt a;
    a.error = "zabd binary not found";
    return a;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("zabd binary not found"), std::string::npos);
  EXPECT_EQ(r.kept.size(), 3u);
}

// A Jepsen failure: `faultline convert-jepsen` makes a suite with the history's nemesis schedule;
// that schedule is what a run of the suite realizes and what shrink then reduces (here the
// scripted attempter reproduces whenever node 3 is isolated: only that fault is kept).
TEST_F(ShrinkLoop, AScheduleConvertedFromAJepsenHistoryShrinks) {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/testdata/jepsen/combined.edn");
  std::stringstream edn;
  edn << in.rdbuf();
  Result<JepsenConversion> c = ConvertJepsenHistory(edn.str(), "combined.edn", {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Result<TestSpec> suite = ParseTestSpec(c->yaml, "jepsen.yaml");
  ASSERT_TRUE(suite.ok()) << suite.status().ToString();
  ASSERT_EQ(suite->nemesis.schedule.size(), 4u);
  ShrinkOptions o;
  o.original = ThreeFaultRun();
  o.original.spec = *suite;
  o.original.spec.seed = 5;
  o.original.schedule = suite->nemesis.schedule;
  o.original.realized.assign(4, "as converted");
  o.confirm = 0;
  std::ostringstream out;
  o.out = &out;
  auto isolates_3 = [](const TestSpec& s) {
    for (const ScheduledFault& f : s.nemesis.schedule) {
      if (f.fault.kind == FaultKind::kPartition && f.fault.shape == PartitionShape::kIsolateNode &&
          f.fault.target.ids == std::vector<NodeId>{3}) {
        return true;
      }
    }
    return false;
  };
  ShrinkResult r = Shrink(o, [&](const TestSpec& s) {
    Attempt a;
    a.run_id = 1;
    if (isolates_3(s)) a.checks = {LostWriteCheck("k1", 41)};
    return a;
  });
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.minimal);
  EXPECT_EQ(r.kept, (std::vector<size_t>{1}));
  EXPECT_TRUE(isolates_3(r.repro));
}

// Last in this file: the interrupt flag stays set for the rest of the process.
TEST_F(ShrinkLoop, InterruptKeepsTheBestScheduleSoFarInReproYaml) {
  ShrinkOptions o;
  o.original = ThreeFaultRun();
  o.original.schedule.push_back(Fault(9000, FaultKind::kKill, PartitionShape::kIsolateLeader,
                                      Target{TargetKind::kExplicit, {2}}));
  o.original.realized.push_back("kill 2: node 2 (following)");
  o.repro_path = dir_ + "/repro.yaml";
  std::ostringstream out;
  o.out = &out;
  int calls = 0;
  bool reduced = false;
  ShrinkResult r = Shrink(o, [&](const TestSpec& s) {
    ++calls;
    Attempt a;
    a.run_id = calls;
    if (reduced) {  // the signal arrives while this attempt runs: the run ends interrupted
      RequestInterrupt();
      a.interrupted = true;
      return a;
    }
    if (HasIsolateLeader(s)) {
      a.exit_code = 1;
      a.checks = {LostWriteCheck("k1", 41)};
      reduced = s.nemesis.schedule.size() < 4;
    }
    return a;
  });
  EXPECT_TRUE(r.interrupted);
  EXPECT_FALSE(r.minimal);
  EXPECT_LT(r.kept.size(), 4u);
  EXPECT_EQ(r.confirm_runs, 0) << "no measurement after an interrupt";
  Result<TestSpec> back = ParseTestSpec(Read(o.repro_path), o.repro_path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->nemesis.schedule.size(), r.kept.size());
  EXPECT_TRUE(HasIsolateLeader(*back));
  EXPECT_NE(r.narrative.find("interrupted: best so far"), std::string::npos) << r.narrative;
  EXPECT_NE(r.narrative.find("reproduction rate: not measured"), std::string::npos);
}

}  // namespace
}  // namespace faultline::harness::shrink
