// End-to-end: `faultline matrix workloads/detection-ci.yaml` (one seed, short runs) against real
// zabd: every fault point it lists is detected (by a checker's verdict, or by a scenario's
// expectation) and the correct server raises no false alarm. The full matrix is run by hand
// (README, "Detection matrix"). Skipped when the binaries are not built; the temp dir (store, run
// folders, matrix tables) is removed even when an assertion fails.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

const std::string kBin = FAULTLINE_BIN_DIR;
const std::string kSource = FAULTLINE_SOURCE_DIR;

class MatrixE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/faultline") || !fs::exists(kBin + "/zabd")) {
      GTEST_SKIP() << "faultline or zabd not built in " << kBin;
    }
    char tmpl[] = "/tmp/faultline-matrix-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty() && !getenv("FAULTLINE_KEEP_TEST_DIRS")) fs::remove_all(dir_);
  }
  std::string dir_;
};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(MatrixE2e, ShortMatrixDetectsEveryListedFaultPointAndTheCorrectServerIsClean) {
  const std::string log = dir_ + "/matrix.log";
  const std::string cmd = kBin + "/faultline matrix " + kSource + "/workloads/detection-ci.yaml" +
                          " --store " + dir_ + "/faultline.db --results " + dir_ + " > " + log +
                          " 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string out = Slurp(log);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  // Every fault point.
  for (const char* point :
       {"zk-1154", "zk-2845", "zk-3911", "zk-4643", "snapshot-uncommitted-tail",
        "commit-without-quorum", "vote-ignores-zxid", "no-epoch-fence",
        "local-read-as-linearizable", "forget-accepted-epoch", "ack-before-fsync"}) {
    const std::string row = std::string("| ") + point + " | ";
    const size_t at = out.find(row);
    ASSERT_NE(at, std::string::npos) << point << "\n" << out;
    const std::string line = out.substr(at, out.find('\n', at) - at);
    EXPECT_NE(line.find("1 of 1"), std::string::npos) << line;
  }
  EXPECT_NE(out.find("| (no fault point) | 3 | 0 | 0 |"), std::string::npos) << out;
  // The table is stored, and links every run's report.
  bool stored = false;
  for (const auto& e : fs::directory_iterator(dir_ + "/matrix")) {
    if (e.path().extension() != ".md") continue;
    stored = true;
    EXPECT_NE(Slurp(e.path()).find(dir_ + "/runs/1/report.html"), std::string::npos);
  }
  EXPECT_TRUE(stored) << out;
}

TEST_F(MatrixE2e, ABadMatrixFileExitsTwoNamingTheLine) {
  std::ofstream(dir_ + "/bad.yaml") << "points:\n  - {fault: zk-9999, suites: [x.yaml]}\n";
  const std::string log = dir_ + "/bad.log";
  const int status =
      std::system((kBin + "/faultline matrix " + dir_ + "/bad.yaml > " + log + " 2>&1").c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(Slurp(log).find("bad.yaml:2: points[0].fault: unknown fault point 'zk-9999'"),
            std::string::npos)
      << Slurp(log);
}

}  // namespace
