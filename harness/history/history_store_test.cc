#include "harness/history/history_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/history/run_liveness.h"

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
  // The run's start, for the checkers' messages (times as offsets from it).
  EXPECT_EQ(h->origin_ms, (*store)->GetRun(*run)->started_ms);
  EXPECT_GT(h->origin_ms, 0);
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

// Many op rows in one batch take the 32-rows-per-statement path (and the tail one by one); a
// second completion of an op, and completions of ops committed earlier, update the rows after.
TEST(HistoryStore, OpsWrittenManyToAStatementReadBackAsWrittenOneByOne) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  constexpr int kOps = 100;
  for (int i = 0; i < kOps; ++i) {
    checkers::Op op = WriteOp(i, "v" + std::to_string(i));
    if (i % 7 == 0) {
      op.f = checkers::Fn::kRead;
      op.value.reset();
    }
    (*store)->RecordInvoke(run, op);
    if (i % 3 != 0) {
      (*store)->RecordCompletion(run, i, checkers::Outcome::kOk, 5000 + i,
                                 i % 7 == 0 ? std::optional<std::string>("r") : std::nullopt,
                                 i % 5 == 0 ? std::vector<std::string>{"a", "b"}
                                            : std::vector<std::string>{},
                                 i, "");
    }
  }
  (*store)->RecordCompletion(run, 1, checkers::Outcome::kInfo, 9000, std::nullopt, {}, std::nullopt,
                             "again");  // a second completion: it wins, as with one row each
  ASSERT_TRUE((*store)->Flush().ok());
  for (int i = 0; i < kOps; i += 3) {
    (*store)->RecordCompletion(run, i, checkers::Outcome::kFail, 7000 + i, std::nullopt, {},
                               std::nullopt, "late");
  }
  ASSERT_TRUE((*store)->Flush().ok());
  checkers::History h = *(*store)->LoadHistory(run);
  ASSERT_EQ(h.ops.size(), static_cast<size_t>(kOps));
  for (int i = 0; i < kOps; ++i) {
    const checkers::Op& op = h.ops[i];
    SCOPED_TRACE("op " + std::to_string(i));
    EXPECT_EQ(op.index, i);
    EXPECT_EQ(op.f, i % 7 == 0 ? checkers::Fn::kRead : checkers::Fn::kWrite);
    if (i == 1) {
      EXPECT_EQ(op.outcome, checkers::Outcome::kInfo);
      EXPECT_EQ(op.complete_ns, 9000);
    } else if (i % 3 == 0) {
      EXPECT_EQ(op.outcome, checkers::Outcome::kFail);
      EXPECT_EQ(op.complete_ns, 7000 + i);
    } else {
      EXPECT_EQ(op.outcome, checkers::Outcome::kOk);
      EXPECT_EQ(op.complete_ns, 5000 + i);
      EXPECT_EQ(op.zxid, i);
      if (i % 5 == 0) {
        EXPECT_EQ(op.elements, (std::vector<std::string>{"a", "b"}));
      }
    }
    if (i % 7 == 0 && i % 3 != 0) {
      EXPECT_EQ(op.value, "r");
    } else if (i % 7 != 0) {
      EXPECT_EQ(op.value, "v" + std::to_string(i));
    }
  }
}

