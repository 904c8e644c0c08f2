// End-to-end: `faultline shrink` and `faultline replay --repeat` against real zabd clusters with
// a fault point (testdata/shrink/cwq-three-faults.yaml: three faults, one that matters). Short
// runs (3 s each) to stay within the e2e budget: the shrink uses --tries 2 and --no-trim; the
// interrupt test --tries 1, interrupting after the first reduction (the empty schedule, then the
// first half that reproduces: two attempts).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "harness/spec/test_spec.h"
#include "tests/e2e/report/faultline_child.h"

namespace faultline::e2e {
namespace {

namespace fs = std::filesystem;

const std::string kSuite = kSource + "/testdata/shrink/cwq-three-faults.yaml";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ShrinkE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/zabd")) GTEST_SKIP() << "zabd not built at " << kBin;
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
  }

  // A recorded failing run (zab-invariants invalid): seeds are tried until one fails (the fault
  // point fails nearly every run; three seeds bound it). Returns its run id, 0 if none failed.
  int RecordFailingRun() {
    for (int seed = 1; seed <= 3; ++seed) {
      std::string out;
      const int rc = box_.Run({"run", kSuite, "--seed", std::to_string(seed)}, &out);
      const std::string id = box_.QueryOne("SELECT MAX(id) FROM runs");
      if (rc == 1 && box_.QueryOne("SELECT verdict FROM verdicts WHERE run_id = " + id +
                                   " AND checker = 'zab-invariants'") == "invalid") {
        return std::stoi(id);
      }
    }
    return 0;
  }

  Result<harness::TestSpec> Repro(int run) {
    const std::string path = box_.dir() + "/runs/" + std::to_string(run) + "/repro.yaml";
    return harness::ParseTestSpec(ReadFile(path), path);
  }

  FaultlineSandbox box_;
};

TEST_F(ShrinkE2e, ShrinksToTheIsolateLeaderPartitionAndTheReproReproduces) {
  const int run = RecordFailingRun();
  ASSERT_GT(run, 0) << "no failing run in 3 seeds";
  std::string out;
  const int rc = box_.Run(
      {"shrink", std::to_string(run), "--checker", "zab-invariants", "--tries", "2", "--no-trim"},
      &out);
  ASSERT_EQ(rc, 0) << out;
  // The one fault that matters, in the file that reproduces it.
  Result<harness::TestSpec> repro = Repro(run);
  ASSERT_TRUE(repro.ok()) << repro.status().ToString();
  ASSERT_EQ(repro->nemesis.schedule.size(), 1u) << out;
  const harness::ScheduledFault& f = repro->nemesis.schedule[0];
  EXPECT_EQ(f.fault.kind, harness::FaultKind::kPartition);
  EXPECT_EQ(f.fault.shape, harness::PartitionShape::kIsolateLeader);
  EXPECT_EQ(f.at_ms, 1000);
  EXPECT_TRUE(repro->nemesis.kinds.empty());
  // Measured on the file itself: at least 2 of 3 runs reproduce.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(reproduction rate: (\d+) of 3 runs)")))
      << out;
  EXPECT_GE(std::stoi(m[1]), 2) << out;
  EXPECT_NE(ReadFile(box_.dir() + "/runs/" + std::to_string(run) + "/repro.yaml")
                .find("# reproduction rate: " + m[1].str() + " of 3 runs"),
            std::string::npos);
  // The narrative: the fault that matters, what it did in the original run, the others.
  EXPECT_NE(out.find("faults that matter (1 of 3)"), std::string::npos) << out;
  EXPECT_NE(out.find("partition isolate-leader: node"), std::string::npos) << out;
  EXPECT_NE(out.find("not needed:"), std::string::npos) << out;
  EXPECT_NE(out.find("committed sequences diverge"), std::string::npos) << out;
  EXPECT_NE(out.find("1-minimal"), std::string::npos) << out;
  // Every attempt is a run in the store, linked to the original.
  ASSERT_TRUE(std::regex_search(out, m, std::regex(R"(after (\d+) attempt\(s\))"))) << out;
  EXPECT_EQ(box_.QueryOne("SELECT COUNT(*) FROM runs WHERE replay_of = " + std::to_string(run)),
            m[1].str());
}

TEST_F(ShrinkE2e, InterruptKeepsTheBestScheduleSoFar) {
  const int run = RecordFailingRun();
  ASSERT_GT(run, 0) << "no failing run in 3 seeds";
  box_.Spawn({"shrink", std::to_string(run), "--checker", "zab-invariants", "--tries", "1"});
  bool reduced = false;
  for (int i = 0; i < 3000 && !reduced; ++i) {  // generous: up to 5 minutes on a loaded machine
    reduced = box_.Output().find("best so far:") != std::string::npos;
    if (!reduced) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(reduced) << box_.Output();
  box_.Kill(SIGINT);
  EXPECT_EQ(box_.Wait(), 2) << box_.Output();
  const std::string out = box_.Output();
  Result<harness::TestSpec> repro = Repro(run);
  ASSERT_TRUE(repro.ok()) << repro.status().ToString();
  EXPECT_LT(repro->nemesis.schedule.size(), 3u) << out;
  EXPECT_GE(repro->nemesis.schedule.size(), 1u) << out;
  EXPECT_NE(out.find("interrupted: best so far"), std::string::npos) << out;
  EXPECT_EQ(box_.QueryOne("SELECT COUNT(*) FROM runs WHERE status = 'running'"), "0");
}

TEST_F(ShrinkE2e, ReplayRepeatCountsTheReplaysThatReproducedTheAnomalyKind) {
  const int run = RecordFailingRun();
  ASSERT_GT(run, 0) << "no failing run in 3 seeds";
  std::string out;
  const int rc = box_.Run({"replay", std::to_string(run), "--repeat", "2"}, &out);
  EXPECT_NE(rc, 2) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      out, m,
      std::regex(
          R"(replay fidelity: (\d) of 2 replays of run \d+ reproduced its anomaly kind \((\S+)\))")))
      << out;
  EXPECT_EQ(box_.QueryOne("SELECT COUNT(*) FROM runs WHERE replay_of = " + std::to_string(run)),
            "2");
  // The count is the replays whose stored checks show that checker invalid.
  const std::string invalid = box_.QueryOne(
      "SELECT COUNT(*) FROM runs r JOIN verdicts c ON c.run_id = r.id WHERE r.replay_of = " +
      std::to_string(run) + " AND c.checker = '" + m[2].str() + "' AND c.verdict = 'invalid'");
  EXPECT_EQ(invalid, m[1].str());
}

}  // namespace
}  // namespace faultline::e2e
