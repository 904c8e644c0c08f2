// The simulator finds the detection matrix's fault points (issue 12: every point found by `sim`
// in seconds): for each point it finds, the point's suites from workloads/detection.yaml with the
// point enabled, over the seed range it needs (pinned here: the simulator is deterministic, so
// a change that narrows a window shows up as a failure), give an invalid run; the correct server
// on the seed that found it is valid (the point, not the schedule, makes the anomaly).
#include "harness/sim/sim_points.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "harness/matrix/matrix.h"

namespace faultline::harness::sim {
namespace {

namespace fs = std::filesystem;

struct PointCase {
  const char* fault;
  uint64_t first_seed, last_seed;
};

class SimFindsFaultPoint : public ::testing::TestWithParam<PointCase> {};

TEST_P(SimFindsFaultPoint, WithinItsSeedRangeAndTheCorrectServerPassesThatSeed) {
  const PointCase& c = GetParam();
  Result<MatrixSpec> m =
      LoadMatrixSpec(std::string(FAULTLINE_SOURCE_DIR) + "/workloads/detection.yaml");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  std::vector<std::string> suites;
  for (const MatrixPoint& p : m->points) {
    if (p.fault != c.fault) continue;
    for (const std::string& s : p.suites) suites.push_back((fs::path(m->dir) / s).string());
  }
  ASSERT_FALSE(suites.empty()) << c.fault << " is not in the matrix";
  const fs::path dir = fs::temp_directory_path() /
                       ("faultline-sim-points-" + std::to_string(::getpid()) + "-" + c.fault);
  fs::create_directories(dir);
  {
    auto store = HistoryStore::Open((dir / "s.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    PointSearch found =
        FindInSim(**store, dir.string(), suites, c.fault, c.first_seed, c.last_seed);
    EXPECT_TRUE(found.error.empty()) << found.error;
    ASSERT_TRUE(found.found) << c.fault << " not found in seeds " << c.first_seed << ".."
                             << c.last_seed << " (" << found.runs << " runs)";
    PointSearch correct =
        FindInSim(**store, dir.string(), {found.suite}, "", found.seed, found.seed);
    EXPECT_EQ(correct.runs, 1);
    EXPECT_FALSE(correct.found) << "the correct server fails seed " << found.seed << " of "
                                << found.suite << " (" << correct.checker << ")";
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

INSTANTIATE_TEST_SUITE_P(Points, SimFindsFaultPoint,
                         ::testing::Values(PointCase{"zk-1154", 1, 1},
                                           PointCase{"commit-without-quorum", 1, 1},
                                           PointCase{"local-read-as-linearizable", 1, 1},
                                           PointCase{"ack-before-fsync", 1, 1},
                                           PointCase{"zk-2845", 1, 1},
                                           PointCase{"zk-3911", 1, 1},
                                           PointCase{"zk-4643", 1, 1},
                                           PointCase{"snapshot-uncommitted-tail", 1, 1},
                                           PointCase{"forget-accepted-epoch", 1, 1},
                                           PointCase{"vote-ignores-zxid", 1, 1},
                                           PointCase{"no-epoch-fence", 1, 1}),
                         [](const ::testing::TestParamInfo<PointCase>& i) {
                           std::string n = i.param.fault;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace faultline::harness::sim