// The writer dumps a node event's fields with its own serializer for the usual shape; the stored
// text is nlohmann's dump() byte for byte, for that shape and every other (which take dump()).
TEST(HistoryStore, NodeEventJsonIsByteForByteWhatNlohmannDumps) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  std::vector<nlohmann::json> shapes = {
      {{"count", 1}, {"first", 4294967297ull}, {"last", UINT64_MAX}, {"digest", -7}},
      {{"simulated", true}, {"torn", false}, {"none", nullptr}, {"mode", "sync"}},
      {{"error", "say \"no\"\n"}, {"node", 1}},  // a string to escape
      {{"path", "caf\xc3\xa9"}},                 // UTF-8
      {{"nested", {{"a", 1}}}, {"list", {1, 2}}},
      {{"ratio", 0.5}},
      {{"we\"ird", 1}},  // a key to escape
      nlohmann::json::object(),
      {{"", ""}, {"min", INT64_MIN}},
  };
  std::vector<checkers::NodeEvent> events;
  for (int i = 0; i < 70; ++i) {  // two full statements of 32 and a tail of 6
    checkers::NodeEvent e;
    e.node = 1 + i % 3;
    e.ts_ms = 10 + i;
    e.type = "logged";
    e.fields = checkers::FieldList::FromJson(shapes[i % shapes.size()]);
    e.fields.Set("ts_ms", e.ts_ms);
    events.push_back(std::move(e));
  }
  std::vector<std::string> want;
  // nlohmann's dump of the same object, byte for byte (FieldList::DumpTo writes it itself).
  for (const checkers::NodeEvent& e : events) want.push_back(e.fields.ToJson().dump());
  (*store)->RecordNodeEvents(run, std::move(events));
  ASSERT_TRUE((*store)->Flush().ok());
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir.File("h.db").c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h, "SELECT json FROM node_events ORDER BY rowid", -1, &st, nullptr),
            SQLITE_OK);
  std::vector<std::string> got;
  while (sqlite3_step(st) == SQLITE_ROW) {
    got.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  EXPECT_EQ(got, want);
}

// RecordRunEnd writes what StoreCheck, SetSchedule and FinishRun write, after every record queued
// before it.
TEST(HistoryStore, QueuedRunEndIsCommittedAfterTheRecordsBeforeItLikeTheSynchronousCalls) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  (*store)->RecordInvoke(run, WriteOp(0, "v0"));
  (*store)->RecordCompletion(run, 0, checkers::Outcome::kOk, 50, std::nullopt, {}, 1, "");
  RunEnd end;
  CheckRecord lin{"linearizability", "invalid", "key k0", {}};
  checkers::Anomaly an;
  an.checker = "linearizability";
  an.key = "k0";
  an.description = "stale read";
  an.ops = {0};
  lin.anomalies.push_back(an);
  end.checks = {lin, CheckRecord{"lost-writes", "valid", "", {}}};
  end.schedule_json = R"([{"at_ms":3000}])";
  end.status = kRunFinished;
  end.verdict = "invalid";
  end.summary = "ops 1";
  end.ended_ms = 1234;
  (*store)->RecordRunEnd(run, end);
  ASSERT_TRUE((*store)->Flush().ok());
  RunRecord r = *(*store)->GetRun(run);
  EXPECT_EQ(r.status, kRunFinished);
  EXPECT_EQ(r.verdict, "invalid");
  EXPECT_EQ(r.summary, "ops 1");
  EXPECT_EQ(r.schedule_json, R"([{"at_ms":3000}])");
  EXPECT_EQ(r.ended_ms, std::optional<int64_t>(1234));
  EXPECT_EQ(r.anomaly_count, 1);
  std::vector<CheckRecord> checks = *(*store)->LoadChecks(run);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].checker, "linearizability");
  ASSERT_EQ(checks[0].anomalies.size(), 1u);
  EXPECT_EQ(checks[0].anomalies[0].ops, std::vector<int64_t>{0});
  EXPECT_EQ(checks[1].checker, "lost-writes");
  EXPECT_EQ((*store)->LoadHistory(run)->ops.size(), 1u);
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

// ---- liveness: a controller that dies without finishing its run (issue 10)

LivenessProbe Probe(int64_t now_ms, bool pid_alive) {
  LivenessProbe p;
  p.host = "here";
  p.now_ms = now_ms;
  p.pid_alive = [pid_alive](int64_t) { return pid_alive; };
  return p;
}

RunRecord Row(const std::string& status, const std::string& host, int64_t last_heard_ms) {
  RunRecord r;
  r.recorded_status = status;
  r.controller_pid = 1234;
  r.controller_host = host;
  r.last_heard_ms = last_heard_ms;
  return r;
}

TEST(RunLiveness, RunningRowWhoseControllerPidIsGoneOnThisHostIsCrashed) {
  EXPECT_TRUE(ControllerGone(Probe(1000, /*pid_alive=*/false), Row(kRunRunning, "here", 1000)));
  EXPECT_FALSE(ControllerGone(Probe(1000, /*pid_alive=*/true), Row(kRunRunning, "here", 1000)));
}

