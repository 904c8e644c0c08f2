// End-to-end: the real `faultline` binary runs shortened suites against real zabd processes.
// Skipped when zabd has not been built. Each test owns a temp dir (store + run folders) and the
// faultline child; both are cleaned up even when an assertion fails.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/closed_pipe.h"

namespace {

namespace fs = std::filesystem;

const std::string kBin = FAULTLINE_BIN_DIR;
const std::string kSource = FAULTLINE_SOURCE_DIR;

// Runs one SQL query returning rows of text columns joined by '|'.
std::vector<std::string> Query(const std::string& db, const std::string& sql) {
  std::vector<std::string> rows;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return rows;
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* t = sqlite3_column_text(st, c);
        row += (c ? "|" : "") + std::string(t ? reinterpret_cast<const char*>(t) : "");
      }
      rows.push_back(row);
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return rows;
}

// `sql` with "{}" replaced by the run id.
std::string FormatRun(std::string sql, int run) {
  sql.replace(sql.find("{}"), 2, std::to_string(run));
  return sql;
}

bool ProcessGone(int pid) {
  if (kill(pid, 0) != 0) return true;  // ESRCH
  // A zombie is dead; only its parent's wait is missing.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  size_t paren = all.rfind(')');
  return paren != std::string::npos && paren + 2 < all.size() && all[paren + 2] == 'Z';
}

class RunE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kBin + "/zabd")) GTEST_SKIP() << "zabd not built at " << kBin;
    if (!fs::exists(kBin + "/faultline")) GTEST_SKIP() << "faultline not built at " << kBin;
    std::string t = (fs::temp_directory_path() / "run_e2e.XXXXXX").string();
    dir_ = mkdtemp(t.data());
    store_ = dir_ + "/h.db";
  }

  void TearDown() override {
    if (pid_ > 0) {  // still running after a failed assertion: end it (its nodes die with it)
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Starts `faultline args...` with stdout+stderr to <dir>/out.txt.
  void Spawn(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin + "/faultline", "--store", store_, "--results", dir_});
    std::string out = dir_ + "/out.txt";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      FILE* f = freopen(out.c_str(), "w", stdout);
      (void)f;
      dup2(fileno(stdout), STDERR_FILENO);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }

  // Starts `faultline args...` writing stdout and stderr into a pipe nobody reads: the reader is
  // gone before the first line, as with `faultline run ... | head -1` once head has its line.
  void SpawnIntoAClosedPipe(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin + "/faultline", "--store", store_, "--results", dir_});
    pid_ = faultline::testing::SpawnIntoAClosedPipe(std::move(args));
    ASSERT_GT(pid_, 0);
  }

  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  std::string Output() const {
    std::ifstream in(dir_ + "/out.txt");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
  std::string store_;
  pid_t pid_ = -1;
};

TEST_F(RunE2e, ShortQuickRunEndsValidWithFaultsAppliedAndElectionsLogged) {
  Spawn({"run", kSource + "/workloads/quick.yaml", "--time-limit", "14s", "--seed", "11"});
  int code = Wait();
  std::string out = Output();
  EXPECT_EQ(code, 0) << out;
  // --time-limit 14s cuts quick.yaml's schedule: the run says which faults will not run.
  EXPECT_NE(out.find("note: 3 scheduled faults start at or after the time limit (14000 ms) and "
                     "will not run: nemesis.schedule[3] ("),
            std::string::npos)
      << out;
  std::vector<std::string> run = Query(store_, "SELECT id, status, verdict FROM runs");
  ASSERT_EQ(run.size(), 1u) << out;
  EXPECT_EQ(run[0], "1|finished|valid") << out;
  // The store shows the faults, with resolved targets and stop times.
  std::set<std::string> kinds;
  for (const auto& k : Query(store_, "SELECT kind FROM faults WHERE stop_ns IS NOT NULL")) {
    kinds.insert(k);
  }
  EXPECT_TRUE(kinds.count("kill")) << out;
  EXPECT_TRUE(kinds.count("pause")) << out;
  EXPECT_TRUE(kinds.count("partition")) << out;
  // The servers' event logs show elections after the leader was killed.
  std::vector<std::string> elected =
      Query(store_,
            "SELECT COUNT(DISTINCT json_extract(json, '$.epoch')) FROM node_events "
            "WHERE type = 'established'");
  ASSERT_EQ(elected.size(), 1u);
  EXPECT_GE(std::stoi(elected[0]), 2) << "expected a new epoch after the leader kill\n" << out;
  // Every op completed (the workers finish in-flight ops before the end).
  EXPECT_EQ(Query(store_, "SELECT COUNT(*) FROM ops WHERE outcome IS NULL")[0], "0");
  // Final reads of every key are recorded.
  EXPECT_EQ(Query(store_,
                  "SELECT COUNT(DISTINCT key) FROM ops WHERE process >= 1000000000 AND "
                  "outcome = 'ok'")[0],
            "5");
}

TEST_F(RunE2e, RunWithNetProxyPartitionsThroughTheProxy) {
  Spawn({"run", kSource + "/workloads/partition.yaml", "--time-limit", "10s", "--nodes", "3",
         "--net", "proxy", "--seed", "5"});
  int code = Wait();
  std::string out = Output();
  EXPECT_NE(out.find("net proxy"), std::string::npos) << out;
  EXPECT_EQ(code, 0) << out;
  std::vector<std::string> parts = Query(store_,
                                         "SELECT COUNT(*) FROM faults WHERE kind = "
                                         "'partition' AND stop_ns IS NOT NULL");
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_GE(std::stoi(parts[0]), 1) << out;
  // Every node dialled its peers through the proxy: the peer addresses in node 1's config are
  // not the addresses the other nodes listen on.
  std::string folder = Query(store_, "SELECT folder FROM runs")[0];
  std::ifstream cfg(folder + "/node-1/config.yaml");
  std::string text((std::istreambuf_iterator<char>(cfg)), {});
  std::ifstream cfg2(folder + "/node-2/config.yaml");
  std::string text2((std::istreambuf_iterator<char>(cfg2)), {});
  EXPECT_NE(text, text2) << "proxy routes make every node's peer map different";
}

