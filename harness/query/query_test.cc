// Queries on a store with many runs, synthesized in the test through the store's writer (runs,
// ops, faults, checks, metrics) and, for what no controller writes (a crashed row), plain SQL.
#include "harness/query/query.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "harness/history/sqlite_db.h"
#include "harness/query/query_command.h"
#include "harness/query/query_json.h"

namespace faultline::harness::query {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21, unix ms: run i starts kT0 + i days
constexpr int64_t kMsNs = 1'000'000;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "query_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string Spec(const std::string& suite, const std::string& kind, uint64_t seed, int nodes) {
  return fmt::format("name: {}\nseed: {}\nsystem:\n  kind: {}\n  nodes: {}\n", suite, seed, kind,
                     nodes);
}

struct RunSpec {
  std::string suite = "kill-3n-zabd";
  std::string system = "zabd";
  int nodes = 3;
  int64_t day = 0;
  uint64_t seed = 1;
  std::string verdict = "valid";
  std::string status = kRunFinished;
  double ok_per_s = 1000;
  double p99_ms = 20;
  std::optional<double> failover_ms = 1500;
  // Faults: kind, shape/target detail, [start, stop] ms from the run start.
  struct F {
    std::string kind, shape, target;
    int64_t start_ms, stop_ms;
  };
  std::vector<F> faults;
  // Anomalies: checker, [start, end] ms from the run start (-1: unplaced), observation.
  struct A {
    std::string checker;
    int64_t start_ms, end_ms;
    bool observation = false;
  };
  std::vector<A> anomalies;
  bool store_metrics = true;
};

// Writes one run; returns its id.
int64_t AddRun(HistoryStore& store, const RunSpec& s) {
  RunRecord r;
  r.suite = s.suite;
  r.system = s.system;
  r.spec_text = Spec(s.suite, s.system, s.seed, s.nodes);
  r.seed = s.seed;
  r.git_revision = "abc1234";
  r.started_ms = kT0 + s.day * kDayMs;
  Result<int64_t> id = store.CreateRun(r);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  int64_t t0 = r.started_ms * kMsNs;
  for (size_t i = 0; i < s.faults.size(); ++i) {
    const auto& f = s.faults[i];
    FaultRecord fr;
    fr.index = static_cast<int64_t>(i);
    fr.kind = f.kind;
    fr.targets = {1};
    fr.start_ns = t0 + f.start_ms * kMsNs;
    fr.description = f.kind;
    fr.detail_json = fmt::format(R"({{"shape":"{}","target":"{}"}})", f.shape, f.target);
    store.RecordFaultStart(*id, fr);
    store.RecordFaultStop(*id, fr.index, t0 + f.stop_ms * kMsNs);
  }
  if (!s.store_metrics) {  // ops for ComputeRunMetrics: a write acknowledged every 10 ms, 1 s
    for (int64_t i = 0; i < 100; ++i) {
      checkers::Op op;
      op.index = i;
      op.process = 1;
      op.f = checkers::Fn::kWrite;
      op.key = "k";
      op.value = std::to_string(i);
      op.invoke_ns = t0 + i * 10 * kMsNs;
      store.RecordInvoke(*id, op);
      store.RecordCompletion(*id, i, checkers::Outcome::kOk, op.invoke_ns + 2 * kMsNs, std::nullopt,
                             {}, std::nullopt, "");
    }
  }
  CheckRecord c;
  c.checker = "linearizability";
  c.verdict = s.verdict;
  for (const auto& a : s.anomalies) {
    checkers::Anomaly an;
    an.checker = a.checker;
    an.key = "k1";
    an.description = a.checker + " anomaly";
    an.start_ns = a.start_ms < 0 ? 0 : t0 + a.start_ms * kMsNs;
    an.end_ns = a.end_ms < 0 ? 0 : t0 + a.end_ms * kMsNs;
    an.observation = a.observation;
    c.anomalies.push_back(an);
  }
  EXPECT_TRUE(store.StoreCheck(*id, c).ok());
  if (s.store_metrics) {
    RunMetrics m;
    m.ops = 1000;
    m.ok = 990;
    m.workload_ms = 10000;
    m.ok_per_s = s.ok_per_s;
    m.p50_ms = s.p99_ms / 4;
    m.p99_ms = s.p99_ms;
    m.failover_ms = s.failover_ms;
    m.failover_basis = s.failover_ms ? "leader" : "";
    EXPECT_TRUE(StoreRunMetrics(store, *id, m).ok());
  }
  if (s.status != kRunRunning) {
    EXPECT_TRUE(store.FinishRun(*id, s.status, s.verdict, "").ok());
  }
  return *id;
}