TEST(RunLiveness, PidOfAnotherHostIsNotProbedOnlyItsHeartbeatCounts) {
  int64_t t = 1'000'000;
  EXPECT_FALSE(ControllerGone(Probe(t, false), Row(kRunRunning, "elsewhere", t - 1000)));
  EXPECT_TRUE(
      ControllerGone(Probe(t, true), Row(kRunRunning, "elsewhere", t - kHeartbeatStaleMs - 1)));
}

TEST(RunLiveness, StaleHeartbeatIsCrashedEvenWhenThePidWasReused) {
  int64_t t = 1'000'000;
  EXPECT_TRUE(ControllerGone(Probe(t, true), Row(kRunRunning, "here", t - kHeartbeatStaleMs - 1)));
}

TEST(RunLiveness, FinishedInterruptedAndErrorRowsAreNeverCrashed) {
  for (const char* status : {kRunFinished, kRunInterrupted, kRunError}) {
    RunRecord r = Row(status, "here", 0);
    ApplyLiveness(Probe(1'000'000, false), &r);
    EXPECT_EQ(r.status, status);
  }
}

TEST(HistoryStore, CreateRunRecordsControllerPidHostAndHeartbeat) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  RunRecord r = *(*store)->GetRun(run);
  EXPECT_EQ(r.status, kRunRunning);
  EXPECT_EQ(r.controller_pid, getpid());
  EXPECT_EQ(r.controller_host, LocalProbe().host);
  ASSERT_TRUE(r.heartbeat_ms.has_value());
  EXPECT_EQ(r.system, "zabd");  // the spec names no system: every run before systems existed
}

TEST(HistoryStore, WriterStampsTheHeartbeatOfAnOpenRunWhileNothingIsRecorded) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  int64_t first = *(*store)->GetRun(run)->heartbeat_ms;
  // Poll (no timing asserted): the heartbeat moves on its own while the run records nothing.
  int64_t now = first;
  for (int i = 0; i < 600 && now == first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = *(*store)->GetRun(run)->heartbeat_ms;
  }
  EXPECT_GT(now, first);
  ASSERT_TRUE((*store)->FinishRun(run, kRunFinished, "valid", "").ok());
  EXPECT_EQ((*store)->GetRun(run)->status, kRunFinished);
}

TEST(HistoryStore, SigkilledControllerRunReadsBackCrashedAndTheNextRunWritesItDown) {
  TempDir dir;
  std::string db = dir.File("h.db");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A controller: creates its run, records, and keeps going until it is SIGKILLed.
    close(fds[0]);
    auto store = HistoryStore::Open(db);
    if (!store.ok()) _exit(3);
    int64_t run = *(*store)->CreateRun(NewRun());
    (*store)->RecordInvoke(run, WriteOp(0, "v0"));
    if (!(*store)->Flush().ok()) _exit(4);
    if (write(fds[1], &run, sizeof(run)) != sizeof(run)) _exit(5);
    for (;;) pause();
  }
  close(fds[1]);
  int64_t run = 0;
  ASSERT_EQ(read(fds[0], &run, sizeof(run)), static_cast<ssize_t>(sizeof(run)));
  close(fds[0]);
  {
    auto reader = HistoryStore::OpenExisting(db);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->GetRun(run)->status, kRunRunning);  // alive: not crashed
  }
  kill(child, SIGKILL);
  // Killed but not yet reaped (a zombie, as under a parent that has not waited): already gone.
  for (int i = 0; i < 600; ++i) {
    std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), {});
    if (all.find(") Z") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  {
    auto reader = HistoryStore::OpenExisting(db);
    ASSERT_TRUE(reader.ok());
    EXPECT_EQ((*reader)->GetRun(run)->status, kRunCrashed);
  }
  waitpid(child, nullptr, 0);

  auto reader = HistoryStore::OpenExisting(db);
  ASSERT_TRUE(reader.ok());
  RunRecord r = *(*reader)->GetRun(run);
  EXPECT_EQ(r.status, kRunCrashed);
  EXPECT_EQ(r.recorded_status, kRunRunning);  // nothing was written by the reader
  EXPECT_GE(r.last_heard_ms, r.started_ms);
  EXPECT_EQ((*reader)->ListRuns()->front().status, kRunCrashed);
  EXPECT_EQ(CountRows(db, "SELECT COUNT(*) FROM runs WHERE status='running'"), 1);

  // A later run on the same store writes the decision down for sqlite3 users.
  auto writer = HistoryStore::Open(db);
  ASSERT_TRUE(writer.ok());
  int64_t next = *(*writer)->CreateRun(NewRun());
  EXPECT_EQ(CountRows(db, "SELECT COUNT(*) FROM runs WHERE status='crashed'"), 1);
  EXPECT_EQ((*writer)->GetRun(next)->status, kRunRunning);
  EXPECT_EQ((*writer)->GetRun(run)->status, kRunCrashed);
}

