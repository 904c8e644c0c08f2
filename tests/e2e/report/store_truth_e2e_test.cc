// End-to-end (issue 10, "the store must tell the truth"): the real faultline binary on stores that
// do not exist, empty histories, and a run whose controller was SIGKILLed.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/e2e/report/faultline_child.h"

namespace faultline::e2e {
namespace {

namespace fs = std::filesystem;

class StoreTruth : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
  }
  FaultlineSandbox box_;
};

TEST_F(StoreTruth, ReadingCommandsOnAMissingStoreAreAnErrorNamingItAndCreateNothing) {
  std::string missing = box_.dir() + "/missing/dir/x.db";
  box_.set_store(missing);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"runs"}, {"show", "1"}, {"check", "1"}, {"replay", "1"}}) {
    std::string out;
    EXPECT_EQ(box_.Run(args, &out), 2) << args[0] << ": " << out;
    EXPECT_NE(out.find("no history store at " + missing), std::string::npos)
        << args[0] << ": " << out;
  }
  EXPECT_FALSE(fs::exists(box_.dir() + "/missing"));
}

TEST_F(StoreTruth, CheckOfAnEmptyHistoryFileSaysThereIsNothingToCheck) {
  std::string empty = box_.dir() + "/empty.jsonl";
  std::ofstream(empty).close();
  std::string out;
  EXPECT_EQ(box_.Run({"check", empty}, &out), 2) << out;
  EXPECT_NE(out.find("nothing to check"), std::string::npos) << out;
}

TEST_F(StoreTruth, SigkilledControllerRunIsShownCrashedWithWhenItWasLastHeardFrom) {
  if (!fs::exists(kBin + "/zabd")) GTEST_SKIP() << "zabd not built at " << kBin;
  box_.Spawn({"run", kSource + "/workloads/quick.yaml", "--time-limit", "120s", "--seed", "4"});
  bool recording = false;
  for (int i = 0; i < 900 && !recording; ++i) {
    std::string ops = box_.QueryOne("SELECT COUNT(*) FROM ops");
    recording = !ops.empty() && std::stoi(ops) > 50;
    if (!recording) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(recording) << "the run never recorded ops\n" << box_.Output();
  box_.Kill(SIGKILL);
  EXPECT_EQ(box_.Wait(), 128 + SIGKILL);
  EXPECT_EQ(box_.QueryOne("SELECT status FROM runs WHERE id=1"), "running");  // as it was left

  std::string out;
  ASSERT_EQ(box_.Run({"runs"}, &out), 0) << out;
  EXPECT_NE(out.find("crashed"), std::string::npos) << out;
  ASSERT_EQ(box_.Run({"show", "1"}, &out), 0) << out;
  EXPECT_NE(out.find("status crashed"), std::string::npos) << out;
  EXPECT_NE(out.find("last heard from"), std::string::npos) << out;
  // Re-checking it never says valid: it never reached its final reads.
  EXPECT_EQ(box_.Run({"check", "1"}, &out), 2) << out;
  EXPECT_EQ(out.find("1: valid"), std::string::npos) << out;
  EXPECT_NE(out.find("lost-writes: could not run: the run is crashed"), std::string::npos) << out;
}

}  // namespace
}  // namespace faultline::e2e
