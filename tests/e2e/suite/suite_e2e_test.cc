// A suite of three tests on the fake system (one valid, one with a planted lost write, one that
// cannot run), split into two shards, each into its own results folder; then `faultline merge`
// of both and `runs / anomalies / trends --json` on the merged store.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
const std::string kBin = FAULTLINE_BIN_DIR;

class SuiteE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
    std::string tmpl = (fs::temp_directory_path() / "suite_e2e.XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    Write("ok.yaml",
          "name: ok\nsystem: {kind: fake, nodes: 3}\nworkload: {type: register, keys: 2}\n"
          "time_limit: 1s\nnemesis: {kinds: [kill], interval: 300ms, duration: 200ms}\n");
    Write("lossy.yaml",
          "name: lossy\nsystem: {kind: fake, nodes: 3, lose_every: 3}\n"
          "workload: {type: register, keys: 2}\ntime_limit: 1s\n"
          "nemesis: {kinds: [pause], interval: 300ms, duration: 200ms}\n");
    Write("suite.yaml",
          "name: mini\nseed: 3\ntests:\n  - test: ok.yaml\n    count: 2\n  - test: lossy.yaml\n"
          "  - test: ok.yaml\n    name: cannot-run\n    nemesis: partition\n");
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(fs::path(dir_) / name) << text;
  }
  // Runs faultline with `args` in the test folder; returns the exit code, output in *out.
  int Faultline(const std::string& args, std::string* out) {
    std::string log = dir_ + "/out.txt";
    std::string cmd = "cd " + dir_ + " && " + kBin + "/faultline " + args + " > " + log + " 2>&1";
    int status = std::system(cmd.c_str());
    std::ifstream f(log);
    std::stringstream ss;
    ss << f.rdbuf();
    *out = ss.str();
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  nlohmann::json Json(const std::string& args) {
    std::string out;
    EXPECT_EQ(Faultline(args, &out), 0) << out;
    return nlohmann::json::parse(out, nullptr, false);
  }
  std::string dir_;
};

TEST_F(SuiteE2e, ShardsRunTheirShareThenMergeIntoOneStoreTheQueriesRead) {
  std::string out;
  // Positions: 0 ok#1, 1 lossy, 2 cannot-run, 3 ok#2 (round-major). Shard 1/2 = {0, 2}: valid and
  // could not run -> 2. Shard 2/2 = {1, 3}: an anomaly -> 1.
  ASSERT_EQ(Faultline("--store r1/faultline.db --results r1 suite suite.yaml --shard 1/2 "
                      "--junit j1.xml",
                      &out),
            2)
      << out;
  EXPECT_NE(out.find("[1/2] ok-3n-fake#1: running"), std::string::npos) << out;
  EXPECT_NE(out.find("could not run cannot-run"), std::string::npos) << out;
  EXPECT_NE(out.find("2 tests: 1 valid, 1 error"), std::string::npos) << out;
  ASSERT_EQ(Faultline("--store r2/faultline.db --results r2 suite suite.yaml --shard 2/2", &out), 1)
      << out;
  EXPECT_NE(out.find("lossy"), std::string::npos) << out;
  EXPECT_NE(out.find("invalid"), std::string::npos) << out;
  // One JUnit file for the shard: a testsuite per test, the one that could not run an error.
  std::ifstream j(dir_ + "/j1.xml");
  std::stringstream junit;
  junit << j.rdbuf();
  EXPECT_NE(junit.str().find("<testsuites"), std::string::npos) << junit.str();
  EXPECT_NE(junit.str().find("ok-3n-fake#1 (run 1)"), std::string::npos) << junit.str();
  EXPECT_NE(junit.str().find("<error"), std::string::npos) << junit.str();
  EXPECT_TRUE(fs::exists(dir_ + "/r2/suites/1/junit.xml"));

  // Both shards numbered their runs 1, 2: merged, they are 1..3 with their folders.
  ASSERT_EQ(Faultline("--store m/faultline.db --results m merge r1 r2", &out), 0) << out;
  EXPECT_NE(out.find("merged r1/faultline.db"), std::string::npos) << out;
  EXPECT_NE(out.find("1 run (1->1)"), std::string::npos) << out;
  EXPECT_NE(out.find("2 runs (1->2, 2->3)"), std::string::npos) << out;
  nlohmann::json runs = Json("--store m/faultline.db runs --json");
  ASSERT_TRUE(runs.is_array()) << runs;
  ASSERT_EQ(runs.size(), 3u) << runs.dump(2);
  for (const auto& r : runs) {
    EXPECT_EQ(r["folder"], "m/runs/" + std::to_string(r["id"].get<int64_t>()));
    EXPECT_TRUE(
        fs::exists(dir_ + "/m/runs/" + std::to_string(r["id"].get<int64_t>()) + "/spec.yaml"));
  }
  // Merging again adds nothing.
  ASSERT_EQ(Faultline("--store m/faultline.db --results m merge r2", &out), 0) << out;
  EXPECT_NE(out.find("0 runs (1->2, 2->3), 2 already there"), std::string::npos) << out;

  nlohmann::json invalid = Json("--store m/faultline.db runs --verdict invalid --json");
  ASSERT_EQ(invalid.size(), 1u) << invalid.dump(2);
  EXPECT_EQ(invalid[0]["suite"], "lossy-3n-fake");
  // The planted bug's anomalies (which checker sees it first depends on the ops drawn), every one
  // in the invalid run.
  nlohmann::json anomalies = Json("--store m/faultline.db anomalies --json");
  ASSERT_GE(anomalies["total"].get<int>(), 1) << anomalies.dump(2);
  ASSERT_FALSE(anomalies["groups"].empty()) << anomalies.dump(2);
  for (const auto& a : anomalies["anomalies"]) EXPECT_EQ(a["run_id"], invalid[0]["id"]);
  nlohmann::json trends = Json("--store m/faultline.db trends --suite ok-3n-fake --json");
  ASSERT_EQ(trends["suites"].size(), 1u) << trends.dump(2);
  EXPECT_EQ(trends["suites"][0]["points"].size(), 2u) << "both repetitions, one series";
  EXPECT_EQ(Faultline("--store m/faultline.db runs --since junk", &out), 2) << out;
  EXPECT_NE(out.find("--since 'junk'"), std::string::npos) << out;
}

}  // namespace