TEST(HistoryStore, OpenExistingOnAMissingStoreIsAnErrorNamingThePathAndCreatesNothing) {
  TempDir dir;
  std::string path = dir.File("missing/dir/x.db");
  auto store = HistoryStore::OpenExisting(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_FALSE(fs::exists(dir.File("missing")));
}

TEST(HistoryStore, OpenExistingOnAFileThatIsNotAStoreSaysSo) {
  TempDir dir;
  std::ofstream(dir.File("notes.txt")) << "hello, not a database\n";
  auto store = HistoryStore::OpenExisting(dir.File("notes.txt"));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("notes.txt"), std::string::npos);
  auto dir_store = HistoryStore::OpenExisting(dir.File(""));
  EXPECT_FALSE(dir_store.ok());
}

TEST(HistoryStore, OpenExistingNeverWritesRecordsAreRefused) {
  TempDir dir;
  int64_t run = 0;
  {
    auto store = HistoryStore::Open(dir.File("h.db"));
    run = *(*store)->CreateRun(NewRun());
    ASSERT_TRUE((*store)->FinishRun(run, kRunFinished, "valid", "").ok());
  }
  auto reader = HistoryStore::OpenExisting(dir.File("h.db"));
  ASSERT_TRUE(reader.ok());
  (*reader)->RecordInvoke(run, WriteOp(0, "v"));
  EXPECT_FALSE((*reader)->Flush().ok());
  EXPECT_FALSE((*reader)->CreateRun(NewRun()).ok());
  EXPECT_EQ(CountRows(dir.File("h.db"), "SELECT COUNT(*) FROM runs"), 1);
  EXPECT_EQ(CountRows(dir.File("h.db"), "SELECT COUNT(*) FROM ops"), 0);
}

// The first schema, as faultline wrote it before liveness columns existed.
void WriteFirstSchemaStore(const std::string& path, int64_t started_ms) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
  std::string sql =
      "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, suite TEXT NOT NULL, spec TEXT "
      "NOT NULL, seed INTEGER NOT NULL, git_revision TEXT NOT NULL, folder TEXT NOT NULL DEFAULT "
      "'', started_ms INTEGER NOT NULL, ended_ms INTEGER, status TEXT NOT NULL, verdict TEXT NOT "
      "NULL DEFAULT '', schedule TEXT NOT NULL DEFAULT '[]', replay_of INTEGER, summary TEXT NOT "
      "NULL DEFAULT '');"
      "CREATE TABLE anomalies (run_id INTEGER NOT NULL, checker TEXT NOT NULL, key TEXT NOT NULL, "
      "description TEXT NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, ops TEXT NOT "
      "NULL, detail TEXT NOT NULL);"
      "CREATE TABLE ops (run_id INTEGER NOT NULL, op_index INTEGER NOT NULL, process INTEGER NOT "
      "NULL, f TEXT NOT NULL, key TEXT NOT NULL, value TEXT, expected TEXT, elements TEXT, node "
      "INTEGER, invoke_ns INTEGER NOT NULL, complete_ns INTEGER, outcome TEXT, zxid INTEGER, error "
      "TEXT, PRIMARY KEY (run_id, op_index)) WITHOUT ROWID;"
      "CREATE TABLE faults (run_id INTEGER NOT NULL, fault_index INTEGER NOT NULL, kind TEXT NOT "
      "NULL, targets TEXT NOT NULL, start_ns INTEGER NOT NULL, stop_ns INTEGER, description TEXT "
      "NOT NULL, detail TEXT NOT NULL, PRIMARY KEY (run_id, fault_index));"
      "INSERT INTO runs (suite, spec, seed, git_revision, started_ms, status) VALUES "
      "('old', 'name: old', 1, 'abc', " +
      std::to_string(started_ms) + ", 'running');";
  ASSERT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
}

