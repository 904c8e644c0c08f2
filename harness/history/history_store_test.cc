#include "harness/history/history_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "history_store_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

checkers::Op WriteOp(int64_t index, const std::string& value) {
  checkers::Op op;
  op.index = index;
  op.process = index % 4;
  op.f = checkers::Fn::kWrite;
  op.key = "k" + std::to_string(index % 3);
  op.value = value;
  op.invoke_ns = 1000 + index * 10;
  op.node = 1;
  return op;
}

RunRecord NewRun() {
  RunRecord r;
  r.suite = "unit";
  r.spec_text = "workload: {type: register}\n";
  r.seed = 7;
  r.git_revision = "abc";
  r.started_ms = 1;
  return r;
}

// Counts rows with a fresh read-only connection (what a second process would see).
int64_t CountRows(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return -1;
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

TEST(HistoryStore, InvokeAndCompletionReadBackAsOneOp) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<int64_t> run = (*store)->CreateRun(NewRun());
  ASSERT_TRUE(run.ok());
  (*store)->RecordInvoke(*run, WriteOp(0, "v0"));
  checkers::Op read;
  read.index = 1;
  read.process = 2;
  read.f = checkers::Fn::kRead;
  read.key = "k0";
  read.invoke_ns = 2000;
  (*store)->RecordInvoke(*run, read);
  ASSERT_TRUE((*store)->Flush().ok());  // invoke and completion land in different batches
  (*store)->RecordCompletion(*run, 0, checkers::Outcome::kOk, 1500, std::nullopt, {}, 4294967297,
                             "");
  (*store)->RecordCompletion(*run, 1, checkers::Outcome::kOk, 2500, "v0", {}, 4294967297, "");
  checkers::Op open = WriteOp(2, "v2");
  (*store)->RecordInvoke(*run, open);
  ASSERT_TRUE((*store)->Flush().ok());

  Result<checkers::History> h = (*store)->LoadHistory(*run);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->ops.size(), 3u);
  EXPECT_EQ(h->ops[0].f, checkers::Fn::kWrite);
  EXPECT_EQ(h->ops[0].value, "v0");
  EXPECT_EQ(h->ops[0].outcome, checkers::Outcome::kOk);
  EXPECT_EQ(h->ops[0].complete_ns, 1500);
  EXPECT_EQ(h->ops[0].zxid, 4294967297);
  EXPECT_EQ(h->ops[1].f, checkers::Fn::kRead);
  EXPECT_EQ(h->ops[1].value, "v0");
  EXPECT_EQ(h->ops[1].process, 2);
  EXPECT_TRUE(h->ops[2].open());  // never completed: reads back as open (= info)
  EXPECT_EQ(h->ops[2].outcome, checkers::Outcome::kInfo);
  EXPECT_EQ(h->model, "cas-register");
}

TEST(HistoryStore, CompletionInSameBatchAsInvokeIsFolded) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  checkers::Op cas;
  cas.index = 0;
  cas.f = checkers::Fn::kCas;
  cas.key = "k";
  cas.expected = "a";
  cas.value = "b";
  (*store)->RecordInvoke(run, cas);
  (*store)->RecordCompletion(run, 0, checkers::Outcome::kFail, 50, std::nullopt, {}, std::nullopt,
                             "NOTAPPLIED no leader");
  ASSERT_TRUE((*store)->Flush().ok());
  checkers::History h = *(*store)->LoadHistory(run);
  ASSERT_EQ(h.ops.size(), 1u);
  EXPECT_EQ(h.ops[0].expected, "a");
  EXPECT_EQ(h.ops[0].value, "b");
  EXPECT_EQ(h.ops[0].outcome, checkers::Outcome::kFail);
}

TEST(HistoryStore, ManyRecordsAreCommittedInFewerBatches) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  constexpr int kOps = 20000;
  for (int i = 0; i < kOps; ++i) {
    (*store)->RecordInvoke(run, WriteOp(i, "v" + std::to_string(i)));
    (*store)->RecordCompletion(run, i, checkers::Outcome::kOk, 5000 + i, std::nullopt, {}, i, "");
  }
  ASSERT_TRUE((*store)->Flush().ok());
  StoreStats stats = (*store)->stats();
  EXPECT_EQ(stats.records_committed, 2 * kOps);
  EXPECT_LT(stats.batches_committed, kOps);
  EXPECT_EQ(CountRows(dir.File("h.db"), "SELECT COUNT(*) FROM ops WHERE outcome='ok'"), kOps);
}

TEST(HistoryStore, RecordToAnIdleWriterBecomesVisibleWithoutAnExplicitFlush) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  ASSERT_TRUE((*store)->Flush().ok());  // the writer is now idle, waiting for work
  (*store)->RecordInvoke(run, WriteOp(0, "v"));
  // The writer commits on its own; poll from another connection (no timing asserted).
  int64_t n = 0;
  for (int i = 0; i < 600 && n != 1; ++i) {
    n = CountRows(dir.File("h.db"), "SELECT COUNT(*) FROM ops");
    if (n != 1) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(n, 1);
}

