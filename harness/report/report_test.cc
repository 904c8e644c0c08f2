// Unit tests of the report library: timeline arithmetic, evidence selection (pinned to the
// checkers' real output), JUnit structure, the rendered page's hooks, and the console summary's
// times.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "checkers/checkers.h"
#include "harness/history/history_store.h"
#include "harness/report/evidence.h"
#include "harness/report/html_internal.h"
#include "harness/report/html_report.h"
#include "harness/report/junit.h"
#include "harness/report/timeline.h"
#include "harness/run/summary.h"

namespace faultline::harness::report {
namespace {

namespace fs = std::filesystem;
using checkers::Fn;
using checkers::NodeEvent;
using checkers::Op;
using checkers::Outcome;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000 * kMs;  // unix ns of the run's start

Op MakeOp(int64_t index, int64_t process, Fn f, std::string value, int64_t invoke_ms,
          int64_t complete_ms, Outcome outcome, std::string key = "k") {
  Op op;
  op.index = index;
  op.process = process;
  op.f = f;
  op.key = std::move(key);
  op.value = std::move(value);
  op.invoke_ns = kT0 + invoke_ms * kMs;
  op.complete_ns = complete_ms < 0 ? checkers::kOpenNs : kT0 + complete_ms * kMs;
  op.outcome = outcome;
  return op;
}

NodeEvent Ev(int64_t node, int64_t at_ms, std::string type, nlohmann::json fields) {
  NodeEvent e;
  e.node = node;
  e.ts_ms = kT0 / kMs + at_ms;
  e.type = type;
  fields["ts_ms"] = e.ts_ms;
  fields["node"] = node;
  fields["type"] = type;
  e.fields = checkers::FieldList::FromJson(fields);
  return e;
}

TEST(Timeline, QuantilesAreNearestRankAndEmptyMeansNoSamples) {
  Quantiles q = QuantilesOf({5, 1, 4, 2, 3, 10, 6, 7, 8, 9});
  EXPECT_EQ(q.n, 10);
  EXPECT_EQ(q.p50, 5);
  EXPECT_EQ(q.p90, 9);
  EXPECT_EQ(q.p99, 10);
  EXPECT_EQ(q.max, 10);
  EXPECT_EQ(QuantilesOf({}).n, 0);
  EXPECT_LT(QuantilesOf({}).p99, 0);
}

TEST(Timeline, BucketWidthsAreRoundAndBounded) {
  EXPECT_EQ(NiceBucketNs(10 * kMs, 300), 100 * kMs);  // never below 100 ms
  EXPECT_EQ(NiceBucketNs(30'000 * kMs, 300), 200 * kMs);
  EXPECT_EQ(NiceBucketNs(360'000 * kMs, 300), 2'000 * kMs);  // a 6-minute nightly
  for (int64_t span : {int64_t{1}, 7'777 * kMs, 3'600'000 * kMs}) {
    EXPECT_LT(span / NiceBucketNs(span, 300), 300);
  }
}

TEST(Timeline, OpsAreCountedByOutcomeAtCompletionAndOpenOpsAreInfo) {
  std::vector<Op> ops = {
      MakeOp(0, 1, Fn::kWrite, "1", 0, 10, Outcome::kOk),
      MakeOp(1, 2, Fn::kWrite, "2", 50, 150, Outcome::kFail),  // completes in bucket 1
      MakeOp(2, 3, Fn::kRead, "", 20, 1020, Outcome::kInfo),   // bucket 10
      MakeOp(3, 4, Fn::kWrite, "3", 30, -1, Outcome::kInfo),   // never completed: invoke time
  };
  OpSeries s = BucketOps(ops, kT0, kT0 + 2'000 * kMs, 30);
  ASSERT_EQ(s.bucket_ns, 100 * kMs);
  EXPECT_EQ(s.buckets[0].ok, 1);
  EXPECT_EQ(s.buckets[0].info, 1);
  EXPECT_EQ(s.buckets[1].fail, 1);
  EXPECT_EQ(s.buckets[10].info, 1);
  EXPECT_EQ(s.buckets[0].ok_latency.p50, 10);
  EXPECT_EQ(s.buckets[1].fail_latency.max, 100);
  EXPECT_EQ(s.buckets[10].info_latency.max, 1000);
}

TEST(Timeline, LeadershipEndsAtStepDownKillOrTheNextEpoch) {
  std::vector<NodeEvent> ev = {
      Ev(1, 100, "established", {{"epoch", 1}, {"leader", 1}}),
      Ev(1, 900, "step_down", {{"epoch", 1}, {"reason", "quorum lost"}}),
      Ev(2, 1000, "established", {{"epoch", 2}, {"leader", 2}}),
      Ev(3, 3000, "established", {{"epoch", 3}, {"leader", 3}}),
  };
  std::vector<checkers::Fault> faults = {{"kill", {3}, kT0 + 4000 * kMs, kT0 + 5000 * kMs, ""}};
  Leadership l = LeadersOverTime(ev, faults, kT0 + 6000 * kMs);
  ASSERT_EQ(l.spans.size(), 3u);
  EXPECT_EQ(l.spans[0].end_ns, kT0 + 900 * kMs);
  EXPECT_EQ(l.spans[0].ended_by, "step_down: quorum lost");
  EXPECT_EQ(l.spans[1].end_ns, kT0 + 3000 * kMs);
  EXPECT_EQ(l.spans[1].ended_by, "epoch 3 established");
  EXPECT_EQ(l.spans[2].end_ns, kT0 + 4000 * kMs);
  EXPECT_EQ(l.spans[2].ended_by, "killed");
}

TEST(Timeline, NodeSummaryCountsRestartsElectionsSyncModesAndFaults) {
  std::vector<NodeEvent> ev = {
      Ev(1, 0, "start", {{"accepted_epoch", 0}, {"current_epoch", 0}}),
      Ev(1, 10, "elected", {{"leader", 2}}),
      Ev(1, 11, "role", {{"role", "following"}}),
      Ev(1, 20, "sync_received", {{"mode", "DIFF"}}),
      Ev(2, 12, "established", {{"epoch", 1}, {"leader", 2}}),
      Ev(2, 13, "sync_decision", {{"mode", "DIFF"}, {"peer", 1}}),
      Ev(1, 30, "start", {{"accepted_epoch", 1}, {"current_epoch", 1}}),
      Ev(1, 40, "sync_received", {{"mode", "SNAP"}}),
      Ev(1, 50, "committed", {{"first", 5}, {"last", 9}}),
  };
  std::vector<checkers::Fault> faults = {{"kill", {1}, kT0, kT0 + 1, ""}};
  std::vector<NodeSummary> n = SummarizeNodes(ev, faults);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0].starts, 2);
  EXPECT_EQ(n[0].elections, 1);
  EXPECT_EQ(n[0].sync_received.at("DIFF"), 1);
  EXPECT_EQ(n[0].sync_received.at("SNAP"), 1);
  EXPECT_EQ(n[0].last_committed, 9);
  EXPECT_EQ(n[0].faults.at("kill"), 1);
  EXPECT_EQ(n[1].led_epochs, std::vector<int64_t>{1});
  EXPECT_EQ(n[1].sync_sent.at("DIFF"), 1);
}

TEST(Timeline, LongestOkGapAroundAFaultIsItsOutage) {
  std::vector<int64_t> ok = {100, 200, 300, 1500, 1600, 9000};
  Gap g = LongestOkGap(ok, 250, 400, /*grace_ns=*/1000);
  EXPECT_EQ(g.start_ns, 300);
  EXPECT_EQ(g.end_ns, 1500);
  EXPECT_EQ(LongestOkGap({}, 0, 10).length_ns(), 0);
}

// The counterexample's marked op comes from the linearizability checker's own output: this pins
// the format (checkers/linear/explain.cc) the report reads.
TEST(Evidence, CulpritIsTheOpTheLinearizabilityCheckerMarks) {
  checkers::History h;
  h.ops = {MakeOp(0, 1, Fn::kWrite, "1", 0, 10, Outcome::kOk),
           MakeOp(1, 2, Fn::kWrite, "2", 20, 30, Outcome::kOk),
           MakeOp(2, 3, Fn::kRead, "1", 40, 50, Outcome::kOk)};  // stale: 2 was acknowledged
  checkers::ModelOptions model;
  checkers::LinearizabilityResult r = checkers::CheckLinearizable(h, model, checkers::Budget{});
  ASSERT_EQ(r.anomalies.size(), 1u);
  std::optional<int64_t> culprit = CulpritOp(r.anomalies[0]);
  ASSERT_TRUE(culprit.has_value()) << r.anomalies[0].detail;
  EXPECT_EQ(*culprit, 2);
}

TEST(Evidence, LostWriteTrailNamesLoggersCommittersAndTheSyncThatRemovedIt) {
  const int64_t z = (int64_t{1} << 32) | 7;
  std::vector<NodeEvent> ev = {
      Ev(1, 10, "logged", {{"first", z}, {"last", z}}),
      Ev(1, 11, "committed", {{"first", z}, {"last", z}}),
      Ev(2, 12, "logged", {{"first", z - 1}, {"last", z - 1}}),
      Ev(2, 50, "sync_decision",
         {{"peer", 1},
          {"mode", "TRUNC"},
          {"peer_zxid", z},
          {"leader_zxid", z - 1},
          {"trunc_to", z - 1}}),
      Ev(1, 51, "truncate", {{"keep_up_to", z - 1}, {"removed_first", z}, {"removed_last", z}}),
  };
  ZxidTrail t = TrailOf(z, ev);
  ASSERT_EQ(t.nodes.size(), 1u);
  EXPECT_EQ(t.nodes[0].node, 1);
  EXPECT_TRUE(t.nodes[0].committed_ms.has_value());
  ASSERT_TRUE(t.nodes[0].removed_ms.has_value());
  EXPECT_NE(t.nodes[0].removed_how.find("truncate"), std::string::npos);
  ASSERT_EQ(t.decisions.size(), 1u);
  EXPECT_EQ(t.decisions[0].mode, "TRUNC");
  EXPECT_EQ(t.decisions[0].leader, 2);
}

TEST(Evidence, InvariantLinesComeFromTheCheckersOwnDescriptions) {
  const int64_t z1 = (int64_t{1} << 32) | 1, z2 = (int64_t{1} << 32) | 2;
  std::vector<NodeEvent> ev = {
      Ev(1, 3, "established", {{"epoch", 1}, {"leader", 1}}),
      Ev(2, 9, "established", {{"epoch", 1}, {"leader", 2}}),
      Ev(1, 4, "committed", {{"first", z1}, {"last", z2}}),
      Ev(3, 6, "committed", {{"first", z1}, {"last", z1}}),
      Ev(3, 7, "committed", {{"first", (int64_t{2} << 32) | 1}, {"last", (int64_t{2} << 32) | 1}}),
  };
  checkers::InvariantResult r = checkers::CheckZabInvariants(ev);
  ASSERT_GE(r.anomalies.size(), 2u);
  for (const auto& a : r.anomalies) {
    std::vector<const NodeEvent*> lines = InvariantEvidence(a, ev);
    ASSERT_FALSE(lines.empty()) << a.description;
    if (a.description.find("two established") != std::string::npos) {
      ASSERT_EQ(lines.size(), 2u);
      EXPECT_EQ(lines[0]->type, "established");
      EXPECT_EQ(lines[1]->node, 2);
    } else {
      ASSERT_NE(a.description.find("diverge"), std::string::npos);
      // The commit of z2 on node 1 and node 3's commits either side of it.
      std::string got;
      for (const auto* e : lines) got += e->type + "@" + std::to_string(e->node) + " ";
      EXPECT_EQ(lines.size(), 3u) << a.description << ": " << got;
    }
  }
}

// Regression (issue 10): invariant descriptions carry the checker's unix-ms times; the report
// shows them as offsets from the run's start.
TEST(Evidence, CheckerTimesInDescriptionsBecomeOffsetsFromTheRunStart) {
  int64_t t0 = kT0 / kMs;
  std::string text = fmt::format(
      "node 3 truncated at {} ms removing zxid 0x3 that node 1 "
      "committed at {} ms; 1500 ms later; id 1234567890123 ms; "
      "acknowledged at {}, op 17550",
      t0 + 8825, t0 - 250, kT0 + 58'804'000'000);
  EXPECT_EQ(WithOffsets(text, t0),
            "node 3 truncated at +8.82s removing zxid 0x3 that node 1 committed at -0.25s; "
            "1500 ms later; id 1234567890123 ms; acknowledged at +58.80s, op 17550");
}

TEST(Evidence, EventFieldsWriteZxidsInHexLikeTheDescriptions) {
  NodeEvent e =
      Ev(3, 5, "truncate",
         {{"keep_up_to", 12884902596}, {"removed_count", 2}, {"peer_zxid", 0}, {"mode", "TRUNC"}});
  EXPECT_EQ(EventFields(e), "keep_up_to=0x3000002c4 mode=TRUNC peer_zxid=0 removed_count=2");
}

// An invariant-violation run: the violation is shown with the event-log lines that show it, at
// offsets from the run's start (never `+-1796155125.8s`, never a unix-ms time).
TEST(Html, InvariantViolationShowsItsEventLogLinesAtOffsets) {
  const int64_t z1 = (int64_t{3} << 32) | 708, z2 = z1 + 1;
  RunView v;
  v.run.id = 9;
  v.run.suite = "inv";
  v.run.status = kRunFinished;
  v.run.verdict = "invalid";
  v.run.started_ms = kT0 / kMs;
  v.run.ended_ms = v.run.started_ms + 12000;
  v.t0_ns = kT0;
  v.end_ns = kT0 + 12000 * kMs;
  v.history.node_events = {
      Ev(2, 100, "established", {{"epoch", 3}, {"leader", 2}}),
      Ev(1, 8720, "committed", {{"first", z2}, {"last", z2}, {"count", 1}}),
      Ev(3, 8820, "committed", {{"first", z1}, {"last", z1}, {"count", 1}}),
      Ev(3, 8825, "truncate", {{"keep_up_to", z1}, {"removed_first", z2}, {"removed_last", z2}}),
  };
  checkers::InvariantResult r = checkers::CheckZabInvariants(v.history.node_events);
  ASSERT_FALSE(r.anomalies.empty());
  v.checks = {CheckRecord{"zab-invariants", "invalid", "violations", r.anomalies}};
  std::string html = RenderReportHtml(v);
  size_t section = html.find("<section class=\"anomaly\" id=\"anomaly-1\"");
  ASSERT_NE(section, std::string::npos);
  std::string s = html.substr(section, html.find("</section>", section) - section);
  EXPECT_NE(s.find("Event-log lines that show it"), std::string::npos) << s;
  EXPECT_NE(s.find("data-type=\"committed\"><td class=\"num\">+8.72s</td>"), std::string::npos)
      << s;
  EXPECT_NE(s.find("first=0x3000002c5"), std::string::npos) << s;
  EXPECT_EQ(html.find("+-"), std::string::npos);
  EXPECT_EQ(s.find(std::to_string(v.run.started_ms / 1000000)), std::string::npos)
      << "no unix time in the section: " << s;
}

RunView SmallView() {
  RunView v;
  v.run.id = 7;
  v.run.suite = "unit";
  v.run.status = kRunFinished;
  v.run.verdict = "invalid";
  v.run.started_ms = kT0 / kMs;
  v.run.ended_ms = v.run.started_ms + 2000;
  v.run.folder = "/tmp/results/runs/7";
  v.store_path = "/tmp/results/faultline.db";
  v.t0_ns = kT0;
  v.end_ns = kT0 + 2000 * kMs;
  v.history.ops = {MakeOp(0, 1, Fn::kWrite, "1", 0, 10, Outcome::kOk),
                   MakeOp(1, 2, Fn::kWrite, "2", 20, 30, Outcome::kOk),
                   MakeOp(2, 3, Fn::kRead, "1", 40, 50, Outcome::kOk)};
  v.history.faults = {{"partition", {2}, kT0 + 15 * kMs, kT0 + 45 * kMs, "isolate leader 2"}};
  v.history.node_events = {Ev(2, 1, "established", {{"epoch", 1}, {"leader", 2}})};
  checkers::LinearizabilityResult r =
      checkers::CheckLinearizable(v.history, checkers::ModelOptions{}, checkers::Budget{});
  v.checks = {CheckRecord{"linearizability", "invalid", "1 of 1 keys", r.anomalies},
              CheckRecord{"zab-invariants", "unknown", "could not run: 0 node events", {}}};
  return v;
}

TEST(Html, PageCarriesTheHooksTestsAndReadersRelyOn) {
  std::string html = RenderReportHtml(SmallView());
  EXPECT_NE(html.find("id=\"verdict\" data-verdict=\"invalid\""), std::string::npos);
  EXPECT_NE(html.find("class=\"fault-band k-partition\""), std::string::npos);
  EXPECT_NE(html.find("data-kind=\"partition\" data-targets=\"n2\""), std::string::npos);
  EXPECT_NE(html.find("class=\"leader-span n2\""), std::string::npos);
  EXPECT_NE(html.find("id=\"anomaly-1\""), std::string::npos);
  EXPECT_NE(html.find("op op-ok minimal culprit"), std::string::npos);
  EXPECT_NE(html.find("could not run"), std::string::npos);
  EXPECT_NE(
      html.find("faultline --store /tmp/results/faultline.db --results /tmp/results replay 7"),
      std::string::npos);
  // Self-contained: nothing to fetch.
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

// A run whose fault bands overlap (a nemesis that starts a fault every 300 ms, each lasting 2 s).
RunView CrowdedFaultsView() {
  RunView v = SmallView();
  v.end_ns = kT0 + 14'000 * kMs;
  v.run.ended_ms = v.run.started_ms + 14'000;
  v.history.faults.clear();
  const char* kinds[] = {"partition", "kill", "pause", "restart"};
  for (int i = 0; i < 40; ++i) {
    int64_t at = kT0 + i * 300 * kMs;
    v.history.faults.push_back(
        {kinds[i % 4], {1 + i % 3, 1 + (i + 1) % 3}, at, at + 2000 * kMs, "crowded"});
  }
  v.history.faults.push_back(
      {"partition", {1, 2, 3}, v.end_ns - 50 * kMs, checkers::kOpenNs, "at the right edge"});
  return v;
}

struct DrawnLabel {
  double x, y;
  std::string text;
};

std::vector<DrawnLabel> FaultLabels(const std::string& html) {
  std::vector<DrawnLabel> out;
  std::regex label(
      "<text x=\"([0-9.]+)\" y=\"([0-9.]+)\" class=\"fault-label [^\"]*\"[^>]*>([^<]*)<");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), label);
       it != std::sregex_iterator(); ++it) {
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[3]});
  }
  return out;
}

TEST(Html, OverlappingFaultBandsGetLabelsThatDoNotOverlapEachOther) {
  RunView v = CrowdedFaultsView();
  std::string html = RenderReportHtml(v);
  size_t at = html.find("id=\"timeline\" role=\"img\"");
  ASSERT_NE(at, std::string::npos);
  std::string timeline = html.substr(at, html.find("</svg>", at) - at);
  std::vector<DrawnLabel> labels = FaultLabels(timeline);
  ASSERT_GE(labels.size(), 12u) << "most faults keep a label";
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_LE(labels[i].x + LabelWidth(labels[i].text) - kLabelGap, 1140 - 14 + 0.5)
        << labels[i].text << " runs past the chart's right edge";
    for (size_t j = i + 1; j < labels.size(); ++j) {
      if (labels[i].y != labels[j].y) continue;
      bool apart = labels[i].x + LabelWidth(labels[i].text) <= labels[j].x + 0.01 ||
                   labels[j].x + LabelWidth(labels[j].text) <= labels[i].x + 0.01;
      EXPECT_TRUE(apart) << labels[i].text << " @" << labels[i].x << " and " << labels[j].text
                         << " @" << labels[j].x << " share row y=" << labels[i].y;
    }
  }
  size_t omitted = v.history.faults.size() - labels.size();
  if (omitted > 0) {
    EXPECT_NE(html.find(fmt::format("data-omitted=\"{}\"", omitted)), std::string::npos)
        << "the legend says how many labels were left out";
  }
  // Every band is still drawn (and carries its full label as a tooltip).
  size_t bands = 0;
  for (size_t p = timeline.find("class=\"fault-band k-"); p != std::string::npos;
       p = timeline.find("class=\"fault-band k-", p + 1)) {
    ++bands;
  }
  EXPECT_EQ(bands, v.history.faults.size());
}

TEST(Html, TextFromTheHistoryIsEscaped) {
  RunView v = SmallView();
  v.run.suite = "<script>alert(1)</script>";
  v.history.faults[0].description = "a \"quoted\" <blink>";
  std::string html = RenderReportHtml(v);
  EXPECT_EQ(html.find("<script>"), std::string::npos)
      << html.substr(html.find("<script>") - 200, 300);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<blink>"), std::string::npos);
}

TEST(JUnit, OneCasePerCheckerFailuresCarryTheAnomalyAndUnknownIsAnError) {
  std::string xml = WriteJUnit("faultline", {JUnitSuiteForRun(SmallView())});
  EXPECT_NE(xml.find("<testsuites name=\"faultline\" tests=\"2\" failures=\"1\" errors=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase name=\"linearizability\" classname=\"faultline.unit\""),
            std::string::npos);
  EXPECT_NE(xml.find("<failure message=\"1 anomaly: 1 of 1 keys\" type=\"invalid\">- "
                     "linearizability key k: key &quot;k&quot;: not linearizable"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<error message=\"could not run: 0 node events\" type=\"unknown\""),
            std::string::npos);
}

TEST(JUnit, ACrashedRunIsOneErroredCase) {
  RunView v = SmallView();
  v.checks.clear();
  v.run.status = kRunCrashed;
  v.run.last_heard_ms = v.run.started_ms + 7300;
  std::string xml = WriteJUnit("faultline", {JUnitSuiteForRun(v)});
  EXPECT_NE(xml.find("<testcase name=\"run\""), std::string::npos);
  EXPECT_NE(xml.find("type=\"crashed\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("last heard from 7.3s after the start"), std::string::npos) << xml;
}

TEST(JUnit, ControlCharactersAreDroppedAndMarkupEscaped) {
  JUnitSuite s;
  s.name = "a<b";
  JUnitCase c;
  c.name = std::string("x\x01y&");
  s.cases.push_back(c);
  std::string xml = WriteJUnit("n", {s});
  EXPECT_NE(xml.find("name=\"a&lt;b\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"xy&amp;\""), std::string::npos);
}

// Regression (issue 10): the console printed invariant anomalies at "+-1796155125.8s".
TEST(ConsoleSummary, AnomalyWithoutATimeSaysSoAndNeverPrintsPlusMinus) {
  std::string dir = (fs::temp_directory_path() / ("summary-" + std::to_string(getpid()))).string();
  {
    auto store = HistoryStore::Open(dir + "/h.db");
    ASSERT_TRUE(store.ok());
    RunRecord r;
    r.suite = "s";
    r.spec_text = "name: s\n";
    r.started_ms = 1'796'155'125'800;
    int64_t run = *(*store)->CreateRun(r);
    checkers::Anomaly untimed;
    untimed.checker = "zab-invariants";
    untimed.description = "committed sequences diverge";
    checkers::Anomaly timed = untimed;
    timed.start_ns = timed.end_ns = (r.started_ms + 1500) * kMs;
    ASSERT_TRUE(
        (*store)->StoreCheck(run, {"zab-invariants", "invalid", "", {untimed, timed}}).ok());
    std::ostringstream out;
    ASSERT_TRUE(PrintRunSummary(**store, run, out).ok());
    EXPECT_EQ(out.str().find("+-"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("(time not recorded)"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("at +1.5s"), std::string::npos) << out.str();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace faultline::harness::report