TEST_F(RunE2e, ReplayRerunsTheSameScheduleAndOpStreamAndRunsShowsBoth) {
  Spawn({"run", kSource + "/workloads/kill.yaml", "--time-limit", "9s", "--seed", "21"});
  int first = Wait();
  std::string out = Output();
  ASSERT_NE(first, 2) << out;
  Spawn({"replay", "1"});
  int second = Wait();
  out = Output();
  ASSERT_NE(second, 2) << out;
  EXPECT_EQ(Query(store_,
                  "SELECT replay_of, seed = (SELECT seed FROM runs WHERE id = 1) FROM "
                  "runs WHERE id = 2")[0],
            "1|1");
  // Same faults at the same planned offsets, on the same nodes.
  EXPECT_EQ(Query(store_,
                  "SELECT kind, targets, json_extract(detail, '$.planned_at_ms') FROM "
                  "faults WHERE run_id = 1 AND kind != 'crash' ORDER BY fault_index"),
            Query(store_,
                  "SELECT kind, targets, json_extract(detail, '$.planned_at_ms') FROM "
                  "faults WHERE run_id = 2 AND kind != 'crash' ORDER BY fault_index"));
  // The same op stream: op n has the same function, key and value in both runs.
  std::string stream =
      "SELECT op_index, f, key, value FROM ops WHERE run_id = {} AND f != 'read' "
      "AND op_index < 200 ORDER BY op_index";
  std::vector<std::string> a = Query(store_, FormatRun(stream, 1));
  std::vector<std::string> b = Query(store_, FormatRun(stream, 2));
  size_t n = std::min(a.size(), b.size());
  ASSERT_GT(n, 10u);
  // Ops that were never invoked (time ran out) may be missing from one run; compare the common
  // prefix of op indexes.
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(a[i], b[i]);

  Spawn({"runs"});
  EXPECT_EQ(Wait(), 0);
  out = Output();
  EXPECT_NE(out.find("kill"), std::string::npos) << out;
  Spawn({"show", "2"});
  EXPECT_EQ(Wait(), 0);
  out = Output();
  EXPECT_NE(out.find("replay of run 1"), std::string::npos) << out;
  EXPECT_NE(out.find("checkers:"), std::string::npos) << out;
}

// Found running `faultline run workloads/quick.yaml | head -2`: the first line after head exited
// killed the controller with SIGPIPE, and the run was left marked crashed.
TEST_F(RunE2e, AReaderThatGoesAwayDoesNotKillTheRunItRunsToItsVerdict) {
  SpawnIntoAClosedPipe({"run", kSource + "/workloads/quick.yaml", "--time-limit", "3s", "--nemesis",
                        "none", "--seed", "5"});
  int code = Wait();
  EXPECT_EQ(code, 0) << "128 + 13 is death by SIGPIPE";
  std::vector<std::string> status = Query(store_, "SELECT status, verdict FROM runs");
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0], "finished|valid");
}

TEST_F(RunE2e, SigtermEndsTheRunCleanlyLeavingNoProcessAndMarksItInterrupted) {
  Spawn({"run", kSource + "/workloads/quick.yaml", "--time-limit", "120s", "--seed", "3"});
  // Wait until ops are being recorded, then collect the node pids from their event logs.
  std::string folder;
  for (int i = 0; i < 600; ++i) {
    std::vector<std::string> ops = Query(store_, "SELECT COUNT(*) FROM ops");
    if (!ops.empty() && std::stoi(ops[0]) > 50) {
      folder = Query(store_, "SELECT folder FROM runs")[0];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(folder.empty()) << "run never started recording\n" << Output();
  // Every node process ever started (restarts after kills included); at least one per node.
  std::set<int> pids;
  for (int node = 1; node <= 3; ++node) {
    std::ifstream events(folder + "/node-" + std::to_string(node) + "/events.jsonl");
    std::string line;
    int starts = 0;
    while (std::getline(events, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("type", "") == "start" && j.value("pid", 0) > 0) {
        pids.insert(j.value("pid", 0));
        ++starts;
      }
    }
    EXPECT_GE(starts, 1) << "node " << node << " has no start event";
  }
  int alive = 0;
  for (int pid : pids) alive += ProcessGone(pid) ? 0 : 1;
  EXPECT_GE(alive, 2) << "expected the cluster to be running before SIGTERM";

  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  int code = Wait();
  std::string out = Output();
  EXPECT_EQ(code, 2) << out;
  for (int pid : pids) EXPECT_TRUE(ProcessGone(pid)) << "node pid " << pid << " left behind";
  EXPECT_EQ(Query(store_, "SELECT status FROM runs")[0], "interrupted") << out;
  // Faults in force were stopped, and the recorded ops all completed.
  EXPECT_EQ(Query(store_, "SELECT COUNT(*) FROM faults WHERE stop_ns IS NULL")[0], "0");
  EXPECT_EQ(Query(store_, "SELECT COUNT(*) FROM ops WHERE outcome IS NULL")[0], "0");
}

}  // namespace