TEST(HistoryStore, FirstSchemaStoreReadsBackReadOnlyAndIsUpgradedByTheNextWriter) {
  TempDir dir;
  std::string db = dir.File("old.db");
  // Started an hour ago and never heard from since: its controller is long gone.
  WriteFirstSchemaStore(db, LocalProbe().now_ms - 3'600'000);
  {
    auto reader = HistoryStore::OpenExisting(db);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    RunRecord r = *(*reader)->GetRun(1);
    EXPECT_EQ(r.suite, "old");
    EXPECT_EQ(r.system, "zabd");
    EXPECT_EQ(r.status, kRunCrashed);
    EXPECT_FALSE(r.heartbeat_ms.has_value());
  }
  EXPECT_EQ(CountRows(db,
                      "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE "
                      "name='heartbeat_ms'"),
            0);  // the reader changed nothing
  auto writer = HistoryStore::Open(db);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_EQ(CountRows(db,
                      "SELECT COUNT(*) FROM pragma_table_info('runs') WHERE "
                      "name='heartbeat_ms'"),
            1);
  EXPECT_EQ((*writer)->GetRun(1)->suite, "old");
  EXPECT_TRUE((*writer)->CreateRun(NewRun()).ok());
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

TEST(HistoryStore, ObservationsAreStoredApartFromAnomalies) {
  TempDir dir;
  auto store = HistoryStore::Open(dir.File("h.db"));
  ASSERT_TRUE(store.ok());
  int64_t run = *(*store)->CreateRun(NewRun());
  CheckRecord check{"stale-reads", "valid", "1 of 3 reads stale", {}};
  checkers::Anomaly stale;
  stale.checker = "stale-reads";
  stale.description = "stale read";
  stale.observation = true;
  check.anomalies.push_back(stale);
  ASSERT_TRUE((*store)->StoreCheck(run, check).ok());
  CheckRecord lost{"lost-writes", "invalid", "", {}};
  checkers::Anomaly an;
  an.checker = "lost-writes";
  an.description = "lost";
  lost.anomalies.push_back(an);
  ASSERT_TRUE((*store)->StoreCheck(run, lost).ok());
  RunRecord r = *(*store)->GetRun(run);
  EXPECT_EQ(r.anomaly_count, 1);
  EXPECT_EQ(r.observation_count, 1);
  std::vector<CheckRecord> checks = *(*store)->LoadChecks(run);
  ASSERT_EQ(checks.size(), 2u);
  ASSERT_EQ(checks[0].anomalies.size(), 1u);
  EXPECT_TRUE(checks[0].anomalies[0].observation);
  ASSERT_EQ(checks[1].anomalies.size(), 1u);
  EXPECT_FALSE(checks[1].anomalies[0].observation);
}

TEST(HistoryStore, ADatabaseFromBeforeObservationsGetsTheColumn) {
  TempDir dir;
  const std::string path = dir.File("old.db");
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(h,
                     "CREATE TABLE anomalies (run_id INTEGER NOT NULL, checker TEXT NOT NULL, "
                     "key TEXT NOT NULL, description TEXT NOT NULL, start_ns INTEGER NOT "
                     "NULL, end_ns INTEGER NOT NULL, ops TEXT NOT NULL, detail TEXT NOT "
                     "NULL); INSERT INTO anomalies VALUES (1,'lost-writes','k','old',0,0,"
                     "'[]','');",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(h);
  }
  auto store = HistoryStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(CountRows(path, "SELECT COUNT(*) FROM anomalies WHERE observation = 0"), 1);
}

}  // namespace
}  // namespace faultline::harness