// The shared store: 40 runs over 40 days.
//   kill-3n-zabd     runs on days 0..19, valid, ok/s ~1000 (spread +-10); day 19 drops to 600
//                    (a regression); days 5 and 12 are invalid with a lost write during a
//                    partition:isolate-leader (flaky: same spec apart from the seed)
//   partition-5n-etcd days 20..34, valid, steady; day 30 a linearizability anomaly during
//                    kill:leader + a stale-read observation; day 31 an unplaced zab-invariants
//   pause-3n-zookeeper days 35..37: interrupted, error, and one still running whose controller is
//                    gone (crashed)
//   metrics-from-ops  days 38, 39: no stored metrics, computed from ops
class QueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    path_ = dir_->path() + "/faultline.db";
    auto store = HistoryStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int64_t d = 0; d < 20; ++d) {
      RunSpec s;
      s.day = d;
      s.seed = 100 + d;
      s.ok_per_s = 1000 + (d % 3 - 1) * 10;
      s.faults = {{"partition", "isolate-leader", "", 1000, 3000},
                  {"kill", "", "leader", 5000, 5000}};
      if (d == 19) s.ok_per_s = 600;
      if (d == 5 || d == 12) {
        s.verdict = "invalid";
        s.anomalies = {{"lost-write", 500, 2000}};
      }
      ids_.push_back(AddRun(**store, s));
    }
    for (int64_t d = 20; d < 35; ++d) {
      RunSpec s;
      s.suite = "partition-5n-etcd";
      s.system = "etcd";
      s.nodes = 5;
      s.day = d;
      s.seed = 7;
      s.ok_per_s = 500 + (d % 2) * 5;
      s.p99_ms = 40;
      s.faults = {{"kill", "", "leader", 2000, 2000}, {"pause", "", "", 8000, 9000}};
      if (d == 30) {
        s.verdict = "invalid";
        s.anomalies = {{"linearizability", 1500, 2500}, {"stale-read", 8500, 8600, true}};
      }
      if (d == 31) {
        s.verdict = "invalid";
        s.anomalies = {{"zab-invariants", -1, -1}};
      }
      ids_.push_back(AddRun(**store, s));
    }
    for (int64_t d = 35; d < 38; ++d) {
      RunSpec s;
      s.suite = "pause-3n-zookeeper";
      s.system = "zookeeper";
      s.day = d;
      s.verdict = d == 35 ? "unknown" : "";
      s.status = d == 35 ? kRunInterrupted : d == 36 ? kRunError : kRunRunning;
      ids_.push_back(AddRun(**store, s));
    }
    for (int64_t d = 38; d < 40; ++d) {
      RunSpec s;
      s.suite = "metrics-from-ops";
      s.system = "fake";
      s.day = d;
      s.store_metrics = false;
      s.faults = {};
      ids_.push_back(AddRun(**store, s));
    }
    // The running row's controller is gone: a pid that cannot exist, on this host.
    store->reset();
    auto db = SqliteDb::Open(path_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec(fmt::format("UPDATE runs SET controller_pid = 2147483000, "
                                       "heartbeat_ms = started_ms WHERE id = {}",
                                       ids_[37]))
                    .ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
    ids_.clear();
  }
  void SetUp() override {
    auto s = HistoryStore::OpenExisting(path_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }

  std::vector<int64_t> Ids(const RunFilter& f) {
    Result<std::vector<RunRecord>> runs = FindRuns(*store_, f);
    EXPECT_TRUE(runs.ok()) << runs.status().ToString();
    std::vector<int64_t> out;
    if (runs.ok()) {
      for (const auto& r : *runs) out.push_back(r.id);
    }
    return out;
  }

  static TempDir* dir_;
  static std::string path_;
  static std::vector<int64_t> ids_;  // by day
  std::unique_ptr<HistoryStore> store_;
};

TempDir* QueryTest::dir_ = nullptr;
std::string QueryTest::path_;
std::vector<int64_t> QueryTest::ids_;

TEST_F(QueryTest, RunsAreNewestFirstAndLimited) {
  RunFilter f;
  f.limit = 0;
  std::vector<int64_t> all = Ids(f);
  ASSERT_EQ(all.size(), 40u);
  EXPECT_EQ(all.front(), ids_[39]);
  EXPECT_EQ(all.back(), ids_[0]);
  f.limit = 5;
  EXPECT_EQ(Ids(f), std::vector<int64_t>(all.begin(), all.begin() + 5));
}

