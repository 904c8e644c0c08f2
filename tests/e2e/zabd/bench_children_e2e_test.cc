// zabd_bench's zabd children die with it (issue 8: "its child zabd processes die with it"): a
// bench killed by SIGKILL, or by SIGPIPE writing to a closed stdout, leaves no zabd running.
// This test makes itself a child subreaper, so the bench's orphans are reparented to it and it
// can wait for them (and SIGKILL them by pid if they outlive the bench: the failure case). The
// bench's temp dirs go under a TMPDIR of the test's own, removed at the end.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

const std::string kBench = std::string(FAULTLINE_BIN_DIR) + "/zabd_bench";
const std::string kZabd = std::string(FAULTLINE_BIN_DIR) + "/zabd";

// Processes whose parent is `parent`, with their command names (from /proc/<pid>/stat).
std::vector<std::pair<pid_t, std::string>> ChildrenOf(pid_t parent) {
  std::vector<std::pair<pid_t, std::string>> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) out.push_back({std::stoi(name), stat.substr(open + 1, close - open - 1)});
  }
  return out;
}

class BenchChildren : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kBench) || !std::filesystem::exists(kZabd)) {
      GTEST_SKIP() << "needs " << kBench << " and " << kZabd << " (ninja zabd_bench zabd)";
    }
    ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    std::string tmpl = (std::filesystem::temp_directory_path() / "bench-children-XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    tmp_ = tmpl;
  }
  void TearDown() override {
    // Whatever still runs under us (only on failure): SIGKILL by pid and reap.
    for (const auto& [pid, comm] : ChildrenOf(::getpid())) ::kill(pid, SIGKILL);
    while (::waitpid(-1, nullptr, 0) > 0) {
    }
    if (!tmp_.empty()) std::filesystem::remove_all(tmp_);
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  }

  // Starts the bench (short rows, no failover) with stdout on `stdout_fd`.
  pid_t StartBench(int stdout_fd) {
    std::vector<std::string> env_strings = {"TMPDIR=" + tmp_};
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string(*e).rfind("TMPDIR=", 0) != 0) env_strings.push_back(*e);
    }
    std::vector<std::string> args = {kBench, "--zabd",          kZabd, "--seconds", "0.3", "--reps",
                                     "1",    "--failover-reps", "0"};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::dup2(stdout_fd, 1);
      ::signal(SIGPIPE, SIG_DFL);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    return pid;
  }

  // Waits (generously: a loaded machine) until the bench runs 3 zabd children; their pids.
  std::set<pid_t> WaitForZabdChildren(pid_t bench) {
    std::set<pid_t> zabds;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline && zabds.size() < 3) {
      zabds.clear();
      for (const auto& [pid, comm] : ChildrenOf(bench)) {
        if (comm == "zabd") zabds.insert(pid);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return zabds;
  }

  // Reaps the bench and every orphan reparented to this test until none is left or the
  // deadline passes; returns the orphans still running then (they outlived the bench).
  std::set<pid_t> ReapAll(pid_t bench, const std::set<pid_t>& zabds, int* bench_status) {
    std::set<pid_t> left = zabds;
    left.insert(bench);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!left.empty() && Clock::now() < deadline) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        if (pid == bench) *bench_status = status;
        left.erase(pid);
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    left.erase(bench);
    return left;
  }

  std::string tmp_;
};

TEST_F(BenchChildren, ABenchKilledBySigkillLeavesNoZabdRunning) {
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_GE(devnull, 0);
  const pid_t bench = StartBench(devnull);
  ::close(devnull);
  ASSERT_GT(bench, 0);
  const std::set<pid_t> zabds = WaitForZabdChildren(bench);
  ASSERT_EQ(zabds.size(), 3u) << "the bench did not start its cluster";
  ::kill(bench, SIGKILL);
  int status = 0;
  EXPECT_EQ(ReapAll(bench, zabds, &status), std::set<pid_t>{}) << "zabd outlived the bench";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST_F(BenchChildren, ABenchKilledBySigpipeOnAClosedStdoutLeavesNoZabdRunning) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const pid_t bench = StartBench(fds[1]);
  ::close(fds[1]);
  ASSERT_GT(bench, 0);
  const std::set<pid_t> zabds = WaitForZabdChildren(bench);
  ::close(fds[0]);  // the reader goes away (`zabd_bench | head -1` after its line)
  ASSERT_EQ(zabds.size(), 3u) << "the bench did not start its cluster";
  int status = 0;
  EXPECT_EQ(ReapAll(bench, zabds, &status), std::set<pid_t>{}) << "zabd outlived the bench";
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE) << "bench status " << status;
}

}  // namespace
