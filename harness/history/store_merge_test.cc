// MergeStore: two stores with runs 1..k each (as two shards of a suite make them) fold into one
// with every run, its rows and its folder.
#include "harness/history/store_merge.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/history/history_store.h"
#include "harness/history/run_metrics.h"
#include "harness/history/sqlite_db.h"
#include "harness/history/suite_records.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class MergeDir {
 public:
  MergeDir() {
    std::string tmpl = (fs::temp_directory_path() / "store_merge_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~MergeDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& rel) const { return (fs::path(path_) / rel).string(); }

 private:
  std::string path_;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

constexpr int kRuns = 4;

// A shard: a results folder with faultline.db and runs/<id>/ (a marker file naming the run), k runs
// with ops, faults, node events, verdicts, anomalies, metrics, one of them a replay of another,
// and a suite run whose cases point at them.
void MakeShard(const std::string& results, const std::string& tag) {
  auto store = HistoryStore::Open(results + "/faultline.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  SuiteRunRecord suite;
  suite.name = "nightly";
  suite.file = "nightly-suite.yaml";
  suite.shard = tag == "a" ? "1/2" : "2/2";
  suite.cases = kRuns;
  Result<int64_t> suite_id = CreateSuiteRun(**store, suite);
  ASSERT_TRUE(suite_id.ok()) << suite_id.status().ToString();
  for (int i = 1; i <= kRuns; ++i) {
    RunRecord r;
    r.suite = fmt::format("case-{}{}", tag, i);
    r.spec_text = fmt::format("name: {}\nseed: {}\n", r.suite, i);
    r.seed = static_cast<uint64_t>(i);
    r.git_revision = "abc";
    r.started_ms = 1'790'000'000'000 + i * 1000;
    if (i == kRuns) r.replay_of = 1;
    Result<int64_t> id = store->get()->CreateRun(r);
    ASSERT_TRUE(id.ok());
    ASSERT_EQ(*id, i) << "each shard numbers its runs 1..k";
    std::string folder = fmt::format("{}/runs/{}", results, *id);
    fs::create_directories(folder + "/node-1");
    std::ofstream(folder + "/marker.txt") << r.suite;
    std::ofstream(folder + "/node-1/events.jsonl") << "{\"type\":\"start\"}\n";
    ASSERT_TRUE((*store)->SetRunFolder(*id, folder).ok());
    for (int64_t k = 0; k < 10 * i; ++k) {
      checkers::Op op;
      op.index = k;
      op.process = 1;
      op.f = checkers::Fn::kWrite;
      op.key = "k";
      op.value = fmt::format("{}{}-{}", tag, i, k);
      op.invoke_ns = r.started_ms * 1'000'000 + k * 1'000'000;
      (*store)->RecordInvoke(*id, op);
      (*store)->RecordCompletion(*id, k, checkers::Outcome::kOk, op.invoke_ns + 500'000,
                                 std::nullopt, {}, std::nullopt, "");
    }
    FaultRecord f;
    f.index = 0;
    f.kind = "partition";
    f.targets = {1};
    f.start_ns = r.started_ms * 1'000'000;
    f.description = "isolate leader 1";
    (*store)->RecordFaultStart(*id, f);
    (*store)->RecordFaultStop(*id, 0, f.start_ns + 5'000'000);
    for (int e = 0; e < i; ++e) {
      checkers::NodeEvent ev;
      ev.node = 1;
      ev.ts_ms = r.started_ms + e;
      ev.type = "role";
      ev.fields = {{"type", "role"}};
      (*store)->RecordNodeEvent(*id, ev);
    }
    CheckRecord c;
    c.checker = "lost-writes";
    c.verdict = i == 2 ? "invalid" : "valid";
    if (i == 2) {
      checkers::Anomaly a;
      a.checker = "lost-write";
      a.key = "k";
      a.description = fmt::format("lost in {}{}", tag, i);
      a.ops = {0, 1};
      c.anomalies.push_back(a);
    }
    ASSERT_TRUE((*store)->StoreCheck(*id, c).ok());
    RunMetrics m;
    m.ok_per_s = 100 * i;
    ASSERT_TRUE(StoreRunMetrics(**store, *id, m).ok());
    ASSERT_TRUE((*store)->FinishRun(*id, kRunFinished, c.verdict, "").ok());
    SuiteCaseRecord sc;
    sc.suite_run_id = *suite_id;
    sc.position = (i - 1) * 2 + (tag == "a" ? 0 : 1);
    sc.name = r.suite;
    sc.kind = "test";
    sc.file = "t.yaml";
    sc.run_id = *id;
    sc.outcome = c.verdict;
    ASSERT_TRUE(RecordSuiteCase(**store, sc).ok());
  }
  ASSERT_TRUE(FinishSuiteRun(**store, *suite_id, 1).ok());
  fs::create_directories(fmt::format("{}/suites/{}", results, *suite_id));
  std::ofstream(fmt::format("{}/suites/{}/junit.xml", results, *suite_id)) << "<testsuites/>";
}

std::vector<std::string> Rows(const std::string& store, const std::string& sql) {
  auto db = SqliteDb::OpenReadOnly(store);
  EXPECT_TRUE(db.ok());
  std::vector<std::string> out;
  if (!db.ok()) return out;
  auto st = (*db)->Prepare(sql);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (!st.ok()) return out;
  for (;;) {
    auto row = st->Step();
    if (!row.ok() || !*row) break;
    out.push_back(st->Text(0));
  }
  return out;
}

std::string One(const std::string& store, const std::string& sql) {
  std::vector<std::string> r = Rows(store, sql);
  return r.empty() ? "" : r[0];
}

TEST(MergeStore, TwoShardsWithRuns1ToKBecomeOneStoreWithEveryRunRowAndFolder) {
  MergeDir dir;
  MakeShard(dir / "shard-a", "a");
  MakeShard(dir / "shard-b", "b");
  MergeOptions o;
  o.target_store = dir / "merged/faultline.db";
  o.results_dir = dir / "merged";
  Result<MergeResult> a = MergeStore(dir / "shard-a", o);  // a results folder
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Result<MergeResult> b = MergeStore(dir / "shard-b/faultline.db", o);  // a store file
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->runs_merged, kRuns);
  EXPECT_EQ(b->runs_merged, kRuns);
  EXPECT_EQ(a->folders_copied + b->folders_copied, 2 * kRuns);
  EXPECT_EQ(a->folders_missing + b->folders_missing, 0);
  EXPECT_EQ(a->suite_runs_merged + b->suite_runs_merged, 2);

  const std::string m = o.target_store;
  EXPECT_EQ(One(m, "SELECT COUNT(*) FROM runs"), std::to_string(2 * kRuns));
  EXPECT_EQ(One(m, "SELECT COUNT(DISTINCT id) FROM runs"), std::to_string(2 * kRuns));
  EXPECT_EQ(One(m, "SELECT COUNT(DISTINCT uid) FROM runs"), std::to_string(2 * kRuns));
  // Every source run, by suite name: its new id, its rows, its folder renamed to the new id.
  for (const std::string tag : {"a", "b"}) {
    const MergeResult& r = tag == "a" ? *a : *b;
    const std::string src = dir / ("shard-" + tag + "/faultline.db");
    for (int i = 1; i <= kRuns; ++i) {
      SCOPED_TRACE(tag + std::to_string(i));
      ASSERT_TRUE(r.run_ids.count(i));
      const int64_t id = r.run_ids.at(i);
      const std::string suite = fmt::format("case-{}{}", tag, i);
      EXPECT_EQ(One(m, fmt::format("SELECT suite FROM runs WHERE id={}", id)), suite);
      EXPECT_EQ(One(m, fmt::format("SELECT uid FROM runs WHERE id={}", id)),
                One(src, fmt::format("SELECT uid FROM runs WHERE id={}", i)));
      for (const char* table :
           {"ops", "faults", "node_events", "verdicts", "anomalies", "run_metrics"}) {
        EXPECT_EQ(One(m, fmt::format("SELECT COUNT(*) FROM {} WHERE run_id={}", table, id)),
                  One(src, fmt::format("SELECT COUNT(*) FROM {} WHERE run_id={}", table, i)))
            << table;
      }
      EXPECT_EQ(
          Rows(m, fmt::format("SELECT value FROM ops WHERE run_id={} ORDER BY op_index", id)),
          Rows(src, fmt::format("SELECT value FROM ops WHERE run_id={} ORDER BY op_index", i)));
      const std::string folder = One(m, fmt::format("SELECT folder FROM runs WHERE id={}", id));
      EXPECT_EQ(folder, (fs::path(o.results_dir) / "runs" / std::to_string(id)).string());
      EXPECT_EQ(ReadFile(fs::path(folder) / "marker.txt"), suite);
      EXPECT_TRUE(fs::exists(fs::path(folder) / "node-1/events.jsonl"));
    }
    // The replay points at its source's run 1 under its new id; anomalies kept their text.
    EXPECT_EQ(One(m, fmt::format("SELECT replay_of FROM runs WHERE id={}", r.run_ids.at(kRuns))),
              std::to_string(r.run_ids.at(1)));
    EXPECT_EQ(
        One(m, fmt::format("SELECT description FROM anomalies WHERE run_id={}", r.run_ids.at(2))),
        "lost in " + tag + "2");
    // The source is untouched: its runs still 1..k with their folders.
    EXPECT_EQ(One(src, "SELECT COUNT(*) FROM runs"), std::to_string(kRuns));
    EXPECT_TRUE(fs::exists(dir / ("shard-" + tag + "/runs/1/marker.txt")));
  }
  // Suite cases point at the new ids; both shards' suite runs are there with their folders.
  EXPECT_EQ(One(m, "SELECT COUNT(*) FROM suite_cases"), std::to_string(2 * kRuns));
  EXPECT_EQ(One(m,
                "SELECT COUNT(*) FROM suite_cases c JOIN runs r ON r.id = c.run_id "
                "WHERE r.suite = c.name"),
            std::to_string(2 * kRuns));
  EXPECT_EQ(Rows(m, "SELECT shard FROM suite_runs ORDER BY id"),
            (std::vector<std::string>{"1/2", "2/2"}));
  EXPECT_TRUE(fs::exists(fs::path(o.results_dir) / "suites/2/junit.xml"));

  // Merging again adds nothing.
  Result<MergeResult> again = MergeStore(dir / "shard-a", o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->runs_merged, 0);
  EXPECT_EQ(again->runs_already_present, kRuns);
  EXPECT_EQ(again->suite_runs_merged, 0);
  EXPECT_EQ(again->suite_runs_already_present, 1);
  EXPECT_EQ(One(m, "SELECT COUNT(*) FROM runs"), std::to_string(2 * kRuns));
  EXPECT_EQ(One(m, "SELECT COUNT(*) FROM suite_cases"), std::to_string(2 * kRuns));
}

TEST(MergeStore, BadSourcesAreErrorsNamingThemAndAMissingFolderIsAWarningNotALoss) {
  MergeDir dir;
  MakeShard(dir / "shard-a", "a");
  MergeOptions o;
  o.target_store = dir / "merged/faultline.db";
  o.results_dir = dir / "merged";
  Result<MergeResult> r = MergeStore(dir / "nowhere.db", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no history store at " + (dir / "nowhere.db")),
            std::string::npos);
  std::ofstream(dir / "not-a-store.db") << "hello";
  r = MergeStore(dir / "not-a-store.db", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not-a-store.db"), std::string::npos);
  r = MergeStore(dir / "shard-a/faultline.db", MergeOptions{dir / "shard-a/faultline.db", "x"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is the target store itself"), std::string::npos);

  // A target folder that is already there is never overwritten: that run is not merged.
  fs::create_directories(dir / "merged/runs/1");
  r = MergeStore(dir / "shard-a", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("already exists"), std::string::npos);
  EXPECT_EQ(One(o.target_store, "SELECT COUNT(*) FROM runs"), "0");
  fs::remove_all(dir / "merged");

  // Run 3's folder is gone: the run and its rows are merged, the folder counted missing.
  fs::remove_all(dir / "shard-a/runs/3");
  r = MergeStore(dir / "shard-a", o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->runs_merged, kRuns);
  EXPECT_EQ(r->folders_missing, 1);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("run 3"), std::string::npos) << r->warnings[0];
  EXPECT_EQ(
      One(o.target_store, fmt::format("SELECT folder FROM runs WHERE id={}", r->run_ids.at(3))),
      "");
  EXPECT_EQ(One(o.target_store,
                fmt::format("SELECT COUNT(*) FROM ops WHERE run_id={}", r->run_ids.at(3))),
            "30");
}

}  // namespace
}  // namespace faultline::harness