TEST_F(QueryTest, RunsFilterBySuiteSystemVerdictAndStatus) {
  RunFilter f;
  f.limit = 0;
  f.suite = "kill-3n-zabd";
  EXPECT_EQ(Ids(f).size(), 20u);
  f = RunFilter{};
  f.limit = 0;
  f.system = "etcd";
  EXPECT_EQ(Ids(f).size(), 15u);
  f.verdict = "invalid";
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{ids_[31], ids_[30]}));
  f = RunFilter{};
  f.verdict = "none";
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{ids_[37], ids_[36]}));
  f = RunFilter{};
  f.status = kRunInterrupted;
  EXPECT_EQ(Ids(f), std::vector<int64_t>{ids_[35]});
  f.status = kRunError;
  EXPECT_EQ(Ids(f), std::vector<int64_t>{ids_[36]});
  // The running row whose controller is gone is crashed, and no longer running.
  f.status = kRunCrashed;
  EXPECT_EQ(Ids(f), std::vector<int64_t>{ids_[37]});
  f.status = kRunRunning;
  EXPECT_TRUE(Ids(f).empty());
  f.status = kRunFinished;
  f.limit = 0;
  EXPECT_EQ(Ids(f).size(), 37u);
}

TEST_F(QueryTest, RunsFilterByTimeRangeAnomalyKindAndFaultKind) {
  RunFilter f;
  f.limit = 0;
  f.since_ms = kT0 + 10 * kDayMs;
  f.until_ms = kT0 + 13 * kDayMs;
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{ids_[12], ids_[11], ids_[10]}));
  f = RunFilter{};
  f.limit = 0;
  f.anomaly_kind = "lost-write";
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{ids_[12], ids_[5]}));
  // An observation is not an anomaly of the run.
  f.anomaly_kind = "stale-read";
  EXPECT_TRUE(Ids(f).empty());
  f = RunFilter{};
  f.limit = 0;
  f.fault_kind = "pause";
  EXPECT_EQ(Ids(f).size(), 15u);
  f.fault_kind = "partition";
  f.verdict = "invalid";
  EXPECT_EQ(Ids(f), (std::vector<int64_t>{ids_[12], ids_[5]}));
}

TEST_F(QueryTest, BadFiltersAreErrorsNamingTheField) {
  RunFilter f;
  f.verdict = "green";
  Result<std::vector<RunRecord>> r = FindRuns(*store_, f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("verdict 'green'"), std::string::npos);
  f = RunFilter{};
  f.status = "done";
  EXPECT_FALSE(FindRuns(*store_, f).ok());
  f = RunFilter{};
  f.since_ms = 10;
  f.until_ms = 5;
  EXPECT_FALSE(FindRuns(*store_, f).ok());
  Result<RunFilter> p = RunFilterFromParams({{"colour", "red"}}, 0);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("unknown filter 'colour'"), std::string::npos);
  EXPECT_FALSE(RunFilterFromParams({{"limit", "-3"}}, 0).ok());
  Result<RunFilter> good =
      RunFilterFromParams({{"suite", "s"}, {"since", "2d"}, {"limit", "7"}}, 10 * kDayMs);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->suite, "s");
  EXPECT_EQ(good->since_ms, 8 * kDayMs);
  EXPECT_EQ(good->limit, 7);
}

