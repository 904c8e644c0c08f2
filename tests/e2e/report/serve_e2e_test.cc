// End-to-end (issue 10): `faultline serve` over a store holding a recorded run (the lost-write run
// of testdata/report), on loopback: the pages answer (also in headless Chromium, no console
// errors), the run's report is rendered on demand, paths outside the results folder are refused,
// and SIGTERM stops it with exit code 0. HTTP through curl (--path-as-is, so `..` is sent as is).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "tests/e2e/report/faultline_child.h"

namespace faultline::e2e {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ServeE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
    if (std::system("command -v curl > /dev/null") != 0) GTEST_SKIP() << "curl not installed";
    if (std::system("command -v sqlite3 > /dev/null") != 0) GTEST_SKIP() << "sqlite3 not installed";
    std::string cmd =
        "sqlite3 " + box_.store() + " < " + kSource + "/testdata/report/lost-write-run.sql";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  // Starts serve on a free port; returns the base URL it printed.
  std::string StartServe() {
    box_.Spawn({"serve", "--port", "0"});
    std::regex printed("serving (http://127\\.0\\.0\\.1:[0-9]+)/");
    for (int i = 0; i < 600; ++i) {  // generous: the machine may be loaded
      std::smatch m;
      std::string out = box_.Output();
      if (std::regex_search(out, m, printed)) return m[1];
      if (ProcessGone(box_.pid())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "serve never printed its URL:\n" << box_.Output();
    return "";
  }

  // GET `url` with curl: the status code; the body in *body.
  int Get(const std::string& url, std::string* body = nullptr) {
    std::string file = box_.dir() + "/body.txt", code = box_.dir() + "/code.txt";
    std::string cmd = "curl -s --path-as-is --max-time 60 -o " + file + " -w '%{http_code}' '" +
                      url + "' > " + code;
    if (std::system(cmd.c_str()) != 0) return -1;
    if (body) *body = ReadFile(file);
    return std::stoi(ReadFile(code));
  }

  FaultlineSandbox box_;
};

TEST_F(ServeE2e, AnswersOnLoopbackRendersTheReportAndRefusesPathsOutsideTheResultsFolder) {
  fs::create_directory_symlink("/etc", box_.dir() + "/etc-link");
  std::string base = StartServe();
  ASSERT_FALSE(base.empty());
  std::string body;
  ASSERT_EQ(Get(base + "/", &body), 200);
  EXPECT_NE(body.find("data-run=\"1\" data-verdict=\"invalid\""), std::string::npos) << body;
  EXPECT_EQ(Get(base + "/runs?verdict=valid", &body), 200);
  EXPECT_EQ(body.find("data-run=\"1\""), std::string::npos);
  EXPECT_EQ(Get(base + "/runs?anomaly=lost-write", &body), 200);
  EXPECT_NE(body.find("data-run=\"1\""), std::string::npos);
  ASSERT_EQ(Get(base + "/runs/1/", &body), 200);  // no run folder: rendered from the store
  EXPECT_NE(body.find("data-verdict=\"invalid\""), std::string::npos);
  EXPECT_NE(body.find("Forensics for zxid 0x1b000001fe"), std::string::npos);
  EXPECT_EQ(Get(base + "/anomalies", &body), 200);
  EXPECT_NE(body.find("id=\"anomaly-groups\""), std::string::npos);
  EXPECT_EQ(Get(base + "/trends", &body), 200);
  EXPECT_NE(body.find("data-suite="), std::string::npos);
  for (const char* bad :
       {"/results/../", "/results/%2e%2e/%2e%2e/etc/hostname", "/results/%2fetc%2fhostname",
        "/results//etc/hostname", "/results/etc-link/hostname"}) {
    EXPECT_EQ(Get(base + bad, &body), 403) << bad << ": " << body;
  }
  EXPECT_EQ(Get(base + "/runs?verdict=nope"), 400);
  EXPECT_EQ(Get(base + "/nothing"), 404);
  // The pages load in a real browser with no console errors.
  if (fs::exists("/usr/bin/chromium")) {
    std::string log = box_.dir() + "/chromium.log", dom = box_.dir() + "/dom.html";
    std::string cmd =
        "/usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
        "--disable-background-networking --enable-logging=stderr --v=0 --user-data-dir=" +
        box_.dir() + "/profile --dump-dom '" + base + "/anomalies' > " + dom + " 2> " + log;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_NE(ReadFile(dom).find("id=\"anomalies\""), std::string::npos) << ReadFile(log);
    EXPECT_EQ(ReadFile(log).find("CONSOLE"), std::string::npos) << ReadFile(log);
  }
  box_.Kill(SIGTERM);
  EXPECT_EQ(box_.Wait(), 0) << box_.Output();
}

TEST_F(ServeE2e, AMissingStoreOrATakenPortIsAnErrorNamingIt) {
  box_.set_store(box_.dir() + "/missing/x.db");
  std::string out;
  EXPECT_EQ(box_.Run({"serve", "--port", "0"}, &out), 2);
  EXPECT_NE(out.find("missing/x.db"), std::string::npos) << out;
  EXPECT_EQ(box_.Run({"serve", "--port", "70000"}, &out), 2);
  EXPECT_NE(out.find("--port"), std::string::npos) << out;
}

}  // namespace
}  // namespace faultline::e2e