TEST(HistoryStore, FaultsChecksAndRunStateRoundTrip) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  FaultRecord f;
  f.index = 0;
  f.kind = "kill";
  f.targets = {2};
  f.start_ns = 100;
  f.description = "kill leader 2";
  f.detail_json = R"({"roles":{"2":"leading"}})";
  (*store)->RecordFaultStart(run, f);
  (*store)->RecordFaultStop(run, 0, 200);
  checkers::NodeEvent e;
  e.node = 1;
  e.ts_ms = 5;
  e.type = "elected";
  e.fields = {{"ts_ms", 5}, {"node", 1}, {"type", "elected"}, {"leader", 1}};
  (*store)->RecordNodeEvent(run, e);
  CheckRecord check{"linearizability", "invalid", "key k0", {}};
  checkers::Anomaly an;
  an.checker = "linearizability";
  an.key = "k0";
  an.description = "stale read";
  an.start_ns = 1;
  an.end_ns = 2;
  an.ops = {3, 4};
  check.anomalies.push_back(an);
  ASSERT_TRUE((*store)->StoreCheck(run, check).ok());
  ASSERT_TRUE((*store)->SetSchedule(run, R"([{"at_ms":3000}])").ok());
  ASSERT_TRUE((*store)->FinishRun(run, kRunFinished, "invalid", "ops 0").ok());

  RunRecord r = *(*store)->GetRun(run);
  EXPECT_EQ(r.status, kRunFinished);
  EXPECT_EQ(r.verdict, "invalid");
  EXPECT_EQ(r.schedule_json, R"([{"at_ms":3000}])");
  EXPECT_EQ(r.anomaly_count, 1);
  EXPECT_TRUE(r.ended_ms.has_value());
  std::vector<FaultRecord> faults = *(*store)->LoadFaults(run);
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].targets, std::vector<int64_t>{2});
  EXPECT_EQ(faults[0].stop_ns, 200);
  EXPECT_EQ(faults[0].detail_json, f.detail_json);
  std::vector<CheckRecord> checks = *(*store)->LoadChecks(run);
  ASSERT_EQ(checks.size(), 1u);
  ASSERT_EQ(checks[0].anomalies.size(), 1u);
  EXPECT_EQ(checks[0].anomalies[0].ops, (std::vector<int64_t>{3, 4}));
  checkers::History h = *(*store)->LoadHistory(run);
  ASSERT_EQ(h.faults.size(), 1u);
  EXPECT_EQ(h.faults[0].stop_ns, 200);
  ASSERT_EQ(h.node_events.size(), 1u);
  EXPECT_EQ(h.node_events[0].fields["leader"], 1);
}

TEST(HistoryStore, ReopenedDatabaseKeepsEveryRunAndAddsNew) {
  TempDir dir;
  int64_t first = 0;
  {
    auto store = HistoryStore::Open(dir.File("h.db"));
    ASSERT_TRUE(store.ok());
    first = *(*store)->CreateRun(NewRun());
    for (int i = 0; i < 100; ++i) (*store)->RecordInvoke(first, WriteOp(i, "v"));
  }  // destructor flushes
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t second = *(*store)->CreateRun(NewRun());
  EXPECT_GT(second, first);
  EXPECT_EQ((*store)->LoadHistory(first)->ops.size(), 100u);
  EXPECT_EQ((*store)->ListRuns()->size(), 2u);
}

TEST(HistoryStore, WriterKilledMidRunLeavesCommittedRowsIntact) {
  TempDir dir;
  std::string db = dir.File("h.db");
  int64_t run = 0;
  {
    auto store = HistoryStore::Open(db);
    ASSERT_TRUE(store.ok());
    run = *(*store)->CreateRun(NewRun());
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child records forever, as a controller would, until it is SIGKILLed.
    auto store = HistoryStore::Open(db);
    if (!store.ok()) _exit(3);
    for (int64_t i = 0;; ++i) {
      (*store)->RecordInvoke(run, WriteOp(i, "v" + std::to_string(i)));
      (*store)->RecordCompletion(run, i, checkers::Outcome::kOk, 5000 + i, std::nullopt, {}, i, "");
      if (i % 1000 == 999) usleep(1000);
    }
  }
  // Wait until the child has committed a good number of rows, then kill it mid-flight.
  int64_t seen = 0;
  for (int i = 0; i < 1200 && seen < 20000; ++i) {
    seen = CountRows(db, "SELECT COUNT(*) FROM ops");
    if (seen < 20000) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited on its own: " << status;
  ASSERT_GE(seen, 20000) << "child never committed";

  auto store = HistoryStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(CountRows(db, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check='ok'"),
            1);
  checkers::History h = *(*store)->LoadHistory(run);
  // Every row seen before the kill is still there, and the ops form a gap-free prefix: batches
  // are atomic and committed in order.
  ASSERT_GE(static_cast<int64_t>(h.ops.size()), seen);
  for (size_t i = 0; i < h.ops.size(); ++i) {
    ASSERT_EQ(h.ops[i].index, static_cast<int64_t>(i));
    ASSERT_EQ(h.ops[i].value, "v" + std::to_string(i));
  }
  // The store still accepts the next run.
  EXPECT_TRUE((*store)->CreateRun(NewRun()).ok());
}

}  // namespace
}  // namespace faultline::harness