TEST(ParseTimeBound, AgesDatesAndTimesInUtc) {
  const int64_t now = 1'800'000'000'000;
  EXPECT_EQ(*ParseTimeBound("now", now, "--since"), now);
  EXPECT_EQ(*ParseTimeBound("90s", now, "--since"), now - 90'000);
  EXPECT_EQ(*ParseTimeBound("12h", now, "--since"), now - 12 * 3'600'000);
  EXPECT_EQ(*ParseTimeBound("7d", now, "--since"), now - 7 * kDayMs);
  EXPECT_EQ(*ParseTimeBound("2w", now, "--since"), now - 14 * kDayMs);
  EXPECT_EQ(*ParseTimeBound("2026-12-01", now, "--since"), 1'796'083'200'000);
  EXPECT_EQ(*ParseTimeBound("2026-12-01T06:30", now, "--since"), 1'796'083'200'000 + 23'400'000);
  EXPECT_EQ(*ParseTimeBound("2026-12-01 06:30:15Z", now, "--since"),
            1'796'083'200'000 + 23'415'000);
  for (const char* bad : {"", "yesterday", "7y", "2026-13-01", "2026-02-30", "2026-12-01T25:00",
                          "2026-12-01T06:30junk", "12345678901d"}) {
    Result<int64_t> r = ParseTimeBound(bad, now, "--until");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--until '" + std::string(bad) + "'"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(QueryTest, AnomaliesAreGroupedByKindAndTheFaultsActiveWhenTheyHappened) {
  AnomalyQuery q;
  Result<AnomalyReport> r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->total, 4);  // 2 lost writes, 1 linearizability, 1 zab-invariants; no observation
  ASSERT_EQ(r->groups.size(), 3u);
  EXPECT_EQ(r->groups[0].kind, "lost-write");
  EXPECT_EQ(r->groups[0].faults, "partition:isolate-leader");  // the kill at 5 s came later
  EXPECT_EQ(r->groups[0].count, 2);
  EXPECT_EQ(r->groups[0].run_ids, (std::vector<int64_t>{ids_[5], ids_[12]}));
  EXPECT_EQ(r->groups[0].first_ms, kT0 + 5 * kDayMs);
  EXPECT_EQ(r->groups[0].last_ms, kT0 + 12 * kDayMs);
  std::map<std::string, std::string> by_kind;
  for (const auto& g : r->groups) by_kind[g.kind] = g.faults;
  EXPECT_EQ(by_kind["linearizability"], "kill:leader");
  EXPECT_EQ(by_kind["zab-invariants"], "unplaced");
  // Rows: newest run first.
  ASSERT_EQ(r->rows.size(), 4u);
  EXPECT_EQ(r->rows[0].run_id, ids_[31]);
  EXPECT_EQ(r->rows[0].system, "etcd");

  q.include_observations = true;
  r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total, 5);
  bool stale_under_pause = false;
  for (const auto& g : r->groups) {
    stale_under_pause |= g.kind == "stale-read" && g.faults == "pause";
  }
  EXPECT_TRUE(stale_under_pause);
}

TEST_F(QueryTest, AnomaliesFilterByKindActiveFaultAndRuns) {
  AnomalyQuery q;
  q.kind = "lost-write";
  q.active_fault = "partition:isolate-leader";
  Result<AnomalyReport> r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total, 2);
  q.active_fault = "kill";  // no lost write happened while a kill was active
  r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total, 0);
  q = AnomalyQuery{};
  q.active_fault = "kill";
  r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].kind, "linearizability");
  q.active_fault = "none";  // placed, no fault active: none here (the unplaced one is not)
  r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total, 0);
  q = AnomalyQuery{};
  q.runs.since_ms = kT0 + 10 * kDayMs;  // "this week"-style: only later runs
  q.runs.system = "zabd";
  r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->total, 1);
  EXPECT_EQ(r->rows[0].run_id, ids_[12]);
  q = AnomalyQuery{};
  q.limit = 1;
  r = FindAnomalies(*store_, q);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total, 4);
  EXPECT_EQ(r->rows.size(), 1u);
}

