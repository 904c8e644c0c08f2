// End-to-end: the root app's --store / --results reach every subcommand, in either position
// (`faultline --store S sim ...` and `faultline sim ... --store S`). Regression: `scenario`,
// `sim` and `matrix` had options of their own, so a global --store before the subcommand was
// silently ignored and the runs went to results/faultline.db in the working folder.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;

const std::string kBin = FAULTLINE_BIN_DIR;
const std::string kSource = FAULTLINE_SOURCE_DIR;

int CountRuns(const std::string& db) {
  sqlite3* h = nullptr;
  int n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, "SELECT count(*) FROM runs", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

class GlobalStoreE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
    std::string t = (fs::temp_directory_path() / "global_store_e2e.XXXXXX").string();
    dir_ = mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  // Runs `faultline ARGS` with the temp dir as working folder; returns the exit status.
  int Faultline(const std::string& args) {
    std::string cmd = "cd '" + dir_ + "' && '" + kBin + "/faultline' " + args + " > out.txt 2>&1";
    int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  }
  std::string dir_;
};

TEST_F(GlobalStoreE2e, SimHonoursAGlobalStoreBeforeTheSubcommand) {
  std::string suite = kSource + "/workloads/quick.yaml";
  ASSERT_EQ(Faultline("--store mine.db --results mine sim '" + suite +
                      "' --seeds 1 --time-limit 2s"),
                0);
  EXPECT_EQ(CountRuns(dir_ + "/mine.db"), 1);
  EXPECT_TRUE(fs::is_directory(dir_ + "/mine/runs"));
  EXPECT_FALSE(fs::exists(dir_ + "/results/faultline.db")) << "went to the default store";
}

TEST_F(GlobalStoreE2e, SimHonoursAStoreAfterTheSubcommand) {
  std::string suite = kSource + "/workloads/quick.yaml";
  ASSERT_EQ(Faultline("sim '" + suite + "' --seeds 1 --time-limit 2s --store after.db"), 0);
  EXPECT_EQ(CountRuns(dir_ + "/after.db"), 1);
  EXPECT_FALSE(fs::exists(dir_ + "/results/faultline.db")) << "went to the default store";
}

TEST_F(GlobalStoreE2e, ScenarioHonoursAGlobalStoreBeforeTheSubcommand) {
  if (!fs::exists(kBin + "/zabd")) GTEST_SKIP() << "zabd not built at " << kBin;
  std::string file = kSource + "/workloads/scenarios/q3-majority-proposal-uncommitted.yaml";
  if (!fs::exists(file)) GTEST_SKIP() << "no scenario at " << file;
  int rc = Faultline("--store mine.db --results mine scenario '" + file + "'");
  EXPECT_TRUE(rc == 0 || rc == 1) << "exit " << rc;
  EXPECT_EQ(CountRuns(dir_ + "/mine.db"), 1);
  EXPECT_FALSE(fs::exists(dir_ + "/results/faultline.db")) << "went to the default store";
}

}  // namespace