TEST_F(QueryTest, TrendsFlagTheDropBeyondTheSpreadAndTheFlakySpec) {
  TrendOptions o;
  Result<TrendReport> r = ComputeTrends(*store_, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::map<std::string, const SuiteTrend*> by_suite;
  for (const auto& t : r->suites) by_suite[t.suite] = &t;
  ASSERT_TRUE(by_suite.count("kill-3n-zabd"));
  EXPECT_FALSE(by_suite.count("pause-3n-zookeeper")) << "no finished run";
  const SuiteTrend& kill = *by_suite["kill-3n-zabd"];
  ASSERT_EQ(kill.points.size(), 20u);
  EXPECT_EQ(kill.points.front().run_id, ids_[0]);  // oldest first
  ASSERT_EQ(kill.regressions.size(), 1u);
  EXPECT_EQ(kill.regressions[0].run_id, ids_[19]);
  EXPECT_EQ(kill.regressions[0].metric, "ok_per_s");
  EXPECT_DOUBLE_EQ(kill.regressions[0].value, 600);
  EXPECT_NEAR(kill.regressions[0].baseline_mean, 1000, 10);
  EXPECT_EQ(kill.regressions[0].baseline_runs, 10);
  // Same spec apart from the seed, valid and invalid: flaky.
  ASSERT_EQ(kill.flaky.size(), 1u);
  EXPECT_EQ(kill.flaky[0].verdicts.at("valid"), 18);
  EXPECT_EQ(kill.flaky[0].verdicts.at("invalid"), 2);
  EXPECT_EQ(kill.flaky[0].run_ids.size(), 20u);
  // etcd: its two invalid runs share the spec with valid ones too; no metric moved.
  const SuiteTrend& etcd = *by_suite["partition-5n-etcd"];
  EXPECT_TRUE(etcd.regressions.empty());
  EXPECT_EQ(etcd.flaky.size(), 1u);
  ASSERT_EQ(etcd.metrics.size(), 3u);
  EXPECT_EQ(etcd.metrics[1].metric, "p99_ms");
  EXPECT_DOUBLE_EQ(etcd.metrics[1].mean, 40);
  // Metrics computed from the ops when none were stored: 100 writes over ~1 s.
  const SuiteTrend& computed = *by_suite["metrics-from-ops"];
  ASSERT_EQ(computed.points.size(), 2u);
  EXPECT_EQ(computed.points[0].metrics.ok, 100);
  EXPECT_GT(computed.points[0].metrics.ok_per_s, 90);
  EXPECT_FALSE(computed.points[0].metrics.failover_ms);
}

TEST(Trends, RegressionsNeedABaselineAndGoTheWorseWayOnly) {
  auto point = [](int64_t id, double ops, double p99) {
    TrendPoint p;
    p.run_id = id;
    p.metrics.ok_per_s = ops;
    p.metrics.p99_ms = p99;
    return p;
  };
  TrendOptions o;
  // Too few runs before for a baseline: nothing flagged however far it moves.
  EXPECT_TRUE(
      FindRegressions({point(1, 1000, 10), point(2, 1000, 10), point(3, 100, 99)}, o).empty());
  // Better is not a regression; worse within max(3 sd, 10%) is not either.
  std::vector<TrendPoint> pts = {point(1, 1000, 10), point(2, 1010, 10), point(3, 990, 10),
                                 point(4, 2000, 5), point(5, 920, 10.9)};
  EXPECT_TRUE(FindRegressions(pts, o).empty());
  pts.push_back(point(6, 1200, 30));
  std::vector<Regression> r = FindRegressions(pts, o);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].metric, "p99_ms");
  EXPECT_EQ(r[0].run_id, 6);
}

TEST(Trends, SpecKeyIgnoresTheSeedOnly) {
  EXPECT_EQ(SpecKey(Spec("a", "zabd", 1, 3)), SpecKey(Spec("a", "zabd", 2, 3)));
  EXPECT_NE(SpecKey(Spec("a", "zabd", 1, 3)), SpecKey(Spec("a", "zabd", 1, 5)));
}

TEST_F(QueryTest, JsonAndTablesCarryTheAnswers) {
  RunFilter f;
  f.status = kRunCrashed;
  Result<std::vector<RunRecord>> runs = FindRuns(*store_, f);
  ASSERT_TRUE(runs.ok());
  nlohmann::json j = RunsJson(*runs);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["status"], "crashed");
  EXPECT_EQ(j[0]["suite"], "pause-3n-zookeeper");
  std::ostringstream table;
  PrintRuns(*runs, table);
  EXPECT_NE(table.str().find("crashed"), std::string::npos) << table.str();

  Result<AnomalyReport> a = FindAnomalies(*store_, AnomalyQuery{});
  ASSERT_TRUE(a.ok());
  nlohmann::json aj = AnomaliesJson(*a);
  EXPECT_EQ(aj["total"], 4);
  EXPECT_EQ(aj["groups"][0]["faults"], "partition:isolate-leader");
  std::ostringstream at;
  PrintAnomalies(*a, at);
  EXPECT_NE(at.str().find("partition:isolate-leader"), std::string::npos) << at.str();

  Result<TrendReport> t = ComputeTrends(*store_, TrendOptions{});
  ASSERT_TRUE(t.ok());
  nlohmann::json tj = TrendsJson(*t);
  bool regression_in_json = false;
  for (const auto& s : tj["suites"]) regression_in_json |= !s["regressions"].empty();
  EXPECT_TRUE(regression_in_json);
  std::ostringstream tt;
  PrintTrends(*t, 3, tt);
  EXPECT_NE(tt.str().find("REGRESSION run " + std::to_string(ids_[19])), std::string::npos)
      << tt.str();
  EXPECT_NE(tt.str().find("FLAKY"), std::string::npos) << tt.str();
}

}  // namespace
}  // namespace faultline::harness::query
